"""Checking what an LLM cited: its [n] markers against the passages it was shown.

An LLM's citations cannot be trusted as written: it may cite [7] of 3 passages, write
``[1, 2]``, or cite passages out of order. ``check_citations`` keeps only markers that point
at a passage, renumbers the cited passages compactly in order of first citation (so that
``Draft.cited[n-1]`` is the passage behind ``[n]``) and collects, per passage, the answer
sentences that cite it; ``best_sentence`` then picks the passage sentence that supports
those claims, by folded word overlap with numbers weighted up (figures and dates are what
a reader checks).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from index.types import Hit

# a run of brackets with one or more numbers each: [3], [1, 2], [1;4][7]; leading blanks are
# taken too, so a removed run leaves no double space or space before punctuation
_MARKER = re.compile(r"(?P<ws>[ \t]*)(?P<run>(?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+)")
_SINGLE = re.compile(r"\[(\d+)\]")
_SINGLE_WITH_BLANKS = re.compile(r"\s*\[\d+\]")
_ANSWER_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")
_PASSAGE_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?…]+|$)")
_WORD = re.compile(r"\w+")


@dataclass
class CheckedCitations:
    text: str  # the answer with valid markers renumbered 1..k and invalid ones removed
    order: list[int] = field(default_factory=list)  # hit index behind [1], [2], ...
    removed: list[int] = field(default_factory=list)  # marker numbers that pointed at nothing
    claims: dict[int, list[str]] = field(default_factory=dict)  # new marker -> answer sentences


def check_citations(text: str, n_passages: int) -> CheckedCitations:
    """Validate and renumber the [n] markers of ``text`` for ``n_passages`` passages."""
    renumber: dict[int, int] = {}  # old number -> new number
    removed: list[int] = []

    def replace(match: re.Match) -> str:
        new_markers = []
        for raw in re.findall(r"\d+", match.group("run")):
            old = int(raw)
            if not 1 <= old <= n_passages:
                removed.append(old)
                continue
            new = renumber.setdefault(old, len(renumber) + 1)
            if new not in new_markers:
                new_markers.append(new)
        if not new_markers:
            return ""
        return match.group("ws") + "".join(f"[{n}]" for n in new_markers)

    checked = _MARKER.sub(replace, text).strip()
    order = [old - 1 for old, _ in sorted(renumber.items(), key=lambda item: item[1])]
    return CheckedCitations(checked, order, removed, _claims(checked))


def _claims(text: str) -> dict[int, list[str]]:
    """Answer sentences per marker; a marker opening a sentence belongs to the one before it."""
    claims: dict[int, list[str]] = {}
    previous = ""
    for segment in _ANSWER_SENTENCE_END.split(text):
        leading = _LEADING_MARKERS.match(segment)
        if leading and previous:
            for number in _SINGLE.findall(leading.group(0)):
                claims.setdefault(int(number), []).append(previous)
            segment = segment[leading.end() :]
        sentence = _SINGLE_WITH_BLANKS.sub("", segment).strip()
        for number in _SINGLE.findall(segment):
            claims.setdefault(int(number), []).append(sentence)
        if sentence:
            previous = sentence
    return claims


def fold(text: str) -> str:
    """Casefold and strip Vietnamese diacritics, so 'Hòa' matches 'Hoa'."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _weights(text: str) -> dict[str, float]:
    # single letters carry nothing; figures carry the most
    return {
        w: (2.0 if any(c.isdigit() for c in w) else 1.0)
        for w in _WORD.findall(fold(text))
        if len(w) > 1 or w.isdigit()
    }


def sentence_spans(hit: Hit) -> list[tuple[int, int]]:
    """The passage's sentence spans: the chunker's when present, else a punctuation split."""
    if hit.sentences:
        return list(hit.sentences)
    spans = []
    for match in _PASSAGE_SENTENCE.finditer(hit.text):
        start, end = match.span()
        stripped = match.group(0)
        start += len(stripped) - len(stripped.lstrip())
        end -= len(stripped) - len(stripped.rstrip())
        if end > start:
            spans.append((start, end))
    return spans


def best_sentence(hit: Hit, claims: list[str]) -> tuple[int, int] | None:
    """The span of the passage sentence sharing the most (weighted) words with the claims."""
    wanted = _weights(" ".join(claims))
    best, best_score = None, 0.0
    for start, end in sentence_spans(hit):
        words = _weights(hit.text[start:end])
        shared = sum(weight for word, weight in wanted.items() if word in words)
        if not shared:
            continue
        # mild length penalty: a long sentence shares common words by chance
        score = shared / (1.0 + 0.1 * math.log1p(len(words)))
        if score > best_score:
            best, best_score = (start, end), score
    return best
