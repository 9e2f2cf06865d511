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


# -- grounding what a small model wrote ------------------------------------------------------

# Function words of the two answer languages: they occur in any passage, so sharing them says
# nothing about where a claim came from.
_STOPWORDS = frozenset(
    """
    a an the of to in on at by for from with and or but is are was were be been being it its this that these
    those as which who whom what when where why how than then there their they he she his her we you not no
    do does did has have had will would can could also about into after before over under between during
    và là của các những một cho với trong trên dưới tại từ đến đã đang sẽ được bị có không này đó như thì mà
    để về theo ra vào còn cũng rất hơn nhất hay hoặc nếu khi bởi vì nên
    """.split()
)
SUPPORT = 0.5  # share of a claim's (weighted) content words a passage must hold to support it


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text.casefold()))


def _content(text: str, ignore: frozenset[str] = frozenset()) -> dict[str, float]:
    """A claim's content words (casefolded, diacritics kept) with figures weighted up."""
    return {
        w: (2.0 if any(c.isdigit() for c in w) else 1.0)
        for w in _words(text)
        if (len(w) > 1 or w.isdigit()) and w not in _STOPWORDS and w not in ignore
    }


def support(claim: str, passage: str, language: str = "vi", question: str = "") -> float:
    """How much of the claim the passage holds, 0..1.

    A word matches as written (``hồ`` is not ``hộ``); one written without diacritics also
    matches its folded form, since people and some models drop them. Vietnamese syllables
    are few and shared by many words, so for a Vietnamese claim the share of its word pairs
    found side by side in the passage counts half: "giám đốc sở" in a passage does not
    support "Ông Nguyễn B là giám đốc sở". An English claim paraphrases a Vietnamese passage,
    so only its words (names and figures, mostly) can be matched. Words of the ``question``
    do not count: a reply restating the question answers nothing, whatever passage holds it.
    """
    ignore = frozenset(_words(question))
    wanted = _content(claim, ignore)
    total = sum(wanted.values())
    if not total:
        return 0.0
    words = _words(passage)
    exact = set(words)
    folded = {fold(w) for w in exact}

    def found(w: str, exact: set, folded: set) -> bool:
        return w in exact or (w == fold(w) and w in folded)

    unigram = sum(weight for w, weight in wanted.items() if found(w, exact, folded)) / total
    if language == "en":
        return unigram
    claim_words = _words(claim)
    pairs = {
        f"{a} {b}" for a, b in zip(claim_words, claim_words[1:])
        if (a not in _STOPWORDS or b not in _STOPWORDS) and (a not in ignore or b not in ignore)
    }
    if not pairs:
        return unigram
    have = {f"{a} {b}" for a, b in zip(words, words[1:])}
    have_folded = {fold(p) for p in have}
    return (unigram + sum(found(p, have, have_folded) for p in pairs) / len(pairs)) / 2


def _pieces(text: str) -> list[str]:
    """Sentences and the blanks between them, alternating (so joining them gives the text back).

    A marker run opening a sentence goes back to the one before it first ("... hội nghị. [2]
    Sau đó" -> "... hội nghị [2]. Sau đó"): it cites what came before.
    """
    text = re.sub(r"([.!?…]+)((?:[ \t]*\[\d+(?:\s*[,;]\s*\d+)*\])+)", lambda m: m.group(2) + m.group(1), text)
    return re.split(r"((?<=[.!?…])\s+|\n+)", text)


def _numbers(sentence: str) -> list[int]:
    return [int(n) for run in _MARKER.finditer(sentence) for n in re.findall(r"\d+", run.group("run"))]


def restore_numbers(checked: CheckedCitations) -> str:
    """``checked.text`` with markers numbered as the passages were given, not renumbered."""
    return _MARKER.sub(
        lambda m: m.group("ws") + "".join(f"[{checked.order[n - 1] + 1}]" for n in _numbers(m.group(0))),
        checked.text,
    )


@dataclass
class Grounding:
    text: str  # the answer with markers (passage numbers as given)
    added: list[int] = field(default_factory=list)  # passages cited by hoidap for an uncited answer
    moved: list[tuple[int, int]] = field(default_factory=list)  # (cited, supporting) passage numbers
    supported: int = 0  # sentences a passage they cite supports
    unsupported: int = 0  # cited sentences no passage supports


