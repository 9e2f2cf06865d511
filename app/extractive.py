"""The default answerer: pick the sentences that answer the question and quote them.

No model writes anything: the short answer is a span cut from a sentence of the articles
(people, a date, an amount, a place, a clause), chosen by the question's type, and it is
always shown with the sentence it came from and a numbered citation.

A sentence qualifies as evidence when it covers what the question is about: its content
syllables weighted by rarity in the index (IDF), with Vietnamese paraphrases and, for English
questions, the Vietnamese forms of their domain words. Adjacent word pairs and the places the
question names break ties. The article must name the places the question names, and the
passage must contain the names it asks about. When nothing qualifies, or the best sentences
hold no answer of the asked type, the answer is a refusal: a sentence that only shares some
words with the question is not evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from app import spans as sp
from app.answerer import Cited, Draft
from app.question import QUESTION_WORDS, Question, parse, synonyms
from index.types import Hit
from ingest.textutil import fold

MIN_COVERAGE = {"vi": 0.5, "en": 0.45}
YES_COVERAGE = 0.7
MAX_PEOPLE = 8
TYPE_WORDS = {  # words that say which type of answer is wanted, not what it is about
    "when": {"ngay", "thang", "nam", "luc", "gio", "thoi", "gian", "hom", "buoi"},
    "where": {"dia", "diem", "noi"},
    "how_many": {"so", "luong"},
}
EXTRA_STOP = {"vao", "giua", "ve", "tu", "den", "trong", "cung", "bi", "duoc", "nay"}
# An event question's "diễn ra" / "took place" says that it happened, which the lead sentence
# ("Sáng 21-6, ... tổ chức hội nghị") says with its date, not with these words.
OCCURRENCE = {"dien", "ra", "to", "chuc", "khai", "mac", "took", "take", "taken", "takes", "place", "held", "hold",
              "happen", "happened", "happens", "convene", "convened", "occur", "occurred", "meet", "met", "gap"}
EVENT_DATE_BONUS = 0.5
ROLE_WORDS = ["bi thu", "chu tich", "giam doc", "truong ban", "truong doan", "uy vien", "chanh an", "pho"]
ORG_WORDS = ["tinh uy", "thanh uy", "ubnd", "hdnd", "quoc hoi", "mat tran"]

REFUSAL = {"vi": "Các bài báo không nói về điều này.", "en": "The articles don't say."}
REFUSAL_PLACE = {"vi": "Các bài báo không nói về {place}.", "en": "The articles don't mention {place}."}
JOIN = {"vi": " và ", "en": " and "}


def syllables(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text))


@dataclass
class Candidate:
    hit: Hit
    rank: int
    index: int  # sentence number in the hit
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
            return self._refuse(q, msg)
        if q.anchors:
            hits = [h for h in hits if all(re.search(rf"(?<!\w){re.escape(a)}(?!\w)", fold(h.text)) for a in q.anchors)]
        weights = self._weights(q)
        if not hits or not weights:
            return self._refuse(q)
        cands = self._candidates(q, hits, weights)
        good = [c for c in cands if c.coverage >= MIN_COVERAGE[lang]]
        where = _location(q, self.common_places)
        if where:  # "được tổ chức tại Hà Nội": the sentence must place it there
            good = [c for c in good if where.search(fold(c.text))]
        draft = self._gather(q, good) if q.plural else self._single(q, good)
        if draft is None:
            return self._refuse(q)
        draft.question_type = q.qtype
        return draft

    @staticmethod
    def _refuse(q: Question, msg: str | None = None) -> Draft:
        return Draft(text=msg or REFUSAL[q.language], refused=True, question_type=q.qtype)

    # -- evidence ----------------------------------------------------------------------------
    def _groups(self, q: Question) -> list[tuple[float, list[list[str]]]]:
        """What the evidence must cover: (weight factor, alternatives), each alternative a list
        of folded syllables. Vietnamese: one group per content syllable (or known paraphrase);
        English: one per domain word (its Vietnamese forms), number, and unknown word."""
        place_syl = set(fold(" ".join(q.provinces)).split())
        # words that say the answer's type or that an event happened, not what it is about
        shape = TYPE_WORDS.get(q.qtype, set()) | set(q.period_words) | (OCCURRENCE if q.event else set())
        drop = QUESTION_WORDS | EXTRA_STOP | place_syl | shape
        groups: list[tuple[float, list[list[str]]]] = []
        if q.language == "en":
            for g in q.vi_groups:
                alts = [[s for s in fold(a).split() if s not in place_syl] for a in g]
                if all(set(a) <= shape for a in alts):
                    continue  # "month" of "what month", "held" of an event question
                groups.append((1.0, [a for a in alts if a]))
            groups += [(1.0, [[n]]) for n in q.numbers]
            groups += [(0.5, [[w]]) for w in q.unknown_en if w not in drop]
            return [g for g in groups if g[1]]
        syl = syllables(q.rewritten)
        syn = synonyms()
        i = 0
        seen: set[str] = set()
        while i < len(syl):
            pair = " ".join(syl[i:i + 2])
            if pair in syn and len(syl) > i + 1:
                groups.append((1.0, [a.split() for a in syn[pair]]))
                i += 2
                continue
            s = syl[i]
            # the word before "gì"/"nào" names the kind of answer ("món quà gì"): a hint, not a must
            head = any(x in ("gi", "nao") for x in syl[i + 1:i + 4])
            if s not in drop and s not in seen:
                seen.add(s)
                alts = [a.split() for a in syn.get(s, [s])]
                groups.append((0.3 if head else 1.0, alts))
            i += 1
        return groups

    def _weights(self, q: Question) -> list[tuple[float, list[list[str]]]]:
        groups = self._groups(q)
        toks = sorted({t for _, g in groups for alt in g for t in alt})
        df = self._df(toks) if self._df else {}
        idf = {t: math.log(1 + (self._n + 1) / (df.get(t, 0) + 0.5)) for t in toks}
        return [(f * sum(idf[t] for alt in g for t in alt) / sum(len(alt) for alt in g), g) for f, g in groups]

    def _candidates(self, q: Question, hits: list[Hit], weights) -> list[Candidate]:
        total = sum(w for w, _ in weights) or 1.0
        pairs = self._pairs(q)
        places = [fold(p) for p in q.provinces]
        out = []
        for rank, hit in enumerate(hits):
            sents = hit.sentences or [(0, len(hit.text))]
            for i, (a, b) in enumerate(sents):
                syl = syllables(hit.text[a:b])
                toks = set(syl)
                got = sum(w * max(_covered(alt, toks, syl) for alt in g) for w, g in weights)
                cov = got / total
                text = fold(hit.text[a:b])
                bonus = 0.1 / (rank + 1)
                if pairs:
                    have = {f"{x} {y}" for x, y in zip(syl, syl[1:])}
                    bonus += 0.3 * len(pairs & have) / len(pairs)
                if places and all(p in text for p in places):
                    bonus += 0.15
                if q.event and _states_event_date(hit, hit.text[a:b]):
                    bonus += EVENT_DATE_BONUS  # the lead sentence that dates the article's event
                tags = hit.tags[i] if i < len(hit.tags) else None
                out.append(Candidate(hit, rank, i, (a, b), tags, cov, cov + bonus))
        out.sort(key=lambda c: -c.score)
        return out

    @staticmethod
    def _pairs(q: Question) -> set[str]:
        if q.language == "en":
            return {" ".join(fold(a).split()[j:j + 2]) for g in q.vi_groups for a in g if len(a.split()) > 1
                    for j in range(len(a.split()) - 1)}
        syl = [s for s in syllables(q.rewritten) if s not in QUESTION_WORDS]
        return {f"{x} {y}" for x, y in zip(syl, syl[1:])}

    # -- typed extraction ------------------------------------------------------------------
    def _spans(self, q: Question, c: Candidate) -> list[tuple[int, int]] | None:
        s = c.text
        t = q.qtype
        fq = fold(q.rewritten)
        if q.place_head:
            found = [(a, b) for a, b, name in sp.provinces_in(s) if name not in self.common_places]
            return found[:1] or None
        if t == "who" or (t == "what" and re.search(r"\b(nguoi nao|who)\b", fq)):
            found = _by_role(s, sp.people(s, c.tags), q)
            return _focus(s, found, q)[:MAX_PEOPLE] or None
        if t == "when":
            found = sp.dates(s)
            if q.event and _states_event_date(c.hit, s):  # the event's own date first
                at = s.find(c.hit.meta.get("event_date_text") or "")
                found.sort(key=lambda x: not (at >= 0 and x[0] < at + len(c.hit.meta["event_date_text"])
                                              and x[1] > at))
            if re.search(r"\b(nam nao|what year|which year|nam bao nhieu)\b", fq):
                found = [x for x in found if re.search(r"\d{4}", s[x[0]:x[1]])]
            elif re.search(r"\b(ngay|date|day)\b", fq):
                found = sorted(found, key=lambda x: not re.search(r"\d{1,2}\s*[-/.]\s*\d{1,2}", s[x[0]:x[1]]))
            return found[:1] or None
        if t == "where":
            return sp.places(s)[:1] or None
        if t == "how_many":
            found = _matching_amounts(s, sp.amounts(s), q)
            return [x for x in found if _subject_ok(s, x, q, self.common_places)][:1] or None
        return None  # what / why / yes-no: the sentence (or a clause of it) is the answer

    def _single(self, q: Question, good: list[Candidate]) -> Draft | None:
        typed = q.qtype in ("who", "when", "where", "how_many") or q.place_head
        for c in good[:10]:
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
        best = good[0].score if good else 0
        for c in good:
            if c.hit.doc_id in picked or c.score < best - 0.35:
                continue
            spans = self._spans(q, c)
            if q.place_head and not spans:
                if not any(p not in self.common_places for p in _article_places(c.hit)):
                    continue
            elif not spans and q.qtype in ("who", "when", "where", "how_many"):
                continue
            picked[c.hit.doc_id] = (c, spans)
        if not picked:
            return None
        if not q.place_head:
            return _compose(q, list(picked.values()))
        return self._compose_places(q, list(picked.values()))

    def _compose_places(self, q: Question, items: list[tuple[Candidate, list | None]]) -> Draft:
        names, cited, kept, seen = [], [], [], set()
        for c, spans in items:
            if spans:
                a, b = spans[0]
                name, span = c.text[a:b], (c.sent[0] + a, c.sent[0] + b)
            else:
                name, span = next(p for p in _article_places(c.hit) if p not in self.common_places), None
            if fold(name) in seen:  # two articles about the same place: name it once
                continue
            seen.add(fold(name))
            kept.append(c)
            names.append(f"{name} [{len(kept)}]")
            cited.append(Cited(c.hit, c.sent, span))
        lines = [_join(names, q.language) + "."]
        lines += [f"> {c.text} [{n}]" for n, c in enumerate(kept, 1)]
        return Draft(text="\n\n".join(lines), cited=cited)

    def _yesno(self, q: Question, c: Candidate) -> Draft | None:
        s = fold(c.text)
        missing = [n for n in q.numbers if not re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d])", s)]
        yes, no = {"vi": ("Có", "Không"), "en": ("Yes", "No")}[q.language]
        where = _location(q, self.common_places, yesno=True)
        if where and not where.search(s):
            places = [c.text[a:b] for a, b in sp.places(c.text)]
            if not places:
                return None
            said = {"vi": "bài báo nêu tại", "en": "the article says it was in"}[q.language]
            head = f"{no}: {said} {places[0]} [1]."
        elif missing:
            amounts = [c.text[a:b] for a, b in sp.amounts(c.text)]
            if not amounts:
                return None
            said = {"vi": "bài báo nêu", "en": "the article says"}[q.language]
            head = f"{no}: {said} {amounts[0]} [1]."
        elif c.coverage >= YES_COVERAGE:
            head = f"{yes} [1]."
        else:
            return None
        return Draft(text=f"{head}\n\n> {c.text} [1]", cited=[Cited(c.hit, c.sent, None)])


def _states_event_date(hit: Hit, sentence: str) -> bool:
    """The sentence holds the date the article's event took place, as its lead wrote it."""
    written = hit.meta.get("event_date_text")
    return bool(written) and written in sentence


