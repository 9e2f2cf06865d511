"""The systems compared side by side: the product and its baselines, all on the same index.

- ``hybrid``: the product (dense + folded BM25, reciprocal-rank fusion) with the extractive
  answerer, built by ``app.factory.build_assistant`` exactly as the front ends build it.
- ``dense`` / ``bm25``: the same assistant with one retrieval side switched off.
- ``llamaindex``: llama-index's default pipeline (see ``eval.llamaindex_baseline``).
- ``llm``: the product's retrieval with the LLM answerer (``HOIDAP_LLM``, or ``local`` when
  unset: llama.cpp and the installed model), side by side with ``hybrid``, its extractive
  twin. Not run unless named (``--systems hybrid,llm``): it needs the model and takes seconds
  a question on a CPU.

Apart from ``llm``, every system shares the product's question parsing (follow-up rewriting) and
extractive answerer, so differences come from retrieval and chunking alone. ``retrieve`` gives
the deeper ranked list (``DEPTH``) the retrieval metrics read, through the assistant's own
retrieval stage; it is not timed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.reader import parse
from index.store import Store
from index.types import Hit

SYSTEMS = ("hybrid", "dense", "bm25", "llamaindex", "llm")
DEFAULT_SYSTEMS = ("hybrid", "dense", "bm25", "llamaindex")
DEPTH = 10  # MRR@10


@dataclass
class System:
    name: str
    assistant: object  # app.assistant.Assistant
    ranked: Callable[[str, list[dict]], list[Hit]]  # (question, history) -> hits, best first
    notes: str = ""

    def answer(self, question: str, history: list[dict] | None = None):
        fresh(self.assistant)
        return self.assistant.answer(question, history=history)

    def retrieve(self, question: str, history: list[dict]) -> list[Hit]:
        return self.ranked(question, history)


@dataclass
class LLMSystem(System):
    """The ``llm`` system, counting how its answers came: written by the LLM, refused by it, or
    the extractive fallback and why (the count lands in the report's notes)."""

    about: str = ""
    outcomes: Counter = field(default_factory=Counter)

    def answer(self, question: str, history: list[dict] | None = None):
        ans = super().answer(question, history)
        fell_back = next((w for w in ans.warnings if " not used: " in w), None)
        if fell_back:
            reason = re.sub(r"^.* not used: |; showing the extractive answer instead\.$", "", fell_back)
            self.outcomes[f"fallback ({reason})"] += 1
        elif any(" found no answer in the " in w for w in ans.warnings):
            self.outcomes["LLM refused, extractive answer shown"] += 1
        else:
            self.outcomes["LLM refused" if ans.refused else "LLM answered"] += 1
        if any(w.startswith(("Citations added", "Citation moved")) for w in ans.warnings):
            self.outcomes["LLM answered, citations repaired"] += 1
        self.notes = self.about + "; " + ", ".join(f"{k}: {v}" for k, v in self.outcomes.most_common())
        return ans


def product_ranking(assistant, depth: int = DEPTH) -> Callable[[str, list[dict]], list[Hit]]:
    """The passages the assistant itself would retrieve (question parsing, place focus, fusion),
    at depth ``depth``: retrieval metrics must measure the product's retrieval, not a copy of it."""

    def ranked(question: str, history: list[dict]) -> list[Hit]:
        return assistant.retrieve(question, history, None, depth)[1][:depth]

    return ranked


class _LlamaRetriever:
    """Adapts the llama-index baseline to the assistant's retriever interface (top-k 2)."""

    def __init__(self, baseline, store: Store, top_k: int) -> None:
        self.baseline, self.store, self.top_k = baseline, store, top_k

    def retrieve(self, query: str, k: int = 5, filters=None, lexical_query=None, weights=None) -> list[Hit]:
        # The default pipeline always hands its top-k (2) nodes to the answer step, whatever
        # depth the assistant would ask of its own retriever.
        return self.baseline.retrieve(query, self.top_k)

    def with_leads(self, hits: list[Hit], articles: int) -> list[Hit]:
        return hits  # the baseline answers from what its own pipeline retrieved, nothing added


class QueryCache:
    """Wraps an embedder so a query embedded by the (timed) answer call is reused by the
    untimed ranking calls right after it. Only the last few queries are kept, so every timed
    answer still embeds its question for real."""

    def __init__(self, inner, size: int = 4) -> None:
        self.inner, self.size = inner, size
        self.name, self.dim = inner.name, inner.dim
        self._cache: dict[str, object] = {}

    def embed_queries(self, texts: list[str]):
        import numpy as np

        out = []
        for t in texts:
            if t not in self._cache:
                if len(self._cache) >= self.size:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[t] = self.inner.embed_queries([t])[0]
            out.append(self._cache[t])
        return np.stack(out)

    def embed_passages(self, texts: list[str]):
        return self.inner.embed_passages(texts)

    def clear(self) -> None:
        self._cache.clear()


def cache_queries(store: Store) -> Store:
    """Install a ``QueryCache`` on a store the eval opened itself (never on a shared one)."""
    if not isinstance(store.embedder, QueryCache):
        store.embedder = QueryCache(store.embedder)
    return store


def fresh(assistant) -> None:
    """Forget cached queries so the next timed answer embeds its question for real."""
    retriever = getattr(assistant, "retriever", None)
    clear = getattr(getattr(retriever, "store", None), "embedder", None)
    if isinstance(clear, QueryCache):
        clear.clear()
    if hasattr(retriever, "forget_queries"):
        retriever.forget_queries()


def _dense_text(question: str, history: list[dict]) -> str:
    q = parse(question, history)
    return getattr(q, "dense_text", q.rewritten)


def validate(names: list[str] | None) -> list[str]:
    from ingest.errors import BadInput

    names = list(names or DEFAULT_SYSTEMS)
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
            # extractive even when HOIDAP_LLM is set: the LLM is the ``llm`` system
            assistant = build_assistant(settings.model_copy(update={"llm": None}), store=store, mode=name)
            out[name] = System(name, assistant, product_ranking(assistant))
        elif name == "llm":
            llm_settings = settings if settings.llm else settings.model_copy(update={"llm": "local"})
            assistant = build_assistant(llm_settings, store=store)  # hybrid retrieval, LLM answers
            llm = assistant.llm
            about = (f"answers by {llm.label} from the best {llm.max_passages or 'all'} retrieved passages, "
                     "falling back to the extractive answer when its reply is unusable")
            out[name] = LLMSystem(name, assistant, product_ranking(assistant), notes=about, about=about)
        elif name == "llamaindex":
            from eval.llamaindex_baseline import DEFAULT_TOP_K, LlamaIndexDefault

            if not corpus:
                continue
            baseline = LlamaIndexDefault(store.embedder).build(corpus)
            baseline.prepare()
            assistant = Assistant(_LlamaRetriever(baseline, store, DEFAULT_TOP_K), top_k=DEFAULT_TOP_K)
            out[name] = System(
                name, assistant, lambda q, h, b=baseline: b.retrieve(_dense_text(q, h), DEPTH),
                notes=f"index built in {baseline.build_seconds:.1f} s, "
                      f"{len(baseline.index.docstore.docs)} nodes (SentenceSplitter defaults), top-k {DEFAULT_TOP_K}",
            )
    return out
