"""Candidate answers of each kind inside one sentence, as ``(start, end)`` spans of its text.

People come from underthesea's proper-noun tags (``Np``, stored at ingest) filtered by a
surname list, because Vietnamese titles ("Bí thư Tỉnh ủy", "Thượng tá") are capitalised too and
would otherwise run into the name that follows them; other names (foreign people, teams,
firms) are runs of capitalised words. Dates and times cover the forms Vietnamese news writes
("sáng 17-9", "15.10", "ngày 12/3/2024", "lúc 3 giờ 20 phút", "ngày 7 tháng 2 năm 2016"),
amounts keep their unit ("3 tỷ đồng", "12 năm tù", "30%"), scores are "2-1" after a result word.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from ingest.metadata import find_provinces
from ingest.textutil import fold

_PART = (r"(?:[Ss]áng|[Cc]hiều|[Tt]ối|[Tt]rưa|[Đđ]êm|[Kk]huya|[Rr]ạng sáng|[Hh]ôm qua|[Hh]ôm nay|[Nn]gày|[Đđ]ầu|"
         r"[Cc]uối|[Gg]iữa)")
DATE = re.compile(
    # every form starts with a digit or one of these letters: other positions are passed over at once
    r"(?=[\dLlVvKkSsCcTtĐđRrHhNnGgQq])(?:"
    # "lúc 3 giờ 20 phút", "3h20", "14 giờ ngày 5-6"
    r"(?:[Ll]úc\s+|[Vv]ào\s+|[Kk]hoảng\s+)?\d{1,2}\s*(?:giờ|h(?=\d)|h\b)\s*(?:\d{1,2}\s*(?:phút|')?)?"
    # the day after it: "14 giờ ngày 5-6", "8 giờ 30 phút sáng 20-10"
    r"(?:\s+(?:sáng|chiều|tối|trưa|đêm))?(?:(?:\s*(?:,\s*)?(?:ngày|hôm)\s+|\s+)\d{1,2}\s*[-/.]\s*\d{1,2}"
    r"(?:\s*[-/.]\s*\d{4})?)?"
    r"(?!\d)(?![.,]\d)(?!\s*(?:tỷ|triệu|nghìn|%|người))"
    # "ngày 7 tháng 2 năm 2016", "7 tháng 2"
    rf"|(?:{_PART}\s+)?(?:ngày\s+)?\d{{1,2}}\s+tháng\s+\d{{1,2}}(?:\s*(?:,\s*)?năm\s+\d{{4}})?"
    # "từ ngày 5 đến 8-11", "ngày 5-8/11": days of one month
    rf"|(?:{_PART}\s+)?(?:ngày\s+)?\d{{1,2}}\s*(?:đến|tới|-|–)\s*\d{{1,2}}\s*[-/]\s*\d{{1,2}}(?:\s*[-/]\s*\d{{4}})?(?!\d)(?![.,]\d)"
    # "sáng 17-9", "ngày 12/3/2024", "15.10", "hôm qua (5-6)"
    rf"|(?:{_PART}\s+\(?)?(?:ngày\s+)?\d{{1,2}}\s*[-/.]\s*\d{{1,2}}(?:\s*[-/.]\s*\d{{4}})?\)?(?![\d])(?![.,]\d)"
    # a range with its unit is no date: "sóng cao 5-7 m", "5-7 người"
    r"(?!\s*(?:tỷ|triệu|nghìn|%|m|km|cm|mm|m2|m3|kg|tấn|ha|lít|độ|người|hộ|ca|con|chiếc|căn|lượt|USD|đồng)(?!\w))"
    r"|(?:[Gg]iai đoạn|[Nn]hiệm kỳ|[Tt]ừ năm)\s+\d{4}\s*[-–]\s*\d{4}"
    rf"|(?:{_PART}\s+)?[Tt]háng\s+\d{{1,2}}(?:\s*[/-]\s*\d{{4}}|\s+năm\s+\d{{4}})?"
    # "quý I/2027", "cuối quý 3 năm 2025": a quarter
    rf"|(?:{_PART}\s+)?[Qq]uý\s+(?:IV|I{{1,3}}|[1-4])\b(?:\s*[/-]\s*\d{{4}}|\s+năm\s+\d{{4}})?"
    r"|(?:[Tt]hập (?:niên|kỷ)|[Nn]hững năm)\s+\d{2,4}"
    r"|[Tt]hế kỷ\s+(?:\d{1,2}|[IVXLC]+)(?:\s+(?:TCN|SCN))?"
    # "sau 3 tuần", "trong 2 ngày": when, said relative to another moment
    r"|(?:[Ss]au|[Cc]hỉ sau)\s+(?:\d+|một|hai|ba|bốn|năm|mười)\s+(?:ngày|tuần|tháng|năm|giờ|tiếng)\b"
    rf"|(?:{_PART}\s+|[Đđ]ến\s+|[Tt]ừ\s+|[Tt]rước\s+|[Ss]au\s+)?(?:[Nn]ăm\s+)\d{{3,4}}(?:\s+(?:TCN|SCN))?"
    r"|\b(?:1[0-9]|20)\d{2}\b(?!\s*(?:tỷ|triệu|nghìn|người|%|[a-zà-ỹđ]))"
    r")"
)
# "thắng 2-1", "tỷ số 3-0", "hòa 1-1": a result, not a date
SCORE = re.compile(r"(?:(?:[Tt]ỷ số|[Tt]ỉ số|[Tt]hắng|[Tt]hua|[Hh]òa|[Hh]oà|[Cc]ách biệt|[Ll]ội ngược dòng|"
                   r"[Tt]hắng lợi|"
                   r"[Đđ]ánh bại|[Vv]ượt qua|[Kk]ết quả)\s+(?:\S+\s+){0,4}?)(\d{1,2}\s*[-–]\s*\d{1,2})(?![\d/.-])")
# a unit word may end in a power: "142,6 m3", "2.000 m2" ("m" alone would be another measure)
UNIT_WORDS = (r"(?:\s+(?!và\b|của\b|cho\b|để\b|với\b|tại\b|từ\b|trong\b|là\b|được\b|đã\b|sẽ\b)"
              r"[^\W\d_]+[23²³]?(?!\w)){1,2}")
AMOUNT = re.compile(
    r"(?=[\dmhbnstc])(?:"  # every form starts with a digit or a number word's first letter
    r"(?<![\d/.-])\d+(?:[.,]\d+)*\s*%(?:\s*(?:đến|tới|-|–)\s*\d+(?:[.,]\d+)*\s*%)?"
    r"|(?<![\d/.-])\d+(?:[.,]\d+)*(?:\s*(?:đến|tới|-|–)\s*\d+(?:[.,]\d+)*)?" + UNIT_WORDS
    + r"|(?<![\d/.-])\d+(?:[.,]\d+)*(?:\s*(?:km|m|ha|kg|USD|m3|m2|tấn))?(?![\d\w])"
    # number words; "năm" is also "year" ("năm nay", "năm 2019"), "ba" also "father"
    + r"|(?<![\w])(?:một|hai|ba|bốn|năm(?!\s+(?:nay|qua|trước|sau|tới|ngoái|đó|này|ấy|học|\d))|sáu|bảy|tám|chín|mười|"
    r"hàng chục|hàng trăm|hàng nghìn|hàng triệu|hàng tỷ)"
    r"(?!\s+(?:số|vài|trong|cách)\b)" + UNIT_WORDS + r")"
)
MONEY_UNITS = ("dong", "usd", "vnd", "euro", "yen", "nhan dan te", "do la", "bang anh")
TIME_UNITS = ("nam", "thang", "tuan", "ngay", "gio", "phut", "giay", "tieng", "the ky", "thap ky")
# "tại Đà Lạt", "ở xã Tân Lập": not "tại Hội nghị", "tại đây", "ở các địa phương"
PLACE = re.compile(r"\b(?:tại|ở|trên|đến|về|từ)\s+(?!(?i:chỗ|hội nghị|hội thảo|buổi|cuộc|lễ|phiên|kỳ họp|đây|đó|các|"
                   r"những|nhiều|mỗi|mọi|thời|giai đoạn|năm|ngày|tháng|khoảng|mức|hơn|gần|trên|dưới)\b)"
                   r"([^,;.()\"“”]+(?:\([^)]*\))?)")
# generic nouns that come before a place's or an organisation's name, as written (lower case):
# matched on the marked text, since folded "phó" (deputy) is "phố" (street) and "sản" is "sân"
PLACE_NOUNS = ("tỉnh", "thành phố", "tp", "huyện", "quận", "thị xã", "thị trấn", "xã", "phường", "thôn", "ấp", "bản",
               "đường", "phố", "quốc lộ", "tỉnh lộ", "cao tốc", "đèo", "cầu", "sông", "hồ", "núi", "vịnh", "đảo",
               "biển", "sân", "cảng", "khu", "bệnh viện", "trường", "nước", "quốc gia", "vùng", "miền", "thủ đô",
               "châu", "quảng trường", "sân vận động", "sân bay", "nhà hát", "công viên", "chợ", "chùa", "đền",
               "nhà văn hóa", "tòa nhà", "hang", "động", "thác", "bãi biển", "khu công nghiệp", "siêu thị",
               "trung tâm", "trụ sở", "làng", "huyện đảo", "bến", "ga", "nhà máy", "kho", "xưởng")
ORG_NOUNS = ("công ty", "tập đoàn", "tổng công ty", "ngân hàng", "bộ", "sở", "cục", "viện", "ủy ban", "ubnd", "hđnd",
             "tòa án", "tand", "viện kiểm sát", "công an", "bệnh viện", "trường", "đại học", "học viện", "clb",
             "câu lạc bộ", "đội", "hiệp hội", "hội", "ban", "quỹ", "tổ chức", "trung tâm", "nhà máy", "đảng",
             "liên đoàn", "tổng cục", "văn phòng", "hợp tác xã", "htx")


ORG_FORMS = ("cổ phần", "tnhh", "cp", "trách nhiệm hữu hạn", "một thành viên", "mtv", "đầu tư", "xây dựng",
             "thương mại", "dịch vụ", "sản xuất", "phát triển", "du lịch", "xuất nhập khẩu")


ORG_FORM_WORDS = frozenset(w for f in ORG_FORMS for w in f.split())


@lru_cache(maxsize=16)
def _nouns_pattern(nouns: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in sorted(nouns, key=len, reverse=True)) + r")(?!\w)")


def _noun_at(sentence: str, nouns: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the generic nouns stand in the sentence (whole words, any case)."""
    return [m.span() for m in _nouns_pattern(nouns).finditer(sentence.lower())]


