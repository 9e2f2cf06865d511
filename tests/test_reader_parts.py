"""The reader's parts on news unlike the sample: candidate spans, question parsing, English
forms, the learned models. No index, no embedder: each runs in milliseconds."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import pytest

from app.reader import compose, parse
from app.reader import spans as sp
from app.reader.model import fit, load

ROOT = Path(__file__).resolve().parents[1]


def texts(sentence, found):
    return [sentence[a:b] for a, b in found]


@pytest.mark.parametrize("sentence, expected", [
    ("Khoảng 3 giờ 20 phút sáng 17-9, xe tải lao xuống vực.", ["3 giờ 20 phút", "17-9"]),
    ("Phiên tòa mở ngày 12/3/2024 tại TAND tỉnh.", ["ngày 12/3/2024"]),
    ("Trận đấu diễn ra tối 15.10 trên sân Thiên Trường.", ["tối 15.10"]),
    ("Super Bowl 50 được tổ chức ngày 7 tháng 2 năm 2016.", ["ngày 7 tháng 2 năm 2016"]),
    ("Bệnh nhi được xuất viện sau 3 tuần điều trị.", ["sau 3 tuần"]),
    ("Hai tòa nhà sẽ được bàn giao vào quý I/2027.", ["quý I/2027"]),
    ("Đến tối cùng ngày, đã có 87 học sinh phải nhập viện.", []),  # "87 h..." is not a time
])
def test_dates_and_times_as_news_writes_them(sentence, expected):
    found = texts(sentence, sp.dates(sentence))
    for e in expected:
        assert any(e in f for f in found), (e, found)
    if not expected:
        assert found == []


@pytest.mark.parametrize("sentence, whole", [
    ("Lứa rầy tiếp theo sẽ nở rộ từ ngày 5 đến 8-11.", "ngày 5 đến 8-11"),  # days of one month
    ("Giải diễn ra từ 5-7/11 tại sân Thống Nhất.", "5-7/11"),
    ("Cuộc kiểm tra diễn ra từ 8 giờ 30 phút sáng 20-10, kéo dài đến chiều.", "8 giờ 30 phút sáng 20-10"),
])
def test_a_span_of_days_and_a_time_with_its_day_are_one_date(sentence, whole):
    assert whole in texts(sentence, sp.dates(sentence))


def test_a_date_is_not_read_inside_a_number_or_across_a_comma():
    s = "Lễ hội thu hút 3-4.000 người; lúc 14 giờ, 15.200 khán giả đã vào sân."
    found = texts(s, sp.dates(s))
    assert not any(f.startswith("3-4") for f in found) and not any("15.2" in f for f in found), found
    waves = "Sóng biển cao 5-7 m, 3-4 người bị thương."  # a range with its unit is an amount
    assert texts(waves, sp.dates(waves)) == [] and "5-7 m" in texts(waves, sp.amounts(waves))


def test_a_score_is_not_a_date():
    s = "Nam Định thắng Hải Phòng với tỷ số 2-1 tối 15.10."
    assert texts(s, sp.scores(s)) == ["2-1"]
    assert "2-1" not in " ".join(texts(s, sp.dates(s)))


@pytest.mark.parametrize("sentence, expected", [
    ("Bị cáo lĩnh 12 năm tù và phải bồi thường 3,5 tỷ đồng.", ["12 năm tù", "3,5 tỷ đồng"]),
    ("Doanh thu quý III đạt 1.250 tỷ đồng, tăng 15%.", ["1.250 tỷ đồng", "15%"]),
    ("Cầu dài 2,4 km, nhịp chính dài 300 mét theo kết cấu dây văng.", ["2,4 km", "300 mét"]),
    # a unit with a power is one unit: "142,6 m" would be a length
    ("Tổng khối lượng gỗ bị khai thác là 142,6 m3, trên diện tích 2.000 m2.", ["142,6 m3", "2.000 m2"]),
])
def test_amounts_keep_their_unit_and_stop_there(sentence, expected):
    found = texts(sentence, sp.amounts(sentence))
    for e in expected:
        assert e in found, (e, found)
    assert "300 mét theo" not in found


def test_people_places_and_organisations():
    s = "Thượng tá Nguyễn Văn Khánh, Trưởng Công an huyện Đạ Huoai, cho biết tài xế Vừ A Sùng đã bị tạm giữ."
    assert texts(s, sp.people(s, None)) == ["Nguyễn Văn Khánh", "Vừ A Sùng"]
    assert "huyện Đạ Huoai" in texts(s, sp.places(s))
    o = "Nhà thầu chính là Công ty cổ phần Xây dựng Hòa Bình, trụ sở tại Quảng trường 7-5."
    assert any(x.startswith("Công ty cổ phần") for x in texts(o, sp.orgs(o)))
    assert "Quảng trường 7-5" in texts(o, sp.places(o))
    # a title before a name is not a place ("Phó" folds to "phố", a street)
    t = "Phó Chủ tịch UBND tỉnh Trần Văn Bình phát biểu."
    assert not any(x.startswith("Phó") for x in texts(t, sp.places(t)))


def test_places_listed_after_a_plural_place_noun_are_each_a_place():
    s = "Rầy tập trung ở các xã Định Mỹ, Vĩnh Trạch, Óc Eo và Tân Hiệp, phần lớn là lúa trổ."
    assert texts(s, sp.places(s)) == ["xã Định Mỹ", "Vĩnh Trạch", "Óc Eo", "Tân Hiệp"]
    one = "Tại xã Định Mỹ, Phó Chủ tịch UBND huyện kiểm tra đồng ruộng."  # one place: no list
    assert texts(one, sp.places(one)) == ["xã Định Mỹ"]


def test_names_and_places_end_at_whole_words_of_the_tagger():
    from ingest.chunk import tag

    s = "Ông Lê Văn Hải, Phó Giám đốc Trung tâm Dự báo khí tượng, đề nghị Sở Giao thông vận tải kiểm tra."
    found = texts(s, sp.names(s, tag(s))) + texts(s, sp.places(s, tag(s)))
    # "Phó Giám|đốc", "Trung tâm Dự|báo", "Sở Giao|thông" are capitalised common nouns cut in two
    assert not any(x in found for x in ("Phó Giám", "Trung tâm Dự", "Dự", "Sở Giao", "cầu Sở"))
    t = "Xe khách đi qua cầu Bình An trên sông Vàm Cỏ trước khi vào Bộ Nông nghiệp và Môi trường Lê An."
    tags = tag(t)
    assert {"cầu Bình An", "sông Vàm Cỏ"} <= set(texts(t, sp.places(t, tags)))
    assert not any(x.startswith("trường") for x in texts(t, sp.places(t, tags)))  # of "Môi trường"
    assert "Bộ Nông" not in texts(t, sp.names(t, tags))


def test_reasons_are_the_clause_after_a_cue():
    s = "Vụ cháy được xác định do chập điện tại tầng 2, thiệt hại khoảng 5 tỷ đồng."
    assert any(r.startswith("do chập điện") for r in texts(s, sp.reasons(s)))
    s = "Tỉnh có lợi thế về nông nghiệp, du lịch nên cần kết nối với các đô thị lớn."  # the cause comes first
    assert texts(s, sp.reasons(s)) == ["Tỉnh có lợi thế về nông nghiệp, du lịch"]
    s = "Mưa lớn kéo dài nhiều ngày, do đó nhiều tuyến đường bị ngập."
    assert texts(s, sp.reasons(s)) == ["Mưa lớn kéo dài nhiều ngày"]


@pytest.mark.parametrize("reason, agent", [
    ("do tài xế Nguyễn Văn An điều khiển", True),  # who drove, not why
    ("do Công ty Bình Minh cung cấp", True),
    ("bởi Bộ Công Thương", True),
    ("do mưa lớn kéo dài", False),
    ("Do ảnh hưởng của bão", False),
    ("bởi nhiều trường đang quá tải", False),
    ("do nhiều người dân đổ về", False),
    ("nhằm giảm ùn tắc", False),
])
def test_a_do_that_names_who_acts_is_told_from_a_cause(reason, agent):
    assert sp.agentive(reason) is agent


@pytest.mark.parametrize("text, language, qtype, wants", [
    ("Ai là tài xế xe tải?", "vi", "who", ""),
    ("ai la tai xe xe tai", "vi", "who", ""),
    ("Who was the truck driver?", "en", "who", ""),
    ("Vụ tai nạn xảy ra lúc mấy giờ?", "vi", "when", "time"),
    ("Nhà máy thứ tư được xây ở đâu?", "vi", "where", ""),  # "máy" is not "mấy"
    ("Trận đấu kết thúc với tỷ số bao nhiêu?", "vi", "how_many", "score"),
    ("How much did the company earn in profit?", "en", "how_many", "money"),
    ("Ca phẫu thuật kéo dài bao lâu?", "vi", "what", "duration"),
    ("Why did the fire spread so fast?", "en", "why", ""),
    ("Bến phà dừng hoạt động từ ngày nào?", "vi", "when", "day"),
    ("How much is the entrance fee?", "en", "how_many", "money"),
    ("What share of the liver was taken?", "en", "what", "percent"),
    # a which/what question whose noun is a title or a person asks who
    ("Which deputy director of the weather agency spoke to reporters?", "en", "who", ""),
    ("Thẩm phán nào chủ tọa phiên xét xử?", "vi", "who", ""),
    ("Cầu thủ nào ghi bàn thắng quyết định?", "vi", "who", ""),
    ("which player scored the winner", "en", "who", ""),
    ("Which deputy head of the tax department spoke about fake invoices?", "en", "who", ""),
    ("Which Cần Thơ vice-chairman spoke at the signing ceremony?", "en", "who", ""),
    ("Which vice-chairman warned firms about fixed-price contracts?", "en", "who", ""),
    ("What did the director announce?", "en", "what", "entity"),  # "what did …" names no noun
    ("Which team won the final?", "en", "what", "org"),
    # a what-question whose noun is a quantity asks an amount, whoever's it is
    ("What were Vietnam's shrimp exports in the first two months?", "en", "how_many", ""),
    ("What is the toll for a 40-foot container truck?", "en", "how_many", ""),
    # English fronts its question word: the earliest one decides, not the first type listed
    ("Who was hurt when the bus overturned?", "en", "who", ""),
    ("Where was the driver when the police arrived?", "en", "where", ""),
    ("Which stock rose against the market on 12 May?", "en", "what", "entity"),
    ("What is the five-year survival rate when the cancer is found early?", "en", "how_many", ""),
    ("What was the closing price of robusta coffee on the London exchange?", "en", "how_many", "money"),
])
def test_question_types(text, language, qtype, wants):
    q = parse(text)
    assert (q.language, q.qtype, q.wants) == (language, qtype, wants)


@pytest.mark.parametrize("text, before", [
    ("Bảo tàng ban đầu được gọi là gì?", "la"),  # "... được gọi là Bảo tàng X": the answer follows "là"
    ("Lady Gaga đã hát bài gì?", "bai"),
    ("Bao nhiêu người tử vong?", ""),  # the question word opens the question
    ("Who was the driver?", ""),  # English asks up front
])
def test_the_word_before_the_question_word_is_where_the_answer_follows(text, before):
    assert parse(text).wh_before == before


def test_english_words_the_vocabulary_translates_are_not_names_to_find_as_written():
    q = parse("Who is the director of Cần Thơ City General Hospital in February?")
    assert q.anchors == ["can", "tho"]  # "City", "General", "Hospital", "February" are translated
    assert parse("Who won the match against Warsaw?").anchors == ["warsaw"]


def test_an_english_question_names_a_country_as_vietnamese_news_writes_it():
    q = parse("What did South Korea sign with France?")
    assert sorted(q.countries) == [["han quoc"], ["phap"]] and q.anchors == []
    assert "phap" in q.search_text and "phia nam" not in q.search_text  # "South Korea" is no direction


def test_units_of_how_many_questions():
    assert parse("Bao nhiêu người bị thương?").units[0].split()[0] == "nguoi"
    assert "nguoi" in parse("How many people were injured?").units
    assert parse("Học phí là bao nhiêu một năm?").units == []  # a rate, not a unit
    # the counted noun comes before the question's verb; the subject after it is none
    assert parse("How much did the province spend on staff housing?").units == []
    assert "tinh" not in parse("How much did the province spend on staff housing?").units
    assert "phu nu" in parse("How many women does the province plan to screen?").units


def test_function_words_are_judged_with_their_marks():
    q = parse("Ai là tài xế xe tải gây tai nạn?")
    assert "tai" in q.terms  # "tài" of "tài xế" is a content word; "tại" (at) would not be
    assert "tai" not in parse("Vụ việc xảy ra tại đâu?").terms


def test_english_questions_reach_vietnamese_words():
    q = parse("Who was the truck driver in the accident?")
    assert ["tai xe", "lai xe"] in q.vi_groups and "tai xe" in q.search_text
    assert q.fusion_weights[1] > 0


@pytest.mark.parametrize("first, answer, then, rewritten_has", [
    ("Vụ cháy xảy ra ở đâu?", "Tại kho hàng ở xã Tân Lập [1].", "Và khi nào?", "khi nào"),
    ("Ai là HLV của Nam Định?", "Vũ Hồng Việt [1].", "Còn Hải Phòng thì sao?", "Hải Phòng"),
    ("Who scored the winning goal?", "Nguyễn Văn Toàn [1].", "And when?", "when"),
])
def test_follow_ups_keep_the_previous_subject(first, answer, then, rewritten_has):
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer}]
    q = parse(then, history)
    assert q.followup and rewritten_has.lower() in q.rewritten.lower()
    assert q.rewritten != then


def test_a_pronoun_follow_up_leans_on_the_previous_turn():
    history = [{"role": "user", "content": "Công ty nào trúng thầu dự án cầu Long Phước?"},
               {"role": "assistant", "content": "Công ty cổ phần Xây dựng Hòa Bình [1]."}]
    q = parse("Who paid for it?", history)
    assert q.followup and "Hòa Bình" in q.context and "Long Phước" in q.dense_text


@pytest.mark.parametrize("question", ["Ông ấy đề nghị UBND tỉnh làm gì?", "ong ay de nghi gi",
                                      "What did he ask the province to do?"])
def test_he_or_she_in_a_follow_up_is_the_person_the_previous_turn_named(question):
    """Not the place of the previous question ("tỉnh Sóc Trăng"), as a non-personal pronoun is."""
    history = [{"role": "user", "content": "Ai là Chủ tịch HĐND tỉnh Sóc Trăng?"},
               {"role": "assistant", "content": "Chủ tịch HĐND tỉnh là ông Lâm Văn Mẫn (55 tuổi, quê Cần Thơ) [1]."}]
    q = parse(question, history)
    assert q.followup and "Lâm Văn Mẫn" in q.rewritten and "Sóc Trăng" not in q.rewritten


def test_an_ordinal_after_a_one_item_answer_is_not_read_into_it():
    """"Còn ngành xếp thứ hai thì sao?" after "Ngành Công nghệ thông tin, với 27,85 điểm": a ranking,
    not the second item of a list ("với 27" / "85 điểm" were taken as items)."""
    history = [{"role": "user", "content": "Ngành nào có điểm chuẩn cao nhất?"},
               {"role": "assistant", "content": "Ngành Công nghệ thông tin, với 27,85 điểm [1]."}]
    q = parse("Còn ngành xếp thứ hai thì sao?", history)
    assert q.followup and "27" not in q.context.split("Ngành nào")[0]
    assert q.rewritten != "Ngành nào có điểm chuẩn cao nhất?"


def test_ordinal_follow_up_points_into_the_previous_list():
    history = [{"role": "user", "content": "Ai bị thương nặng?"},
               {"role": "assistant", "content": "Nguyễn Văn A và Trần Thị B [1]."}]
    q = parse("Còn người thứ hai thì sao?", history)
    assert q.ordinal == 2 and "Trần Thị B" in q.context


@pytest.mark.parametrize("text, kind, english", [
    ("sáng 17-9", "date", "17 September (sáng 17-9)"),
    ("ngày 12/3/2024", "date", "12 March 2024 (ngày 12/3/2024)"),
    ("3 tỷ đồng", "amount", "3 billion VND (3 tỷ đồng)"),
    ("quý IV/2027", "date", "Q4 2027 (quý IV/2027)"),
    ("1.250 người", "amount", "1,250 people (1.250 người)"),
    ("12 năm tù", "amount", "12 years in prison (12 năm tù)"),
    ("Nguyễn Văn A", "person", "Nguyễn Văn A"),
])
def test_english_replies_say_dates_and_amounts_in_english(text, kind, english):
    assert compose.render(text, kind, "en") == english
    assert compose.render(text, kind, "vi") == text


def test_the_logistic_fit_learns_a_rule_and_ships_weights():
    rows = [{"x": float(i % 10), "noise": float((i * 7) % 3)} for i in range(400)]
    labels = [int(r["x"] >= 5) for r in rows]
    m = fit(rows, labels, ["x", "noise"])
    assert m.prob({"x": 9, "noise": 1}) > 0.9 and m.prob({"x": 1, "noise": 1}) < 0.1
    shipped = load()
    assert 0 < shipped.closest_threshold < shipped.answer_threshold < 1
    assert 0 < shipped.closest_threshold < shipped.choice_threshold < 1
    assert shipped.sentence.names and shipped.span.names and shipped.choice and shipped.choice.names
    meta = json.loads(files("app.reader").joinpath("data/weights.json").read_text("utf-8"))["meta"]
    assert "news_train" in meta.get("splits", "") and "test" not in meta.get("splits", "").replace("news_test", "")


SAMPLE_NAMES = re.compile(r"Hà Nội|Thái Nguyên|Hưng Yên|Hải Dương|Hà Tĩnh|Thanh Hóa|Hoàng Trung Hải|Bùi Xuân Hòa|"
                          r"Bích Ngọc|hội nghị hợp tác|Quỹ Vì người nghèo", re.I)


def test_the_reader_knows_nothing_of_the_sample_articles():
    """No place, person or phrase of the bundled articles in the reader's code or data."""
    reader = ROOT / "app" / "reader"
    for path in sorted(reader.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".txt", ".tsv"):
            found = SAMPLE_NAMES.findall(path.read_text("utf-8"))
            assert not found, f"{path.relative_to(ROOT)} names {found}"


