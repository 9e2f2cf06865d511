"""The Slack front end: a slack-bolt app that forwards questions to the assistant.

Thin on purpose: layout lives in ``app.slack.format``, answering in the assistant, ratings in
``app.feedback``. What is here is Slack plumbing:

- Events (app_mention, message.im) are acknowledged at once by Bolt and answered on its
  listener thread pool, so Slack never waits (it retries after 3 s). Retries and the duplicate
  app_mention/message pair Slack may send for one message are dropped by event id and by the
  message's (channel, ts).
- Answers are serialised by a lock: the retriever and embedder are not meant for concurrent use
  and two CPU cores gain nothing from it.
- HTTP mode runs Bolt's own ASGI handler under uvicorn, so signature checks and the 5-minute
  timestamp rule are Bolt's code; Socket Mode uses Bolt's built-in client.
- The Web API client retries once on 429 after Retry-After (slack_sdk's retry handler).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from pathlib import Path

from app.feedback import FeedbackStore
from app.schema import Answer
from app.settings import Settings
from app.slack.format import (
    ACTION_DOWN,
    ACTION_SHARE,
    ACTION_UP,
    answer_messages,
    guess_language,
    labels,
    notice_message,
    plain_text,
)
from ingest.errors import HoidapError

log = logging.getLogger(__name__)

# message subtypes that are still a person asking: a plain message, a thread reply also sent
# to the channel, a message with a file attached
_PEOPLE_SUBTYPES = (None, "thread_broadcast", "file_share")
HISTORY_TURNS = 10  # earlier thread messages handed to the assistant as conversation
SEEN_DB = "slack_seen.sqlite"  # under HOIDAP_HOME


class SeenEvents:
    """Recently seen keys (event ids, message timestamps), kept on disk for ``ttl`` seconds.

    On disk so that Slack's retries of an event (after 1 and 5 minutes) are still recognised
    when the bot was restarted in between. SQLite makes a claim one atomic insert, safe from
    Bolt's listener threads and from a second bot process on the same home.
    """

    def __init__(self, path: Path | None, ttl: float = 900.0):
        import sqlite3

        self._ttl = ttl
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path or ":memory:"), check_same_thread=False, isolation_level=None,
                                   timeout=10)
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")

    def claim(self, key: str) -> bool:
        """True the first time ``key`` is seen (within ``ttl``), False for repeats."""
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM seen WHERE at < ?", (now - self._ttl,))
            return self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (key, now)).rowcount == 1


def check_settings(settings: Settings) -> None:
    """Fail early, with what to set, when the Slack credentials for the chosen mode are missing."""
    if not settings.slack_bot_token:
        raise HoidapError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) of your Slack app")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise HoidapError(
            "SLACK_SIGNING_SECRET is not set: copy it from Basic Information of your Slack app "
            "(or set SLACK_APP_TOKEN to use Socket Mode)"
        )


def _web_client(settings: Settings):
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(
        token=settings.slack_bot_token,
        base_url=base_url,
        retry_handlers=[ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=2)],
    )


def create_app(settings: Settings, assistant, feedback: FeedbackStore | None = None):
    """A configured ``slack_bolt.App``; checks the bot token with auth.test right away."""
    check_settings(settings)
    from slack_bolt import App, BoltResponse
    from slack_bolt.error import BoltError

    feedback = feedback or FeedbackStore(settings.feedback_db)
    client = _web_client(settings)
    try:
        app = App(
            client=client,
            signing_secret=settings.slack_signing_secret or "",
            # a SLACK_CLIENT_ID in the environment must not switch Bolt into OAuth mode
            oauth_settings=None,
            process_before_response=False,
        )
    except BoltError as e:
        # Bolt's message carries the auth.test reply (never the token itself)
        raise HoidapError(f"Slack did not accept SLACK_BOT_TOKEN: {e}") from e
    except Exception as e:
        raise HoidapError(f"cannot reach the Slack Web API at {_public_url(client.base_url)}: {e}") from e

    bot = _Bot(assistant, feedback, seen=SeenEvents(settings.home / SEEN_DB))

    @app.middleware
    def drop_retries(body: dict, next, logger) -> BoltResponse | None:
        event_id = body.get("event_id")
        if event_id and not bot.seen.claim(f"event:{event_id}"):
            logger.info("dropping a repeated delivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        return next()

    @app.event("app_mention")
    def on_mention(event: dict, client, context) -> None:
        # a mention in a DM may also arrive as message.im: the (channel, ts) claim answers it once
        bot.on_message(event, client, context)

    @app.event("message")
    def on_message(event: dict, client, context) -> None:
        if event.get("channel_type") == "im":
            bot.on_message(event, client, context)

    @app.command("/hoidap")
    def on_command(ack, command: dict, respond) -> None:
        ack()
        bot.on_command(command, respond)

    @app.action(re.compile(f"^({ACTION_UP}|{ACTION_DOWN})$"))
    def on_feedback(ack, body: dict, action: dict, respond, client) -> None:
        ack()
        bot.on_feedback(body, action, respond, client)

    @app.action(ACTION_SHARE)
    def on_share(ack, body: dict, action: dict, respond, client) -> None:
        ack()
        bot.on_share(body, action, respond, client)

    return app


class _Bot:
    def __init__(self, assistant, feedback: FeedbackStore, seen: SeenEvents | None = None):
        self.assistant = assistant
        store = getattr(getattr(assistant, "retriever", None), "store", None)
        # what is indexed, for the usage hint's example (nothing known: the sample's example)
        self.articles = store.catalog.articles if store is not None else list
        self.feedback = feedback
        self.seen = seen or SeenEvents(None)
        self._answer_lock = threading.Lock()

    def answer(self, question: str, history: list[dict] | None = None) -> Answer | dict:
        """The assistant's Answer, or a notice message when it could not answer."""
        language = guess_language(question)
        try:
            with self._answer_lock:
                return self.assistant.answer(question, history=history or None)
        except HoidapError as e:
            return notice_message(str(e))
        except Exception:
            log.exception("answering failed")
            return notice_message(labels(language)["failed"])

    def on_message(self, event: dict, client, context) -> None:
        if event.get("subtype") not in _PEOPLE_SUBTYPES or event.get("bot_id") or not event.get("user"):
            return  # bots (ourselves included), edits, deletions, joins
        channel, ts = event["channel"], event["ts"]
        if not self.seen.claim(f"msg:{channel}:{ts}"):
            return
        question = plain_text(event.get("text") or "")
        root = event.get("thread_ts") or ts
        if not question:
            hint = notice_message(_usage(question, self.articles()))
            client.chat_postMessage(channel=channel, thread_ts=root, **hint)
            return
        _react(client, "reactions_add", channel, ts)
        try:
            history = self.history(client, context, channel, root, ts) if root != ts else []
            result = self.answer(question, history)
            for message in self._messages(result, channel, question, history=history):
                client.chat_postMessage(channel=channel, thread_ts=root, **message)
        finally:
            _react(client, "reactions_remove", channel, ts)

    def history(self, client, context, channel: str, root: str, before: str) -> list[dict]:
        """Earlier messages of the thread as ``[{"role", "content"}]``, oldest first."""
        from slack_sdk.errors import SlackApiError

        try:
            reply = client.conversations_replies(channel=channel, ts=root, limit=100)
        except SlackApiError as e:  # e.g. a missing *:history scope: answer without context
            log.warning("cannot read the thread: %s", e.response.get("error"))
            return []
        turns: list[dict] = []
        for msg in reply.get("messages") or []:
            if float(msg.get("ts", "0")) >= float(before) or msg.get("subtype") not in (
                *_PEOPLE_SUBTYPES,
                "bot_message",
            ):
                continue
            mine = msg.get("user") == context.bot_user_id or (msg.get("bot_id") and msg["bot_id"] == context.bot_id)
            if msg.get("bot_id") and not mine:
                continue  # other bots are not part of this conversation
            content = plain_text(msg.get("text") or "")
            if not content:
                continue
            role = "assistant" if mine else "user"
            if turns and turns[-1]["role"] == role == "assistant":
                turns[-1]["content"] += "\n" + content  # a long answer posted as several messages
            else:
                turns.append({"role": role, "content": content})
        return turns[-HISTORY_TURNS:]

    def _messages(self, result: Answer | dict, channel: str, question: str, history=None, **kw) -> list[dict]:
        if not isinstance(result, Answer):
            return [result]
        # the thread so far travels with the ratings: a follow-up question means little without it
        extra = {"front_end": "slack", "history": history} if history else {"front_end": "slack"}
        answer_id = self.feedback.remember(channel, question, result.to_json(), extra=extra)
        return answer_messages(result, answer_id, **kw)

    def on_command(self, command: dict, respond) -> None:
        question = (command.get("text") or "").strip()
        if not question:
            respond(response_type="ephemeral", **notice_message(_usage(question, self.articles())))
            return
        result = self.answer(question)
        for message in self._messages(result, command.get("channel_id", ""), question, share=True):
            respond(response_type="ephemeral", **message)

    def on_feedback(self, body: dict, action: dict, respond, client) -> None:
        rating = 1 if action["action_id"] == ACTION_UP else -1
        user = body.get("user", {}).get("id")
        channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")
        try:
            self.feedback.rate(action["value"], rating, user=user, channel=channel)
            stored = self.feedback.recall(action["value"])
            words = labels(stored["answer"].get("language") if stored else None)
            text = words["thanks"]
        except KeyError:
            text = labels(None)["expired"]
        container = body.get("container") or {}
        if container.get("is_ephemeral") or not channel:
            respond(response_type="ephemeral", replace_original=False, **notice_message(text))
            return
        thread = (body.get("message") or {}).get("thread_ts") or container.get("thread_ts")
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, **notice_message(text))

    def on_share(self, body: dict, action: dict, respond, client) -> None:
        from slack_sdk.errors import SlackApiError

        stored = self.feedback.recall(action["value"])
        if stored is None:
            respond(response_type="ephemeral", replace_original=False, **notice_message(labels(None)["expired"]))
            return
        answer = Answer.model_validate(stored["answer"])
        channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")
        user = body.get("user", {}).get("id")
        try:
            for message in answer_messages(answer, action["value"], asked_by=user):
                client.chat_postMessage(channel=channel, **message)
        except SlackApiError as e:
            log.warning("sharing failed: %s", e.response.get("error"))
            respond(
                response_type="ephemeral",
                replace_original=False,
                **notice_message(labels(answer.language)["share_failed"]),
            )
            return
        respond(delete_original=True)


