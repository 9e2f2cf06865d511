"""Find article files and read them into raw records.

Formats: .txt and .md (plain text), .html/.htm (visible text of the page), .json (one
article object or a list of them) and .jsonl (one article object a line) with the fields
title/text/url/published/source. Anything that cannot be read is reported as ``Skipped``
with a reason, never raised: one bad file must not stop a folder from being ingested, and
one bad line must not lose the rest of a JSONL file.

Walking a folder stays inside it: a symbolic link to a file or folder elsewhere is reported,
not followed (``follow_links=True`` follows it), a folder that cannot be listed is reported,
and a file larger than ``max_bytes`` is skipped by its size, before a byte of it is read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import BadInput

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
MAX_BYTES = 20_000_000  # default size limit of one file (HOIDAP_MAX_FILE_MB)
MAX_LINE_ERRORS = 20  # bad JSONL lines reported one by one; the rest in one line


@dataclass
class RawDoc:
    key: str  # where it came from: a path, or path#url / path#line for JSON records
    path: str
    text: str
    fields: dict = field(default_factory=dict)  # title/url/published/source when the format has them
    html: bool = False


@dataclass
class Skipped:
    path: str
    reason: str


def find_files(paths: Iterable[str | Path], follow_links: bool = False) -> list[Path]:
    """Files to read under ``paths`` (recursively), sorted; raises BadInput for a missing path."""
    return [f for f in walk(paths, follow_links) if isinstance(f, Path)]


def walk(paths: Iterable[str | Path], follow_links: bool = False) -> Iterator[Path | Skipped]:
    """Each file under ``paths`` once (sorted per folder), and a ``Skipped`` for each link out of
    its folder and each folder that cannot be read. A path given directly is always read."""
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise BadInput(f"no such file or folder: {p}")
        if not p.is_dir():
            if p.resolve() not in seen:
                seen.add(p.resolve())
                yield p
            continue
        yield from _walk_dir(p, follow_links, seen)


def _walk_dir(root: Path, follow_links: bool, seen: set[Path]) -> Iterator[Path | Skipped]:
    real_root = root.resolve()
    errors: list[OSError] = []
    visited: set[Path] = set()  # real folders, against link loops
    for here, dirs, names in os.walk(root, onerror=errors.append, followlinks=follow_links):
        while errors:
            e = errors.pop(0)
            yield Skipped(str(e.filename or here), f"folder not read: {e.strerror or e}")
        here = Path(here)
        real_here = here.resolve()
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if follow_links:
            if real_here in visited:
                dirs[:] = []
                continue
            visited.add(real_here)
        else:
            for d in [d for d in dirs if (here / d).is_symlink()]:
                dirs.remove(d)
                if not _inside((here / d).resolve(), real_root):
                    yield Skipped(str(here / d), _link_reason(root))
        for name in sorted(names):
            if name.startswith("."):
                continue
            f = here / name
            real = f.resolve()
            if f.is_symlink() and not follow_links and not _inside(real, real_root):
                yield Skipped(str(f), _link_reason(root))
                continue
            if real in seen or not f.is_file():
                continue  # the same file reached twice (a link inside the folder), or a socket/fifo
            seen.add(real)
            yield f
    for e in errors:  # an unreadable root
        yield Skipped(str(e.filename or root), f"folder not read: {e.strerror or e}")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _link_reason(root: Path) -> str:
    return f"a link to a place outside {root}: not followed (ingest it by its own path, or use --follow-links)"


def read_bytes(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """A file's bytes; BadInput (without reading it) if it is larger than ``max_bytes``."""
    size = path.stat().st_size
    if size > max_bytes:
        raise BadInput(f"{_mb(size)} is larger than the {_mb(max_bytes)} limit (HOIDAP_MAX_FILE_MB)")
    with open(path, "rb") as fh:
        data = fh.read(size + 1)  # (read(n) allocates n bytes up front: not the limit)
        if len(data) > size:  # still growing: read on, up to the limit
            data += fh.read(max_bytes + 1 - len(data))
    if len(data) > max_bytes:
        raise BadInput(f"larger than the {_mb(max_bytes)} limit (HOIDAP_MAX_FILE_MB)")
    return data


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.0f} MB" if n >= 1_000_000 else f"{n:,} bytes"


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """UTF-8 text of a file; BadInput if it is binary, in another encoding or too large."""
    return decode(read_bytes(path, max_bytes))


def decode(data: bytes, binary_check: bool = True) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return _nonempty(data.decode("utf-16"))
        except UnicodeDecodeError as e:
            raise BadInput("UTF-16 with a bad byte sequence: convert it to UTF-8") from e
    if binary_check and b"\x00" in data[:8192]:
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