def _name_after(sentence: str, at: int, stop: list[tuple[int, int]], digits: bool = True,
                also: frozenset[str] = frozenset()) -> int:
    """End of the capitalised name (and a number: "Quốc lộ 20", "Quảng trường 7-5") that starts
    right after ``at``, stopping at punctuation and before ``stop`` spans (a person's name)."""
    end = at
    for k, w in enumerate(re.finditer(r"\s+([^\W_][\w'-]*)", sentence[at:])):
        a = at + w.start(1)
        if at + w.start() != end or any(x <= a < y for x, y in stop):
            break
        word = w.group(1)
        first = end == at
        if not (word[:1].isupper() or (digits and first and word[:1].isdigit()) or word.lower() in also):
            break
        end = at + w.end()
    return end


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    return frozenset(files("app").joinpath("data/surnames.txt").read_text("utf-8").split())


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    lines = files("app.reader").joinpath("data/countries.txt").read_text("utf-8").splitlines()
    return frozenset(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


@lru_cache(maxsize=1)
def _countries_pattern() -> re.Pattern:
    """Any country's name as a whole word (one pattern: the longest name first where two start alike)."""
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(countries(), key=len, reverse=True))) + r")(?!\w)")


@lru_cache(maxsize=8192)
def _is_person(name: str) -> bool:
    parts = name.split()
    return 2 <= len(parts) <= 5 and parts[0] in surnames() and all(p[:1].isupper() for p in parts) and not (
        find_provinces(name) or name in countries()
    )


