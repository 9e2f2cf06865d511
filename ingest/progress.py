"""Progress for long runs (ingest, eval): tqdm's bar on a terminal, a few plain lines elsewhere.

Redirected to a file or a CI log, tqdm's carriage-return updates become thousands of
fragments in one line; there, ``progress`` prints ``desc: n/total unit (s)`` about every
tenth of the way and at the end instead, each on its own line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO


class PlainProgress:
    """The part of tqdm's interface the project uses: ``update``, ``set_postfix_str``, ``close``,
    iteration over the wrapped iterable, and use as a context manager."""

    def __init__(self, iterable: Iterable | None = None, total: int | None = None, desc: str = "",
                 unit: str = "it", file: IO | None = None, steps: int = 10, quiet: bool = False) -> None:
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.iterable, self.total, self.desc, self.unit = iterable, total, desc, unit
        self.file = file or sys.stderr
        self.quiet = quiet
        self.n = 0
        self.postfix = ""
        self._every = max(1, -(-total // steps)) if total else None  # (ceil: at most ``steps`` lines)
        self._next = self._every
        self._t0 = time.monotonic()
        self._closed = False

    def update(self, n: int = 1) -> None:
        self.n += n
        if self._every is not None and self.n >= self._next and self.n < (self.total or 0):
            self._line()
            while self._next <= self.n:
                self._next += self._every

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s

    def _line(self) -> None:
        if self.quiet:
            return
        of = f"/{self.total}" if self.total else ""
        extra = f", {self.postfix}" if self.postfix else ""
        print(f"{self.desc}: {self.n}{of} {self.unit} ({time.monotonic() - self._t0:.0f} s{extra})",
              file=self.file, flush=True)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self.n:
                self._line()

    def __iter__(self) -> Iterator:
        try:
            for item in self.iterable or ():
                yield item
                self.update()
        finally:
            self.close()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(iterable: Iterable | None = None, total: int | None = None, desc: str = "", unit: str = "it",
             disable: bool | None = False, file: IO | None = None, **tqdm_kw):
    """A tqdm bar when ``file`` (default stderr) is a terminal, else ``PlainProgress``; with
    ``disable``, the same object, silent."""
    file = file or sys.stderr
    if not disable and getattr(file, "isatty", lambda: False)():
        from tqdm import tqdm

        return tqdm(iterable, total=total, desc=desc, unit=unit, file=file, **tqdm_kw)
    return PlainProgress(iterable, total, desc, unit, file, quiet=bool(disable))