def test_a_unit_is_matched_by_whole_syllables():
    """"bao nhiêu năm tù" counts years in prison: "38 tuổi" (an age) is not that, though "tù"
    begins "tuổi" once the marks are folded away."""
    from app.reader.evidence import _unit_ok

    q = parse("Bị cáo bị tuyên phạt bao nhiêu năm tù?", [])
    text = "Bị cáo Đỗ Văn A (38 tuổi) bị tuyên phạt 15 năm tù."
    assert not _unit_ok(text, (text.index("38"), text.index("38") + 7), q)
    assert _unit_ok(text, (text.index("15"), text.index("15") + 9), q)


def test_the_listwise_fit_shares_one_answer_among_rivals_and_none():
    """The single-answer model: a question's candidates and "none of them" share one unit. It
    learns which feature marks the answer, gives the marked candidate most of it, two equal
    rivals half each at most, and questions whose candidates all look wrong mostly "none"."""
    from random import Random

    from app.reader.model import fit_listwise, from_json

    rnd = Random(0)
    rows, labels, groups = [], [], []
    for q in range(400):
        answered = rnd.random() < 0.7
        right = rnd.randrange(4)
        for c in range(4):
            good = answered and c == right
            rows.append({"x": (2.0 if good else 0.0) + rnd.gauss(0, 0.6), "noise": rnd.random()})
            labels.append(int(good))
            groups.append(q)
    m = fit_listwise(rows, labels, groups, ["x", "noise"])
    assert m.weights[0] > 1.0 and abs(m.weights[1]) < 0.5
    one = m.shares([{"x": 2.5, "noise": 0.5}, {"x": 0.0, "noise": 0.5}, {"x": 0.1, "noise": 0.5}])
    assert one[0] > 0.8 and sum(one) < 1
    twins = m.shares([{"x": 2.5, "noise": 0.5}, {"x": 2.5, "noise": 0.5}])
    assert twins[0] == pytest.approx(twins[1]) and twins[0] < 0.5
    assert sum(m.shares([{"x": 0.0, "noise": 0.5}] * 3)) < 0.5  # nothing marked: mostly "none of them"
    assert m.shares([]) == []
    again = from_json({**load().to_json(), "choice": m.to_json()}).choice  # survives the weights file
    assert again.shares([{"x": 2.5, "noise": 0.5}]) == pytest.approx(m.shares([{"x": 2.5, "noise": 0.5}]), abs=1e-4)


