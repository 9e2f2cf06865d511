"""The app manifest users paste into Slack matches what the bot listens to and calls."""

from __future__ import annotations

from importlib import resources

import pytest

yaml = pytest.importorskip("yaml")


def test_manifest_matches_the_bot():
    manifest = yaml.safe_load(resources.files("app.slack").joinpath("manifest.yml").read_text("utf-8"))
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True  # 👍/👎 and "share" buttons
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/hoidap"
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        command["url"],
    ]
    assert all(url.endswith("/slack/events") for url in urls)
    # one scope per Web API method the bot calls (chat.postMessage/postEphemeral, reactions.*,
    # conversations.replies) and per event it receives
    needed = {
        "app_mentions:read",
        "im:history",
        "channels:history",
        "chat:write",
        "commands",
        "reactions:write",
    }
    assert needed <= set(manifest["oauth_config"]["scopes"]["bot"])
