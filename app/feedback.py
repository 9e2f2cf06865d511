"""👍/👎 feedback on answers, kept in one SQLite file shared by the chat and the Slack bot.

SQLite because both front ends may run at once (two processes) and the file must survive
restarts; a connection per operation plus WAL keeps that safe without a server. Slack buttons
can only carry a short value, so the bot first ``remember``s the answer it posts and puts the
returned id on the buttons; ``rate`` later turns a click into a feedback row.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    user TEXT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    answer_id TEXT,
    extra TEXT
);
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    extra TEXT
);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check_rating(rating: int) -> int:
    if rating not in (1, -1) or isinstance(rating, bool):
        raise ValueError(f"rating must be +1 or -1, got {rating!r}")
    return int(rating)


class FeedbackStore:
    """Thread-safe (and multi-process-safe) store of ratings given to answers."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # timeout: wait for the other front end's write instead of failing with "database is locked"
        return sqlite3.connect(self.path, timeout=10)

    def _write(self, sql: str, params: tuple) -> sqlite3.Cursor:
        with self._lock, closing(self._connect()) as con, con:
            return con.execute(sql, params)

    def record(
        self,
        channel: str,
        question: str,
        answer: dict,
        rating: int,
        user: str | None = None,
        extra: dict | None = None,
    ) -> int:
        """Store one rating (+1 or -1) of ``answer`` (an ``Answer.to_json()`` dict); returns its row id."""
        return self._insert(channel, question, answer, _check_rating(rating), user, None, extra)

    def _insert(self, channel, question, answer, rating, user, answer_id, extra) -> int:
        with self._lock, closing(self._connect()) as con, con:
            return self._insert_row(con, channel, question, answer, rating, user, answer_id, extra)

    @staticmethod
    def _insert_row(con, channel, question, answer, rating, user, answer_id, extra) -> int:
        cur = con.execute(
            "INSERT INTO feedback (created_at, channel, user, question, answer, rating, answer_id, extra)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _now(),
                channel,
                user,
                question,
                json.dumps(answer, ensure_ascii=False),
                rating,
                answer_id,
                json.dumps(extra, ensure_ascii=False) if extra is not None else None,
            ),
        )
        return int(cur.lastrowid)

    def remember(self, channel: str, question: str, answer: dict, extra: dict | None = None) -> str:
        """Keep a posted answer so a later button click can rate or re-post it; returns its id.

        ``extra`` (e.g. the conversation the question followed) is copied into its ratings."""
        answer_id = uuid.uuid4().hex
        self._write(
            "INSERT INTO answers (id, created_at, channel, question, answer, extra) VALUES (?, ?, ?, ?, ?, ?)",
            (
                answer_id,
                _now(),
                channel,
                question,
                json.dumps(answer, ensure_ascii=False),
                json.dumps(extra, ensure_ascii=False) if extra is not None else None,
            ),
        )
        return answer_id

    def recall(self, answer_id: str) -> dict | None:
        """The remembered answer as ``{"channel", "question", "answer", "extra"}``, or None if unknown."""
        with closing(self._connect()) as con:
            row = con.execute(
                "SELECT channel, question, answer, extra FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        if row is None:
            return None
        extra = json.loads(row[3]) if row[3] else None
        return {"channel": row[0], "question": row[1], "answer": json.loads(row[2]), "extra": extra}

    def rate(
        self,
        answer_id: str,
        rating: int,
        user: str | None = None,
        channel: str | None = None,
        extra: dict | None = None,
    ) -> int:
        """Rate a remembered answer. A user clicking again changes their vote instead of adding one.

        Raises KeyError for an unknown id.
        """
        rating = _check_rating(rating)
        stored = self.recall(answer_id)
        if stored is None:
            raise KeyError(answer_id)
        if stored["extra"] or extra:
            extra = {**(stored["extra"] or {}), **(extra or {})}
        with self._lock, closing(self._connect()) as con, con:
            row = con.execute("SELECT id FROM feedback WHERE answer_id = ? AND user IS ?", (answer_id, user)).fetchone()
            if row is not None:
                con.execute("UPDATE feedback SET rating = ?, created_at = ? WHERE id = ?", (rating, _now(), row[0]))
                return int(row[0])
            return self._insert_row(
                con,
                channel or stored["channel"],
                stored["question"],
                stored["answer"],
                rating,
                user,
                answer_id,
                extra,
            )

    def rows(self) -> list[dict]:
        """Every rating, oldest first, with ``answer`` and ``extra`` decoded."""
        with closing(self._connect()) as con:
            con.row_factory = sqlite3.Row
            found = con.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        out = []
        for row in found:
            item = dict(row)
            item["answer"] = json.loads(item["answer"])
            item["extra"] = json.loads(item["extra"]) if item["extra"] else None
            out.append(item)
        return out

    def export_jsonl(self, path: str | Path) -> int:
        """Write every rating as one JSON object per line; returns how many were written."""
        rows = self.rows()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return len(rows)
