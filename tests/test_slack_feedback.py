"""The SQLite feedback store shared by the chat and the Slack bot."""

from __future__ import annotations

import json
import threading

import pytest

from app.feedback import FeedbackStore
from app.schema import Answer

ANSWER = Answer(question="Ai chủ trì?", answer="Bùi Xuân Hòa [1].", language="vi", refused=False).to_json()


def test_record_rows_and_export(tmp_path):
    store = FeedbackStore(tmp_path / "deep" / "feedback.sqlite")  # parent dirs are created
    first = store.record("C1", "Ai chủ trì?", ANSWER, 1, user="U1", extra={"front_end": "gradio"})
    second = store.record("web", "Ai chủ trì?", ANSWER, -1)
    assert second > first
    rows = store.rows()
    assert [r["rating"] for r in rows] == [1, -1]
    assert rows[0]["answer"] == ANSWER and rows[0]["extra"] == {"front_end": "gradio"} and rows[0]["user"] == "U1"
    out = tmp_path / "export" / "fb.jsonl"
    assert store.export_jsonl(out) == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[1]["channel"] == "web" and lines[1]["answer"]["answer"] == "Bùi Xuân Hòa [1]."


@pytest.mark.parametrize("bad", [0, 2, -2, True, "1"])
def test_rating_must_be_plus_or_minus_one(tmp_path, bad):
    with pytest.raises(ValueError):
        FeedbackStore(tmp_path / "f.sqlite").record("C", "q", ANSWER, bad)


def test_remember_then_rate_one_vote_per_user(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite")
    answer_id = store.remember("C1", "Ai chủ trì?", ANSWER)
    assert store.recall(answer_id) == {"channel": "C1", "question": "Ai chủ trì?", "answer": ANSWER, "extra": None}
    row = store.rate(answer_id, 1, user="U1")
    assert store.rate(answer_id, -1, user="U1") == row  # changed mind: same row
    store.rate(answer_id, 1, user="U2", channel="C2")
    rows = store.rows()
    assert [(r["user"], r["rating"], r["channel"]) for r in rows] == [("U1", -1, "C1"), ("U2", 1, "C2")]
    assert all(r["answer_id"] == answer_id for r in rows)
    with pytest.raises(KeyError):
        store.rate("no-such-id", 1)
    assert store.recall("no-such-id") is None


def test_remembered_extra_is_copied_into_ratings(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite")
    history = [{"role": "user", "content": "Ai chủ trì?"}, {"role": "assistant", "content": "Bùi Xuân Hòa [1]."}]
    answer_id = store.remember("C1", "Ông ấy giữ chức gì?", ANSWER, extra={"front_end": "slack", "history": history})
    store.rate(answer_id, -1, user="U1", extra={"note": "sai"})
    [row] = store.rows()
    assert row["extra"] == {"front_end": "slack", "history": history, "note": "sai"}


def test_two_stores_on_one_file_and_threads(tmp_path):
    # the chat and the bot run as separate processes on one file; threads stand in for that here
    path = tmp_path / "f.sqlite"
    stores = [FeedbackStore(path), FeedbackStore(path)]
    threads = [
        threading.Thread(target=lambda s=s: [s.record("C", "q", ANSWER, 1) for _ in range(25)]) for s in stores * 2
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(FeedbackStore(path).rows()) == 100
