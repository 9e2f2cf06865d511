"""Evidence: every sentence of the retrieved passages, and the candidate answers inside the best
ones, each described by features that carry across subjects and languages.

Sentence features: folded lexical overlap with the question (IDF-weighted, question words out),
word pairs in common, the dense similarity of the question to the sentence (cross-lingual: the
sentence vectors are computed at ingest), the passage's rank, whether the sentence holds a
candidate of the asked kind, the names and numbers the question gives. Candidate features:
the kind, how far the candidate is from the question's words in the sentence, whether it
repeats the question, its unit against the unit asked, its title against the role asked.
The weights of both come from ``app.reader.model``; nothing here is tuned by hand to a corpus.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.reader import spans as sp
from app.reader.question import Question
from app.reader.words import content, stop_vi, syllables, titles_in, units
from index.types import Hit
from ingest.textutil import fold

MAX_HITS = 8  # passages read
MAX_SENTENCES = 4  # best sentences whose candidates are weighed

# the kinds of candidate each question wants, the first being the best fit
KINDS = {
    "who": ("person", "name", "org"),
    "when": ("date",),
    "where": ("place", "name"),
    "how_many": ("amount",),
    "why": ("reason", "clause"),
    "what": ("phrase", "clause", "name", "person", "org", "amount", "date", "place"),
    "yesno": (),
}
WANTS = {"org": ("org", "name"), "score": ("score",), "duration": ("amount", "date"), "money": ("amount",),
         "percent": ("amount",), "purpose": ("reason", "clause"), "year": ("date",), "month": ("date",),
         "time": ("date",), "day": ("date",), "entity": ("name", "org", "place", "phrase", "person")}


@dataclass
class Sentence:
    hit: Hit
    rank: int  # of the passage
    index: int  # of the sentence in the passage
    span: tuple[int, int]  # in hit.text
    tags: list | None
    feats: dict[str, float] = field(default_factory=dict)
    prob: float = 0.0
    logit: float = 0.0
    order: float = 0.0  # the question's sentences are read best first by this (``ReaderModel.order``)
    found: dict[str, list[tuple[int, int]]] = field(default_factory=dict, repr=False)  # spans by kind, once

    @property
    def text(self) -> str:
        return self.hit.text[self.span[0]:self.span[1]]

    def spans(self, kind: str) -> list[tuple[int, int]]:
        """The sentence's spans of ``kind`` (found once: sentence features and candidates both ask)."""
        if kind not in self.found:
            self.found[kind] = _find(kind, self.text, self.tags)
        return self.found[kind]


@dataclass
class Candidate:
    sentence: Sentence
    span: tuple[int, int]  # in the sentence
    kind: str
    feats: dict[str, float] = field(default_factory=dict)
    prob: float = 0.0  # the probability it is the answer, judged alone (``ReaderModel.span``)
    share: float = 0.0  # ... judged against the question's other candidates (``ReaderModel.choice``)

    @property
    def text(self) -> str:
        return self.sentence.text[self.span[0]:self.span[1]]


def kinds_for(q: Question) -> tuple[str, ...]:
    if q.place_head:
        return ("place",)
    return WANTS.get(q.wants) or KINDS.get(q.qtype, ())


