"""The Slack bot against odd and replayed requests, over real HTTP on loopback (issue 10 §5).

Same harness as ``test_slack_bot``: Bolt under uvicorn, signed requests, the fake Slack Web API."""

from __future__ import annotations

import json
import time

import pytest

from app.feedback import FeedbackStore
from tests.fakes.slack_api import BOT_USER_ID, FakeSlackAPI
from tests.test_slack_bot import QUESTION, Bot, Recording, run_bot, settings_for

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stamp", ["abc", "1.5e9", "", "12ab"])
def test_a_non_numeric_timestamp_is_a_401(tmp_path, assistant, stamp):
    with FakeSlackAPI() as fake:
        url, stop = run_bot(settings_for(tmp_path, fake), Recording(assistant), FeedbackStore(tmp_path / "f.sqlite"))
        try:
            bot = Bot(url, fake, Recording(assistant), None)
            r = bot.post(json.dumps({"type": "event_callback", "event": {}}), "application/json",
                         headers={"X-Slack-Request-Timestamp": stamp})
            assert r.status_code == 401, r.text
        finally:
            stop()


def test_an_event_resent_after_a_restart_is_not_answered_twice(tmp_path, assistant):
    with FakeSlackAPI() as fake:
        feedback = FeedbackStore(tmp_path / "feedback.sqlite")
        settings = settings_for(tmp_path, fake)
        msg = fake.add_message("C0GENERAL", f"<@{BOT_USER_ID}> {QUESTION}")
        event = {"type": "app_mention", "user": msg["user"], "text": msg["text"], "ts": msg["ts"],
                 "channel": "C0GENERAL", "event_ts": msg["ts"]}
        recording = Recording(assistant)
        url, stop = run_bot(settings, recording, feedback)
        try:
            Bot(url, fake, recording, feedback).event(event, event_id="EvRESTART1")
            fake.wait_for("chat.postMessage")
        finally:
            stop()
        # the bot restarts; Slack, which saw no 200 in time, sends the same event again
        again = Recording(assistant)
        url, stop = run_bot(settings, again, feedback)
        try:
            bot = Bot(url, fake, again, feedback)
            r = bot.event(event, event_id="EvRESTART1", headers={"X-Slack-Retry-Num": "1"})
            assert r.status_code == 200
            # the same message under another event id (the app_mention / message.im pair) neither
            bot.event({**event, "type": "message", "channel_type": "im"}, event_id="EvRESTART2")
            sentinel = fake.add_message("C0SENTINEL", f"<@{BOT_USER_ID}> Hội nghị diễn ra ở đâu?")
            bot.event({"type": "app_mention", "user": sentinel["user"], "text": sentinel["text"],
                       "ts": sentinel["ts"], "channel": "C0SENTINEL"})
            fake.wait_for("reactions.remove", where=lambda c: c.args.get("timestamp") == sentinel["ts"])
            time.sleep(0.5)
            assert [p.args["channel"] for p in fake.calls_to("chat.postMessage")] == ["C0GENERAL", "C0SENTINEL"]
            assert [q for q, _ in again.asked] == ["Hội nghị diễn ra ở đâu?"]
        finally:
            stop()


def test_seen_events_are_forgotten_after_their_time(tmp_path):
    from app.slack.bot import SeenEvents

    seen = SeenEvents(tmp_path / "seen.sqlite", ttl=0.2)
    assert seen.claim("event:Ev1") and not seen.claim("event:Ev1")
    assert not SeenEvents(tmp_path / "seen.sqlite", ttl=0.2).claim("event:Ev1")  # another process, same home
    time.sleep(0.3)
    assert seen.claim("event:Ev1")
