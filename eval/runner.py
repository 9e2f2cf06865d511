"""``hoidap eval``: the gold set through the product and its baselines, XQuAD, and the reports.

The bundled gold set is about the bundled articles, so it runs against its own index of them
(``<HOIDAP_HOME>/eval/sample``, collection ``<collection>-eval-sample``), built on the first run
and reused after (ingest is idempotent): the user's own index is never touched or required.
A ``--dataset`` of your own runs against the configured index instead, since its questions are
about your articles, unless every article it names is a bundled one (``datasets/heldout.jsonl``).
"""

from __future__ import annotations

import os
import platform
import resource
import shlex
import sys
import time
from datetime import datetime
from pathlib import Path

from app.settings import SAMPLE_CORPUS, Settings
from eval import report
from eval.dataset import GOLD, GoldItem, load
from eval.metrics import Outcome, Retrieved, describe, is_correct, is_supported, ranks, summarize
from eval.systems import SYSTEMS, System, cache_queries, make_systems, validate
from index.types import Hit
from ingest.errors import HoidapError
from ingest.progress import progress as progress_bar


def peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux (bytes on macOS): the process high-water mark, not per system.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}


def command_line() -> str:
    """How this run was started, as a user would type it."""
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    prog = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
    if prog in ("hoidap", "cli"):
        return f"hoidap {args}"
    return f"python {' '.join(shlex.quote(a) for a in sys.argv)}" if prog else "eval.runner.main(...)"


def sample_settings(settings: Settings) -> Settings:
    """Settings for the eval's own index of the bundled articles."""
    return settings.model_copy(
        update={"home": Path(settings.home) / "eval" / "sample", "collection": f"{settings.collection}-eval-sample"}
    )


def article_id(hit: Hit, item: GoldItem) -> str:
    """The gold name of the article a passage comes from (file name, path, or title)."""
    path = hit.meta.get("path") or ""
    names = {Path(path).name, path, hit.meta.get("title") or ""}
    for a in item.articles:
        if a in names:
            return a
    return Path(path).name or hit.doc_id


def evaluate(item: GoldItem, system: System) -> Outcome:
    """One question through one system: the answer, its judgement, and the ranked passages."""
    history = [t.model_dump() for t in item.history]
    base = dict(id=item.id, system=system.name, slice=item.slice, type=item.type, language=item.language,
                answerable=item.answerable, question=item.question, expected=describe(item))
    try:
        ans = system.answer(item.question, history)  # first, and timed: it embeds the question
        hits = system.retrieve(item.question, history)  # untimed: reuses that embedding
    except HoidapError as e:
        return Outcome(**base, answer="", refused=False, correct=False, supported=None, error=str(e))
    retrieved = [Retrieved(h.chunk_id, article_id(h, item), h.text) for h in hits]
    article_ids, passage_ids = ranks(item, retrieved)
    supported = None
    if item.answerable and not ans.refused:
        supported = is_supported(item, [c.text for c in ans.citations])
    return Outcome(
        **base, answer=ans.answer, refused=ans.refused, correct=is_correct(item, ans.answer, ans.refused),
        supported=supported, article_ids=article_ids, passage_ids=passage_ids,
        timings=ans.timings_ms.model_dump(),
    )


def run_gold(items: list[GoldItem], systems: dict[str, System], progress: bool = True) -> dict:
    """Every item through every system; outcomes in order plus one summary per system."""
    gold = {i.id: i for i in items}
    outcomes: list[Outcome] = []
    summaries: dict[str, dict] = {}
    bar = progress_bar(total=len(items) * len(systems), desc="gold set", unit="q", disable=not progress, leave=False)
    for name, system in systems.items():
        bar.set_postfix_str(name)
        # A few untimed questions first: lazy loads and cold caches are not per-question cost.
        for item in items[:3]:
            try:
                system.assistant.answer(item.question)
            except HoidapError:
                pass
        mine = []
        for item in items:
            mine.append(evaluate(item, system))
            bar.update()
        outcomes += mine
        summaries[name] = summarize(mine, gold) | {"peak_rss_mb": peak_rss_mb(), "notes": system.notes}
    bar.close()
    return {"outcomes": [o.to_json() for o in outcomes], "summaries": summaries}