class Evidence:
    """Builds sentences and candidates with features for one question."""

    def __init__(self, doc_freq: Callable[[list[str]], dict[str, int]] | None = None, n_docs: int = 1) -> None:
        self._df = doc_freq
        self._n = max(n_docs, 1)

    def idf(self, toks: list[str]) -> dict[str, float]:
        df = self._df(sorted(set(toks))) if self._df and toks else {}
        return {t: math.log(1 + (self._n + 1) / (df.get(t, 0) + 0.5)) for t in toks}

    # -- sentences --------------------------------------------------------------------------
    def sentences(self, q: Question, hits: list[Hit], qvec: np.ndarray | None) -> list[Sentence]:
        out: list[Sentence] = []
        seen: set[str] = set()
        for rank, hit in enumerate(hits if q.plural else hits[:MAX_HITS]):  # a list reads every article
            spans = hit.sentences or [(0, len(hit.text))]
            for i, (a, b) in enumerate(spans):
                key = hit.text[a:b].strip()
                if key in seen or len(key) < 8:
                    continue
                seen.add(key)
                tags = hit.tags[i] if i < len(hit.tags) else None
                s = Sentence(hit, rank, i, (a, b), tags)
                if qvec is not None and hit.vectors is not None and i < len(hit.vectors):
                    s.feats["dense"] = float(np.dot(hit.vectors[i], qvec))
                out.append(s)
        self._sentence_features(q, out)
        return out

    def _sentence_features(self, q: Question, sents: list[Sentence]) -> None:
        terms = q.terms if q.language == "vi" else [fold(a) for a in q.anchors] + q.numbers
        terms = [t for t in dict.fromkeys(" ".join(terms).split())]
        unit_syl = [u for form in q.units for u in form.split()] if q.language == "en" else []
        # an English question's news words stand as one pseudo-word each ("§0"), present in a
        # sentence that has any of its Vietnamese forms, as rare as its first form
        groups = q.vi_groups if q.language == "en" else []
        first = [g[0].split() for g in groups]
        idf = self.idf(terms + unit_syl + q.context_terms + [w for f in first for w in f])
        for i, f in enumerate(first):
            idf[f"§{i}"] = sum(idf[w] for w in f) / max(len(f), 1)
        terms = terms + [f"§{i}" for i in range(len(groups))]
        total = sum(idf[t] for t in terms) or 1.0
        ctx_total = sum(idf[t] for t in q.context_terms) or 1.0
        pairs = {f"{x} {y}" for x, y in zip(terms, terms[1:])}
        anchors = [a for a in q.anchors]
        kinds = kinds_for(q)
        en = 1.0 if q.language == "en" else 0.0
        # a word every retrieved sentence has (the article's subject) tells them apart less than
        # one only a few have: weigh the question's words by their rarity among these sentences
        syls = [syllables(s.text) for s in sents]
        sylsets = [set(x) | _groups_in(" " + " ".join(x) + " ", groups) for x in syls]
        local = {t: math.log((len(sents) + 1) / (sum(t in x for x in sylsets) + 0.5)) * idf[t] for t in terms}
        local_total = sum(local.values()) or 1.0
        titles: dict[str, set[str]] = {}
        for s, syl, toks in zip(sents, syls, sylsets):
            doc = s.hit.doc_id
            if doc not in titles:
                tsyl = syllables(s.hit.meta.get("title") or "")
                titles[doc] = set(tsyl) | _groups_in(" " + " ".join(tsyl) + " ", groups)
            # the article's title names its subject ("cầu Long Phước"); the sentence must carry
            # the rest of the question (what is asked of the subject), which it rarely repeats
            rel = [t for t in terms if t not in titles[doc]]
            rel_total = sum(local[t] for t in rel)
            ftext = " " + " ".join(syl) + " "
            f = s.feats
            f["lex"] = sum(idf[t] for t in terms if t in toks) / total if terms else 0.0
            f["lex_local"] = sum(local[t] for t in terms if t in toks) / local_total if terms else 0.0
            f["relation"] = sum(local[t] for t in rel if t in toks) / rel_total if rel_total else f["lex_local"]
            f["with_title"] = (sum(idf[t] for t in terms if t in toks or t in titles[doc]) / total) if terms else 0.0
            f["pairs"] = len(pairs & {f"{x} {y}" for x, y in zip(syl, syl[1:])}) / len(pairs) if pairs else 0.0
            # "Danang" is "Đà Nẵng" folded without its space: names are matched ignoring spaces
            joined = ftext.replace(" ", "")
            named = [any(f" {form} " in ftext for form in forms) for forms in q.countries]  # "Pháp" for "France"
            f["anchors"] = ((sum(f" {a} " in ftext or a.replace(" ", "") in joined for a in anchors) + sum(named))
                            / (len(anchors) + len(named))) if anchors or named else 1.0
            f["countries"] = 1.0 if all(named) else 0.0
            f["numbers"] = (sum(bool(re.search(rf"(?<![\d.,]){re.escape(n)}(?!\d)", s.text)) for n in q.numbers)
                            / len(q.numbers)) if q.numbers else 1.0
            f["context"] = sum(idf[t] for t in q.context_terms if t in toks) / ctx_total if q.context_terms else 0.0
            f["rank"] = 1.0 / (s.rank + 1)
            f["first"] = 1.0 if s.index == 0 and s.hit.start == 0 else 0.0
            f["event_date"] = 1.0 if q.event and _states_event_date(s.hit, s.text) else 0.0
            f["has_kind"] = 1.0 if kinds and any(s.spans(kind) for kind in kinds[:1]) else 0.0
            f["has_unit"] = 1.0 if q.units and any(_unit_ok(s.text, x, q) for x in sp.amounts(s.text)) else 0.0
            f["length"] = math.log(1 + len(syl))
            f["en"] = en
            f.setdefault("dense", 0.0)
            f["has_dense"] = 1.0 if s.hit.vectors is not None else 0.0
        if sents:
            top_lex = max(s.feats["lex"] for s in sents)
            top_local = max(s.feats["lex_local"] for s in sents)
            top_relation = max(s.feats["relation"] for s in sents)
            top_dense = max(s.feats["dense"] for s in sents)
            for s in sents:
                f = s.feats
                f["lex_gap"] = f["lex"] - top_lex
                f["local_gap"] = f["lex_local"] - top_local
                f["relation_gap"] = f["relation"] - top_relation
                f["dense_gap"] = f["dense"] - top_dense
                f["en_dense"] = en * f["dense"]
                f["en_dense_gap"] = en * f["dense_gap"]
                f["en_lex"] = en * f["lex"]

    # -- candidates --------------------------------------------------------------------------
    def candidates(self, q: Question, best: list[Sentence]) -> list[Candidate]:
        kinds = kinds_for(q)
        qsyl = set(q.terms) | {s for a in q.anchors for s in a.split()} | set(q.context_terms)
        if q.language == "en":  # the syllables of its news words' Vietnamese forms
            qsyl |= {w for g in q.vi_groups for form in g for w in form.split()} - stop_vi()
        role = _role_terms(q)
        fq = set(syllables(q.rewritten))
        deputy_asked = bool(fq & {"pho", "deputy", "vice"})
        title_asked = bool(titles_in(" ".join(syllables(q.rewritten))))
        asked_titles = _asked_titles(q)
        idf = self.idf(sorted(qsyl))
        qweight = sum(idf.values()) or 1.0
        # an amount's counted noun ("bao nhiêu tàu cá") is judged by its unit (``unit_match``): as
        # context it would credit the number beside "1.250 tàu cá", "6.300 lao động", with the words
        # of the right one's unit
        counted = {w for u in q.units for w in u.split()}
        amount_syl = qsyl - counted
        amount_weight = sum(v for w, v in idf.items() if w in amount_syl) or 1.0
        out: list[Candidate] = []
        top_order = max((s.order for s in best), default=0.0)
        asked = fold(q.rewritten)
        manner = q.qtype == "why" and bool(MANNER.search(asked)) and not CAUSE.search(asked)
        for rank, s in enumerate(best):
            text = s.text
            syl_spans = [(m.start(), m.end(), fold(m.group())) for m in re.finditer(r"[^\W_]+", text)]
            matched_all = [(a, b) for a, b, w in syl_spans if w in qsyl]
            matched_amount = [(a, b) for a, b, w in syl_spans if w in amount_syl]
            ends = [m.start() for m in _CLAUSE_END.finditer(text)]  # where clauses end
            found: list[tuple[tuple[int, int], str]] = []
            for k, kind in enumerate(kinds):
                for span in s.spans(kind):
                    if not any(span == x for x, _ in found):
                        found.append((span, kind))
            by_kind: dict[str, int] = {}
            for span, kind in found:
                by_kind[kind] = by_kind.get(kind, 0) + 1
            seen_kind: dict[str, int] = {}
            mine: list[Candidate] = []
            found_people = [Candidate(s, span, kind) for span, kind in found if kind == "person"]
            for span, kind in found:
                a, b = span
                cand_syl = [w for x, y, w in syl_spans if x >= a and y <= b]
                if not cand_syl:
                    continue
                if kind in ("person", "name", "place", "org", "phrase") and all(
                        w in qsyl for w in (_without_place_noun(text[a:b]) if kind == "place" else cand_syl)):
                    continue  # a name (or phrase) the question gives is not its answer, nor "tỉnh X" for X
                c = Candidate(s, span, kind)
                mine.append(c)
                f = c.feats
                ctx, weight, matched = (amount_syl, amount_weight, matched_amount) if kind == "amount" \
                    else (qsyl, qweight, matched_all)
                f["local"] = _local(span, syl_spans, ctx, idf) / weight
                f["clause"] = _clause(span, syl_spans, ctx, idf, ends, len(text)) / weight
                f["sent_logit"] = s.logit
                f["sent_order"] = s.order - top_order
                # how much of what the question asks its sentence (and the article's title) covers:
                # "bao nhiêu thí sinh đạt điểm 10 môn Ngữ văn" over a sentence without "điểm 10"
                for name in ("with_title", "relation", "numbers", "anchors"):
                    f["sent_" + name] = s.feats.get(name, 0.0)
                f["sent_rank"] = float(rank)
                f["kind_primary"] = 1.0 if kind == kinds[0] else 0.0
                f["kind_" + kind] = 1.0
                if kind == "amount":  # its unit may well repeat the question ("bao nhiêu người"): the number may not
                    f["repeats"] = 1.0 if any(n in text[a:b] for n in q.numbers) else 0.0
                else:
                    f["repeats"] = sum(w in qsyl for w in cand_syl) / len(cand_syl)
                if kind in ("person", "name", "place", "org"):
                    f["repeats_name"] = f["repeats"]  # a name the question gives is not its answer
                if q.head:  # "khu kinh tế nào" -> "Khu kinh tế Vũng Áng": the asked noun, then the answer
                    before = " ".join(w for x, y, w in syl_spans if a - 30 <= x < a)
                    inside = " ".join(cand_syl)
                    f["head_match"] = 1.0 if any(inside.startswith(h) or before.endswith(h) for h in q.head) else 0.0
                dist = _distance(span, matched, syl_spans)
                f["near"] = math.exp(-dist / 4.0) if dist is not None else 0.0
                f["after_match"] = 1.0 if any(0 <= a - y <= 12 for x, y in matched) else 0.0
                f["before_match"] = 1.0 if any(0 <= x - b <= 12 for x, y in matched) else 0.0
                f["adjacent"] = 1.0 if dist is not None and dist <= 1 else 0.0
                # "lợi nhuận sau thuế đạt 215 tỷ đồng", "Nguyễn Văn Việt đánh đầu ghi bàn": the run of
                # the question's words right before (or after) the candidate, through a linking word
                f["lead_in"] = _run(syl_spans, span, ctx, idf, -1, text) / weight
                f["lead_out"] = _run(syl_spans, span, ctx, idf, 1, text) / weight
                if q.wh_before:  # "được gọi là [gì]" / "được gọi là Bảo tàng X": the word before the asking one
                    at = next(i for i, (x, y, _) in enumerate(syl_spans) if x >= a and y <= b)
                    f["wh_prev"] = 1.0 if at > 0 and syl_spans[at - 1][2] == q.wh_before else 0.0
                f["length"] = math.log(1 + len(cand_syl))
                f["position"] = a / max(len(text), 1)
                f["first_of_kind"] = 1.0 if seen_kind.get(kind, 0) == 0 else 0.0
                seen_kind[kind] = seen_kind.get(kind, 0) + 1
                f["n_of_kind"] = math.log(by_kind[kind])
                f["en"] = 1.0 if q.language == "en" else 0.0
                f["en_near"] = f["en"] * f["near"]
                f["q_" + q.qtype] = 1.0  # each type of question its own calibration
                f["primary_local"] = f["kind_primary"] * f["local"]
                if kind == "amount":
                    unit = sp.unit_of(text, span)
                    f["unit_match"] = 1.0 if q.units and _unit_ok(text, span, q) else 0.0
                    f["unit_miss"] = 1.0 if q.units and not f["unit_match"] else 0.0
                    # the whole counted phrase, not its first syllable only ("860 xe khách" / "2.100
                    # tài xế" for "bao nhieu xe khach", whose folded "xe" both carry)
                    f["unit_full"] = 1.0 if f["unit_match"] and unit and any(
                        f" {unit} ".startswith(f" {form} ") or f" {form} ".startswith(f" {unit} ")
                        for form in q.units) else 0.0
                    f["money_match"] = 1.0 if q.wants == "money" and sp.is_money(unit) else 0.0
                    f["money_miss"] = 1.0 if q.wants == "money" and not sp.is_money(unit) else 0.0
                    f["duration_match"] = 1.0 if q.wants == "duration" and sp.is_duration(unit) else 0.0
                    f["bare_number"] = 1.0 if not unit else 0.0
                if kind in ("person", "name", "org") and role:
                    f["role_match"] = _role_match(text, span, role)
                if kind == "person" and asked_titles:
                    # "Bí thư Tỉnh ủy X là ai?": the person's own titles (back to the previous name)
                    # must hold the asked one, and not as a deputy's unless a deputy is asked for
                    segs = _titles(text, span, [x.span for x in found_people])
                    held = [seg for seg in segs if all(f" {t} " in f" {seg} " for t in asked_titles)]
                    f["title_held"] = 1.0 if any(not seg.startswith("pho ") or deputy_asked for seg in held) else 0.0
                    f["title_miss"] = 1.0 - f["title_held"]
                if kind == "person":
                    f["deputy_miss"] = 1.0 if title_asked and _deputy(text, span) and not deputy_asked else 0.0
                if kind == "date":
                    ctext = text[a:b]
                    f["event_date"] = 1.0 if q.event and _states_event_date(s.hit, ctext) else 0.0
                    f["year_match"] = 1.0 if q.wants == "year" and re.search(r"\d{4}", ctext) else 0.0
                    f["day_form"] = 1.0 if re.search(r"\d{1,2}\s*[-/.]\s*\d{1,2}|\d{1,2} tháng", ctext) else 0.0
                    f["day_miss"] = 1.0 if q.wants == "day" and not f["day_form"] else 0.0
                    if q.range_end:  # "từ ngày 23-2 đến hết tháng 4": which end of the period is asked
                        said = _period_end(text, span)
                        f["range_match"] = 1.0 if said == q.range_end else 0.0
                        f["range_miss"] = 1.0 if said and said != q.range_end else 0.0
                    f["time_match"] = 1.0 if q.wants == "time" and re.search(r"\d\s*(giờ|h)", ctext) else 0.0
                    f["duration_match"] = 1.0 if q.wants == "duration" and re.fullmatch(
                        r"\d+(?:[.,]\d+)?\s*(?:giờ|tiếng|phút|ngày|tuần|tháng|năm)", ctext.strip()) else 0.0
                if kind in ("reason", "clause", "phrase"):
                    f["share"] = (b - a) / max(len(text), 1)
                if kind == "reason":
                    f["reason_agent"] = 1.0 if sp.agentive(text[a:b]) else 0.0
                    # "để / nhằm …" gives a purpose, "do / vì …" a cause: a why asks the cause unless
                    # it asks what for; a how (manner) question asks neither
                    purpose = bool(re.match(r"(để|nhằm|in order to|so that|to)\b", text[a:b], re.I))
                    f["purpose_cue"] = 1.0 if purpose else 0.0
                    f["purpose_match"] = 1.0 if purpose and q.wants == "purpose" else 0.0
                if manner:
                    f["q_manner"] = 1.0
            for kind in {c.kind for c in mine}:  # the one of its kind closest to the question's words
                same = [c for c in mine if c.kind == kind]
                top = max(same, key=lambda c: (c.feats["local"], c.feats["near"]))
                if top.feats["local"] > 0:
                    top.feats["nearest"] = 1.0
                # of two amounts in one sentence, the one the question's words lead into
                lead = max(c.feats["lead_in"] + c.feats["lead_out"] for c in same)
                # "800 triệu đồng, trong đó bảo hiểm y tế chi trả 400 triệu đồng": the one in the clause
                # that holds the question's words
                clause = max(c.feats["clause"] for c in same)
                for c in same:
                    c.feats["lead_gap"] = c.feats["lead_in"] + c.feats["lead_out"] - lead
                    c.feats["lead_best"] = 1.0 if lead > 0 and c.feats["lead_gap"] == 0 else 0.0
                    c.feats["clause_gap"] = c.feats["clause"] - clause
                    c.feats["clause_best"] = 1.0 if clause > 0 and c.feats["clause_gap"] == 0 else 0.0
            out += mine
        return out


