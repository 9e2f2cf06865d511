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


def run_bench(settings: Settings | None = None, repeat: int = 20, corpus: Path = SAMPLE_CORPUS) -> dict:
    from app.factory import build_assistant, ingest_paths, open_store

    base = settings or Settings()
    with tempfile.TemporaryDirectory(prefix="hoidap-bench-") as tmp:
        s = base.model_copy(update={"home": Path(tmp)})
        t = time.perf_counter()
        store = open_store(s)
        r1 = ingest_paths(s, [corpus], store=store)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        r2 = ingest_paths(s, [corpus], store=store)
        warm = time.perf_counter() - t
        assistant = build_assistant(s, store=store)
        for q in QUESTIONS:  # warm caches (first BM25 load, first query embedding)
            assistant.answer(q)
        total, retrieve, answer = [], [], []
        for _ in range(repeat):
            for q in QUESTIONS:
                a = assistant.answer(q)
                total.append(a.timings_ms.total)
                retrieve.append(a.timings_ms.retrieve)
                answer.append(a.timings_ms.answer)
        embed = []
        for q in QUESTIONS * 3:
            t = time.perf_counter()
            store.embedder.embed_queries([q])
            embed.append((time.perf_counter() - t) * 1000)
    return {
        "machine": machine(),
        "corpus": {"articles": r1.added, "chunks": r1.chunks_embedded},
        "ingest_cold_s": round(cold, 2),
        "reingest_s": round(warm, 3),
        "reingest_chunks_embedded": r2.chunks_embedded,
        "ask_ms": {"p50": pct(total, 50), "p95": pct(total, 95), "n": len(total)},
        "retrieve_ms": {"p50": pct(retrieve, 50), "p95": pct(retrieve, 95)},
        "answer_ms": {"p50": pct(answer, 50), "p95": pct(answer, 95)},
        "query_embedding_ms_p50": round(statistics.median(embed), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
