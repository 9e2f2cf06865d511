"""Socket Mode: the same bot over a WebSocket, no public HTTP endpoint and no signing secret.

Slack's Socket Mode endpoint is stood in by ``FakeSocketMode`` (a real WebSocket server on
loopback speaking Slack's envelope protocol); Web API calls go to ``FakeSlackAPI``.
"""

from __future__ import annotations

import json

import pytest

from app.feedback import FeedbackStore
from app.slack.bot import create_app, socket_mode_handler
from tests.fakes.slack_api import APP_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlackAPI, FakeSocketMode
from tests.test_slack_bot import CHAIRS, QUESTION, Recording, settings_for

pytest.importorskip("websockets")
pytestmark = pytest.mark.slow  # starts servers


def event_payload(event: dict, event_id: str) -> dict:
    return {
        "team_id": TEAM_ID,
        "api_app_id": "AHOIDAP",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1,
        "event": event,
    }


def test_socket_mode_answers_once_and_serves_slash_command(tmp_path, assistant):
    with FakeSlackAPI() as fake, FakeSocketMode() as socket:
        fake.socket_url = socket.url
        settings = settings_for(tmp_path, fake, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=None)
        recording = Recording(assistant)
        handler = socket_mode_handler(
            create_app(settings, recording, FeedbackStore(tmp_path / "f.db")), settings
        )
        handler.connect()
        try:
            msg = fake.add_message("C0GENERAL", f"<@{BOT_USER_ID}> {QUESTION}")
            event = {
                "type": "app_mention",
                "user": "UASKER",
                "text": msg["text"],
                "ts": msg["ts"],
                "channel": "C0GENERAL",
                "event_ts": msg["ts"],
            }
            socket.wait_ack(socket.push(event_payload(event, "EvSOCKET1")))
            [post] = fake.wait_for("chat.postMessage")
            assert post.args["thread_ts"] == msg["ts"] and all(name in post.args["text"] for name in CHAIRS)
            [opened] = fake.calls_to("apps.connections.open")  # with the app-level token

            # Slack re-delivers when an ack is late: acknowledged again, answered once
            socket.wait_ack(socket.push(event_payload(event, "EvSOCKET1"), retry_attempt=1))
            command = {
                "command": "/hoidap",
                "text": QUESTION,
                "channel_id": "C0GENERAL",
                "user_id": "UASKER",
                "team_id": TEAM_ID,
                "response_url": fake.response_url("socket-cmd"),
                "trigger_id": "1",
            }
            ack = socket.wait_ack(socket.push(command, kind="slash_commands"))
            assert ack.get("payload") in (None, {}, "")  # acknowledged without a visible message
            [reply] = fake.wait_for("response_url")
            assert reply.args["response_type"] == "ephemeral" and CHAIRS[1] in json.dumps(
                reply.args["blocks"], ensure_ascii=False
            )
            assert len(fake.calls_to("chat.postMessage")) == 1
            assert [q for q, _ in recording.asked] == [QUESTION, QUESTION]  # the mention, then the command
        finally:
            handler.close()
