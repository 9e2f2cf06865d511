"""The commands new users run first, as they run them (issue 12): ``hoidap chat`` on a port in use,
``hoidap ask --mode llm`` with no LLM configured."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from app.cli import cli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_ask_in_llm_mode_without_an_llm_says_so(home_env):
    res = CliRunner().invoke(cli, ["ask", "Ai chủ trì hội nghị ở Thái Nguyên?", "--mode", "llm", "--json"])
    assert res.exit_code == 2, res.output
    assert res.stdout == "" and "HOIDAP_LLM" in res.stderr and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_chat_on_a_port_in_use_is_one_line_and_its_own_exit_code(sample_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "app.cli", "chat", "--port", str(port)],
                              env={**os.environ, "HOIDAP_HOME": str(home)}, capture_output=True, text=True,
                              timeout=180)
        took = time.monotonic() - t0
    assert proc.returncode == 5, (proc.returncode, proc.stderr[-500:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(port) in lines[0] and "--port" in lines[0], proc.stderr
    assert took < 5, took  # said at once, before the index and models load


def test_ingest_names_each_skipped_file_once(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    # a real process: under pytest, logging's capture would hide a second copy printed by a logger
    proc = subprocess.run([sys.executable, "-m", "app.cli", "ingest", "-q", str(folder)],
                          env={**os.environ, "HOIDAP_HOME": str(tmp_path / "home")}, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr
    for name in ("scan.pdf", "photo.txt"):
        assert sum(name in line for line in proc.stderr.splitlines()) == 1, proc.stderr


def test_the_readmes_example_is_what_the_command_prints(home_env):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    block = re.search(r"```\n\$ hoidap ask \"(.+?)\"\n(.*?)```", readme, re.S)
    res = CliRunner().invoke(cli, ["ask", block.group(1)])
    assert res.exit_code == 0, res.output
    # the README wraps long lines: compare the words
    assert res.stdout.split() == block.group(2).split(), res.stdout
