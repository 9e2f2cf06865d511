"""`hoidap slack` as a user runs it: a real process serving HTTP, answering a signed event."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from app.cli import cli
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI
from tests.test_slack_bot import CHAIRS, QUESTION, SECRET, Bot


def test_slack_command_without_token_says_what_to_set(tmp_path, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOIDAP_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    result = CliRunner().invoke(cli, ["slack", "--port", "3999"])
    assert result.exit_code == 1 and "SLACK_BOT_TOKEN is not set" in result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_hoidap_slack_serves_events(tmp_path, sample_home):
    with FakeSlackAPI() as fake:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HOIDAP_"))}
        env.update(
            HOIDAP_HOME=str(sample_home),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.api_url,
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "slack", "--port", str(port), "--host", "127.0.0.1"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, proc.stdout.read()
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "hoidap slack did not start listening"
                    time.sleep(0.1)
            bot = Bot(f"http://127.0.0.1:{port}/slack/events", fake, None, None)
            msg, resp = bot.mention(QUESTION)
            assert resp.status_code == 200
            [post] = fake.wait_for("chat.postMessage", timeout=60)
            assert post.args["thread_ts"] == msg["ts"] and all(name in post.args["text"] for name in CHAIRS)
            assert bot.post("{}", "application/json", secret="forged").status_code == 401
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=20)
        assert BOT_TOKEN not in out and SECRET not in out
        assert "/slack/events" in out  # it says where it listens