# small words inside a foreign name ("Ramon dela Cruz", "Virgil van Dijk"), and the honorifics
# that come before a name without being part of it ("Ông" is a surname as well)
PARTICLES = frozenset("de del dela della da di do dos du van von der den ter bin binti al el la le".split())
NAME_HONORIFICS = frozenset("Ông Bà Anh Chị Cô Chú Bác Cụ Em Ngài Mr Mrs Ms Dr".split())


def _cap_runs(sentence: str) -> list[tuple[int, int]]:
    """Runs of capitalised words (letters or codes), the sentence's first word excepted; a
    name's small particle ("dela", "van") between two capitalised words stays in the run."""
    runs, cur = [], []
    words = list(re.finditer(r"[^\W_][\w'’-]*", sentence))
    for i, w in enumerate(words):
        gap = sentence[cur[-1].end():w.start()] if cur else ""
        if w.group()[:1].isupper() and cur and re.fullmatch(r"\s+|\s*-\s*|\s*&\s*", gap):
            cur.append(w)
            continue
        if cur and w.group() in PARTICLES and gap.isspace() and cur[-1].group()[:1].isupper() and i + 1 < len(words) \
                and words[i + 1].group()[:1].isupper() and sentence[w.end():words[i + 1].start()].isspace():
            cur.append(w)
            continue
        if cur:
            runs.append(cur)
        cur = [w] if w.group()[:1].isupper() else []
    if cur:
        runs.append(cur)
    # the sentence's first word is capitalised anyway: a name only when a capitalised word follows
    runs = [r[1:] if r[0].start() == first and len(r) == 1 else r for r in runs] if (first := _first(sentence)) >= 0 \
        else runs
    return [(r[0].start(), r[-1].end()) for r in runs if r]


