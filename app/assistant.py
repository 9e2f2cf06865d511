"""The assistant: question (+ conversation) -> retrieve -> answer -> ``Answer`` with citations.

Front ends call ``Assistant.answer`` and nothing else of the pipeline; they format what it
returns. Bad questions raise ``BadQuestion`` with a message meant for the person asking.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Iterator

from app.answerer import Draft, ParsedAnswerer, StreamingAnswerer
from app.reader import MAX_CHARS, Question, Reader, parse
from app.schema import Answer, Citation, Timings
from index.hybrid import HybridRetriever
from index.types import Filters, Hit
from ingest.errors import BadQuestion, IndexUnavailable
from ingest.textutil import nfc

PLURAL_K = 12  # "which provinces ...?" needs a passage from every article
EVENT_ARTICLES = 3  # articles whose lead an event question reads (the event date is there)


@dataclasses.dataclass
class Quick:
    """The extractive answer, given at once while the LLM (``refining``) writes the one that
    replaces it (``Assistant.stream(..., quick=True)``)."""

    answer: Answer
    refining: str  # the LLM's label, e.g. "local:qwen2.5-coder-0.5b"


class Assistant:
    def __init__(self, retriever: HybridRetriever, llm: StreamingAnswerer | None = None, top_k: int = 5) -> None:
        self.retriever = retriever
        self.llm = llm
        self.top_k = top_k
        self._extractive: ParsedAnswerer | None = None
        self._generation: tuple[int, int] | None = None

    @property
    def extractive(self) -> ParsedAnswerer:
        """Rebuilt when the index changes: word rarity and common places depend on the corpus."""
        store = self.retriever.store
        gen = (store.epoch, store.catalog.generation)  # (epoch: the index was replaced meanwhile)
        if self._extractive is None or gen != self._generation:
            lex = store.lexical
            articles = store.catalog.articles()
            counts = Counter(p for a in articles for p in a["provinces"])
            common = {p for p, n in counts.items() if len(articles) >= 3 and n > len(articles) / 2}
            self._extractive = Reader(lex.doc_freq, len(lex), common)
            self._generation = gen
        return self._extractive

    def refresh(self) -> None:
        """Rebuild the reader's word statistics now if the index changed (a front end calls this
        after an ingest, once, rather than the next answers racing to do it)."""
        self.extractive  # noqa: B018 (the property rebuilds on a new index generation)

    def check(self, question: str) -> str:
        if not isinstance(question, str):
            raise BadQuestion("the question must be text")
        q = nfc(question).strip()
        if not q:
            raise BadQuestion("the question is empty: type a question about the articles")
        if len(q) > MAX_CHARS:
            raise BadQuestion(
                f"the question is {len(q):,} characters long; the limit is {MAX_CHARS:,}: ask something shorter"
            )
        return q

    def retrieve(
        self,
        question: str,
        history: list[dict] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
    ) -> tuple[Question, list[Hit]]:
        """The retrieval stage on its own: the parsed question and the passages the answerer
        reads (at least ``k``). Evaluation measures retrieval through this."""
        return self._retrieve(self.check(question), _turns(history), filters, k or self.top_k)

    def _retrieve(self, text: str, history: list[dict], filters: Filters | None, k: int):
        q = parse(text, history)
        if len(self.retriever.store.lexical) == 0:
            raise IndexUnavailable("the index is empty: add articles with `hoidap ingest PATH` first")
        places = [p for p in q.provinces if p not in self.extractive.common_places]
        if len(places) == 1 and not q.plural and not (filters and filters.province):
            # "hội nghị ở Thái Nguyên": the article is about that place; look only there
            filters = dataclasses.replace(filters or Filters(), province=places[0])
        if q.event and q.period and not (filters and (filters.event_year or filters.event_month)):
            # "hội nghị nào diễn ra vào tháng 6": only articles whose event falls in that period;
            # when none does, the period is read as words of the question ("Hà Nội hỗ trợ tổ chức
            # sự kiện gì vào năm 2020?" asks about an event an article mentions, not reports)
            period = dataclasses.replace(filters or Filters(), event_year=q.period[0], event_month=q.period[1])
            hits = self._search(q, period, k)
            if hits:
                return q, self.retriever.with_leads(hits, PLURAL_K if q.plural else EVENT_ARTICLES)
            if q.plural:  # "which conferences took place in March?" and none did: nothing to read
                return q, []
            q = parse(text, history, periods=False)
        hits = self._search(q, filters, k)
        if q.event:  # when an event took place is in its article's lead
            hits = self.retriever.with_leads(hits, PLURAL_K if q.plural else EVENT_ARTICLES)
        return q, hits

    def _search(self, q: Question, filters: Filters | None, k: int) -> list[Hit]:
        return self.retriever.retrieve(
            q.dense_text, k=max(k, PLURAL_K) if q.plural else max(k, 8), filters=filters,
            lexical_query=q.search_text, weights=q.fusion_weights,
        )

    def _prepare(self, question, history, filters, k):
        t0 = time.perf_counter()
        text, history, k = self.check(question), _turns(history), k or self.top_k
        q, hits = self._retrieve(text, history, filters, k)
        return t0, text, history, q, k, hits, time.perf_counter()

    def answer(
        self,
        question: str,
        history: list[dict] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
        mode: str | None = None,
    ) -> Answer:
        """Answer ``question`` given the conversation so far (``[{"role", "content"}, ...]``)."""
        t0, text, history, q, k, hits, t1 = self._prepare(question, history, filters, k)
        if self.llm is not None and mode != "extractive":
            # the LLM reads every passage retrieved, so its extractive fallback has them all
            draft = self.llm.answer(q.rewritten, hits, history, q.language)
        else:
            draft = self.extractive.answer_parsed(q, hits, self.question_vector(q))
        return self._to_answer(text, q, draft, t0, t1, time.perf_counter())

    def stream(
        self,
        question: str,
        history: list[dict] | None = None,
        filters: Filters | None = None,
        k: int | None = None,
        mode: str | None = None,
        quick: bool = False,
    ) -> Iterator[str | Quick | Answer]:
        """Yield the answer text as it is written (provisional pieces), then the final ``Answer``.

        Extractive answers come whole; an LLM's arrive token by token. Front ends replace the
        pieces with the final answer's text, whose [n] markers have been checked. With ``quick``,
        an LLM answer is preceded by a ``Quick``: the extractive answer from the same passages,
        ready in milliseconds, to show while the LLM writes (for seconds) the one that replaces it."""
        t0, text, history, q, k, hits, t1 = self._prepare(question, history, filters, k)
        if self.llm is None or mode == "extractive":
            draft = self.extractive.answer_parsed(q, hits, self.question_vector(q))
            yield draft.text
        else:
            if quick and hits:  # (no passages: the LLM is not asked, the answer comes at once anyway)
                first = self.extractive.answer_parsed(q, hits, self.question_vector(q))
                label = getattr(self.llm, "label", None) or self.llm.name
                yield Quick(self._to_answer(text, q, first, t0, t1, time.perf_counter()), label)
            draft = None
            for piece in self.llm.stream(q.rewritten, hits, history, q.language):
                if isinstance(piece, Draft):
                    draft = piece
                else:
                    yield piece
            draft = draft or self.extractive.answer_parsed(q, hits, self.question_vector(q))
        yield self._to_answer(text, q, draft, t0, t1, time.perf_counter())

    def question_vector(self, q: Question):
        """The question's vector, which retrieval has just computed (kept by the retriever; a
        BM25-only baseline embeds it here, so that baselines differ by retrieval alone)."""
        keep = getattr(self.retriever, "query_vector", None)
        if keep is not None:
            return keep(q.dense_text)
        return self.retriever.store.embedder.embed_queries([q.dense_text])[0]  # another retriever (a baseline)

    @staticmethod
    def _to_answer(text: str, q: Question, draft: Draft, t0: float, t1: float, t2: float) -> Answer:
        citations = []
        for n, c in enumerate(draft.cited, 1):
            h = c.hit
            citations.append(
                Citation(
                    marker=n, doc_id=h.doc_id, chunk_id=h.chunk_id, title=h.meta.get("title") or "",
                    source=h.meta.get("source") or None, published=h.meta.get("published") or None,
                    event_date=h.meta.get("event_date") or None, date_text=h.meta.get("event_date_text") or None,
                    path=h.meta.get("path") or "", text=h.text, start=h.start, end=h.end, score=round(h.score, 6),
                    answer_start=c.span[0] if c.span else None, answer_end=c.span[1] if c.span else None,
                    sentence_start=c.sentence[0] if c.sentence else None,
                    sentence_end=c.sentence[1] if c.sentence else None,
                )
            )
        return Answer(
            question=text, answer=draft.text, language=q.language, refused=draft.refused, citations=citations,
            timings_ms=Timings(
                retrieve=round((t1 - t0) * 1000, 2), answer=round((t2 - t1) * 1000, 2),
                total=round((t2 - t0) * 1000, 2),
            ),
            rewritten_question=q.rewritten if q.rewritten != text else None,
            question_type=draft.question_type or q.qtype, mode=draft.mode, warnings=draft.warnings,
            outcome=draft.outcome or ("refused" if draft.refused else "answer"), answerer=draft.answerer,
        )


def _turns(history: list[dict] | None) -> list[dict]:
    """The usable turns of a conversation: dicts with text content."""
    return [h for h in (history or []) if isinstance(h, dict) and isinstance(h.get("content"), str)]
