"""Benchmark of the chat server as people meet it: a real ``python -m app.web`` process on loopback.

Measures the time from starting the server to the page being served over the index in
HOIDAP_HOME (the warm start); the first start on a fresh machine, in a temporary empty home:
the time to the page and to the first answer (the sample is ingested in the background, and
a question asked as soon as the page is up waits for it); and answer latency through
``POST /api/ask`` with one client and with several concurrent clients.

    python -m eval.web_bench [--requests 40] [--clients 1,8]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from app.settings import Settings, get_settings
from eval.bench import QUESTIONS, pct


def _wait_for_page(url: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the page at {url} was not served within {timeout:.0f} s")


def _start(home, port: int) -> subprocess.Popen:
    env = {**os.environ, "HOIDAP_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "app.web", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def first_start(question: str) -> dict:
    """Seconds from ``python -m app.web`` on an empty home to the page, and to the first answer."""
    import tempfile

    import httpx

    from app.web.service import free_port

    with tempfile.TemporaryDirectory(prefix="hoidap-first-") as home:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        t0 = time.perf_counter()
        proc = _start(home, port)
        try:
            _wait_for_page(url + "/", proc)
            page = time.perf_counter() - t0
            r = httpx.post(url + "/api/ask", json={"question": question}, timeout=600)
            r.raise_for_status()
            answer = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"page_s": round(page, 2), "first_answer_s": round(answer, 2)}


def latency(url: str, questions: list[str], clients: int, requests: int) -> dict:
    """p50/p95 wall time of ``requests`` answers per client, ``clients`` clients at once."""
    import httpx

    def worker(offset: int) -> list[float]:
        times = []
        with httpx.Client(base_url=url, timeout=120) as http:
            for i in range(requests):
                q = questions[(offset + i) % len(questions)]
                t = time.perf_counter()
                r = http.post("/api/ask", json={"question": q})
                times.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
        return times

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        runs = list(pool.map(worker, range(clients)))
    wall = time.perf_counter() - t0
    times = [t for run in runs for t in run]
    return {
        "clients": clients, "requests": len(times), "p50_ms": pct(times, 50), "p95_ms": pct(times, 95),
        "mean_ms": round(statistics.fmean(times), 1), "answers_per_s": round(len(times) / wall, 1),
    }


def run_web_bench(
    settings: Settings | None = None, questions: list[str] | None = None, clients: tuple[int, ...] = (1, 8),
    requests: int = 40,
) -> dict:
    """Start the server in a subprocess over ``settings.home``, time start-up and /api/ask latency."""
    from app.web.service import free_port

    settings = settings or get_settings()
    questions = questions or QUESTIONS
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    fresh = first_start(questions[0])
    t0 = time.perf_counter()
    proc = _start(settings.home, port)
    try:
        _wait_for_page(url + "/", proc)
        startup = time.perf_counter() - t0
        latency(url, questions, 1, len(questions))  # first answers load lazily built parts: keep them out
        results = [latency(url, questions, c, requests if c == 1 else max(requests // c, 5)) for c in clients]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"first_start": fresh, "startup_to_page_s": round(startup, 2), "ask": results, "cpus": os.cpu_count()}


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Time the chat server: start-up and /api/ask latency")
    ap.add_argument("--requests", type=int, default=40, help="answers per run with one client")
    ap.add_argument("--clients", default="1,8", help="comma-separated client counts")
    ns = ap.parse_args()
    counts = tuple(int(c) for c in ns.clients.split(","))
    print(json.dumps(run_web_bench(get_settings(), clients=counts, requests=ns.requests), indent=2))