def test_two_near_equal_amounts_are_not_a_sure_answer():
    """"How much was invested?" where the article gives two amounts in the same way: the shares
    split, so the reader quotes a sentence instead of choosing one; one clear amount is answered."""
    from app.reader import Reader
    from index.types import Hit

    def hit(text: str) -> Hit:
        ends = [m.end() for m in re.finditer(r"\.(\s|$)", text)]
        spans = list(zip([0, *ends[:-1]], ends))
        return Hit(chunk_id="c1", doc_id="d1", text=text, start=0, end=len(text), score=1.0,
                   meta={"title": "Đầu tư", "provinces": ""}, sentences=spans, tags=[])

    reader = Reader()
    q = "Tổng vốn đầu tư của dự án là bao nhiêu?"
    clear = reader.answer(q, [hit("Tổng vốn đầu tư của dự án là 3.400 tỷ đồng, khởi công vào năm 2025.")], [])
    assert clear.outcome == "answer" and clear.text.startswith("3.400 tỷ đồng")
    two = hit("Dự án có tổng vốn đầu tư 3.400 tỷ đồng. Tổng vốn đầu tư của dự án là 3.500 tỷ đồng theo điều chỉnh.")
    _, cands = reader.score(parse(q, []), [two], None)
    shares = sorted((c.share for c in cands if c.kind == "amount"), reverse=True)
    assert len(shares) == 2 and sum(shares) <= 1 and shares[0] < reader.model.choice_bar("vi")
    assert min(c.prob for c in cands if c.kind == "amount") > 0.5  # each alone looks like the answer
    assert reader.answer(q, [two], []).outcome == "closest"