def _public_url(url: str) -> str:
    """``url`` without any user:password part (an enterprise proxy URL may carry one)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))


def _usage(question: str, articles: list[dict] | None = None) -> str:
    """The usage hint; its example is about the indexed articles (the sample's when it is indexed)."""
    from app.settings import SAMPLE_CORPUS
    from app.web.chat_text import EXAMPLES, examples_for

    lab = labels(guess_language(question))
    drawn = examples_for(articles or [], {p.name for p in SAMPLE_CORPUS.iterdir() if p.is_file()})
    example = drawn[0] if drawn and drawn is not EXAMPLES else lab["example"]
    return lab["usage"].format(example=example)


def _react(client, method: str, channel: str, ts: str) -> None:
    """The 👀 "working on it" marker; a failure here must never cost the answer."""
    from slack_sdk.errors import SlackApiError

    try:
        getattr(client, method)(channel=channel, timestamp=ts, name="eyes")
    except SlackApiError as e:
        log.info("%s failed: %s", method, e.response.get("error"))


def build_http_server(app, port: int = 3000, host: str = "0.0.0.0", path: str = "/slack/events"):
    """A uvicorn server running Bolt's ASGI handler at ``path`` (not started)."""
    import uvicorn
    from slack_bolt import BoltResponse
    from slack_bolt.adapter.asgi import SlackRequestHandler
    from slack_bolt.request import BoltRequest

    class _Handler(SlackRequestHandler):
        # Bolt's handler runs App.dispatch (blocking until ack) on the event loop; a worker
        # thread keeps one slow request from stalling the others.
        async def dispatch(self, request):
            stamp = request.get_headers().get("x-slack-request-timestamp")
            if stamp is not None and not (stamp.isascii() and stamp.strip().isdigit()):  # Bolt would int() it: a 500
                return BoltResponse(status=401, body='{"error": "invalid request"}')
            body = await request.get_raw_body()
            bolt_request = BoltRequest(body=body, query=request.query_string, headers=request.get_headers())
            return await asyncio.to_thread(self.app.dispatch, bolt_request)

    config = uvicorn.Config(_Handler(app, path=path), host=host, port=port, lifespan="off", log_level="info")
    return uvicorn.Server(config)


def socket_mode_handler(app, settings: Settings):
    """Bolt's Socket Mode handler for ``app`` (not connected); its Web API calls use SLACK_API_URL."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token=settings.slack_app_token)


def serve(settings: Settings, assistant, port: int = 3000, host: str = "0.0.0.0") -> None:
    """Run the bot until interrupted: Socket Mode if SLACK_APP_TOKEN is set, else HTTP on ``port``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings, assistant)
    if settings.slack_app_token:
        log.info("connecting to Slack in Socket Mode")
        socket_mode_handler(app, settings).start()
        return
    log.info("listening for Slack events on http://%s:%d/slack/events", host, port)
    build_http_server(app, port=port, host=host).run()
