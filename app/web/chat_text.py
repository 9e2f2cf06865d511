"""What the chat page says and looks like: interface text in Vietnamese and English, example
questions, and the CSS / script added to Gradio's page. Kept apart so wording can change
without touching the wiring in ``app.web.chat_ui``."""

from __future__ import annotations

UI = {
    "vi": {
        "title": "## Hỏi đáp tin tức · hoidap",
        "intro": "Hỏi bằng tiếng Việt (có dấu hoặc không dấu) hoặc tiếng Anh. Mỗi câu trả lời trích dẫn [n] "
                 "tới đoạn báo gốc, hiện trong mục Nguồn.",
        "placeholder": "Nhập câu hỏi rồi nhấn Enter…",
        "send": "Gửi", "new": "+ Cuộc trò chuyện mới",
        "options": "Bộ lọc và tuỳ chọn", "province": "Tỉnh / thành phố", "source": "Báo / nguồn tin",
        "all": "Tất cả", "date_from": "Từ ngày (YYYY-MM-DD)", "date_to": "Đến ngày (YYYY-MM-DD)",
        "k": "Số đoạn trích", "mode": "Cách trả lời", "extractive": "Trích xuất", "llm": "LLM",
        "no_llm": "Chưa cấu hình LLM (biến HOIDAP_LLM): chỉ có câu trả lời trích xuất.",
        "upload": "Thêm bài báo", "files": "Tệp .txt, .md, .html, .json, .jsonl",
        "ingest": "Nạp vào chỉ mục", "no_files": "Chưa chọn tệp nào.", "ingested": "Đã nạp",
        "skipped": "Bỏ qua", "ingesting": "Đang nạp bài báo", "searching": "Đang tìm trong các bài báo…",
        "empty_q": "Hãy nhập một câu hỏi.", "bad_date": "Ngày không hợp lệ: «{v}» (dùng dạng YYYY-MM-DD).",
        "thanks": "Cảm ơn phản hồi của bạn!", "chat": "Trò chuyện", "error": "Lỗi",
        "summary": "{added} bài mới, {updated} bài cập nhật, {unchanged} bài không đổi, {removed} bài bị xoá; "
                   "{embedded} đoạn được lập chỉ mục, {reused} đoạn dùng lại",
        "skipped_n": "{n} tệp bị bỏ qua",
        "refused_upload": "Không nạp tệp nào",
        "indexing": "Đang lập chỉ mục {done}/{total} bài… Câu hỏi sẽ được trả lời khi xong.",
        "examples": "Câu hỏi mẫu",
    },
    "en": {
        "title": "## News Q&A · hoidap",
        "intro": "Ask in Vietnamese (with or without diacritics) or English. Every answer cites [n] the news "
                 "passages it came from, shown under Sources.",
        "placeholder": "Type a question and press Enter…",
        "send": "Send", "new": "+ New conversation",
        "options": "Filters and options", "province": "Province / city", "source": "Outlet",
        "all": "All", "date_from": "From date (YYYY-MM-DD)", "date_to": "To date (YYYY-MM-DD)",
        "k": "Passages", "mode": "Answer mode", "extractive": "Extractive", "llm": "LLM",
        "no_llm": "No LLM configured (HOIDAP_LLM): extractive answers only.",
        "upload": "Add articles", "files": ".txt, .md, .html, .json, .jsonl files",
        "ingest": "Add to the index", "no_files": "No file chosen.", "ingested": "Ingested",
        "skipped": "Skipped", "ingesting": "Ingesting articles", "searching": "Searching the articles…",
        "empty_q": "Type a question first.", "bad_date": "Invalid date: “{v}” (use YYYY-MM-DD).",
        "thanks": "Thanks for the feedback!", "chat": "Chat", "error": "Error",
        "summary": "{added} added, {updated} updated, {unchanged} unchanged, {removed} removed; "
                   "{embedded} chunks embedded, {reused} reused",
        "skipped_n": "{n} skipped",
        "refused_upload": "Nothing was added",
        "indexing": "Indexing {done}/{total} articles… Questions will be answered when it is done.",
        "examples": "Example questions",
    },
}

