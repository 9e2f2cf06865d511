"""Any SQuAD-format file as a retrieval + reading benchmark (``hoidap eval --squad PATH``).

The paragraphs become the corpus: they are written as one JSONL file into a temporary
``HOIDAP_HOME`` and ingested with the product's own pipeline (clean, chunk, embed, BM25), so
the benchmark measures what users get. Every question is then asked with no hint of its
paragraph:

- paragraph retrieval hit@1 / hit@5 / MRR@10 for each retrieval mode, through the assistant's
  own retrieval stage (a passage counts for the paragraph it was cut from);
- for the product (hybrid + its answerer): the reply's outcome (answer / closest / refused),
  answer-sentence hit (the sentence cited first contains a gold answer), and SQuAD exact match /
  F1 of the short answer (the highlighted span, else the reply's first line; 0 for a closest or a
  refusal). An "answer" is right when its F1 >= 0.5, a "closest" when its quoted sentence holds a
  gold answer, a "refused" never (every question has an answer); "confidently wrong" is the share
  of questions answered with F1 < 0.5.

``split`` keeps the questions of one half of the articles in file order (``train``: the first
half, XQuAD's articles 0-23; ``test``: the rest, 24-47); the index always holds every paragraph.

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
from eval.metrics import OUTCOMES, cited_sentence, hit_at, mrr_at, outcome_of, percentile
from eval.metrics import short_answer as reply_short_answer
from eval.squad_data import (
    Question,
    article_of,
    best,
    exact_match,
    f1_score,
    language_of,
    load_squad,
    sample,
    sample_paragraphs,
    split_questions,
    train_articles,
)
from eval.systems import cache_queries, fresh, product_ranking
from eval.text import contains
from ingest.progress import progress as progress_bar

NOTES = (
    "EM/F1 use the official SQuAD v1.1 normalisation (English article removal only for English "
    "text) on the short answer: the spans the product's citations highlight, else the reply's first "
    "line; a closest-sentence reply or a refusal scores 0. An answer is right at F1 >= 0.5 and "
    "confidently wrong below; a closest reply is right when its quoted sentence holds a gold answer; "
    "'refused' counts closest + refused (no short answer). For scale: fine-tuned extractive "
    "readers score about 70 F1 (mBERT) to 80 F1 (XLM-R large) on XQuAD-vi given the gold paragraph; "
    "hoidap's reader has no trained QA model, must first find the paragraph among all "
    "of them, and answers news-style question types, so its F1 is not comparable as a reader score. "
    "Examples are kept from the training half of the articles only."
)


def _paragraph_of(path: str, line_to_pid: dict[int, str]) -> str:
    # JSONL documents keep "<file>:<line>" as their path.
    try:
        return line_to_pid[int(path.rsplit(":", 1)[1])]
    except (IndexError, ValueError, KeyError):
        return path


ANSWER_RIGHT_F1 = 0.5  # an "answer" counts as right from this F1 on (and as confidently wrong below it)


def short_answer(ans) -> tuple[str, str]:
    """(short answer, first cited sentence) of a reply: the short answer is empty unless the
    outcome is "answer"; the sentence is empty for a refusal (nothing cited)."""
    kind = outcome_of(ans.refused, getattr(ans, "outcome", None))
    sentence = cited_sentence(ans.citations[0]) if ans.citations and kind != "refused" else ""
    return reply_short_answer(ans.answer, ans.citations, kind), sentence


def _summary(rows: list[dict], with_answers: bool) -> dict:
    n = len(rows)
    out = {
        "n": n,
        "hit@1": sum(r["hit@1"] for r in rows) / n,
        "hit@5": sum(r["hit@5"] for r in rows) / n,
        "mrr@10": sum(r["mrr@10"] for r in rows) / n,
    }
    if with_answers:
        shares = {}
        for kind in OUTCOMES:
            mine = [r for r in rows if r["outcome"] == kind]
            shares[kind] = {"n": len(mine), "share": len(mine) / n,
                            "right": sum(r["right"] for r in mine) / len(mine) if mine else None}
        out |= {
            "sentence_hit": sum(r["sentence_hit"] for r in rows) / n,
            "em": sum(r["em"] for r in rows) / n,
            "f1": sum(r["f1"] for r in rows) / n,
            "refused": sum(r["refused"] for r in rows) / n,  # closest + refused: no short answer
            "outcomes": shares,
            "strict_accuracy": sum(r["right"] and r["outcome"] == "answer" for r in rows) / n,
            "lenient_accuracy": sum(r["right"] for r in rows) / n,
            "confidently_wrong": sum(r["outcome"] == "answer" and not r["right"] for r in rows) / n,
            "p50_ms": percentile([r["ms"] for r in rows], 50),
            "p95_ms": percentile([r["ms"] for r in rows], 95),
            "answer_p50_ms": statistics.median(r["answer_ms"] for r in rows),
            "by_llm": sum(r["mode"] == "llm" for r in rows) / n,  # the rest: the extractive answer
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
    split: str = "all",
) -> dict:
    """Index the paragraphs of ``path`` in a temporary home and score every question.

    ``split`` keeps the questions of ``train`` (first half of the articles) or ``test`` (the
    rest), or ``all``; the index holds every paragraph either way. ``limit`` samples questions
    (per language, fixed ``seed``) over the full set of paragraphs; ``max_paragraphs`` shrinks
    the corpus itself (fewer distractors: easier) for quick checks.
    """
    from app.factory import build_assistant, ingest_paths, open_store

    paragraphs, questions = load_squad(path)
    questions = split_questions(questions, paragraphs, split)
    half, n_articles = train_articles(paragraphs), len({article_of(p.pid) for p in paragraphs})
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
            # the product answers extractively even when HOIDAP_LLM is set: the LLM is the ``llm`` system
            answerers = {"hybrid": build_assistant(s.model_copy(update={"llm": None}), store=store)}
            if "llm" in systems:  # hybrid retrieval, the LLM's answers
                answerers["llm"] = build_assistant(s if s.llm else s.model_copy(update={"llm": "local"}), store=store)
            retrievers = {name: product_ranking(answerers.get(name) or build_assistant(s, store=store, mode=name))
                          for name in systems}
            for name, assistant in answerers.items():  # untimed: lazy loads and cold caches are not per-question cost
                for q in questions[: 3 if name == "hybrid" else 1]:
                    assistant.answer(q.question)
            rows: dict[str, dict[str, list[dict]]] = {name: {} for name in systems}
            examples: list[dict] = []
            for q in progress_bar(questions, desc="squad questions", unit="q", disable=not progress, leave=False):
                # Examples only from the training half: the test half is reported, never looked at.
                keep = keep_examples if article_of(q.pid) < half else 0
                _ask(q, answerers, retrievers, rows, line_to_pid, para_lang, examples, keep)
        finally:
            if s.chroma_url:
                store.reset()
    result = {name: {lang: _summary(r, name in ("hybrid", "llm")) for lang, r in by_lang.items()}
              for name, by_lang in rows.items()}
    return {
        "dataset": str(path), "paragraphs": len(paragraphs), "ingest_seconds": ingest_seconds,
        "ingest": rep.summary(), "questions": _count(questions), "split": split,
        "articles": n_articles, "train_articles": half, "seed": seed, "limit": limit,
        "max_paragraphs": max_paragraphs,
        "systems": result, "notes": NOTES, "examples": examples,
    }


def _count(questions: list[Question]) -> str:
    langs: dict[str, int] = {}
    for q in questions:
        langs[q.language] = langs.get(q.language, 0) + 1
    return ", ".join(f"{n} {lang}" for lang, n in langs.items())


def _ask(q: Question, answerers, retrievers, rows, line_to_pid, para_lang, examples, keep) -> None:
    answers = {}
    for name, assistant in answerers.items():  # answer first (timed, embeds the question); rankings reuse it
        if name in retrievers:
            fresh(assistant)
            answers[name] = assistant.answer(q.question)
    for name, ranked in retrievers.items():
        hits = ranked(q.question, [])
        ids = [_paragraph_of(h.meta.get("path", ""), line_to_pid) for h in hits]
        row = {"hit@1": hit_at([q.pid], ids, 1), "hit@5": hit_at([q.pid], ids, 5), "mrr@10": mrr_at([q.pid], ids)}
        if name in answers:
            ans = answers[name]
            span, sentence = short_answer(ans)
            kind = outcome_of(ans.refused, getattr(ans, "outcome", None))
            hit = any(contains(sentence, a) for a in q.answers) if sentence else False
            f1 = best(f1_score, span, q.answers, para_lang) if span else 0.0
            row |= {
                "outcome": kind,
                "right": f1 >= ANSWER_RIGHT_F1 if kind == "answer" else (hit if kind == "closest" else False),
                "sentence_hit": hit,
                "em": best(exact_match, span, q.answers, para_lang) if span else 0.0,
                "f1": f1,
                "refused": kind != "answer",
                "ms": ans.timings_ms.total,
                "answer_ms": ans.timings_ms.answer,
                "mode": ans.mode,
            }
            if name == "hybrid" and len(examples) < keep and row["f1"] < 1.0:
                examples.append({"id": q.qid, "language": q.language, "question": q.question,
                                 "gold": q.answers[0], "span": span, "outcome": kind})
        rows[name].setdefault(q.language, []).append(row)
