"""Strip page furniture from scraped news text.

Scraped Vietnamese news pages carry a lot that is not the article: site headers and
addresses, share-icon words, view counters, photo captions repeated twice, "Tin liên quan" /
"Bài liên quan" / "Đọc thêm" blocks of unrelated headlines, comment sections, copyright
lines. Unrelated headlines are the dangerous part: indexed, they would let the assistant
answer from stories the article never told. The cleaner works line by line with rules
drawn from such pages; it keeps the title and the outlet/date lines it drops, because
``metadata`` reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from ingest.dates import DMY
from ingest.textutil import fold, nfc

# A marker after which the rest of the page is related-news furniture.
END_MARKERS = re.compile(
    r"^(tin lien quan|tin cung chuyen muc|doc them|xem them|co the ban quan tam|ban co the quan tam|"
    r"y kien binh luan|y kien ban doc|binh luan|gui binh luan|tin khac|cac tin khac|tin moi nhat|"
    r"tin noi bat|xem nhieu nhat|doc nhieu nhat)\b[\s:.…]*$"
)
# A marker of a block of headlines inside the article; the article goes on after it.
BLOCK_MARKERS = re.compile(r"^(bai lien quan|tin lien quan|xem them|doc them)[\s:.…]*$")
ICON_LINE = re.compile(
    r"^((zalo|viber|facebook|fb|twitter|x|email|e-mail|print|in|chia se|share|like|tweet|copy link|"
    r"sao chep lien ket|luu|tag|tags|aa|a\+|a-)([ _-]?icon)?[\s|,]*)+$"
)
COPYRIGHT = re.compile(
    r"^(\(\*\)\s*)?(khong sao chep|ban quyen|copyright|©|\(c\)|ghi ro nguon|nghiem cam sao chep|"
    r"giay phep so|chiu trach nhiem noi dung)"
)
VIEW_COUNTER = re.compile(r"(luot xem|luot doc|views?)\s*:?\s*\d+", re.I)
ADDRESS = re.compile(r"\b(so \d+[a-z]?,? (duong|pho)|dien thoai|hotline|fax|email:)\b")
SOURCE_LINE = re.compile(r"^\s*(nguon|theo)\s*:\s*(\S.{0,60}?)\s*$", re.I)
# Closing credit lines without a colon: "(Theo VnExpress)", "Theo báo Nhân Dân", "(Nguồn: TTXVN)".
CREDIT_LINE = re.compile(r"^\(?\s*(?:nguon|theo)\s*:?\s+((?:bao\s+)?\S[^,;]{0,50}?)\s*\)?\s*\.?$")
# A date line of its own: "Đăng ngày: 01/07/2019", "Thứ Năm, 14/03/2024 08:30 (GMT+7)", "Cập nhật 9-6-2017".
DATE_LINE = re.compile(
    r"^(?:(?:ngay dang|dang ngay|dang luc|dang|cap nhat(?: luc)?|xuat ban|ngay)\s*:?\s*)?"
    r"(?:(?:thu \w+|chu nhat)\s*[,-]?\s*)?(?:\d{1,2}:\d{2}\s*[,|-]?\s*)?(?:ngay\s+)?"
    r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?:\s*[,|-]?\s*(?:luc\s*)?\d{1,2}[:h]\d{2}(?::\d{2})?)?(?:\s*\(?gmt\s*[+-]\s*\d+\)?)?$"
)
CAPTION_MARK = re.compile(r"\s*\((ảnh|ảnh minh họa|ảnh minh hoạ|nguồn ảnh)\s*:[^)]*\)\s*", re.I)
# "ANTD.VN - ", "(HNMO) - ", "TTTĐ - ", "(ĐCSVN) - ", "(Tin Hà Nội) - ", "(Báo Lâm Đồng)- " at the
# start of the lead: an outlet in brackets may be several words; without, one word (not "COVID-19").
OUTLET_PREFIX = re.compile(
    r"^(?:\(([A-ZĐ][^()\n]{1,39}?)\)\s*[-–—:]\s*|([A-ZĐ][A-ZĐa-z0-9.]{1,15}(?:\.VN|\.vn)?)\s*[-–—]\s+)(?=\S)"
)
# An outlet in brackets on a line of its own, above or below the article: "(Báo Lâm Đồng)".
OUTLET_LINE = re.compile(r"^\(([A-ZĐ][^()\n]{1,39})\)$")
SENTENCE_END = re.compile(r"[.!?…:;\"”»)]\s*$")


@dataclass
class Cleaned:
    text: str
    title: str | None = None
    header: list[str] = field(default_factory=list)  # dropped lines before the lead (dates, outlet)
    outlet: str | None = None
    source_line: str | None = None  # "Nguồn: baohungyen.vn", "(Theo VnExpress)"
    date_lines: list[str] = field(default_factory=list)  # "Đăng ngày 03/04/2024" lines taken out of the text


def _outlet_name(name: str) -> str | None:
    """An outlet as written in a bracket or credit ("Tin Hà Nội", "báo Nhân Dân" -> "Báo Nhân Dân",
    a URL -> its site), or None for what is not a name (a sentence, a caption, a lower-case phrase)."""
    name = name.strip().rstrip(".").strip()
    if re.match(r"^(https?://|www\.)", name, re.I):
        host = urlparse(name if "://" in name else f"http://{name}").hostname or ""
        return host.removeprefix("www.") or None
    words = name.split()
    if not words or len(words) > 6 or any(c in name for c in ",;:!?"):
        return None
    if fold(words[0]) in ("bao", "tap chi", "dai", "kenh") and len(words) > 1:
        name, words = name[0].upper() + name[1:], words[1:]
    if not words[0][:1].isupper() or fold(words[0]) in ("anh", "video", "clip", "nguon", "theo"):
        return None
    return name


def _outlet_prefix(line: str) -> tuple[str, int] | None:
    m = OUTLET_PREFIX.match(line)
    if not m:
        return None
    name = _outlet_name(m.group(1)) if m.group(1) else m.group(2)
    return (name, m.end()) if name else None


def _credit(line: str) -> str | None:
    """The outlet a closing credit line names ("(Theo VnExpress)", "Theo báo Nhân Dân"), else None."""
    if len(line) > 80:
        return None
    m = CREDIT_LINE.match(fold(line))
    if m:
        return _outlet_name(line[m.start(1):m.end(1)])
    m = OUTLET_LINE.match(line)
    return _outlet_name(m.group(1)) if m else None


def clean(text: str) -> str:
    """The article body of a scraped page, furniture removed, NFC."""
    return clean_article(text).text


def _headline_like(line: str) -> bool:
    """A short line with no sentence ending: a title, a caption, or a related-news headline."""
    return len(line) < 200 and not SENTENCE_END.search(line) and len(line.split()) >= 2


def _body_like(line: str) -> bool:
    return len(line) >= 60 and len(line.split()) >= 10 and not ADDRESS.search(fold(line))


def _is_furniture(line: str) -> bool:
    f = fold(line).strip()
    return (
        len(f) <= 2
        or bool(ICON_LINE.match(f))
        or bool(COPYRIGHT.match(f))
        or bool(VIEW_COUNTER.search(f))
        or bool(ADDRESS.search(f) and len(f) < 200)
    )


def _similar(a: str, b: str) -> bool:
    ta, tb = set(fold(a).split()), set(fold(b).split())
    if not ta or not tb:
        return False
    return len(ta & tb) / len(ta | tb) >= 0.6


def _unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped paragraphs.

    A file wrapped at a fixed width (short lines, paragraphs between blank lines) has its
    blocks joined whole. Elsewhere a line that does not end a sentence, followed by one that
    starts in lower case, is the same sentence; headlines and captions are followed by a
    capitalised line, so they stay apart."""
    nonblank = [ln for ln in lines if ln]
    if len(nonblank) >= 5 and "" in lines:
        lens = sorted(len(ln) for ln in nonblank)
        followed = sum(1 for a, b in zip(lines, lines[1:]) if a and b)
        if lens[int(len(lens) * 0.95) - 1] <= 100 and followed >= len(nonblank) / 2:
            blocks, cur = [], []
            for ln in lines + [""]:
                if ln:
                    cur.append(ln)
                elif cur:
                    blocks.append(" ".join(cur))
                    cur = []
            return blocks
    out: list[str] = []
    for ln in lines:
        if out and out[-1] and ln and not SENTENCE_END.search(out[-1]) and (ln[0].islower() or ln[0].isdigit()):
            out[-1] = out[-1] + " " + ln
        else:
            out.append(ln)
    return out


