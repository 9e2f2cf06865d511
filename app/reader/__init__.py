"""The reader: the default, extractive answerer. Question -> evidence sentences -> candidate
answers -> one of three replies.

1. Every sentence of the retrieved passages gets the probability that it holds the answer
   (``app.reader.evidence`` features, ``app.reader.model`` weights learned on training splits).
2. In the best few sentences, candidates of the asked kind (people, names, organisations,
   places, dates, amounts with units, scores, reasons, phrases) get the probability that they
   are the answer, alone (``prob``) and against each other and "none of them" (``share``).
3. The reply: a short answer when the best candidate's share (a list across articles: each
   one's probability) is large enough; otherwise "the closest
   the articles come is: …" quoting the best sentence when it is likely enough to matter; and
   otherwise a refusal. Both thresholds are calibrated on training data, never hand-set.

Every part is general to news: no article, place or person of any corpus is known here. The
few facts about the corpus it uses (how rare a word is, which places most articles share)
come from the index.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np

from app.answerer import Cited, Draft
from app.reader import compose
from app.reader.evidence import MAX_SENTENCES, Candidate, Evidence, Sentence
from app.reader.model import ReaderModel, confidence, load
from app.reader.question import MAX_CHARS, Question, detect_language, parse
from index.types import Hit
from ingest.models import split_places
from ingest.textutil import fold

MAX_LIST = 8  # names in one answer
GATHER_ARTICLES = 12
# see _read: on XQuAD's training half, an English question whose names no sentence writes alike
# had its best sentence hold the answer 25 times in 28 above 0.5, 26 in 47 between 0.2 and 0.5,
# 3 in 6 below (it was 0.5 until 2026-12-02: those 47 were refused)
UNNAMED_EN = 0.2
LISTED = 0.5  # a name listed with the answer joins it when at least this share as likely
# words that deny what follows them: a sentence holding one the question does not hold cannot
# answer "yes" ("có được ra khơi không?" / "đã cấm tàu thuyền ra khơi"; "sẽ không thu phí")
NEGATORS = re.compile(r"(?<!\w)(không|chưa|chẳng|chả|cấm|miễn|ngừng|dừng|never|not|no)(?!\w)", re.I)
ASKING = re.compile(r"(?<!\w)(không|chưa)\s*\??\s*$", re.I)  # "… có … không?": the asking particle

__all__ = ["Reader", "Question", "parse", "detect_language", "MAX_CHARS"]


class Reader:
    name = "extractive"

    def __init__(
        self,
        doc_freq: Callable[[list[str]], dict[str, int]] | None = None,
        n_docs: int = 1,
        common_places: set[str] | None = None,
        model: ReaderModel | None = None,
    ) -> None:
        self.evidence = Evidence(doc_freq, n_docs)
        # places named in most articles don't tell articles apart (from the index, per corpus)
        self.common_places = common_places or set()
        self.model = model or load()

    # -- the Answerer interface --------------------------------------------------------------
    def answer(self, question: str, hits: list[Hit], history: list[dict], language: str | None = None) -> Draft:
        q = parse(question, history)
        if language:
            q.language = language
        return self.answer_parsed(q, hits)

    def answer_parsed(self, q: Question, hits: list[Hit], qvec: np.ndarray | None = None) -> Draft:
        draft = self._read(q, hits, qvec)
        draft.question_type = q.qtype
        return draft

    # -- scoring (also what ``eval.fit_reader`` fits on) -------------------------------------
    def score(self, q: Question, hits: list[Hit], qvec: np.ndarray | None) -> tuple[list[Sentence], list[Candidate]]:
        """Sentences ranked best first (each with the probability it holds the answer), and the
        candidates of the best ones ranked by the probability they are it."""
        sents = self.evidence.sentences(q, hits, qvec)
        for s, z in zip(sents, self.model.sentence.logits([s.feats for s in sents])):
            s.logit = float(z)
            s.prob = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, s.logit))))
        order = self.model.order.scores([s.feats for s in sents]) if self.model.order is not None \
            else [s.logit for s in sents]
        for s, z in zip(sents, order):
            s.order = float(z)
        sents.sort(key=lambda s: -s.order)
        best = sents[:GATHER_ARTICLES * 2] if q.plural else sents[:MAX_SENTENCES]
        cands = self.evidence.candidates(q, best)
        for c, p in zip(cands, self.model.span.probs([c.feats for c in cands])):
            c.prob = p
        if self.model.choice is not None:
            for c, p in zip(cands, self.model.choice.shares([c.feats for c in cands])):
                c.share = p
        cands.sort(key=lambda c: -c.prob)
        return sents, cands

    def places_ok(self, q: Question, hits: list[Hit]) -> tuple[list[Hit], list[str]]:
        """Only passages of articles that name the (uncommon) places the question names."""
        places = [p for p in q.provinces if p not in self.common_places]
        wanted = {fold(p) for p in places}
        return [h for h in hits if wanted <= {fold(x) for x in split_places(h.meta.get("provinces"))}], places

    def _read(self, q: Question, hits: list[Hit], qvec) -> Draft:
        lang = q.language
        hits, places = self.places_ok(q, hits)
        if not hits:
            msg = compose.REFUSAL_PLACE[lang].format(place=", ".join(places)) if places else compose.REFUSAL[lang]
            return _refuse(q, msg)
        sents, cands = self.score(q, hits, qvec)
        unnamed = q.anchors and not any(s.feats.get("anchors", 0) > 0 for s in sents)
        if q.countries and not any(s.feats.get("countries", 0) > 0 for s in sents):
            return _refuse(q)  # "the president of France": no passage writes "Pháp"
        if not sents or (unnamed and (q.language == "vi" or sents[0].prob < UNNAMED_EN)):
            # nothing relevant: no passage names what the question names (an English question's
            # names may be written otherwise in Vietnamese, "Warsaw" / "Vác-sa-va": its best
            # sentence is quoted when it likely enough holds the answer)
            return _refuse(q)
        if unnamed:  # "Who won the Nobel Prize?" over a football report: at most its closest sentence
            return self._closest_or_refuse(q, sents, cands)
        if q.qtype == "yesno":
            return self._yesno(q, sents) or self._closest_or_refuse(q, sents)
        if q.event and q.period and q.plural:
            return self._events(q, sents) or self._closest_or_refuse(q, sents, cands)
        if q.plural:
            return self._gather(q, cands) or self._closest_or_refuse(q, sents, cands)
        if self.model.choice is not None:
            return self._choose(q, sents, cands)
        rivals = [(c.prob, c.kind, fold(c.text)) for c in cands if c.kind == cands[0].kind] if cands else []
        if cands and confidence(rivals) >= self.model.bar(q.language):
            return _compose(q, self._together(q, cands))
        return self._closest_or_refuse(q, sents, cands)

    def _choose(self, q: Question, sents: list[Sentence], cands: list[Candidate]) -> Draft:
        """The single answer, by the candidates' shares (``model.Listwise``): the text whose
        mentions hold the largest share, with the names listed beside it ("A và B") that are
        nearly as likely judged alone (the shares favour one of two co-chairs: either answers the
        training question), when their mentions together hold at least the bar's share; else the
        closest sentence or a refusal."""
        if cands:
            one = dict(zip(map(id, cands), mentions([(fold(c.text), c.kind, id(c.sentence), c.span) for c in cands])))
            total: dict[int, float] = {}
            for c in cands:
                total[one[id(c)]] = total.get(one[id(c)], 0.0) + c.share
            best = max(total, key=lambda t: total[t])
            # of a reason and the clause holding it, the reason is said (the clause may restate the question)
            top = max((c for c in cands if one[id(c)] == best), key=lambda c: (c.kind == "reason", c.share))
            ranked = [top, *sorted((c for c in cands if c is not top), key=lambda c: -c.share)]
            group = self._together(q, ranked)
            if sum(total[t] for t in {one[id(c)] for c in group}) >= self.model.choice_bar(q.language):
                return _compose(q, group)
        return self._closest_or_refuse(q, sents, cands)

    def _together(self, q: Question, cands: list[Candidate]) -> list[Candidate]:
        """The first candidate and, for people and names, those listed with it in its sentence
        ("A và B đồng chủ trì") that are nearly as likely: one list, in the sentence's order."""
        top = cands[0]
        if top.kind not in ("person", "name", "org", "place") or q.ordinal:
            return [top]
        same = sorted((c for c in cands if c.sentence is top.sentence and c.kind == top.kind
                       and c.prob >= LISTED * top.prob), key=lambda c: c.span[0])
        kept = [top]
        text = top.sentence.text
        grew = True
        while grew:  # grow the list outwards through "và" / "," / "and" links
            grew = False
            for c in same:
                if c in kept or any(_overlaps(c, k) for k in kept):
                    continue
                for k in kept:
                    a, b = (c.span[1], k.span[0]) if c.span[0] < k.span[0] else (k.span[1], c.span[0])
                    between = text[a:b]
                    if re.search(r"(,|\bvà\b|\bcùng\b|\band\b)", between) and not re.search(r"[;.:]", between):
                        kept.append(c)
                        grew = True
                        break
        return sorted(kept, key=lambda c: c.span[0])[:MAX_LIST]

    def _closest_or_refuse(self, q: Question, sents: list[Sentence], cands: list[Candidate] = ()) -> Draft:
        """The best sentence quoted for the person to judge, its likeliest candidate highlighted;
        or, when even that sentence is unlikely, a refusal. A sentence holds the answer at least
        as likely as any of its candidates is it: the likeliest candidate's sentence is quoted
        when that candidate is likelier than the best sentence."""
        top, likely = sents[0], sents[0].prob
        if cands and cands[0].prob > likely:
            top, likely = cands[0].sentence, cands[0].prob
        if likely < self.model.closest_threshold:
            return _refuse(q)
        text = compose.CLOSEST[q.language].format(quote=top.text.strip())
        mine = [c for c in cands if c.sentence is top and c.prob >= self.model.closest_threshold]
        span = (top.span[0] + mine[0].span[0], top.span[0] + mine[0].span[1]) if mine else None
        return Draft(text=text, cited=[Cited(top.hit, top.span, span)], refused=True, outcome="closest")

    def _gather(self, q: Question, cands: list[Candidate]) -> Draft | None:
        """One answer per article: "which provinces received 3 tỷ đồng?"."""
        picked: dict[str, Candidate] = {}
        bar = self.model.bar(q.language)
        for c in cands:
            # the first must clear the bar; the next, each from its own article and of the same
            # kind, half of it (a list is read across articles that each say the same thing)
            if c.prob < (bar if not picked else LISTED * bar):
                break
            doc = c.sentence.hit.doc_id
            if doc in picked or any(fold(c.text) == fold(p.text) for p in picked.values()):
                continue
            picked[doc] = c
        if not picked:
            return None
        # in each article, the names listed with its pick ("ở các xã Định Mỹ, Vĩnh Trạch và Óc Eo")
        listed = [c for p in picked.values() for c in self._together(q, [p, *cands])]
        return _compose(q, listed, per_sentence=True)

    def _events(self, q: Question, sents: list[Sentence]) -> Draft | None:
        """"Which festivals took place in June?": retrieval kept the articles whose event falls in
        the period; each is named by where it happened (its places other than those most articles
        share), or by its title, and cited by the sentence that dates it."""
        picked: dict[str, Sentence] = {}
        for s in sents:
            if s.hit.doc_id not in picked and s.feats.get("event_date"):
                picked[s.hit.doc_id] = s
        if not picked:
            return None
        names, cited, lines = [], [], []
        for n, s in enumerate(picked.values(), 1):
            places = [p for p in split_places(s.hit.meta.get("provinces")) if p not in self.common_places]
            name = ", ".join(places) or s.hit.meta.get("title") or ""
            names.append(f"{name} [{n}]")
            cited.append(Cited(s.hit, s.span, None))
            lines.append(f"> {s.text.strip()} [{n}]")
        first = compose.join(names, q.language) + "."
        return Draft(text="\n\n".join([first, *lines]), cited=cited, outcome="answer")

    def _yesno(self, q: Question, sents: list[Sentence]) -> Draft | None:
        """Yes when the best sentence says what the question says, in its order, its numbers
        included, and denies nothing the question does not; no, with what the article says
        instead, when that sentence gives another number."""
        top = sents[0]
        if top.prob < self.model.bar(q.language):
            return None
        yes, no = {"vi": ("Có", "Không"), "en": ("Yes", "No")}[q.language]
        missing = [n for n in q.numbers if not re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d])", top.text)]
        if missing:
            from app.reader import spans as sp

            amounts = [top.text[a:b] for a, b in sp.amounts(top.text)]
            if not amounts:
                return None
            said = {"vi": "bài báo nêu", "en": "the article says"}[q.language]
            head = f"{no}: {said} {amounts[0]} [1]."
        elif denies(top.text, q.text):
            return None
        elif q.language == "vi" and top.feats.get("lex", 0) >= 0.7 and top.feats.get("pairs", 0) >= 1.0:
            # yes only when the sentence says the question's words in their order: "tổ chức tại
            # Đà Lạt" is not said by "tại thành phố Bảo Lộc, … Sở Du lịch Đà Lạt … tổ chức"; an
            # English question's words are not the sentence's, so it is never answered yes
            head = f"{yes} [1]."
        else:
            return None
        return Draft(text=f"{head}\n\n> {top.text} [1]", cited=[Cited(top.hit, top.span, None)])


