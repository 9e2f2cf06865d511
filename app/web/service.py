"""The web server: one FastAPI app carrying the Gradio chat page and the JSON APIs.

``serve`` is what ``hoidap chat`` runs. One ``WebService`` holds the assistant and is shared
by the page and the APIs. Answering is safe from many threads at once, but an upload being
ingested changes the index under the readers' feet, so ingestion takes a write lock that
waits for running answers and holds new ones back until the index is consistent again.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from app.schema import Answer
from app.settings import SAMPLE_CORPUS, Settings, get_settings
from index.store import SyncReport
from index.types import Filters
from ingest.errors import BadInput, HoidapError
from ingest.load import Skipped
from ingest.uploads import copy_upload

if TYPE_CHECKING:
    from app.assistant import Quick

UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")


def upload_folder() -> Path:
    """Where Gradio's upload route stores what clients send (GRADIO_TEMP_DIR or <tmp>/gradio)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers so it cannot starve."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer)
            self._writer = True
            self._cond.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class WebService:
    """What the page and the APIs share: the assistant, the index, the feedback store."""

    def __init__(self, settings: Settings) -> None:
        from app.factory import build_assistant, open_store
        from app.feedback import FeedbackStore

        self.settings = settings
        self.store = open_store(settings)
        self.assistant = build_assistant(settings, store=self.store)
        self.feedback = FeedbackStore(settings.feedback_db)
        self.lock = ReadWriteLock()
        self._facets: tuple[int, dict] | None = None
        # {"done", "total"} while the first start ingests the sample in the background (see ``serve``)
        self.indexing: dict | None = None

    @property
    def llm_available(self) -> bool:
        return self.assistant.llm is not None

    def ask(
        self,
        question: str,
        history: list[dict] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
        mode: str | None = None,
    ) -> Answer:
        self.check_mode(mode)
        self.check_filters(filters)
        with self.lock.read():
            return self.assistant.answer(question, history=history, filters=filters, k=k, mode=mode)

    def stream(
        self,
        question: str,
        history: list[dict] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
        mode: str | None = None,
        quick: bool = False,
    ) -> Iterator[str | Quick | Answer]:
        """Provisional answer text as it is written, then the final ``Answer``; with ``quick``, an LLM
        answer is preceded by the extractive one (see ``Assistant.stream``)."""
        self.check_mode(mode)
        self.check_filters(filters)
        with self.lock.read():
            yield from self.assistant.stream(question, history=history, filters=filters, k=k, mode=mode,
                                             quick=quick)

    def ingest(self, paths: Iterable[str | Path], progress: Callable[[int], None] | None = None) -> SyncReport:
        from app.factory import ingest_paths

        with self.lock.write():
            report = ingest_paths(self.settings, list(paths), progress=progress, store=self.store)
            # rebuild the lexical index and word statistics now, once, instead of racing readers
            self.store.refresh_lexical()
            self.assistant.refresh()
        return report

    def add_uploads(
        self, files: Iterable[str | Path], progress: Callable[[int], None] | None = None, root: str | Path | None = None
    ) -> SyncReport:
        """Copy uploaded files under HOIDAP_HOME/uploads (Gradio's temp copies vanish) and ingest them.

        Only files inside ``root`` (Gradio's upload folder unless given), after following links, are
        read: a page client names the path of its upload, and any other path would let it have the
        server read, index and quote any file on the host. One such path refuses the whole request,
        before anything is copied. A file that is not of an article type is never copied.
        """
        root = Path(root or upload_folder()).resolve()
        sources = [Path(f) for f in files]
        for src in sources:
            if not src.resolve().is_relative_to(root):
                raise BadInput(f"refused {src.name!r}: only files uploaded to this page can be added")
        report = SyncReport()
        wanted = []
        for src in sources:
            if src.suffix.lower() in UPLOAD_SUFFIXES:
                wanted.append(src)
            else:
                kinds = ", ".join(UPLOAD_SUFFIXES)
                report.skipped.append(Skipped(src.name, f"not an article file (expected one of {kinds})"))
        if not wanted:
            return report
        folder = self.settings.home / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        # another article uploaded under the same name must not replace the first one
        copies = [copy_upload(src.resolve(), folder, src.name) for src in wanted]
        ingested = self.ingest(copies, progress=progress)
        for skipped in ingested.skipped:  # a file that is not an article should not linger
            Path(skipped.path).unlink(missing_ok=True)
        ingested.skipped = report.skipped + ingested.skipped
        return ingested

    def facets(self, wait: bool = False) -> dict:
        """Filter choices offered on the page, from what is indexed now (kept until the index changes).

        During the first start's ingest, what is known so far unless ``wait``: the page must not
        wait for the write lock the ingest holds, a filter check must."""
        if self.indexing is not None and not wait:
            return self._facets[1] if self._facets else {"sources": [], "provinces": [], "date_min": None,
                                                         "date_max": None, "articles": 0}
        with self.lock.read():
            gen = self.store.catalog.generation
            if self._facets is not None and self._facets[0] == gen:
                return self._facets[1]
            articles = self.store.catalog.articles()
        dates = sorted(d for a in articles for d in (a.get("published"), a.get("event_date")) if d)
        out = {
            "sources": sorted({a["source"] for a in articles if a.get("source")}, key=str.casefold),
            "provinces": sorted({p for a in articles for p in a["provinces"]}, key=str.casefold),
            "date_min": dates[0] if dates else None,
            "date_max": dates[-1] if dates else None,
            "articles": len(articles),
        }
        self._facets = (gen, out)
        return out

    def examples(self) -> list[str]:
        """Example questions for the page (``app.web.chat_text.examples_for``)."""
        from app.web.chat_text import EXAMPLES, examples_for

        if self.indexing is not None:  # the sample is being indexed
            return EXAMPLES
        with self.lock.read():
            articles = self.store.catalog.articles()
        return examples_for(articles, {p.name for p in SAMPLE_CORPUS.iterdir() if p.is_file()})

    def check_mode(self, mode: str | None) -> None:
        if mode == "llm" and not self.llm_available:
            raise BadInput("mode llm: no LLM is configured (set HOIDAP_LLM); use mode extractive or leave it out")

    def check_filters(self, filters: Filters | None) -> None:
        """Refuse a province or outlet no indexed article has: filtering on it could only give the
        false answer that the articles do not say (matching is ``Filters.accepts``'s)."""
        if filters is None or not (filters.province or filters.source):
            return
        f = self.facets(wait=True)
        if filters.province and filters.province.casefold() not in {p.casefold() for p in f["provinces"]}:
            raise BadInput(f"filters.province: no indexed article mentions {filters.province!r}")
        if filters.source and not any(filters.source.casefold() in s.casefold() for s in f["sources"]):
            raise BadInput(f"filters.source: no indexed article is from {filters.source!r}")

    def stats(self) -> dict:
        with self.lock.read():
            return self.store.stats()

    def warm_up(self) -> None:
        """Load the tokenizer and models now so the first visitor does not wait for them."""
        try:
            self.ask("Hội nghị diễn ra ở đâu?")
        except Exception:  # an empty index or odd corpus must not stop the server from starting
            pass


