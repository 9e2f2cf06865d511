"""Answers as Slack Block Kit messages: plain functions from data to JSON, tested directly.

Block Kit limits shape everything here: a section's text is at most 3,000 characters and a
message at most 50 blocks. Long answers are cut at paragraph, line, sentence or word
boundaries (never inside an ``&amp;`` entity) and spread over as many messages as needed;
the sources and the 👍/👎 buttons go on the last one. Text is escaped for mrkdwn (``&``,
``<``, ``>``) so article text can never turn into a mention or a link.
"""

from __future__ import annotations

import re

from app.reader.question import detect_language
from app.schema import Answer, Citation
from ingest.dates import ISO

TEXT_LIMIT = 3000
BLOCK_LIMIT = 50
FALLBACK_LIMIT = 3000  # the notification / history text; Slack truncates `text` at 40k anyway
PASSAGE_LIMIT = 300

ACTION_UP = "hoidap_feedback_up"
ACTION_DOWN = "hoidap_feedback_down"
ACTION_SHARE = "hoidap_share"

LABELS = {
    "vi": {
        "sources": "Nguồn",
        "no_sources": "⚠️ Câu trả lời này không kèm nguồn trích dẫn — hãy kiểm tra lại trước khi dùng.",
        "no_sources_refused": "Không có bài viết nào trong kho trả lời được câu hỏi này.",
        "refusal": "Xin lỗi, mình không tìm thấy thông tin để trả lời câu hỏi này trong các bài viết hiện có.",
        "up": "👍 Hữu ích",
        "down": "👎 Chưa đúng",
        "share": "Chia sẻ vào kênh",
        "thanks": "Cảm ơn bạn đã phản hồi!",
        "asked": "<@{user}> hỏi: {question}",
        "usage": "Bạn hãy hỏi mình một câu về các bài báo, ví dụ: _{example}_",
        "example": "Ai là chủ tịch UBND tỉnh Thái Nguyên?",  # about the sample articles
        "failed": "Xin lỗi, mình gặp lỗi khi trả lời câu hỏi này. Bạn thử lại sau nhé.",
        "expired": "Xin lỗi, câu trả lời này không còn lưu trữ nữa. Bạn hãy hỏi lại nhé.",
        "share_failed": "Mình không đăng được vào kênh này. Hãy mời mình vào kênh (/invite) rồi thử lại.",
        "continued": "(tiếp theo)",
        "by_reader": "trích từ bài báo",
        "by_model": "mô hình",
    },
    "en": {
        "sources": "Sources",
        "no_sources": "⚠️ This answer has no cited sources — please double-check it before relying on it.",
        "no_sources_refused": "No article in the collection answers this question.",
        "refusal": "Sorry, I couldn't find anything in the available articles that answers this question.",
        "up": "👍 Helpful",
        "down": "👎 Not right",
        "share": "Share in channel",
        "thanks": "Thanks for the feedback!",
        "asked": "<@{user}> asked: {question}",
        "usage": "Ask me a question about the news articles, for example: _{example}_",
        "example": "Who chairs the Thai Nguyen People's Committee?",
        "failed": "Sorry, something went wrong while answering. Please try again later.",
        "expired": "Sorry, that answer is no longer stored. Please ask again.",
        "share_failed": "I couldn't post in this channel. Invite me (/invite) and try again.",
        "continued": "(continued)",
        "by_reader": "extractive reader",
        "by_model": "model",
    },
}


def labels(language: str | None) -> dict[str, str]:
    return LABELS.get(language or "", LABELS["vi"])


def guess_language(text: str) -> str:
    """'vi' or 'en', for replies that have no Answer to take the language from (hints, errors)."""
    return detect_language(text)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_SLACK_REF = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")


def plain_text(text: str) -> str:
    """What a person typed, from Slack's message text: mentions and ``<!here>`` dropped, channel
    and link references reduced to their label, ``&amp;``/``&lt;``/``&gt;`` decoded."""

    def ref(m: re.Match) -> str:
        kind, target, label = m.group(1), m.group(2), m.group(3)
        if kind in ("@", "!"):
            return " "
        if kind == "#":
            return "#" + label if label else " "
        return label or target

    return re.sub(r"[ \t]{2,}", " ", unescape(_SLACK_REF.sub(ref, text))).strip()


