"""Find article files and read them into raw records.

Formats: .txt and .md (plain text), .html/.htm (visible text of the page), .json (one
article object or a list of them) and .jsonl (one article object a line) with the fields
title/text/url/published/source. Anything that cannot be read is reported as ``Skipped``
with a reason, never raised: one bad file must not stop a folder from being ingested.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import BadInput

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
MAX_BYTES = 20_000_000


@dataclass
class RawDoc:
    key: str  # where it came from: a path, or path#line for JSONL records
    path: str
    text: str
    fields: dict = field(default_factory=dict)  # title/url/published/source when the format has them
    html: bool = False


@dataclass
class Skipped:
    path: str
    reason: str


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files to read under ``paths`` (recursively), sorted; raises BadInput for a missing path."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise BadInput(f"no such file or folder: {p}")
        if p.is_dir():
            out.extend(f for f in sorted(p.rglob("*")) if f.is_file() and not _hidden(f, p))
        else:
            out.append(p)
    return out


def _hidden(f: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in f.relative_to(root).parts)


def read_text(path: Path) -> str:
    """UTF-8 text of a file; BadInput if it is binary or in another encoding."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise BadInput(f"larger than {MAX_BYTES // 1_000_000} MB")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return _nonempty(data.decode("utf-16"))
        except UnicodeDecodeError as e:
            raise BadInput("UTF-16 with a bad byte sequence: convert it to UTF-8") from e
    if b"\x00" in data[:8192]:
        raise BadInput("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BadInput(f"not UTF-8 (byte {e.start}): convert it to UTF-8 first") from e
    return _nonempty(text)


def _nonempty(text: str) -> str:
    if not text.strip():
        raise BadInput("empty file")
    return text


def load(paths: Iterable[str | Path]) -> Iterator[RawDoc | Skipped]:
    """Yield a RawDoc per article found under ``paths`` and a Skipped per file that can't be used."""
    for f in find_files(paths):
        suffix = f.suffix.lower()
        if suffix not in SUFFIXES:
            yield Skipped(str(f), f"not an article file (expected one of {', '.join(sorted(SUFFIXES))})")
            continue
        try:
            text = read_text(f)
        except (BadInput, OSError) as e:
            yield Skipped(str(f), str(e))
            continue
        shown = _shown(f)
        if suffix in (".json", ".jsonl"):
            yield from _load_json(f, text, lines=suffix == ".jsonl", shown=shown)
        else:
            yield RawDoc(key=str(f.resolve()), path=shown, text=text, html=suffix in (".html", ".htm"))


def _shown(f: Path) -> str:
    """The path people see in citations: relative to the working directory when inside it."""
    try:
        return str(f.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(f)


def _load_json(f: Path, text: str, lines: bool, shown: str) -> Iterator[RawDoc | Skipped]:
    if lines:
        records = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append((n, json.loads(line)))
            except json.JSONDecodeError as e:
                yield Skipped(f"{shown}:{n}", f"bad JSON line: {e.msg}")
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            yield Skipped(str(f), f"bad JSON: {e.msg} at line {e.lineno}")
            return
        items = data if isinstance(data, list) else [data]
        records = list(enumerate(items, 1))
    for n, rec in records:
        where = f"{shown}:{n}" if lines or len(records) > 1 else shown
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not rec["text"].strip():
            yield Skipped(where, "no 'text' field with the article body")
            continue
        fields = {k: rec[k] for k in ("title", "url", "published", "source") if isinstance(rec.get(k), str)}
        key = f"{f.resolve()}#{rec.get('url') or rec.get('id') or n}"
        yield RawDoc(key=key, path=where, text=rec["text"], fields=fields, html="<p" in rec["text"][:2000])
