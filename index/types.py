"""What retrieval hands to the answerers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.dates import ISO, LEAD_DATE
from ingest.models import join_places


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
    vectors: Any = None  # (sentences x dim) sentence vectors when the index has them (numpy)

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
    # the year and/or month the article's event took place ("which conferences took place in June?")
    event_year: int | None = None
    event_month: int | None = None

    def empty(self) -> bool:
        return not (self.source or self.province or self.date_from or self.date_to or self.event_year
                    or self.event_month)

    def accepts(self, meta: dict) -> bool:
        if self.source and self.source.casefold() not in (meta.get("source") or "").casefold():
            return False
        if self.province and join_places([self.province.casefold()]) not in (meta.get("provinces") or "").casefold():
            return False
        date = meta.get("published") or meta.get("event_date") or ""
        if self.date_from and (not date or date < self.date_from):
            return False
        if self.date_to and (not date or date > self.date_to):
            return False
        if self.event_year or self.event_month:
            year, month = event_period(meta)
            if (self.event_year and year != self.event_year) or (self.event_month and month != self.event_month):
                return False
        return True


def event_period(meta: dict) -> tuple[int | None, int | None]:
    """(year, month) of an article's event: from its ISO event date, else from the date as the
    lead wrote it ("Sáng 21-6": June, year unknown)."""
    iso = meta.get("event_date") or ""
    if ISO.fullmatch(iso):
        return int(iso[:4]), int(iso[5:7])
    m = LEAD_DATE.match(meta.get("event_date_text") or "")  # the text that regex found at ingest
    if m and 1 <= int(m.group(2)) <= 12:
        return (int(m.group(3)) if m.group(3) else None), int(m.group(2))
    return None, None