def create_app(service: WebService):
    """The FastAPI app: API routes first, then the Gradio page mounted at ``/``."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr
    from fastapi import FastAPI

    from app.web.api import add_routes
    from app.web.chat_text import CSS, HEAD
    from app.web.chat_ui import build_blocks, theme
    from app.web.server import BodyLimit, ErrorShape

    app = FastAPI(title="hoidap", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.add_middleware(BodyLimit)
    app.add_middleware(ErrorShape)
    add_routes(app, service)
    blocks = build_blocks(service)
    home = service.settings.home.resolve()
    # Gradio never serves or reads the index, the catalog or the kept uploads (unless its own upload
    # folder was put inside HOIDAP_HOME, where blocking it would refuse every upload)
    blocked = [] if upload_folder().resolve().is_relative_to(home) else [str(home)]
    app = gr.mount_gradio_app(
        app, blocks, path="/", css=CSS, head=HEAD, theme=theme(), footer_links=["api"],
        run_history=False, max_file_size="20mb", allowed_paths=[], blocked_paths=blocked,
    )
    # Gradio checks the file paths a client names (processing_utils._check_allowed: an input file must
    # be in its upload folder) only once ``blocks.has_launched`` is set, which launch() and Gradio's
    # own reloader do and mount_gradio_app does not. Without it any client could name any file.
    blocks.has_launched = True
    return app


def ensure_corpus(service: WebService, corpus: Path = SAMPLE_CORPUS, out: Callable[[str], None] = print) -> bool:
    """On a fresh machine the index is empty: ingest the bundled sample articles, showing progress
    (printed, and in ``service.indexing`` for the page and /healthz).

    Returns whether anything was ingested.
    """
    from ingest.load import find_files

    if service.stats()["articles"]:
        service.indexing = None
        return False
    total = len(find_files([corpus]))
    out(f"The index in {service.settings.home} is empty: ingesting the {total} bundled sample articles…")
    service.indexing = {"done": 0, "total": total}

    def progress(n: int) -> None:
        done = min(service.indexing["done"] + n, total)
        service.indexing = {"done": done, "total": total}
        out(f"  {done}/{total} articles")

    try:
        report = service.ingest([corpus], progress=progress)
    finally:
        service.indexing = None
    out(f"Ingested: {report.summary()}")
    return True


def serve(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Start the chat and the APIs; blocks until interrupted.

    On an empty index the page is served at once and the sample articles are ingested in the
    background, with progress on the page; questions asked meanwhile wait for the index (the
    ingest holds the write lock) and are answered as soon as it is ready.
    """
    from app.web.server import listen
    from app.web.server import server as http_server

    t0 = time.perf_counter()
    sock = listen(host, port)
    settings = settings or get_settings()
    service = WebService(settings)
    fresh = not service.stats()["articles"]
    if fresh:  # before the page is built, so it starts with the progress line
        from ingest.load import find_files

        service.indexing = {"done": 0, "total": len(find_files([SAMPLE_CORPUS]))}

    def first_start() -> None:
        try:
            if fresh:
                ensure_corpus(service)
        except HoidapError as e:
            service.indexing = None
            print(f"hoidap: could not ingest the sample articles: {e}", file=sys.stderr, flush=True)
        # load the tokenizer and models while the page comes up, not before it
        service.warm_up()

    app = create_app(service)
    server = http_server(app, host, port)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            print(f"hoidap chat is ready at http://{shown}:{port}/  (API: /api/ask, /v1/chat/completions; "
                  f"started in {time.perf_counter() - t0:.1f} s; Ctrl+C to stop)", flush=True)
            threading.Thread(target=first_start, daemon=True).start()

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def background_server(service: WebService, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Run the full app in a thread (for tests and benchmarks); yields its base URL, stops on exit."""
    from app.web.server import server as http_server

    port = port or free_port(host)
    server = http_server(create_app(service), host, port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the web server did not start on {host}:{port}")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":  # python -m app.web [--host H] [--port P]
    import argparse

    ap = argparse.ArgumentParser(description="Serve the hoidap chat and API")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7860)
    ns = ap.parse_args()
    serve(get_settings(), ns.host, ns.port)
