"""Finding answer spans of a given type inside one sentence.

Every function takes the sentence text (and its POS tags when the ingest stored them) and
returns ``(start, end)`` spans in that text, so citations can highlight exactly what was
extracted. People come from underthesea's proper-noun tags (``Np``) filtered by a surname
list, because Vietnamese official titles ("Bí thư Thành ủy Hà Nội") are capitalised too and
would otherwise run into the name that follows them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from ingest.metadata import find_provinces
from ingest.textutil import fold

DATE = re.compile(
    r"(?:(?:[Ss]áng|[Cc]hiều|[Tt]ối|[Tt]rưa|[Đđ]êm|[Nn]gày)\s+)?(?:ngày\s+)?\d{1,2}\s*[-/.]\s*\d{1,2}"
    r"(?:\s*[-/.]\s*\d{4})?(?!\d)(?!\s*(?:tỷ|triệu|nghìn|%))"
    r"|(?:[Gg]iai đoạn|[Nn]hiệm kỳ)\s+\d{4}\s*[-–]\s*\d{4}"
    r"|[Tt]háng\s+\d{1,2}(?:[/-]\d{4}|\s+năm\s+\d{4})?"
    r"|(?:[Nn]ăm|[Đđ]ến năm|[Tt]ừ năm)\s+\d{4}"
)
UNIT_WORDS = r"(?:\s+(?!và\b|của\b|cho\b|để\b|với\b|tại\b|từ\b|trong\b)[^\W\d_]+){1,2}"
AMOUNT = re.compile(
    r"(?<![\d/.-])\d+(?:[.,]\d+)*\s*%(?:\s*(?:đến|tới|-|–)\s*\d+(?:[.,]\d+)*\s*%)?"
    r"|(?<![\d/.-])\d+(?:[.,]\d+)*(?:\s*(?:đến|tới|-|–)\s*\d+(?:[.,]\d+)*)?" + UNIT_WORDS
    # number words; "năm" is also "year" ("năm nay", "năm qua", "năm 2019"), "ba" also "father"
    + r"|(?<![\w])(?:một|hai|ba|bốn|năm(?!\s+(?:nay|qua|trước|sau|tới|ngoái|đó|này|ấy|học|\d))|sáu|bảy|tám|chín|mười)"
    r"(?!\s+(?:số|vài|trong|cách)\b)" + UNIT_WORDS
)
MONEY_UNITS = ("dong", "usd", "vnd")
# "tại Hà Nội", "tại trụ sở HĐND-UBND": not "tại Hội nghị", "tại đây", "ở các địa phương"
PLACE = re.compile(r"\b(?:tại|ở)\s+(?!(?i:chỗ|hội nghị|hội thảo|buổi|cuộc|lễ|phiên|kỳ họp|đây|đó|các|những|nhiều|mỗi|"
                   r"mọi|thời|giai đoạn)\b)([^,;.()]+(?:\([^)]*\))?)")


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    return frozenset(files("app").joinpath("data/surnames.txt").read_text("utf-8").split())


def _is_person(name: str) -> bool:
    parts = name.split()
    return 2 <= len(parts) <= 5 and parts[0] in surnames() and all(p[:1].isupper() for p in parts) and not (
        find_provinces(name)
    )


def people(sentence: str, tags: list[tuple[str, str]] | None) -> list[tuple[int, int]]:
    """Spans of person names, in order."""
    spans: list[tuple[int, int]] = []
    if tags:  # the tagger, then capitalised runs for what it missed
        cursor = 0
        for word, tag in tags:
            at = sentence.find(word, cursor)
            if at < 0:
                continue
            cursor = at + len(word)
            if tag == "Np" and _is_person(word):
                spans.append((at, at + len(word)))
            elif tag == "Np" and len(word.split()) > 3:
                # the tagger ran a place into a name: "Thái Nguyên Bùi Xuân Hòa"
                parts = word.split()
                for i in range(1, len(parts) - 1):
                    tail = " ".join(parts[i:])
                    if _is_person(tail):
                        spans.append((at + word.index(tail), at + len(word)))
                        break
    run: list[re.Match] = []
    if True:  # the name that ends a run of capitalised words
        for w in [*re.finditer(r"[^\W\d_]+|[^\w\s]", sentence), None]:
            if w is not None and w.group()[:1].isupper() and w.group()[:1].isalpha():
                run.append(w)
                continue
            for i in range(max(0, len(run) - 4), len(run) - 1):
                cand = " ".join(x.group() for x in run[i:])
                if _is_person(cand):
                    new = (run[i].start(), run[-1].end())
                    if not any(a < new[1] and new[0] < b for a, b in spans):
                        spans.append(new)
                    break
            run = []
    return sorted(spans)


def dates(sentence: str) -> list[tuple[int, int]]:
    return [m.span() for m in DATE.finditer(sentence)]


def amounts(sentence: str) -> list[tuple[int, int]]:
    """Numbers with their units ("3 tỷ đồng", "65 dự án", "30% đến 40%"), dates excluded."""
    taken = dates(sentence)
    out = []
    for m in AMOUNT.finditer(sentence):
        s, e = m.span()
        if any(a <= s < b for a, b in taken):
            continue
        # trim the unit to at most the words that look like a unit (stop at a capital: a name)
        words = re.finditer(r"\S+", m.group())
        end = s
        for i, w in enumerate(words):
            if i > 0 and w.group()[:1].isupper():
                break
            end = s + w.end()
        out.append((s, end))
    return out


def places(sentence: str) -> list[tuple[int, int]]:
    out = [m.span(1) for m in PLACE.finditer(sentence)]
    out = [(a, b - (len(sentence[a:b]) - len(sentence[a:b].rstrip()))) for a, b in out]
    return [s for s in out if s[1] - s[0] >= 3]


def provinces_in(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical name) of each province named in the sentence."""
    out = []
    f = fold(sentence)
    for name in find_provinces(sentence):
        i = f.find(fold(name))
        if i >= 0:
            out.append((i, i + len(name), name))
    return sorted(out)


def unit_of(sentence: str, span: tuple[int, int]) -> str:
    """The folded unit words after the number in an amount span."""
    text = sentence[span[0]:span[1]]
    if "%" in text:
        return "phan tram %"
    return fold(re.sub(r"^[\d.,%\s–-]+(?:(?:đến|tới)\s*[\d.,%]+\s*)?", "", text)).strip()


def is_money(unit: str) -> bool:
    return any(u in unit.split() for u in MONEY_UNITS)
