"""Turn 👍/👎 feedback from the chat and Slack into a gold-set file (``hoidap eval --feedback``).

A 👍 on an answer says "this short answer is right": it becomes a question whose expected
string is the answer's first line (``answer_any``), scoped to the articles it cited; a 👍 on
a refusal becomes an unanswerable question. A 👎 says only what is wrong, so it becomes a
question with the rejected answer in ``must_not`` and ``needs_review: true``: a person adds the
right answer (or sets ``answerable: false``) and removes the flag; until then ``load`` skips it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_MARKER = re.compile(r"\s*\[\d+\]")


def answer_line(text: str) -> str:
    """The short answer: the reply's first line without its [n] markers."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return _MARKER.sub("", first).strip()


def to_item(row: dict) -> dict:
    ans = row.get("answer") or {}
    lang = ans.get("language") if ans.get("language") in ("vi", "en") else "vi"
    refused = bool(ans.get("refused"))
    line = answer_line(ans.get("answer", ""))
    articles = sorted({Path(c.get("path", "").split(":")[0]).name for c in ans.get("citations", []) if c.get("path")})
    item = {
        "id": f"feedback-{row['id']}", "question": row["question"], "language": lang, "slice": lang,
        "type": ans.get("question_type"), "history": [], "answer_all": [], "answer_any": [], "must_not": [],
        "articles": [], "answerable": True, "source": f"{row.get('channel')} feedback {row.get('created_at')}",
    }
    if item["type"] not in ("who", "when", "where", "how_many", "what", "yesno", "why"):
        item["type"] = None
    if row["rating"] > 0:
        if refused:
            item["answerable"], item["slice"] = False, "unanswerable"
        else:
            item["answer_any"], item["articles"] = [line], articles
    else:
        item["needs_review"] = True
        if line and not refused:
            item["must_not"] = [line]
    return item


def export(db: Path, out: Path) -> int:
    """Write every rated answer in the feedback store ``db`` as a gold-set line; returns the count."""
    from app.feedback import FeedbackStore

    rows = FeedbackStore(db).rows() if Path(db).is_file() else []
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(to_item(row), ensure_ascii=False) + "\n")
    return len(rows)
