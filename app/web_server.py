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

from uvicorn.protocols.http.auto import AutoHTTPProtocol

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


def server(app, host: str, port: int):
    """A uvicorn server for ``app`` with the guards above (not started)."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", http=GuardedHTTP, timeout_keep_alive=5)
    return uvicorn.Server(config)