@pytest.mark.parametrize("sentence, question, denied", [
    ("Theo kế hoạch, cầu Long An sẽ không thu phí.", "Will drivers have to pay a toll on the bridge?", True),
    ("Các tỉnh đã cấm tàu thuyền ra khơi từ trưa 23-8.", "Tàu thuyền có được ra khơi không?", True),
    ("Trận động đất chưa đủ mạnh để gây hư hại đến đập.", "Trận động đất có gây hư hại đến đập không?", True),
    ("Hiện tài xế xe tải đã bị tạm giữ.", "Tài xế xe tải có bị tạm giữ không?", False),  # the asking particle
    ("Sân bay tạm dừng khai thác từ 12 giờ.", "Sân bay có tạm dừng khai thác không?", False),  # asked as said
    ("Bệnh nhân chưa xuất viện.", "Bệnh nhân đã xuất viện chưa?", True),
])
def test_a_sentence_that_denies_what_is_asked_is_no_yes(sentence, question, denied):
    from app.reader import denies

    assert denies(sentence, question) is denied


def _one_passage(text: str):
    from index.types import Hit

    ends = [m.end() for m in re.finditer(r"\.(\s|$)", text)]
    spans = list(zip([0, *ends[:-1]], ends))
    return Hit(chunk_id="c1", doc_id="d1", text=text, start=0, end=len(text), score=1.0,
               meta={"title": "Tin tức", "provinces": ""}, sentences=spans, tags=[])


