"""Eval scoring rules, SQuAD EM/F1, feedback export and report files (no index needed)."""

from __future__ import annotations

import json

import pytest

from app.feedback import FeedbackStore
from app.schema import Answer, Citation
from eval import report
from eval.dataset import GoldItem, load
from eval.feedback import answer_line, export
from eval.metrics import (
    Outcome,
    Retrieved,
    describe,
    expected_answers,
    hit_at,
    is_correct,
    is_supported,
    mrr_at,
    outcome_of,
    ranks,
    reading,
    reading_by_language,
    summarize,
)
from eval.squad_data import Paragraph, Question, best, exact_match, f1_score, load_squad, sample, split_questions

TN = "ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt"
CHAIR = GoldItem(id="c", question="Ai chủ trì hội nghị ở Thái Nguyên?", answer_all=["Nguyễn Thị Bích Ngọc",
                 "Bùi Xuân Hòa"], articles=[TN], type="who")
GIFT = GoldItem(id="g", question="Hà Nội tặng bao nhiêu?", answer_any=["3 tỷ đồng", "3 billion"],
                must_not=["Điện Biên"], articles=[TN], slice="en", language="en")
NOISE = GoldItem(id="n", question="Ai là Bí thư Thành ủy Đồng Xoài?", answerable=False, slice="noise",
                 must_not=["Phạm Thị Bích Thủy"])


@pytest.mark.parametrize("item,answer,refused,ok", [
    (CHAIR, "NGUYEN THI BICH NGOC va Bui Xuan Hoa [1]", False, True),  # folded, any case
    (CHAIR, "Nguyễn Thị Bích Ngọc [1]", False, False),  # a co-chair missing
    (CHAIR, "Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa", True, False),  # refused
    (GIFT, "3 billion dong (3 tỷ đồng) [1]", False, True),
    (GIFT, "3 tỷ đồng, như Điện Biên", False, False),  # must_not wins
    (NOISE, "Các bài báo không nói về điều này.", True, True),
    (NOISE, "Phạm Thị Bích Thủy [1]", False, False),
    # the quoted evidence is not what the reply says: it neither saves a wrong answer ...
    (GIFT, "5 tỷ đồng [1].\n\n> Hà Nội tặng 3 tỷ đồng, tỉnh bạn tặng 5 tỷ đồng. [1]", False, False),
    # ... nor spoils a right one by naming a rival
    (GIFT, "3 tỷ đồng [1].\n\n> Hà Nội tặng 3 tỷ đồng, Điện Biên nhận 1 tỷ đồng. [1]", False, True),
    (GoldItem(id="y", question="Tài xế có bị tạm giữ không?", answer_any=["tạm giữ"], articles=[TN], type="yesno"),
     "Có [1].\n\n> Hiện tài xế đã bị tạm giữ để điều tra. [1]", False, True),  # yes/no: the deciding fact
])
def test_is_correct(item, answer, refused, ok):
    assert is_correct(item, answer, refused) is ok


def test_support_and_ranks_use_llama_index_metrics():
    passages = [Retrieved("a", "other.txt", "3 tỷ đồng cho Hải Dương"), Retrieved("b", TN, "Quang cảnh hội nghị."),
                Retrieved("c", TN, "trao tặng tỉnh Thái Nguyên 3 tỷ đồng")]
    articles, passage_ids = ranks(GIFT, passages)
    assert articles == ["other.txt", TN, TN]
    assert passage_ids == ["a", "b", "+c"]  # a mentions the amount but is another article
    assert hit_at([TN], articles, 1) == 0.0 and hit_at([TN], articles, 5) == 1.0
    assert mrr_at([TN], articles) == pytest.approx(0.5)
    assert mrr_at(["+c"], passage_ids) == pytest.approx(1 / 3)
    assert hit_at([TN], [], 5) == 0.0
    assert is_supported(GIFT, ["... 3 TY DONG ..."]) and not is_supported(GIFT, ["Quang cảnh hội nghị."])


def _outcome(item, correct, refused, total=10.0, slice_=None):
    return Outcome(id=item.id, system="hybrid", slice=slice_ or item.slice, type=item.type, language=item.language,
                   answerable=item.answerable, question=item.question, answer="x", refused=refused,
                   correct=correct, supported=(correct if item.answerable and not refused else None),
                   article_ids=[TN] if item.articles else [], passage_ids=["+p"] if item.articles else [],
                   timings={"retrieve": total / 2, "answer": 1.0, "total": total}, expected=describe(item))


