"""Small text helpers shared by every stage: Unicode normalisation and diacritic folding.

Folding maps Vietnamese to plain ASCII letters ("Đà Nẵng" -> "da nang", "đ" -> "d")
so that questions typed without diacritics match the articles. It is length-preserving on
NFC text, so offsets found in folded text are valid in the original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    return base.lower() if len(base.lower()) == 1 else ch.lower()


class _FoldTable(dict):
    """``str.translate`` table filled as characters are first met: each maps to its folded form."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        self[code] = out = ch.lower() if ch.isascii() else _fold_char(ch)
        return out


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case, diacritics removed, same length as ``nfc(text)``."""
    text = nfc(text)
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def has_vietnamese_marks(text: str) -> bool:
    return any(not c.isascii() and c.isalpha() for c in text)
