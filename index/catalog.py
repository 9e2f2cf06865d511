"""The catalog: a SQLite file beside Chroma that knows which articles and chunks are indexed.

It is what makes ingestion idempotent (an article whose content hash is unchanged is not
touched) and crash-safe (an article's rows change in one transaction, after its vectors are
in Chroma). It also holds each chunk's precomputed sentence spans and POS tags for the
answerer. Every change bumps ``generation``, which the lexical index is stamped with.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ingest.errors import IndexUnavailable
from ingest.models import Article, Chunk, join_places

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, key TEXT, path TEXT, content_hash TEXT, title TEXT, source TEXT,
    published TEXT, event_date TEXT, event_date_text TEXT, provinces TEXT, url TEXT, n_chars INTEGER
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ord INTEGER, start INTEGER, "end" INTEGER,
    text TEXT, sentences TEXT, tags TEXT
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
-- a filter's chunk ids read from the index alone, not from the chunk rows (text, tags):
-- 2-3x faster for a province's ~1,600 chunks at 100,000
CREATE INDEX IF NOT EXISTS chunks_doc_chunk ON chunks(doc_id, chunk_id);
CREATE TABLE IF NOT EXISTS state (k TEXT PRIMARY KEY, v TEXT);
-- each chunk's sentence vectors (float16, one row of ``dim`` per sentence), for the reader's
-- question-sentence similarity; apart from ``chunks`` so an index built before them still opens
CREATE TABLE IF NOT EXISTS sentvecs (chunk_id TEXT PRIMARY KEY, dim INTEGER, vecs BLOB);
"""


class CatalogDamaged(IndexUnavailable):
    """The catalog file is damaged: the index rebuilds it from Chroma on the next ingest."""


def _damage_is_reported(cls):
    """Every public method (and ``generation``) turns a damaged file into ``CatalogDamaged``:
    a page damaged mid-file opens fine and fails only on the query that reads it."""

    def guard(fn):
        @functools.wraps(fn)
        def wrapper(self, *args, **kwargs):
            try:
                return fn(self, *args, **kwargs)
            except (sqlite3.ProgrammingError, sqlite3.IntegrityError, sqlite3.OperationalError):
                raise  # misuse, a closed handle, a lock: not damage
            except sqlite3.DatabaseError as e:
                raise CatalogDamaged(
                    f"the index catalog {self.path} is damaged ({e}): run `hoidap ingest` to rebuild it "
                    "from the vectors (or `hoidap index reset --yes` and ingest again)"
                ) from e

        return wrapper

    for name, attr in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(attr, property):
            setattr(cls, name, property(guard(attr.fget)))
        elif callable(attr):
            setattr(cls, name, guard(attr))
    return cls


