"""Eval scoring rules, SQuAD EM/F1, feedback export and report files (no index needed)."""

from __future__ import annotations

import json

import pytest

from app.feedback import FeedbackStore
from eval import report
from eval.dataset import GoldItem, load
from eval.feedback import answer_line, export
from eval.metrics import Outcome, Retrieved, describe, hit_at, is_correct, is_supported, mrr_at, ranks, summarize
from eval.squad_data import best, exact_match, f1_score, load_squad, sample

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