def _groups_in(ftext: str, groups: list[list[str]]) -> set[str]:
    """The pseudo-words of the groups that have a form in the (folded, space-padded) text."""
    return {f"§{i}" for i, g in enumerate(groups) if any(f" {form} " in ftext for form in g)}


def _find(kind: str, text: str, tags) -> list[tuple[int, int]]:
    if kind == "person":
        return sp.people(text, tags)
    if kind == "name":
        return sp.names(text, tags)
    if kind == "org":
        return sp.orgs(text, tags)
    if kind == "place":
        return sp.places(text, tags)
    if kind == "date":
        return sp.dates(text)
    if kind == "amount":
        return sp.amounts(text, tags)
    if kind == "score":
        return sp.scores(text)
    if kind == "reason":
        return sp.reasons(text)
    if kind == "clause":
        return sp.clauses(text)
    if kind == "phrase":
        return sp.phrases(text, tags)
    return []


def _distance(span, matched, syl_spans) -> int | None:
    """Syllables between the candidate and the nearest question word in the sentence."""
    if not matched:
        return None
    starts = [x for x, _, _ in syl_spans]
    pos = {x: i for i, x in enumerate(starts)}
    a, b = span
    inside = [i for i, (x, y, _) in enumerate(syl_spans) if x >= a and y <= b]
    if not inside:
        return None
    lo, hi = inside[0], inside[-1]
    best = None
    for x, _ in matched:
        i = pos.get(x)
        if i is None or lo <= i <= hi:
            continue
        d = lo - i if i < lo else i - hi
        best = d if best is None else min(best, d)
    return best