def _location(q: Question, common: set[str], yesno: bool = False) -> re.Pattern | None:
    """A "tại X" / "ở X" / "in X" constraint on a place most articles name (Hà Nội): then the
    sentence must place the event there. (A rarer place names the article itself.)"""
    fq = fold(q.rewritten)
    for p in (p for p in q.provinces if p in common):
        fp = fold(p)
        if re.search(rf"\b(tai|o|in|at)\s+(thanh pho |tinh |tp )?{fp}\b", fq) and q.qtype != "where" and (
            yesno or q.qtype != "yesno"
        ):
            return re.compile(rf"\b(tai|o)\b[^,.;()]{{0,40}}\b{fp}\b")
    return None


def _covered(alt: list[str], toks: set[str], syl: list[str]) -> float:
    if len(alt) == 1:
        return 1.0 if alt[0] in toks else 0.0
    # a multi-syllable form counts whole only as a phrase
    n = len(alt)
    return 1.0 if any(syl[i:i + n] == alt for i in range(len(syl) - n + 1)) else 0.0


def _article_places(hit: Hit) -> list[str]:
    return [p for p in (hit.meta.get("provinces") or "").split("|") if p]


def _titles(s: str, found: list[tuple[int, int]], i: int) -> list[str]:
    """Title segments of the i-th person in a sentence, folded: the words before the name back
    to the previous person or list separator ("Phó Bí thư Thành ủy, Chủ tịch HĐND thành phố Hà
    Nội Nguyễn Thị Bích Ngọc"), and an apposition after it ("Hoàng Trung Hải, Bí thư Thành ủy")."""
    a, b = found[i]
    lo = max(found[i - 1][1] if i else 0, s.rfind(";", 0, a) + 1, s.rfind(":", 0, a) + 1)
    before = s[lo:a]
    hi = min([x for x in (s.find(";", b), found[i + 1][0] if i + 1 < len(found) else -1) if x >= 0] or [len(s)])
    after = s[b:hi] if s[b:b + 2] == ", " else ""
    # "... Nguyễn Thị Bích Ngọc và Phó Bí thư ... Bùi Xuân Hòa": "và" joins, it is not the title
    segs = [re.sub(r"^(va|cung|and)\s+", "", fold(seg).strip()) for seg in (before + "," + after).split(",")]
    return [seg for seg in segs if seg]