CLAUSES = frozenset({"reason", "clause"})


def mentions(keys: list[tuple[str, str, int, tuple[int, int]]]) -> list[int]:
    """Which candidates are one answer, given each one's (folded text, kind, sentence, span): the
    same text anywhere; and a reason and the clause that holds it, which overlap in one sentence
    ("do việc tích nước của các hồ" / "xảy ra do việc tích nước của các hồ": the single-answer
    model is fitted to put its share on all the right ones together). One group number each."""
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, (text, kind, sentence, (a, b)) in enumerate(keys):
        if text in first:
            parent[root(i)] = root(first[text])
        first.setdefault(text, i)
        if kind in CLAUSES:
            for j in range(i):
                t, k, s, (x, y) = keys[j]
                if k in CLAUSES and s == sentence and a < y and x < b:
                    parent[root(i)] = root(j)
    return [root(i) for i in range(len(keys))]


def denies(sentence: str, question: str) -> bool:
    """The sentence holds a word of denial the question does not (its asking particle aside)."""
    asked = {w.lower() for w in NEGATORS.findall(ASKING.sub("", question.strip()))}
    return any(w.lower() not in asked for w in NEGATORS.findall(sentence))


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.span[0] < b.span[1] and b.span[0] < a.span[1]


def _refuse(q: Question, msg: str | None = None) -> Draft:
    return Draft(text=msg or compose.REFUSAL[q.language], refused=True, question_type=q.qtype, outcome="refused")


