"""``hoidap bench``: the core pipeline's speed and memory on this machine, on the bundled corpus.

Cold ingest (fresh index home), re-ingest of the unchanged corpus (must embed nothing),
warm ``ask`` latency over a fixed question list, and the process's peak memory. Numbers are
medians and percentiles of one run: the machines are noisy, compare ratios within a run.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

from app.settings import SAMPLE_CORPUS, Settings

QUESTIONS = [
    "Ai chủ trì hội nghị ở Thái Nguyên?",
    "ai chu tri hoi nghi o thai nguyen",
    "Who chaired the Thái Nguyên meeting?",
    "Thanh Hóa đã thu hút bao nhiêu dự án từ Hà Nội?",
    "Hội nghị ở Hải Dương diễn ra khi nào?",
    "Những tỉnh nào được Hà Nội trao tặng 3 tỷ đồng?",
    "Hà Nội hỗ trợ Hưng Yên bao nhiêu tiền năm 2018?",
    "Where was the Thái Nguyên meeting held?",
    "Ai chủ trì hội nghị ở Đà Nẵng?",
    "Tỉnh Hà Tĩnh đề xuất bao nhiêu nhóm nội dung hợp tác?",
]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))], 2)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def ask_latency(settings: Settings, repeat: int = 20) -> dict:
    """Warm ``ask`` latency over QUESTIONS on an existing index, in this process."""
    from app.factory import build_assistant

    assistant = build_assistant(settings)
    for q in QUESTIONS:  # warm caches (first BM25 load, first query embedding)
        assistant.answer(q)
    total, retrieve, answer = [], [], []
    for _ in range(repeat):
        for q in QUESTIONS:
            assistant.retriever.forget_queries()  # a repeated question would reuse its kept vector
            a = assistant.answer(q)
            total.append(a.timings_ms.total)
            retrieve.append(a.timings_ms.retrieve)
            answer.append(a.timings_ms.answer)
    embed = []
    for q in QUESTIONS * 3:
        t = time.perf_counter()
        assistant.retriever.store.embedder.embed_queries([q])
        embed.append((time.perf_counter() - t) * 1000)
    return {
        "ask_ms": {"p50": pct(total, 50), "p95": pct(total, 95), "n": len(total)},
        "retrieve_ms": {"p50": pct(retrieve, 50), "p95": pct(retrieve, 95)},
        "answer_ms": {"p50": pct(answer, 50), "p95": pct(answer, 95)},
        "query_embedding_ms_p50": round(statistics.median(embed), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def ingest_times(settings: Settings, corpus: Path = SAMPLE_CORPUS) -> dict:
    """Cold ingest, then re-ingest of the unchanged corpus, into ``settings.home``."""
    from app.factory import ingest_paths, open_store

    t = time.perf_counter()
    store = open_store(settings)
    r1 = ingest_paths(settings, [corpus], store=store)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    r2 = ingest_paths(settings, [corpus], store=store)
    return {
        "corpus": {"articles": r1.added, "chunks": r1.chunks_embedded},
        "ingest_cold_s": round(cold, 2),
        "reingest_s": round(time.perf_counter() - t, 3),
        "reingest_chunks_embedded": r2.chunks_embedded,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_bench(settings: Settings | None = None, repeat: int = 20, corpus: Path = SAMPLE_CORPUS) -> dict:
    """Ingest and ``ask`` latency, each in a fresh process, as ``hoidap ingest`` and then
    ``hoidap ask`` / ``hoidap chat`` meet the index: the query side then carries none of the
    ingest's imports (underthesea, torch) or memory, and its peak memory is its own."""
    import json
    import subprocess
    import sys

    embed_model = (settings or Settings()).embed_model
    with tempfile.TemporaryDirectory(prefix="hoidap-bench-") as tmp:
        env = {**os.environ, "HOIDAP_HOME": tmp, "HOIDAP_EMBED_MODEL": embed_model}

        def child(*args: str) -> dict:
            out = subprocess.run([sys.executable, "-m", "eval.bench", *args], capture_output=True, text=True,
                                 check=True, env=env)
            return json.loads(out.stdout.strip().splitlines()[-1])

        ingest = child("--ingest", tmp, "--corpus", str(corpus))
        latency = child("--latency", tmp, "--repeat", str(repeat))
    return {
        "machine": machine(),
        **{k: v for k, v in ingest.items() if k != "peak_rss_mb"},
        **{k: v for k, v in latency.items() if k != "peak_rss_mb"},
        "peak_rss_mb": {"ingest": ingest["peak_rss_mb"], "ask": latency["peak_rss_mb"]},
    }


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(description="one stage of hoidap bench, in its own process")
    ap.add_argument("--latency", metavar="HOME")
    ap.add_argument("--ingest", metavar="HOME")
    ap.add_argument("--corpus", type=Path, default=SAMPLE_CORPUS)
    ap.add_argument("--repeat", type=int, default=20)
    ns = ap.parse_args()
    if ns.ingest:
            print(json.dumps(ingest_times(Settings(home=Path(ns.ingest)), ns.corpus)))
    else:
        print(json.dumps(ask_latency(Settings(home=Path(ns.latency)), ns.repeat)))