def to_mrkdwn(text: str) -> str:
    """Escaped mrkdwn. Markdown the assistant writes keeps its meaning: ``**bold**`` becomes
    Slack's ``*bold*`` and a ``> `` quote line stays a quote (a leading ``>`` cannot form a link)."""
    out = re.sub(r"\*\*(\S(?:.*?\S)?)\*\*", r"*\1*", escape(text))
    return re.sub(r"(?m)^&gt; ", "> ", out)


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` so the head is at most ``limit`` characters, at the nicest boundary."""
    window = text[:limit]
    for pattern in ("\n\n", "\n", r"(?<=[.!?…])\s", r"\s"):
        found = [m.end() for m in re.finditer(pattern, window)]
        if found and found[-1] > limit // 3:
            return found[-1]
    cut = limit
    amp = window.rfind("&")
    if amp != -1 and ";" not in window[amp:]:
        cut = amp  # do not split an entity such as &amp;
    return cut or limit


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split already-escaped text into pieces of at most ``limit`` characters."""
    pieces = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        head = rest[:cut].rstrip()
        if head:
            pieces.append(head)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _date(published: str | None, language: str) -> str:
    if not published:
        return ""
    day = published[:10]
    match = ISO.fullmatch(day)
    if match and language == "vi":
        return f"{match[3]}/{match[2]}/{match[1]}"
    return day


def quote_passage(citation: Citation, limit: int = PASSAGE_LIMIT) -> str:
    """The cited passage as one mrkdwn quote line, trimmed around the supporting sentence,
    with the answer span in bold when it fits."""
    text = citation.text
    lo, hi = 0, len(text)
    if citation.sentence_start is not None and citation.sentence_end is not None:
        lo, hi = citation.sentence_start, citation.sentence_end
    if hi - lo > limit:
        centre = citation.answer_start if citation.answer_start is not None else lo
        lo = max(lo, min(centre - limit // 3, hi - limit))
        hi = lo + limit
    elif hi - lo < limit // 2:  # a short sentence: show some context after it
        hi = min(len(text), lo + limit)
    span = None
    if citation.answer_start is not None and citation.answer_end is not None:
        if lo <= citation.answer_start < citation.answer_end <= hi:
            span = (citation.answer_start, citation.answer_end)

    def clean(part: str) -> str:
        return escape(re.sub(r"\s+", " ", part))

    if span and "*" not in text[span[0] : span[1]] and text[span[0] : span[1]].strip():
        a, b = span
        core = text[a:b]
        lead, trail = len(core) - len(core.lstrip()), len(core) - len(core.rstrip())
        body = clean(text[lo : a + lead]) + "*" + clean(core.strip()) + "*" + clean(text[b - trail : hi])
    else:
        body = clean(text[lo:hi])
    body = body.strip()
    if lo > 0:
        body = "…" + body
    if hi < len(text):
        body = body + "…"
    return "> " + body


def citation_entry(citation: Citation, language: str) -> str:
    meta = [escape(citation.source)] if citation.source else []
    if citation.published or citation.event_date:
        meta.append(_date(citation.published or citation.event_date, language))
    elif citation.date_text:
        meta.append(escape(citation.date_text))
    head = f"*[{citation.marker}]* *{escape(citation.title or citation.path)}*"
    if meta:
        head += " — " + ", ".join(meta)
    return head + "\n" + quote_passage(citation)


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _pack(entries: list[str], limit: int = TEXT_LIMIT) -> list[str]:
    """Join entries with blank lines into as few texts of at most ``limit`` characters as possible."""
    packed: list[str] = []
    for entry in entries:
        for piece in split_text(entry, limit):
            if packed and len(packed[-1]) + 2 + len(piece) <= limit:
                packed[-1] += "\n\n" + piece
            else:
                packed.append(piece)
    return packed


def answered_by(answer: Answer) -> str:
    """"mô hình local:qwen2.5-coder-0.5b · 8,7 s" / "extractive reader · 23 ms": who answered, how fast."""
    words = labels(answer.language)
    who = f"{words['by_model']} {answer.answerer}" if answer.answerer else words["by_reader"]
    ms = float(answer.timings_ms.total or 0)
    took = f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
    return f"{who} · {took.replace('.', ',') if answer.language == 'vi' else took}"


def llm_note(answer: Answer) -> dict | None:
    """When an LLM was asked: a context line with its notes (a fallback to the extractive answer,
    repaired citations) and who answered. None for extractive answers, which carry no notes."""
    if not answer.answerer and not answer.warnings:
        return None
    lines = [f"⚠️ {escape(w)}" for w in answer.warnings] + [f"_{escape(answered_by(answer))}_"]
    return _context("\n".join(lines)[:TEXT_LIMIT])


def answer_text(answer: Answer) -> str:
    """The answer shown to people; an empty refusal gets a polite one in the question's language."""
    text = answer.answer.strip()
    if not text and answer.refused:
        text = labels(answer.language)["refusal"]
    return text


def answer_messages(
    answer: Answer,
    feedback_id: str | None = None,
    *,
    share: bool = False,
    asked_by: str | None = None,
) -> list[dict]:
    """One or more ``{"text", "blocks"}`` messages for ``answer``.

    ``feedback_id`` puts 👍/👎 buttons (and with ``share`` a "share in channel" button) on the
    last message; ``asked_by`` (a user id) starts the first message with who asked what.
    """
    words = labels(answer.language)
    text = answer_text(answer)
    tail: list[dict] = []
    if answer.citations:
        tail.append(_section(f"*{words['sources']}*"))
        entries = [citation_entry(c, answer.language) for c in answer.citations]
        tail.extend(_section(t) for t in _pack(entries))
    else:
        tail.append(_context(words["no_sources_refused" if answer.refused else "no_sources"]))
    if feedback_id:
        buttons = [
            _button(words["up"], ACTION_UP, feedback_id),
            _button(words["down"], ACTION_DOWN, feedback_id),
        ]
        if share:
            buttons.append(_button(words["share"], ACTION_SHARE, feedback_id, style="primary"))
        tail.append({"type": "actions", "block_id": "hoidap_feedback", "elements": buttons})

    blocks: list[dict] = []
    if asked_by:
        question = escape(re.sub(r"\s+", " ", answer.question))[: TEXT_LIMIT - 100]
        blocks.append(_context(words["asked"].format(user=asked_by, question=question)))
    blocks.extend(_section(piece) for piece in split_text(to_mrkdwn(text)))
    if note := llm_note(answer):
        blocks.append(note)
    blocks.append({"type": "divider"})
    blocks.extend(tail)

    fallback = text if len(text) <= FALLBACK_LIMIT else text[: FALLBACK_LIMIT - 1] + "…"
    chunks = [blocks[i : i + BLOCK_LIMIT] for i in range(0, len(blocks), BLOCK_LIMIT)]
    messages = [{"text": to_mrkdwn(fallback), "blocks": chunks[0]}]
    for chunk in chunks[1:]:
        messages.append({"text": words["continued"], "blocks": chunk})
    return messages


def notice_message(text: str) -> dict:
    """A short plain reply (usage hint, error, thanks) as a message."""
    return {"text": escape(text), "blocks": [_section(escape(text))]}
