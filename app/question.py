"""Understanding a question: its language, what type of answer it wants, what it is about,
and what it means in the light of the conversation so far.

All rules, no model: the question types of news QA are few and their Vietnamese and English
markers are closed sets ("ai", "khi nào", "bao nhiêu", who, when, how many...). Matching runs
on folded text, so "bao nhieu" and "bao nhiêu" are the same question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

from ingest.metadata import find_provinces
from ingest.textutil import fold, has_vietnamese_marks, nfc

MAX_CHARS = 2000

EN_WORDS = set(
    "the a an who whom whose what which when where why how many much is are was were did do does of in on at to "
    "and with by from for about meeting conference chaired chair give gave province provinces city their they "
    "them he she it his her there this that these those was has have had will would can could should be been "
    "its any some all each me tell name please according article articles say said says into during after before "
    "than then also only more most other its our your we you i as if or not no yes between among against under "
    "over via per within without across toward towards upon".split()
)
VI_WORDS = set(
    "ai gi nao dau sao bao nhieu may khi nhung cac cua va la co khong duoc da se tai o hoi nghi tinh thanh pho "
    "nguoi chu tri trao tang ngay nam ty dong du an hop tac phat trien con thi the nhu voi cho ve".split()
)

# (type, folded pattern); first match wins, so the more specific come first.
TYPES = [
    ("how_many", r"\b(bao nhieu|(?<!thang )(?<!ngay )may (?!khi)\w+|thu may|how many|how much|so luong|tong so|"
                 r"tong cong|dan so|what (is|was|are|were) the (population|number|amount|total|cost|value|price))\b"),
    ("when", r"\b(khi nao|ngay nao|ngay may|bao gio|luc nao|nam nao|thang nao|thang may|thoi gian nao|hom nao|when|"
             r"what date|which date|what day|which day|what year|which year|what month|which month|what time)\b"),
    ("where", r"\b(o dau|tai dau|noi nao|dia diem nao|dia diem|where|what place|which place|which venue)\b"),
    ("who", r"\b(ai|nhung ai|nguoi nao|vi nao|dong chi nao|who|whom|whose)\b"),
    ("why", r"\b(vi sao|tai sao|ly do|why|nhu the nao|the nao|ra sao|bang cach nao|how)\b"),
    ("yesno", r"(\bco\b.*\b(khong|chua)\s*\??\s*$|\b(phai khong|dung khong|co phai)\b|"
              r"^(is|are|was|were|did|does|do|has|have|had|can|could|will|would)\b)"),
    ("what", r"\b(gi|nao|what|which|nhung\s+\w+\s+nao)\b"),
]
FOLLOWUP = re.compile(
    r"^(con|va|the con|vay con|what about|how about|and)\b|\b(thi sao|the nao|ra sao)\s*\??$|"
    r"\b(ho|ong ay|ba ay|tinh nay|tinh do|hoi nghi nay|hoi nghi do|they|them|their|he|she|him|her|it|that meeting|"
    r"this meeting|there)\b"
)
PLURAL = re.compile(
    r"\b(nhung tinh|cac tinh|nhung dia phuong|cac dia phuong|which provinces|what provinces|which cities|"
    r"each province|moi tinh|nhung hoi nghi|cac hoi nghi|which( of the)?( \w+)? (conferences|meetings))\b"
)
PLACE_HEAD = re.compile(
    r"\b(tinh nao|dia phuong nao|tinh thanh nao|(which|what) (provinces?|cities|city|localities)|"
    r"(hoi nghi|cuoc hop|buoi lam viec)( \w+){0,3} nao|which( of the)?( \w+)? (conferences?|meetings?))\b"
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A question about an event's taking place ("hội nghị ... diễn ra khi nào", "which conferences
# were held in June"): its answer, or its constraint, is the article's event date.
EVENT = re.compile(r"\b(hoi nghi|cuoc hop|buoi lam viec|hoi thao|dien dan|su kien|le ky ket|conferences?|meetings?|"
                   r"events?|forums?|summits?|ceremony|ceremonies|talks)\b")
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
# Words that shape a question but are not what it is about; not required of the evidence.
QUESTION_WORDS = set(
    "ai gi nao dau sao the bao nhieu may khi hay khong chua co phai la nhu va cua o tai thi vi ly do ra lam duoc "
    "da se dang cac nhung mot nay ay kia voi cho con vay dien nguoi".split()
)


@lru_cache(maxsize=1)
def synonyms() -> dict[str, list[str]]:
    """Folded Vietnamese question phrase -> folded forms the articles use."""
    out = {}
    for line in files("app").joinpath("data/synonyms_vi.tsv").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            k, v = line.split("\t", 1)
            out[k.strip()] = [fold(x.strip()) for x in v.split("|") if x.strip()]
    return out


@lru_cache(maxsize=1)
def lexicon() -> list[tuple[str, list[str]]]:
    rows = []
    for line in files("app").joinpath("data/lexicon_en_vi.tsv").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        en, vi = line.split("\t", 1)
        rows.append((en.strip().lower(), [nfc(v.strip()) for v in vi.split("|") if v.strip()]))
    rows.sort(key=lambda r: -len(r[0]))
    return rows


@dataclass
class Question:
    text: str  # as asked (NFC)
    rewritten: str  # with the conversation's context filled in
    language: str  # "vi" | "en"
    qtype: str
    provinces: list[str] = field(default_factory=list)  # provinces named (folded match)
    numbers: list[str] = field(default_factory=list)
    vi_groups: list[list[str]] = field(default_factory=list)  # Vietnamese alternatives of English words
    plural: bool = False  # wants a list across articles
    place_head: bool = False  # asks for a province/place ("tỉnh nào", "which provinces")
    followup: bool = False
    anchors: list[str] = field(default_factory=list)  # folded names the evidence must contain
    context: str = ""  # what a pronoun in a follow-up points at (the previous answer), for search only
    unknown_en: list[str] = field(default_factory=list)  # English content words the lexicon lacks
    event: bool = False  # about an event taking place (its date is the article's event date)
    period: tuple[int | None, int | None] | None = None  # (year, month) the event must fall in
    period_words: list[str] = field(default_factory=list)  # folded words that stated the period

    @property
    def vi_terms(self) -> list[str]:
        return [t for g in self.vi_groups for t in g]

    @property
    def search_text(self) -> str:
        """What the lexical side searches. A Vietnamese question as asked; an English one only by
        what can occur in Vietnamese text: the lexicon's Vietnamese terms, names, numbers, places."""
        if self.language == "en":
            names = [w for w in re.findall(r"[^\W\d_][\w-]*", self.rewritten)[1:]
                     if w[:1].isupper() and fold(w) in self.anchors]
            return " ".join([*self.vi_terms, *names, *self.numbers, *self.provinces, self.context]).strip()
        return " ".join([self.rewritten, self.context]).strip()

    @property
    def fusion_weights(self) -> tuple[float, float]:
        """(dense, lexical) weights for rank fusion. An English question reaches the Vietnamese
        lexical index only through the words the lexicon maps, so the lexical side counts as
        much as the question was mapped (XQuAD-en paragraph hit@1: dense 0.74, equal-weight
        fusion 0.65)."""
        if self.language != "en":
            return (1.0, 1.0)
        known, unknown = len(self.vi_groups) + len(self.anchors), len(self.unknown_en)
        return (1.0, 0.5 * known / (known + unknown) if known + unknown else 0.0)

    @property
    def dense_text(self) -> str:
        return f"{self.rewritten} {self.context}".strip()


