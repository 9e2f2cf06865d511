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
newest version (``index.chunk_meta.catalog_rows``). Vectors no catalog references are
harmless (retrieval drops ids the catalog does not know) and are reused by the next ingest.

Writers: run one ingest at a time per collection (a batch worker or a cron job). Two
concurrent writers do not corrupt anything (ids are content hashes, writes are upserts)
but each may miss the other's changes in its local catalog until the next stamp.

Calls are retried with backoff on transport errors (a restart, a dropped connection); when
the server stays down, ``IndexUnavailable`` names the URL.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

from index.vectors.base import Vectors, transient
from index.vectors.chroma_internals import set_http_timeout
from ingest.errors import HoidapError, IndexUnavailable

log = logging.getLogger(__name__)
STAMP = "hoidap_stamp"
CHECK_EVERY = 2.0  # seconds between stamp checks: staleness a reader accepts for one HTTP call less
RETRY_DELAYS = (0.25, 0.75, 2.0)  # seconds before each retry of a failed call


class ServerVectors(Vectors):
    def __init__(self, home, embedder, name: str, url: str) -> None:
        self.url = self.label = url
        self.where = f"Chroma server {url}"
        self._checked = 0.0  # when the stamp was last compared
        self._pull_lock = threading.Lock()
        super().__init__(home, embedder, name)

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        u = urlparse(self.url if "://" in self.url else f"http://{self.url}")
        try:
            client = chromadb.HttpClient(
                host=u.hostname or "localhost", port=u.port or 8000, ssl=u.scheme == "https",
                settings=ChromaSettings(anonymized_telemetry=False),
            )
        except Exception as e:
            raise IndexUnavailable(f"cannot open the Chroma server at {self.url}: {e}") from e
        set_http_timeout(client)
        return client

    def _call(self, op: str, fn: Callable):
        """Retry transient failures (all our writes are idempotent)."""
        for attempt in range(len(RETRY_DELAYS) + 1):
            try:
                return fn()
            except HoidapError:
                raise
            except Exception as e:
                if attempt < len(RETRY_DELAYS) and transient(e):
                    delay = RETRY_DELAYS[attempt]
                    log.warning("%s on the %s failed (%s): retrying in %.2f s", op, self.where, e, delay)
                    time.sleep(delay)
                    continue
                raise IndexUnavailable(f"{op} failed on the {self.where}: {e}") from e

    def drop(self) -> None:
        try:
            self.client.delete_collection(self.name)
        except Exception as e:
            raise IndexUnavailable(f"could not delete the collection on the {self.where}: {e}") from e

    # -- the stamp ----------------------------------------------------------------------------
    def remote_state(self) -> tuple[str | None, int]:
        """(stamp, vector count) of the shared collection, fetched fresh from the server."""
        col = self._call("get_collection", lambda: self.client.get_collection(self.name))
        return (col.metadata or {}).get(STAMP), self.count()

    def local_state(self) -> tuple[str | None, int | None]:
        """(stamp, vector count) the local catalog was last brought up to."""
        raw = self.store.catalog_db.get_state("remote")
        if not raw:
            return None, None
        stamp, count = json.loads(raw)
        return stamp, count

    def stale(self) -> bool:
        """Does the local catalog lag behind the shared collection?"""
        stamp, count = self.remote_state()
        have_stamp, have_count = self.local_state()
        if stamp is not None:
            return stamp != have_stamp
        if have_count is not None:
            return count != have_count
        return count != self.store.catalog_db.counts()[1]

    def mark(self) -> None:
        """Writer: announce a change to every reader, and note that this catalog is current."""
        fresh = self._call("get_collection", lambda: self.client.get_collection(self.name))
        new = uuid.uuid4().hex
        self._call("modify", lambda: fresh.modify(metadata={**(fresh.metadata or {}), STAMP: new}))
        self.store.catalog_db.set_state("remote", json.dumps([new, self.count()]))

    def catch_up(self) -> None:
        """Rebuild the local catalog if the collection changed (unless another thread is at it:
        answer from the catalog as it is meanwhile)."""
        if not self._pull_lock.acquire(blocking=False):
            return
        try:
            if self.stale():
                self.store.pull()
            self._checked = time.monotonic()
        finally:
            self._pull_lock.release()

    def expire(self) -> None:
        """Compare the stamp on the next catalog read rather than up to ``CHECK_EVERY`` s later."""
        self._checked = 0.0

    # -- the catalog ------------------------------------------------------------------------
    def check_at_open(self) -> None:
        self.catch_up()

    def keep_up(self) -> None:
        if time.monotonic() - self._checked > CHECK_EVERY:
            self.catch_up()

    def before_write(self) -> None:
        self.catch_up()  # write on top of what the shared collection holds

    def synced(self) -> None:
        self.mark()

    def pulled_state(self) -> dict[str, str]:
        return {"remote": json.dumps(list(self.remote_state()))}  # read *before* the contents
