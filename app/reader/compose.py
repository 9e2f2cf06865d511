"""Writing the reply: the short answer line with [n] markers, the quoted evidence, and the
English form of dates and amounts for English questions ("17 September", "3 tỷ đồng (3 billion
VND)"). Names and quotes stay as the article writes them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.reader.words import units
from ingest.textutil import fold

REFUSAL = {"vi": "Các bài báo không nói về điều này.", "en": "The articles don't say."}
REFUSAL_PLACE = {"vi": "Các bài báo không nói về {place}.", "en": "The articles don't mention {place}."}
CLOSEST = {
    "vi": "Các bài báo không nói rõ điều này. Gần nhất là: “{quote}” [1]",
    "en": "The articles don't say this directly. The closest they come is: “{quote}” [1]",
}
JOIN = {"vi": " và ", "en": " and "}
MONTHS = "January February March April May June July August September October November December".split()
SCALE = {"ty": "billion", "trieu": "million", "nghin": "thousand", "ngan": "thousand"}


def join(parts: list[str], lang: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + JOIN[lang] + parts[-1]


def _month(m: str) -> str | None:
    return MONTHS[int(m) - 1] if m.isdigit() and 1 <= int(m) <= 12 else None


def english_date(text: str) -> str | None:
    """"sáng 17-9" -> "17 September"; "12/3/2024" -> "12 March 2024"; "tháng 3/2024" -> "March
    2024"; "năm 2019" -> "2019"; "lúc 3 giờ 20 phút" -> "3:20"; "quý I/2027" -> "Q1 2027". None when there is
    nothing to say."""
    f = fold(text)
    q = re.search(r"\bquy\s+(iv|i{1,3}|[1-4])\b(?:\s*(?:[/-]|nam)\s*(\d{4}))?", f)
    if q:  # "quý I/2027" -> "Q1 2027"
        n = {"i": 1, "ii": 2, "iii": 3, "iv": 4}.get(q.group(1)) or int(q.group(1))
        return " ".join(x for x in (f"Q{n}", q.group(2)) if x)
    out = []
    m = re.search(r"(\d{1,2})\s*(?:gio|h)\s*(\d{1,2})?", f)
    if m:
        out.append(f"{int(m.group(1))}:{int(m.group(2) or 0):02d}")
    m = re.search(r"(\d{1,2})\s*(?:[-/.]|\s+thang\s+)\s*(\d{1,2})(?:\s*(?:[-/.]|,?\s*nam\s+)\s*(\d{4}))?", f)
    if m and _month(m.group(2)) and 1 <= int(m.group(1)) <= 31:
        out.append(" ".join(x for x in (str(int(m.group(1))), _month(m.group(2)), m.group(3)) if x))
    else:
        m = re.search(r"thang\s+(\d{1,2})(?:\s*(?:[/-]|nam)\s*(\d{4}))?", f)
        if m and _month(m.group(1)):
            out.append(" ".join(x for x in (_month(m.group(1)), m.group(2)) if x))
        else:
            m = re.search(r"\b(\d{3,4})\b", f)
            if m:
                out.append(m.group(1))
    return ", ".join(out) or None


@lru_cache(maxsize=1)
def _unit_names() -> dict[str, str]:
    """Folded Vietnamese unit -> its English word (the first English entry that lists it)."""
    out: dict[str, str] = {}
    for en, forms in units().items():
        if en in ("money", "dong", "billion", "million", "thousand"):
            continue  # categories and scales, not names of a unit
        for f in forms:
            out.setdefault(f, en)
    return out


def english_amount(text: str) -> str | None:
    """"3 tỷ đồng" -> "3 billion VND"; "1.250 người" -> "1,250 people"; "12 năm tù" -> "12 years in
    prison"; None when the unit is not known (the amount is then given as written)."""
    m = re.match(r"\s*(\d+(?:[.,]\d+)*)\s*(%?)\s*(.*)$", text)
    if not m:
        return None
    num, pct, rest = m.groups()
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", num):
        num = num.replace(".", ",")  # Vietnamese thousands dot
    elif re.fullmatch(r"\d+,\d+", num):
        num = num.replace(",", ".")  # Vietnamese decimal comma
    if pct:
        return f"{num}%"
    words = fold(rest).split()
    parts = [num]
    if words and words[0] in SCALE:
        parts.append(SCALE[words.pop(0)])
    unit = " ".join(words)
    names = _unit_names()
    if unit in ("dong", "vnd"):
        parts.append("VND")
    elif unit in ("usd", "do la"):
        parts.append("USD")
    elif unit in names:
        parts.append(names[unit])
    elif unit:
        return None
    return " ".join(parts)


def render(text: str, kind: str, lang: str) -> str:
    """The answer as said in ``lang``: Vietnamese as written; English adds its own form of a date
    or amount before the original in brackets."""
    if lang != "en":
        return text
    english = english_date(text) if kind == "date" else english_amount(text) if kind == "amount" else None
    if english and fold(english) != fold(text):
        return f"{english} ({text})"
    return text


def ended(line: str) -> bool:
    return re.sub(r"\s*\[\d+\]$", "", line).endswith((".", "!", "?", "…", "”"))
