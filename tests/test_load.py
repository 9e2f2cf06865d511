"""Bounded load on the real chat server, with a re-ingest landing in the middle of it.

``hoidap chat`` runs as its own process on a free loopback port over a copy of the sample
index plus one extra article (a copy of the Thái Nguyên article in a folder of its own).
50 client threads send a fixed number of questions. Meanwhile this process edits the extra
article twice and re-ingests its folder into the same index home (the store's file lock
makes it the only writer; the server reads the catalog through SQLite). Every request must
be answered, and every cited passage must be text that existed in some version of the
corpus: never a half-written or vanished passage.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.settings import SAMPLE_CORPUS

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
CLIENTS = 50
REQUESTS = 150
TN = SAMPLE_CORPUS / "ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt"
QUESTIONS = [
    "Ai chủ trì hội nghị hợp tác giữa Hà Nội và Thái Nguyên?",
    "ai chu tri hoi nghi o thai nguyen",
    "Who chaired the conference in Thai Nguyen?",
    "Hà Nội và Thanh Hóa xác định bao nhiêu nội dung hợp tác?",
    "Hà Nội hỗ trợ Hà Tĩnh bao nhiêu tiền?",
]


def free_port() -> int:
    from app.web.service import free_port as fp

    return fp()


@pytest.fixture(scope="module")
def setup(sample_home, sample_store, tmp_path_factory):
    from index.embed_cache import CachedEmbedder
    from index.store import Store
    from ingest.load import load

    root = tmp_path_factory.mktemp("load")
    home = root / "home"
    shutil.copytree(sample_home, home, ignore=shutil.ignore_patterns(".lock"))
    extra = root / "extra"
    extra.mkdir()
    shutil.copy(TN, extra / TN.name)
    embedder = CachedEmbedder(sample_store.embedder)  # same texts as the sample: no model calls
    embedder.seed_from(sample_store.collection)
    store = Store(home, embedder)
    assert store.sync(load([extra])).added == 1
    return home, extra, store


@pytest.fixture(scope="module")
def server(setup):
    home = setup[0]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOIDAP_", "SLACK_"))}
    env.update(HOIDAP_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", OMP_WAIT_POLICY="PASSIVE")
    proc = subprocess.Popen(
        ["hoidap", "chat", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "hoidap chat exited"
            assert time.monotonic() < deadline, "hoidap chat did not come up in 120 s"
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_50_clients_with_a_reingest_in_the_middle(server, setup):
    from ingest.load import load
    from ingest.metadata import build_article

    home, extra, store = setup
    texts = {build_article(d).text for d in load([SAMPLE_CORPUS, extra])}  # every version ever indexed
    article = extra / TN.name
    original = article.read_text("utf-8")
    versions = [
        original.replace("\n", "\nHội nghị diễn ra trong không khí cởi mở, thẳng thắn.\n", 1),  # first chunk changes
        original + "\nHai bên thống nhất tổ chức hội nghị sơ kết vào năm sau tại Hà Nội.\n",
    ]
    reingests: list[str] = []

    def reingest() -> None:
        time.sleep(1.0)  # let the load build up first
        for text in versions:
            article.write_text(text, "utf-8")
            report = store.sync(load([extra]), prune_under=[extra])
            texts.add(build_article(next(iter(load([article])))).text)
            reingests.append(report.summary())

    latencies: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> dict:
        t = time.perf_counter()
        with httpx.Client(timeout=120) as client:
            r = client.post(f"{server}/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
        with lock:
            latencies.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
        return r.json()

    writer = threading.Thread(target=reingest)
    writer.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(one, range(REQUESTS)))
    wall = time.perf_counter() - t0
    writer.join(120)
    assert len(reingests) == 2 and all("1 updated" in r for r in reingests), reingests

    assert len(answers) == REQUESTS
    for a in answers:
        assert a["answer"] and a["refused"] in (True, False)
        for c in a["citations"]:
            assert any(c["text"] in t for t in texts), "cited a passage no version of the corpus has"
    chaired = [a for i, a in enumerate(answers) if i % len(QUESTIONS) < 3]
    wrong = [(a["question"], a["answer"]) for a in chaired if "Bùi Xuân Hòa" not in a["answer"]]
    assert not wrong, wrong[:3]
    lat = sorted(latencies)
    p50, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
    print(f"\n{REQUESTS} requests, {CLIENTS} clients: {REQUESTS / wall:.1f} req/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    # the index ends consistent: Chroma holds exactly the catalog's chunks
    assert set(store.collection.get(include=[])["ids"]) == {
        cid for a in store.catalog.articles() for cid in store.catalog.chunk_ids(a["doc_id"])
    }
