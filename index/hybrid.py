"""Retrieval: dense (Chroma), lexical (BM25), and their reciprocal-rank fusion.

RRF needs no score calibration between a cosine similarity and a BM25 score, which matters
because the two sides fail differently: dense retrieval is cross-lingual (English questions
about Vietnamese text) and lexical retrieval is exact on names, numbers and unaccented
input. A passage that both sides rank well wins.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict

from index.store import Store
from index.types import Filters, Hit, event_period
from ingest.models import join_places, split_places

RRF_K = 60
POOL = 50  # candidates taken from each side before fusion
QUERY_CACHE = 64  # query vectors kept (retrieval embeds a question, the reader reuses it)
FILTER_CACHE = 128  # filters whose allowed chunks are kept (a mask is 4 bytes a chunk)


class _Articles:
    """Every article's filter metadata for one catalog generation, plus the two lookups the
    assistant's own filters use (province, event period), so a filter reads the few hundred
    articles that can pass rather than all of them: at 15,000 articles a full scan cost
    ~50 ms per new filter. ``Filters.accepts`` still decides for every candidate, so the
    result is exactly what a full scan gives."""

    def __init__(self, articles: list[dict]) -> None:
        self.all = [(a["doc_id"], {**a, "provinces": join_places(a["provinces"])}) for a in articles]
        self.by_place: dict[str, list[tuple[str, dict]]] = defaultdict(list)
        self.by_period: dict[tuple, list[tuple[str, dict]]] = defaultdict(list)
        for item in self.all:
            # the names between bars are what ``accepts`` can match a bar-free province against
            for place in set(split_places(item[1]["provinces"].casefold())):
                self.by_place[place].append(item)
            self.by_period[event_period(item[1])].append(item)

    def candidates(self, filters: Filters) -> list[tuple[str, dict]]:
        place = filters.province.casefold() if filters.province else None
        if place and "|" not in place:
            return self.by_place.get(place, [])
        if filters.event_year or filters.event_month:
            return [
                item for (year, month), items in self.by_period.items()
                if (not filters.event_year or year == filters.event_year)
                and (not filters.event_month or month == filters.event_month)
                for item in items
            ]
        return self.all


class Allowed:
    """What one filter lets through: articles, their chunk ids (sorted, for Chroma) and the
    matching BM25 row mask (both built on first use by ``HybridRetriever.allowed_ids`` and
    ``allowed_mask``; the mask rebuilt if the lexical index changed size)."""

    def __init__(self, docs: set[str]) -> None:
        self.docs = docs
        self.ids: list[str] | None = None
        self.mask = None


class HybridRetriever:
    """``retrieve(query, k, filters, lexical_query=None) -> list[Hit]``; ``mode`` picks the sides."""

    def __init__(self, store: Store, mode: str = "hybrid") -> None:
        if mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"unknown retrieval mode {mode!r}")
        self.store = store
        self.mode = mode
        # Per index generation: the articles' filter metadata, the chunk count, and what each
        # recent filter allows (one question rarely comes alone with its filter).
        self._articles: tuple[tuple, _Articles] | None = None
        self._count: tuple[tuple, int] | None = None
        self._filter_cache: OrderedDict[tuple, Allowed] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._queries: OrderedDict[str, object] = OrderedDict()

    def _generation(self) -> tuple[int, int]:
        # the epoch changes when another process reset the index and built a new one, whose
        # generation numbers start again (read after ``catalog``, which notices that)
        generation = self.store.catalog.generation
        return self.store.epoch, generation

    def _key(self, filters: Filters) -> tuple:
        return (self._generation(), filters.source, filters.province, filters.date_from, filters.date_to,
                filters.event_year, filters.event_month)

    def allowed(self, filters: Filters | None) -> Allowed | None:
        """What ``filters`` let through (None: no filter), kept for the latest filters of this
        index generation."""
        if not filters or filters.empty():
            return None
        key = self._key(filters)
        with self._cache_lock:  # concurrent requests share the cache (and evict from it)
            entry = self._filter_cache.get(key)
            if entry is not None:
                self._filter_cache.move_to_end(key)
                return entry
        gen = key[0]
        articles = self._articles
        if articles is None or articles[0] != gen:
            articles = self._articles = (gen, _Articles(self.store.catalog.articles()))
        entry = Allowed({doc for doc, meta in articles[1].candidates(filters) if filters.accepts(meta)})
        with self._cache_lock:
            self._filter_cache[key] = entry
            while len(self._filter_cache) > FILTER_CACHE:
                self._filter_cache.popitem(last=False)
        return entry

    def allowed_ids(self, entry: Allowed) -> list[str]:
        """The chunk ids of the articles ``entry`` allows, sorted."""
        if entry.ids is None:
            entry.ids = sorted(self.store.catalog.chunk_ids_of(entry.docs))
        return entry.ids

    def allowed_mask(self, entry: Allowed):
        """The BM25 row mask of the chunks ``entry`` allows."""
        lex = self.store.lexical
        if entry.mask is None or len(entry.mask) != len(lex):
            entry.mask = lex.mask(self.allowed_ids(entry))
        return entry.mask

    def _chunk_count(self) -> int:
        gen = self._generation()
        if self._count is None or self._count[0] != gen:
            self._count = (gen, self.store.catalog.counts()[1])  # Chroma's count() costs ~10 ms at 100k
        return self._count[1]

    def dense(self, query: str, n: int, allowed: Allowed | None = None) -> list[tuple[str, float]]:
        """Up to ``n`` (chunk id, cosine similarity) nearest to ``query``, among ``allowed``."""
        count = self._chunk_count()
        if not count or (allowed is not None and not allowed.docs):
            return []
        vec = self.query_vector(query)[None, :]
        ids = None
        if allowed is not None:
            # an id list is 3-6x faster in Chroma than a where-filter on doc_id
            ids = self.allowed_ids(allowed)
            if not ids:
                return []
            n = min(n, len(ids))
        return self.store.search(vec, min(n, count), ids)

    def query_vector(self, query: str):
        """The query's embedding, kept for the few latest queries: the reader compares the same
        question with each evidence sentence after retrieval has embedded it."""
        with self._cache_lock:
            vec = self._queries.get(query)
            if vec is not None:
                self._queries.move_to_end(query)
                return vec
        vec = self.store.embedder.embed_queries([query])[0]
        with self._cache_lock:
            self._queries[query] = vec
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vec

    def forget_queries(self) -> None:
        """Drop the kept query vectors (benchmarks time a question's embedding for real)."""
        with self._cache_lock:
            self._queries.clear()

    def lexical(self, query: str | list[str], n: int, allowed: Allowed | None = None) -> list[tuple[str, float]]:
        """Up to ``n`` (chunk id, BM25 score) for ``query`` (text or tokens), among ``allowed``."""
        mask = self.allowed_mask(allowed) if allowed is not None else None
        return self.store.lexical.search(query, k=n, allowed=mask)

    def retrieve(
        self,
        query: str,
        k: int = 5,
        filters: Filters | None = None,
        lexical_query: str | list[str] | None = None,
        weights: tuple[float, float] = (1.0, 1.0),
    ) -> list[Hit]:
        """Top ``k`` passages; ``weights`` scale each side's reciprocal ranks (dense, lexical)."""
        allowed = self.allowed(filters)
        dense = self.dense(query, POOL, allowed) if self.mode != "bm25" else []
        lex = self.lexical(lexical_query or query, POOL, allowed) if self.mode != "dense" else []
        fused: dict[str, float] = {}
        for ranked, w in zip((dense, lex), weights):
            for rank, (cid, _) in enumerate(ranked):
                fused[cid] = fused.get(cid, 0.0) + w / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda c: -fused[c])[:k]
        d_rank = {cid: r + 1 for r, (cid, _) in enumerate(dense)}
        l_rank = {cid: r + 1 for r, (cid, _) in enumerate(lex)}
        return self.passages(best, fused, d_rank, l_rank)

    def passages(
        self, chunk_ids: list[str], scores: dict[str, float] | None = None,
        d_rank: dict[str, int] | None = None, l_rank: dict[str, int] | None = None,
    ) -> list[Hit]:
        """Hits for ``chunk_ids`` in that order, read from the catalog."""
        rows = self.store.catalog.chunks(chunk_ids)
        vectors = self.store.catalog.sentence_vectors(chunk_ids)
        hits = []
        for cid in chunk_ids:
            row = rows.get(cid)
            if row is None:  # removed by a concurrent re-ingest: never cite a vanished passage
                continue
            hits.append(
                Hit(
                    chunk_id=cid, doc_id=row["doc_id"], text=row["text"], start=row["start"], end=row["end"],
                    score=(scores or {}).get(cid, 0.0), meta=row["meta"], sentences=row["sentences"],
                    tags=row["tags"], dense_rank=(d_rank or {}).get(cid), lexical_rank=(l_rank or {}).get(cid),
                    vectors=vectors.get(cid),
                )
            )
        return hits

    def with_leads(self, hits: list[Hit], articles: int) -> list[Hit]:
        """``hits`` plus the lead passage of each of the first ``articles`` articles they come
        from, where it is missing: the lead says when and where an article's event took place."""
        docs = list(dict.fromkeys(h.doc_id for h in hits))[:articles]
        have = {h.chunk_id for h in hits}
        leads = [c for c in self.store.catalog.lead_chunk_ids(docs).values() if c not in have]
        if not leads:
            return hits
        extra = {h.doc_id: h for h in self.passages(leads)}
        out: list[Hit] = []
        for h in hits:  # each lead right after its article's best passage
            out.append(h)
            lead = extra.pop(h.doc_id, None)
            if lead is not None:
                out.append(lead)
        return out
