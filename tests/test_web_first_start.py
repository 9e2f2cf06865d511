"""First start on a fresh machine (issue 12): ``python -m app.web`` on an empty index serves the
page at once, ingests the sample in the background with progress on the page and in /healthz,
and answers as soon as the index is ready. A real process on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_the_page_is_served_while_the_sample_is_indexed_then_questions_are_answered(tmp_path):
    from app.web.service import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HOIDAP_HOME": str(tmp_path / "home")}
    env.pop("HOIDAP_LLM", None)
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "app.web", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page = None
        while page is None:
            assert proc.poll() is None, "the server exited"
            assert time.monotonic() - t0 < 240, "no page"
            try:
                page = httpx.get(url + "/", timeout=5)
            except httpx.HTTPError:
                time.sleep(0.2)
        health = httpx.get(url + "/healthz", timeout=5).json()
        # served before the index was ready, with the progress on the page and in /healthz
        assert page.status_code == 200 and health["status"] == "indexing", health
        assert health["total"] == 5 and 0 <= health["done"] <= 5
        config = httpx.get(url + "/config", timeout=30).json()
        assert "Đang lập chỉ mục" in str(config)
        # a question asked now waits for the index, then is answered from it; its filter is checked
        # against the finished index, not the empty one (no "no article mentions Thái Nguyên")
        r = httpx.post(url + "/api/ask", json={"question": "Ai chủ trì hội nghị ở Thái Nguyên?",
                                               "filters": {"province": "Thái Nguyên"}}, timeout=240)
        assert r.status_code == 200 and "Bùi Xuân Hòa" in r.json()["answer"], r.text[:300]
        health = httpx.get(url + "/healthz", timeout=5).json()
        assert health["status"] == "ok" and health["articles"] == 5
    finally:
        proc.terminate()
        proc.wait(timeout=30)