def prepare_sample(settings: Settings, progress: bool = True):
    """Open (and if needed build) the eval's index of the bundled articles."""
    from app.factory import ingest_paths, open_store

    s = sample_settings(settings)
    store = cache_queries(open_store(s))
    t = time.perf_counter()
    files = sorted(p for p in SAMPLE_CORPUS.iterdir() if p.is_file())
    with progress_bar(total=len(files), desc="indexing sample articles", unit="doc", disable=not progress,
                      leave=False) as bar:
        rep = ingest_paths(s, [SAMPLE_CORPUS], prune=True, store=store, progress=bar.update)
    return s, store, {"seconds": round(time.perf_counter() - t, 2), "report": rep.summary()}


def about_sample(items: list[GoldItem]) -> bool:
    """A set whose answers all come from the bundled articles (e.g. datasets/heldout.jsonl)."""
    sample = {p.name for p in SAMPLE_CORPUS.iterdir()}
    named = {a for i in items for a in i.articles}
    return bool(named) and named <= sample


def gold_section(settings: Settings, dataset: Path | None, systems: list[str], limit: int | None,
                 progress: bool = True) -> dict:
    items = load(dataset)
    if limit:
        items = items[:limit]
    if dataset is None or about_sample(items):
        s, store, ingest = prepare_sample(settings, progress)
        corpus = [SAMPLE_CORPUS]
    else:
        from app.factory import open_store

        s, store, ingest = settings, cache_queries(open_store(settings)), None
        paths = {a["path"].split(":")[0] for a in store.catalog.articles()}
        corpus = sorted(Path(p) for p in paths if Path(p).is_file())
    built = make_systems(s, store, systems, corpus)
    res = run_gold(items, built, progress)
    notes = ("All systems share the product's question parsing and extractive answerer; only retrieval and "
             "chunking differ. llamaindex = VectorStoreIndex over the raw files (no cleaning), default "
             "SentenceSplitter, same embedder, top-k 2 passed to the answerer; its retrieval metrics read "
             "the same retriever at top-k 10. Peak RSS is the process high-water mark after each system.")
    for name, system in built.items():
        if system.notes:
            notes += f" {name}: {system.notes}."
    return {"dataset": str(dataset or "bundled gold.jsonl"), "n": len(items), "index": ingest,
            "systems": list(built), "notes": notes, **res}


def export_feedback(settings: Settings, path: Path) -> int:
    from eval.feedback import export

    n = export(settings.feedback_db, path)
    print(f"wrote {n} questions from {settings.feedback_db} to {path}")
    return 0


def main(
    settings: Settings,
    dataset: Path | None = None,
    squad: Path | None = None,
    out: Path | None = None,
    systems: list[str] | None = None,
    limit: int | None = None,
    feedback_export: Path | None = None,
    progress: bool = True,
) -> int:
    """Run the eval and write the report; returns a process exit code.

    The gold set runs unless only ``squad`` is given (``dataset="gold"`` forces the bundled set
    alongside XQuAD). ``feedback_export`` only writes the feedback store as a dataset.
    """
    if feedback_export:
        return export_feedback(settings, Path(feedback_export))
    names = validate(systems)
    if dataset is not None and str(dataset) in ("gold", "bundled"):
        dataset = None
        run_gold_set = True
    else:
        run_gold_set = dataset is not None or squad is None
    results: dict = {"started": datetime.now().isoformat(timespec="seconds"),
                     "command": command_line(),
                     "machine": machine(), "systems": names}
    if run_gold_set:
        results["gold"] = gold_section(settings, Path(dataset) if dataset else None, names, limit, progress)
    if squad is not None:
        from eval.squad import run_squad

        results["squad"] = run_squad(settings, Path(squad), [n for n in names if n != "llamaindex"] or ["hybrid"],
                                     limit, progress=progress)
    results["peak_rss_mb"] = peak_rss_mb()
    out = Path(out) if out else report.default_out_dir()
    files = report.write(results, out)
    print(report.console(results))
    print(f"report: {out} ({', '.join(f.name for f in files)})")
    return 0


__all__ = ["main", "run_gold", "evaluate", "SYSTEMS", "GOLD"]
