"""``hoidap eval``: gold sets through the product and its baselines, XQuAD, and the reports.

Each gold set runs against the index its questions are about, chosen by one rule (first match):

1. a set with a folder of articles beside it, named like the file without a ``_train`` /
   ``_test`` / ``_dev`` suffix (``news/`` for ``news_test.jsonl``): the eval's own index of that
   folder;
2. the bundled gold set, or a set whose named articles are all bundled ones
   (``datasets/heldout.jsonl``): the eval's own index of the bundled articles;
3. any other set: the configured index (``HOIDAP_HOME`` / ``HOIDAP_CHROMA_URL``).

The eval's own indexes live in ``<HOIDAP_HOME>/eval/<name>`` (collection
``<collection>-eval-<name>``), are built on the first run and kept in step with their folder after
(ingest is idempotent; articles from anywhere else are dropped): the user's index is never touched.
"""

from __future__ import annotations

import os
import platform
import re
import resource
import shlex
import sys
import time
from datetime import datetime
from pathlib import Path

from app.settings import SAMPLE_CORPUS, Settings
from eval import report
from eval.dataset import GOLD, GoldItem, load
from eval.metrics import Outcome, Retrieved, describe, is_correct, is_supported, ranks, reading, summarize
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


SPLIT_SUFFIX = re.compile(r"[_-](train|test|dev)$")


def corpus_settings(settings: Settings, name: str) -> Settings:
    """Settings for the eval's own index called ``name`` (``sample``: the bundled articles)."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_") or "set"
    return settings.model_copy(
        update={"home": Path(settings.home) / "eval" / safe, "collection": f"{settings.collection}-eval-{safe}"}
    )


def sample_settings(settings: Settings) -> Settings:
    """Settings for the eval's own index of the bundled articles."""
    return corpus_settings(settings, "sample")