def _first(sentence: str) -> int:
    m = re.search(r"[^\W_]", sentence)
    return m.start() if m else -1


def people(sentence: str, tags: list | None) -> list[tuple[int, int]]:
    """Spans of Vietnamese person names, in order."""
    spans: list[tuple[int, int]] = []
    if tags:  # the tagger, then capitalised runs for what it missed
        cursor = 0
        for word, tag in tags:
            at = sentence.find(word, cursor)
            if at < 0:
                continue
            cursor = at + len(word)
            if tag == "Np" and _is_person(word):
                spans.append((at, at + len(word)))
            elif tag == "Np" and len(word.split()) > 3:
                # the tagger ran a title or place into a name: "Lâm Đồng Trần Văn Hậu"
                parts = word.split()
                for i in range(1, len(parts) - 1):
                    tail = " ".join(parts[i:])
                    if _is_person(tail):
                        spans.append((at + word.index(tail), at + len(word)))
                        break
    run: list[re.Match] = []
    for w in [*re.finditer(r"[^\W\d_]+|[^\w\s]", sentence), None]:  # the name that ends a capitalised run
        if w is not None and w.group()[:1].isupper() and w.group()[:1].isalpha():
            run.append(w)
            continue
        for i in range(max(0, len(run) - 4), len(run) - 1):
            if run[i].group() in NAME_HONORIFICS:
                continue  # "Ông Ramon": the honorific, not the surname Ông
            cand = " ".join(x.group() for x in run[i:])
            if _is_person(cand):
                new = (run[i].start(), run[-1].end())
                if not any(a < new[1] and new[0] < b for a, b in spans):
                    spans.append(new)
                break
        run = []
    # "TP Hồ Chí Minh", "đường Nguyễn Huệ", "trường Lê Quý Đôn": a name after a place noun is a place's
    # ... but not "Bộ Nông nghiệp và Môi trường Phan Đức Long": a noun inside a word of the tagger is none
    toks = _tokens(sentence, tags)
    nouns = [(a, b) for a, b in _noun_at(sentence, PLACE_NOUNS + ("tp.",)) if not any(x < a < y for x, y, _, _ in toks)]
    return sorted(x for x in spans if not any(0 <= x[0] - b <= 2 for a, b in nouns))


def names(sentence: str, tags: list | None) -> list[tuple[int, int]]:
    """Other proper names: capitalised runs that are not a Vietnamese person (foreign people,
    teams, firms, works), with a leading title word dropped."""
    taken = people(sentence, tags)
    out = []
    for a, b in whole_words(sentence, _cap_runs(sentence), tags):
        first = re.match(r"(\S+)\s+(?=\S)", sentence[a:b])
        if first and first.group(1) in NAME_HONORIFICS:
            a += first.end()  # "Ông Ramon dela Cruz" at a sentence's start: the name after the honorific
        if any(x < b and a < y for x, y in taken):
            continue
        if b - a >= 2:
            out.append((a, b))
    return out


