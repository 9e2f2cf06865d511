"""The HTTP server under the chat: uvicorn, with the limits it does not set itself.

uvicorn times out only idle keep-alive connections. A client that sends part of a request and
waits (slow-loris), or trickles a body, holds its connection open for ever, and enough of them
starve the server. ``GuardedHTTP`` closes a connection whose request head is not complete
``HEAD_TIMEOUT`` seconds after it began, or whose body stops arriving for ``BODY_IDLE_TIMEOUT``;
a request being answered (a long SSE stream included) is never cut. ``BodyLimit`` refuses a
request body over ``MAX_BODY`` bytes before the JSON is parsed (uploads have Gradio's own limit).
"""

from __future__ import annotations

import asyncio
import errno
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from ingest.errors import HoidapError

HEAD_TIMEOUT = 10.0
BODY_IDLE_TIMEOUT = 15.0
MAX_BODY = 4_000_000
_TICK = 1.0


class GuardedHTTP(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol plus deadlines for receiving a request (see the module docstring)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._last = self._head_since = self.loop.time()
        self._tick: asyncio.TimerHandle | None = self.loop.call_later(_TICK, self._check)

    def data_received(self, data: bytes) -> None:
        now = self._last = self.loop.time()
        if self._between_requests() and self._head_since is None:
            self._head_since = now
        super().data_received(data)
        if not self._between_requests():
            self._head_since = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        super().connection_lost(exc)

    def _between_requests(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _check(self) -> None:
        self._tick = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:  # closed, or a websocket now
            return
        now = self.loop.time()
        if self._between_requests():
            stalled = self._head_since is not None and now - self._head_since > HEAD_TIMEOUT
        else:
            stalled = self.cycle.more_body and now - self._last > BODY_IDLE_TIMEOUT
        if stalled:
            self.transport.close()
            return
        self._tick = self.loop.call_later(_TICK, self._check)


class BodyLimit:
    """ASGI middleware: at most ``limit`` bytes of request body, except on Gradio's upload route."""

    def __init__(self, app, limit: int = MAX_BODY, exempt: tuple[str, ...] = ("/gradio_api/upload",)) -> None:
        self.app, self.limit, self.exempt = app, limit, exempt

    def _message(self) -> str:
        return f"request body too large: the limit is {self.limit:,} bytes"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            return await self._refuse(scope, receive, send)
        seen, refused = 0, False

        async def limited():
            # a chunked body names no length up front: count it, and once over the limit answer 413
            # and tell the app the client has gone, so it stops reading and its reply is dropped
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                refused = True
                await self._refuse(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def guarded(message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited, guarded)

    async def _refuse(self, scope, receive, send) -> None:
        from starlette.responses import JSONResponse

        body = {"error": {"message": self._message(), "type": "invalid_request_error", "code": 413}}
        await JSONResponse(body, status_code=413)(scope, receive, send)


class ErrorShape:
    """ASGI middleware: a 404 or 405 with FastAPI's ``{"detail": ...}`` body (from a route nobody
    registered, often under Gradio's mount) gets the API's ``{"error": {"message": ...}}`` shape."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        held: dict | None = None
        body = b""

        async def reshaped(message) -> None:
            nonlocal held, body
            if message["type"] == "http.response.start":
                kind = dict(message.get("headers") or []).get(b"content-type", b"")
                if message["status"] in (404, 405) and kind.startswith(b"application/json"):
                    held = message
                    return
            elif held is not None and message["type"] == "http.response.body":
                body += message.get("body", b"")
                if message.get("more_body"):
                    return
                await _send_reshaped(send, held, body, scope)
                return
            await send(message)

        await self.app(scope, receive, reshaped)


async def _send_reshaped(send, start: dict, body: bytes, scope) -> None:
    import json

    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str):
        status = start["status"]
        text = f"{detail}: {scope.get('method', '')} {scope.get('path', '')}".strip()
        body = json.dumps({"error": {"message": text, "type": "invalid_request_error", "code": status}}).encode()
        headers = [(k, v) for k, v in start.get("headers") or [] if k != b"content-length"]
        start = {**start, "headers": headers + [(b"content-length", str(len(body)).encode())]}
    await send(start)
    await send({"type": "http.response.body", "body": body})


class PortInUse(HoidapError):
    """The chat's port is taken (another hoidap chat, or another program)."""

    exit_code = 5


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port for uvicorn, opened before anything slow starts, so a port in
    use is one line at once (uvicorn would say "[Errno 98]" after the index has loaded)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a TIME_WAIT port is free
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} on {host} is already in use (another hoidap chat?): stop that program "
                            f"or choose another port with --port") from e
        raise PortInUse(f"cannot listen on {host}:{port}: {e.strerror or e}; choose another --port or --host") from e
    sock.set_inheritable(True)
    return sock


def server(app, host: str, port: int):
    """A uvicorn server for ``app`` with the guards above (not started)."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", http=GuardedHTTP, timeout_keep_alive=5)
    return uvicorn.Server(config)