@_damage_is_reported
class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._articles: tuple[int, list[dict]] | None = None
        self.closed = False
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as e:
            raise IndexUnavailable(
                f"the index catalog {self.path} is damaged ({e}): run `hoidap index reset` and ingest again"
            ) from e

    def close(self) -> None:
        self._db.close()
        self.closed = True

    def check(self) -> str | None:
        """None if SQLite finds the file sound, else what it found (reads every page: ingest only)."""
        rows = [r[0] for r in self._db.execute("PRAGMA quick_check(5)")]
        return None if rows == ["ok"] else "; ".join(rows)[:300]

    def all_chunk_ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks ORDER BY doc_id, ord")]

    def vector_rows(self, chunk_ids: list[str]) -> list[tuple[str, str, dict]]:
        """(chunk id, text, the article and chunk metadata Chroma holds for it) of each chunk, so
        lost vectors can be embedded again from the catalog alone (see ``Store.sync``)."""
        out = []
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            q = (
                'SELECT c.chunk_id, c.text, c.start, c."end", c.sentences, c.tags, a.doc_id, a.key, a.path, '
                "a.content_hash, a.title, a.source, a.published, a.event_date, a.event_date_text, a.provinces, "
                "a.url, a.n_chars FROM chunks c JOIN articles a ON a.doc_id = c.doc_id "
                f"WHERE c.chunk_id IN ({','.join('?' * len(part))})"
            )
            for row in self._db.execute(q, part):
                cid, text, start, end, sents, tags, doc, key, path, h, title, source, pub, ev, evt, prov, url, n = row
                provinces = json.loads(prov or "[]")
                meta = {
                    "doc_id": doc, "path": path, "title": title or "", "source": source or "",
                    "published": pub or "", "event_date": ev or "",
                    "provinces": join_places(provinces), "url": url or "",
                    "hash": h, "key": key, "event_date_text": evt or "", "n_chars": n or 0,
                    "start": start, "end": end,
                    "ann": json.dumps({"s": json.loads(sents or "[]"), "t": json.loads(tags or "[]")},
                                      ensure_ascii=False),
                }
                out.append((cid, text, meta))
        return out

    @property
    def generation(self) -> int:
        row = self._db.execute("SELECT v FROM state WHERE k='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self) -> None:
        self._db.execute(
            "INSERT INTO state(k, v) VALUES('generation', '1') "
            "ON CONFLICT(k) DO UPDATE SET v = CAST(v AS INTEGER) + 1"
        )

    def article_hashes(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (content_hash, path)."""
        return {d: (h, p) for d, h, p in self._db.execute("SELECT doc_id, content_hash, path FROM articles")}

    def chunk_ids(self, doc_id: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))]

    def put(self, article: Article, chunks: list[Chunk], key: str) -> None:
        """Replace an article and its chunks in one transaction."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM chunks WHERE doc_id=?", (article.doc_id,))
            self._db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article.doc_id, key, article.path, article.content_hash, article.title, article.source,
                    article.published, article.event_date, article.event_date_text,
                    json.dumps(article.provinces, ensure_ascii=False), article.url, len(article.text),
                ),
            )
            self._db.executemany(
                'INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?)',
                [
                    (
                        c.chunk_id, c.doc_id, i, c.start, c.end, c.text,
                        json.dumps(c.sentences), json.dumps(c.tags, ensure_ascii=False),
                    )
                    for i, c in enumerate(chunks)
                ],
            )
            self._bump()

    def remove(self, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        if not doc_ids:
            return
        with self._lock, self._db:
            for d in doc_ids:
                self._db.execute("DELETE FROM chunks WHERE doc_id=?", (d,))
                self._db.execute("DELETE FROM articles WHERE doc_id=?", (d,))
            self._db.execute("DELETE FROM sentvecs WHERE chunk_id NOT IN (SELECT chunk_id FROM chunks)")
            self._bump()

    # -- sentence vectors ------------------------------------------------------------------
    def without_sentence_vectors(self, chunk_ids: list[str]) -> set[str]:
        """Those of ``chunk_ids`` that have no stored sentence vectors yet."""
        have: set[str] = set()
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            q = f"SELECT chunk_id FROM sentvecs WHERE chunk_id IN ({','.join('?' * len(part))})"
            have.update(r[0] for r in self._db.execute(q, part))
        return set(chunk_ids) - have

    def put_sentence_vectors(self, rows: dict[str, np.ndarray]) -> None:
        if not rows:
            return
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO sentvecs VALUES (?,?,?)",
                [(cid, int(v.shape[1]) if v.ndim == 2 else 0, pack_vectors(v)) for cid, v in rows.items()],
            )

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """chunk id -> (sentences x dim) float32 array, for the chunks that have them."""
        if not chunk_ids:
            return {}
        q = f"SELECT chunk_id, dim, vecs FROM sentvecs WHERE chunk_id IN ({','.join('?' * len(chunk_ids))})"
        return {cid: unpack_vectors(blob, dim) for cid, dim, blob in self._db.execute(q, chunk_ids) if dim}

    def articles(self) -> list[dict]:
        """Every article's row, by path. Cached until the catalog changes (any process bumps
        the generation): retrieval filters read it on every question, and at 15,000 articles
        building it took 60-370 ms. Callers must not modify the rows."""
        gen = self.generation
        if self._articles is not None and self._articles[0] == gen:
            return self._articles[1]
        cur = self._db.execute(
            "SELECT doc_id, key, path, title, source, published, event_date, event_date_text, provinces, url, "
            "n_chars FROM articles ORDER BY path"
        )
        cols = [c[0] for c in cur.description]
        out = []
        for row in cur:
            d = dict(zip(cols, row))
            d["provinces"] = json.loads(d["provinces"] or "[]")
            out.append(d)
        self._articles = (gen, out)
        return out

    def all_chunk_texts(self) -> tuple[list[str], list[str]]:
        ids, texts = [], []
        for cid, text in self._db.execute("SELECT chunk_id, text FROM chunks ORDER BY doc_id, ord"):
            ids.append(cid)
            texts.append(text)
        return ids, texts

    def chunk_ids_of(self, doc_ids: Iterable[str]) -> set[str]:
        out: set[str] = set()
        doc_ids = list(doc_ids)
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i : i + 500]
            q = f"SELECT chunk_id FROM chunks WHERE doc_id IN ({','.join('?' * len(part))})"
            out.update(r[0] for r in self._db.execute(q, part))
        return out

    def lead_chunk_ids(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """doc_id -> the id of its first chunk (the lead, which dates the article's event)."""
        doc_ids = list(dict.fromkeys(doc_ids))
        if not doc_ids:
            return {}
        rows = self._db.execute(
            f"SELECT doc_id, chunk_id, MIN(ord) FROM chunks WHERE doc_id IN ({','.join('?' * len(doc_ids))}) "
            "GROUP BY doc_id", doc_ids,
        )
        return {d: c for d, c, _ in rows}

    def chunks(self, chunk_ids: list[str]) -> dict[str, dict]:
        """Chunk rows joined with their article's metadata, keyed by chunk id."""
        if not chunk_ids:
            return {}
        q = (
            'SELECT c.chunk_id, c.doc_id, c.start, c."end", c.text, c.sentences, c.tags, a.title, a.source, '
            "a.published, a.event_date, a.event_date_text, a.provinces, a.path, a.url "
            "FROM chunks c JOIN articles a ON a.doc_id = c.doc_id "
            f"WHERE c.chunk_id IN ({','.join('?' * len(chunk_ids))})"
        )
        out = {}
        for row in self._db.execute(q, chunk_ids):
            cid, doc, start, end, text, sents, tags, title, source, pub, ev, evt, prov, path, url = row
            out[cid] = {
                "chunk_id": cid, "doc_id": doc, "start": start, "end": end, "text": text,
                "sentences": [tuple(s) for s in json.loads(sents or "[]")],
                "tags": [[tuple(t) for t in s] for s in json.loads(tags or "[]")],
                "meta": {
                    "title": title, "source": source, "published": pub, "event_date": ev,
                    "event_date_text": evt, "provinces": join_places(json.loads(prov or "[]")),
                    "path": path, "url": url, "doc_id": doc,
                },
            }
        return out

    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT v FROM state WHERE k=?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO state(k, v) VALUES(?, ?)", (key, value))

    def replace_all(
        self, articles: list[tuple], chunks: list[tuple], state: dict[str, str], vectors: Iterable[tuple] = ()
    ) -> None:
        """Swap the whole catalog for raw rows (rebuilt from Chroma) in one transaction, so
        readers in other processes see the old catalog or the new one, never a mix."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM sentvecs")
            self._db.executemany("INSERT OR REPLACE INTO sentvecs VALUES (?,?,?)", list(vectors))
            self._db.execute("DELETE FROM chunks")
            self._db.execute("DELETE FROM articles")
            self._db.executemany("INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", articles)
            self._db.executemany("INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?)", chunks)
            self._db.executemany("INSERT OR REPLACE INTO state(k, v) VALUES(?, ?)", list(state.items()))
            self._bump()

    def counts(self) -> tuple[int, int]:
        a = self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        c = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return a, c


def pack_vectors(v: np.ndarray) -> bytes:
    """float16 bytes: half the size, and cosine similarities change by < 1e-3."""
    return np.asarray(v, dtype=np.float16).tobytes()


def unpack_vectors(blob: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).astype(np.float32)
