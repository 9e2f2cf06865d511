"""Server mode: many app processes, one Chroma server, one source of truth.

With ``HOIDAP_CHROMA_URL`` set, vectors, passages and all chunk metadata live in the shared
Chroma collection. The catalog (SQLite) and the BM25 files stay local to each process's
``HOIDAP_HOME``, because Chroma has no sparse index and answering needs fast local lookups;
they are a *cache* of the collection, rebuilt from it whenever it changed:

* A writer (``Store.sync``) stores a fresh random ``stamp`` in the collection metadata
  after its writes, and records that stamp (and the vector count it saw) as the catalog
  state ``remote``: its own catalog is already current.
* A reader compares the collection's stamp with its ``remote`` state at most every
  ``CHECK_EVERY`` seconds (one small HTTP call). On a difference it pages through the
  collection (documents + metadata, no vectors), replaces its catalog in one SQLite
  transaction and so bumps the generation, which makes the BM25 snapshot rebuild itself.
  The stamp is read *before* the contents and written *after* them, so a reader can be
  behind but never settles on a state older than the stamp it recorded.
* A collection without a stamp (written by an older version, or a writer killed before it
  stamped) is pulled when its vector count differs from the local catalog's.

Crash debris: a writer killed after upserting an edited article's new chunks but before
deleting the old ones leaves both versions in Chroma. Every chunk carries its article's
content hash and write time, so the rebuild keeps, per article, only the chunks of the
newest version. Vectors no catalog references are harmless (retrieval drops ids the catalog
does not know) and are reused by the next ingest of that article.

Writers: run one ingest at a time per collection (a batch worker or a cron job). Two
concurrent writers do not corrupt anything (ids are content hashes, writes are upserts)
but each may miss the other's changes in its local catalog until the next stamp.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.store import Store

log = logging.getLogger(__name__)
STAMP = "hoidap_stamp"
CHECK_EVERY = 2.0  # seconds between stamp checks: staleness a reader accepts for one HTTP call less
PAGE = 1000


def remote_state(store: Store) -> tuple[str | None, int]:
    """(stamp, vector count) of the shared collection, fetched fresh from the server."""
    col = store._chroma_call(lambda: store.client.get_collection(store.collection.name), "get_collection")
    return (col.metadata or {}).get(STAMP), int(store._chroma("count"))


def local_state(store: Store) -> tuple[str | None, int | None]:
    raw = store.catalog_db.get_state("remote")
    if not raw:
        return None, None
    stamp, count = json.loads(raw)
    return stamp, count


def stale(store: Store) -> bool:
    """Does the local catalog lag behind the shared collection?"""
    stamp, count = remote_state(store)
    have_stamp, have_count = local_state(store)
    if stamp is not None:
        return stamp != have_stamp
    if have_count is not None:
        return count != have_count
    return count != store.catalog_db.counts()[1]


def mark(store: Store) -> None:
    """Writer: announce a change to every reader, and note that this catalog is current."""
    fresh = store._chroma_call(lambda: store.client.get_collection(store.collection.name), "get_collection")
    new = uuid.uuid4().hex
    store._chroma_call(lambda: fresh.modify(metadata={**(fresh.metadata or {}), STAMP: new}), "modify")
    store.catalog_db.set_state("remote", json.dumps([new, int(store._chroma("count"))]))


def pull(store: Store) -> int:
    """Replace the local catalog with the collection's contents; returns the chunks kept."""
    t0 = time.perf_counter()
    stamp, count = remote_state(store)  # before reading: see the module docstring
    rows: dict[str, dict] = {}
    offset = 0
    while True:
        page = store._chroma("get", include=["documents", "metadatas"], limit=PAGE, offset=offset)
        for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"]):
            rows[cid] = {"text": text or "", **(meta or {})}
        if len(page["ids"]) < PAGE:
            break
        offset += PAGE
    articles, chunks, vectors = _catalog_rows(rows)
    store.catalog_db.replace_all(articles, chunks, {"remote": json.dumps([stamp, count])}, vectors)
    log.info(
        "pulled %d articles, %d chunks from %s in %.1f s",
        len(articles), len(chunks), store.chroma_url, time.perf_counter() - t0,
    )
    return len(chunks)


def _catalog_rows(rows: dict[str, dict]) -> tuple[list[tuple], list[tuple], list[tuple]]:
    by_doc: dict[str, list[tuple[str, dict]]] = {}
    for cid, m in rows.items():
        if m.get("doc_id"):
            by_doc.setdefault(m["doc_id"], []).append((cid, m))
    articles, chunks, vectors = [], [], []
    for doc_id, items in by_doc.items():
        newest = max(items, key=lambda it: float(it[1].get("ts") or 0))[1]
        items = [it for it in items if it[1].get("hash", "") == newest.get("hash", "")]
        items.sort(key=lambda it: (int(it[1].get("start", 0)), int(it[1].get("end", 0))))
        m = newest
        provinces = [p for p in str(m.get("provinces") or "").split("|") if p]
        articles.append((
            doc_id, m.get("key") or m.get("path", ""), m.get("path", ""), m.get("hash", ""), m.get("title", ""),
            m.get("source") or None, m.get("published") or None, m.get("event_date") or None,
            m.get("event_date_text") or None, json.dumps(provinces, ensure_ascii=False), m.get("url") or None,
            int(m.get("n_chars") or 0),
        ))
        for ordinal, (cid, cm) in enumerate(items):
            ann = json.loads(cm.get("ann") or "{}")
            chunks.append((
                cid, doc_id, ordinal, int(cm.get("start", 0)), int(cm.get("end", 0)), cm["text"],
                json.dumps(ann.get("s", [])), json.dumps(ann.get("t", []), ensure_ascii=False),
            ))
            if ann.get("v"):  # the sentence vectors, float16 bytes in base64 (see Store._chunk_meta)
                vectors.append((cid, int(ann.get("d") or 0), base64.b64decode(ann["v"])))
    return articles, chunks, vectors