def ground(text: str, passages: list[str], language: str = "vi", question: str = "") -> Grounding:
    """Check each sentence's [n] against the passages' words; cite an answer that cites nothing.

    A sentence citing passages that do not hold its words is re-pointed at the passage that
    does, if one does. An answer with no marker at all gets, per sentence, the passage
    sharing most of its words when that passage supports it (an answer that does cite is
    trusted to know which of its sentences need a citation). Markers must be valid numbers
    1..len(passages), as given; renumbering is ``check_citations``' job.
    """
    pieces = _pieces(text)
    cites = any(_numbers(p) for p in pieces[::2])
    result = Grounding("")
    for i in range(0, len(pieces), 2):
        sentence = pieces[i]
        opening = _OPENING_MARKERS.match(sentence)
        if opening and sentence[opening.end() :].strip():  # "[1] Answer." reads "Answer [1]."
            sentence = pieces[i] = _cite(sentence[opening.end() :], opening.group(1).strip())
        numbers = _numbers(sentence)
        claim = " ".join(_MARKER.sub("", sentence).split())
        if not claim or (cites and not numbers):
            continue
        scores = [support(claim, p, language, question) for p in passages]
        best = max(range(len(passages)), key=scores.__getitem__) + 1 if passages else 0
        if numbers and any(scores[n - 1] >= SUPPORT for n in numbers):
            result.supported += 1
            continue
        if not best or scores[best - 1] < SUPPORT:
            result.unsupported += bool(numbers)
            continue
        if numbers:
            result.moved += [(n, best) for n in dict.fromkeys(numbers)]
            sentence = _MARKER.sub("", sentence)
        else:
            result.added.append(best)
        pieces[i] = _cite(sentence, best)
        result.supported += 1
    result.text = "".join(pieces)
    return result


_OPENING_MARKERS = re.compile(r"^\s*((?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]\s*)+)")


def _cite(sentence: str, marker: int | str) -> str:
    """Put ``[marker]`` (or a run of markers) at the end of the sentence, before its closing punctuation."""
    body = sentence.rstrip()
    end = re.search(r"[.!?…:;,]*$", body).start()
    run = marker if isinstance(marker, str) else f"[{marker}]"
    return f"{body[:end].rstrip()} {run}{body[end:]}"


def cut_repetition(text: str) -> tuple[str, bool]:
    """Drop repeated sentences and a phrase looping within one (small models do both)."""
    cut = False
    # a run of 3+ words repeated back to back, three times or more: keep the first
    looped = re.sub(r"((?:\S+\s+){3,}?)\1{2,}", r"\1", text + " ")[:-1]
    if looped != text:
        text, cut = looped.rstrip(), True
    pieces, seen, kept = _pieces(text), set(), []
    for i in range(0, len(pieces), 2):
        key = " ".join(_words(_MARKER.sub("", pieces[i])))
        if key and key in seen:
            cut = True
            continue
        seen.add(key)
        kept += [pieces[i], pieces[i + 1] if i + 1 < len(pieces) else ""]
    return ("".join(kept).strip() if cut else text), cut


_VI_WORDS = frozenset("và là của các những một cho với trong được không này có đã đến người".split())
_EN_WORDS = frozenset("the is are was were of and to in for with that this on by from it be has have".split())


def _vietnamese(word: str) -> bool:
    return fold(word) != word or "đ" in word


def wrong_language(text: str, language: str) -> bool:
    """Whether a reply is plainly in the other language.

    Names, places and figures copied from Vietnamese passages say little (an English answer
    keeps them), so function words decide, and for an English question, a reply with none of
    its function words that is mostly Vietnamese syllables (a quoted passage) is Vietnamese.
    """
    words = _words(_MARKER.sub("", text))
    vi = sum(w in _VI_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if language == "en":
        # lower-case Vietnamese syllables: words of a sentence, not the capitalised names it cites
        cased = _WORD.findall(unicodedata.normalize("NFC", _MARKER.sub("", text)))
        accented = sum(w[:1].islower() and _vietnamese(w) for w in cased)
        return en == 0 and (vi >= 2 or (len(words) >= 6 and accented >= len(words) / 3))
    return en >= 3 and vi == 0
