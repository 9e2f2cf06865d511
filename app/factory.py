"""Wiring: settings -> embedder -> store -> retriever -> assistant. The only place that reads settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from app.settings import Settings, get_settings
from index.embed import make_embedder
from index.hybrid import HybridRetriever
from index.store import Store, SyncReport


def open_store(settings: Settings | None = None) -> Store:
    s = settings or get_settings()
    return Store(s.home, make_embedder(s.embed_model), s.chroma_url, s.collection)


def build_assistant(settings: Settings | None = None, store: Store | None = None, mode: str = "hybrid"):
    from app.assistant import Assistant

    s = settings or get_settings()
    store = store or open_store(s)
    llm = None
    if s.llm:
        from app.llm import make_llm_answerer

        llm = make_llm_answerer(s, fallback=None)
    assistant = Assistant(HybridRetriever(store, mode), llm=llm, top_k=s.top_k)
    if llm is not None and getattr(llm, "fallback", "unset") is None:
        llm.fallback = assistant.extractive_fallback
    return assistant


def ingest_paths(
    settings: Settings | None,
    paths: Iterable[str | Path],
    prune: bool = False,
    progress: Callable[[int], None] | None = None,
    store: Store | None = None,
) -> SyncReport:
    from ingest.load import load

    store = store or open_store(settings)
    paths = [Path(p) for p in paths]
    return store.sync(load(paths), prune_under=paths if prune else None, progress=progress)
