"""The systems compared side by side: the product and its baselines, all on the same index.

- ``hybrid``: the product (dense + folded BM25, reciprocal-rank fusion) with the extractive
  answerer, built by ``app.factory.build_assistant`` exactly as the front ends build it.
- ``dense`` / ``bm25``: the same assistant with one retrieval side switched off.
- ``llamaindex``: llama-index's default pipeline (see ``eval.llamaindex_baseline``).

Every system shares the product's question parsing (follow-up rewriting, English lexicon) and
extractive answerer, so differences come from retrieval and chunking alone. ``retrieve`` gives
the deeper ranked list (``DEPTH``) the retrieval metrics read; it is not timed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.question import parse
from index.store import Store
from index.types import Hit

SYSTEMS = ("hybrid", "dense", "bm25", "llamaindex")
DEPTH = 10  # MRR@10


@dataclass
class System:
    name: str
    assistant: object  # app.assistant.Assistant
    ranked: Callable[[str, str], list[Hit]]  # (rewritten question, lexical query) -> hits
    notes: str = ""

    def retrieve(self, question: str, history: list[dict]) -> list[Hit]:
        q = parse(question, history)
        return self.ranked(q.rewritten, q.search_text)


class _LlamaRetriever:
    """Adapts the llama-index baseline to the assistant's retriever interface (top-k 2)."""

    def __init__(self, baseline, store: Store, top_k: int) -> None:
        self.baseline, self.store, self.top_k = baseline, store, top_k

    def retrieve(self, query: str, k: int = 5, filters=None, lexical_query=None) -> list[Hit]:
        # The default pipeline always hands its top-k (2) nodes to the answer step, whatever
        # depth the assistant would ask of its own retriever.
        return self.baseline.retrieve(query, self.top_k)


def validate(names: list[str] | None) -> list[str]:
    from ingest.errors import BadInput

    names = list(names or SYSTEMS)
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        raise BadInput(f"unknown system(s) {', '.join(unknown)}: choose from {', '.join(SYSTEMS)}")
    return names


def make_systems(settings, store: Store, names: list[str], corpus: list[Path] | None = None) -> dict[str, System]:
    """Build the requested systems over ``store`` (and, for llamaindex, the ``corpus`` files)."""
    from app.assistant import Assistant
    from app.factory import build_assistant

    out: dict[str, System] = {}
    for name in names:
        if name in ("hybrid", "dense", "bm25"):
            assistant = build_assistant(settings, store=store, mode=name)
            retriever = assistant.retriever
            out[name] = System(
                name, assistant,
                lambda q, lex, r=retriever: r.retrieve(q, k=DEPTH, lexical_query=lex),
            )
        elif name == "llamaindex":
            from eval.llamaindex_baseline import DEFAULT_TOP_K, LlamaIndexDefault

            if not corpus:
                continue
            baseline = LlamaIndexDefault(store.embedder).build(corpus)
            baseline.prepare()
            assistant = Assistant(_LlamaRetriever(baseline, store, DEFAULT_TOP_K), top_k=DEFAULT_TOP_K)
            out[name] = System(
                name, assistant, lambda q, lex, b=baseline: b.retrieve(q, DEPTH),
                notes=f"index built in {baseline.build_seconds:.1f} s, "
                      f"{len(baseline.index.docstore.docs)} nodes (SentenceSplitter defaults), top-k {DEFAULT_TOP_K}",
            )
    return out
