"""Any SQuAD-format file as a retrieval + reading benchmark (``hoidap eval --squad PATH``).

The paragraphs become the corpus: they are written as one JSONL file into a temporary
``HOIDAP_HOME`` and ingested with the product's own pipeline (clean, chunk, embed, BM25), so
the benchmark measures what users get. Every question is then asked with no hint of its
paragraph:

- paragraph retrieval hit@1 / hit@5 / MRR@10 for each retrieval mode, through the assistant's
  own retrieval stage (a passage counts for the paragraph it was cut from);
- for the product (hybrid + extractive answerer): answer-sentence hit (the sentence cited
  first contains the gold answer), and SQuAD exact match / F1 of the short answer span the
  citation highlights (the whole sentence when the answerer gives no span; a refusal scores 0).

With ``xquad.vi.json`` the English questions of ``xquad.en.json`` (same ids) are asked over the
same Vietnamese paragraphs and scored against the Vietnamese answers.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from app.settings import Settings
from eval.metrics import hit_at, mrr_at, percentile
from eval.squad_data import (
    Question,
    best,
    exact_match,
    f1_score,
    language_of,
    load_squad,
    sample,
    sample_paragraphs,
)
from eval.systems import cache_queries, fresh, product_ranking
from eval.text import contains
from ingest.progress import progress as progress_bar

NOTES = (
    "EM/F1 use the official SQuAD v1.1 normalisation (English article removal only for English "
    "text) on the span the product's first citation highlights. For scale: fine-tuned extractive "
    "readers score about 70 F1 (mBERT) to 80 F1 (XLM-R large) on XQuAD-vi given the gold paragraph; "
    "hoidap's answerer is rule-based (no trained reader), must first find the paragraph among all "
    "of them, and answers news-style question types, so its F1 is not comparable as a reader score."
)


def _paragraph_of(path: str, line_to_pid: dict[int, str]) -> str:
    # JSONL documents keep "<file>:<line>" as their path.
    try:
        return line_to_pid[int(path.rsplit(":", 1)[1])]
    except (IndexError, ValueError, KeyError):
        return path


def short_answer(ans) -> tuple[str, str]:
    """(answer span, supporting sentence) from the first citation; empty when refused."""
    if ans.refused or not ans.citations:
        return "", ""
    c = ans.citations[0]
    sentence = c.text
    if c.sentence_start is not None and c.sentence_end is not None:
        sentence = c.text[c.sentence_start : c.sentence_end]
    if c.answer_start is not None and c.answer_end is not None:
        return c.text[c.answer_start : c.answer_end], sentence
    return sentence, sentence


def _summary(rows: list[dict], with_answers: bool) -> dict:
    n = len(rows)
    out = {
        "n": n,
        "hit@1": sum(r["hit@1"] for r in rows) / n,
        "hit@5": sum(r["hit@5"] for r in rows) / n,
        "mrr@10": sum(r["mrr@10"] for r in rows) / n,
    }
    if with_answers:
        out |= {
            "sentence_hit": sum(r["sentence_hit"] for r in rows) / n,
            "em": sum(r["em"] for r in rows) / n,
            "f1": sum(r["f1"] for r in rows) / n,
            "refused": sum(r["refused"] for r in rows) / n,
            "p50_ms": percentile([r["ms"] for r in rows], 50),
            "p95_ms": percentile([r["ms"] for r in rows], 95),
            "answer_p50_ms": statistics.median(r["answer_ms"] for r in rows),
        }
    return out


def run_squad(
    settings: Settings,
    path: Path,
    systems: list[str],
    limit: int | None = None,
    seed: int = 0,
    progress: bool = True,
    keep_examples: int = 30,
    max_paragraphs: int | None = None,
) -> dict:
    """Index the paragraphs of ``path`` in a temporary home and score every question.

    ``limit`` samples questions (per language, fixed ``seed``) over the full set of paragraphs;
    ``max_paragraphs`` shrinks the corpus itself (fewer distractors: easier) for quick checks.
    """
    from app.factory import build_assistant, ingest_paths, open_store

    paragraphs, questions = load_squad(path)
    paragraphs, questions = sample_paragraphs(paragraphs, questions, max_paragraphs, seed)
    questions = sample(questions, limit, seed)
    para_lang = language_of(path)
    with tempfile.TemporaryDirectory(prefix="hoidap-squad-") as tmp:
        corpus = Path(tmp) / "corpus" / "paragraphs.jsonl"
        corpus.parent.mkdir()
        with corpus.open("w", encoding="utf-8") as f:
            for p in paragraphs:
                f.write(json.dumps({"title": p.title, "text": p.context, "url": f"squad:{p.pid}"},
                                   ensure_ascii=False) + "\n")
        line_to_pid = {n: p.pid for n, p in enumerate(paragraphs, 1)}
        # A unique collection keeps a shared Chroma server's other collections untouched.
        s = settings.model_copy(update={"home": Path(tmp) / "home",
                                        "collection": f"hoidap-squad-{uuid.uuid4().hex[:8]}"})
        store = cache_queries(open_store(s))
        try:
            t = time.perf_counter()
            with progress_bar(total=len(paragraphs), desc="indexing paragraphs", unit="para", disable=not progress,
                      leave=False) as bar:
                rep = ingest_paths(s, [corpus], store=store, progress=bar.update)
            ingest_seconds = time.perf_counter() - t
            assistant = build_assistant(s, store=store)
            retrievers = {name: product_ranking(build_assistant(s, store=store, mode=name)) for name in systems}
            for q in questions[:3]:  # untimed: lazy loads and cold caches are not per-question cost
                assistant.answer(q.question)
            rows: dict[str, dict[str, list[dict]]] = {name: {} for name in systems}
            examples: list[dict] = []
            for q in progress_bar(questions, desc="squad questions", unit="q", disable=not progress, leave=False):
                _ask(q, assistant, retrievers, rows, line_to_pid, para_lang, examples, keep_examples)
        finally:
            if s.chroma_url:
                store.reset()
    result = {name: {lang: _summary(r, name == "hybrid") for lang, r in by_lang.items()}
              for name, by_lang in rows.items()}
    return {
        "dataset": str(path), "paragraphs": len(paragraphs), "ingest_seconds": ingest_seconds,
        "ingest": rep.summary(), "questions": _count(questions), "seed": seed, "limit": limit,
        "max_paragraphs": max_paragraphs,
        "systems": result, "notes": NOTES, "examples": examples,
    }


def _count(questions: list[Question]) -> str:
    langs: dict[str, int] = {}
    for q in questions:
        langs[q.language] = langs.get(q.language, 0) + 1
    return ", ".join(f"{n} {lang}" for lang, n in langs.items())


def _ask(q: Question, assistant, retrievers, rows, line_to_pid, para_lang, examples, keep) -> None:
    ans = None
    if "hybrid" in retrievers:  # answer first (timed, embeds the question); rankings reuse it
        fresh(assistant)
        ans = assistant.answer(q.question)
    for name, ranked in retrievers.items():
        hits = ranked(q.question, [])
        ids = [_paragraph_of(h.meta.get("path", ""), line_to_pid) for h in hits]
        row = {"hit@1": hit_at([q.pid], ids, 1), "hit@5": hit_at([q.pid], ids, 5), "mrr@10": mrr_at([q.pid], ids)}
        if name == "hybrid":
            span, sentence = short_answer(ans)
            row |= {
                "sentence_hit": any(contains(sentence, a) for a in q.answers) if sentence else False,
                "em": best(exact_match, span, q.answers, para_lang) if span else 0.0,
                "f1": best(f1_score, span, q.answers, para_lang) if span else 0.0,
                "refused": ans.refused,
                "ms": ans.timings_ms.total,
                "answer_ms": ans.timings_ms.answer,
            }
            if len(examples) < keep and row["f1"] < 1.0:
                examples.append({"id": q.qid, "language": q.language, "question": q.question,
                                 "gold": q.answers[0], "span": span, "refused": ans.refused})
        rows[name].setdefault(q.language, []).append(row)