def test_summary_counts_refusals_and_slices():
    gold = {i.id: i for i in (CHAIR, GIFT, NOISE)}
    outs = [_outcome(CHAIR, True, False, 10), _outcome(GIFT, False, True, 30), _outcome(NOISE, True, True, 20)]
    s = summarize(outs, gold)
    assert s["accuracy"] == pytest.approx(2 / 3)
    assert s["refusal_accuracy"] == 1.0 and s["false_refusal_rate"] == 0.5
    assert s["citation_support"] == 1.0  # only the one answered question counts
    assert s["per_slice"]["vi"]["accuracy"] == 1.0 and s["per_slice"]["en"]["accuracy"] == 0.0
    assert s["retrieval"]["article_hit@1"] == 1.0 and s["retrieval"]["n"] == 2
    assert s["latency_ms"]["total"]["p50"] == 20.0


def test_report_files(tmp_path):
    gold = {i.id: i for i in (CHAIR, GIFT, NOISE)}
    outs = [_outcome(CHAIR, True, False), _outcome(GIFT, False, True), _outcome(NOISE, True, True)]
    results = {"started": "now", "command": "hoidap eval", "machine": {"cpu": "x", "cores": 2, "python": "3"},
               "gold": {"dataset": "t", "n": 3, "notes": "", "outcomes": [o.to_json() for o in outs],
                        "summaries": {"hybrid": summarize(outs, gold), "bm25": summarize(outs, gold)}}}
    files = report.write(results, tmp_path / "r")
    names = {f.name for f in files}
    assert {"results.json", "summary.md", "accuracy_per_slice.png", "latency.png"} <= names
    assert json.loads((tmp_path / "r" / "results.json").read_text())["gold"]["n"] == 3
    md = (tmp_path / "r" / "summary.md").read_text()
    assert "| bm25 |" in md and "| g | Hà Nội tặng bao nhiêu? | (refused)" in md
    assert "one of: 3 tỷ đồng / 3 billion (not: Điện Biên)" in md  # '|' is escaped in table cells
    assert all((tmp_path / "r" / n).read_bytes()[:4] == b"\x89PNG" for n in names if n.endswith(".png"))


@pytest.mark.parametrize("pred,gold,lang,em,f1", [
    ("Nguyễn Văn A.", "nguyễn văn a", "vi", 1.0, 1.0),
    ("ông Nguyễn Văn A", "Nguyễn Văn A", "vi", 0.0, pytest.approx(6 / 7)),
    ("The Broncos", "Broncos", "en", 1.0, 1.0),  # English article removed
    ("the đội", "đội", "vi", 0.0, pytest.approx(2 / 3)),  # no article removal in Vietnamese
    ("", "308", "vi", 0.0, 0.0),
])
def test_squad_scores(pred, gold, lang, em, f1):
    assert exact_match(pred, gold, lang) == em
    assert f1_score(pred, gold, lang) == f1
    assert best(f1_score, pred, ["zzz", gold], lang) == f1


def test_squad_file_with_english_companion(tmp_path):
    def squad(q):
        return {"version": "1.1", "data": [{"title": "T", "paragraphs": [
            {"context": "Ngữ cảnh có 308 điểm.", "qas": [{"id": "q1", "question": q,
                                                          "answers": [{"text": "308", "answer_start": 13}]}]}]}]}
    (tmp_path / "x.vi.json").write_text(json.dumps(squad("Bao nhiêu điểm?")), encoding="utf-8")
    (tmp_path / "x.en.json").write_text(json.dumps(squad("How many points?")), encoding="utf-8")
    paragraphs, questions = load_squad(tmp_path / "x.vi.json")
    assert [p.pid for p in paragraphs] == ["00-00"]
    assert [(q.language, q.question, q.answers) for q in questions] == [
        ("vi", "Bao nhiêu điểm?", ["308"]), ("en", "How many points?", ["308"])]
    assert sample(questions, 1, seed=3) == questions  # both languages of the one sampled id


