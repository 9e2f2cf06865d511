"""The default answerer: pick the sentences that answer the question and quote them.

No model writes anything: the short answer is a span cut from a sentence of the articles
(people, a date, an amount, a place, a clause), chosen by the question's type, and it is
always shown with the sentence it came from and a numbered citation. A sentence qualifies
only when it covers most of what the question is about, weighted by how rare each word is
in the index (IDF), and when its article names the places the question names. When nothing
qualifies, or the best sentence holds no answer of the asked type, the answer is a refusal:
a sentence that only shares words with the question is not evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from app import spans as sp
from app.answerer import Cited, Draft
from app.question import QUESTION_WORDS, Question, parse
from index.lexical import QUERY_STOP, tokenize
from index.types import Hit
from ingest.textutil import fold

MIN_COVERAGE = {"vi": 0.5, "en": 0.4}


def syllables(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text))
MAX_PEOPLE = 8

REFUSAL = {
    "vi": "Các bài báo không nói về điều này.",
    "en": "The articles don't say.",
}
REFUSAL_PLACE = {
    "vi": "Các bài báo không nói về {place}.",
    "en": "The articles don't mention {place}.",
}
JOIN = {"vi": " và ", "en": " and "}


@dataclass
class Candidate:
    hit: Hit
    rank: int
    sent: tuple[int, int]  # in hit.text
    tags: list
    coverage: float
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.hit.text[self.sent[0]:self.sent[1]]


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        doc_freq: Callable[[list[str]], dict[str, int]] | None = None,
        n_docs: int = 1,
        common_places: set[str] | None = None,
    ) -> None:
        self._df = doc_freq
        self._n = max(n_docs, 1)
        # places named in most articles (Hà Nội in a corpus about Hà Nội) don't tell articles apart
        self.common_places = common_places or set()

    # -- public ------------------------------------------------------------------------------
    def answer(self, question: str, hits: list[Hit], history: list[dict], language: str | None = None) -> Draft:
        q = parse(question, history)
        if language:
            q.language = language
        return self.answer_parsed(q, hits)

    def answer_parsed(self, q: Question, hits: list[Hit]) -> Draft:
        lang = q.language
        places = [p for p in q.provinces if p not in self.common_places]
        hits = [h for h in hits if all(f"|{fold(p)}|" in fold(h.meta.get("provinces", "")) for p in places)]
        if not hits:
            msg = REFUSAL_PLACE[lang].format(place=", ".join(places)) if places else REFUSAL[lang]
            return Draft(text=msg, refused=True, question_type=q.qtype)
        if q.anchors:
            hits = [h for h in hits if all(re.search(rf"(?<!\w){re.escape(a)}(?!\w)", fold(h.text)) for a in q.anchors)]
            if not hits:
                return Draft(text=REFUSAL[lang], refused=True, question_type=q.qtype)
        weights = self._weights(q)
        cands = self._candidates(hits, weights)
        floor = MIN_COVERAGE[lang]
        good = [c for c in cands if c.coverage >= floor]
        if q.plural:
            draft = self._gather(q, good)
        else:
            draft = self._single(q, good)
        if draft is None:
            return Draft(text=REFUSAL[lang], refused=True, question_type=q.qtype)
        draft.question_type = q.qtype
        return draft

    # -- evidence ----------------------------------------------------------------------------
    def _groups(self, q: Question) -> list[list[list[str]]]:
        """What the evidence must cover: groups of alternatives, each alternative a list of
        folded syllables. A Vietnamese question gives one group per content syllable; an
        English one a group per domain word (its Vietnamese alternatives) and per number."""
        place_syl = set(fold(" ".join(q.provinces)).split())
        drop = QUESTION_WORDS | place_syl
        if q.language == "en":
            groups = [[[s for s in fold(alt).split() if s not in drop] for alt in g] for g in q.vi_groups]
            groups += [[[n]] for n in q.numbers]
        else:
            syl = [s for s in syllables(q.rewritten) if s not in drop]
            groups = [[[s]] for s in dict.fromkeys(syl)]
        return [[a for a in g if a] for g in groups if any(g)]

    def _weights(self, q: Question) -> list[tuple[float, list[list[str]]]]:
        groups = self._groups(q)
        toks = sorted({t for g in groups for alt in g for t in alt})
        df = self._df(toks) if self._df else {}
        idf = {t: math.log(1 + (self._n + 1) / (df.get(t, 0) + 0.5)) for t in toks}
        return [(sum(idf[t] for alt in g for t in alt) / sum(len(alt) for alt in g), g) for g in groups]

    def _candidates(self, hits: list[Hit], weights: list[tuple[float, list[list[str]]]]) -> list[Candidate]:
        total = sum(w for w, _ in weights) or 1.0
        out = []
        for rank, hit in enumerate(hits):
            sents = hit.sentences or [(0, len(hit.text))]
            for i, (a, b) in enumerate(sents):
                toks = set(syllables(hit.text[a:b]))
                got = sum(w * max(sum(t in toks for t in alt) / len(alt) for alt in g) for w, g in weights)
                cov = got / total if weights else 0.5
                tags = hit.tags[i] if i < len(hit.tags) else None
                out.append(Candidate(hit, rank, (a, b), tags, cov, cov + 0.1 / (rank + 1)))
        out.sort(key=lambda c: -c.score)
        return out

    # -- typed extraction ------------------------------------------------------------------
    def _spans(self, q: Question, c: Candidate) -> list[tuple[int, int]] | None:
        s = c.text
        t = q.qtype
        if t == "who" or (t == "what" and re.search(r"\b(nguoi nao|who)\b", fold(q.rewritten))):
            found = sp.people(s, c.tags)
            return _focus(s, found, q)[:MAX_PEOPLE] or None
        if t == "when":
            found = sp.dates(s)
            if re.search(r"\b(nam nao|what year|which year)\b", fold(q.rewritten)):
                found = [x for x in found if re.search(r"\d{4}", s[x[0]:x[1]])] or found
            return found[:1] or None
        if t == "where":
            return sp.places(s)[:1] or None
        if t == "how_many":
            found = _matching_amounts(s, sp.amounts(s), q)
            return found[:1] or None
        if q.place_head:
            found = [(a, b) for a, b, name in sp.provinces_in(s) if name not in self.common_places]
            return found[:1] or None
        return None  # what / why / yes-no: the sentence (or a clause of it) is the answer

    def _single(self, q: Question, good: list[Candidate]) -> Draft | None:
        typed = q.qtype in ("who", "when", "where", "how_many") or q.place_head
        for c in good[:8]:
            spans = self._spans(q, c)
            if typed and not spans:
                continue
            if q.qtype == "yesno":
                return self._yesno(q, c)
            return _compose(q, [(c, spans)])
        return None

    def _gather(self, q: Question, good: list[Candidate]) -> Draft | None:
        """One answer per article: "which provinces received 3 tỷ đồng?"."""
        picked: dict[str, tuple[Candidate, list | None]] = {}
        for c in good:
            if c.hit.doc_id in picked:
                continue
            spans = self._spans(q, c)
            if q.place_head and not spans:
                place = next((p for p in _article_places(c.hit) if p not in self.common_places), None)
                if place is None:
                    continue
            elif not spans and q.qtype in ("who", "when", "where", "how_many"):
                continue
            picked[c.hit.doc_id] = (c, spans)
        if not picked:
            return None
        if len(picked) == 1 or not q.place_head:
            return _compose(q, list(picked.values()))
        return self._compose_places(q, list(picked.values()))

    def _compose_places(self, q: Question, items: list[tuple[Candidate, list | None]]) -> Draft:
        names, cited = [], []
        for n, (c, spans) in enumerate(items, 1):
            if spans:
                a, b = spans[0]
                name = c.text[a:b]
                span = (c.sent[0] + a, c.sent[0] + b)
            else:
                name = next(p for p in _article_places(c.hit) if p not in self.common_places)
                span = None
            names.append(f"{name} [{n}]")
            cited.append(Cited(c.hit, c.sent, span))
        lines = [_join(names, q.language) + "."]
        lines += [f"> {c.text} [{n}]" for n, (c, _) in enumerate(items, 1)]
        return Draft(text="\n\n".join(lines), cited=cited)

    def _yesno(self, q: Question, c: Candidate) -> Draft | None:
        s = fold(c.text)
        missing = [n for n in q.numbers if n not in s]
        yes = {"vi": "Có", "en": "Yes"}[q.language]
        no = {"vi": "Không", "en": "No"}[q.language]
        if missing:
            amounts = [c.text[a:b] for a, b in sp.amounts(c.text)]
            if not amounts:
                return None
            said = {"vi": "bài báo nêu", "en": "the article says"}[q.language]
            head = f"{no}: {said} {amounts[0]} [1]."
        elif c.coverage >= 0.75:
            head = f"{yes} [1]."
        else:
            return None
        return Draft(text=f"{head}\n\n> {c.text} [1]", cited=[Cited(c.hit, c.sent, None)])


def _article_places(hit: Hit) -> list[str]:
    return [p for p in (hit.meta.get("provinces") or "").split("|") if p]


def _focus(s: str, found: list[tuple[int, int]], q: Question) -> list[tuple[int, int]]:
    """In a long list of people, keep those in the clause that carries the question's words."""
    if len(found) <= 2:
        return found
    clauses = [m.span() for m in re.finditer(r"[^;:]+", s)]
    qt = set(tokenize(q.rewritten, drop=QUERY_STOP)) | set(tokenize(" ".join(q.vi_terms)))
    best = max(clauses, key=lambda cl: len(qt & set(tokenize(s[cl[0]:cl[1]]))))
    inside = [x for x in found if best[0] <= x[0] < best[1]]
    return inside or found


