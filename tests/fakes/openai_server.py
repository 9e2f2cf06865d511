"""A stand-in LLM server on loopback, speaking the real wire protocols with scripted replies.

No LLM weights can run here, so tests talk to this over real HTTP instead: the OpenAI chat
completions API (JSON, and ``stream=true`` server-sent events ending in ``data: [DONE]``),
``GET /v1/models``, and Ollama's native ``/api/chat`` (JSON, or NDJSON lines when
streaming). Replies come from a queue or from a function of the request body; every request
body is recorded. A reply can also fail the way real servers do: an HTTP error status, a
hang past the client's timeout (released as soon as the server stops, so tests stay quick),
a malformed body, or a stream that stalls half-way.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    content: str = ""
    status: int = 200  # anything else is sent as an OpenAI/Ollama-style error body
    hang: float = 0.0  # seconds to wait before answering
    malformed: bool = False  # a 200 whose body is not valid JSON
    stall_after: int | None = None  # streaming: hang (for ``hang`` s) after this many chunks
    chunks: list[str] | None = None  # streaming pieces; default: word by word

    def pieces(self) -> list[str]:
        return self.chunks if self.chunks is not None else re.findall(r"\s*\S+", self.content)


Script = Callable[[dict], "Reply | str"]


class FakeLLMServer:
    """``with FakeLLMServer(["answer [1]"]) as server: ... server.openai_url ...``"""

    def __init__(self, replies: Iterable[Reply | str] | Script = (), model: str = "fake-model"):
        self.model = model
        self.script: Script | None = replies if callable(replies) else None
        self.queue: deque[Reply | str] = deque() if callable(replies) else deque(replies)
        self.requests: list[dict] = []  # {"path": str, "body": dict | None}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        return self.url + "/v1"

    # -- scripting ---------------------------------------------------------------------------

    def push(self, *replies: Reply | str) -> None:
        with self._lock:
            self.queue.extend(replies)

    def bodies(self, path: str = "/v1/chat/completions") -> list[dict]:
        return [r["body"] for r in self.requests if r["path"] == path]

    def _next_reply(self, path: str, body: dict) -> Reply:
        with self._lock:
            self.requests.append({"path": path, "body": body})
            if self.script is not None:
                reply = self.script(body)
            elif self.queue:
                reply = self.queue.popleft()
            else:
                reply = Reply(status=500, content="no scripted reply left")
        return Reply(content=reply) if isinstance(reply, str) else reply


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer  # set on the per-server subclass

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._json(
                200,
                {
                    "object": "list",
                    "data": [{"id": self.fake.model, "object": "model", "created": 0, "owned_by": "fake"}],
                },
            )
        elif self.path == "/api/tags":
            self._json(200, {"models": [{"name": self.fake.model, "model": self.fake.model}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        if self.path not in ("/v1/chat/completions", "/api/chat"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        ollama = self.path == "/api/chat"
        reply = self.fake._next_reply(self.path, body)
        if reply.hang and reply.stall_after is None and self.fake._stopping.wait(reply.hang):
            return
        try:
            if reply.status != 200:
                error = reply.content or "internal error"
                self._json(
                    reply.status,
                    {"error": error}
                    if ollama
                    else {"error": {"message": error, "type": "server_error", "code": None}},
                )
            elif reply.malformed:
                self._raw(200, "application/json", b'{"id": "chatcmpl-1", "choices": [{"mess')
            elif ollama:
                self._ollama(body, reply)
            else:
                self._openai(body, reply)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
            pass

    # -- protocols ---------------------------------------------------------------------------

    def _openai(self, body: dict, reply: Reply) -> None:
        base = {"id": "chatcmpl-fake", "created": int(time.time()), "model": body.get("model", "")}
        if not body.get("stream"):
            self._json(
                200,
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.content},
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )
            return
        self._start_stream("text/event-stream")
        chunk = {**base, "object": "chat.completion.chunk"}
        self._event(chunk, {"role": "assistant", "content": ""}, None)
        for i, piece in enumerate(reply.pieces()):
            if reply.stall_after == i and self.fake._stopping.wait(reply.hang):
                return
            self._event(chunk, {"content": piece}, None)
        self._event(chunk, {}, "stop")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, chunk: dict, delta: dict, finish: str | None) -> None:
        data = {**chunk, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        self.wfile.write(f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())
        self.wfile.flush()

    def _ollama(self, body: dict, reply: Reply) -> None:
        base = {"model": body.get("model", ""), "created_at": "2024-01-01T00:00:00Z"}
        done = {
            **base,
            "done": True,
            "done_reason": "stop",
            "total_duration": 1,
            "prompt_eval_count": 1,
            "eval_count": 1,
        }
        if body.get("stream") is False:
            self._json(200, {**done, "message": {"role": "assistant", "content": reply.content}})
            return
        self._start_stream("application/x-ndjson")
        for i, piece in enumerate(reply.pieces()):
            if reply.stall_after == i and self.fake._stopping.wait(reply.hang):
                return
            self._line({**base, "message": {"role": "assistant", "content": piece}, "done": False})
        self._line({**done, "message": {"role": "assistant", "content": ""}})

    def _line(self, data: dict) -> None:
        self.wfile.write((json.dumps(data, ensure_ascii=False) + "\n").encode())
        self.wfile.flush()

    # -- plumbing ----------------------------------------------------------------------------

    def _start_stream(self, content_type: str) -> None:
        # HTTP/1.0 without Content-Length: the body ends when the connection closes
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def _json(self, status: int, data: dict) -> None:
        self._raw(status, "application/json", json.dumps(data, ensure_ascii=False).encode())

    def _raw(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
