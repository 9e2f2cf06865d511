"""Plain data passed between stages: an ``Article`` (cleaned text + metadata) and its ``Chunk``s."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

# how articles are cut into sentences and chunks (``ingest.chunk``): part of an article's content
# hash, so that a stored article is cut again when the cutting changes
CHUNKING = "2"


def content_hash(*parts: str, size: int = 16) -> str:
    """Stable short hex id from text parts (sha1; collisions at 64 bits are not a concern here)."""
    h = hashlib.sha1()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:size]


@dataclass
class Article:
    doc_id: str  # hash of where it came from: a changed file keeps its doc_id
    path: str
    title: str
    text: str  # cleaned, NFC; chunk offsets point into this
    source: str | None = None  # outlet
    published: str | None = None  # ISO date the outlet published it
    event_date: str | None = None  # ISO date of the event, when the year is known
    event_date_text: str | None = None  # the date as written ("Sáng 21-6")
    provinces: list[str] = field(default_factory=list)
    url: str | None = None

    @property
    def content_hash(self) -> str:
        return content_hash(CHUNKING, self.title, self.text, self.source or "", self.published or "")

    def meta(self) -> dict:
        """Flat metadata for a vector store (no lists, no None)."""
        return {
            "doc_id": self.doc_id,
            "path": self.path,
            "title": self.title,
            "source": self.source or "",
            "published": self.published or "",
            "event_date": self.event_date or "",
            "provinces": join_places(self.provinces),
            "url": self.url or "",
        }


def join_places(places: list[str]) -> str:
    """Provinces as one metadata string, "|Hà Nội|Thái Nguyên|" ("" for none): Chroma metadata
    holds no lists, and the bars let a filter match a whole name as a substring."""
    return "|" + "|".join(places) + "|" if places else ""


def split_places(field: str | None) -> list[str]:
    """The provinces of a ``join_places`` string."""
    return [p for p in str(field or "").split("|") if p]


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    start: int  # offsets into Article.text
    end: int
    # Precomputed at ingest so answering stays cheap: sentence spans relative to the chunk,
    # and per sentence the (token, POS tag) pairs underthesea gives.
    sentences: list[tuple[int, int]] = field(default_factory=list)
    tags: list[list[tuple[str, str]]] = field(default_factory=list)