def test_the_counted_noun_is_the_amounts_unit_not_its_neighbours_context():
    """"Bao nhiêu xe khách …?" over "860 xe khách cùng hơn 2.100 tài xế …": the asked noun is
    the first number's unit; as context it would lead into the second number."""
    from app.reader import Reader

    reader = Reader()
    q = parse("Bao nhiêu xe khách đã dừng ở bến an toàn?", [])
    _, cands = reader.score(q, [_one_passage(
        "Đến chiều 5-10, đã có 860 xe khách cùng hơn 2.100 tài xế dừng ở bến an toàn.")], None)
    by_text = {c.text: c for c in cands if c.kind == "amount"}
    right, other = by_text["860 xe khách"], next(c for t, c in by_text.items() if t.startswith("2.100"))
    assert right.feats["unit_match"] == 1.0 and other.feats["unit_miss"] == 1.0
    assert other.feats["lead_in"] == 0.0  # "xe khách cùng hơn" does not lead into 2.100
    assert right.share > other.share


def test_a_run_of_the_questions_words_stops_at_the_next_item_of_a_list():
    """"doanh thu 920 tỷ đồng và lợi nhuận sau thuế 75 tỷ đồng": the profit's words lead into 75,
    not out of 920."""
    from app.reader import Reader

    reader = Reader()
    q = parse("Lợi nhuận sau thuế năm 2024 của công ty là bao nhiêu?", [])
    _, cands = reader.score(q, [_one_passage(
        "Năm 2024, công ty đạt doanh thu 920 tỷ đồng và lợi nhuận sau thuế 75 tỷ đồng.")], None)
    by_text = {c.text: c for c in cands if c.kind == "amount"}
    assert by_text["920 tỷ đồng"].feats["lead_out"] == 0.0
    assert by_text["75 tỷ đồng"].feats["lead_in"] > 0.3