LINKS = frozenset("dat la co gom khoang hon gan duoc voi toi len xuong tang giam cua bang o tai vao nam "
                  "chi tu den tong cong muc con".split())
# words that start another item of a list: a run stops there ("doanh thu 5.870 tỷ đồng và lợi nhuận
# sau thuế 412 tỷ đồng": the profit's words lead into 412, not out of 5.870)
ITEM_START = frozenset("va and hoac or nhung but".split())


def _run(syl_spans, span, qsyl: set[str], idf: dict[str, float], step: int, text: str = "") -> float:
    """IDF weight of the question's words in the run that ends where the candidate starts
    (``step`` -1) or starts where it ends (+1): function and linking words pass, another content
    word or a punctuation mark ends it ("lợi nhuận sau thuế đạt 215 tỷ đồng")."""
    inside = [i for i, (x, y, _) in enumerate(syl_spans) if x >= span[0] and y <= span[1]]
    if not inside:
        return 0.0
    i = inside[0] - 1 if step < 0 else inside[-1] + 1
    prev = inside[0] if step < 0 else inside[-1]
    got, seen, passed = 0.0, set(), 0
    stop = stop_vi()
    while 0 <= i < len(syl_spans) and passed < 8:
        a, b = sorted((prev, i))
        if text and re.search(r"[,;:.()\"“”]", text[syl_spans[a][1]:syl_spans[b][0]]):
            break
        w = syl_spans[i][2]
        if w in ITEM_START:
            break
        if w in qsyl:
            if w not in seen:
                got += idf.get(w, 0.0)
                seen.add(w)
        elif w not in LINKS and w not in stop:
            break
        passed += 1
        prev = i
        i += step
    return got


