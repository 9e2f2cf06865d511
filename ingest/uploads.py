"""Where an uploaded file is kept: its own name in the uploads folder, never over another file.

Two uploads named ``report.txt`` with different contents are two articles: the second is
kept as ``report (2).txt``. The same bytes uploaded again reuse the first copy, so the
ingest finds the article unchanged instead of adding it twice. The file is created with
``O_EXCL``, so two uploads at the same moment cannot pick the same name either.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path


def safe_name(name: str) -> str:
    """The last part of a client-given file name, without leading dots (no hidden files, no ``..``)."""
    base = Path(name.replace("\\", "/")).name.lstrip(".").strip()
    return base or "upload.txt"


def copy_upload(src: str | Path, folder: str | Path, name: str | None = None) -> Path:
    """Copy ``src`` into ``folder`` as ``name`` (default: its own name), or as ``stem (n).ext``
    when a different file already has that name; returns the copy's path."""
    src, folder = Path(src), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = Path(safe_name(name or src.name))
    for n in range(1, 10_000):
        dest = folder / (base.name if n == 1 else f"{base.stem} ({n}){base.suffix}")
        try:
            with open(src, "rb") as fin, open(dest, "xb") as fout:
                shutil.copyfileobj(fin, fout)
            return dest
        except FileExistsError:
            if filecmp.cmp(src, dest, shallow=False):
                return dest  # the same file uploaded again
    raise FileExistsError(f"too many uploads named {base.name} in {folder}")
