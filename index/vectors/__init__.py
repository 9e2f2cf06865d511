"""Vector stores: the interface (``base``), embedded Chroma and a Chroma server, and the one
place that picks between them."""

from __future__ import annotations

from pathlib import Path

from index.embed import Embedder
from index.vectors.base import Vectors


def open_vectors(home: Path, embedder: Embedder, url: str | None = None, collection: str = "hoidap") -> Vectors:
    """The collection ``collection`` on the Chroma server at ``url``, or embedded in ``home``."""
    if url:
        from index.vectors.server import ServerVectors

        return ServerVectors(Path(home), embedder, collection, url)
    from index.vectors.embedded import EmbeddedVectors

    return EmbeddedVectors(Path(home), embedder, collection)


__all__ = ["Vectors", "open_vectors"]
