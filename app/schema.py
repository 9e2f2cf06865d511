"""The answer contract every front end and the eval suite rely on (see DESIGN.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Citation(BaseModel):
    marker: int  # the [n] in the answer text
    doc_id: str
    chunk_id: str
    title: str
    source: str | None = None  # outlet
    published: str | None = None  # ISO date or None
    event_date: str | None = None  # ISO date of the event, when the article gives its year
    date_text: str | None = None  # the event's date as written ("Sáng 21-6"), for display
    path: str
    text: str  # the cited passage
    start: int  # offsets of the passage in the cleaned article
    end: int
    score: float
    # offsets of the answer span inside ``text`` (for highlighting); None when the whole
    # supporting sentence is the answer
    answer_start: int | None = None
    answer_end: int | None = None
    # offsets of the supporting sentence inside ``text``
    sentence_start: int | None = None
    sentence_end: int | None = None


class Timings(BaseModel):
    retrieve: float = 0.0
    answer: float = 0.0
    total: float = 0.0


class Answer(BaseModel):
    question: str
    answer: str
    language: str  # "vi" | "en"
    refused: bool
    citations: list[Citation] = Field(default_factory=list)
    timings_ms: Timings = Field(default_factory=Timings)
    rewritten_question: str | None = None
    question_type: str | None = None
    mode: str = "extractive"  # or "llm"
    # "answer" (a short answer), "closest" (no answer; the nearest sentence is quoted for the
    # reader to judge, and ``refused`` is true), or "refused"
    outcome: str = "answer"
    answerer: str | None = None  # the LLM that wrote an "llm" answer, e.g. "local:qwen2.5-coder-0.5b"
    warnings: list[str] = Field(default_factory=list)

    def to_json(self) -> dict:
        return self.model_dump(mode="json")