def _matching_amounts(s: str, found: list[tuple[int, int]], q: Question) -> list[tuple[int, int]]:
    fq = fold(q.rewritten + " " + " ".join(q.vi_terms))
    money = bool(re.search(r"\b(tien|kinh phi|von|how much|dong|ty|trieu|usd|money)\b", fq))
    m = re.search(r"\b(?:bao nhieu|may|how many)\s+(\w+(?:\s\w+)?)", fq)
    want = m.group(1).split() if m and not money else []
    if q.language == "en":
        want = [w for t in q.vi_terms for w in fold(t).split()] if not money else []
    scored = []
    for x in found:
        unit = sp.unit_of(s, x)
        if money and not sp.is_money(unit):
            continue
        if not money and sp.is_money(unit) and want:
            continue
        overlap = len(set(unit.split()) & set(want)) if want else 0
        scored.append((-overlap, x[0], x))
    if want and scored and scored[0][0] == 0 and q.language == "vi":
        return []  # "bao nhiêu dự án" and no amount in dự án here
    return [x for _, _, x in sorted(scored)]


def _join(parts: list[str], lang: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + JOIN[lang] + parts[-1]


def _compose(q: Question, items: list[tuple[Candidate, list | None]]) -> Draft:
    """Short answer line(s) with [n] markers, then each supporting sentence quoted."""
    heads, cited = [], []
    for n, (c, spans) in enumerate(items, 1):
        if spans:
            parts = [c.text[a:b] for a, b in spans]
            head = _join(list(dict.fromkeys(parts)), q.language)
            span = (c.sent[0] + spans[0][0], c.sent[0] + spans[-1][1])
        else:
            head = _clause(c.text, q)
            at = c.text.find(head)
            span = (c.sent[0] + at, c.sent[0] + at + len(head)) if head != c.text and at >= 0 else None
        heads.append(f"{head} [{n}]")
        cited.append(Cited(c.hit, c.sent, span))
    if len(heads) == 1:
        first = heads[0]
        first = first if first.rstrip(f" [{1}]").endswith((".", "!", "?", "…")) else first + "."
        lines = [first]
    else:
        lines = ["; ".join(heads) + "."]
    lines += [f"> {c.text} [{n}]" for n, (c, _) in enumerate(items, 1)]
    if len(lines) == 2 and _clause(items[0][0].text, q) == items[0][0].text and not items[0][1]:
        lines = [lines[0]]  # the answer is the whole sentence: don't quote it twice
    return Draft(text="\n\n".join(lines), cited=cited)


def _clause(s: str, q: Question) -> str:
    """The part of a long sentence that carries the question's words; short sentences whole."""
    if len(s) <= 220:
        return s
    qt = set(tokenize(q.rewritten, drop=QUERY_STOP)) | set(tokenize(" ".join(q.vi_terms)))
    parts = [m.group().strip() for m in re.finditer(r"[^;]+", s) if m.group().strip()]
    if len(parts) == 1:
        return s
    return max(parts, key=lambda p: len(qt & set(tokenize(p))))
