"""Limits of the chat server against a careless or hostile client, over real HTTP (issue 10 §3):
history size, body size, and connections that send a request slowly (slow-loris)."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def turns(n: int, size: int = 20) -> list[dict]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": "x" * size} for i in range(n)]


@pytest.mark.parametrize(("history", "words"), [
    (turns(101), ["101", "100"]),
    (turns(10, 30_000), ["300,000", "200,000"]),
])
def test_a_long_history_is_a_400_naming_the_limit(http, history, words):
    for path, body, field in (
        ("/api/ask", {"question": "Ai chủ trì hội nghị?", "history": history}, "history"),
        ("/v1/chat/completions", {"messages": history + [{"role": "user", "content": "Ai chủ trì?"}]}, "messages"),
    ):
        t0 = time.perf_counter()
        r = http.post(path, json=body)
        assert r.status_code == 400, (path, r.status_code, r.text[:200])
        message = r.json()["error"]["message"]
        assert field in message and all(w in message for w in words), message
        assert time.perf_counter() - t0 < 5


def test_a_history_within_the_limits_is_answered(http):
    r = http.post("/api/ask", json={"question": "Ai chủ trì hội nghị ở Thái Nguyên?", "history": turns(100)})
    assert r.status_code == 200, r.text


def test_a_huge_body_is_refused_before_it_is_parsed(http):
    r = http.post("/v1/chat/completions", content=b'{"messages": [' + b" " * 5_000_000 + b"]}",
                  headers={"content-type": "application/json"})
    assert r.status_code == 413 and "4,000,000 bytes" in r.json()["error"]["message"]

    def chunks():  # no Content-Length: the server must count what arrives
        yield b'{"question": "'
        for _ in range(50):
            yield b"a" * 100_000
        yield b'"}'

    r = http.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "4,000,000 bytes" in r.json()["error"]["message"]


def closed_after(base_url: str, sent: bytes, limit: float) -> float:
    """Send ``sent`` on a raw connection and wait; seconds until the server closes it (limit if it does not)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(sent)
        sock.settimeout(limit)
        t0 = time.monotonic()
        try:
            while sock.recv(4096):
                pass
        except (TimeoutError, socket.timeout):
            return limit
        except ConnectionResetError:
            pass
        return time.monotonic() - t0


def test_slow_clients_are_disconnected(base_url):
    from app.web.server import BODY_IDLE_TIMEOUT, HEAD_TIMEOUT

    head = b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    cases = {
        "nothing sent": (b"", HEAD_TIMEOUT),
        "half a request head": (head, HEAD_TIMEOUT),
        "part of a body": (head + b"Content-Length: 100\r\n\r\n{\"question\": ", BODY_IDLE_TIMEOUT),
    }
    with ThreadPoolExecutor(len(cases)) as pool:
        waited = dict(zip(cases, pool.map(lambda c: closed_after(base_url, c[0], c[1] + 20), cases.values())))
    for name, (_, timeout) in cases.items():
        assert waited[name] <= timeout + 3, f"{name}: still open after {waited[name]:.0f} s"


def test_a_slow_answer_is_not_cut(base_url):
    # a whole request, then nothing more from the client: the server answers and keeps the connection
    with httpx.Client(base_url=base_url, timeout=60) as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(2)
        assert client.get("/healthz").status_code == 200