def detect_language(text: str) -> str:
    """"vi" or "en". Capitalised words are names, which English questions keep in Vietnamese."""
    toks = re.findall(r"[^\W\d_]+'?[a-z]*", nfc(text))
    if toks:
        toks[0] = toks[0].lower()  # the first word is capitalised, not a name
    common = [t for t in toks if not t[:1].isupper()] or toks
    en_words = EN_WORDS | {w for en, _ in lexicon() for w in en.split()}
    en = sum(t.lower() in en_words for t in common)
    vi = sum(has_vietnamese_marks(t) or fold(t) in VI_WORDS for t in common)
    return "en" if en > vi else "vi"


def question_type(text: str) -> str:
    f = fold(text).strip()
    f = re.sub(r"\b(con .+ thi sao|what about .+)$", "", f).strip() or f
    for name, pat in TYPES:
        if re.search(pat, f):
            return name
    return "what"


def english_groups(text: str) -> list[list[str]]:
    """Vietnamese alternatives for each domain word of an English question
    ("gave" -> ["trao tặng", "tặng", "hỗ trợ"])."""
    low = " " + re.sub(r"[^\w' -]", " ", text.lower()) + " "
    out: list[list[str]] = []
    for en, vi in lexicon():
        for form in (en, f"{en}s", f"{en}es"):  # "conferences", "provinces"
            if f" {form} " in low:
                out.append(vi)
                low = low.replace(f" {form} ", " ")
                break
    return out


