"""What retrieval hands to the answerers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Hit:
    chunk_id: str
    doc_id: str
    text: str  # the passage
    start: int  # offsets of the passage in the cleaned article
    end: int
    score: float  # fused score (higher is better)
    meta: dict = field(default_factory=dict)  # title, source, published, path, event_date, provinces
    sentences: list[tuple[int, int]] = field(default_factory=list)  # spans inside ``text``
    tags: list[list[tuple[str, str]]] = field(default_factory=list)  # (word, POS) per sentence
    dense_rank: int | None = None
    lexical_rank: int | None = None

    @property
    def title(self) -> str:
        return self.meta.get("title", "")


@dataclass
class Filters:
    """Metadata filters; all optional. Dates are ISO strings compared as text."""

    source: str | None = None
    province: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def empty(self) -> bool:
        return not (self.source or self.province or self.date_from or self.date_to)

    def accepts(self, meta: dict) -> bool:
        if self.source and self.source.casefold() not in (meta.get("source") or "").casefold():
            return False
        if self.province and f"|{self.province.casefold()}|" not in (meta.get("provinces") or "").casefold():
            return False
        date = meta.get("published") or meta.get("event_date") or ""
        if self.date_from and (not date or date < self.date_from):
            return False
        if self.date_to and (not date or date > self.date_to):
            return False
        return True