def clean_article(text: str) -> Cleaned:
    """Clean a page and keep what metadata extraction needs (title, header lines, outlet)."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u200b", "")
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in text.split("\n")]
    lines = [ln for ln in _unwrap(lines) if ln]

    # The lead is the first line that reads as body text; what comes before it is header.
    lead_at = next((i for i, ln in enumerate(lines) if _body_like(ln) and SENTENCE_END.search(ln)), 0)
    header = lines[:lead_at]
    title = None
    for ln in reversed(header):
        if _headline_like(ln) and not DMY.search(ln) and not _is_furniture(ln) and len(ln.split()) >= 4:
            title = ln.rstrip(" |")
            break

    out = Cleaned(text="", title=title, header=header)
    kept: list[str] = []
    in_block = False
    for ln in lines[lead_at:]:
        f = fold(ln).strip()
        if END_MARKERS.match(f) and not BLOCK_MARKERS.match(f):
            break
        if BLOCK_MARKERS.match(f):
            # Mid-article headline block or the end of the page: decided by what follows.
            in_block = True
            continue
        if in_block:
            # Headlines (and teaser leads) until a real paragraph resumes the article.
            if len(ln) < 100 or not re.search(r"[.!?][\"”»)]?\s*$", ln) or OUTLET_PREFIX.match(ln):
                continue
            in_block = False
        m = SOURCE_LINE.match(fold(ln))
        if m and len(ln) < 80:
            out.source_line = _outlet_name(ln[m.start(2):m.end(2)]) or ln[m.start(2):m.end(2)]
            continue
        if len(ln) < 80 and DATE_LINE.match(fold(ln)):
            out.date_lines.append(ln)
            continue
        if _is_furniture(ln):
            continue
        if title:
            if fold(ln) == fold(title):
                continue
            if fold(ln).startswith(fold(title)) and re.match(r"\s*ảnh\s*\d+", ln[len(title):], re.I):
                ln = re.sub(r"^\s*ảnh\s*\d+\s*", "", ln[len(title):], flags=re.I)
        ln = CAPTION_MARK.sub(" ", ln).strip().rstrip(" |").strip()
        if not ln:
            continue
        if not kept:
            if OUTLET_LINE.match(ln) and _credit(ln):
                out.outlet = _credit(ln)
                continue
            prefix = _outlet_prefix(ln)
            if prefix:
                out.outlet, cut = prefix
                ln = ln[cut:]
        if kept and ln == kept[-1]:
            continue  # a caption printed twice
        if kept and len(ln) < 250 and len(kept[-1]) < 250 and _headline_like(kept[-1]) and _similar(ln, kept[-1]):
            kept[-1] = ln  # near-duplicate captions: keep the fuller, later one
            continue
        kept.append(ln)

    # Closing credits ("(Theo VnExpress)", "Theo báo Nhân Dân") and a byline (one to four
    # capitalised words), in either order.
    credit = byline = False
    while kept and not (credit and byline):
        name = None if credit else _credit(kept[-1])
        if name:
            out.source_line = out.source_line or name
            credit = True
        elif not byline and len(kept[-1].split()) <= 4 and all(w[:1].isupper() for w in kept[-1].split()):
            byline = True
        else:
            break
        kept.pop()
    if out.outlet is None:  # "(Báo Lâm Đồng)" on its own line above the lead
        out.outlet = next((_credit(h) for h in header if OUTLET_LINE.match(h) and _credit(h)), None)
    out.text = "\n\n".join(kept)
    return out
