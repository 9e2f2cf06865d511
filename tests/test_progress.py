"""Progress written to a file or a CI log: a few plain lines, never carriage-return updates."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from ingest.progress import PlainProgress, progress

ROOT = Path(__file__).resolve().parent.parent


def test_a_long_run_is_about_ten_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    with progress(total=1000, desc="gold set", unit="q", file=out) as bar:
        assert isinstance(bar, PlainProgress)
        bar.set_postfix_str("hybrid")
        for _ in range(1000):
            bar.update()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert 5 <= len(lines) <= 11
    assert lines[-1].startswith("gold set: 1000/1000 q (") and lines[-1].endswith(", hybrid)")
    out = io.StringIO()
    assert list(progress(range(7), desc="squad", file=out)) == list(range(7))  # wrapping an iterable
    assert out.getvalue().splitlines()[-1].startswith("squad: 7/7 it")
    out = io.StringIO()
    for _ in progress(range(50), file=out, disable=True):
        pass
    assert out.getvalue() == ""


def test_ingest_into_a_log_prints_plain_progress_lines(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(12):
        (folder / f"{n}.txt").write_text(f"Sáng 14-3-2024, hội nghị số {n} của tỉnh bàn về du lịch và giao thông.")
    (folder / "x.bin").write_bytes(b"\x00")
    env = {**os.environ, "HOIDAP_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(folder)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "\r" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("ingest: ")]
    assert 2 <= len(lines) <= 11 and lines[-1].startswith("ingest: 13/13 file"), res.stderr
    assert res.stdout.startswith("12 added")