def _local(span, syl_spans, qsyl: set[str], idf: dict[str, float], window: int = 8) -> float:
    """IDF weight of the question's words within ``window`` syllables of the candidate (the
    candidate's own words excluded): answers sit among the words that ask for them. (Ending an
    amount's window where the next item of a list starts, "… 920 tỷ đồng và lợi nhuận 75 tỷ
    đồng", was tried on 2026-12-03: out of fold it answered fewer news questions rightly.)"""
    inside = [i for i, (x, y, _) in enumerate(syl_spans) if x >= span[0] and y <= span[1]]
    if not inside:
        return 0.0
    lo, hi = max(0, inside[0] - window), min(len(syl_spans), inside[-1] + window + 1)
    near = {syl_spans[i][2] for i in range(lo, hi) if not inside[0] <= i <= inside[-1]}
    return math.fsum(idf.get(w, 0.0) for w in near & qsyl)  # fsum: the same in any set order


_CLAUSE_END = re.compile(r"[,;:()\[\]\"“”]|\s[-–]\s|\btrong đó\b|\bcòn\b|\bwhile\b|\bwhereas\b", re.I)


def _clause(span, syl_spans, qsyl: set[str], idf: dict[str, float], ends: list[int], length: int) -> float:
    """IDF weight of the question's words in the candidate's own clause (up to a comma, a colon,
    a bracket, "trong đó", "còn": ``ends``), the candidate's own words excluded: of two amounts in
    one sentence, the one whose clause says what the question asks about."""
    lo = max((e for e in ends if e < span[0]), default=-1)
    hi = min((e for e in ends if e >= span[1]), default=length)
    words = {w for x, y, w in syl_spans if x > lo and y <= hi and not (x >= span[0] and y <= span[1])}
    return math.fsum(idf.get(w, 0.0) for w in words & qsyl)  # fsum: the same in any set order


