"""Slack's usage hint gives an example about what is indexed (issue 12), over real HTTP with the
fake Slack Web API, like ``test_slack_bot``."""

from __future__ import annotations

import pytest

from app.feedback import FeedbackStore
from app.settings import Settings
from tests.fakes.slack_api import BOT_USER_ID, FakeSlackAPI
from tests.test_slack_bot import Bot, run_bot, settings_for

pytestmark = pytest.mark.slow


def test_the_usage_hint_is_about_the_users_own_articles(tmp_path):
    from app.factory import build_assistant, ingest_paths

    folder = tmp_path / "tin"
    folder.mkdir()
    (folder / "bao.txt").write_text(
        "Bão số 3 đổ bộ vào Quảng Ninh\n\nChiều 7-9-2024, bão số 3 đổ bộ vào tỉnh Quảng Ninh với sức gió "
        "cấp 12. Chủ tịch UBND tỉnh Quảng Ninh Cao Tường Huy chỉ đạo sơ tán người dân.\n", "utf-8")
    home = tmp_path / "home"
    ingest_paths(Settings(home=home), [folder])
    with FakeSlackAPI() as fake:
        settings = settings_for(home, fake)
        assistant = build_assistant(settings)
        url, stop = run_bot(settings, assistant, FeedbackStore(tmp_path / "f.sqlite"))
        try:
            msg = fake.add_message("C0GENERAL", f"<@{BOT_USER_ID}>")
            Bot(url, fake, assistant, None).event({"type": "app_mention", "user": "UASKER", "text": msg["text"],
                                                   "ts": msg["ts"], "channel": "C0GENERAL"})
            [post] = fake.wait_for("chat.postMessage")
        finally:
            stop()
    assert "Quảng Ninh" in post.args["text"] and "Thái Nguyên" not in post.args["text"], post.args["text"]
