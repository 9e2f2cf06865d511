"""Folding used by every eval comparison: diacritics, case, dashes and spaces don't count.

Vietnamese answers are judged on the key fact, not its typography: "Hoà" = "Hòa" = "hoa",
"2017 - 2020" = "2017-2020" = "2017–2020", "Đồng" = "dong".
"""

from __future__ import annotations

import re
import unicodedata

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u00a0": " "})
_SPACED_DASH = re.compile(r"\s*-\s*")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ -> d), unify dashes and collapse whitespace."""
    text = unicodedata.normalize("NFD", text.translate(_DASHES))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("đ", "d").replace("Đ", "D").casefold()
    text = _SPACED_DASH.sub("-", text)
    return _SPACES.sub(" ", text).strip()


def contains(haystack: str, needle: str) -> bool:
    """Folded test that ``needle`` occurs in ``haystack`` as whole words: "2-10" is not in
    "ngày 12-10", nor "25" in "250 người". An empty needle never matches (it would make any
    answer right)."""
    n = fold(needle)
    if not n:
        return False
    left = r"(?<![^\W_])" if _WORD.match(n[0]) else ""
    right = r"(?![^\W_])" if _WORD.match(n[-1]) else ""
    return re.search(left + re.escape(n) + right, fold(haystack)) is not None


def numbers(text: str) -> list[str]:
    """The numbers written in ``text`` ("1.200", "4,5", and 1, 9, 2025 of "1-9-2025")."""
    return _NUMBER.findall(fold(text))


_WORD = re.compile(r"\w")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