def own_corpus(dataset: Path) -> Path | None:
    """The folder of articles a dataset file carries: beside it, named like the file without a
    ``_train`` / ``_test`` / ``_dev`` suffix (``news/`` for ``news_test.jsonl``); None if absent."""
    folder = Path(dataset).parent / SPLIT_SUFFIX.sub("", Path(dataset).stem)
    return folder if folder.is_dir() else None


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
    read = reading(item, ans.answer, ans.refused, getattr(ans, "outcome", None), ans.citations)
    retrieved = [Retrieved(h.chunk_id, article_id(h, item), h.text) for h in hits]
    article_ids, passage_ids = ranks(item, retrieved)
    supported = None
    if item.answerable and not ans.refused:
        supported = is_supported(item, [c.text for c in ans.citations])
    return Outcome(
        **base, answer=ans.answer, refused=ans.refused, correct=is_correct(item, ans.answer, ans.refused),
        supported=supported, article_ids=article_ids, passage_ids=passage_ids,
        timings=ans.timings_ms.model_dump(), **read,
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


def prepare_corpus(settings: Settings, folder: Path, name: str, progress: bool = True):
    """Open (and if needed build or update) the eval's own index ``name`` of the articles in
    ``folder``; it ends up holding exactly that folder's articles."""
    from app.factory import open_store
    from ingest.load import load as load_articles

    s = corpus_settings(settings, name)
    store = cache_queries(open_store(s))
    t = time.perf_counter()
    # Articles from another folder (another set of the same name) go too: prune under their folders.
    folder = Path(folder).resolve()
    others = {Path(a["path"].split(":")[0]).resolve().parent for a in store.catalog.articles()}
    roots = [folder] + sorted(p for p in others if not p.is_relative_to(folder))
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    with progress_bar(total=len(files), desc=f"indexing {name} articles", unit="doc", disable=not progress,
              leave=False) as bar:
        rep = store.sync(load_articles([folder]), prune_under=roots, progress=bar.update)
    return s, store, {"name": name, "folder": str(folder), "home": str(s.home),
                      "seconds": round(time.perf_counter() - t, 2), "report": rep.summary()}


def prepare_sample(settings: Settings, progress: bool = True):
    """Open (and if needed build) the eval's index of the bundled articles."""
    return prepare_corpus(settings, SAMPLE_CORPUS, "sample", progress)


def about_sample(items: list[GoldItem]) -> bool:
    """A set whose answers all come from the bundled articles (e.g. datasets/heldout.jsonl)."""
    sample = {p.name for p in SAMPLE_CORPUS.iterdir()}
    named = {a for i in items for a in i.articles}
    return bool(named) and named <= sample


def dataset_index(settings: Settings, dataset: Path | None, items: list[GoldItem], progress: bool = True):
    """(settings, store, ingest info, corpus files) of the index ``dataset`` runs against: the rule
    in this module's docstring."""
    folder = own_corpus(dataset) if dataset is not None else None
    if folder is not None:
        s, store, ingest = prepare_corpus(settings, folder, folder.name, progress)
        return s, store, ingest, [folder]
    if dataset is None or about_sample(items):
        s, store, ingest = prepare_sample(settings, progress)
        return s, store, ingest, [SAMPLE_CORPUS]
    from app.factory import open_store

    store = cache_queries(open_store(settings))
    paths = {a["path"].split(":")[0] for a in store.catalog.articles()}
    return settings, store, None, sorted(Path(p) for p in paths if Path(p).is_file())


def gold_section(settings: Settings, dataset: Path | None, systems: list[str], limit: int | None,
                 progress: bool = True) -> dict:
    items = load(dataset)
    if limit:
        items = items[:limit]
    s, store, ingest, corpus = dataset_index(settings, dataset, items, progress)
    built = make_systems(s, store, systems, corpus)
    res = run_gold(items, built, progress)
    notes = ("All systems share the product's question parsing and extractive answerer; only retrieval and "
             "chunking differ. llamaindex = VectorStoreIndex over the raw files (no cleaning), default "
             "SentenceSplitter, same embedder, top-k 2 passed to the answerer; its retrieval metrics read "
             "the same retriever at top-k 10. Peak RSS is the process high-water mark after each system.")
    for name, system in built.items():
        if system.notes:
            notes += f" {name}: {system.notes}."
    where = f"own index of {ingest['folder']}" if ingest else "the configured index"
    return {"dataset": str(dataset or "bundled gold.jsonl"), "name": Path(dataset).stem if dataset else "gold",
            "n": len(items), "index": ingest, "index_used": where, "systems": list(built), "notes": notes, **res}


def export_feedback(settings: Settings, path: Path) -> int:
    from eval.feedback import export

    n = export(settings.feedback_db, path)
    print(f"wrote {n} questions from {settings.feedback_db} to {path}")
    return 0


def main(
    settings: Settings,
    dataset: Path | str | list[Path | str | None] | None = None,
    squad: Path | None = None,
    out: Path | None = None,
    systems: list[str] | None = None,
    limit: int | None = None,
    feedback_export: Path | None = None,
    progress: bool = True,
    split: str = "all",
) -> int:
    """Run the eval and write the report; returns a process exit code.

    ``dataset`` is one gold-set file or several (each run on its own index and reported on its
    own); ``"gold"`` (or None in a list) is the bundled set. With no dataset the bundled set runs,
    unless only ``squad`` is given. ``split`` picks XQuAD's questions (``train``, ``test``, ``all``).
    ``feedback_export`` only writes the feedback store as a dataset.
    """
    if feedback_export:
        return export_feedback(settings, Path(feedback_export))
    names = validate(systems)
    given = [dataset] if isinstance(dataset, (str, Path)) else list(dataset or [])
    datasets = [None if d is None or str(d) in ("gold", "bundled") else Path(d) for d in given]
    if not datasets and squad is None:
        datasets = [None]
    for d in datasets:  # a bad file stops the run before anything slow starts
        if d is not None:
            load(d)
    results: dict = {"started": datetime.now().isoformat(timespec="seconds"),
                     "command": command_line(),
                     "machine": machine(), "systems": names}
    if datasets:
        results["datasets"] = [gold_section(settings, d, names, limit, progress) for d in datasets]
    if squad is not None:
        from eval.squad import run_squad

        readers = [n for n in names if n != "llamaindex"] or ["hybrid"]
        if "llm" in readers and "hybrid" not in readers:  # the LLM is measured beside the extractive product
            readers.insert(0, "hybrid")
        results["squad"] = run_squad(settings, Path(squad), readers,
                                     limit, progress=progress, split=split)
    results["peak_rss_mb"] = peak_rss_mb()
    out = Path(out) if out else report.default_out_dir()
    files = report.write(results, out)
    print(report.console(results))
    print(f"report: {out} ({', '.join(f.name for f in files)})")
    return 0


__all__ = ["main", "run_gold", "evaluate", "SYSTEMS", "GOLD"]
