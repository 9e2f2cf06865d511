"""Embedded Chroma: the vectors in a folder of ``HOIDAP_HOME``, shared by that home's processes.

The local catalog is the newer side here: a sync writes the vectors, then the catalog, and
vectors the catalog knows but the folder lost (deleted, replaced) are embedded again.

Embedded Chroma is one process's store: a process that keeps a handle open (the chat) while
another (`hoidap ingest`) updates or deletes vectors goes on reading a stale view, and a query
filtered by ids then fails with "Error finding id" until the handle is reopened. The catalog's
generation says when another process has written (adds alone stay visible), so a read first
reopens the handle when the generation moved, and a read that still meets another process's
write mid-way (its catalog not bumped yet) reopens and reads again. (The same words come when a
query names a passage that was deleted since: ``Vectors.query`` then narrows its ids.)
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable

from index.vectors.base import MISSING_ID, Vectors
from index.vectors.chroma_internals import forget_client
from ingest.errors import HoidapError, IndexUnavailable

log = logging.getLogger(__name__)
# Delays before each new read after one hit another process's write: reopened and read again
STALE_RETRY_DELAYS = (0.0, 0.1, 0.3)
DAMAGED = ("malformed", "not a database", "corrupt", "vtable constructor failed")  # SQLite's words


class EmbeddedVectors(Vectors):
    label = "embedded"

    def __init__(self, home, embedder, name: str) -> None:
        self.folder = home / "chroma"
        self.where = f"Chroma store in {home}"
        self.seen = 0  # the catalog generation this handle has seen
        self._reopen_lock = threading.Lock()
        super().__init__(home, embedder, name)

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.folder), settings=ChromaSettings(anonymized_telemetry=False))
        except Exception as e:
            raise IndexUnavailable(f"cannot open the Chroma store in {self.folder}: {e}{self.repair_hint(e)}") from e

    def repair_hint(self, e: Exception) -> str:
        """The way back from a damaged embedded store."""
        if any(w in str(e).lower() for w in DAMAGED):
            return " (the store is damaged: `hoidap index reset --yes` removes it, then ingest your articles again)"
        return " (if this persists: `hoidap index reset --yes` removes the index, then ingest your articles again)"

    def _call(self, op: str, fn: Callable):
        try:
            return fn()
        except HoidapError:
            raise
        except Exception as e:
            raise IndexUnavailable(f"{op} failed on the {self.where}: {e}{self.repair_hint(e)}") from e

    def _read(self, op: str, fn: Callable[[object], object]):
        if self.store is not None and not self.store.writing:
            self._follow_other_writers()
        for delay in (*STALE_RETRY_DELAYS, None):
            col = self.collection
            try:
                return self._call(op, lambda: fn(col))
            except IndexUnavailable as e:
                if delay is None or MISSING_ID not in str(e):
                    raise
                # another process is mid-write (its catalog not bumped yet): reopen, read again
                time.sleep(delay)
                self.reopen(failed=col)

    def _follow_other_writers(self) -> None:
        if self.store.catalog.generation != self.seen:  # (``catalog``: a reset index is followed too)
            self.reopen()

    def _generation(self) -> int:
        return self.store.catalog_db.generation if self.store is not None else 0

    def reopen(self, failed=None, force: bool = False) -> None:
        """Open a fresh handle when another process wrote since this one opened; with ``failed``
        (the collection a read failed on), only if no other thread has done so meanwhile."""
        with self._reopen_lock:
            gen = self._generation()
            if failed is not None:
                if self.collection is not failed:
                    return
            elif gen == self.seen and not force:
                return
            forget_client(self.folder)
            self.client = self._connect()
            self.collection = self._open_collection()
            self.seen = gen
            log.info("reopened the Chroma store in %s: another process wrote to it", self.home)

    def drop(self) -> None:
        """The whole folder goes, so a damaged store is really gone (deleting the collection
        through it may fail)."""
        try:
            self.client.delete_collection(self.name)
        except Exception as e:
            log.info("could not delete the Chroma collection (%s): removing its folder", e)
        forget_client(self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- the catalog ------------------------------------------------------------------------
    def attach(self, store) -> None:
        super().attach(store)
        self.seen = store.catalog_db.generation

    def check_at_open(self) -> None:
        chunks = self.store.catalog_db.counts()[1]
        vectors = self.count()
        if chunks == 0 and vectors:
            log.warning("the index catalog in %s is empty but Chroma holds vectors: rebuilding it", self.home)
            self.store.pull()
        elif vectors < chunks:
            log.warning(
                "the Chroma store in %s holds %d vectors for %d passages: answers use keywords only for the "
                "rest until `hoidap ingest` embeds them again", self.home, vectors, chunks,
            )

    def keep_up(self) -> None:
        """Follow `hoidap index reset` (and a later ingest) in another process."""
        if self.store.follow_reset():
            self.reopen(force=True)

    def before_write(self) -> None:
        self._follow_other_writers()

    def after_write(self) -> None:
        if not self.store.catalog_db.closed:  # (closed: the index was reset)
            self.seen = self.store.catalog_db.generation  # our own writes: our handle has them

    def lost_ids(self) -> list[str]:
        catalog = self.store.catalog_db
        chunks = catalog.counts()[1]
        if not chunks or self.count() >= chunks:
            return []
        ids = catalog.all_chunk_ids()
        have = set(self.existing(ids))
        return [cid for cid in ids if cid not in have]