def test_a_reason_and_the_clause_that_holds_it_are_one_answer():
    """"do việc tích nước của các hồ" and "xảy ra do việc tích nước của các hồ" in one sentence
    are one answer; equal texts anywhere are one; names that overlap are not merged (only
    reasons and clauses), nor are clauses of another sentence."""
    from app.reader import mentions

    s = "Động đất ở đây xảy ra do việc tích nước của các hồ thủy điện, theo ông Lê Văn A."
    reason = (s.index("do việc"), s.index(", theo"))
    clause = (s.index("xảy ra"), s.index(", theo"))
    groups = mentions([("do viec tich nuoc cua cac ho thuy dien", "reason", 1, reason),
                       ("xay ra do viec tich nuoc cua cac ho thuy dien", "clause", 1, clause),
                       ("le van a", "person", 1, (s.index("Lê"), len(s) - 1)),
                       ("van a", "name", 1, (s.index("Văn"), len(s) - 1)),
                       ("do viec tich nuoc cua cac ho thuy dien", "reason", 2, (0, 10)),
                       ("mua lon", "clause", 2, (20, 27))])
    assert groups[0] == groups[1] == groups[4]
    assert groups[2] != groups[3] and groups[5] != groups[0]


def test_a_name_after_an_honorific_and_with_a_particle_is_whole():
    """"Ông Ramon dela Cruz": the honorific is not a surname here, "dela" stays inside the name;
    "Viện trưởng Viện X" is a title, the organisation is "Viện X"."""
    from ingest.chunk import tag

    s = "Ông Ramon dela Cruz, Chủ tịch Tập đoàn Luzon Grains, cho biết Philippines tăng nhập khẩu gạo."
    assert "Ramon dela Cruz" in texts(s, sp.names(s, tag(s)))
    assert not any(x.startswith("Ông") for x in texts(s, sp.people(s, tag(s)) + sp.names(s, tag(s))))
    t = "Theo PGS.TS Lê Quang Hiếu, Phó Viện trưởng Viện Vật lý địa cầu, động đất là động đất kích thích."
    assert texts(t, sp.orgs(t, tag(t))) == ["Viện Vật lý địa cầu"]
    # "trường" of "Môi trường" is no school before a name: the name is a person, the ministry ends before it
    m = "Thứ trưởng Bộ Nông nghiệp và Môi trường Phan Đức Long yêu cầu các tỉnh không để người dân ở lại trên tàu."
    assert texts(m, sp.people(m, tag(m))) == ["Phan Đức Long"]
    assert texts(m, sp.orgs(m, tag(m))) == ["Bộ Nông nghiệp và Môi trường"]
    school = "Học sinh trường Lê Quý Đôn đạt giải nhất."
    assert texts(school, sp.people(school, tag(school))) == []


