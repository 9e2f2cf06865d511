"""The Slack front end: ``bot`` (Bolt app, HTTP and Socket Mode) and ``format`` (Block Kit
layout, plain functions); ``manifest.yml`` is the app manifest users paste into Slack."""
