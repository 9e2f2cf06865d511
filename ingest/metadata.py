"""Article metadata from a cleaned page: title, outlet, dates, provinces.

Dates come in many shapes: "Đăng ngày: 01/07/2019", "Thứ Sáu, 09/06/2017 23:44", and leads
that give only a day and month ("Sáng 21-6", "Ngày 29.6", "Chiều 9/6"). The event's year is
taken from the publication date when there is one, else from the latest full date the text
itself gives, else left unknown: a guessed year would be a made-up fact.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from ingest.clean import clean_article
from ingest.dates import DMY, DMY_SPACED, ISO, LEAD_DATE, iso
from ingest.load import RawDoc
from ingest.models import Article, content_hash
from ingest.textutil import fold, has_vietnamese_marks, nfc


@lru_cache(maxsize=1)
def provinces() -> list[tuple[str, list[str]]]:
    """(canonical name, [written forms]) for every province."""
    out = []
    for line in files("ingest").joinpath("data/provinces.txt").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        names = [n.strip() for n in line.split("\t") if n.strip()]
        name = names[0].lstrip("~")
        forms = names[1:] if names[0].startswith("~") else [name, *names[1:]]
        out.append((name, [nfc(f) for f in forms]))
    return out


@lru_cache(maxsize=2)
def _province_patterns(folded: bool) -> list[tuple[str, tuple[str, ...], re.Pattern]]:
    """Each province's name, its forms, and a pattern finding any of them as whole words."""
    pats = []
    for name, forms in provinces():
        alts = sorted({fold(f) if folded else f for f in forms}, key=len, reverse=True)
        pats.append((name, tuple(alts), re.compile(r"(?<!\w)(" + "|".join(map(re.escape, alts)) + r")(?!\w)")))
    return pats


@lru_cache(maxsize=1)
def _marked_forms() -> dict[str, frozenset[str]]:
    """Each province's written forms in lower case ("quảng trị", "tp. hồ chí minh", ...)."""
    return {name: frozenset(f.lower() for f in forms) for name, forms in provinces()}


def find_provinces(text: str, folded: bool = False) -> list[str]:
    """Provinces mentioned in ``text``, in order of first mention.

    Articles are matched as written (capitalised), so "tham gia lại" is not Gia Lai;
    ``folded=True`` matches diacritic-free text such as a question typed without accents.
    A word names one province: of two mentions that share words, the one that starts first
    (then the longer) is kept, so "lang son la bao nhieu" ("Lạng Sơn là …") is not Sơn La.
    Folded, a mention written with marks counts only if they are the province's own.
    """
    first: dict[str, int] = {}
    for start, _, name in province_spans(text, folded):
        first.setdefault(name, start)
    return sorted(first, key=first.__getitem__)


def province_spans(text: str, folded: bool = False) -> list[tuple[int, int, str]]:
    """Every province mention in ``text`` as (start, end, name), in order (see ``find_provinces``);
    the offsets are those of ``nfc(text)``."""
    written = nfc(text)
    text = fold(written) if folded else written  # the same length: offsets hold in both
    marked = _marked_forms() if folded else {}
    mentions = []
    for name, forms, pat in _province_patterns(folded):
        # a form written inside the text at all (a quick test) before the whole-word search
        if any(f in text for f in forms):
            mentions += [(m.start(), -m.end(), name) for m in pat.finditer(text)
                         # typed with marks, a mention is the province only as the province writes
                         # them: "Hồ Quang Trí" is a man, not Quảng Trị
                         if not folded or not has_vietnamese_marks(w := written[m.start():m.end()])
                         or w.lower() in marked[name]]
    kept: list[tuple[int, int, str]] = []
    for start, neg_end, name in sorted(mentions):
        if not kept or start >= kept[-1][1]:
            kept.append((start, -neg_end, name))
    return kept


def _first_date(lines: list[str]) -> str | None:
    for ln in lines:
        for m in DMY.finditer(ln):
            found = iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if found:
                return found
    return None


def event_date(lead: str, published: str | None, text: str) -> tuple[str | None, str | None]:
    """(ISO event date or None, the date as written) from the lead sentence."""
    m = LEAD_DATE.match(lead.strip())
    if not m:
        return None, None
    d, mo = int(m.group(1)), int(m.group(2))
    written = m.group(0)
    if m.group(3):
        return iso(d, mo, int(m.group(3))), written
    if published:
        y = int(published[:4])
        # An event reported after the new year happened the year before.
        if (mo, d) > (int(published[5:7]), int(published[8:10])):
            y -= 1
        return iso(d, mo, y), written
    full = [(int(y), int(m_), int(d_)) for d_, m_, y in DMY_SPACED.findall(text) if 1900 < int(y) < 2100]
    if full:
        y, m_, d_ = max(full)
        if (mo, d) >= (m_, d_):
            return iso(d, mo, y), written
    return None, written


def _fallback_title(text: str, path: str) -> str:
    """A page with no title line: its first sentence, without the opening date and place
    ("Sáng 21-6, tại thành phố Thái Nguyên (...), ")."""
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    m = LEAD_DATE.match(first)
    rest = first[m.end():].lstrip(" ,") if m else first
    rest = re.sub(r"^(tại|ở)\s[^,]*(\([^)]*\))?[^,]*,\s*", "", rest)
    if len(rest) >= 20:
        first = rest[0].upper() + rest[1:]
    if 10 <= len(first) <= 120:
        return first.rstrip(".")
    if first:
        return first[:100].rsplit(" ", 1)[0] + "…"
    return Path(path).stem.replace("-", " ").replace("_", " ")


def build_article(raw: RawDoc) -> Article:
    """Clean a raw document and read its metadata into an ``Article``."""
    body = raw.text
    html_meta: dict = {}
    if raw.html:
        from ingest.html import html_to_text

        body, html_meta = html_to_text(body)
    cleaned = clean_article(body)
    text = cleaned.text
    title = nfc(raw.fields.get("title") or html_meta.get("title") or cleaned.title or "") or _fallback_title(
        text, raw.path
    )
    published = _normalise_date(raw.fields.get("published") or html_meta.get("published")) or _first_date(
        cleaned.header + cleaned.date_lines
    )
    source = raw.fields.get("source") or html_meta.get("source") or cleaned.outlet or cleaned.source_line
    lead = text.split("\n\n", 1)[0] if text else ""
    ev, ev_text = event_date(lead, published, text)
    return Article(
        doc_id=content_hash(raw.key),
        path=raw.path,
        title=title.strip(),
        text=text,
        source=source,
        published=published,
        event_date=ev,
        event_date_text=ev_text,
        provinces=find_provinces(title + "\n" + text),
        url=raw.fields.get("url") or html_meta.get("url"),
    )


def _normalise_date(value: str | None) -> str | None:
    if not value:
        return None
    m = ISO.match(value)
    if m:
        return iso(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = DMY.search(value)
    return iso(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