@pytest.mark.parametrize("question, end", [
    ("Until when?", "end"),
    ("Đợt cao điểm kéo dài đến ngày nào?", "end"),
    ("When does in-person enrolment start?", "start"),
    ("Khi nào dự án bắt đầu nhận hồ sơ?", "start"),
    ("Bão đổ bộ khi nào?", ""),
])
def test_which_end_of_a_period_a_when_question_asks(question, end):
    assert parse(question).range_end == end


def test_the_date_after_den_ends_a_period_and_after_tu_starts_it():
    from app.reader import Reader

    reader = Reader()
    text = "Thủ tục nhập học trực tiếp diễn ra từ ngày 3-9 đến ngày 6-9."
    for question, right, other in (("Thủ tục nhập học trực tiếp kéo dài đến ngày nào?", "ngày 6-9", "ngày 3-9"),
                                   ("Thủ tục nhập học trực tiếp bắt đầu từ ngày nào?", "ngày 3-9", "ngày 6-9")):
        _, cands = reader.score(parse(question, []), [_one_passage(text)], None)
        by_text = {c.text: c for c in cands if c.kind == "date"}
        assert by_text[right].feats["range_match"] == 1.0 and by_text[other].feats["range_miss"] == 1.0
        assert by_text[right].share > by_text[other].share


def test_a_question_asking_from_when_to_when_wants_the_whole_period():
    from app.reader import Reader

    reader = Reader()
    text = "Chiều 23-10, lễ hội đã khép lại sau 3 ngày diễn ra, từ 21 đến 23-10, tại các đền tháp."
    for question in ("Lễ hội diễn ra từ ngày nào đến ngày nào?", "le hoi dien ra tu ngay nao den ngay nao",
                     "From when to when was the festival held?"):
        q = parse(question, [])
        assert q.range_end == "both", question
        _, cands = reader.score(q, [_one_passage(text)], None)
        by_text = {c.text: c for c in cands if c.kind == "date"}
        assert by_text["21 đến 23-10"].feats["range_match"] == 1.0
        assert by_text["Chiều 23-10"].feats["range_match"] == 0.0


