"""The vector-store interface: one Chroma collection of passage vectors, embedded or on a server.

``Store`` (catalog + BM25 + the sync algorithm) talks to Chroma only through this class. The
two implementations differ in how a process's local catalog is kept in step with the
collection, so besides the passage operations a backend has a few hooks the store calls at
fixed points (opening, before a catalog read, around a write, after a sync):

* ``EmbeddedVectors`` (``index.vectors.embedded``): one folder on disk, shared by the
  processes of one ``HOIDAP_HOME``; the catalog is the newer side, and a handle that missed
  another process's write is reopened.
* ``ServerVectors`` (``index.vectors.server``): a Chroma server shared by many homes; the
  collection is the source of truth, stamped after each write so readers know to rebuild.

``open_vectors`` (``index.vectors``) chooses one from the settings, once.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from index.embed import Embedder
from ingest.errors import IndexMismatch, IndexUnavailable

if TYPE_CHECKING:
    from index.store import Store

log = logging.getLogger(__name__)
PAGE = 1000  # passages read per request when the whole collection is read
MISSING_ID = "Error finding id"  # Chroma's words for a query naming an id it does not hold (or no longer)
NARROWINGS = 3  # a query's ids narrowed to those still held at most this often before the last try


class Vectors(ABC):
    """Passage vectors, texts and metadata in one Chroma collection, keyed by chunk id."""

    label: str  # what the catalog records as the collection's home: "embedded" or the server URL
    where: str  # the collection's home in messages

    def __init__(self, home: Path, embedder: Embedder, name: str) -> None:
        self.home = Path(home)
        self.embedder = embedder
        self.name = name
        self.store: Store | None = None
        self.client = self._connect()
        self.collection = self._open_collection()

    # -- the two backends -------------------------------------------------------------------
    @abstractmethod
    def _connect(self):
        """A chromadb client."""

    @abstractmethod
    def _call(self, op: str, fn: Callable):
        """Run one Chroma call, turning failures into ``IndexUnavailable``."""

    def _read(self, op: str, fn: Callable[[object], object]):
        """A read of the collection (``fn`` takes the collection handle)."""
        return self._call(op, lambda: fn(self.collection))

    def _open_collection(self):
        want = {"embedder": self.embedder.name, "dim": self.embedder.dim}
        try:
            col = self.client.get_or_create_collection(
                self.name, metadata=want, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
        except Exception as e:
            raise IndexUnavailable(
                f"cannot open Chroma collection {self.name!r} on the {self.where}: {e}{self.repair_hint(e)}"
            ) from e
        have = col.metadata or {}
        if have.get("embedder") != want["embedder"] or int(have.get("dim", -1)) != want["dim"]:
            raise IndexMismatch(
                f"the index in {self.home} was built with embedder {have.get('embedder')!r} "
                f"(dim {have.get('dim')}), but HOIDAP_EMBED_MODEL is {want['embedder']!r} (dim {want['dim']}): "
                "set HOIDAP_EMBED_MODEL back, or run `hoidap index reset` and ingest again"
            )
        return col

    def repair_hint(self, e: Exception) -> str:
        """What to do about ``e``, appended to its message ("" when nothing local helps)."""
        return ""

    # -- passages ---------------------------------------------------------------------------
    def count(self) -> int:
        return int(self._read("count", lambda col: col.count()))

    def query(self, embeddings, n: int, ids: list[str] | None = None) -> list[tuple[str, float]]:
        """The ``n`` nearest passages to the first of ``embeddings`` (among ``ids``), as
        (chunk id, cosine similarity), best first.

        Chroma refuses a whole query ("Error finding id") when one of ``ids`` is not in the
        collection, and a re-ingest (here or in another process) deletes an article's old
        passages just after the catalog stops naming them: a reader that took its ids from the
        catalog a moment before asks for some that are gone. The query is then asked again
        among those still held, rather than failing the question."""
        for _ in range(NARROWINGS):
            try:
                return self._query(embeddings, n, ids)
            except IndexUnavailable as e:
                if ids is None or MISSING_ID not in str(e):
                    raise
                held = self.existing(ids)
                log.info("%d of %d passages asked for were removed meanwhile: asking again",
                         len(ids) - len(held), len(ids))
                if not held:
                    return []
                ids = held
        return self._query(embeddings, n, ids)

    def _query(self, embeddings, n: int, ids: list[str] | None) -> list[tuple[str, float]]:
        kw = {"ids": ids} if ids is not None else {}
        if ids is not None:
            n = min(n, len(ids))
        res = self._read(
            "query", lambda col: col.query(query_embeddings=embeddings, n_results=n, include=["distances"], **kw)
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

    def existing(self, ids: list[str]) -> list[str]:
        """Those of ``ids`` the collection holds."""
        out: list[str] = []
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            out.extend(self._read("get", lambda col, part=part: col.get(ids=part, include=[]))["ids"])
        return out

    def rows(self) -> Iterator[tuple[str, str, dict]]:
        """Every passage as (chunk id, text, metadata), a page at a time (no vectors)."""
        offset = 0
        while True:
            page = self._read(
                "get", lambda col, o=offset: col.get(include=["documents", "metadatas"], limit=PAGE, offset=o)
            )
            for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"]):
                yield cid, text or "", meta or {}
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def upsert(self, ids: list[str], embeddings, documents: list[str], metadatas: list[dict]) -> None:
        self._call("upsert", lambda: self.collection.upsert(
            ids=ids, embeddings=embeddings, documents=documents, metadatas=metadatas))

    def update(self, ids: list[str], metadatas: list[dict]) -> None:
        self._call("update", lambda: self.collection.update(ids=ids, metadatas=metadatas))

    def delete(self, ids: list[str]) -> None:
        self._call("delete", lambda: self.collection.delete(ids=ids))

    @abstractmethod
    def drop(self) -> None:
        """Delete the collection (``hoidap index reset``)."""

    # -- keeping the local catalog in step (called by the store it is attached to) -----------
    def attach(self, store: Store) -> None:
        self.store = store

    @abstractmethod
    def check_at_open(self) -> None:
        """The catalog mirrors this collection: bring it up to date, or warn what is missing."""

    @abstractmethod
    def keep_up(self) -> None:
        """Before the catalog is read (not during a write)."""

    @abstractmethod
    def before_write(self) -> None:
        """A writer holds the home's lock: see the latest state first."""

    def after_write(self) -> None:
        """The writer is done (also when it failed)."""

    def synced(self) -> None:
        """A sync wrote its changes."""

    def pulled_state(self) -> dict[str, str]:
        """Catalog state to record when the catalog is rebuilt from the collection (read first)."""
        return {}

    def lost_ids(self) -> list[str]:
        """Passages the catalog holds whose vectors the collection lost (embedded again by a sync)."""
        return []


def transient(e: Exception) -> bool:
    """A failure worth retrying: the connection, not the request, went wrong."""
    import httpx

    if isinstance(e, httpx.TransportError):
        return True
    code = getattr(e, "code", None)
    try:
        return callable(code) and int(code()) in (502, 503, 504)
    except (TypeError, ValueError):
        return False