def parse(text: str, history: list[dict] | None = None, periods: bool = True) -> Question:
    """Analyse ``text``; with ``history``, resolve it as a follow-up of the last question.
    ``periods=False`` reads "tháng 6" / "in 2019" as words of the question, not as the
    period an event must fall in."""
    text = nfc(text).strip()
    # markup pasted into a question is not part of it (front ends show it escaped)
    text = re.sub(r"<(script|style)\b.*?</\1\s*>|<[^>]{1,200}>", " ", text, flags=re.I | re.S).strip() or text
    text = re.sub(r"\s+", " ", text)
    lang = detect_language(text)
    q = Question(
        text=text,
        rewritten=text,
        language=lang,
        qtype=question_type(text),
        provinces=find_provinces(text, folded=True),
        numbers=NUMBER.findall(text),
    )
    q.anchors = anchors(text)
    prev_user = [h["content"] for h in (history or []) if h.get("role") == "user" and h.get("content", "").strip()]
    if prev_user:
        prev = parse(prev_user[-1], [{"role": "user", "content": c} for c in prev_user[:-1]])
        answers = [h["content"] for h in (history or []) if h.get("role") == "assistant" and h.get("content")]
        head = re.sub(r"\[\d+\]", "", answers[-1].split("\n")[0]).strip() if answers else ""
        _resolve(q, prev, head[:200])
    f = fold(q.rewritten)
    q.plural = bool(PLURAL.search(f))
    q.place_head = bool(PLACE_HEAD.search(f))
    # "hội nghị ... diễn ra", "khi nào ... hội nghị", "where did the two leaderships meet?"
    q.event = bool(EVENT.search(f) and (OCCUR.search(f) or q.qtype == "when")) or bool(
        q.qtype in ("when", "where") and MEET.search(f))
    if q.event and periods:
        q.period, q.period_words = event_period(f)
        if q.period:  # a constraint on the article, not a number the evidence must repeat
            said = NUMBER.findall(" ".join(q.period_words))
            q.numbers = [n for n in q.numbers if n not in said]
            q.plural = q.plural or q.place_head  # "hội nghị nào diễn ra vào tháng 6": every one that did
            q.anchors = [a for a in q.anchors if a not in q.period_words]  # "June" is not a name here
    if lang == "en":
        q.vi_groups = english_groups(q.rewritten)
        known = {w for en, _ in lexicon() for w in en.split()} | EN_WORDS
        place_syl = set(fold(" ".join(q.provinces)).split()) | {"hanoi"}
        q.unknown_en = [
            w for w in re.findall(r"[a-z]+", fold(q.rewritten))
            if w not in known and w not in place_syl and not w.isdigit() and len(w) > 2
            and w not in q.anchors and w.rstrip("s") not in known
        ]
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
    """Capitalised words other than the first and other than places ("France", "Phạm Thị Bích
    Thủy", "UBND"), folded: what the question names, which the evidence must contain."""
    toks = re.findall(r"[^\W\d_]+", nfc(text))
    place_syl = set(fold(" ".join(find_provinces(text, folded=True))).split())
    common = EN_WORDS | {w for en, _ in lexicon() for w in en.split()}
    return [
        fold(t) for t in toks[1:]
        if t[:1].isupper() and fold(t) not in place_syl and t.lower() not in common
    ]


