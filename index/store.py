"""The index: Chroma (vectors, passages, metadata) + the catalog + the lexical index, kept in step.

``Store.sync(raw_docs)`` is the one way in. For each article it compares the content hash
with the catalog and does nothing when unchanged. Otherwise it chunks, embeds only chunk
ids Chroma does not have yet (ids are content hashes, so unchanged passages of an edited
article and passages written before a crash are reused), upserts them, then replaces the
article's catalog rows in one transaction, then deletes its stale vectors. A crash at any
point leaves either the old article or vectors that the next run reuses: never duplicates.

Chroma is the source of truth: every chunk's metadata holds what the catalog needs
(``index.chunk_meta``), so a missing or damaged catalog is rebuilt from it. The vectors live
behind the ``index.vectors`` interface, embedded or on a Chroma server (where several
processes share one collection, each keeping a local catalog + BM25 cache); the store calls
its hooks at fixed points and never asks which one it has.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from index.catalog import Catalog, CatalogDamaged
from index.chunk_meta import catalog_rows, chunk_meta
from index.embed import Embedder
from index.lexical import LexicalChanged, LexicalIndex
from index.vectors import Vectors, open_vectors
from ingest.errors import BadInput, IndexUnavailable
from ingest.load import RawDoc, Skipped

log = logging.getLogger(__name__)
BATCH = 64  # chunks embedded and written together


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_restored: int = 0  # vectors the catalog knew but Chroma had lost, embedded again
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        s = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_reused} reused"
        )
        if self.chunks_restored:
            s += f"; {self.chunks_restored} lost vectors embedded again"
        if self.skipped:
            s += f"; {len(self.skipped)} skipped"
        return s


class Store:
    """One index home: the vectors (``index.vectors``), the catalog and the BM25 index, in step.

    ``Store(home, embedder, chroma_url, collection)`` opens the embedded Chroma store in
    ``home``, or the collection on the Chroma server at ``chroma_url``."""

    def __init__(
        self, home: Path, embedder: Embedder, chroma_url: str | None = None, collection: str = "hoidap",
    ) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self.chroma_url = chroma_url
        self.vectors: Vectors = open_vectors(self.home, embedder, chroma_url, collection)
        self.catalog_db = self._open_catalog()
        self._catalog_file = self._catalog_identity()
        self._lexical: LexicalIndex | None = None
        self._writing = False
        self._lexical_lock = threading.Lock()
        self._reopen_lock = threading.Lock()
        self.epoch = 0  # bumped when the index was replaced under this process (caches keyed on it)
        self.vectors.attach(self)
        # The catalog mirrors one collection; a home reused with another server or collection
        # (or switched between embedded and server mode) would otherwise pair rows with absent vectors.
        source = f"{self.vectors.label}#{collection}"
        try:
            built_for = self._check_catalog(source)
        except CatalogDamaged as e:  # a page damaged mid-file: the header opened fine
            self._rebuild_catalog(str(e))
            built_for = self.catalog_db.get_state("source")
        if built_for != source:
            self.catalog_db.set_state("source", source)
        self.vectors.attach(self)  # (the catalog may have been rebuilt: its generation is the one seen)
        _clean_lexical_debris(self.lexical_dir)

    def _check_catalog(self, source: str) -> str | None:
        built_for = self.catalog_db.get_state("source")
        if built_for not in (None, source):
            log.warning("the index catalog in %s mirrors %s, not %s: rebuilding it", self.home, built_for, source)
            self.pull()
        else:
            self.vectors.check_at_open()
        return built_for

    @property
    def collection(self):
        """The Chroma collection (read it; write through the store)."""
        return self.vectors.collection

    @property
    def writing(self) -> bool:
        """Is this store inside a write (``sync``, ``remove``, ``reset``)?"""
        return self._writing

    @property
    def catalog(self) -> Catalog:
        """The local catalog, first brought up to date by the vectors' backend (in server mode
        with the shared collection; embedded, reopened when another process has reset the
        index and built a new one)."""
        if not self._writing:
            self.vectors.keep_up()
        return self.catalog_db

    def _catalog_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.home / "catalog.sqlite")
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino

    def follow_reset(self) -> bool:
        """`hoidap index reset` in another process deletes the catalog and the collection under a
        running chat; a later ingest makes new ones. Follow them (or say what happened); True
        when the catalog was reopened (one stat() call when nothing happened)."""
        now = self._catalog_identity()
        if now == self._catalog_file:
            return False
        with self._reopen_lock:
            now = self._catalog_identity()
            if now == self._catalog_file:
                return False
            if now is None:
                raise IndexUnavailable(
                    f"the index in {self.home} was reset: add articles with `hoidap ingest PATH`"
                )
            log.warning("the index in %s was reset and rebuilt by another process: reopening it", self.home)
            # (the old catalog is left to the garbage collector: a thread may be mid-query on it)
            self.catalog_db = self._open_catalog()
            self._catalog_file = now
            self._lexical = None
            self.epoch += 1
        return True

    def pull(self) -> int:
        """Replace the local catalog with the collection's contents; returns the chunks kept."""
        t0 = time.perf_counter()
        state = self.vectors.pulled_state()  # before reading: see ``index.vectors.server``
        rows = {cid: {"text": text, **meta} for cid, text, meta in self.vectors.rows()}
        articles, chunks, vectors = catalog_rows(rows)
        self.catalog_db.replace_all(articles, chunks, state, vectors)
        log.info(
            "pulled %d articles, %d chunks from the %s in %.1f s",
            len(articles), len(chunks), self.vectors.where, time.perf_counter() - t0,
        )
        return len(chunks)

    def _open_catalog(self) -> Catalog:
        path = self.home / "catalog.sqlite"
        try:
            return Catalog(path)
        except IndexUnavailable as e:
            # Chroma holds everything the catalog does: keep the damaged file aside and rebuild.
            self._set_catalog_aside(str(e))
            return Catalog(path)

    def _set_catalog_aside(self, why: str) -> None:
        path = self.home / "catalog.sqlite"
        aside = path.with_name(f"catalog.sqlite.damaged-{int(time.time())}")
        log.warning("%s; moved it to %s and rebuilding it from Chroma", why, aside.name)
        path.rename(aside)
        for extra in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
            (self.home / extra).unlink(missing_ok=True)
        # the BM25 files are stamped with a generation of the old catalog, which the new one reuses
        shutil.rmtree(self.lexical_dir, ignore_errors=True)

    def _rebuild_catalog(self, why: str) -> None:
        """Replace a catalog found damaged after it was opened by one rebuilt from Chroma."""
        old = self.catalog_db
        self._set_catalog_aside(why)
        self.catalog_db = Catalog(self.home / "catalog.sqlite")
        old.close()
        self._catalog_file = self._catalog_identity()
        self.vectors.attach(self)
        self.pull()
        self.vectors.attach(self)
        self._lexical = None
        self.epoch += 1

    @contextmanager
    def _writer(self, check: bool = True):
        """One writer at a time per index home (a second ingest waits); with ``check``, a
        damaged catalog is found and rebuilt from Chroma first."""
        with open(self.home / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                self.vectors.before_write()
                try:
                    damage = check and self.catalog_db.check()  # found here, not by a later answer
                except CatalogDamaged as e:
                    damage = str(e.__cause__ or e)
                if damage:
                    self._rebuild_catalog(f"the index catalog {self.home / 'catalog.sqlite'} is damaged ({damage})")
                self._writing = True  # no pulls mid-write: this process's catalog is the newer one
                yield
            finally:
                self._writing = False
                self.vectors.after_write()
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- writing ---------------------------------------------------------------------------
    def sync(
        self,
        docs: Iterable[RawDoc | Skipped],
        prune_under: list[Path] | None = None,
        progress: Callable[[int], None] | None = None,
        with_tags: bool = True,
    ) -> SyncReport:
        """Bring the index in line with ``docs``; with ``prune_under``, drop articles under
        those folders that were not seen."""
        from ingest.chunk import chunk
        from ingest.metadata import build_article

        report = SyncReport()
        with self._writer():
            self._restore_vectors(report)
            known = self.catalog.article_hashes()
            seen: dict[str, str] = {}  # doc_id -> where this run read it
            pending: list = []
            for doc in docs:
                if progress:
                    progress(1)
                if isinstance(doc, Skipped):
                    report.skipped.append(doc)
                    log.info("skipped %s: %s", doc.path, doc.reason)  # front ends say it (once)
                    continue
                try:
                    article = build_article(doc)
                except BadInput as e:
                    report.skipped.append(Skipped(doc.path, str(e)))
                    continue
                except Exception as e:  # one odd page must not stop the folder
                    report.skipped.append(Skipped(doc.path, f"could not be parsed: {e}"))
                    continue
                if not article.text.strip() or len(article.text) < 40:
                    report.skipped.append(Skipped(doc.path, "no article text left after cleaning"))
                    continue
                if article.doc_id in seen:  # one identity, read twice: it would overwrite itself
                    report.skipped.append(Skipped(doc.path, f"the same article as {seen[article.doc_id]}"))
                    continue
                seen[article.doc_id] = doc.path
                old = known.get(article.doc_id)
                if old and old[0] == article.content_hash:
                    report.unchanged += 1
                    continue
                chunks = chunk(article, with_tags=with_tags)
                pending.append((article, chunks, doc.key, old is not None))
                if sum(len(c) for _, c, _, _ in pending) >= BATCH:
                    self._flush(pending, report)
                    pending = []
            self._flush(pending, report)
            if prune_under:
                roots = [Path(p).resolve() for p in prune_under]
                gone = [  # (folders, not string prefixes: /data/news does not hold /data/news2)
                    d for d, (_, path) in known.items()
                    if d not in seen and any(Path(path.split(":")[0]).resolve().is_relative_to(r) for r in roots)
                ]
                self.remove(gone)
                report.removed = len(gone)
            self.vectors.synced()
            self.refresh_lexical()
        return report

    def _restore_vectors(self, report: SyncReport) -> None:
        """Embed again the passages the catalog holds and Chroma lost (its folder deleted or
        replaced): an unchanged article is otherwise never looked at again, and its passages
        would be found by keywords only."""
        lost = self.vectors.lost_ids()
        if not lost:
            return
        log.warning(
            "the %s lost %d of %d vectors: embedding them again", self.vectors.where, len(lost),
            self.catalog_db.counts()[1],
        )
        for i in range(0, len(lost), BATCH):
            rows = self.catalog_db.vector_rows(lost[i : i + BATCH])
            if not rows:
                continue
            self.vectors.upsert(
                [cid for cid, _, _ in rows], self.embedder.embed_passages([text for _, text, _ in rows]),
                [text for _, text, _ in rows], [{**meta, "ts": time.time()} for *_, meta in rows],
            )
            report.chunks_restored += len(rows)

    def _flush(self, pending: list, report: SyncReport) -> None:
        if not pending:
            return
        all_chunks = [c for _, chunks, _, _ in pending for c in chunks]
        have = set(self.vectors.existing([c.chunk_id for c in all_chunks]))
        new = [c for c in all_chunks if c.chunk_id not in have]
        now = time.time()
        # Beyond a.meta(): what rebuilding the catalog from Chroma needs (see index.chunk_meta).
        metas = {
            a.doc_id: {
                **a.meta(), "hash": a.content_hash, "key": key, "event_date_text": a.event_date_text or "",
                "n_chars": len(a.text), "ts": now,
            }
            for a, _, key, _ in pending
        }
        svecs = self._sentence_vectors(all_chunks)
        if new:
            vectors = self.embedder.embed_passages([c.text for c in new])
            self.vectors.upsert(
                [c.chunk_id for c in new], vectors, [c.text for c in new],
                [chunk_meta(c, metas[c.doc_id], svecs.get(c.chunk_id)) for c in new],
            )
        reused = [c for c in all_chunks if c.chunk_id in have]
        if reused:  # offsets or article metadata may have moved
            known = {**self.catalog.sentence_vectors([c.chunk_id for c in reused]), **svecs}
            self.vectors.update(
                [c.chunk_id for c in reused], [chunk_meta(c, metas[c.doc_id], known.get(c.chunk_id)) for c in reused]
            )
        report.chunks_embedded += len(new)
        report.chunks_reused += len(reused)
        for article, chunks, key, existed in pending:
            stale = set(self.catalog.chunk_ids(article.doc_id)) - {c.chunk_id for c in chunks}
            self.catalog.put(article, chunks, key)
            if stale:
                self.vectors.delete(sorted(stale))
            if existed:
                report.updated += 1
            else:
                report.added += 1
        self.catalog.put_sentence_vectors(svecs)

    def _sentence_vectors(self, chunks: list) -> dict:
        """Sentence vectors for the chunks that have none stored yet (new ones, and chunks of an
        index built before the reader used them). The reader compares the question with each
        sentence, across languages; one embedding per distinct sentence, none at query time."""
        import numpy as np

        todo = self.catalog.without_sentence_vectors([c.chunk_id for c in chunks])
        todo_chunks = [c for c in chunks if c.chunk_id in todo and c.sentences]
        texts = list(dict.fromkeys(c.text[a:b] for c in todo_chunks for a, b in c.sentences))
        if not texts:
            return {}
        vec = dict(zip(texts, self.embedder.embed_passages(texts)))
        return {c.chunk_id: np.stack([vec[c.text[a:b]] for a, b in c.sentences]) for c in todo_chunks}

    def search(self, vector, n: int, ids: list[str] | None = None) -> list[tuple[str, float]]:
        """The ``n`` passages nearest to ``vector`` (among ``ids``): (chunk id, cosine similarity)."""
        return self.vectors.query(vector, n, ids)

    def remove(self, doc_ids: list[str]) -> None:
        for d in doc_ids:
            ids = self.catalog.chunk_ids(d)
            if ids:
                self.vectors.delete(ids)
        self.catalog.remove(doc_ids)

    # -- lexical ---------------------------------------------------------------------------
    @property
    def lexical_dir(self) -> Path:
        return self.home / "lexical"

    def refresh_lexical(self) -> LexicalIndex:
        gen = self.catalog.generation
        if self._lexical is not None and self._lexical.generation == gen:
            return self._lexical
        # One thread loads or rebuilds. The others answer from the previous snapshot meanwhile
        # (a rebuild takes ~30 s at 100k chunks; retrieval already skips passages gone from
        # the catalog), or wait when there is none yet.
        if not self._lexical_lock.acquire(blocking=self._lexical is None):
            return self._lexical
        try:
            if self._lexical is None or self._lexical.generation != gen:
                self._lexical = self._load_lexical(gen)
            return self._lexical
        finally:
            self._lexical_lock.release()

    def _load_lexical(self, gen: int) -> LexicalIndex:
        for attempt in range(4):
            try:
                lex = LexicalIndex.load(self.lexical_dir)
            except LexicalChanged:
                continue  # another process saved a newer build while we read: read that one
            except FileNotFoundError:
                if gen and attempt < 3:
                    time.sleep(0.05)  # another process may be between the two renames of its save
                    continue
                if gen and not self._writing:  # an ingest builds it the first time; later, it was lost
                    log.warning("lexical index in %s is missing: rebuilding it from the catalog", self.lexical_dir)
                return self._rebuild_lexical(gen)
            except Exception as e:
                log.warning("lexical index in %s is damaged (%s): rebuilding it from the catalog", self.lexical_dir, e)
                return self._rebuild_lexical(gen)
            if lex.generation == gen or lex.generation == self.catalog_db.generation:
                return lex  # (the second: another process moved both on since ``gen`` was read)
            return self._rebuild_lexical(gen)  # the catalog changed since it was saved: expected
        return self._rebuild_lexical(gen)

    def _rebuild_lexical(self, gen: int) -> LexicalIndex:
        ids, texts = self.catalog_db.all_chunk_texts()
        lex = LexicalIndex.build(ids, texts, gen)
        lex.save(self.lexical_dir)
        return lex

    @property
    def lexical(self) -> LexicalIndex:
        return self.refresh_lexical()

    # -- info ------------------------------------------------------------------------------
    def stats(self) -> dict:
        articles, chunks = self.catalog.counts()
        size = sum(f.stat().st_size for f in self.home.rglob("*") if f.is_file())
        return {
            "home": str(self.home),
            "chroma": self.vectors.label,
            "embedder": self.embedder.name,
            "dim": self.embedder.dim,
            "articles": articles,
            "chunks": chunks,
            "vectors": self.vectors.count(),
            "generation": self.catalog.generation,
            "bytes_on_disk": size,
        }

    def reset(self) -> None:
        """Delete everything this index holds (embedded, the whole Chroma folder)."""
        with self._writer(check=False):
            self.vectors.drop()
            self.catalog_db.close()
            for p in ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"):
                (self.home / p).unlink(missing_ok=True)
            shutil.rmtree(self.lexical_dir, ignore_errors=True)


def _clean_lexical_debris(folder: Path) -> None:
    """Remove the temporary folders of BM25 saves that a killed process left behind."""
    from index.lexical import clean_debris

    try:
        clean_debris(folder)
    except OSError as e:
        log.warning("could not remove old lexical index folders beside %s: %s", folder, e)
