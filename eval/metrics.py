"""Scoring one reply against a gold item, and summing outcomes per system and slice.

Everything compares folded text (``eval.text.fold``), except EM / F1, which use the official
SQuAD v1.1 normalisation (``eval.squad_data``). Retrieval ranks use llama-index's
``HitRate`` and ``MRR`` metric classes over ids cut at k, so the numbers mean what they mean in
llama-index reports: an article-level id is the article's file name, a passage-level id is the
chunk id of a retrieved passage that comes from an expected article and contains an expected
string.

A reply has one of three outcomes (``Answer.outcome``): ``answer`` (a short answer),
``closest`` (no short answer; the nearest sentence is quoted with its citation) and ``refused``
(nothing cited). The reading measures (``reading`` / ``reading_summary``) score each outcome on
its own terms; their definitions are in ``eval/README.md``.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate

from eval.dataset import GoldItem
from eval.squad_data import exact_match, f1_score
from eval.text import contains

_HIT, _MRR = HitRate(), MRR()
SLICE_ORDER = ["vi", "vi_unaccented", "en", "followup", "multi", "unanswerable", "noise"]
OUTCOMES = ("answer", "closest", "refused")
LANGUAGE_ORDER = ["all", "vi", "vi_unaccented", "en"]


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
    # reading measures (see ``reading``); None where they do not apply
    outcome: str = ""  # "answer" | "closest" | "refused"; "" = derive from ``refused``
    sentence_hit: bool | None = None  # answerable only: the first cited sentence holds the answer
    em: float | None = None  # answerable only: exact match of the short answer (0 unless outcome "answer")
    f1: float | None = None
    short: str = ""  # the short answer that EM / F1 scored

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


def own_words(answer: str) -> str:
    """A reply without the sentences it quotes as evidence ("> …" lines): what it asserts."""
    return "\n".join(line for line in answer.split("\n") if not line.lstrip().startswith(">"))


def is_correct(item: GoldItem, answer: str, refused: bool) -> bool:
    """The gold rule: answer when answerable (with the expected strings), refuse otherwise. The
    strings are looked for in what the reply says, not in the sentences it quotes as evidence (a
    quote holding the answer does not make a wrong short answer right; a rival figure in the quote
    does not make a right one wrong), except for a yes/no question, whose expected strings are the
    fact that decides it."""
    said = own_words(answer)
    if any(contains(said, s) for s in item.must_not):
        return False
    if not item.answerable:
        return refused
    if refused:
        return False
    judged = answer if item.type == "yesno" else said
    if not all(contains(judged, s) for s in item.answer_all):
        return False
    return not item.answer_any or any(contains(judged, s) for s in item.answer_any)


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
    """Aggregate one system's outcomes: accuracy overall and per slice, refusals, support, ranks,
    and the reading measures overall and per language (``reading``)."""
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
        "reading": reading_by_language(outcomes),
    }


# -- reading measures: three outcomes, the cited sentence, the short answer ----------------------
_MARKERS = re.compile(r"\s*\[\d+\]")


def outcome_of(refused: bool, outcome: str | None = None) -> str:
    """The reply's outcome; one that contradicts ``refused`` (or is missing, as in answers from
    before the field) is derived from ``refused``: an "answer" that is refused is a refusal."""
    if outcome in OUTCOMES and (outcome == "answer") == (not refused):
        return outcome
    return "refused" if refused else "answer"


def cited_sentence(citation) -> str:
    """The sentence a citation points at (its whole passage when it gives no sentence offsets)."""
    if citation.sentence_start is not None and citation.sentence_end is not None:
        return citation.text[citation.sentence_start : citation.sentence_end]
    return citation.text


def short_answer(answer_text: str, citations: list, outcome: str) -> str:
    """What EM / F1 score: the highlighted spans of the citations (in order, joined by a space),
    or, when none is highlighted, the reply's first line without its [n] markers. Empty unless
    the outcome is "answer" (a quote or a refusal asserts no short answer)."""
    if outcome != "answer":
        return ""
    spans = [c.text[c.answer_start : c.answer_end] for c in citations
             if c.answer_start is not None and c.answer_end is not None]
    spans = [s for s in spans if s.strip()]
    if spans:
        return " ".join(dict.fromkeys(spans))
    first = answer_text.strip().split("\n", 1)[0] if answer_text.strip() else ""
    return _MARKERS.sub("", first).strip()


def holds_answer(item: GoldItem, text: str) -> bool:
    """``text`` holds every ``answer_all`` string and one ``answer_any`` string (if any), folded."""
    if not item.answerable or not text:
        return False
    if not all(contains(text, s) for s in item.answer_all):
        return False
    return not item.answer_any or any(contains(text, s) for s in item.answer_any)


def expected_answers(item: GoldItem) -> list[str]:
    """The reference answers EM / F1 compare with: the ``answer_all`` strings joined by a space
    (each ``answer_any`` string appended in turn), or the ``answer_any`` strings one by one."""
    if item.answer_all and item.answer_any:
        return [" ".join(item.answer_all + [a]) for a in item.answer_any]
    if item.answer_all:
        return [" ".join(item.answer_all)]
    return list(item.answer_any)


def span_scores(short: str, truths: list[str], lang: str) -> tuple[float, float]:
    """(EM, F1) of ``short`` against the best of ``truths``; an empty short answer scores 0."""
    if not short or not truths:
        return 0.0, 0.0
    return (max(exact_match(short, t, lang) for t in truths), max(f1_score(short, t, lang) for t in truths))


def reading(item: GoldItem, answer_text: str, refused: bool, outcome: str | None, citations: list) -> dict:
    """The per-question reading fields of an ``Outcome`` from one reply (an ``app.schema.Answer``'s
    ``answer``, ``refused``, ``outcome`` and ``citations``)."""
    kind = outcome_of(refused, outcome)
    short = short_answer(answer_text, citations, kind)
    out = {"outcome": kind, "short": short, "sentence_hit": None, "em": None, "f1": None}
    if item.answerable:
        sentence = cited_sentence(citations[0]) if citations and kind != "refused" else ""
        # EM / F1 in the question's language only decides English article removal ("the").
        em, f1 = span_scores(short, expected_answers(item), "en" if item.language == "en" else "vi")
        out |= {"sentence_hit": holds_answer(item, sentence), "em": em, "f1": f1}
    return out


def outcome_right(o: Outcome) -> bool:
    """An "answer" is right when the gold rule says so; a "closest" when the question is
    answerable and the quoted sentence holds the answer, or when it is unanswerable (a quote
    asserts nothing); a "refused" when the question is unanswerable."""
    kind = outcome_of(o.refused, o.outcome)
    if kind == "answer":
        return o.correct
    if kind == "closest":
        return bool(o.sentence_hit) if o.answerable else True
    return not o.answerable


def language_group(o: Outcome) -> str:
    """The language row an outcome is reported under: unaccented Vietnamese is its own row."""
    return "vi_unaccented" if o.slice == "vi_unaccented" else o.language


def reading_summary(outcomes: list[Outcome]) -> dict:
    """The reading measures of a group of outcomes (errors left out); see ``eval/README.md``."""
    ok = [o for o in outcomes if o.error is None]
    n = len(ok)
    answerable = [o for o in ok if o.answerable]
    unanswerable = [o for o in ok if not o.answerable]
    kinds = [outcome_of(o.refused, o.outcome) for o in ok]

    def mean(vals: list[float]) -> float | None:
        return sum(vals) / len(vals) if vals else None

    shares = {}
    for kind in OUTCOMES:
        mine = [o for o, k in zip(ok, kinds) if k == kind]
        shares[kind] = {"n": len(mine), "share": len(mine) / n if n else None,
                        "right": mean([float(outcome_right(o)) for o in mine])}
    return {
        "n": n,
        "answerable": len(answerable),
        "accuracy": mean([float(o.correct) for o in ok]),
        "strict_accuracy": mean([float(o.correct and k != "closest") for o, k in zip(ok, kinds)]),
        "lenient_accuracy": mean([float(outcome_right(o)) for o in ok]),
        "sentence_hit": mean([float(bool(o.sentence_hit)) for o in answerable]),
        "em": mean([o.em or 0.0 for o in answerable]),
        "f1": mean([o.f1 or 0.0 for o in answerable]),
        "outcomes": shares,
        "confidently_wrong": mean([float(k == "answer" and not o.correct) for o, k in zip(ok, kinds)]),
        "unanswerable_refused": mean([float(outcome_of(o.refused, o.outcome) != "answer") for o in unanswerable]),
    }


def reading_by_language(outcomes: list[Outcome]) -> dict[str, dict]:
    """``reading_summary`` for all outcomes and per language row (vi, vi_unaccented, en)."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[language_group(o)].append(o)
    order = [g for g in LANGUAGE_ORDER[1:] if g in groups] + sorted(set(groups) - set(LANGUAGE_ORDER))
    return {"all": reading_summary(outcomes)} | {g: reading_summary(groups[g]) for g in order}