MANNER = re.compile(r"\b(nhu the nao|the nao|ra sao|bang cach nao|how)\b")
CAUSE = re.compile(r"\b(vi sao|tai sao|ly do|nguyen nhan|do dau|why|reason|cause|caused)\b")


PERIOD = re.compile(r"\d\s*(?:đến|tới|–)\s*\d|^\D*\d{1,2}\s*-\s*\d{1,2}\s*/\s*\d{1,2}|\d{4}\s*[-–]\s*\d{4}")


def _period_end(text: str, span) -> str:
    """"start" when the date opens a period ("từ ngày 3-9", "from 3 September"), "end" when it
    closes one ("đến ngày 6-9", "hết tháng 4", "until"), "both" when it is a whole period
    ("21 đến 23-10", "5-7/11", "2021-2025"), else ""."""
    if PERIOD.search(text[span[0]:span[1]]):
        return "both"
    before = fold(text[max(0, span[0] - 14):span[0]] + " " + text[span[0]:span[1]].split(" ")[0])
    words = re.findall(r"[a-z]+", before)[-3:]
    if any(w in ("den", "toi", "het", "until", "till", "to") for w in words):
        return "end"
    if any(w in ("tu", "from", "since") for w in words):
        return "start"
    return ""


def _without_place_noun(name: str) -> list[str]:
    """The folded syllables of a place's name after its generic noun ("tỉnh Quảng Trị": quang, tri)."""
    low = name.lower()
    noun = max((n for n in sp.PLACE_NOUNS if low.startswith(n + " ")), key=len, default="")
    return syllables(name[len(noun):]) or syllables(name)