def whole_words(sentence: str, spans: list[tuple[int, int]], tags) -> list[tuple[int, int]]:
    """Spans cut back where they end inside a word of the tagger that is a capitalised common
    noun or verb ("Phó Giám|đốc", "Trung tâm Dự|báo", "ngành Công|nghệ thông tin"): a proper
    name capitalises every syllable ("Hoàng Phúc Lâm", "Cổ Chiên"); a span left empty goes, and
    so does one that begins inside a word."""
    toks = _tokens(sentence, tags)
    if not toks:
        return spans
    out = []
    for a, b in spans:
        if any(x < a < y for x, y, _, _ in toks):
            continue  # begins inside a word: "trường" of "Môi trường", "cầu" of "yêu cầu" is no place
        for x, y, word, _ in toks:
            if x < b < y and sentence[b:y].strip()[:1].islower():
                caps = sum(w[:1].isupper() for w in word.split())
                if caps <= len(word.split()) - caps:  # "Nông nghiệp và Môi trường", not "Lê Lợi ký"
                    b = a + len(sentence[a:x].rstrip(" ,-"))
                    # what is left must still be a name ("Phó", "Trung tâm" alone are not)
                    if sum(w[:1].isupper() for w in sentence[a:b].split()) < 2:
                        b = a
                break
        if b - a >= 2:
            out.append((a, b))
    return out


NAME_TAGS = ("N", "Np", "Nc", "Nu", "M", "A", "Ny", "Nb")


def orgs(sentence: str, tags=None) -> list[tuple[int, int]]:
    """Organisations: a capitalised organisation noun and the name after it ("Công ty CP Hòa
    Phát", "Tổng công ty Xây dựng công trình giao thông 8", "CLB Sông Lam Nghệ An"). With POS tags the name
    runs over nouns, numbers and capitalised words; without them, over capitalised words."""
    toks = _tokens(sentence, tags)
    who = people(sentence, tags)
    out: list[tuple[int, int]] = []
    for a, b in _noun_at(sentence, ORG_NOUNS):
        if not sentence[a].isupper() or any(x <= a < y for x, y in out):
            continue
        if re.match(r"\s+trưởng\b", sentence[b:]):
            continue  # "Viện trưởng", "Cục trưởng": the head of one, a title
        end = b
        if toks:
            n = 0
            for x, y, word, tag in toks:
                if y <= b:
                    continue
                if x < b:  # a word of the tagger that runs past the noun ("Công ty cổ phần")
                    end = y
                    continue
                named = tag in NAME_TAGS or word[:1].isupper() or word.lower() in ORG_FORMS
                if x - end > 1 or n >= 10 or any(p <= x < q for p, q in who) or not named:
                    break
                n += 1
                end = y
        else:
            end = _name_after(sentence, b, who, also=ORG_FORM_WORDS)
        if end > b:
            out.append((a, end))
    return out


def dates(sentence: str) -> list[tuple[int, int]]:
    scores = [m.span(1) for m in SCORE.finditer(sentence)]
    out = []
    for m in DATE.finditer(sentence):
        a, b = m.span()
        a += len(m.group()) - len(m.group().lstrip())
        if any(x < b and a < y for x, y in scores):
            continue
        out.append((a, b))
    return out


def scores(sentence: str) -> list[tuple[int, int]]:
    return [m.span(1) for m in SCORE.finditer(sentence)]


def _tokens(sentence: str, tags) -> list[tuple[int, int, str, str]]:
    """(start, end, word, tag) of each tagged word, located in the sentence."""
    out, cursor = [], 0
    for word, tag in tags or []:
        at = sentence.find(word, cursor)
        if at < 0:
            continue
        cursor = at + len(word)
        out.append((at, cursor, word, tag))
    return out


UNIT_TAGS = ("N", "Nu", "Nc", "M")
RATIO = re.compile(r"\d+(?:[.,]\d+)*\s*(?:trên|/)\s*\d+(?:[.,]\d+)*")  # "48 trên 50 đại biểu", "48/50"


