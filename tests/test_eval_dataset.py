"""The gold set is consistent with the articles it was written from (no index needed)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from app.settings import SAMPLE_CORPUS
from eval.dataset import GOLD, load
from eval.text import contains, fold
from ingest.errors import BadInput

ITEMS = load()
ARTICLES = {p.name: p.read_text(encoding="utf-8") for p in SAMPLE_CORPUS.iterdir() if p.is_file()}


def test_gold_covers_every_article_slice_and_type():
    assert len(ITEMS) >= 110
    assert {a for i in ITEMS for a in i.articles} == set(ARTICLES)
    slices = Counter(i.slice for i in ITEMS)
    assert set(slices) == {"vi", "vi_unaccented", "en", "followup", "multi", "unanswerable", "noise"}
    assert {i.type for i in ITEMS} == {"who", "when", "where", "how_many", "what", "yesno", "why"}
    assert all(i.history for i in ITEMS if i.slice == "followup")
    assert 25 <= sum(i.ci for i in ITEMS) <= 40


def test_mission_example_in_three_forms():
    chair = {i.question: i for i in ITEMS if i.answer_all == ["Nguyễn Thị Bích Ngọc", "Bùi Xuân Hòa"]}
    assert {"Ai chủ trì hội nghị ở Thái Nguyên?", "ai chu tri hoi nghi o thai nguyen",
            "Who chaired the Thái Nguyên meeting?"} <= set(chair)


@pytest.mark.parametrize("item", [i for i in ITEMS if i.answerable], ids=lambda i: i.id)
def test_expected_strings_are_in_the_expected_articles(item):
    texts = [ARTICLES[a] for a in item.articles]
    assert texts, "an answerable question names its article(s)"
    for s in item.answer_all:
        assert any(contains(t, s) for t in texts), s
    if item.answer_any:
        assert any(contains(t, s) for t in texts for s in item.answer_any)


@pytest.mark.parametrize("item", [i for i in ITEMS if i.slice == "noise"], ids=lambda i: i.id)
def test_noise_bait_comes_from_page_furniture(item):
    # The bait strings exist in the raw files (the headline blocks), so a pipeline that keeps
    # the blocks can be tempted; the gold answer is still a refusal.
    assert not item.answerable and not item.articles
    raw = fold("\n".join(ARTICLES.values()))
    assert all(fold(m) in raw for m in item.must_not)


def test_bad_lines_are_named(tmp_path):
    bad = tmp_path / "set.jsonl"
    bad.write_text(json.dumps({"id": "a", "question": "Ai?"}) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(BadInput, match="line 1: .*answer_all"):
        load(bad)
    bad.write_text(json.dumps({"id": "a", "question": "Ai?", "answer_all": ["x"]}) + "\n{oops\n")
    with pytest.raises(BadInput, match="line 2: not JSON"):
        load(bad)
    with pytest.raises(BadInput, match="not found"):
        load(tmp_path / "missing.jsonl")
    assert GOLD.is_file()


@pytest.mark.parametrize("a,b", [("Hoà", "hòa"), ("2017 - 2020", "2017–2020"), ("Đồng", "dong"),
                                 ("Bùi Xuân Hòa", "bui  xuan hoa")])
def test_fold_ignores_typography(a, b):
    assert fold(a) == fold(b)
    assert not contains("anything", "")


@pytest.mark.parametrize("text,expected,held", [
    ("Ngày 12-10", "2-10", False),  # another date that ends the same way
    ("250 người", "25", False),
    ("ngày 2-10", "2-10", True),
    ("(3 tỷ đồng)", "3 tỷ đồng", True),
    ("Điện Bàn.", "dien ban", True),
])
def test_an_answer_is_held_as_whole_words(text, expected, held):
    assert contains(text, expected) is held


def test_a_candidate_is_not_the_answer_when_its_number_differs():
    """Training labels: "90 phút" shares the word "phút" with "25 phút" (token F1 0.5), yet it
    is a wrong answer; the reader must not learn it as a right one."""
    from eval.fit_reader import is_answer

    row = {"answerable": True, "set": "news", "answers": ["25 phút", "25 minutes"], "all": [], "any": []}
    assert not is_answer("90 phút", row, "amount")
    assert is_answer("khoảng 25 phút", row, "amount")
    assert not is_answer("800 triệu đồng", {**row, "answers": ["400 triệu đồng"]}, "amount")
