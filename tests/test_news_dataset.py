"""The multi-topic news set (eval/datasets/news/, news_train.jsonl, news_test.jsonl) is honest:
every expected string is really in its article's body, the bait of unanswerable questions is not,
and no article has questions in both splits. Fast: no index, no model."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from eval.dataset import load
from eval.text import contains, fold

DATASETS = Path(__file__).resolve().parents[1] / "eval" / "datasets"
NEWS = DATASETS / "news"
TRAIN = load(DATASETS / "news_train.jsonl")
TEST = load(DATASETS / "news_test.jsonl")
ITEMS = TRAIN + TEST
RAW = {p.name: p.read_text(encoding="utf-8") for p in sorted(NEWS.glob("*.txt"))}
RELATED = re.compile(r"^(Tin liên quan|Đọc thêm)\s*$", re.M)


def split_page(text: str) -> tuple[str, str]:
    """(article body, the related-headlines block at the end of the page or "")."""
    m = RELATED.search(text)
    return (text[: m.start()], text[m.end():]) if m else (text, "")


BODY = {name: split_page(text)[0] for name, text in RAW.items()}
FURNITURE = {name: split_page(text)[1] for name, text in RAW.items()}


# The loader ignores unknown fields; `about` names the article a question was written from, which
# unanswerable questions cannot say in `articles`. The split is by it.
ABOUT = {
    rec["id"]: rec["about"]
    for f in ("news_train.jsonl", "news_test.jsonl")
    for rec in map(json.loads, (DATASETS / f).read_text(encoding="utf-8").splitlines())
}


def about(item) -> str:
    return ABOUT[item.id]


def test_articles_are_news_pages_of_the_right_size():
    assert len(RAW) >= 14
    for name, text in RAW.items():
        assert re.fullmatch(r"[a-z0-9-]+\.txt", name), name
        assert unicodedata.normalize("NFC", text) == text, f"{name} is not NFC"
        title, blank = text.split("\n")[:2]
        assert title and not title.endswith(".") and not blank, f"{name}: a title line, then a blank line"
        assert 250 <= len(BODY[name].split()) <= 600, name
        assert "hop tac" not in fold(title) and "hoi nghi" not in fold(title), name
    assert sum(bool(block.strip()) for block in FURNITURE.values()) >= 8


def test_ids_unique_across_splits():
    ids = Counter(i.id for i in ITEMS)
    assert not [k for k, n in ids.items() if n > 1]


def test_split_is_by_article():
    train, test = {about(i) for i in TRAIN}, {about(i) for i in TEST}
    assert not train & test
    assert train | test == set(RAW), "every article has questions, in one split"
    assert len(test) >= 5 and len(TEST) >= 60
    assert len(ITEMS) >= 180


def test_slices_types_and_languages():
    slices = Counter(i.slice for i in ITEMS)
    assert slices["vi"] >= 60 and slices["vi_unaccented"] >= 20 and slices["en"] >= 35
    assert slices["followup"] >= 15 and slices["unanswerable"] >= 15 and slices["noise"] >= 8
    types = Counter(i.type for i in ITEMS)
    assert set(types) == {"who", "when", "where", "how_many", "what", "why", "yesno"}
    assert types["when"] >= 12 and types["why"] >= 12
    for split in (TRAIN, TEST):
        assert {"vi", "vi_unaccented", "en", "followup", "unanswerable", "noise"} <= {i.slice for i in split}
    for i in ITEMS:
        if i.slice in ("vi", "vi_unaccented", "en"):
            assert i.language == ("en" if i.slice == "en" else "vi"), i.id
        if i.slice == "vi_unaccented":
            assert i.question.isascii(), i.id
        if i.slice == "vi":
            assert not i.question.isascii(), i.id
        if i.slice == "followup":
            assert [t.role for t in i.history] == ["user", "assistant"], i.id
        else:
            assert not i.history, i.id


@pytest.mark.parametrize("item", [i for i in ITEMS if i.answerable], ids=lambda i: i.id)
def test_expected_strings_are_in_the_article_body(item):
    assert item.slice not in ("unanswerable", "noise")
    assert item.articles == [about(item)]
    body = BODY[about(item)]
    for s in item.answer_all:
        assert contains(body, s), s
    if item.answer_any:
        assert any(contains(body, s) for s in item.answer_any), item.answer_any
    # A bait string inside an expected one would fail every right answer.
    for bad in item.must_not:
        assert not any(contains(s, bad) for s in item.expected), bad


@pytest.mark.parametrize("item", [i for i in ITEMS if not i.answerable], ids=lambda i: i.id)
def test_refusals_have_nothing_to_find(item):
    assert item.slice in ("unanswerable", "noise")
    assert not item.articles and not item.expected
    assert about(item) in RAW
    if item.slice == "noise":
        # The answer is on the page, but only in the related-headlines block, never in an article body.
        assert item.must_not
        assert any(contains(FURNITURE[about(item)], bait) for bait in item.must_not)
        for bait in item.must_not:
            assert not any(contains(body, bait) for body in BODY.values()), bait
