"""Word lists the reader shares: function words of both languages and the unit lexicon.

They are general language, not knowledge of any article: function words say nothing of a
sentence's subject, and units ("người", "tỷ đồng", "tấn") are what news counts in. They live
in data files (``app/reader/data``) that any topic can extend.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from ingest.textutil import fold, has_vietnamese_marks, nfc


def _data(name: str) -> str:
    return files("app.reader").joinpath(f"data/{name}").read_text("utf-8")


def _wordset(name: str) -> frozenset[str]:
    lines = [ln for ln in _data(name).splitlines() if not ln.startswith("#")]
    return frozenset(" ".join(lines).split())


@lru_cache(maxsize=1)
def stop_vi() -> frozenset[str]:
    """Folded Vietnamese function words."""
    return _wordset("stop_vi.txt")


@lru_cache(maxsize=1)
def question_words_vi() -> frozenset[str]:
    """Folded Vietnamese words that only ask ("ai", "gì", "bao nhiêu")."""
    return _wordset("qwords_vi.txt")


@lru_cache(maxsize=1)
def stop_en() -> frozenset[str]:
    return _wordset("stop_en.txt")


@lru_cache(maxsize=1)
def titles() -> frozenset[str]:
    """Folded titles of office and rank ("chu tich", "thuong ta", "director"), one phrase each."""
    return frozenset(ln.strip() for ln in _data("titles.txt").splitlines() if ln.strip() and not ln.startswith("#"))


def titles_in(folded: str) -> set[str]:
    """The titles named in a folded, space-joined text."""
    padded = f" {folded} "
    return {t for t in titles() if f" {t} " in padded}


def _tsv(name: str, folded: bool = True) -> list[tuple[str, list[str]]]:
    """Rows "english<TAB>form|form" of a data file: (english, [forms]), forms folded by default."""
    rows = []
    for line in _data(name).splitlines():
        if line.strip() and not line.startswith("#"):
            en, vi = line.split("\t", 1)
            forms = [v.strip() for v in vi.split("|") if v.strip()]
            rows.append((en.strip(), [fold(v) for v in forms] if folded else forms))
    return rows


@lru_cache(maxsize=1)
def units() -> dict[str, list[str]]:
    """English unit or counted noun -> folded Vietnamese forms ("people" -> ["nguoi", ...])."""
    return dict(_tsv("units_en_vi.tsv", folded=False))


@lru_cache(maxsize=1)
def news_lexicon() -> list[tuple[str, list[str]]]:
    """English news word or phrase -> folded Vietnamese forms, longest English first."""
    return sorted(_tsv("news_en_vi.tsv"), key=lambda r: -len(r[0]))


@lru_cache(maxsize=1)
def countries_en() -> list[tuple[str, list[str]]]:
    """English country or region name -> folded Vietnamese forms ("france" -> ["phap"]), longest first."""
    return sorted(_tsv("countries_en_vi.tsv"), key=lambda r: -len(r[0]))


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The one-word English entries of the news vocabulary, with their plural forms."""
    words = {en for en, _ in news_lexicon() if " " not in en}
    return frozenset(words | {w + "s" for w in words} | {w + "es" for w in words})


def find_phrases(text: str, rows: list[tuple[str, list[str]]], suffixes: tuple[str, ...] = ("",)
                 ) -> tuple[list[tuple[str, list[str]]], str]:
    """The rows whose English phrase (with one of ``suffixes``) an English text holds as whole
    words, longest rows first, each taken out of the text; and what is left of the text. Only
    the rows whose first word the text holds are tried (``_by_first_word``): taking a phrase
    out never makes a new word, so no other row could match."""
    low = " " + re.sub(r"[^\w' -]", " ", text.lower()) + " "
    index = _by_first_word(rows)
    words = set(low.split())
    stems = words | {w[:-len(x)] for w in words for x in suffixes if x and w.endswith(x)}
    tried = sorted({k for w in stems for k in index.get(w, ())})
    found: list[tuple[str, list[str]]] = []
    for en, vi in (rows[k] for k in tried):
        for form in (f"{en}{x}" for x in suffixes):
            if f" {form} " in low:
                found.append((en, vi))
                low = low.replace(f" {form} ", " ")
                break
    return found, low


_FIRST_WORDS: dict[int, tuple[list, dict[str, list[int]]]] = {}


def _by_first_word(rows: list[tuple[str, list[str]]]) -> dict[str, list[int]]:
    """The positions of ``rows`` by their English phrase's first word (kept per list of rows;
    the lists are the cached vocabularies, so there are only a few)."""
    got = _FIRST_WORDS.get(id(rows))
    if got is None or got[0] is not rows:
        index: dict[str, list[int]] = {}
        for k, (en, _) in enumerate(rows):
            index.setdefault(en.split(" ")[0], []).append(k)
        got = _FIRST_WORDS[id(rows)] = (rows, index)  # the rows kept alive: their id is not reused
    return got[1]


def english_groups(text: str) -> list[list[str]]:
    """The Vietnamese forms of each news word of an English text ("driver" -> ["tai xe", "lai xe"])."""
    return [vi for _, vi in find_phrases(text, news_lexicon(), ("", "s", "es", "d", "ed"))[0]]


def syllables(text: str) -> list[str]:
    """Folded syllables (Vietnamese words are written as space-separated syllables)."""
    return re.findall(r"[^\W_]+", fold(text))


@lru_cache(maxsize=1)
def stop_vi_marked() -> frozenset[str]:
    """Vietnamese function and question words with their diacritics."""
    return _wordset("stop_vi_marked.txt")


def content(syl: list[str]) -> list[str]:
    """The folded syllables that say what a text is about: not function words, not question words."""
    stop = stop_vi() | question_words_vi() | stop_en()
    return [s for s in syl if s not in stop and not (len(s) == 1 and s.isalpha())]


def content_of(text: str) -> list[str]:
    """``content(syllables(text))``, judging function words on the marked text when it has
    diacritics ("tài xế" keeps "tai", "tại" goes), on the folded text when it has none."""
    if not has_vietnamese_marks(text):
        return content(syllables(text))
    stop = stop_vi_marked() | stop_en()
    words = re.findall(r"[^\W_]+", nfc(text).lower())
    return [fold(w) for w in words if w not in stop and not (len(w) == 1 and w.isalpha())]
