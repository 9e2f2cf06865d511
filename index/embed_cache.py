"""An embedder wrapper that remembers passage vectors by text.

Embedding is the slow part of ingestion on a CPU (a few passages a second on two cores).
Moving an index to a new place (a fresh Chroma server, a new collection) should not pay it
again for passages some index already holds: ``seed_from`` copies (text, vector) pairs out
of an existing Chroma collection, and ``embed_passages`` only runs the real model on texts
it has not seen. Vectors are the model's own, so the result equals a cold ingest.
Queries are never cached (they are cheap and one-off).
"""

from __future__ import annotations

import hashlib

import numpy as np

from index.embed import Embedder


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class CachedEmbedder:
    """``Embedder`` with a passage cache; same ``name``/``dim`` as the model it wraps."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._vectors: dict[bytes, np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._vectors)

    def add(self, texts: list[str], vectors) -> None:
        for t, v in zip(texts, vectors):
            self._vectors[_key(t)] = np.asarray(v, dtype=np.float32)

    def seed_from(self, collection, page: int = 1000) -> int:
        """Copy every (document, embedding) pair of a Chroma collection, and the sentence vectors
        its chunks carry (see ``index.chunk_meta.chunk_meta``); returns how many passages."""
        n, offset = 0, 0
        while True:
            got = collection.get(include=["documents", "embeddings", "metadatas"], limit=page, offset=offset)
            self.add(got["documents"], got["embeddings"])
            for text, meta in zip(got["documents"], got["metadatas"] or []):
                self._add_sentences(text, meta or {})
            n += len(got["ids"])
            if len(got["ids"]) < page:
                return n
            offset += page

    def _add_sentences(self, text: str, meta: dict) -> None:
        import base64
        import json

        from index.catalog import unpack_vectors

        try:
            ann = json.loads(meta.get("ann") or "{}")
            if not ann.get("v"):
                return
            vecs = unpack_vectors(base64.b64decode(ann["v"]), int(ann["d"]))
            spans = ann.get("s") or []
        except (ValueError, KeyError, TypeError):
            return  # a chunk without (or with damaged) sentence vectors: they are embedded again
        if len(spans) == len(vecs):
            self.add([text[a:b] for a, b in spans], vecs)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        keys = [_key(t) for t in texts]
        todo = sorted({i for i, k in enumerate(keys) if k not in self._vectors})
        if todo:
            fresh = self.inner.embed_passages([texts[i] for i in todo])
            for i, v in zip(todo, fresh):
                self._vectors[keys[i]] = np.asarray(v, dtype=np.float32)
        self.misses += len(todo)
        self.hits += len(texts) - len(todo)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = self._vectors[k]
        return out
