"""The index: Chroma (vectors, passages, metadata) + the catalog + the lexical index, kept in step.

``Store.sync(raw_docs)`` is the one way in. For each article it compares the content hash
with the catalog and does nothing when unchanged. Otherwise it chunks, embeds only chunk
ids Chroma does not have yet (ids are content hashes, so unchanged passages of an edited
article and passages written before a crash are reused), upserts them, then replaces the
article's catalog rows in one transaction, then deletes its stale vectors. A crash at any
point leaves either the old article or vectors that the next run reuses: never duplicates.

Chroma is the source of truth: every chunk's metadata holds what the catalog needs, so a
missing or damaged catalog is rebuilt from it, and with a Chroma server several processes
share one collection, each keeping a local catalog + BM25 cache (see ``index.server_sync``).
Calls to a Chroma server are retried with backoff on transport errors (a restart, a dropped
connection); when it stays down, ``IndexUnavailable`` names the URL.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from index import server_sync
from index.catalog import Catalog, CatalogDamaged
from index.embed import Embedder
from index.lexical import LexicalChanged, LexicalIndex
from ingest.errors import BadInput, HoidapError, IndexMismatch, IndexUnavailable
from ingest.load import RawDoc, Skipped

log = logging.getLogger(__name__)
BATCH = 64  # chunks embedded and written together
RETRY_DELAYS = (0.25, 0.75, 2.0)  # seconds before each retry of a failed Chroma server call
# ... and of an embedded read that hit another process's write: reopened and read again until the
# writer's files agree (on a loaded 2-core machine a re-ingest's window outlasted 0.6 s: CI saw a 503)
STALE_RETRY_DELAYS = (0.0, 0.1, 0.3, 0.6, 1.2, 2.5, 5.0)
READS = frozenset({"query", "get", "count"})


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


def connect_chroma(home: Path, url: str | None):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    opts = ChromaSettings(anonymized_telemetry=False)
    try:
        if url:
            u = urlparse(url if "://" in url else f"http://{url}")
            client = chromadb.HttpClient(
                host=u.hostname or "localhost", port=u.port or 8000, ssl=u.scheme == "https", settings=opts
            )
            # chromadb's HTTP session never times out: a hung server would hang every request.
            session = getattr(getattr(client, "_server", None), "_session", None)
            if session is not None:
                import httpx

                session.timeout = httpx.Timeout(120.0, connect=5.0)
            return client
        (home / "chroma").mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(home / "chroma"), settings=opts)
    except Exception as e:
        where = f"the Chroma server at {url}" if url else f"the Chroma store in {home / 'chroma'}"
        raise IndexUnavailable(f"cannot open {where}: {e}{_repair_hint(e, url)}") from e


class Store:
    def __init__(self, home: Path, embedder: Embedder, chroma_url: str | None = None, collection: str = "hoidap"):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self.chroma_url = chroma_url
        self.client = connect_chroma(self.home, chroma_url)
        self.collection = self._open_collection(collection)
        self.catalog_db = self._open_catalog()
        self._catalog_file = self._catalog_identity()
        self._chroma_gen = self.catalog_db.generation  # the catalog generation our Chroma handle has seen
        self._lexical: LexicalIndex | None = None
        self._checked = 0.0
        self._writing = False
        self._pull_lock = threading.Lock()
        self._lexical_lock = threading.Lock()
        self._reopen_lock = threading.Lock()
        self.epoch = 0  # bumped when the index was replaced under this process (caches keyed on it)
        # The catalog mirrors one collection; a home reused with another server or collection
        # (or switched between embedded and server mode) would otherwise pair rows with absent vectors.
        source = f"{chroma_url or 'embedded'}#{collection}"
        try:
            built_for = self._check_catalog(source)
        except CatalogDamaged as e:  # a page damaged mid-file: the header opened fine
            self._rebuild_catalog(str(e))
            built_for = self.catalog_db.get_state("source")
        if built_for != source:
            self.catalog_db.set_state("source", source)
        self._chroma_gen = self.catalog_db.generation
        _clean_lexical_debris(self.lexical_dir)

    def _check_catalog(self, source: str) -> str | None:
        built_for = self.catalog_db.get_state("source")
        if built_for not in (None, source):
            log.warning("the index catalog in %s mirrors %s, not %s: rebuilding it", self.home, built_for, source)
            server_sync.pull(self)
        elif self.chroma_url:
            self._check_remote()
        else:
            chunks = self.catalog_db.counts()[1]
            vectors = self._chroma("count")
            if chunks == 0 and vectors:
                log.warning("the index catalog in %s is empty but Chroma holds vectors: rebuilding it", self.home)
                server_sync.pull(self)
            elif vectors < chunks:
                log.warning(
                    "the Chroma store in %s holds %d vectors for %d passages: answers use keywords only for the "
                    "rest until `hoidap ingest` embeds them again", self.home, vectors, chunks,
                )
        return built_for

    @property
    def catalog(self) -> Catalog:
        """The local catalog; in server mode brought up to date with the shared collection first,
        embedded, reopened when another process has reset the index and built a new one."""
        if self.chroma_url:
            if not self._writing and time.monotonic() - self._checked > server_sync.CHECK_EVERY:
                self._check_remote()
        elif not self._writing:
            self._check_replaced()  # one stat() call
        return self.catalog_db

    def _catalog_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.home / "catalog.sqlite")
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino

    def _check_replaced(self) -> None:
        """`hoidap index reset` in another process deletes the catalog and the collection under a
        running chat; a later ingest makes new ones. Follow them (or say what happened)."""
        now = self._catalog_identity()
        if now == self._catalog_file:
            return
        with self._reopen_lock:
            now = self._catalog_identity()
            if now == self._catalog_file:
                return
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
            self._chroma_gen = -1  # forces the Chroma handle to be reopened
        self._reopen_chroma()

    def _check_remote(self) -> None:
        if not self._pull_lock.acquire(blocking=False):
            return  # another thread is pulling: answer from the catalog as it is
        try:
            if server_sync.stale(self):
                server_sync.pull(self)
            self._checked = time.monotonic()
        finally:
            self._pull_lock.release()

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
        self._chroma_gen = self.catalog_db.generation
        server_sync.pull(self)
        self._chroma_gen = self.catalog_db.generation
        self._lexical = None
        self.epoch += 1

    # -- opening ---------------------------------------------------------------------------
    def _open_collection(self, name: str):
        want = {"embedder": self.embedder.name, "dim": self.embedder.dim}
        try:
            col = self.client.get_or_create_collection(
                name, metadata=want, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
        except Exception as e:
            raise IndexUnavailable(
                f"cannot open Chroma collection {name!r} on the {self._where()}: {e}{_repair_hint(e, self.chroma_url)}"
            ) from e
        have = col.metadata or {}
        if have.get("embedder") != want["embedder"] or int(have.get("dim", -1)) != want["dim"]:
            raise IndexMismatch(
                f"the index in {self.home} was built with embedder {have.get('embedder')!r} "
                f"(dim {have.get('dim')}), but HOIDAP_EMBED_MODEL is {want['embedder']!r} (dim {want['dim']}): "
                "set HOIDAP_EMBED_MODEL back, or run `hoidap index reset` and ingest again"
            )
        return col

    @contextmanager
    def _writer(self, check: bool = True):
        """One writer at a time per index home (a second ingest waits); with ``check``, a
        damaged catalog is found and rebuilt from Chroma first."""
        with open(self.home / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                if self.chroma_url:
                    self._check_remote()  # write on top of what the shared collection holds
                else:
                    self._follow_other_writers()
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
                if not self.chroma_url and not self.catalog_db.closed:  # (closed: the index was reset)
                    self._chroma_gen = self.catalog_db.generation  # our own writes: our handle has them
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
            if not self.chroma_url:
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
                roots = [str(Path(p).resolve()) for p in prune_under]
                gone = [
                    d for d, (_, path) in known.items()
                    if d not in seen and any(str(Path(path.split(":")[0]).resolve()).startswith(r) for r in roots)
                ]
                self.remove(gone)
                report.removed = len(gone)
            if self.chroma_url:
                server_sync.mark(self)
            self.refresh_lexical()
        return report

    def _restore_vectors(self, report: SyncReport) -> None:
        """Embed again the passages the catalog holds and Chroma lost (its folder deleted or
        replaced): an unchanged article is otherwise never looked at again, and its passages
        would be found by keywords only."""
        chunks = self.catalog_db.counts()[1]
        if not chunks or self._chroma("count") >= chunks:
            return
        ids = self.catalog_db.all_chunk_ids()
        have = set(self._existing_ids(ids))
        lost = [cid for cid in ids if cid not in have]
        if not lost:
            return
        log.warning("the Chroma store in %s lost %d of %d vectors: embedding them again", self.home, len(lost), chunks)
        for i in range(0, len(lost), BATCH):
            rows = self.catalog_db.vector_rows(lost[i : i + BATCH])
            if not rows:
                continue
            self._chroma(
                "upsert", ids=[cid for cid, _, _ in rows],
                embeddings=self.embedder.embed_passages([text for _, text, _ in rows]),
                documents=[text for _, text, _ in rows], metadatas=[{**meta, "ts": time.time()} for *_, meta in rows],
            )
            report.chunks_restored += len(rows)

    def _flush(self, pending: list, report: SyncReport) -> None:
        if not pending:
            return
        all_chunks = [c for _, chunks, _, _ in pending for c in chunks]
        have = set(self._existing_ids([c.chunk_id for c in all_chunks]))
        new = [c for c in all_chunks if c.chunk_id not in have]
        now = time.time()
        # Beyond a.meta(): what rebuilding the catalog from Chroma needs (see index.server_sync).
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
            self._chroma(
                "upsert",
                ids=[c.chunk_id for c in new],
                embeddings=vectors,
                documents=[c.text for c in new],
                metadatas=[self._chunk_meta(c, metas[c.doc_id], svecs.get(c.chunk_id)) for c in new],
            )
        reused = [c for c in all_chunks if c.chunk_id in have]
        if reused:  # offsets or article metadata may have moved
            known = {**self.catalog.sentence_vectors([c.chunk_id for c in reused]), **svecs}
            self._chroma(
                "update", ids=[c.chunk_id for c in reused],
                metadatas=[self._chunk_meta(c, metas[c.doc_id], known.get(c.chunk_id)) for c in reused],
            )
        report.chunks_embedded += len(new)
        report.chunks_reused += len(reused)
        for article, chunks, key, existed in pending:
            stale = set(self.catalog.chunk_ids(article.doc_id)) - {c.chunk_id for c in chunks}
            self.catalog.put(article, chunks, key)
            if stale:
                self._chroma("delete", ids=sorted(stale))
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

    @staticmethod
    def _chunk_meta(c, article_meta: dict, svecs=None) -> dict:
        # Chroma keeps everything needed to rebuild the catalog from it (server mode, repair).
        ann = {"s": c.sentences, "t": c.tags}
        if svecs is not None:
            import base64

            from index.catalog import pack_vectors

            ann |= {"d": int(svecs.shape[1]), "v": base64.b64encode(pack_vectors(svecs)).decode("ascii")}
        return {**article_meta, "start": c.start, "end": c.end, "ann": json.dumps(ann, ensure_ascii=False)}

    def _existing_ids(self, ids: list[str]) -> list[str]:
        out: list[str] = []
        for i in range(0, len(ids), 500):
            out.extend(self._chroma("get", ids=ids[i : i + 500], include=[])["ids"])
        return out

    def _chroma(self, op: str, **kw):
        if self.chroma_url:
            return self._chroma_call(lambda: getattr(self.collection, op)(**kw), op)
        if op in READS and not self._writing:
            self._follow_other_writers()
        for delay in (*STALE_RETRY_DELAYS, None):
            col = self.collection
            try:
                return self._chroma_call(lambda: getattr(col, op)(**kw), op)
            except IndexUnavailable as e:
                if delay is None or op not in READS or not _stale_handle(e):
                    raise
                # another process is mid-write (its catalog not bumped yet): reopen, read again
                time.sleep(delay)
                self._reopen_chroma(failed=col)

    # Embedded Chroma is one process's store: a process that keeps a handle open (the chat) while
    # another (`hoidap ingest`) updates or deletes vectors goes on reading a stale view, and a
    # query filtered by ids then fails with "Error finding id" until the handle is reopened. The
    # catalog's generation says when another process has written; adds alone stay visible.
    def _follow_other_writers(self) -> None:
        if self.catalog.generation != self._chroma_gen:  # (``catalog``: a reset index is followed too)
            self._reopen_chroma()

    def _reopen_chroma(self, failed=None) -> None:
        """Open a fresh handle; with ``failed`` (the collection a read failed on), only if no
        other thread has done so meanwhile."""
        with self._reopen_lock:
            gen = self.catalog_db.generation
            if (self.collection is not failed) if failed is not None else (gen == self._chroma_gen):
                return
            _forget_client(self.home / "chroma")
            self.client = connect_chroma(self.home, None)
            self.collection = self._open_collection(self.collection.name)
            self._chroma_gen = gen
            log.info("reopened the Chroma store in %s: another process wrote to it", self.home)

    def _where(self) -> str:
        return f"Chroma server {self.chroma_url}" if self.chroma_url else f"Chroma store in {self.home}"

    def _chroma_call(self, fn: Callable, op: str):
        """Run one Chroma call; retry transient server failures (all our writes are idempotent)."""
        delays = RETRY_DELAYS if self.chroma_url else ()
        for attempt in range(len(delays) + 1):
            try:
                return fn()
            except HoidapError:
                raise
            except Exception as e:
                if attempt < len(delays) and _transient(e):
                    log.warning("%s on the %s failed (%s): retrying in %.2f s", op, self._where(), e, delays[attempt])
                    time.sleep(delays[attempt])
                    continue
                hint = _repair_hint(e, self.chroma_url)
                raise IndexUnavailable(f"{op} failed on the {self._where()}: {e}{hint}") from e

    def remove(self, doc_ids: list[str]) -> None:
        for d in doc_ids:
            ids = self.catalog.chunk_ids(d)
            if ids:
                self._chroma("delete", ids=ids)
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
            "chroma": self.chroma_url or "embedded",
            "embedder": self.embedder.name,
            "dim": self.embedder.dim,
            "articles": articles,
            "chunks": chunks,
            "vectors": self._chroma("count"),
            "generation": self.catalog.generation,
            "bytes_on_disk": size,
        }

    def reset(self) -> None:
        """Delete everything this index holds. Embedded, the whole Chroma folder goes, so a
        damaged store is really gone (deleting the collection through it may fail)."""
        with self._writer(check=False):
            try:
                self.client.delete_collection(self.collection.name)
            except Exception as e:
                if self.chroma_url:
                    raise IndexUnavailable(f"could not delete the collection on the {self._where()}: {e}") from e
                log.info("could not delete the Chroma collection (%s): removing its folder", e)
            self.catalog_db.close()
            for p in ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"):
                (self.home / p).unlink(missing_ok=True)
            shutil.rmtree(self.lexical_dir, ignore_errors=True)
            if not self.chroma_url:
                _forget_client(self.home / "chroma")
                shutil.rmtree(self.home / "chroma", ignore_errors=True)


def _repair_hint(e: Exception, url: str | None) -> str:
    """The way back from a damaged embedded store (SQLite's words for a damaged file)."""
    if url:
        return ""
    damaged = ("malformed", "not a database", "corrupt", "vtable constructor failed")
    if any(w in str(e).lower() for w in damaged):
        return " (the store is damaged: `hoidap index reset --yes` removes it, then ingest your articles again)"
    return " (if this persists: `hoidap index reset --yes` removes the index, then ingest your articles again)"


def _forget_client(path: Path) -> None:
    """chromadb shares one client system per path: drop ours so the next client opens afresh
    (threads mid-query keep the old handle until they finish)."""
    from chromadb.api.client import SharedSystemClient

    systems = getattr(SharedSystemClient, "_identifier_to_system", None)
    if isinstance(systems, dict):
        systems.pop(str(path), None)
        getattr(SharedSystemClient, "_identifier_to_refcount", {}).pop(str(path), None)
    else:
        SharedSystemClient.clear_system_cache()


def _clean_lexical_debris(folder: Path) -> None:
    """Remove the temporary folders of BM25 saves that a killed process left behind."""
    from index.lexical import clean_debris

    try:
        clean_debris(folder)
    except OSError as e:
        log.warning("could not remove old lexical index folders beside %s: %s", folder, e)


def _stale_handle(e: Exception) -> bool:
    """Embedded Chroma read through a handle that missed another process's update or delete."""
    return "Error finding id" in str(e)


def _transient(e: Exception) -> bool:
    """A failure worth retrying: the connection, not the request, went wrong."""
    import httpx

    if isinstance(e, httpx.TransportError):
        return True
    code = getattr(e, "code", None)
    try:
        return callable(code) and int(code()) in (502, 503, 504)
    except (TypeError, ValueError):
        return False