def test_feedback_export_round_trips_through_the_loader(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite")
    good = {"answer": "Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa [1].\n\n> quote", "language": "vi", "refused": False,
            "question_type": "who", "citations": [{"path": f"/x/{TN}"}]}
    store.record("chat", "Ai chủ trì?", good, 1)
    store.record("slack", "Ai là Bí thư Đồng Xoài?", {"answer": "Không có.", "refused": True, "language": "vi"}, 1)
    store.record("chat", "Bao nhiêu?", {"answer": "5 tỷ [1]", "refused": False, "language": "vi"}, -1)
    out = tmp_path / "feedback.jsonl"
    assert export(tmp_path / "fb.sqlite", out) == 3
    items = load(out)  # the 👎 line waits for review and is skipped
    assert [(i.answer_any, i.articles, i.answerable) for i in items] == [
        (["Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa."], [TN], True), ([], [], False)]
    assert json.loads(out.read_text().splitlines()[2])["must_not"] == ["5 tỷ"]
    assert answer_line("") == ""


# -- reading measures: three outcomes, the cited sentence, the short answer ----------------------
PASSAGE = "Mở đầu. Bà Nguyễn Thị Bích Ngọc và ông Bùi Xuân Hòa chủ trì hội nghị. Hà Nội tặng 3 tỷ đồng."
SENT = (8, 67)  # the chair sentence inside PASSAGE


def _cite(answer_span=None, sentence=SENT, marker=1):
    return Citation(marker=marker, doc_id="d", chunk_id="c", title="t", path=TN, text=PASSAGE, start=0,
                    end=len(PASSAGE), score=1.0, sentence_start=sentence[0] if sentence else None,
                    sentence_end=sentence[1] if sentence else None,
                    answer_start=answer_span[0] if answer_span else None,
                    answer_end=answer_span[1] if answer_span else None)


def _reply(ans: Answer, item=CHAIR) -> dict:
    return reading(item, ans.answer, ans.refused, ans.outcome, ans.citations)


def test_outcome_of_trusts_the_field_only_when_it_agrees_with_refused():
    assert outcome_of(False, "answer") == "answer" and outcome_of(True, "closest") == "closest"
    assert outcome_of(True, "refused") == "refused"
    # answers from before the field (schema default "answer", or none at all)
    assert outcome_of(True, "answer") == "refused" and outcome_of(True, None) == "refused"
    assert outcome_of(False, None) == "answer" and outcome_of(False, "closest") == "answer"


def test_reading_of_a_short_answer_scores_the_highlighted_span():
    span = (PASSAGE.index("Nguyễn"), PASSAGE.index(" chủ trì"))
    ans = Answer(question="q", answer="Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa [1].\n\n> quote [1]", language="vi",
                 refused=False, outcome="answer", citations=[_cite(span)])
    r = _reply(ans)
    assert r["outcome"] == "answer" and r["short"] == "Nguyễn Thị Bích Ngọc và ông Bùi Xuân Hòa"
    assert r["sentence_hit"] is True
    # joined expected "Nguyễn Thị Bích Ngọc Bùi Xuân Hòa" (7 tokens) against 9 predicted tokens
    assert r["em"] == 0.0 and r["f1"] == pytest.approx(2 * (7 / 9) * 1 / (7 / 9 + 1))
    # no highlighted span: the reply's first line without its [n] markers
    ans.citations = [_cite(None)]
    assert _reply(ans)["short"] == "Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa." and _reply(ans)["em"] == 0.0
    one = GoldItem(id="o", question="Ai?", answer_all=["Bùi Xuân Hòa"])
    ans.answer = "Bùi Xuân Hòa [1]"
    assert _reply(ans, one)["em"] == 1.0 and _reply(ans, one)["f1"] == 1.0


def test_reading_of_closest_and_refused_replies():
    quote = Answer(question="q", answer="Các bài báo không nói rõ điều này. Gần nhất là: “…” [1]", language="vi",
                   refused=True, outcome="closest", citations=[_cite(None)])
    r = _reply(quote)
    assert (r["outcome"], r["short"], r["em"], r["f1"], r["sentence_hit"]) == ("closest", "", 0.0, 0.0, True)
    quote.citations = [_cite(None, sentence=(69, len(PASSAGE)))]  # quotes the gift sentence instead
    assert _reply(quote)["sentence_hit"] is False
    # an old-style refusal that still carries a citation: nothing cited counts
    refusal = Answer(question="q", answer="Các bài báo không nói về điều này.", language="vi", refused=True,
                     citations=[_cite(None)])
    r = _reply(refusal)
    assert (r["outcome"], r["sentence_hit"], r["f1"]) == ("refused", False, 0.0)
    assert _reply(refusal, NOISE) == {"outcome": "refused", "short": "", "sentence_hit": None, "em": None, "f1": None}


def test_expected_answers_join_every_answer_all_string():
    assert expected_answers(CHAIR) == ["Nguyễn Thị Bích Ngọc Bùi Xuân Hòa"]
    assert expected_answers(GIFT) == ["3 tỷ đồng", "3 billion"]
    both = GoldItem(id="b", question="?", answer_all=["A"], answer_any=["B", "C"])
    assert expected_answers(both) == ["A B", "A C"]


def _read(id_, kind, correct, answerable=True, language="vi", slice_="vi", hit=None, em=None, f1=None, error=None):
    refused = kind != "answer"
    if answerable:
        hit, em, f1 = bool(hit), em or 0.0, f1 or 0.0
    return Outcome(id=id_, system="hybrid", slice=slice_, type=None, language=language, answerable=answerable,
                   question="?", answer="x", refused=refused, correct=correct, supported=None, outcome=kind,
                   sentence_hit=hit, em=em, f1=f1, error=error)


READ = [
    _read("A", "answer", True, hit=True, em=1.0, f1=1.0),
    _read("B", "answer", False, f1=0.4),  # confidently wrong
    _read("C", "closest", False, language="en", slice_="en", hit=True),  # quote holds the answer
    _read("D", "closest", False, slice_="vi_unaccented"),  # quote misses
    _read("E", "refused", False),  # a false refusal
    _read("F", "refused", True, answerable=False, slice_="unanswerable"),
    _read("G", "closest", True, answerable=False, language="en", slice_="noise"),  # asserts nothing
    _read("H", "answer", False, answerable=False, slice_="noise"),  # confidently wrong
    _read("X", "answer", False, error="index unavailable"),  # errors are left out
]


def test_reading_summary_definitions():
    r = reading_by_language(READ)
    a = r["all"]
    assert a["n"] == 8 and a["answerable"] == 5
    assert a["accuracy"] == pytest.approx(3 / 8)  # the gold rule: A, F, G
    assert a["strict_accuracy"] == pytest.approx(2 / 8)  # a closest never counts: A, F
    assert a["lenient_accuracy"] == pytest.approx(4 / 8)  # A, C, F, G
    assert a["sentence_hit"] == pytest.approx(2 / 5) and a["em"] == pytest.approx(1 / 5)
    assert a["f1"] == pytest.approx(1.4 / 5)
    assert a["outcomes"]["answer"] == {"n": 3, "share": 3 / 8, "right": pytest.approx(1 / 3)}
    assert a["outcomes"]["closest"] == {"n": 3, "share": 3 / 8, "right": pytest.approx(2 / 3)}
    assert a["outcomes"]["refused"] == {"n": 2, "share": 2 / 8, "right": 0.5}
    assert a["confidently_wrong"] == pytest.approx(2 / 8)
    assert a["unanswerable_refused"] == pytest.approx(2 / 3)
    assert list(r) == ["all", "vi", "vi_unaccented", "en"]
    assert [r[g]["n"] for g in ("vi", "vi_unaccented", "en")] == [5, 1, 2]
    en = r["en"]
    assert (en["accuracy"], en["strict_accuracy"], en["lenient_accuracy"]) == (0.5, 0.0, 1.0)
    assert en["outcomes"]["answer"] == {"n": 0, "share": 0.0, "right": None} and en["unanswerable_refused"] == 1.0
    assert r["vi_unaccented"]["unanswerable_refused"] is None  # no unanswerable question in that row
    gold = {o.id: GoldItem(id=o.id, question="?", answer_any=["x"]) for o in READ}
    assert summarize(READ, gold)["reading"] == r


def test_squad_split_by_article_in_file_order():
    paragraphs = [Paragraph(f"{a:02d}-{p:02d}", "T", "c") for a in range(5) for p in range(2)]
    questions = [Question(f"q{a}", f"{a:02d}-01", "?", ["x"], lang) for a in range(5) for lang in ("vi", "en")]
    train = split_questions(questions, paragraphs, "train")
    test = split_questions(questions, paragraphs, "test")
    assert {q.pid[:2] for q in train} == {"00", "01", "02"} and {q.pid[:2] for q in test} == {"03", "04"}
    assert len(train) + len(test) == len(questions) == len(split_questions(questions, paragraphs, "all"))
    from ingest.errors import BadInput

    with pytest.raises(BadInput, match="unknown split"):
        split_questions(questions, paragraphs, "dev")


def test_report_of_several_sets_with_reading_measures_and_outcome_plot(tmp_path):
    gold = {o.id: GoldItem(id=o.id, question="?", answer_any=["x"]) for o in READ}
    section = {"dataset": "a/news_test.jsonl", "name": "news_test", "n": 9, "notes": "", "index_used": "own index",
               "outcomes": [o.to_json() for o in READ], "summaries": {"hybrid": summarize(READ, gold)}}
    squad_row = {"n": 4, "hit@1": 1.0, "hit@5": 1.0, "mrr@10": 1.0, "sentence_hit": 0.5, "em": 0.25, "f1": 0.5,
                 "refused": 0.5, "lenient_accuracy": 0.5, "strict_accuracy": 0.25, "confidently_wrong": 0.25,
                 "outcomes": {"answer": {"n": 2, "share": 0.5, "right": 0.5},
                              "closest": {"n": 1, "share": 0.25, "right": 1.0},
                              "refused": {"n": 1, "share": 0.25, "right": 0.0}}, "p50_ms": 20.0}
    results = {"started": "now", "command": "hoidap eval", "datasets": [section, section | {"name": "gold"}],
               "squad": {"dataset": "xquad.vi.json", "paragraphs": 4, "ingest_seconds": 1.0, "questions": "4 vi",
                         "split": "test", "articles": 48, "train_articles": 24, "notes": "",
                         "systems": {"hybrid": {"vi": squad_row}, "bm25": {"vi": {"n": 4, "hit@1": 1.0, "hit@5": 1.0,
                                                                                  "mrr@10": 1.0}}}}}
    files = {f.name for f in report.write(results, tmp_path)}
    assert {"outcomes.png", "accuracy_per_slice_news_test.png", "accuracy_per_slice_gold.png",
            "squad_retrieval.png"} <= files
    assert "latency_gold.png" not in files  # no question was timed: nothing to plot (it used to raise)
    assert (tmp_path / "outcomes.png").read_bytes()[:4] == b"\x89PNG"
    md = (tmp_path / "summary.md").read_text()
    assert md.count("## Gold set: a/news_test.jsonl (9 questions, run on own index)") == 2
    # n, accuracy, strict, lenient, sentence hit, EM, F1, then the three outcomes (share, right)
    assert "| hybrid | all | 8 | 37.5 | 25.0 | 50.0 | 40.0 | 20.0 | 28.0 | 37.5 | 33.3 | 37.5 | 66.7 | 25.0 | 50.0 " \
           "| 25.0 | 66.7 |" in md
    assert "| hybrid | en | 2 | 50.0 | 0.0 | 100.0 |" in md
    assert "| confidently wrong (issue 11) | <= 3% | 25.0% | no |" in md
    assert "split: test (articles 24–47 in file order)" in md
    assert "| hybrid | vi | 4 | 100.0 | 100.0 | 100.0 | 50.0 | 25.0 | 50.0 | 50.0 | 50.0 | 50.0 | 25.0 | 100.0 " \
           "| 25.0 | 0.0 | 25.0 | 20.0 |" in md
    assert "| bm25 | vi | 4 | 100.0 | 100.0 | 100.0 | – |" in md
    assert "| B | ? | x |" in md and "| C | ? | (closest) x |" in md
    rows = report.outcome_rows(results)
    assert [label for label, _ in rows][:2] == ["news_test · all (n=8)", "news_test · vi (n=5)"]
    assert rows[0][1] == pytest.approx([100 / 8, 200 / 8, 300 / 8, 200 / 8])  # right, wrong, closest, refused
    assert rows[-1] == ("squad test · vi (n=4)", pytest.approx([25.0, 25.0, 25.0, 25.0]))
    printed = report.console(results)
    assert "| hybrid | en | 2 |" in printed and "split: test" in printed
