"""Plain formatting for the web front end: answers to chat markdown, citations to source cards.

Everything that came from a person or an article (questions, answers, passages, titles, paths)
is HTML-escaped here before it reaches the page, so a question like ``<script>`` shows up as
text and is never run. These functions take the ``Answer.to_json()`` dict (not the pydantic
model) because that is also what the REST API hands out and what feedback stores.
"""

from __future__ import annotations

import datetime
import html
import re

MARKER = re.compile(r"\[(\d{1,3})\]")

LABELS = {
    "vi": {
        "sources": "Nguồn",
        "no_sources": "⚠ Câu trả lời này không có nguồn trích dẫn: đừng tin nó khi chưa kiểm tra.",
        "refused": "Không tìm thấy câu trả lời trong các bài báo đã nạp.",
        "undated": "không rõ ngày",
        "no_outlet": "không rõ nguồn",
        "file": "Tệp",
        "question": "Câu hỏi",
        "earlier": "Nguồn của các câu trả lời trước",
        "empty": "Đặt một câu hỏi: các đoạn trích dẫn sẽ hiện ở đây.",
        "sources_list": "Nguồn:",
        "by_reader": "trích từ bài báo",
        "by_model": "mô hình",
        "quick": "Trả lời nhanh",
        "refining": "đang tinh chỉnh với mô hình {model}…",
        "writing": "Mô hình {model} đang viết:",
    },
    "en": {
        "sources": "Sources",
        "no_sources": "⚠ This answer cites no sources: do not trust it without checking.",
        "refused": "No answer was found in the ingested articles.",
        "undated": "undated",
        "no_outlet": "unknown outlet",
        "file": "File",
        "question": "Question",
        "earlier": "Sources of earlier answers",
        "empty": "Ask a question: the cited passages will appear here.",
        "sources_list": "Sources:",
        "by_reader": "extractive reader",
        "by_model": "model",
        "quick": "Quick answer",
        "refining": "refining with model {model}…",
        "writing": "Model {model} is writing:",
    },
}


def iso_date(value: str, end: bool = False) -> str:
    """A date bound as typed (YYYY, YYYY-MM or YYYY-MM-DD) checked against the calendar; ValueError
    if it is not one. Dates compare as text, so a partial end date is widened to cover its period
    (day 31 works for every month)."""
    v = (value or "").strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", v)
    if not m:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = m.groups()
    try:
        datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError as e:
        raise ValueError(f"not a date: {value!r} ({e})") from None
    if end and not day:
        v += "-31" if month else "-12-31"
    return v


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["vi"])


def anchor(turn: int, marker: int) -> str:
    """Element id of a source card; ``turn`` keeps markers of different answers apart."""
    return f"src-{turn}-{marker}"


def escape_text(text: str) -> str:
    """Escape HTML so it is shown, not interpreted, inside Markdown or HTML."""
    return html.escape(text or "", quote=True)


