"""The answerer swap point: ``answer(question, hits, history, language) -> Draft``.

A ``Draft`` is the answer text with [n] markers, where n is the 1-based position in
``Draft.cited``; the assistant turns it into the public ``Answer`` with citations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from index.types import Hit

if TYPE_CHECKING:
    from app.reader import Question


@dataclass
class Cited:
    hit: Hit
    sentence: tuple[int, int] | None = None  # supporting sentence, offsets inside hit.text
    span: tuple[int, int] | None = None  # the answer span, offsets inside hit.text


@dataclass
class Draft:
    text: str
    cited: list[Cited] = field(default_factory=list)
    refused: bool = False
    question_type: str | None = None
    warnings: list[str] = field(default_factory=list)
    mode: str = "extractive"
    # "answer": a short answer; "closest": no answer, the nearest sentence quoted; "refused"
    outcome: str = ""
    answerer: str | None = None  # who wrote it, for display: "local:qwen2.5-coder-0.5b", "openai:<model>"


class Answerer(Protocol):
    """An answer from the retrieved passages (what the LLM falls back on, and what it is)."""

    name: str

    def answer(self, question: str, hits: list[Hit], history: list[dict], language: str) -> Draft: ...


class StreamingAnswerer(Answerer, Protocol):
    """What the assistant asks of an LLM answerer (``Assistant.llm``): the answer whole, or
    streamed as text pieces ending with the checked ``Draft``."""

    def stream(self, question: str, hits: list[Hit], history: list[dict], language: str) -> Iterator[str | Draft]: ...


class ParsedAnswerer(Protocol):
    """What the assistant asks of its extractive reader (``Assistant.extractive``, an
    ``app.reader.Reader``): it reuses the question the assistant parsed and the question vector
    retrieval computed, and names the places too common in the corpus to filter on."""

    common_places: set[str]

    def answer_parsed(self, q: Question, hits: list[Hit], qvec: Any = None) -> Draft: ...
