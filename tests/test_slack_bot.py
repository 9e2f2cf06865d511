"""The Slack bot end to end over real HTTP on loopback.

Bolt runs in HTTP mode under uvicorn on a free port; requests are signed the way Slack signs
them; the bot's Web API client talks to ``tests.fakes.slack_api`` (Slack's cloud being the one
thing that cannot run here). Assertions are on the Web API calls the bot made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from urllib.parse import urlencode

import httpx
import pytest

from app.feedback import FeedbackStore
from app.settings import Settings
from app.slack.bot import build_http_server, create_app
from app.slack.format import ACTION_SHARE, ACTION_UP
from ingest.errors import HoidapError
from tests.fakes.slack_api import BOT_ID, BOT_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlackAPI

pytestmark = pytest.mark.slow  # starts servers

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the example secret from Slack's docs, not a real one
CHAIRS = ("Nguyễn Thị Bích Ngọc", "Bùi Xuân Hòa")
QUESTION = "Ai đồng chủ trì hội nghị hợp tác giữa Hà Nội và Thái Nguyên?"


class Recording:
    """Calls straight through to the real assistant, remembering what the bot asked."""

    def __init__(self, assistant):
        self.assistant = assistant
        self.asked: list[tuple[str, list | None]] = []

    def answer(self, question, history=None, **kw):
        self.asked.append((question, history))
        return self.assistant.answer(question, history=history, **kw)


def settings_for(home, fake: FakeSlackAPI, **kw) -> Settings:
    values = dict(
        HOIDAP_HOME=home,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_APP_TOKEN=None,
        SLACK_API_URL=fake.api_url,
    )
    values.update(kw)
    return Settings(**values)


class Bot:
    """A running bot: its events URL, the fake Slack it talks to, its assistant and store."""

    def __init__(self, url: str, fake: FakeSlackAPI, assistant: Recording, feedback: FeedbackStore):
        self.url, self.fake, self.assistant, self.feedback = url, fake, assistant, feedback

    def post(
        self,
        body: str,
        content_type: str,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: dict | None = None,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}",
        }
        sent.update(headers or {})
        return httpx.post(self.url, content=body.encode(), headers=sent, timeout=10)

    def event(self, event: dict, event_id: str | None = None, **kw) -> httpx.Response:
        body = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "AHOIDAP",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        return self.post(json.dumps(body, ensure_ascii=False), "application/json", **kw)

    def mention(self, text: str, channel: str = "C0GENERAL", thread_ts: str | None = None, **kw):
        """A person posts ``text`` mentioning the bot; returns (message, HTTP response)."""
        msg = self.fake.add_message(channel, f"<@{BOT_USER_ID}> {text}", thread_ts=thread_ts)
        event = {
            "type": "app_mention",
            "user": msg["user"],
            "text": msg["text"],
            "ts": msg["ts"],
            "channel": channel,
            "event_ts": msg["ts"],
            "team": TEAM_ID,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return msg, self.event(event, **kw)

    def form(self, fields: dict, **kw) -> httpx.Response:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    def click(
        self,
        action_id: str,
        value: str,
        channel: str = "C0GENERAL",
        message: dict | None = None,
        ephemeral: bool = False,
        hook: str = "click",
    ) -> httpx.Response:
        payload = {
            "type": "block_actions",
            "user": {"id": "UASKER", "username": "asker", "team_id": TEAM_ID},
            "api_app_id": "AHOIDAP",
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": (message or {}).get("ts", "1.0"),
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": "123.456.abc",
            "team": {"id": TEAM_ID, "domain": "hoidap-test"},
            "channel": {"id": channel, "name": "general"},
            "response_url": self.fake.response_url(hook),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "hoidap_feedback",
                    "value": value,
                    "type": "button",
                    "action_ts": str(time.time()),
                }
            ],
        }
        if message is not None:
            payload["message"] = message
        return self.form({"payload": json.dumps(payload, ensure_ascii=False)})


def run_bot(settings: Settings, assistant, feedback: FeedbackStore):
    """Start the bot on a free loopback port; returns (events URL, stop function)."""
    server = build_http_server(create_app(settings, assistant, feedback), port=0, host="127.0.0.1")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "bot server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop():
        server.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}/slack/events", stop


@pytest.fixture
def bot(tmp_path, assistant):
    with FakeSlackAPI() as fake:
        feedback = FeedbackStore(tmp_path / "feedback.sqlite")
        recording = Recording(assistant)
        url, stop = run_bot(settings_for(tmp_path, fake), recording, feedback)
        try:
            yield Bot(url, fake, recording, feedback)
        finally:
            stop()


def texts(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def quiet_check(bot: Bot) -> None:
    """Post a fresh question and wait for its answer, so anything queued before it has run."""
    msg, _ = bot.mention("Hội nghị diễn ra ở đâu?", channel="C0SENTINEL")
    bot.fake.wait_for("reactions.remove", where=lambda c: c.args.get("timestamp") == msg["ts"])


def test_mention_answered_in_thread_with_sources_and_reaction(bot):
    msg, resp = bot.mention(QUESTION)
    assert resp.status_code == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0GENERAL" and post.args["thread_ts"] == msg["ts"]
    blocks = texts(post.args["blocks"])
    assert all(name in post.args["text"] and name in blocks for name in CHAIRS)
    assert "*Nguồn*" in blocks and "*[1]*" in blocks and "> " in blocks
    assert '"actions"' in blocks and ACTION_UP in blocks
    [added] = bot.fake.wait_for("reactions.add")
    [removed] = bot.fake.wait_for("reactions.remove")
    assert added.args["name"] == removed.args["name"] == "eyes" and added.args["timestamp"] == msg["ts"]
    assert added.at < post.at < removed.at
    assert bot.assistant.asked == [(QUESTION, None)]


def test_direct_message_and_thread_follow_up_uses_history(bot):
    first = bot.fake.add_message("D0DIRECT", QUESTION)
    im = {
        "type": "message",
        "channel": "D0DIRECT",
        "user": "UASKER",
        "text": QUESTION,
        "ts": first["ts"],
        "event_ts": first["ts"],
        "channel_type": "im",
    }
    assert bot.event(im).status_code == 200
    [answer] = bot.fake.wait_for("chat.postMessage")
    assert answer.args["thread_ts"] == first["ts"] and CHAIRS[1] in answer.args["text"]

    follow = bot.fake.add_message("D0DIRECT", "Ông Bùi Xuân Hòa giữ chức vụ gì?", thread_ts=first["ts"])
    bot.event({**im, "text": follow["text"], "ts": follow["ts"], "event_ts": follow["ts"], "thread_ts": first["ts"]})
    bot.fake.wait_for("chat.postMessage", 2)
    [replies] = bot.fake.calls_to("conversations.replies")
    assert replies.args["ts"] == first["ts"]
    question, history = bot.assistant.asked[-1]
    assert question == follow["text"]
    assert [turn["role"] for turn in history] == ["user", "assistant"]
    assert history[0]["content"] == QUESTION and CHAIRS[0] in history[1]["content"]
    # a rating of the follow-up keeps the conversation it answered
    reply = bot.fake.messages["D0DIRECT"][-1]
    down = reply["blocks"][-1]["elements"][1]
    bot.click(down["action_id"], down["value"], channel="D0DIRECT", message=reply)
    bot.fake.wait_for("chat.postEphemeral")
    [row] = bot.feedback.rows()
    assert row["rating"] == -1 and row["question"] == follow["text"] and row["extra"]["history"] == history


def test_retry_and_bot_messages_get_no_answer(bot):
    msg, _ = bot.mention(QUESTION, event_id="EvRETRY1")
    bot.fake.wait_for("chat.postMessage")
    event = {
        "type": "app_mention",
        "user": "UASKER",
        "text": msg["text"],
        "ts": msg["ts"],
        "channel": "C0GENERAL",
        "event_ts": msg["ts"],
    }
    retry = bot.event(
        event, event_id="EvRETRY1", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status_code == 200
    # the same message delivered under another event id (app_mention + message.im pair)
    bot.event({**event, "type": "message", "channel_type": "im"})
    other_bot = bot.fake.add_message("D0DIRECT", "I am another bot", subtype="bot_message", bot_id="BOTHER")
    bot.event(
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "BOTHER",
            "text": other_bot["text"],
            "ts": other_bot["ts"],
            "channel": "D0DIRECT",
            "channel_type": "im",
        }
    )
    own = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "text": "my own answer",
        "ts": bot.fake.next_ts(),
        "channel": "D0DIRECT",
        "channel_type": "im",
    }
    bot.event(own)
    quiet_check(bot)
    posts = bot.fake.calls_to("chat.postMessage")
    assert [p.args["channel"] for p in posts] == ["C0GENERAL", "C0SENTINEL"]
    assert len(bot.assistant.asked) == 2


@pytest.mark.parametrize("case", ["forged", "wrong_secret", "old_timestamp", "unsigned"])
def test_bad_signatures_rejected_before_anything_runs(bot, case):
    before = len(bot.fake.calls)
    msg = bot.fake.add_message("C0GENERAL", f"<@{BOT_USER_ID}> {QUESTION}")
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "event_id": "EvFORGED",
            "event": {
                "type": "app_mention",
                "user": "UASKER",
                "text": msg["text"],
                "ts": msg["ts"],
                "channel": "C0GENERAL",
            },
        }
    )
    if case == "forged":
        resp = httpx.post(
            bot.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=" + "0" * 64,
            },
            timeout=10,
        )
    elif case == "wrong_secret":
        resp = bot.post(body, "application/json", secret="not-the-secret")
    elif case == "old_timestamp":  # a correctly signed request replayed 6 minutes later
        resp = bot.post(body, "application/json", timestamp=int(time.time()) - 360)
    else:
        resp = httpx.post(bot.url, content=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 401
    quiet_check(bot)
    later = [c.method for c in bot.fake.calls[before:] if c.args.get("channel") != "C0SENTINEL"]
    assert later == [] and bot.assistant.asked == [("Hội nghị diễn ra ở đâu?", None)]
    # and the rejected event id was not remembered: the genuine delivery is still answered
    bot.event(
        {
            "type": "app_mention",
            "user": "UASKER",
            "text": msg["text"],
            "ts": msg["ts"],
            "channel": "C0GENERAL",
        },
        event_id="EvFORGED",
    )
    assert bot.fake.wait_for("chat.postMessage", 2)[-1].args["channel"] == "C0GENERAL"


def test_rate_limited_post_is_retried_after_waiting(bot):
    bot.fake.rate_limit_once("chat.postMessage")
    bot.mention(QUESTION)
    [post] = bot.fake.wait_for("chat.postMessage")
    [limited] = [c for c in bot.fake.calls if c.method == "chat.postMessage" and c.status == 429]
    assert post.at - limited.at >= 1.0  # waited Retry-After: 1
    assert CHAIRS[0] in post.args["text"]


def test_feedback_buttons_store_ratings(bot):
    msg, _ = bot.mention(QUESTION)
    [post] = bot.fake.wait_for("chat.postMessage")
    actions = post.args["blocks"][-1]
    up = next(e for e in actions["elements"] if e["action_id"] == ACTION_UP)
    message = bot.fake.messages["C0GENERAL"][-1]  # the answer as Slack stored it
    assert bot.click(ACTION_UP, up["value"], message=message).status_code == 200
    [thanks] = bot.fake.wait_for("chat.postEphemeral")
    assert thanks.args["user"] == "UASKER" and thanks.args["thread_ts"] == msg["ts"] and "Cảm ơn" in thanks.args["text"]
    [row] = bot.feedback.rows()
    assert row["rating"] == 1 and row["user"] == "UASKER" and row["channel"] == "C0GENERAL"
    assert row["question"] == QUESTION and all(name in row["answer"]["answer"] for name in CHAIRS)
    assert row["answer"]["citations"] and row["extra"] == {"front_end": "slack"}


def test_slash_command_is_ephemeral_and_can_be_shared(bot):
    fields = {
        "token": "legacy",
        "team_id": TEAM_ID,
        "team_domain": "hoidap-test",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": "UASKER",
        "user_name": "asker",
        "command": "/hoidap",
        "text": QUESTION,
        "api_app_id": "AHOIDAP",
        "response_url": bot.fake.response_url("cmd"),
        "trigger_id": "1.2.3",
    }
    resp = bot.form(fields)
    assert resp.status_code == 200 and resp.text == ""  # acknowledged at once, answer follows
    [reply] = bot.fake.wait_for("response_url")
    assert reply.path == "/response/cmd" and reply.args["response_type"] == "ephemeral"
    blocks = texts(reply.args["blocks"])
    assert all(name in blocks for name in CHAIRS) and "*Nguồn*" in blocks
    share = next(e for e in reply.args["blocks"][-1]["elements"] if e["action_id"] == ACTION_SHARE)
    assert bot.fake.calls_to("chat.postMessage") == []  # nobody else sees it yet

    bot.click(ACTION_SHARE, share["value"], ephemeral=True, hook="share")
    [public] = bot.fake.wait_for("chat.postMessage")
    assert public.args["channel"] == "C0GENERAL" and "<@UASKER>" in texts(public.args["blocks"])
    assert all(name in public.args["text"] for name in CHAIRS)
    deleted = bot.fake.wait_for("response_url", 2)[-1]
    assert deleted.path == "/response/share" and deleted.args.get("delete_original") is True


def test_empty_mention_gets_usage_hint(bot):
    msg = bot.fake.add_message("C0GENERAL", f"<@{BOT_USER_ID}>")
    bot.event(
        {
            "type": "app_mention",
            "user": "UASKER",
            "text": msg["text"],
            "ts": msg["ts"],
            "channel": "C0GENERAL",
        }
    )
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == msg["ts"] and "Thái Nguyên" in post.args["text"]
    assert bot.assistant.asked == []


def test_missing_or_rejected_credentials_give_clear_errors(tmp_path, caplog):
    with FakeSlackAPI() as fake:
        with pytest.raises(HoidapError, match="SLACK_BOT_TOKEN is not set"):
            create_app(settings_for(tmp_path, fake, SLACK_BOT_TOKEN=None), None)
        with pytest.raises(HoidapError, match="SLACK_SIGNING_SECRET is not set"):
            create_app(settings_for(tmp_path, fake, SLACK_SIGNING_SECRET=None), None)
        bad = "xoxb-9999-wrong-token"
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(HoidapError, match="invalid_auth") as err:
                create_app(settings_for(tmp_path, fake, SLACK_BOT_TOKEN=bad), None)
        assert bad not in str(err.value) and bad not in caplog.text
        closed = fake.base  # a port nothing listens on once the fake has stopped
    with pytest.raises(HoidapError, match="cannot reach the Slack Web API") as err:
        create_app(
            Settings(
                HOIDAP_HOME=tmp_path,
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=closed.replace("//", "//user:pw@") + "/api/",
            ),
            None,
        )
    assert "pw" not in str(err.value) and BOT_TOKEN not in str(err.value)


def test_tokens_never_logged(bot, caplog):
    with caplog.at_level(logging.DEBUG):
        bot.mention(QUESTION)
        bot.fake.wait_for("reactions.remove")
        bot.post("{}", "application/json", secret="forged")
    assert caplog.text and BOT_TOKEN not in caplog.text and SECRET not in caplog.text