def load(
    paths: Iterable[str | Path], max_bytes: int = MAX_BYTES, follow_links: bool = False
) -> Iterator[RawDoc | Skipped]:
    """Yield a RawDoc per article found under ``paths`` and a Skipped per file that can't be used."""
    for f in walk(paths, follow_links):
        if isinstance(f, Skipped):
            yield f
            continue
        suffix = f.suffix.lower()
        if suffix not in SUFFIXES:
            yield Skipped(str(f), f"not an article file (expected one of {', '.join(sorted(SUFFIXES))})")
            continue
        try:
            data = read_bytes(f, max_bytes)
            if suffix == ".jsonl" and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
                yield from _load_jsonl(f, data)
                continue
            text = decode(data)
        except (BadInput, OSError) as e:
            yield Skipped(str(f), str(e))
            continue
        shown = _shown(f)
        if suffix == ".json":
            yield from _load_json(f, text, shown)
        elif suffix == ".jsonl":
            yield from _records(f, _parse_lines(text.splitlines(), shown), shown, lines=True)
        else:
            yield RawDoc(key=str(f.resolve()), path=shown, text=text, html=suffix in (".html", ".htm"))


def _shown(f: Path) -> str:
    """The path people see in citations: relative to the working directory when inside it."""
    try:
        return str(f.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(f)


def _json(text: str):
    """json.loads, with a nesting too deep for the parser reported like any other bad JSON."""
    try:
        return json.loads(text)
    except RecursionError as e:
        raise json.JSONDecodeError("nested too deeply", text, 0) from e


def _load_jsonl(f: Path, data: bytes) -> Iterator[RawDoc | Skipped]:
    """A JSONL file judged line by line: a binary or mis-encoded line loses only itself."""
    shown = _shown(f)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines: list[str | Exception] = []
    for raw in data.split(b"\n"):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            lines.append(e)
    if not any(isinstance(ln, str) and ln.strip() for ln in lines):
        yield Skipped(str(f), "empty file" if all(isinstance(ln, str) for ln in lines) else "not UTF-8 text")
        return
    parsed = list(_parse_lines(lines, shown))
    if not any(isinstance(r, tuple) for r in parsed):
        # nothing in it reads as JSON: one message for the file, not one per line
        first = parsed[0].reason if parsed else "no records"
        yield Skipped(str(f), f"no JSON line could be read ({first})")
        return
    yield from _records(f, iter(parsed), shown, lines=True)


def _parse_lines(lines: list, shown: str) -> Iterator[tuple[int, object] | Skipped]:
    bad = 0
    for n, line in enumerate(lines, 1):
        if isinstance(line, str) and not line.strip():
            continue
        if isinstance(line, Exception):
            reason = f"bad JSON line: not UTF-8 (byte {line.start})"
        else:
            try:
                yield n, _json(line)
                continue
            except json.JSONDecodeError as e:
                reason = f"bad JSON line: {e.msg}"
        bad += 1
        if bad <= MAX_LINE_ERRORS:
            yield Skipped(f"{shown}:{n}", reason)
    if bad > MAX_LINE_ERRORS:
        yield Skipped(shown, f"{bad - MAX_LINE_ERRORS} more bad JSON lines")


def _load_json(f: Path, text: str, shown: str) -> Iterator[RawDoc | Skipped]:
    try:
        data = _json(text)
    except json.JSONDecodeError as e:
        yield Skipped(str(f), f"bad JSON: {e.msg} at line {e.lineno}")
        return
    items = data if isinstance(data, list) else [data]
    yield from _records(f, enumerate(items, 1), shown, lines=False, many=len(items) > 1)


def _records(f: Path, records: Iterable, shown: str, lines: bool, many: bool = True) -> Iterator[RawDoc | Skipped]:
    """Articles of a JSON/JSONL file. Each needs its own identity: a record's key is its url (or
    id) when it has one, so that reordering the file changes nothing; a second record with the
    same url is the same article twice (skipped) or, when its text differs, kept as its own."""
    texts: dict[str, tuple[str, str]] = {}  # key -> (text, where it was first seen)
    for item in records:
        if isinstance(item, Skipped):
            yield item
            continue
        n, rec = item
        where = f"{shown}:{n}" if lines or many else shown
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not rec["text"].strip():
            yield Skipped(where, "no 'text' field with the article body")
            continue
        fields = {k: rec[k] for k in ("title", "url", "published", "source") if isinstance(rec.get(k), str)}
        ident = rec.get("url") or rec.get("id")
        ident = str(ident) if isinstance(ident, (str, int)) and str(ident).strip() else str(n)
        key = f"{f.resolve()}#{ident}"
        if key in texts:
            text, first = texts[key]
            if text == rec["text"]:
                yield Skipped(where, f"the same article as {first} (same url and text)")
                continue
            dup = 2
            while f"{key}#{dup}" in texts:
                dup += 1
            key = f"{key}#{dup}"  # same url, other text: its own article, numbered in file order
        texts[key] = (rec["text"], where)
        yield RawDoc(key=key, path=where, text=rec["text"], fields=fields, html="<p" in rec["text"][:2000])
