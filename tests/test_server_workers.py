"""Two ingest workers, each with its own home, write disjoint folders to one Chroma server at
the same time; a replica that starts afterwards sees every article exactly once."""

from __future__ import annotations

import shutil
import threading

import pytest

from app.settings import SAMPLE_CORPUS
from tests.test_server_mode import ChromaServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chroma") is None, reason="the chroma CLI is not installed"),
]


@pytest.fixture
def server(tmp_path):
    srv = ChromaServer(tmp_path / "db").start()
    try:
        yield srv
    finally:
        srv.stop()


def test_parallel_workers_on_disjoint_folders(server, sample_store, tmp_path):
    from index.embed_cache import CachedEmbedder
    from index.store import Store
    from ingest.load import load
    from ingest.metadata import build_article

    embedder = CachedEmbedder(sample_store.embedder)  # the sample's own vectors: no model calls
    embedder.seed_from(sample_store.collection)
    files = sorted(SAMPLE_CORPUS.glob("*.txt"))
    folders = [tmp_path / "a", tmp_path / "b"]
    for i, f in enumerate(files):
        folders[i % 2].mkdir(exist_ok=True)
        shutil.copy(f, folders[i % 2] / f.name)
    workers = [Store(tmp_path / f"worker-{i}", embedder, server.url) for i in range(2)]
    reports: dict[int, object] = {}

    def run(i: int) -> None:
        reports[i] = workers[i].sync(load([folders[i]]), prune_under=[folders[i]])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [reports[i].added for i in range(2)] == [3, 2]

    written = {cid for w in workers for a in w.catalog_db.articles() for cid in w.catalog_db.chunk_ids(a["doc_id"])}
    replica = Store(tmp_path / "replica", embedder, server.url)
    titles = sorted(a["title"] for a in replica.catalog.articles())
    assert titles == sorted(build_article(d).title for d in load([SAMPLE_CORPUS]))
    ids = replica.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == replica.catalog.counts()[1]
    assert set(ids) == written
    # a re-run of either worker changes nothing, and never prunes the other worker's articles
    again = workers[0].sync(load([folders[0]]), prune_under=[folders[0]])
    assert (again.added, again.unchanged, again.removed) == (0, 3, 0)
    replica.vectors.expire()
    assert replica.catalog.counts() == (5, len(written))