def _role_phrase(q: Question) -> str | None:
    """The role a who-question asks for, as folded syllables: "chu tich ubnd tinh" from
    "Chủ tịch UBND tỉnh Hà Tĩnh là ai?"; for English, the roles and bodies it names."""
    if q.language == "en":
        fq = fold(" ".join(q.vi_terms))
        found = [r for r in ROLE_WORDS + ORG_WORDS if re.search(rf"\b{r}\b", fq)]
        return " | ".join(found) or None
    text = " ".join(syllables(q.rewritten))
    m = re.search(r"\b(pho )?(" + "|".join(r for r in ROLE_WORDS if r != "pho") + r")\b", text)
    if not m:
        return None
    rest = text[m.start():]
    cut = [rest.find(fold(p)) for p in q.provinces if rest.find(fold(p)) > 0]
    words = []
    for w in rest[:min(cut)].split() if cut else rest.split():
        if w in QUESTION_WORDS:
            break
        words.append(w)
    return " ".join(words) or None


def _by_role(s: str, found: list[tuple[int, int]], q: Question) -> list[tuple[int, int]]:
    """When the question asks for a role ("Chủ tịch UBND tỉnh Hà Tĩnh là ai?"), keep the people
    whose title holds that role, and not as a deputy ("Phó ...") unless the deputy is asked for."""
    phrase = _role_phrase(q)
    if not phrase or not found:
        return found
    deputy_asked = phrase.startswith("pho") or re.search(r"\b(deputy|vice)\b", fold(q.rewritten))
    keep = []
    for i, x in enumerate(found):
        for seg in _titles(s, found, i):
            if q.language == "en":
                ok = all(re.search(rf"\b{r}\b", seg) for r in phrase.split(" | ") if r != "pho")
            else:
                ok = re.search(rf"\b{re.escape(phrase.removeprefix('pho '))}\b", seg) is not None
            if ok and (deputy_asked or not re.match(r"pho\b", seg)):
                keep.append(x)
                break
    return keep