def escape_markdown(text: str) -> str:
    """Escape what could open an HTML tag or entity in Markdown, keeping ``>`` so quote lines stay quotes."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;")


def link_markers(escaped: str, turn: int, known: set[int]) -> str:
    """Turn ``[n]`` into a link to source card n (only for markers that have a citation)."""

    def repl(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in known:
            return m.group(0)
        return f'<a class="cite" href="#{anchor(turn, n)}" data-src="{anchor(turn, n)}">[{n}]</a>'

    return MARKER.sub(repl, escaped)


def answer_markdown(answer: dict, turn: int, lang: str = "vi", refining: str | None = None) -> str:
    """The chat bubble for an answer: escaped text, [n] linked to cards, a warning without sources.

    ``refining`` (an LLM's label) marks it as the quick answer shown while that LLM writes its own."""
    lab = labels(lang)
    known = {int(c["marker"]) for c in answer.get("citations", [])}
    body = link_markers(escape_markdown(answer.get("answer", "")), turn, known)
    parts = [body]
    if not known and not answer.get("refused"):  # a refusal already says there is nothing to cite
        parts.append(f"*{lab['no_sources']}*")
    for w in answer.get("warnings") or []:
        parts.append(f"*⚠ {escape_markdown(w)}*")
    if refining:
        who = f"⏳ {lab['quick']} · {answered_by(answer, lang)} — {lab['refining'].format(model=refining)}"
        parts.append(f"<sub>{escape_markdown(who)}</sub>")
    elif known:  # which answerer spoke, and how long it took
        parts.append(f"<sub>{escape_markdown(answered_by(answer, lang))}</sub>")
    return "\n\n".join(p for p in parts if p)


def refining_markdown(quick: dict, turn: int, lang: str, model: str, written: str = "") -> str:
    """The bubble while an LLM refines: the quick (extractive) answer, and under a rule what the
    model has written so far (provisional: its checked answer replaces the whole bubble)."""
    md = answer_markdown(quick, turn, lang, refining=model)
    if not written.strip():
        return md
    head = escape_markdown(labels(lang)["writing"].format(model=model))
    return f"{md}\n\n---\n\n*{head}* {escape_markdown(written)}"


def answered_by(answer: dict, lang: str = "vi") -> str:
    """"extractive reader · 23 ms" / "model local:qwen2.5-coder-0.5b · 8.7 s": who answered, how fast."""
    lab = labels(lang)
    who = f"{lab['by_model']} {answer['answerer']}" if answer.get("answerer") else lab["by_reader"]
    ms = float((answer.get("timings_ms") or {}).get("total") or 0)
    took = f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
    if lang == "vi":
        took = took.replace(".", ",")
    return f"{who} · {took}"


# every ASCII character Markdown, GFM autolinks or LaTeX delimiters give a meaning to
_MARKUP_CHARS = frozenset("\\`*_{}[]()<>#+-.!|~&$:@=\"'")


def question_markdown(question: str) -> str:
    """A user's message as shown in the chat: literal text, never markup.

    Each character that could start Markdown syntax becomes a numeric character reference, so a
    typed image ``![x](http://…)`` is not fetched by the reader's browser, a link or a bare URL is
    not made clickable, and ``<b>`` is not HTML; the page still shows exactly what was typed.
    """
    return "".join(f"&#{ord(c)};" if c in _MARKUP_CHARS else c for c in question or "")


def highlight(text: str, sentence: tuple[int, int] | None, span: tuple[int, int] | None) -> str:
    """Escaped passage with the supporting sentence and the answer span marked.

    Offsets index the raw passage, so the passage is cut at every span boundary first and
    each piece is escaped on its own (escaping first would shift the offsets).
    """
    n = len(text)

    def clamp(s: tuple[int, int] | None) -> tuple[int, int] | None:
        if not s or s[0] is None or s[1] is None:
            return None
        a, b = max(0, min(n, int(s[0]))), max(0, min(n, int(s[1])))
        return (a, b) if a < b else None

    sentence, span = clamp(sentence), clamp(span)
    cuts = sorted({0, n, *(sentence or ()), *(span or ())})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        piece = escape_text(text[a:b])
        if span and span[0] <= a and b <= span[1]:
            piece = f"<mark>{piece}</mark>"
        if sentence and sentence[0] <= a and b <= sentence[1]:
            piece = f'<span class="support">{piece}</span>'
        out.append(piece)
    return "".join(out)


def source_card(citation: dict, turn: int, lang: str = "vi") -> str:
    """One numbered source card: title, outlet, date, the passage with the answer highlighted, the file."""
    lab = labels(lang)
    n = int(citation["marker"])
    passage = highlight(
        citation.get("text") or "",
        (citation.get("sentence_start"), citation.get("sentence_end")),
        (citation.get("answer_start"), citation.get("answer_end")),
    )
    outlet = escape_text(citation.get("source") or lab["no_outlet"])
    date = escape_text(citation.get("published") or citation.get("event_date") or citation.get("date_text")
                       or lab["undated"])
    return (
        f'<div class="src-card" id="{anchor(turn, n)}">'
        f'<div class="src-head"><span class="src-n">[{n}]</span> '
        f'<span class="src-title">{escape_text(citation.get("title") or "")}</span></div>'
        f'<div class="src-meta">{outlet} · {date}</div>'
        f'<blockquote class="src-text">{passage}</blockquote>'
        f'<div class="src-path">{lab["file"]}: <code>{escape_text(citation.get("path") or "")}</code></div>'
        "</div>"
    )


def sources_html(answer: dict, turn: int, lang: str = "vi") -> str:
    """The cards of one answer, under the question they answer; a warning when there are none."""
    lab = labels(lang)
    head = f'<div class="src-q">{lab["question"]} {turn}: {escape_text(answer.get("question", ""))}</div>'
    cites = answer.get("citations") or []
    if not cites:
        msg = lab["refused"] if answer.get("refused") else lab["no_sources"]
        return head + f'<div class="src-warning">{escape_text(msg)}</div>'
    return head + "".join(source_card(c, turn, lang) for c in cites)


def sources_panel(answers: list[dict | None], lang: str = "vi") -> str:
    """Cards of the latest answer on top; earlier answers' cards folded below (their links still work).

    ``answers`` has one entry per conversation turn (None for a turn that failed), so the turn
    numbers used in the card anchors match the ones in the chat.
    """
    lab = labels(lang)
    turns = [(t, a) for t, a in enumerate(answers, 1) if a]
    if not turns:
        return f'<div class="src-panel"><div class="src-empty">{lab["empty"]}</div></div>'
    latest_turn, latest = turns[-1]
    out = [f'<div class="src-panel"><h3>{lab["sources"]}</h3>', sources_html(latest, latest_turn, lang)]
    if len(turns) > 1:
        out.append(f"<details><summary>{lab['earlier']}</summary>")
        out.extend(sources_html(a, t, lang) for t, a in reversed(turns[:-1]))
        out.append("</details>")
    out.append("</div>")
    return "".join(out)


def sources_list_text(answer: dict, lang: str = "en") -> str:
    """Plain-text source list for API clients that only show message text (OpenAI format)."""
    cites = answer.get("citations") or []
    if not cites:
        return ""
    lab = labels(lang)
    lines = [lab["sources_list"]]
    for c in cites:
        meta = ", ".join(x for x in (c.get("source"), c.get("published") or c.get("date_text")) if x)
        lines.append(f"[{c['marker']}] {c.get('title') or ''}" + (f" ({meta})" if meta else "") + f" — {c.get('path')}")
    return "\n".join(lines)


def openai_content(answer: dict) -> str:
    """Message text for /v1/chat/completions: the answer with [n] markers, then the sources list."""
    text = answer.get("answer", "")
    listing = sources_list_text(answer, answer.get("language") or "en")
    return f"{text}\n\n{listing}" if listing else text


def pieces(text: str, size: int = 24) -> list[str]:
    """Split text into small chunks at word ends so a streaming client shows it appear progressively."""
    out, cur = [], ""
    for token in re.findall(r"\s*\S+\s*", text) or ([text] if text else []):
        cur += token
        if len(cur) >= size:
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out
