"""Issue 10 on the reading side: one bad file, line or link must never cost the others, and no
file may cost memory or time out of proportion (no embedding needed here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest

from ingest.errors import BadInput
from ingest.load import RawDoc, Skipped, load
from ingest.metadata import build_article
from ingest.uploads import copy_upload

LEAD = "Sáng 14-3-2024, Ủy ban nhân dân tỉnh họp bàn kế hoạch phát triển du lịch với 40 đại biểu tham dự."


def article(n: int) -> dict:
    return {"title": f"Bài số {n} về du lịch", "text": f"{LEAD} Đây là bài số {n}.", "url": f"https://bao.vn/{n}"}


def split(out) -> tuple[list[RawDoc], dict[str, str]]:
    out = list(out)
    return [d for d in out if isinstance(d, RawDoc)], {s.path: s.reason for s in out if isinstance(s, Skipped)}


def test_nested_json_is_skipped_and_the_rest_of_the_folder_kept(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)  # RecursionError in json
    (tmp_path / "deep.jsonl").write_text(json.dumps(article(1)) + "\n" + "[" * 100_000 + "\n")
    (tmp_path / "good.json").write_text(json.dumps(article(2)), "utf-8")
    (tmp_path / "good.txt").write_text(LEAD, "utf-8")
    docs, skipped = split(load([tmp_path]))
    assert sorted(Path(d.path).name for d in docs) == ["deep.jsonl:1", "good.json", "good.txt"]
    assert "nested too deeply" in skipped[str(tmp_path / "deep.json")]
    assert [r for p, r in skipped.items() if p.endswith("deep.jsonl:2")] == ["bad JSON line: nested too deeply"]


def test_one_nul_byte_in_a_jsonl_loses_only_its_line(tmp_path):
    lines = [json.dumps(article(n), ensure_ascii=False) for n in range(300)]
    lines.insert(2, '{"title": "x", "text": "a\x00b"}')  # a NUL byte in the first 8 KB
    lines.insert(5, "\x00\x01\x02 binary junk")
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n", "utf-8")
    docs, skipped = split(load([feed]))
    assert len(docs) == 300
    assert len(skipped) == 2 and all(r.startswith("bad JSON line") for r in skipped.values())


def test_a_jsonl_that_is_all_binary_is_one_message(tmp_path):
    (tmp_path / "x.jsonl").write_bytes(bytes(range(256)) * 40)
    docs, skipped = split(load([tmp_path]))
    assert docs == [] and len(skipped) == 1 and "JSON" in next(iter(skipped.values()))


def test_records_sharing_a_url_each_get_their_own_identity(tmp_path):
    a, b = article(1), {**article(1), "text": LEAD + " Một bản khác của bài, cùng đường dẫn."}
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (a, b, a)) + "\n", "utf-8")
    docs, skipped = split(load([feed]))
    assert len(docs) == 2 and len({d.key for d in docs}) == 2  # two articles, two identities
    assert list(skipped) == [f"{feed}:3"] and "same article as" in skipped[f"{feed}:3"]
    # and the identities do not depend on the run: a re-run finds the same keys
    assert [d.key for d in split(load([feed]))[0]] == [d.key for d in docs]


def test_a_file_named_twice_is_read_once(tmp_path):
    (tmp_path / "a.txt").write_text(LEAD, "utf-8")
    docs, _ = split(load([tmp_path / "a.txt", tmp_path, tmp_path / "a.txt"]))
    assert len(docs) == 1


@pytest.mark.parametrize("size", [200_000_000, 3_000_000_000], ids=["200MB", "3GB"])
def test_a_huge_file_is_skipped_by_its_size_before_reading(tmp_path, size):
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(size)  # sparse: no disk used
    (tmp_path / "good.txt").write_text(LEAD, "utf-8")
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        docs, skipped = split(load([tmp_path]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 2
    assert peak < 20_000_000, f"{peak:,} bytes allocated"
    assert [Path(d.path).name for d in docs] == ["good.txt"]
    assert "larger than the 20 MB limit" in skipped[str(big)] and "HOIDAP_MAX_FILE_MB" in skipped[str(big)]


def test_the_size_limit_is_a_setting(tmp_path):
    (tmp_path / "a.txt").write_text(LEAD * 50, "utf-8")
    assert split(load([tmp_path], max_bytes=1000))[0] == []
    assert len(split(load([tmp_path]))[0]) == 1


def _nested(depth: int) -> str:
    return "<html><body>" + "<div>" * depth + f"<p>{LEAD}</p>" + "</div>" * depth + "</body></html>"


@pytest.mark.parametrize("depth", [10_000, 50_000])
def test_deeply_nested_html_is_refused_fast(tmp_path, depth):
    t0 = time.perf_counter()
    with pytest.raises(BadInput, match="nested"):
        build_article(RawDoc(key="x", path="x.html", text=_nested(depth), html=True))
    assert time.perf_counter() - t0 < 1


def test_sloppy_html_nesting_real_pages_have_is_still_read_fast():
    # 4,000 unclosed <p> (html.parser nests each in the one before): linear, not quadratic
    page = "<html><body><article><h1>Hội nghị du lịch của tỉnh</h1>" + "".join(
        f"<p>{LEAD} Đoạn {n}." for n in range(4000)) + "</article></body></html>"
    t0 = time.perf_counter()
    art = build_article(RawDoc(key="x", path="x.html", text=page, html=True))
    assert time.perf_counter() - t0 < 5
    assert "Đoạn 3999" in art.text and art.event_date == "2024-03-14"


def test_html_with_a_million_elements_is_refused_fast():
    page = "<html><body>" + "<p>x</p>" * 1_000_000 + "</body></html>"  # 8 MB, under the size limit
    t0 = time.perf_counter()
    with pytest.raises(BadInput, match="tags"):
        build_article(RawDoc(key="x", path="x.html", text=page, html=True))
    assert time.perf_counter() - t0 < 3


def test_links_out_of_the_folder_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd.txt").write_text("root:x:0:0:root:/root:/bin/bash secret " * 5)
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text(LEAD, "utf-8")
    (folder / "passwd.txt").symlink_to(outside / "passwd.txt")
    (folder / "elsewhere").symlink_to(outside, target_is_directory=True)
    (folder / "same.txt").symlink_to(folder / "sub" / "a.txt")  # inside: the same article, once
    docs, skipped = split(load([folder]))
    assert [Path(d.key).name for d in docs] == ["a.txt"]
    assert set(skipped) == {str(folder / "passwd.txt"), str(folder / "elsewhere")}
    assert all("not followed" in r for r in skipped.values())
    followed, _ = split(load([folder], follow_links=True))
    assert sorted(Path(d.key).name for d in followed) == ["a.txt", "passwd.txt"]


def test_an_unreadable_subfolder_is_reported(tmp_path):
    # root reads every folder: the reader runs as an unprivileged user when the tests run as root
    base = Path(tempfile.mkdtemp(prefix="hoidap-perm-"))
    try:
        os.chmod(base, 0o755)
        (base / "locked").mkdir()
        (base / "locked" / "hidden.txt").write_text(LEAD, "utf-8")
        (base / "open.txt").write_text(LEAD, "utf-8")
        os.chmod(base / "open.txt", 0o644)
        os.chmod(base / "locked", 0o000)
        code = (
            "import json, sys; from ingest.load import load, Skipped\n"
            "out = list(load([sys.argv[1]]))\n"
            "print(json.dumps([[type(o).__name__, o.path, getattr(o, 'reason', '')] for o in out]))"
        )
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "PYTHONPATH": str(root)}
        cmd = [sys.executable, "-c", code, str(base)]
        if os.geteuid() == 0:  # root without the capabilities that let it read any folder
            if not shutil.which("setpriv"):
                pytest.skip("running as root and setpriv (util-linux) is not installed")
            caps = "-dac_override,-dac_read_search"
            cmd = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", "--", *cmd]
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=base, timeout=60)
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout)
    finally:
        os.chmod(base / "locked", 0o700)
        shutil.rmtree(base, ignore_errors=True)
    assert [o[1] for o in out if o[0] == "RawDoc"] == ["open.txt"]
    skipped = [(o[1], o[2]) for o in out if o[0] == "Skipped"]
    assert skipped == [(str(base / "locked"), "folder not read: Permission denied")]


def test_uploads_with_the_same_name_are_both_kept(tmp_path):
    folder = tmp_path / "uploads"
    first, second = tmp_path / "a" / "report.txt", tmp_path / "b" / "report.txt"
    for f, text in ((first, LEAD), (second, LEAD + " Một bài khác.")):
        f.parent.mkdir()
        f.write_text(text, "utf-8")
    kept = [copy_upload(first, folder), copy_upload(second, folder), copy_upload(first, folder)]
    assert [p.name for p in kept] == ["report.txt", "report (2).txt", "report.txt"]  # same bytes: same copy
    assert kept[1].read_text("utf-8").endswith("Một bài khác.")
    assert copy_upload(second, folder, name="../../.report.txt") == folder / "report (2).txt"  # no way out
    docs, _ = split(load([folder]))
    assert len(docs) == 2
