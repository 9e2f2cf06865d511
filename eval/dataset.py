"""Gold-set loading: one JSON object per line, validated, with a clear message on bad input.

The format is documented in ``eval/datasets/README.md`` so people can bring their own sets
(``hoidap eval --dataset FILE``). Validation is strict about what the metrics rely on
(slice, answer strings, answerable) and lenient about extra fields, so a set can carry notes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from ingest.errors import BadInput

GOLD = Path(__file__).resolve().parent / "datasets" / "gold.jsonl"

Slice = Literal["vi", "vi_unaccented", "en", "followup", "multi", "unanswerable", "noise"]
QType = Literal["who", "when", "where", "how_many", "what", "yesno", "why"]


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class GoldItem(BaseModel):
    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    language: Literal["vi", "en"] = "vi"
    slice: Slice = "vi"
    type: QType | None = None
    history: list[Turn] = Field(default_factory=list)
    answer_all: list[str] = Field(default_factory=list)
    answer_any: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)
    articles: list[str] = Field(default_factory=list)
    answerable: bool = True
    ci: bool = False

    @model_validator(mode="after")
    def _expectations(self) -> GoldItem:
        if self.answerable and not (self.answer_all or self.answer_any):
            raise ValueError("an answerable question needs answer_all or answer_any")
        if any(not s.strip() for s in self.answer_all + self.answer_any + self.must_not):
            raise ValueError("expected strings must not be empty")
        return self

    @property
    def expected(self) -> list[str]:
        """Every string that marks a passage as containing the answer."""
        return self.answer_all + self.answer_any


def load(path: Path | None = None, *, ci_only: bool = False) -> list[GoldItem]:
    """Read a JSONL gold set (the bundled one by default); raise BadInput naming the bad line."""
    path = Path(path) if path else GOLD
    if not path.is_file():
        raise BadInput(f"dataset not found: {path}")
    items: list[GoldItem] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as e:
                raise BadInput(f"{path.name} line {n}: not JSON ({e.msg})") from e
            if isinstance(raw, dict) and raw.get("needs_review"):
                continue  # exported 👎 feedback that nobody has written the right answer for yet
            try:
                item = GoldItem.model_validate(raw)
            except ValidationError as e:
                first = e.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "item"
                raise BadInput(f"{path.name} line {n}: {where}: {first['msg']}") from e
            if item.id in seen:
                raise BadInput(f"{path.name} line {n}: duplicate id {item.id!r}")
            seen.add(item.id)
            items.append(item)
    if not items:
        raise BadInput(f"{path.name}: no questions")
    return [i for i in items if i.ci] if ci_only else items