def test_a_why_tells_a_cause_from_a_purpose_and_a_how_asks_neither():
    from app.reader import Reader

    reader = Reader()
    text = "Do mưa lớn kéo dài, Ban tổ chức phải hoãn chung kết nhảy sào nam để bảo đảm an toàn cho VĐV."
    _, cands = reader.score(parse("Vì sao chung kết nhảy sào nam bị hoãn?", []), [_one_passage(text)], None)
    reasons = {c.text: c.feats for c in cands if c.kind == "reason"}
    assert reasons["để bảo đảm an toàn cho VĐV"]["purpose_cue"] == 1.0
    assert reasons["để bảo đảm an toàn cho VĐV"]["purpose_match"] == 0.0
    assert all(f["purpose_cue"] == 0.0 for t, f in reasons.items() if t.startswith("Do"))
    _, cands = reader.score(parse("Ban tổ chức hoãn chung kết nhằm mục đích gì?", []), [_one_passage(text)], None)
    assert any(c.feats.get("purpose_match") == 1.0 for c in cands if c.kind == "reason")
    _, cands = reader.score(parse("Ban tổ chức xử lý ra sao?", []), [_one_passage(text)], None)
    assert cands and all(c.feats.get("q_manner") == 1.0 for c in cands)


def test_a_rank_is_no_amount():
    s = "Liên hoan phim Quy Nhơn lần thứ 3 thu hút 25.000 lượt người xem, đội xếp thứ 2 chung cuộc."
    found = texts(s, sp.amounts(s, None))
    assert not any(x.startswith(("3", "2 ")) for x in found)
    assert any(x.startswith("25.000") for x in found)


@pytest.mark.parametrize("question, score", [
    ("Xuất khẩu gạo 2 tháng đầu năm đạt bao nhiêu?", False),
    ("Mỗi tháng hộ nghèo được hỗ trợ bao nhiêu tiền?", False),
    ("tu dau thang 1 tinh xay ra bao nhieu vu chay", False),
    ("Đội khách thắng với cách biệt bao nhiêu bàn?", True),
    ("Đội chủ nhà thua bao nhiêu bàn trong hiệp một?", True),
])
def test_a_month_is_no_win(question, score):
    """Folded, "tháng" (a month) is "thắng" (won): the score words are read with their marks."""
    assert (parse(question).wants == "score") is score


def test_a_word_names_one_province():
    """Typed without marks, "Lạng Sơn là" also spells "Sơn La": the mention that starts first wins."""
    from ingest.metadata import find_provinces

    assert find_provinces("muc ho tro moi hoc sinh o lang son la bao nhieu", folded=True) == ["Lạng Sơn"]
    assert find_provinces("lang son va son la", folded=True) == ["Lạng Sơn", "Sơn La"]
    assert parse("hoc phi o lang son la bao nhieu").provinces == ["Lạng Sơn"]


@pytest.mark.parametrize("question, provinces", [
    ("Where is the company run by Hồ Quang Trí?", []),
    ("Giá thuê căn hộ hai phòng ngủ ở Đà Nẵng là bao nhiêu?", ["Đà Nẵng"]),
    ("Trang trại của bà Đinh Thị Huệ nuôi bao nhiêu con gà?", []),
    ("Bão đổ bộ vào Quảng Trị lúc nào?", ["Quảng Trị"]),
    ("Bệnh viện Thanh Hoá có bao nhiêu giường?", ["Thanh Hóa"]),
    ("bao do bo vao quang tri luc nao", ["Quảng Trị"]),
])
def test_a_question_written_with_marks_names_a_province_only_with_the_provinces_own(question, provinces):
    """Folded, "Quang Trí", "hai phòng" and "Huệ" spell Quảng Trị, Hải Phòng and Huế."""
    assert parse(question).provinces == provinces


def test_a_follow_up_typed_without_marks_swaps_the_place_of_a_question_typed_without_them():
    """No capitals to find the subject by: the last place the previous question names gives way."""
    hist = [{"role": "user", "content": "bao nhieu nguoi chet trong vu sat lo o quang nam"},
            {"role": "assistant", "content": "5 người [1]."}]
    q = parse("con da nang thi sao", hist)
    assert q.provinces == ["Đà Nẵng"] and "quang nam" not in q.rewritten


@pytest.mark.parametrize("question, qtype", [
    ("Người dân phải nộp hồ sơ trước thời hạn nào?", "when"),
    ("Hạn chót nộp hồ sơ là khi nào?", "when"),
    ("Nguồn nước được lấy từ đâu?", "where"),
    ("Từ đầu năm đến nay có bao nhiêu vụ cháy?", "how_many"),
    ("nha may dua may cat vao hoat dong ngay nao", "when"),
    ("co may nguoi bi thuong", "how_many"),
])
def test_question_words_news_writes_every_day(question, qtype):
    """Unmarked "may" is as often "máy" (a machine) as "mấy": another asking word wins; "thời hạn
    nào" asks a date; "từ đâu" asks where, "từ đầu năm" does not."""
    assert parse(question).qtype == qtype
