"""Scoring one reply against a gold item, and summing outcomes per system and slice.

Everything compares folded text (``eval.text.fold``). Retrieval ranks use llama-index's
``HitRate`` and ``MRR`` metric classes over ids cut at k, so the numbers mean what they mean in
llama-index reports: an article-level id is the article's file name, a passage-level id is the
chunk id of a retrieved passage that comes from an expected article and contains an expected
string.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate

from eval.dataset import GoldItem
from eval.text import contains

_HIT, _MRR = HitRate(), MRR()
SLICE_ORDER = ["vi", "vi_unaccented", "en", "followup", "multi", "unanswerable", "noise"]


@dataclass
class Retrieved:
    """One retrieved passage, as the metrics need it (any system)."""

    chunk_id: str
    article: str  # file name of the article the passage comes from
    text: str


@dataclass
class Outcome:
    """One gold question through one system."""

    id: str
    system: str
    slice: str
    type: str | None
    language: str
    answerable: bool
    question: str
    answer: str
    refused: bool
    correct: bool
    supported: bool | None  # None when there is nothing to support (refused, or unanswerable)
    article_ids: list[str] = field(default_factory=list)  # retrieved, in rank order
    passage_ids: list[str] = field(default_factory=list)  # 'rel' chunk ids are marked with '+'
    timings: dict[str, float] = field(default_factory=dict)
    expected: str = ""  # for people: "A + B" (all of), "one of: C | D"
    error: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


def describe(item: GoldItem) -> str:
    """The expectation in one line, for reports."""
    if not item.answerable:
        return "refusal"
    parts = [" + ".join(item.answer_all)] if item.answer_all else []
    if item.answer_any:
        parts.append("one of: " + " | ".join(item.answer_any))
    text = "; ".join(parts)
    return text + (f" (not: {', '.join(item.must_not)})" if item.must_not else "")


def is_correct(item: GoldItem, answer: str, refused: bool) -> bool:
    """The gold rule: answer when answerable (with the expected strings), refuse otherwise."""
    if any(contains(answer, s) for s in item.must_not):
        return False
    if not item.answerable:
        return refused
    if refused:
        return False
    if not all(contains(answer, s) for s in item.answer_all):
        return False
    return not item.answer_any or any(contains(answer, s) for s in item.answer_any)


def is_supported(item: GoldItem, cited_texts: list[str]) -> bool:
    """Some cited passage contains an expected answer string."""
    return any(contains(t, s) for t in cited_texts for s in item.expected)


def relevant_passage(item: GoldItem, passage: Retrieved) -> bool:
    return passage.article in item.articles and any(contains(passage.text, s) for s in item.expected)


def ranks(item: GoldItem, retrieved: list[Retrieved]) -> tuple[list[str], list[str]]:
    """Article ids and passage ids in rank order; relevant passages get a '+' prefix."""
    articles = [p.article for p in retrieved]
    passages = [("+" if relevant_passage(item, p) else "") + p.chunk_id for p in retrieved]
    return articles, passages


def hit_at(expected: list[str], retrieved: list[str], k: int) -> float:
    if not expected or not retrieved:
        return 0.0
    return _HIT.compute(expected_ids=expected, retrieved_ids=retrieved[:k]).score


def mrr_at(expected: list[str], retrieved: list[str], k: int = 10) -> float:
    if not expected or not retrieved:
        return 0.0
    return _MRR.compute(expected_ids=expected, retrieved_ids=retrieved[:k]).score


def _retrieval(outcomes: list[Outcome], gold: dict[str, GoldItem]) -> dict[str, float]:
    scored = [o for o in outcomes if o.answerable and gold[o.id].articles and o.article_ids]
    out: dict[str, float] = {"n": len(scored)}
    if not scored:
        return out
    for level in ("article", "passage"):
        rows = []
        for o in scored:
            if level == "article":
                exp, got = gold[o.id].articles, o.article_ids
            else:
                got = o.passage_ids
                exp = [p for p in got if p.startswith("+")] or ["<none>"]
            rows.append((hit_at(exp, got, 1), hit_at(exp, got, 5), mrr_at(exp, got, 10)))
        for name, col in zip(("hit@1", "hit@5", "mrr@10"), zip(*rows)):
            out[f"{level}_{name}"] = sum(col) / len(col)
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def summarize(outcomes: list[Outcome], gold: dict[str, GoldItem]) -> dict:
    """Aggregate one system's outcomes: accuracy overall and per slice, refusals, support, ranks."""
    ok = [o for o in outcomes if o.error is None]
    answerable = [o for o in ok if o.answerable]
    unanswerable = [o for o in ok if not o.answerable]
    answered = [o for o in answerable if not o.refused]

    def rate(rows: list[Outcome], pred) -> float | None:
        return sum(1 for o in rows if pred(o)) / len(rows) if rows else None

    by_slice: dict[str, list[Outcome]] = defaultdict(list)
    by_type: dict[str, list[Outcome]] = defaultdict(list)
    for o in ok:
        by_slice[o.slice].append(o)
        by_type[o.type or "?"].append(o)
    slices = sorted(by_slice, key=lambda s: (SLICE_ORDER.index(s) if s in SLICE_ORDER else 99, s))
    latency = {
        stage: {"p50": percentile(vals, 50), "p95": percentile(vals, 95), "mean": statistics.fmean(vals)}
        for stage in ("retrieve", "answer", "total")
        if (vals := [o.timings[stage] for o in ok if stage in o.timings])
    }
    return {
        "n": len(outcomes),
        "errors": len(outcomes) - len(ok),
        "accuracy": rate(ok, lambda o: o.correct),
        "answer_accuracy": rate(answerable, lambda o: o.correct),
        "refusal_accuracy": rate(unanswerable, lambda o: o.correct),
        "false_refusal_rate": rate(answerable, lambda o: o.refused),
        "citation_support": rate(answered, lambda o: bool(o.supported)),
        "per_slice": {s: {"n": len(by_slice[s]), "accuracy": rate(by_slice[s], lambda o: o.correct)}
                      for s in slices},
        "per_type": {t: {"n": len(v), "accuracy": rate(v, lambda o: o.correct)}
                     for t, v in sorted(by_type.items())},
        "retrieval": _retrieval(ok, gold),
        "latency_ms": latency,
    }