def _compose(q: Question, items: list[Candidate], per_sentence: bool = False) -> Draft:
    """The short answer with [n] markers, then each supporting sentence quoted once."""
    lang = q.language
    sentences: list[Sentence] = []
    for c in items:
        if all(c.sentence is not s for s in sentences):
            sentences.append(c.sentence)
    cited = []
    for s in sentences:
        mine = [c for c in items if c.sentence is s]
        a = min(c.span[0] for c in mine)
        b = max(c.span[1] for c in mine)
        cited.append(Cited(s.hit, s.span, (s.span[0] + a, s.span[0] + b)))
    marker = {id(s): n for n, s in enumerate(sentences, 1)}
    heads: list[str] = []
    if per_sentence:  # one marker after the names each sentence gives ("A, B và C [1]; D [2]")
        groups: dict[int, list[str]] = {}
        for c in items:
            groups.setdefault(id(c.sentence), []).append(compose.render(c.text, c.kind, lang))
        heads = [f"{compose.join(list(dict.fromkeys(g)), lang)} [{marker[k]}]" for k, g in groups.items()]
        first = "; ".join(heads) if any(len(g) > 1 for g in groups.values()) else compose.join(heads, lang)
    else:
        names = [compose.render(c.text, c.kind, lang) for c in items]
        names = list(dict.fromkeys(names))
        markers = "".join(f"[{marker[id(s)]}]" for s in sentences)
        first = f"{compose.join(names, lang)} {markers}"
    if len(items) == 1 and items[0].kind in ("clause", "reason", "phrase") and lang == "en":
        first = f"According to the article: {first}"
    lines = [first if compose.ended(first) else first + "."]
    for s in sentences:
        if fold(s.text.strip(" .")) != fold(" ".join(c.text for c in items if c.sentence is s).strip(" .")):
            lines.append(f"> {s.text.strip()} [{marker[id(s)]}]")
    return Draft(text="\n\n".join(lines), cited=cited, outcome="answer")