def amounts(sentence: str, tags=None) -> list[tuple[int, int]]:
    """Numbers with their units ("3 tỷ đồng", "65 dự án", "30% đến 40%"), dates excluded. With
    the POS tags the unit is the nouns and number words right after the number ("300 mét", not
    "300 mét theo"); without them, at most two words that are not function words."""
    taken = dates(sentence) + scores(sentence)
    toks = _tokens(sentence, tags)
    out = []
    for m in AMOUNT.finditer(sentence):
        s, e = m.span()
        if any(a <= s < b for a, b in taken):
            continue
        if out and out[-1][0] <= s < out[-1][1]:
            continue
        if re.search(r"\bthứ\s*$", sentence[max(0, s - 5):s], re.I):
            continue  # "lần thứ 3", "xếp thứ 2": a rank, not an amount
        if toks and not sentence[s].isdigit() and not any(a == s and tag == "M" for a, _, _, tag in toks):
            continue  # a number word the tagger does not read as a number ("năm thứ", "ba mẹ")
        ratio = RATIO.match(sentence, s)  # "48 trên 50 đại biểu": one amount, its unit after both
        num = ratio or re.match(r"\d+(?:[.,]\d+)*(?:\s*(?:đến|tới|-|–)\s*\d+(?:[.,]\d+)*)?\s*%?|\S+", sentence[s:])
        end = (ratio.end() if ratio else s + num.end())
        if "%" in sentence[s:end]:
            out.append((s, end))
            continue
        bare = end
        if toks:
            syl = 0
            for a, b, word, tag in toks:
                if a < end:
                    continue
                if a - end > 1 or tag not in UNIT_TAGS or word[:1].isupper() or syl >= 3:
                    break
                syl += len(word.split())
                end = b
        if end == bare:  # no tags, or none after the number: stop at a capital or a function word
            for i, w in enumerate(re.finditer(r"\S+", m.group())):
                if i == 0 or s + w.start() < bare:
                    continue
                if w.group()[:1].isupper() and w.group() not in ("USD", "VND", "EUR"):
                    break
                if fold(w.group()) in ("theo", "tren", "qua", "nhu", "cung", "neu", "khi", "sau", "truoc"):
                    break
                end = s + w.end()
        out.append((s, end))
    return [(a, a + len(sentence[a:b].rstrip())) for a, b in out]


def places(sentence: str, tags=None) -> list[tuple[int, int]]:
    """Places: "tại/ở X" phrases, provinces, and capitalised names after a place noun (cut back
    to whole words of the tagger: ``whole_words``)."""
    found = _places(sentence)
    return whole_words(sentence, found, tags) if tags else found


PLURAL_BEFORE = re.compile(r"(?<!\w)(?:các|những|\d+|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)\s+$", re.I)
LIST_LINK = re.compile(r"\s*(?:,|\bvà\b)\s+(?=\S)")


def _places(sentence: str) -> list[tuple[int, int]]:
    out = []
    for m in PLACE.finditer(sentence):
        a, b = m.span(1)
        b -= len(sentence[a:b]) - len(sentence[a:b].rstrip())
        seen_cap = False
        for w in re.finditer(r"\S+", sentence[a:b]):  # "sân Hàng Đẫy tối 15": the name ends the place
            if w.group()[:1].isupper():
                seen_cap = True
            elif seen_cap and w.group().lower() not in PLACE_NOUNS and not w.group()[:1].isdigit():
                b = a + w.start() - 1
                break
        words = sentence[a:b].split()
        if b - a >= 3 and (words[0][:1].isupper() or words[0].lower() in PLACE_NOUNS
                           or " ".join(words[:2]).lower() in PLACE_NOUNS):
            out.append((a, b))
    who = people(sentence, None)
    for a, b in _noun_at(sentence, PLACE_NOUNS):
        single = " " not in sentence[a:b]
        if sentence[a].isupper() and single and a > 0:
            continue  # "Hồ Chí Minh", "Sơn La": a capitalised one-syllable noun is a name's first word
        end = _name_after(sentence, b, who)
        if end > b and not any(x <= a < y for x, y in out):
            out.append((a, end))
            if PLURAL_BEFORE.search(sentence[:a]):  # "các xã Định Mỹ, Vĩnh Trạch và Óc Eo": each a place
                while (link := LIST_LINK.match(sentence, end)) and (nxt := _name_after(sentence, link.end() - 1, who)) \
                        > link.end():
                    out.append((link.end(), nxt))
                    end = nxt
    for a, b, _ in provinces_in(sentence):
        if not any(x <= a < y for x, y in out):
            out.append((a, b))
    for m in _countries_pattern().finditer(sentence):
        if not any(x <= m.start() < y for x, y in out):
            out.append(m.span())
    return sorted(out)


