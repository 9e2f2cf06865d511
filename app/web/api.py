"""JSON APIs on the chat server: ``/api/ask``, an OpenAI-compatible ``/v1/chat/completions``, ``/healthz``.

The OpenAI shape lets Open WebUI, LibreChat or the ``openai`` client use hoidap as a model.
Such clients only show message text, so citations travel twice: as ``[n]`` plus a "Sources:"
list in the text, and structured in an extra top-level ``citations`` field. Every error is
``{"error": {"message": ...}}`` with a status code (400 bad question, 503 index trouble);
a traceback never reaches the client. With ``stream: true`` the finished, citation-checked
answer is sent in pieces: an LLM's provisional tokens may carry markers the check later drops,
and an SSE client cannot take back text it has shown (the chat page can, and streams tokens).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.web.format import iso_date, openai_content, pieces
from index.types import Filters
from ingest.errors import BadQuestion, HoidapError, IndexMismatch, IndexUnavailable

log = logging.getLogger(__name__)
MODEL_ID = "hoidap"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Earlier turns only help read a follow-up question; a long history only costs time (100 MB of it
# once took 208 s to answer), so it is refused rather than silently cut.
MAX_HISTORY_MESSAGES = 100
MAX_HISTORY_BYTES = 200_000


class Turn(BaseModel):
    role: str
    content: Any = ""


class FilterIn(BaseModel):
    # an unknown key (a typo) must not be dropped: the answer would be unfiltered, silently
    model_config = ConfigDict(extra="forbid")

    source: str | None = None
    province: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    event_year: int | None = Field(default=None, ge=1000, le=9999)
    event_month: int | None = Field(default=None, ge=1, le=12)

    @field_validator("date_from", "date_to")
    @classmethod
    def _date(cls, v: str | None, info: ValidationInfo) -> str | None:
        return iso_date(v, end=info.field_name == "date_to") if v is not None and v.strip() else None

    @model_validator(mode="after")
    def _order(self) -> FilterIn:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self


class AskIn(BaseModel):
    question: str
    history: list[Turn] = Field(default_factory=list)
    filters: FilterIn | None = None
    k: int | None = Field(None, ge=1, le=50)
    mode: Literal["extractive", "llm"] | None = None


class ChatIn(BaseModel):
    model: str = MODEL_ID
    messages: list[Turn]
    stream: bool = False
    # not OpenAI fields, but harmless for OpenAI clients and handy for ours
    filters: FilterIn | None = None
    k: int | None = Field(None, ge=1, le=50)


def error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


def text_of(content: Any) -> str:
    """OpenAI message content is a string or a list of parts; keep the text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _where(loc: tuple) -> str:
    """("body", "history", 0, "role") -> "history[0].role"; the request body itself -> "body"."""
    out = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        if isinstance(part, int):
            out += f"[{part}]" if out else "body"  # a position in the raw body (JSON syntax errors)
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def check_history(history: list[dict], field: str) -> None:
    """Refuse (400) a history over the limits, naming the field and the limit."""
    if len(history) > MAX_HISTORY_MESSAGES:
        raise BadQuestion(f"{field}: {len(history):,} earlier messages; the limit is {MAX_HISTORY_MESSAGES}: "
                          "send only the recent ones")
    size = sum(len(h["content"].encode("utf-8")) for h in history)
    if size > MAX_HISTORY_BYTES:
        raise BadQuestion(f"{field}: {size:,} bytes of earlier messages; the limit is {MAX_HISTORY_BYTES:,} bytes: "
                          "send only the recent ones")


def to_filters(f: FilterIn | None) -> Filters | None:
    return Filters(**f.model_dump()) if f else None


def add_routes(app: FastAPI, service) -> None:
    """Register the API routes and JSON error handlers on ``app``."""

    @app.exception_handler(HoidapError)
    async def hoidap_error(request: Request, exc: HoidapError) -> JSONResponse:
        if isinstance(exc, (IndexUnavailable, IndexMismatch)):
            return error(503, str(exc), "index_unavailable")
        return error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{_where(e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return error(400, f"invalid request: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return error(500, f"internal error ({type(exc).__name__}); see the server log", "server_error")

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        indexing = service.indexing
        if indexing is not None:  # first start: the sample is being ingested (stats would wait for it)
            return JSONResponse({"status": "indexing", **indexing, "llm": service.settings.llm or None})
        try:
            stats = await run_in_threadpool(service.stats)
        except HoidapError as e:
            return error(503, str(e), "index_unavailable")
        return JSONResponse({
            "status": "ok" if stats["articles"] else "empty",
            "articles": stats["articles"], "chunks": stats["chunks"], "embedder": stats["embedder"],
            "llm": service.settings.llm or None,
        })

    @app.post("/api/ask")
    async def ask(body: AskIn) -> JSONResponse:
        history = [{"role": t.role, "content": text_of(t.content)} for t in body.history]
        check_history(history, "history")
        answer = await run_in_threadpool(
            service.ask, body.question, history, to_filters(body.filters), body.k, body.mode
        )
        return JSONResponse(answer.to_json())

    @app.get("/v1/models")
    async def models() -> JSONResponse:
        return JSONResponse({"object": "list", "data": [
            {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "hoidap"}
        ]})

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(body: ChatIn) -> JSONResponse | StreamingResponse:
        turns = [t for t in body.messages if t.role in ("user", "assistant")]
        if not turns or turns[-1].role != "user":
            return error(400, "the last message must be the user's question")
        question = text_of(turns[-1].content)
        history = [{"role": t.role, "content": text_of(t.content)} for t in turns[:-1]]
        check_history(history, "messages")
        # answer before any byte is streamed, so a bad question still gets a proper 400
        answer = (await run_in_threadpool(service.ask, question, history, to_filters(body.filters), body.k)).to_json()
        content = openai_content(answer)
        rid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if not body.stream:
            return JSONResponse({
                "id": rid, "object": "chat.completion", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": answer["citations"], "hoidap": _extra(answer),
            })
        return StreamingResponse(_sse(rid, created, content, answer), media_type="text/event-stream")

    # Anything else under the API's paths gets a 404 or 405 here, in the API's error shape, rather
    # than falling through to the Gradio page mounted at "/" (whose 404 says nothing of methods).
    methods = {}
    for route in app.routes:
        for m in getattr(route, "methods", None) or ():
            methods.setdefault(route.path, set()).add(m)

    @app.api_route("/api/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    @app.api_route("/healthz", methods=ALL_METHODS, include_in_schema=False)
    async def elsewhere(request: Request) -> JSONResponse:
        path = request.url.path
        if path in methods:
            allowed = ", ".join(sorted(methods[path] - {"HEAD"}))
            response = error(405, f"{request.method} is not allowed on {path}; use {allowed}")
            response.headers["Allow"] = allowed
            return response
        return error(404, f"no such API route: {path} (see /api/docs)")


def _extra(answer: dict) -> dict:
    return {k: answer.get(k) for k in ("refused", "language", "timings_ms", "mode", "warnings")}


def _sse(rid: str, created: int, content: str, answer: dict):
    def event(delta: dict, finish: str | None = None, **extra) -> str:
        chunk = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in pieces(content):
        yield event({"content": piece})
    yield event({}, "stop", citations=answer["citations"], hoidap=_extra(answer))
    yield "data: [DONE]\n\n"