# the sample corpus's questions, shown while it is indexed (see ``examples_for``)
EXAMPLES = [
    "Ai chủ trì hội nghị ở Thái Nguyên?",
    "Hà Nội và Thanh Hóa thống nhất bao nhiêu nội dung hợp tác?",
    "ai chu tri hoi nghi o thai nguyen?",
    "Who chaired the conference in Thai Nguyen?",
    "Which provinces signed cooperation agreements with Hanoi?",
]

CSS = """
.src-panel h3 { margin: 0 0 .4em 0; }
.src-q { font-size: .85em; opacity: .75; margin: .6em 0 .3em; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6em .8em;
            margin: .5em 0; background: var(--background-fill-secondary); transition: box-shadow .3s; }
.src-card.flash, .src-card:target { box-shadow: 0 0 0 3px var(--color-accent); }
.src-head { font-weight: 600; } .src-n { color: var(--color-accent); margin-right: .3em; }
.src-meta, .src-path { font-size: .82em; opacity: .8; margin: .2em 0; }
.src-path code { word-break: break-all; }
.src-text { margin: .4em 0; padding-left: .7em; border-left: 3px solid var(--border-color-accent);
            font-size: .92em; line-height: 1.5; }
.src-text .support { background: rgba(255, 214, 10, .18); }
.src-text mark { background: #ffd60a; color: #111; padding: 0 .1em; border-radius: 2px; }
.src-warning { padding: .6em .8em; border-radius: 8px; background: #fff3cd; color: #664d03; }
.src-empty { opacity: .7; padding: 1em 0; }
#chat a.cite { color: var(--color-accent); text-decoration: none; font-weight: 600; cursor: pointer; }
#chat a.cite:hover { text-decoration: underline; }
"""

# Scroll to the card instead of following the link: Gradio may open Markdown links in a new tab.
HEAD = """
<script>
document.addEventListener("click", (ev) => {
  const a = ev.target.closest && ev.target.closest('a[href^="#src-"]');
  if (!a) return;
  ev.preventDefault();
  ev.stopPropagation();
  const card = document.getElementById(a.getAttribute("href").slice(1));
  if (!card) return;
  const box = card.closest("details");
  if (box) box.open = true;
  card.scrollIntoView({behavior: "smooth", block: "center"});
  card.classList.add("flash");
  setTimeout(() => card.classList.remove("flash"), 1600);
}, true);
</script>
"""


def summary(report, lang: str) -> str:
    """An ingest report (``index.store.SyncReport``) in the page's language."""
    u = UI[lang]
    text = u["summary"].format(added=report.added, updated=report.updated, unchanged=report.unchanged,
                               removed=report.removed, embedded=report.chunks_embedded, reused=report.chunks_reused)
    return text + (f"; {u['skipped_n'].format(n=len(report.skipped))}" if report.skipped else "")


def examples_for(articles: list[dict], sample_names: set[str], n: int = 4) -> list[str]:
    """Example questions for the page: the sample's when the sample articles are indexed, else
    questions about the newest indexed articles, made from their titles (any news has a title;
    "<title> — when / where?" is answered from its lead, which says when and where)."""
    names = {a["path"].replace("\\", "/").rsplit("/", 1)[-1] for a in articles}
    if sample_names and sample_names <= names:
        return EXAMPLES
    newest = sorted(articles, key=lambda a: a.get("published") or a.get("event_date") or "", reverse=True)
    out: list[str] = []
    for a in newest:
        title = (a.get("title") or "").strip().rstrip(".:;!?…").strip()
        if not 8 <= len(title) <= 100 or title.casefold() in {t.casefold() for t in out}:
            continue
        out.append(title)
        if len(out) == n:
            break
    asks = (" diễn ra khi nào?", " diễn ra ở đâu?")
    return [t + asks[i % 2] for i, t in enumerate(out)]