def provinces_in(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical name) of each province named in the sentence."""
    out = []
    f = fold(sentence)
    for name in find_provinces(sentence):
        i = f.find(fold(name))
        if i >= 0:
            out.append((i, i + len(name), name))
    return sorted(out)


def unit_of(sentence: str, span: tuple[int, int]) -> str:
    """The folded unit words after the number in an amount span."""
    text = sentence[span[0]:span[1]]
    if "%" in text:
        return "phan tram %"
    return fold(re.sub(r"^[\d.,%\s–-]+(?:(?:đến|tới)\s*[\d.,%]+\s*)?", "", text)).strip()


def is_money(unit: str) -> bool:
    return any(re.search(rf"\b{u}\b", unit) for u in MONEY_UNITS)


def is_duration(unit: str) -> bool:
    return bool(unit) and unit.split()[0] in TIME_UNITS or unit.startswith(("the ky", "thap ky"))


def clauses(sentence: str) -> list[tuple[int, int]]:
    """The sentence cut at commas, semicolons and colons (for what / why answers)."""
    out = []
    for m in re.finditer(r"[^,;:]+", sentence):
        a, b = m.span()
        a += len(m.group()) - len(m.group().lstrip())
        b -= len(m.group()) - len(m.group().rstrip(" ."))
        if b - a >= 3:
            out.append((a, b))
    return out


CUES = re.compile(r"\b(vì|do|bởi|bởi vì|tại vì|nhờ|nhằm|để|because|due to|since|in order to|so that)\b", re.I)
THEREFORE = re.compile(r"\b(nên|vì vậy|vì thế|do đó|do vậy|cho nên)\b", re.I)


def reasons(sentence: str) -> list[tuple[int, int]]:
    """The clause after a cause or purpose word ("do mưa lớn kéo dài", "nhằm giảm ùn tắc"); before
    a word that gives the consequence ("Tỉnh có lợi thế về nông nghiệp nên kết nối …": what
    follows "nên" is what the question asks why of)."""
    out, consequence = [], []
    for m in THEREFORE.finditer(sentence):
        consequence.append((m.start(), m.end()))
        a = max((x.end() for x in re.finditer(r"[;.:“\"]", sentence[:m.start()])), default=0)
        a += len(sentence[a:]) - len(sentence[a:].lstrip())
        b = len(sentence[:m.start()].rstrip(" ,"))
        if b - a > 8:
            out.append((a, b))
    for m in CUES.finditer(sentence):
        if any(x <= m.start() < y for x, y in consequence):  # "do đó", "vì vậy": a consequence follows
            continue
        end = re.search(r"[;.]|, (?:(?:nhưng|song|tuy)\b)|$", sentence[m.end():])
        b = m.end() + (end.start() if end else len(sentence) - m.end())
        if b - m.start() > len(m.group()) + 3:
            out.append((m.start(), b))
    return out


HONORIFICS = re.compile(r"(ông|bà|anh|chị|em|cô|chú|tài xế|lái xe|bác sĩ|giáo viên|công ty|ban|bộ|sở|ủy ban|"
                        r"ubnd|hđnd)\b", re.I)


def agentive(reason: str) -> bool:
    """"do tài xế Lê Minh Tâm điều khiển", "bởi Bộ Y tế": a "do"/"bởi" naming who does something
    (a person, a body) rather than why; "do mưa lớn", "bởi nhiều trường quá tải" give a cause."""
    m = re.match(r"(do|bởi)\s+(\S+)", reason, re.I)
    if not m:
        return False
    nxt = m.group(2)
    return nxt[:1].isupper() or bool(HONORIFICS.match(reason[m.start(2):]))


def phrases(sentence: str, tags: list | None) -> list[tuple[int, int]]:
    """Noun phrases from the POS tags: runs of nouns, numbers and adjectives (what-answers)."""
    if not tags:
        return clauses(sentence)
    out, cursor, cur = [], 0, None
    for word, tag in tags:
        at = sentence.find(word, cursor)
        if at < 0:
            continue
        cursor = at + len(word)
        if tag in ("N", "Np", "Nc", "Nu", "Ny", "Nb", "M", "A", "L") or (cur and tag == "E" and word == "của"):
            cur = (cur[0], cursor) if cur else (at, cursor)
        else:
            if cur:
                out.append(cur)
            cur = None
    if cur:
        out.append(cur)
    return [(a, b) for a, b in out if b - a >= 2 and not sentence[b - 3:b].endswith("của")]