def _unit_ok(text: str, span, q: Question) -> bool:
    unit = sp.unit_of(text, span)
    if not unit:
        return False
    words = set(unit.split())
    # a question written with its marks is matched with them: "bao nhiêu xe khách" does not count
    # "2.100 tài xế" (xe and xế are one syllable once folded)
    asked = {fold(w): w.lower() for w in re.findall(r"[^\W\d_]+", q.text)}
    marked = any(k != v for k, v in asked.items())
    written = {w.lower() for w in re.findall(r"[^\W\d_]+", text[span[0]:span[1]])}
    for form in q.units:  # the counted noun's first syllable ("bao nhiêu người bị thương": người)
        rate = re.search(r"\bmoi (\w+)", form)  # "đồng mỗi lít": a rate needs its "per" noun near
        if rate and rate.group(1) not in syllables(text[span[0]:span[1] + 30]):
            continue
        head = form.split()[0]
        if marked and head in asked and asked[head] not in written:
            continue
        if head in words or f" {form} " in f" {unit} ":  # whole syllables: "tù" is not in "tuổi"
            return True
    return False


def _states_event_date(hit: Hit, text: str) -> bool:
    written = hit.meta.get("event_date_text")
    return bool(written) and (written in text or text in written)


def _role_terms(q: Question) -> set[str]:
    """The words of a who-question that may name a role ("tài xế", "Chủ tịch", "driver"): its
    content words, in Vietnamese; in English only its names and numbers can be matched."""
    if q.qtype != "who" and q.wants != "org":
        return set()
    return set(q.terms) if q.language == "vi" else set()


