"""User-facing errors, shared by every stage.

It lives in the first stage so that every later stage can import it without
importing anything heavier. Front ends turn a ``HoidapError`` into one line (CLI),
a friendly chat reply (Gradio) or a Slack message; anything else is a bug.
"""

from __future__ import annotations


class HoidapError(Exception):
    """An error a user can act on; ``str(err)`` is the whole message."""

    exit_code = 1


class BadQuestion(HoidapError):
    """The question is empty, too long, or not text."""

    exit_code = 2


class BadInput(HoidapError):
    """A path or file given to ingest cannot be used."""

    exit_code = 2


class IndexMismatch(HoidapError):
    """The index was built by another embedder than the one configured."""

    exit_code = 3


class IndexUnavailable(HoidapError):
    """The index is missing, corrupt, or the Chroma server cannot be reached."""

    exit_code = 3


class MissingExtra(HoidapError):
    """An optional dependency is not installed."""

    exit_code = 4

    def __init__(self, package: str, extra: str):
        super().__init__(f"{package} is not installed: pip install 'hoidap[{extra}]'")
