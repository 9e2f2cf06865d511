"""The multi-topic news sets (eval/datasets/news/ with news_train.jsonl and news_test.jsonl, news2/ with
news2_test.jsonl only, news3/ to news7/ each with <set>_train.jsonl and <set>_test.jsonl) are
honest: every expected string is really in its article's body, the bait of unanswerable questions is not,
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
SETS = ("news", "news2", "news3", "news4", "news5", "news6", "news7")
SPLITS = {name: (load(DATASETS / f"{name}_train.jsonl") if (DATASETS / f"{name}_train.jsonl").exists() else [],
                 load(DATASETS / f"{name}_test.jsonl")) for name in SETS}
TRAIN, TEST = SPLITS["news"]
ITEMS = TRAIN + TEST
EVERY = [(name, i) for name in SETS for split in SPLITS[name] for i in split]
RAW = {name: {p.name: p.read_text(encoding="utf-8") for p in sorted((DATASETS / name).glob("*.txt"))}
       for name in SETS}
RELATED = re.compile(r"^(Tin liên quan|Đọc thêm)\s*$", re.M)


def split_page(text: str) -> tuple[str, str]:
    """(article body, the related-headlines block at the end of the page or "")."""
    m = RELATED.search(text)
    return (text[: m.start()], text[m.end():]) if m else (text, "")


BODY = {name: split_page(text)[0] for raw in RAW.values() for name, text in raw.items()}
FURNITURE = {name: split_page(text)[1] for raw in RAW.values() for name, text in raw.items()}


# The loader ignores unknown fields; `about` names the article a question was written from, which
# unanswerable questions cannot say in `articles`. The split is by it.
ABOUT = {
    rec["id"]: rec["about"]
    for name in SETS
    for f in (f"{name}_train.jsonl", f"{name}_test.jsonl") if (DATASETS / f).exists()
    for rec in map(json.loads, (DATASETS / f).read_text(encoding="utf-8").splitlines())
}


def about(item) -> str:
    return ABOUT[item.id]


@pytest.mark.parametrize("corpus", SETS)
def test_articles_are_news_pages_of_the_right_size(corpus):
    assert len(RAW[corpus]) >= 9
    for name, text in RAW[corpus].items():
        assert re.fullmatch(r"[a-z0-9-]+\.txt", name), name
        assert unicodedata.normalize("NFC", text) == text, f"{name} is not NFC"
        title, blank = text.split("\n")[:2]
        assert title and not title.endswith(".") and not blank, f"{name}: a title line, then a blank line"
        assert 250 <= len(BODY[name].split()) <= 600, name
        assert "hop tac" not in fold(title) and "hoi nghi" not in fold(title), name
    assert len(RAW["news"]) >= 14 and sum(bool(block.strip()) for block in FURNITURE.values()) >= 8
    assert not set(RAW["news"]) & set(RAW["news2"])
    # File names are the keys of BODY and FURNITURE: no two sets may share one.
    assert sum(map(len, RAW.values())) == len(set().union(*RAW.values()))
    assert len(RAW["news3"]) >= 12 and sum(bool(FURNITURE[name].strip()) for name in RAW["news3"]) >= 8
    assert len(RAW["news4"]) >= 12 and sum(bool(FURNITURE[name].strip()) for name in RAW["news4"]) >= 8
    assert len(RAW["news5"]) >= 12 and sum(bool(FURNITURE[name].strip()) for name in RAW["news5"]) >= 8
    assert len(RAW["news6"]) >= 12 and sum(bool(FURNITURE[name].strip()) for name in RAW["news6"]) >= 8
    assert len(RAW["news7"]) >= 12 and sum(bool(FURNITURE[name].strip()) for name in RAW["news7"]) >= 8


def test_ids_unique_across_splits_and_sets():
    ids = Counter(i.id for _, i in EVERY)
    assert not [k for k, n in ids.items() if n > 1]


@pytest.mark.parametrize("corpus", SETS)
def test_split_is_by_article(corpus):
    train, test = ({about(i) for i in split} for split in SPLITS[corpus])
    assert not train & test
    assert train | test == set(RAW[corpus]), "every article has questions, in one split"
    assert len(test) >= 3 and len(test) * 4 >= len(train | test)
    assert len(TEST) >= 60 and len(ITEMS) >= 180 and len(SPLITS["news2"][1]) >= 100
    assert len(SPLITS["news3"][0] + SPLITS["news3"][1]) >= 180 and len(SPLITS["news3"][1]) >= 55
    assert len(SPLITS["news4"][0] + SPLITS["news4"][1]) >= 180 and len(SPLITS["news4"][1]) >= 55
    assert len(SPLITS["news5"][0] + SPLITS["news5"][1]) >= 180 and len(SPLITS["news5"][1]) >= 55
    assert len(SPLITS["news6"][0] + SPLITS["news6"][1]) >= 180 and len(SPLITS["news6"][1]) >= 55
    assert len(SPLITS["news7"][0] + SPLITS["news7"][1]) >= 180 and len(SPLITS["news7"][1]) >= 55


# The least each set with a train/test split holds of every slice.
SLICE_MINIMUM = {
    "news": {"vi": 60, "vi_unaccented": 20, "en": 35, "followup": 15, "unanswerable": 15, "noise": 8},
    "news3": {"vi": 80, "vi_unaccented": 25, "en": 45, "followup": 12, "unanswerable": 12, "noise": 6},
    "news4": {"vi": 80, "vi_unaccented": 25, "en": 45, "followup": 12, "unanswerable": 12, "noise": 6},
    "news5": {"vi": 80, "vi_unaccented": 25, "en": 45, "followup": 12, "unanswerable": 12, "noise": 6},
    "news6": {"vi": 80, "vi_unaccented": 25, "en": 45, "followup": 12, "unanswerable": 12, "noise": 6},
    "news7": {"vi": 80, "vi_unaccented": 25, "en": 45, "followup": 12, "unanswerable": 12, "noise": 6},
}


@pytest.mark.parametrize("corpus", sorted(SLICE_MINIMUM))
def test_slices_types_and_languages(corpus):
    TRAIN, TEST = SPLITS[corpus]
    ITEMS = TRAIN + TEST
    slices = Counter(i.slice for i in ITEMS)
    assert all(slices[name] >= least for name, least in SLICE_MINIMUM[corpus].items()), slices
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


@pytest.mark.parametrize("item", [i for _, i in EVERY if i.answerable], ids=lambda i: i.id)
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


@pytest.mark.parametrize("corpus, item", [(n, i) for n, i in EVERY if not i.answerable],
                         ids=lambda v: getattr(v, "id", v))
def test_refusals_have_nothing_to_find(corpus, item):
    assert item.slice in ("unanswerable", "noise")
    assert not item.articles and not item.expected
    assert about(item) in BODY
    if item.slice == "noise":
        # The answer is on the page, but only in the related-headlines block, never in an article body.
        assert item.must_not
        assert any(contains(FURNITURE[about(item)], bait) for bait in item.must_not)
        for bait in item.must_not:  # in no article of the index it is asked on
            assert not any(contains(split_page(raw)[0], bait) for raw in RAW[corpus].values()), bait
