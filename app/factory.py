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
    assistant = Assistant(HybridRetriever(store, mode), top_k=s.top_k)
    if s.llm:
        from app.llm import make_llm_answerer

        assistant.llm = make_llm_answerer(s, fallback=ExtractiveFallback(assistant))
    return assistant


class ExtractiveFallback:
    """The extractive answerer behind the ``Answerer`` interface, for the LLM to fall back on."""

    name = "extractive"

    def __init__(self, assistant) -> None:
        self.assistant = assistant

    def answer(self, question: str, hits, history, language: str):
        from app.reader import parse

        q = parse(question, history)
        q.language = language or q.language
        return self.assistant.extractive.answer_parsed(q, hits, self.assistant.question_vector(q))


def ingest_paths(
    settings: Settings | None,
    paths: Iterable[str | Path],
    prune: bool = False,
    progress: Callable[[int], None] | None = None,
    store: Store | None = None,
    follow_links: bool = False,
) -> SyncReport:
    from ingest.load import load

    s = settings or get_settings()
    store = store or open_store(s)
    paths = [Path(p) for p in paths]
    docs = load(paths, max_bytes=int(s.max_file_mb * 1_000_000), follow_links=follow_links)
    return store.sync(docs, prune_under=paths if prune else None, progress=progress)
