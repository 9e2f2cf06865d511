"""A small stand-in for Slack's Web API (the one part of Slack that cannot run here).

It speaks the wire protocol slack_sdk uses: ``POST/GET /api/<method>`` with a Bearer token,
form- or JSON-encoded arguments, and Slack-shaped JSON replies (HTTP 200 with ``ok: false``
for API errors, HTTP 429 with ``Retry-After`` when rate limited). It keeps posted messages,
so ``conversations.replies`` returns a thread the way Slack would, and records every call
(including POSTs to ``response_url``s) for tests to assert on.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

BOT_TOKEN = "xoxb-0000-fake-bot-token"
APP_TOKEN = "xapp-1-fake-app-token"
BOT_USER_ID = "UHOIDAPBOT"
BOT_ID = "BHOIDAPBOT"
TEAM_ID = "T0HOIDAP"


@dataclass
class Call:
    method: str  # "chat.postMessage", ... or "response_url"
    args: dict
    status: int  # HTTP status the fake answered with
    at: float = field(default_factory=time.monotonic)
    path: str = ""


class FakeSlackAPI:
    def __init__(self, token: str = BOT_TOKEN, app_token: str = APP_TOKEN):
        self.token, self.app_token = token, app_token
        self.socket_url: str | None = None  # what apps.connections.open hands out
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict]] = {}  # channel -> messages
        self._rate_limited: set[str] = set()
        self._cond = threading.Condition()
        self._clock = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> "FakeSlackAPI":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                fake._handle(self)

            def do_POST(self):
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def response_url(self, name: str = "hook") -> str:
        return f"{self.base}/response/{name}"

    # -- test controls ----------------------------------------------------------------------

    def rate_limit_once(self, method: str) -> None:
        """The next call to ``method`` gets HTTP 429 with ``Retry-After: 1``."""
        with self._cond:
            self._rate_limited.add(method)

    def next_ts(self) -> str:
        # Slack timestamps are "seconds.micro" strings, unique per channel and increasing
        return f"{1_700_000_000 + next(self._clock)}.000100"

    def add_message(self, channel: str, text: str, user: str = "UASKER", thread_ts: str | None = None, **extra) -> dict:
        """Put a message in the channel as if a person had posted it; returns the message."""
        msg = {"type": "message", "user": user, "text": text, "ts": self.next_ts(), **extra}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        with self._cond:
            self.messages.setdefault(channel, []).append(msg)
        return msg

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method and c.status == 200]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0, where=None) -> list[Call]:
        """Block until ``count`` successful calls to ``method`` (matching ``where(call)`` if given)
        were recorded; a bounded wait that fails with the calls seen so far."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method and c.status == 200 and (not where or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"waited {timeout}s for {count} x {method}; calls so far: {seen}")
                self._cond.wait(left)

    # -- wire protocol ----------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        args = dict(parse_qsl(url.query))
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length).decode("utf-8") if length else ""
        if raw:
            if "json" in (req.headers.get("Content-Type") or ""):
                args.update(json.loads(raw))
            else:
                args.update(parse_qsl(raw))
        for key in ("blocks", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])

        if url.path.startswith("/response/"):
            return self._reply(req, Call("response_url", args, 200, path=url.path), {"ok": True})
        if not url.path.startswith("/api/"):
            return self._reply(req, Call("?", args, 404, path=url.path), {"ok": False, "error": "not_found"})
        method = url.path[len("/api/") :]
        with self._cond:
            limited = method in self._rate_limited
            self._rate_limited.discard(method)
        if limited:
            body = {"ok": False, "error": "ratelimited"}
            return self._reply(req, Call(method, args, 429, path=url.path), body, headers={"Retry-After": "1"})
        # Socket Mode's apps.connections.open takes the app-level token, everything else the bot token
        token = self.app_token if method == "apps.connections.open" else self.token
        if req.headers.get("Authorization") != f"Bearer {token}":
            return self._reply(req, Call(method, args, 200, path=url.path), {"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        body = handler(args) if handler else {"ok": False, "error": "unknown_method"}
        self._reply(req, Call(method, args, 200, path=url.path), body)

    def _reply(self, req, call: Call, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        req.send_response(call.status)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            req.send_header(key, value)
        req.end_headers()
        req.wfile.write(data)
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _api_auth_test(self, args: dict) -> dict:
        return {
            "ok": True,
            "url": "https://hoidap-test.slack.com/",
            "team": "hoidap-test",
            "user": "hoidap",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _api_apps_connections_open(self, args: dict) -> dict:
        if not self.socket_url:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_url}

    def _api_chat_postMessage(self, args: dict) -> dict:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        msg = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
            "ts": self.next_ts(),
        }
        if args.get("thread_ts"):
            msg["thread_ts"] = args["thread_ts"]
        with self._cond:
            self.messages.setdefault(channel, []).append(msg)
        return {"ok": True, "channel": channel, "ts": msg["ts"], "message": msg}

    def _api_chat_postEphemeral(self, args: dict) -> dict:
        if not args.get("channel") or not args.get("user"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "message_ts": self.next_ts()}

    def _api_chat_update(self, args: dict) -> dict:
        with self._cond:
            for msg in self.messages.get(args.get("channel"), []):
                if msg["ts"] == args.get("ts"):
                    msg.update(text=args.get("text", msg["text"]), blocks=args.get("blocks", msg.get("blocks")))
                    return {"ok": True, "channel": args["channel"], "ts": msg["ts"], "text": msg["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _find(self, channel: str | None, ts: str | None) -> dict | None:
        return next((m for m in self.messages.get(channel or "", []) if m["ts"] == ts), None)

    def _api_reactions_add(self, args: dict) -> dict:
        with self._cond:
            msg = self._find(args.get("channel"), args.get("timestamp"))
            if msg is None:
                return {"ok": False, "error": "message_not_found"}
            names = msg.setdefault("reactions", [])
            if args.get("name") in names:
                return {"ok": False, "error": "already_reacted"}
            names.append(args.get("name"))
        return {"ok": True}

    def _api_reactions_remove(self, args: dict) -> dict:
        with self._cond:
            msg = self._find(args.get("channel"), args.get("timestamp"))
            if msg is None:
                return {"ok": False, "error": "message_not_found"}
            if args.get("name") not in msg.get("reactions", []):
                return {"ok": False, "error": "no_reaction"}
            msg["reactions"].remove(args.get("name"))
        return {"ok": True}

    def _api_conversations_replies(self, args: dict) -> dict:
        root = args.get("ts")
        with self._cond:
            thread = [
                m
                for m in self.messages.get(args.get("channel") or "", [])
                if m["ts"] == root or m.get("thread_ts") == root
            ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        thread.sort(key=lambda m: float(m["ts"]))
        return {"ok": True, "messages": thread, "has_more": False, "response_metadata": {"next_cursor": ""}}


class FakeSocketMode:
    """Slack's Socket Mode endpoint: a WebSocket that says hello, pushes envelopes and
    collects the client's acknowledgements (``{"envelope_id": ...}``)."""

    def __init__(self):
        self.acks: list[dict] = []
        self._conns: list = []
        self._cond = threading.Condition()
        self._server = None

    def start(self) -> "FakeSocketMode":
        from websockets.sync.server import serve

        self._server = serve(self._session, "127.0.0.1", 0, compression=None)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=fake-ticket&app_id=AHOIDAP"

    def _session(self, conn) -> None:
        conn.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "AHOIDAP"},
                    "debug_info": {"host": "fake"},
                }
            )
        )
        with self._cond:
            self._conns.append(conn)
            self._cond.notify_all()
        from websockets.exceptions import ConnectionClosed

        try:
            for raw in conn:
                with self._cond:
                    self.acks.append(json.loads(raw))
                    self._cond.notify_all()
        except ConnectionClosed:
            pass  # the client hung up without a close frame, as slack_sdk's client does
        finally:
            with self._cond:
                self._conns.remove(conn)

    def push(self, payload: dict, kind: str = "events_api", retry_attempt: int = 0, timeout: float = 15) -> str:
        """Deliver ``payload`` to the connected client the way Slack does; returns the envelope id."""
        envelope_id = f"env-{next(_envelopes)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._conns:
                assert self._cond.wait(deadline - time.monotonic()), "no Socket Mode client connected"
            conn = self._conns[-1]
        conn.send(json.dumps(envelope, ensure_ascii=False))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ack in self.acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
                left = deadline - time.monotonic()
                assert left > 0, f"no ack for {envelope_id}; acks: {self.acks}"
                self._cond.wait(left)


_envelopes = itertools.count(1)
