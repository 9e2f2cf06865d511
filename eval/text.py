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
    """Folded substring test; an empty needle never matches (it would make any answer right)."""
    n = fold(needle)
    return bool(n) and n in fold(haystack)
