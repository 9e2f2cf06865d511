"""Progress for long runs (ingest, eval): tqdm's bar on a terminal, a few plain lines elsewhere.

Redirected to a file or a CI log, tqdm's carriage-return updates become thousands of
fragments; there, ``progress`` prints ``desc: n/total`` about every tenth of the way
(and at the end) instead, each on its own line.
"""

from __future__ import annotations

import sys
import time
from typing import IO


class PlainProgress:
    """The part of tqdm's interface the project uses (``update``, ``close``, context manager)."""

    def __init__(self, total: int | None, desc: str = "", unit: str = "it", file: IO | None = None,
                 steps: int = 10) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.file = file or sys.stderr
        self.n = 0
        self._every = max(1, (total or 0) // steps) if total else None
        self._next = self._every
        self._t0 = time.monotonic()
        self._closed = False

    def update(self, n: int = 1) -> None:
        self.n += n
        if self._every is not None and self.n >= self._next and (not self.total or self.n < self.total):
            self._line()
            while self._next <= self.n:
                self._next += self._every

    def _line(self) -> None:
        of = f"/{self.total}" if self.total else ""
        print(f"{self.desc}: {self.n}{of} {self.unit} ({time.monotonic() - self._t0:.0f} s)", file=self.file,
              flush=True)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self.n:
                self._line()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(total: int | None = None, desc: str = "", unit: str = "it", disable: bool = False,
             file: IO | None = None, **tqdm_kw):
    """A tqdm bar when ``file`` (default stderr) is a terminal, else ``PlainProgress``; with
    ``disable``, nothing is printed."""
    file = file or sys.stderr
    if not disable and hasattr(file, "isatty") and file.isatty():
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit=unit, file=file, **tqdm_kw)
    if disable:
        return _Silent()
    return PlainProgress(total, desc, unit, file)


class _Silent(PlainProgress):
    def __init__(self) -> None:
        super().__init__(None)

    def _line(self) -> None:
        pass
