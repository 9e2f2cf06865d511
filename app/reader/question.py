"""Understanding a question: its language, the kind of answer it wants, what it is about, and
what it means in the light of the conversation so far.

Rules, no model: the question words of news QA are a closed set in both languages ("ai",
"khi nào", "bao nhiêu", who, when, how many ...). Matching runs on folded text, so "bao nhieu"
and "bao nhiêu" are the same question. Nothing here knows any article: facts about the corpus
(which places most articles share) come from the index, through the assistant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.reader.spans import people
from app.reader.words import (
    content,
    content_of,
    countries_en,
    english_groups,
    english_words,
    find_phrases,
    question_words_vi,
    stop_en,
    stop_vi,
    syllables,
    titles_in,
    units,
)
from ingest.metadata import find_provinces, province_spans
from ingest.textutil import fold, has_vietnamese_marks, nfc

MAX_CHARS = 2000

# (type, folded pattern); the first match wins, so the more specific come first.
TYPES = [
    ("how_many", r"\b(bao nhieu|(?<!thang )(?<!ngay )(?<!luc )may (?!gio\b|khi\b)\w+|how many|how much|how long|"
                 r"how old|how far|how big|how large|how high|how tall|so luong|tong so|tong cong|"
                 r"what (is|was|are|were|will be) (?:[\w'-]+ ){0,4}?(population|number|amount|total|cost|value|"
                 r"price|percentage|rate|length|area|size|score|height|depth|width|speed|temperature|magnitude|capacity|"
                 r"proportion|share|budget|revenue|profit|salary|fine|exports?|imports?|output|production|sales|"
                 r"turnover|toll|fee|fees|fare|level|growth|ratio|yield|debt|loss|losses|deficit|surplus|income|"
                 r"earnings|spending|investment|capital|wages?|pension|funding|compensation|prize|bonus|tuition|"
                 r"distance|weight|volume|age)|what percentage|ty so)\b"),
    ("when", r"\b(khi nao|ngay nao|ngay may|bao gio|luc nao|luc may gio|may gio|nam nao|thang nao|thang may|"
             r"thoi gian nao|thoi diem nao|thoi han nao|han chot|hom nao|when|what date|which date|what day|which day|"
             r"what year|which year|"
             r"what month|which month|what time|what century|which century)\b"),
    ("where", r"\b(o dau|tai dau|tu dau(?! (nam|thang|tuan|quy|mua|vu|ky|gio|ngay)\b)|noi nao|dia diem nao|"
              r"(tinh|huyen|xa|quan|phuong|thanh pho|quoc gia|nuoc|vung|khu vuc|"
              r"dia ban|dia phuong) nao|"
              r"where|what place|which place|which venue|which country|which city|what country|what city|"
              r"which province|what province|which district)\b"),
    ("who", r"\b(ai|nhung ai|nguoi nao|vi nao|dong chi nao|who|whom|whose)\b"),
    ("why", r"\b(vi sao|tai sao|ly do|nguyen nhan|do dau|why|what caused|what is the reason|what was the reason|"
            r"nhu the nao|the nao|ra sao|bang cach nao|how)\b"),
    ("yesno", r"(\bco\b.*\b(khong|chua)\s*\??\s*$|\b(phai khong|dung khong|co phai|hay khong)\b|"
              r"^(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should)\b)"),
    ("what", r"\b(gi|nao|what|which|nhung\s+\w+\s+nao)\b"),
]
# which end of a period is asked: "đến ngày nào" / "until when" (its end), "từ khi nào" / "when does it
# start" (its start); the answer is the date after "đến" / "từ" (folded patterns)
_WHEN_ASKED = r"(khi nao|bao gio|ngay nao|luc nao|thang nao|nam nao|ngay may|thoi diem nao)"
RANGE_END = re.compile(rf"\b((den|toi|cho den) {_WHEN_ASKED}|ket thuc|het han|until|till|through when|"
                       r"by when|to when|to what date|end|ends|"
                       r"ended|finish|finishes|finished|close|closes|closed|last until|deadline)\b")
RANGE_START = re.compile(rf"\b(tu {_WHEN_ASKED}|bat dau|start|starts|started|begin|begins|began|since when|from when|"
                         r"from what date|open|opens)\b")
# finer kinds of answer, read after the type (folded patterns)
ORG_HEAD = re.compile(r"\b(which|what) (team|club|company|firm|organi[sz]ation|agency|ministry|department|"
                      r"hospital|school|university|bank|unit|court|party|side)\b|"
                      r"\b(doi|clb|cau lac bo|cong ty|doanh nghiep|to chuc|co quan|don vi|benh vien|truong|"
                      r"ngan hang|toa an|bo|so|tap doan|hang) nao\b")
SCORE = re.compile(r"\b(ty so|ti so|ket qua tran|what (was|is) the (final )?(score|result)|by what score)\b")
# "thắng/thua … bao nhiêu" is read with its marks: folded "thang" is also "tháng" (a month), and
# "2 tháng đầu năm đạt bao nhiêu" asks no score
SCORE_MARKED = re.compile(r"(?<!chiến )\b(thắng|thua)\b.*\bbao nhiêu\b")
DURATION = re.compile(r"\b(how long|bao lau|trong bao lau|bao nhieu (nam|thang|ngay|gio|phut|tuan|tieng)|"
                      r"(?<!luc )may (nam|thang|ngay|tuan|tieng))\b|\bkeo dai (bao nhieu|may) gio\b")
MONEY = re.compile(r"\b(how much|tien|kinh phi|von|chi phi|gia tri|doanh thu|loi nhuan|cost|costs|price|worth|"
                   r"revenue|profit|budget|fund|funds|funding|money|spend|spent|pay|paid|invest|invested|"
                   r"investment|fine|fined|fee|fees|fare|fares|salary|salaries|wage|wages|tuition|charge|charged|"
                   r"dong|usd|vnd)\b")
# "which airports", "sân bay nào", "ngành nào": a named thing, not a clause
ENTITY = re.compile(r"\b(which|what) [a-z]+s?\b(?! (is|was|are|were|did|does|do|happened)\b)|\b[a-z]+ nao\b")
MONEY_NOUN = re.compile(r"\b(revenue|profit|cost|price|budget|salary|fee|fare|tuition|doanh thu|loi nhuan|chi phi|"
                        r"gia ve|gia ban|"
                        r"kinh phi|ngan sach|muc luong|von dau tu|tong von)\b")
# "which deputy director ...", "cầu thủ nào ...": the noun asked for names a person
PERSON_HEAD = re.compile(r"\b(which|what) (?:[a-z'-]+ )?(person|people|official|officer|player|man|woman|leader|"
                         r"member|candidate|athlete|scientist|writer|author|artist|singer|actor|actress|doctor|"
                         r"teacher|student|defendant|suspect|victim)s?\b|"
                         r"\b(nguoi|cau thu|van dong vien|can bo|quan chuc|lanh dao|bi cao|nghi pham|nan nhan|"
                         r"bac si|giao vien|hoc sinh|sinh vien|tac gia|ca si|nghe si|dien vien) nao\b")
PURPOSE = re.compile(r"\b(nham muc dich gi|de lam gi|muc dich|for what purpose|what for|purpose)\b")
FOLLOWUP_START = re.compile(r"^(con|va|the con|vay con|what about|how about|and|also|then)\b")
FOLLOWUP_ASK = re.compile(r"\b(thi sao|the nao|ra sao)\s*\??$")
PRONOUN_VI = re.compile(r"\b(ho|ong ay|ba ay|anh ay|chi ay|nguoi do|nguoi nay|no|cai do|dieu do|viec do|"
                        r"\w+ (nay|do|ay))\b")
PRONOUN_EN = re.compile(r"\b(they|them|their|he|she|him|her|his|it|its|that|this|those|these|there|then)\b")
PERSON_VI = re.compile(r"\b(ong ay|ba ay|anh ay|chi ay|em ay|co ay|nguoi do|nguoi nay|vi nay|vi do)\b")  # he, she
PERSON_EN = re.compile(r"\b(he|she|him|her|his)\b")
ORDINAL = re.compile(r"\b(?:thu (hai|ba|tu|nam|nhat)|(first|second|third|fourth|fifth|last) (one|person|man|woman|"
                     r"name|item)?)\b")
ORDINALS = {"nhat": 1, "first": 1, "hai": 2, "second": 2, "ba": 3, "third": 3, "tu": 4, "fourth": 4, "nam": 5,
            "fifth": 5, "last": -1}
PLURAL = re.compile(r"\b(nhung|cac) (tinh|dia phuong|thanh pho|quoc gia|nuoc|doi|cong ty|nguoi) (nao|gi)\b|"
                    r"\b(which|what) (provinces|cities|countries|teams|companies|people|localities)\b|"
                    r"\b(nhung|cac) \w+( \w+)? nao\b|\bwhich( of the)?( \w+)? (\w+s) (were|are|have|had|took)\b|"
                    r"\bmoi (tinh|dia phuong|nuoc)\b|\beach (province|city|country)\b")
PLACE_HEAD = re.compile(r"\b(tinh nao|dia phuong nao|tinh thanh nao|thanh pho nao|quoc gia nao|nuoc nao|"
                        r"(which|what) (provinces?|cities|city|localities|countries|country))\b")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A question about an event's taking place ("hội nghị ... diễn ra khi nào", "which festivals were
# held in June"): its answer, or its constraint, is the article's event date.
EVENT = re.compile(r"\b(hoi nghi|cuoc hop|buoi lam viec|hoi thao|dien dan|su kien|le hoi|le ky ket|le khai mac|"
                   r"giai dau|tran dau|ky thi|conferences?|meetings?|events?|forums?|summits?|ceremony|ceremonies|"
                   r"talks|festivals?|matche?s?|exams?|tournaments?)\b")
EVENT_WHICH = re.compile(EVENT.pattern[:-3] + r")( \w+){0,3} nao\b|"
                         r"\b(which|what)( of the)?( \w+){0,2} " + EVENT.pattern[2:])
OCCUR = re.compile(r"\b(dien ra|to chuc|khai mac|duoc hop|hop vao|took place|take place|taken place|takes place|"
                   r"held|hold|happen|happened|happens|convened?|occur(red)?)\b")
MEET = re.compile(r"\b(meet|met|gap nhau|gap go|hop ban|lam viec voi nhau)\b")
VI_MONTHS = {"gieng": 1, "mot": 1, "hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
             "muoi": 10, "muoi mot": 11, "muoi hai": 12, "chap": 12}
EN_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
PERIOD_VI = re.compile(r"\bthang (1[0-2]|0?[1-9]|muoi mot|muoi hai|gieng|mot|hai|ba|tu|nam|sau|bay|tam|chin|muoi|chap)"
                       r"\b(?:\s*(?:nam|/|-)\s*(\d{4})\b)?|\bnam (\d{4})\b|\b(1[0-2]|0?[1-9])\s*/\s*(\d{4})\b")
PERIOD_EN = re.compile(r"\b(" + "|".join(EN_MONTHS) + r"|" + "|".join(m[:3] for m in EN_MONTHS) + r")\b\.?"
                       r"(?:,?\s*(\d{4})\b)?|\b(?:in|during|of) (\d{4})\b")
UNIT_STOP = {"la", "co", "duoc", "da", "se", "cua", "va", "thi", "o", "tai", "trong", "nam"}
FOLLOW_FILLER = {"va", "con", "the", "thi", "vay", "and", "what", "about", "how", "so", "then", "la", "nhi", "a", "ha",
                 "sao", "also"}


@dataclass
class Question:
    text: str  # as asked (NFC)
    rewritten: str  # with the conversation's context filled in
    language: str  # "vi" | "en"
    qtype: str  # who | when | where | how_many | why | yesno | what
    wants: str = ""  # a finer kind: org, score, duration, money, purpose, place, year, month, date
    provinces: list[str] = field(default_factory=list)  # provinces named (folded match)
    numbers: list[str] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)  # folded names the evidence should contain
    units: list[str] = field(default_factory=list)  # folded units / counted nouns an amount must carry
    vi_groups: list[list[str]] = field(default_factory=list)  # English news words' Vietnamese forms
    head: list[str] = field(default_factory=list)  # folded forms of the noun asked about ("quỹ nào": quy)
    plural: bool = False  # wants a list across articles
    place_head: bool = False  # asks for a province/place ("tỉnh nào", "which provinces")
    # the folded word right before a Vietnamese question word, which stands where the answer
    # stands in a statement ("bảo tàng ban đầu được gọi là [gì]" / "... được gọi là Bảo tàng X")
    wh_before: str = ""
    # countries an English question names, each as the folded Vietnamese forms news writes ("phap")
    countries: list[list[str]] = field(default_factory=list)
    followup: bool = False
    ordinal: int | None = None  # "người thứ hai": an item of the previous answer
    context: str = ""  # the previous turn a follow-up leans on, for search and as weak evidence
    event: bool = False  # about an event taking place (its date is the article's event date)
    period: tuple[int | None, int | None] | None = None  # (year, month) the event must fall in
    period_words: list[str] = field(default_factory=list)  # folded words that stated the period
    range_end: str = ""  # "start" | "end" | "both": which end of a period a when-question asks for

    @property
    def terms(self) -> list[str]:
        """Folded content syllables of the question (what the evidence should cover)."""
        shape = set(self.period_words)
        return [s for s in dict.fromkeys(content_of(self.rewritten)) if s not in shape]

    @property
    def context_terms(self) -> list[str]:
        own = set(self.terms)
        return [s for s in dict.fromkeys(content_of(self.context)) if s not in own]

    @property
    def search_text(self) -> str:
        """What the lexical side searches. A Vietnamese question as asked; an English one only by
        what can occur in Vietnamese text as written: names, numbers, places, units."""
        if self.language == "en":
            names = [w for w in re.findall(r"[^\W\d_][\w-]*", self.rewritten)[1:]
                     if w[:1].isupper() and fold(w) in self.anchors]
            forms = [g[0] for g in self.vi_groups]
            places = [g[0] for g in self.countries]
            return " ".join([*forms, *names, *places, *self.numbers, *self.provinces, *self.units,
                             self.context]).strip()
        return " ".join([self.rewritten, self.context]).strip()

    @property
    def fusion_weights(self) -> tuple[float, float]:
        """(dense, lexical) weights for rank fusion. An English question reaches the Vietnamese
        lexical index only through its names and numbers, so the lexical side counts as much as
        the question is made of them (XQuAD-en paragraph hit@1: dense 0.74, equal fusion 0.65)."""
        if self.language != "en":
            return (1.0, 1.0)
        words = [w for w in re.findall(r"[a-z]+", fold(self.rewritten)) if w not in stop_en()]
        known = len(self.anchors) + len(self.numbers) + len(self.vi_groups)
        return (1.0, 0.5 * known / max(len(words), 1) if known else 0.0)

    @property
    def dense_text(self) -> str:
        return f"{self.rewritten} {self.context}".strip()


def detect_language(text: str) -> str:
    """"vi" or "en". Capitalised words other than the first are names, which English questions
    keep in Vietnamese; Vietnamese typed without diacritics is told by its function words."""
    toks = re.findall(r"[^\W\d_]+'?[a-z]*", nfc(text))
    if toks:
        toks[0] = toks[0].lower()
    common = [t for t in toks if not t[:1].isupper()] or toks
    vi_words = stop_vi() | question_words_vi()
    en = sum(t.lower() in stop_en() and fold(t) not in vi_words for t in common)
    vi = sum(has_vietnamese_marks(t) or (fold(t) in vi_words and t.lower() not in stop_en()) for t in common)
    if en == vi and not any(has_vietnamese_marks(t) for t in common):
        # words of both lists ("the", "may", "do"): English shapes words Vietnamese never does
        en += sum(bool(re.search(r"(ed|ing|tion|ly|ies|[^s]s)$", t)) and len(t) > 3 for t in common)
    return "en" if en > vi else "vi"


# Folded question syllables that are other words with other marks: "máy" is not "mấy", "đầu"
# (head, "đầu tư") not "đâu", "bão" (storm) not "bao", "não" (brain) not "nào".
MARKED_ASK = {"may": "mấy", "dau": "đâu", "nao": "nào", "gi": "gì", "bao": "bao", "ai": "ai", "sao": "sao",
              "khi": "khi", "nhieu": "nhiêu", "gio": "giờ"}


def typing_text(text: str) -> str:
    """The folded text question types are read from. With diacritics, a syllable that folds to a
    question word but is written otherwise is masked, so "nhà máy thứ tư" asks no "mấy"."""
    f = fold(text)
    if not has_vietnamese_marks(text):
        return f
    t = nfc(text)
    for m in re.finditer(r"[^\W_]+", t):
        w = m.group().lower()
        want = MARKED_ASK.get(fold(w))
        if want and w != want:
            f = f[:m.start()] + "#" * len(w) + f[m.end():]
    return f


def question_type(text: str, language: str = "vi") -> str:
    """The kind of answer asked for. English fronts its question word, so the earliest match
    decides ("Who was hurt when the bus overturned?" asks who); Vietnamese leaves it in place
    ("Tàu đến khi nào?"), so the first type in TYPES that matches decides."""
    f = typing_text(text).strip()
    f = re.sub(r"\b(con .+ thi sao|what about .+)$", "", f).strip() or f
    found = [(m.start(), rank, name) for rank, (name, pat) in enumerate(TYPES) if (m := re.search(pat, f))]
    if (not has_vietnamese_marks(text) and any(t[2] not in ("how_many", "yesno") for t in found)
            and not re.search(TYPES[0][1], re.sub(r"\bmay\b", "", f))):
        # unmarked "may" is as often "máy" (a machine: "may bay", "nha may") as "mấy": another asking word wins
        found = [t for t in found if t[2] != "how_many"]
    if not found:
        return "what"
    if language == "en":
        return min(found)[2]
    return min(found, key=lambda t: t[1])[2]


def _wants(f: str, qtype: str, text: str = "") -> str:
    if SCORE.search(f) or SCORE_MARKED.search(text.lower()):
        return "score"
    if DURATION.search(f):
        return "duration"
    if qtype == "how_many" and MONEY.search(f):
        return "money"
    if qtype == "what" and MONEY_NOUN.search(f) and not NUMBER.search(f):
        return "money"  # "what was the revenue": an amount; "quỹ nào nhận 3 tỷ đồng" is not
    if re.search(r"\b(percentage|percent|what (share|proportion|fraction)|phan tram|ty le|ty trong|bao nhieu %)\b", f):
        return "percent"
    if ORG_HEAD.search(f):
        return "org"
    if PURPOSE.search(f):
        return "purpose"
    if qtype == "what" and ENTITY.search(f):
        return "entity"
    if qtype == "when":
        if re.search(r"\b(nam nao|what year|which year|nam bao nhieu)\b", f):
            return "year"
        if re.search(r"\b(thang nao|thang may|what month|which month)\b", f):
            return "month"
        if re.search(r"\b(may gio|luc may gio|what time|gio nao)\b", f):
            return "time"
        if re.search(r"\b(ngay nao|ngay may|ngay bao nhieu|what date|which date|what day|which day|on what day)\b", f):
            return "day"
    return ""


def _head(f: str, q: Question) -> list[str]:
    """The noun a what/which question asks for, in folded Vietnamese forms: "khu kinh tế nào" ->
    ["khu kinh te"]; "which airport" -> the forms of "airport" the news lexicon knows. The answer
    often follows it in the text ("Khu kinh tế Vũng Áng", "sân bay Phú Bài")."""
    if q.language == "en":
        m = re.search(r"\b(?:which|what)\s+((?:[a-z'-]+\s+)?[a-z'-]+)", f)
        return [form for g in english_groups(m.group(1)) for form in g] if m else []
    m = re.search(r"((?:[a-z]+ ){1,3})(?:nao|gi)\b", f)
    if not m:
        return []
    words = [w for w in m.group(1).split() if w not in question_words_vi() and w not in UNIT_STOP]
    words = words[-3:]
    return [" ".join(words[i:]) for i in range(len(words))] if words else []


WH_ONE = {"gi", "nao", "ai", "dau", "may"}
WH_TWO = {("bao", "nhieu"), ("khi", "nao"), ("bao", "gio"), ("bao", "lau"), ("luc", "nao"), ("the", "nao")}


def word_before_asking(f: str) -> str:
    """The word right before the question word of a folded Vietnamese question ("" when it
    opens the question): Vietnamese asks in place, so the answer follows that word in the text.
    (The three words either side were tried as well: they made wrong answers surer, out of fold.)"""
    words = re.findall(r"[a-z0-9#]+", f)
    for i, w in enumerate(words):
        if w in WH_ONE or tuple(words[i:i + 2]) in WH_TWO:
            return words[i - 1] if i and "#" not in words[i - 1] else ""
    return ""


def _asks_person(f: str, q: Question) -> bool:
    """A what/which question whose noun is a title or a person ("which deputy director is
    quoted", "thẩm phán nào chủ tọa"): it asks who."""
    m = re.search(r"\b(?:which|what(?!\s+(?:is|was|are|were|did|does|do|has|have|had|will|would|can|could|should)\b))"
                  r"\s+((?:[a-z'-]+\s+){0,2}[a-z'-]+)", f) if q.language == "en" else None
    asked = m.group(1) if m else " | ".join(q.head)
    return bool(titles_in(asked)) or bool(PERSON_HEAD.search(f))


AUXILIARIES = frozenset("did does do is are was were will would has have had can could should must".split())


def _units(f: str, lang: str) -> list[str]:
    """The folded unit or counted noun of a how-many question ("bao nhiêu người" -> nguoi)."""
    if lang == "en":
        m = re.search(r"\bhow (?:many|much)\s+((?:[a-z-]+\s+){0,2}[a-z-]+)", f) or re.search(
            r"\bwhat (?:is|was|are|were) the (?:number|total|amount) of\s+((?:[a-z-]+\s+){0,1}[a-z-]+)", f)
        words = m.group(1).split() if m else []
        # "how much did the province spend", "how much profit did farmer X make": the counted noun
        # comes before the question's verb, its subject after
        aux = next((i for i, w in enumerate(words) if w in AUXILIARIES), len(words))
        words = words[:aux]
        lex = units()
        out: list[str] = []
        for i in range(len(words), 0, -1):  # the longest known phrase ("years in prison")
            phrase = " ".join(words[:i])
            forms = lex.get(phrase) or lex.get(phrase.rstrip("s")) or lex.get(phrase + "s")
            if forms:
                out = forms
                break
        if not out:
            for w in words:
                forms = lex.get(w) or lex.get(w.rstrip("s")) or lex.get(w + "s")
                if forms:
                    out = forms
                    break
        return out
    m = re.search(r"\b(?:bao nhieu|may)\s+(\w+(?:\s\w+)?)", f) or re.search(r"\bso (\w+(?:\s\w+)?)\b.*\bbao nhieu\b", f)
    if not m:
        return []
    if m.group(1).split()[0] in ("mot", "moi", "tren"):  # "bao nhiêu một năm": a rate, not a unit
        return []
    rate = re.search(r"\b(?:bao nhieu|may)\s+(\w+)\s+moi\s+(\w+)", f)
    if rate:  # "bao nhiêu đồng mỗi lít": the unit and what it is per
        return [f"{rate.group(1)} moi {rate.group(2)}"]
    words = [w for w in m.group(1).split() if w not in question_words_vi() and w not in UNIT_STOP]
    return [" ".join(words)] if words else []


def parse(text: str, history: list[dict] | None = None, periods: bool = True) -> Question:
    """Analyse ``text``; with ``history``, resolve it as a follow-up of the last question.
    ``periods=False`` reads "tháng 6" / "in 2019" as words of the question, not as the
    period an event must fall in."""
    text = nfc(text).strip()
    # markup pasted into a question is not part of it (front ends show it escaped)
    text = re.sub(r"<(script|style)\b.*?</\1\s*>|<[^>]{1,200}>", " ", text, flags=re.I | re.S).strip() or text
    text = re.sub(r"\s+", " ", text)
    lang = detect_language(text)
    q = Question(text=text, rewritten=text, language=lang, qtype=question_type(text, lang),
                 provinces=find_provinces(text, folded=True), numbers=NUMBER.findall(text))
    q.anchors = anchors(text)
    prev_user = [h["content"] for h in (history or []) if h.get("role") == "user" and h.get("content", "").strip()]
    if prev_user:
        prev = parse(prev_user[-1], [{"role": "user", "content": c} for c in prev_user[:-1]])
        answers = [h["content"] for h in (history or []) if h.get("role") == "assistant" and h.get("content")]
        _resolve(q, prev, answers[-1] if answers else "")
    f = typing_text(q.rewritten)
    q.wants = _wants(f, q.qtype, q.rewritten)
    q.units = _units(f, q.language) if q.qtype == "how_many" else []
    if q.language == "en":
        # "France" is written "Pháp": a country is looked for in its Vietnamese forms
        named, rest = find_phrases(q.rewritten, countries_en())
        q.countries = [forms for _, forms in named]
        said = {w for en, _ in named for w in en.split()}
        q.anchors = [a for a in q.anchors if a not in said]
        q.vi_groups = english_groups(rest)
        # "Cần Thơ City General Hospital", "in February": capitalised English words the news
        # vocabulary translates are matched through it, not as names written in the articles
        marked = {fold(t) for t in re.findall(r"[^\W_]+", q.rewritten) if has_vietnamese_marks(t)}
        known = english_words()
        q.anchors = [a for a in q.anchors if a in marked or a not in known]
    q.head = _head(f, q)
    if q.qtype == "when":
        plain = fold(q.rewritten)  # "bắt đầu" unmasked ("đầu" folds to the asking "đâu")
        # "từ ngày nào đến ngày nào": the whole period
        ends = (bool(RANGE_START.search(plain)), bool(RANGE_END.search(plain)))
        q.range_end = {(True, True): "both", (False, True): "end", (True, False): "start"}.get(ends, "")
    if q.language == "vi":
        q.wh_before = word_before_asking(f)
    if q.qtype == "what" and q.wants in ("", "entity", "money") and _asks_person(f, q):
        q.qtype, q.wants = "who", ""
    q.plural = bool(PLURAL.search(f))
    q.place_head = bool(PLACE_HEAD.search(f))
    q.event = bool(EVENT.search(f) and (OCCUR.search(f) or q.qtype == "when")) or bool(
        q.qtype in ("when", "where") and MEET.search(f))
    if q.event and periods:
        q.period, q.period_words = event_period(f)
        if q.period:  # a constraint on the article, not a number the evidence must repeat
            said = NUMBER.findall(" ".join(q.period_words))
            q.numbers = [n for n in q.numbers if n not in said]
            # "hội nghị nào diễn ra vào tháng 6", "which matches were played in May": every one that did
            q.plural = q.plural or q.place_head or bool(EVENT_WHICH.search(f))
            q.anchors = [a for a in q.anchors if a not in q.period_words]  # "June" is not a name here
    return q


def event_period(folded: str) -> tuple[tuple[int | None, int | None] | None, list[str]]:
    """The (year, month) a question restricts events to ("tháng 6", "tháng sáu năm 2019",
    "in June", "June 2019", "in 2019"), and the words that said so."""
    m = PERIOD_VI.search(folded)
    if m:
        if m.group(1):
            month = int(m.group(1)) if m.group(1).isdigit() else VI_MONTHS[m.group(1)]
            year = m.group(2)
        elif m.group(3):
            month, year = None, m.group(3)
        else:
            month, year = int(m.group(4)), m.group(5)
        return (int(year) if year else None, month), m.group(0).split()
    m = PERIOD_EN.search(folded)
    if m and not (m.group(1) == "may" and not m.group(2)):  # "may" alone is the verb
        if m.group(1):
            name = m.group(1)
            month = EN_MONTHS.get(name) or next(i for k, i in EN_MONTHS.items() if k.startswith(name))
            return (int(m.group(2)) if m.group(2) else None, month), m.group(0).split()
        return (int(m.group(3)), None), m.group(0).split()
    return None, []


def anchors(text: str) -> list[str]:
    """Capitalised words other than the first ("France", "Nguyễn", "UBND", "QX017ZK"), folded:
    what the question names. Codes of letters and digits count whatever their case."""
    toks = re.findall(r"[^\W_]+", nfc(text))
    skip = stop_en() | stop_vi() | question_words_vi()
    out = []
    for i, t in enumerate(toks):
        code = bool(re.search(r"\d", t) and re.search(r"[^\W\d_]", t))
        if code or (i > 0 and t[:1].isupper() and t[:1].isalpha() and t.lower() not in skip):
            out.append(fold(t))
    return list(dict.fromkeys(out))


def _resolve(q: Question, prev: Question, prev_answer: str) -> None:
    """Fill in a follow-up from the previous question (and its answer): the subject, the
    article, the list an ordinal points into. Nothing about any particular corpus."""
    f = fold(q.text).strip()
    own_terms = [t for t in content(syllables(q.text)) if t not in FOLLOW_FILLER]
    head = re.sub(r"\[\d+\]", "", prev_answer.split("\n")[0]).strip() if prev_answer else ""
    starts = bool(FOLLOWUP_START.search(f)) or bool(FOLLOWUP_ASK.search(f))
    pronoun = bool((PRONOUN_EN if q.language == "en" else PRONOUN_VI).search(f))
    ordinal = ORDINAL.search(f)
    short = len(own_terms) <= 3
    if not (starts or pronoun or ordinal or (short and not q.anchors)):
        return
    q.followup = True
    q.context = " ".join(x for x in (prev.rewritten, head[:200]) if x)
    if ordinal:
        word = ordinal.group(1) or ordinal.group(2)
        q.ordinal = ORDINALS.get(word)
        # the previous answer's list: names or amounts joined by ",", "và", "and" (not "27,85"; not
        # a trailing "với 27,85 điểm", which says something of the one item)
        items = [x.strip(" .") for x in re.split(r"(?<!\d),(?!\d)|;| và | and ", head) if x.strip(" .")]
        items = [x for x in items if x[:1].isupper() or x[:1].isdigit()]
        if q.ordinal and items and len(items) >= abs(q.ordinal):
            # "Còn người thứ hai thì sao?": the previous question, about that item of its answer
            q.context = f"{items[q.ordinal - 1 if q.ordinal > 0 else -1]} {prev.rewritten}"
            q.rewritten, q.qtype = prev.rewritten, prev.qtype
            return
    asked = _type_phrase(q.text, q.qtype)
    if asked and _only_asks(q.text, asked) and prev.qtype != q.qtype:
        # "Và khi nào?" after "Vụ cháy xảy ra ở đâu?": the same question, another type
        old = _type_phrase(prev.rewritten, prev.qtype)
        if old:
            a, b = old
            phrase = q.text[asked[0]:asked[1]]
            phrase = phrase[:1].upper() + phrase[1:] if a == 0 else phrase.lower()
            q.rewritten = prev.rewritten[:a] + phrase + prev.rewritten[b:]
            q.provinces = find_provinces(q.rewritten, folded=True)
            q.anchors = anchors(q.rewritten)
            return
    if (starts or FOLLOWUP_ASK.search(f)) and q.qtype == "what" and not asked and (q.anchors or own_terms):
        # "Còn Nguyễn Văn B thì sao?" / "What about the second match?": the previous question
        # about the new subject; its own subject (names, places) goes
        subject = re.sub(r"^(còn|con|và|va|thế còn|vậy còn|what about|how about|and|also)\s+", "", q.text,
                         flags=re.I)
        subject = re.sub(r"\s*(thì sao|thi sao|thế nào|the nao|ra sao)?\s*\??$", "", subject, flags=re.I).strip()
        if subject:
            q.rewritten = _swap_subject(prev, subject)
            q.qtype, q.language = prev.qtype, q.language
            q.provinces = find_provinces(q.rewritten, folded=True)
            q.anchors = anchors(subject)
            q.context = ""
            return
    person = (PERSON_EN if q.language == "en" else PERSON_VI).search(fold(q.text))  # (fold keeps offsets)
    named = (_person(head) or _person(prev.rewritten)) if person else None
    if named:
        # "Ông ấy đề nghị gì?" after "Ông Trần Minh Khoa [1].": the person the previous turn named,
        # not its place
        q.rewritten = q.text[:person.start()] + named + q.text[person.end():]
        q.provinces = find_provinces(q.rewritten, folded=True)
        return
    subject = _subject(prev.rewritten)
    if pronoun and subject:
        # "How much did they give them?" / "Họ được hỗ trợ bao nhiêu?": the previous subject
        pat = PRONOUN_EN if q.language == "en" else PRONOUN_VI
        m = pat.search(fold(q.text))
        if m:
            q.rewritten = q.text[:m.start()] + subject + q.text[m.end():]
            q.provinces = find_provinces(q.rewritten, folded=True)


def _person(text: str) -> str | None:
    """The first person ``text`` names ("Tài xế là Trần Văn Hậu (42 tuổi, trú tỉnh Bình Thuận)")."""
    found = people(text, None)
    return text[found[0][0]:found[0][1]] if found else None


def _subject(text: str) -> str | None:
    """The named subject of a question: its last run of capitalised words after the first word."""
    runs = _runs(text)
    return text[runs[-1][0]:runs[-1][1]] if runs else None


def _swap_subject(prev: Question, subject: str) -> str:
    """``prev.rewritten`` with its named subject (its last place when ``subject`` is a place, else
    its last run of capitalised words after the first word) replaced by ``subject``, or with
    ``subject`` added when it names none."""
    text = nfc(prev.rewritten)
    places = province_spans(text, folded=True)
    if places and find_provinces(subject, folded=True):
        # "con hung yen thi sao" after "ai chu tri hoi nghi ha noi thanh hoa": the place for the
        # last place, found with or without marks (a question typed without them has no capitals)
        a, b, _ = places[-1]
        return text[:a] + subject + text[b:]
    runs = _runs(text)
    if runs:
        a, b = runs[-1]
        return text[:a] + subject + text[b:]
    return text.rstrip(" ?") + f" ({subject})?"


def _runs(text: str) -> list[tuple[int, int]]:
    runs, cur = [], []
    for i, m in enumerate(re.finditer(r"[^\W_][\w-]*", text)):
        if i > 0 and m.group()[:1].isupper():
            cur.append(m)
            continue
        if cur:
            runs.append((cur[0].start(), cur[-1].end()))
        cur = []
    if cur:
        runs.append((cur[0].start(), cur[-1].end()))
    return runs


def _type_phrase(text: str, qtype: str) -> tuple[int, int] | None:
    """Where in ``text`` its question-type words are ("ở đâu", "khi nào", "Who")."""
    pattern = dict(TYPES).get(qtype)
    m = re.search(pattern, fold(text)) if pattern else None  # fold keeps offsets
    return m.span() if m else None


def _only_asks(text: str, span: tuple[int, int]) -> bool:
    """Nothing but the type words and a conjunction: "Và khi nào?", "And who?", "Còn ở đâu?"."""
    rest = fold(text[:span[0]] + " " + text[span[1]:])
    return not [w for w in re.findall(r"[^\W_]+", rest) if w not in FOLLOW_FILLER]