def _asked_titles(q: Question) -> set[str]:
    """The title words a Vietnamese who-question names ("Bí thư Tỉnh ủy ... là ai?" -> {bi, thu}),
    deputies' "phó" aside; English titles reach Vietnamese through the news lexicon."""
    if q.qtype != "who":
        return set()
    if q.language == "en":
        return titles_in(" | ".join(g[0] for g in q.vi_groups))
    return titles_in(" ".join(syllables(q.rewritten)))


def _titles(text: str, span, people: list[tuple[int, int]]) -> list[str]:
    """The folded title segments of the person at ``span``: the words before the name back to the
    previous person or ";" (split at commas: "Phó Bí thư Thành ủy, Chủ tịch HĐND thành phố ..."),
    and an apposition after it ("Nguyễn Văn A, Giám đốc Sở ...")."""
    a, b = span
    prev = max([y for x, y in people if y <= a] + [text.rfind(";", 0, a) + 1, text.rfind(":", 0, a) + 1, 0])
    nxt = min([x for x, y in people if x >= b] + [i for i in (text.find(";", b), text.find(" và ", b)) if i >= 0]
              + [len(text)])
    after = text[b:nxt] if text[b:b + 2] == ", " else ""
    segs = [re.sub(r"^(va|cung|and)\s+", "", fold(seg).strip()) for seg in (text[prev:a] + "," + after).split(",")]
    return [" ".join(syllables(seg)) for seg in segs if seg.strip()]


def _deputy(text: str, span) -> bool:
    """The title right before a name is a deputy's ("Phó Chủ tịch ... Nguyễn Văn A")."""
    a = span[0]
    lo = max(text.rfind(",", 0, a), text.rfind(";", 0, a), text.rfind(" và ", 0, a), -1) + 1
    seg = fold(text[lo:a]).strip()
    seg = re.sub(r"^(va|cung|and)\s+", "", seg)
    return seg.startswith("pho ")


def _role_match(text: str, span, role: set[str]) -> float:
    """How much of the question's wording stands in the title before the name (back to the
    previous comma, "và" or name) or in an apposition after it."""
    a, b = span
    lo = max(text.rfind(",", 0, a), text.rfind(";", 0, a), text.rfind(" và ", 0, a), 0)
    hi_candidates = [x for x in (text.find(",", b + 2), text.find(";", b), text.find(" và ", b)) if x > b]
    after = text[b:min(hi_candidates)] if hi_candidates and text[b:b + 2] in (", ", " (") else ""
    words = set(syllables(text[lo:a] + " " + after)) & role
    words -= {"pho"}  # "Phó": a deputy is told apart by deputy_match below
    return min(1.0, len(words) / max(len(role), 1) * 2)


__all__ = ["Evidence", "Sentence", "Candidate", "kinds_for", "content", "units"]
