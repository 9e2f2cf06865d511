"""The fake embedder and the fast fixtures built on it (``fake_store``, ``fake_assistant``):
deterministic vectors, a real index of a corpus written here (not the sample articles) built in
a fraction of a second, and retrieval through ``Assistant.retrieve`` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.factory import ingest_paths
from index.store import Store
from ingest.errors import IndexMismatch
from tests.fakes.embedder import HashingEmbedder

ARTICLES = [
    {
        "title": "Đắk Lắk vào vụ thu hoạch sầu riêng",
        "source": "Báo Đắk Lắk",
        "published": "2024-08-12",
        "text": (
            "Sáng 12-8, nông dân huyện Krông Pắc, tỉnh Đắk Lắk bắt đầu thu hoạch sầu riêng vụ chính.\n\n"
            "Năm nay toàn tỉnh có khoảng 32.000 ha sầu riêng, sản lượng ước đạt 400.000 tấn. "
            "Giá sầu riêng Ri6 tại vườn dao động từ 65.000 đến 70.000 đồng mỗi kg.\n\n"
            "Ông Nguyễn Văn Minh, Giám đốc Sở Nông nghiệp tỉnh, cho biết phần lớn sản lượng được xuất khẩu."
        ),
    },
    {
        "title": "Giải chạy marathon quốc tế Đà Nẵng thu hút 9.000 vận động viên",
        "source": "Báo Đà Nẵng",
        "published": "2024-06-02",
        "text": (
            "Sáng 2-6, giải chạy marathon quốc tế Đà Nẵng xuất phát tại cầu Rồng với 9.000 vận động viên.\n\n"
            "Cự ly dài nhất là 42 km, chạy dọc bờ biển Mỹ Khê và sông Hàn. "
            "Vận động viên Trần Thị Lan về nhất nội dung marathon nữ với thời gian 2 giờ 51 phút."
        ),
    },
    {
        "title": "Tuyến metro số 1 chở khách thương mại",
        "source": "Báo Sài Gòn",
        "published": "2024-12-22",
        "text": (
            "Ngày 22-12, tuyến metro số 1 Bến Thành - Suối Tiên ở Thành phố Hồ Chí Minh chính thức chở khách.\n\n"
            "Tuyến dài 19,7 km với 14 nhà ga, trong đó 3 ga đi ngầm. "
            "Giá vé lượt từ 7.000 đến 20.000 đồng; tháng đầu tiên hành khách được đi miễn phí."
        ),
    },
]


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "tin.jsonl").write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES), "utf-8")
    return folder


def test_vectors_are_deterministic_normalised_and_folded(fake_embedder):
    texts = ["Giá vé metro là bao nhiêu?", "", "   ", "🚇 metro", "x" * 100_000]
    a = fake_embedder.embed_passages(texts)
    b = HashingEmbedder().embed_passages(texts)
    assert a.shape == (len(texts), fake_embedder.dim) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0) and np.isfinite(a).all()
    # the same words typed without diacritics, or decomposed (NFD), give the same vector
    same = fake_embedder.embed_passages(["Sầu riêng Đắk Lắk", "sau rieng dak lak", "Sầu riêng Đắk Lắk"])
    assert np.allclose(same[0], same[1]) and np.allclose(same[0], same[2])
    assert fake_embedder.embed_passages([]).shape == (0, fake_embedder.dim)


def test_vectors_are_the_same_in_another_process(fake_embedder):
    """Python's own ``hash`` is salted per process; vectors kept in Chroma must not depend on it."""
    code = (
        "from tests.fakes.embedder import HashingEmbedder; import sys; "
        "sys.stdout.write(HashingEmbedder().embed_passages(['Tuyến metro số 1 chở khách'])[0].tobytes().hex())"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, check=True)
    here = fake_embedder.embed_passages(["Tuyến metro số 1 chở khách"])[0]
    assert out.stdout == here.tobytes().hex()


def test_shared_words_are_closer_than_unrelated_text(fake_embedder):
    q = fake_embedder.embed_queries(["Giá sầu riêng tại vườn là bao nhiêu?"])[0]
    p = fake_embedder.embed_passages([a["text"] for a in ARTICLES])
    assert int(np.argmax(p @ q)) == 0


def test_the_index_records_the_fake_and_refuses_another_embedder(fake_store, corpus):
    ingest_paths(None, [corpus], store=fake_store)
    assert fake_store.stats()["embedder"] == "test-hashing-256"
    with pytest.raises(IndexMismatch, match="test-hashing-256"):
        Store(fake_store.home, HashingEmbedder(dim=128))


def test_fake_index_retrieves_and_answers_a_new_corpus_fast(fake_assistant, corpus):
    t = time.perf_counter()
    report = ingest_paths(None, [corpus], store=fake_assistant.retriever.store)
    built = time.perf_counter() - t
    assert (report.added, report.skipped) == (3, [])

    q, hits = fake_assistant.retrieve("Tuyến metro số 1 dài bao nhiêu km?")
    assert hits[0].meta["title"] == "Tuyến metro số 1 chở khách thương mại"
    assert "19,7 km" in " ".join(h.text for h in hits if h.doc_id == hits[0].doc_id)
    q, hits = fake_assistant.retrieve("Ai về nhất marathon nữ ở Đà Nẵng?")
    assert hits[0].meta["source"] == "Báo Đà Nẵng" and "Trần Thị Lan" in hits[0].text

    answer = fake_assistant.answer("Ai về nhất nội dung marathon nữ?")
    assert not answer.refused and "Trần Thị Lan" in answer.answer
    assert answer.citations[0].title.startswith("Giải chạy marathon")
    # a few ms per chunk for the vectors; the rest is chunking (sentence split, POS tags)
    assert built < 20, f"indexing three short articles took {built:.1f} s"