def _resolve(q: Question, prev: Question, prev_answer: str = "") -> None:
    f = fold(q.text).strip()
    own = [p for p in q.provinces if p != "Hà Nội"]
    prev_own = [p for p in prev.provinces if p != "Hà Nội"]
    looks_followup = bool(FOLLOWUP.search(f)) or (not own and prev_own and len(f.split()) <= 10)
    if not looks_followup:
        return
    prev_answer = prev_answer if not own else ""
    q.followup = True
    asked = _type_phrase(q.text, q.qtype)
    if asked and not own and _only_asks(q.text, asked) and prev.qtype != q.qtype:
        # "Và khi nào?" after "Hội nghị ... diễn ra ở đâu?": the same question, another type
        old = _type_phrase(prev.rewritten, prev.qtype)
        if old:
            a, b = old
            phrase = q.text[asked[0]:asked[1]]
            phrase = phrase[:1].upper() + phrase[1:] if a == 0 else phrase.lower()
            q.rewritten = prev.rewritten[:a] + phrase + prev.rewritten[b:]
            q.provinces = find_provinces(q.rewritten, folded=True)
            return
    if own and re.search(r"\b(thi sao|the nao|ra sao|what about|how about)\b|^(con|and|va)\b", f) and prev_own:
        # "Còn hội nghị với Thanh Hóa thì sao?": the previous question, about the new place.
        rewritten = prev.rewritten
        for p in prev_own:
            rewritten = _replace_place(rewritten, p, own[0])
        q.rewritten, q.qtype, q.language = rewritten, prev.qtype, q.language
        q.provinces = find_provinces(rewritten, folded=True)
        return
    if not own and prev_own:
        place = prev_own[0]
        if q.language == "en":
            subs = [(r"\b(that|this|the) (meeting|conference)\b", f"the {place} meeting"),
                    (r"\b(it|that|this)\b(?=\s+(was|is|were|held|take|took|happen))", f"the {place} meeting"),
                    (r"\b(that|this|the same) (province|city|place)\b", place),
                    (r"\b(them|they|their|there)\b", place)]
        else:
            subs = [(r"\b(hội nghị|cuộc họp|buổi làm việc) (này|đó|ấy)\b", rf"\1 ở {place}"),
                    (r"\b(hoi nghi|cuoc hop|buoi lam viec) (nay|do|ay)\b", rf"\1 o {place}"),
                    (r"\b(tỉnh này|tỉnh đó|tỉnh ấy|họ|tinh nay|tinh do|ho)\b", place)]
        for pat, rep in subs:
            new = re.sub(pat, rep, q.text, count=1, flags=re.I)
            if new != q.text:
                q.rewritten = new
                break
        else:
            sep = " in " if q.language == "en" else " ở "
            q.rewritten = q.text.rstrip(" ?") + sep + place + "?"
        q.provinces = find_provinces(q.rewritten, folded=True)
    if re.search(r"\b(it|its|that|this|nó|cái đó|điều đó)\b", q.text, re.I) and prev_answer:
        # "When was it completed?": "it" is likely what the previous answer named
        q.context = prev_answer


def _type_phrase(text: str, qtype: str) -> tuple[int, int] | None:
    """Where in ``text`` its question-type words are ("ở đâu", "khi nào", "Who")."""
    pattern = dict(TYPES).get(qtype)
    m = re.search(pattern, fold(text)) if pattern else None  # fold keeps offsets
    return m.span() if m else None


def _only_asks(text: str, span: tuple[int, int]) -> bool:
    """Nothing but the type words and a conjunction: "Và khi nào?", "And who?", "Còn ở đâu?"."""
    rest = fold(text[:span[0]] + " " + text[span[1]:])
    return not [w for w in re.findall(r"[^\W_]+", rest) if w not in FOLLOW_FILLER]


FOLLOW_FILLER = {"va", "con", "the", "thi", "vay", "and", "what", "about", "how", "so", "then", "la", "nhi", "a", "ha"}


def _replace_place(text: str, old: str, new: str) -> str:
    """Replace a province name in ``text``, accented or not."""
    ft = fold(text)
    i = ft.find(fold(old))
    if i < 0:
        return text + " " + new
    return text[:i] + new + text[i + len(old):]