def _focus(s: str, found: list[tuple[int, int]], q: Question) -> list[tuple[int, int]]:
    """In a long list of people, keep those in the clause that carries the question's words."""
    if len(found) <= 2:
        return found
    clauses = [m.span() for m in re.finditer(r"[^;:]+", s)]
    qt = set(syllables(" ".join([q.rewritten, *q.vi_terms]))) - QUESTION_WORDS
    best = max(clauses, key=lambda cl: len(qt & set(syllables(s[cl[0]:cl[1]]))))
    inside = [x for x in found if best[0] <= x[0] < best[1]]
    return inside or found


def _matching_amounts(s: str, found: list[tuple[int, int]], q: Question) -> list[tuple[int, int]]:
    fq = fold(q.rewritten + " " + " ".join(q.vi_terms))
    money = bool(re.search(r"\b(tien|kinh phi|von|how much|dong|usd|money|fund|funds)\b", fq)) or bool(
        re.search(r"\b(ho tro|tang|trao tang)\b.*\bbao nhieu\s*\??\s*$", fq)  # "hỗ trợ ... bao nhiêu?"
    )
    if q.language == "en":
        m = re.search(r"\b(?:how many|what (?:is|was|are|were) the)\s+((?:[\w-]+\s+){0,2}[\w-]+)", fold(q.rewritten))
        words = m.group(1).split() if m else []
        lex = dict(_lex())
        want = [w for u in words for t in lex.get(u, lex.get(u.rstrip("s"), [])) for w in fold(t).split()]
        if words and not want:
            return []  # "how many hours": a unit no article passage can be checked against
    else:
        m = re.search(r"\b(?:bao nhieu|may)\s+(\w+(?:\s\w+)?)", fq)
        want = [w for w in (m.group(1).split() if m else []) if w not in QUESTION_WORDS]
    scored = []
    for x in found:
        unit = sp.unit_of(s, x)
        if money and not sp.is_money(unit):
            continue
        overlap = len(set(unit.split()) & set(want)) if want else 0
        if want and not money and not overlap:
            continue
        if not want and not money and not set(unit.split()) & set(syllables(q.rewritten)):
            continue  # "thứ mấy", "bao nhiêu?": only an amount of something the question names
        scored.append((-overlap, x[0], x))
    return [x for _, _, x in sorted(scored)]


def _lex():
    from app.question import lexicon

    return lexicon()


def _subject_ok(s: str, x: tuple[int, int], q: Question, common: set[str]) -> bool:
    """For "how many/much" about a named place, the nearest place before the amount must be it:
    "Hà Nội ... với 10 triệu dân" does not answer "Thái Nguyên có bao nhiêu dân?"."""
    if not [p for p in q.provinces if p not in common]:
        return True
    before = [name for a, _, name in sp.provinces_in(s[:x[0]])]
    return not before or before[-1] in q.provinces


def _join(parts: list[str], lang: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + JOIN[lang] + parts[-1]


def _quote(q: Question, c: Candidate) -> tuple[str, tuple[int, int]]:
    """The supporting text: the sentence, and for why/how the sentence after it (the reason
    usually follows the finding)."""
    a, b = c.sent
    if q.qtype == "why" and c.index + 1 < len(c.hit.sentences):
        b = c.hit.sentences[c.index + 1][1]
    return c.hit.text[a:b], (a, b)


def _compose(q: Question, items: list[tuple[Candidate, list | None]]) -> Draft:
    """Short answer line(s) with [n] markers, then each supporting sentence quoted."""
    heads, cited, quotes = [], [], []
    for n, (c, spans) in enumerate(items, 1):
        quote, qspan = _quote(q, c)
        if spans:
            parts = [c.text[a:b] for a, b in spans]
            head = _join(list(dict.fromkeys(parts)), q.language)
            span = (c.sent[0] + spans[0][0], c.sent[0] + spans[-1][1])
        else:
            head = _clause(c.text, q)
            at = c.text.find(head)
            span = (c.sent[0] + at, c.sent[0] + at + len(head)) if head != c.text and at >= 0 else None
        heads.append(f"{head} [{n}]")
        cited.append(Cited(c.hit, qspan, span))
        quotes.append((quote, head))
    first = "; ".join(heads)
    ended = re.sub(r"\s*\[\d+\]$", "", first).endswith((".", "!", "?", "…"))  # ("29.6 [1]" is not)
    lines = [first if ended else first + "."]
    for n, (quote, head) in enumerate(quotes, 1):
        if quote != head:  # the answer is the whole quote: don't say it twice
            lines.append(f"> {quote} [{n}]")
    return Draft(text="\n\n".join(lines), cited=cited)


def _clause(s: str, q: Question) -> str:
    """The part of a long sentence that carries the question's words; short sentences whole."""
    if len(s) <= 220:
        return s
    qt = set(syllables(" ".join([q.rewritten, *q.vi_terms]))) - QUESTION_WORDS
    parts = [m.group().strip() for m in re.finditer(r"[^;]+", s) if m.group().strip()]
    if len(parts) == 1:
        return s
    return max(parts, key=lambda p: len(qt & set(syllables(p))))
