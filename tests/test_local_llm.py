"""``HOIDAP_LLM=local`` end to end against a real model: llama.cpp's server (xllamacpp) running
Qwen2.5-Coder-0.5B-Instruct, assembled from the pip-installed chunks of the ``[local]`` extra.

What a real small model does cannot be scripted: it may answer, cite the wrong passage, write
a bare "[1]" or refuse. So these tests assert what hoidap guarantees whatever the model
writes: every marker left points at a passage that holds the words of its sentence, any
repair is said in the warnings, and anything else falls back to the extractive answer with a
note. The scripted stand-in (tests/test_llm.py) covers replies a model gives only by chance.

The assembled model (491 MB) is kept in ``HOIDAP_TEST_MODEL_CACHE`` (default
``~/.cache/hoidap-tests``), named by its sha256, so it is built once per machine. One server
serves the whole module; questions share the passages, so llama.cpp reuses their prompt.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("xllamacpp", reason='the [local] extra is not installed: pip install -e ".[local]"')

from app import local_llm  # noqa: E402
from app.answerer import Draft  # noqa: E402
from app.llm import make_llm_answerer  # noqa: E402
from app.llm_citations import SUPPORT, support  # noqa: E402
from app.settings import Settings  # noqa: E402
from ingest.errors import HoidapError  # noqa: E402
from tests.test_llm import PASSAGES, FirstSentence, make_hit  # noqa: E402

MODEL = "qwen2.5-coder-0.5b"
PACK = local_llm.MODELS[MODEL]
if not local_llm.installed(PACK):
    pytest.skip(f"the {PACK.title} model is not installed: {PACK.install}", allow_module_level=True)

pytestmark = pytest.mark.slow
CACHE = Path(os.environ.get("HOIDAP_TEST_MODEL_CACHE") or Path.home() / ".cache" / "hoidap-tests")


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(
        home=tmp_path_factory.mktemp("local-llm-home"), llm=f"local:{MODEL}", llm_cache=CACHE, llm_timeout=120
    )


@pytest.fixture(scope="module")
def server(settings):
    started = time.perf_counter()
    server = local_llm.local_server(settings)
    print(f"\nmodel ready and server started in {time.perf_counter() - started:.1f} s")
    yield server
    local_llm.stop_all()


@pytest.fixture
def hits():
    return [make_hit(i, text) for i, text in enumerate(PASSAGES)]


def assert_grounded(draft: Draft, hits, question: str, language: str) -> None:
    """What hoidap guarantees about any answer, whatever the model wrote."""
    if draft.mode == "extractive":  # the model's reply was not usable: said so
        assert any(w.startswith("LLM (local:") and "extractive answer" in w for w in draft.warnings), draft.warnings
        return
    assert draft.mode == "llm"
    if draft.refused:
        assert not draft.cited
        return
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", draft.text)}
    assert markers == set(range(1, len(draft.cited) + 1)), draft.text  # [n] is cited[n-1], none dangling
    assert all(c.hit in hits for c in draft.cited)
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", draft.text):
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        if numbers:  # a cited sentence is held by one of the passages it cites
            claim = re.sub(r"\s*\[\d+\]", "", sentence)
            best = max(support(claim, draft.cited[n - 1].hit.text, language, question) for n in numbers)
            assert best >= SUPPORT, (sentence, draft.warnings)


# -- the model file ---------------------------------------------------------------------------


def test_model_is_assembled_once_with_its_checksum(server):
    model = server.model
    assert model.parent == CACHE and PACK.sha256[:12] in model.name
    assert model.stat().st_size == PACK.size == 491_400_064
    stamp = model.with_name(model.name + ".ok").read_text()
    started = time.perf_counter()
    assert local_llm.assemble(PACK, CACHE) == model  # checked before: not re-read
    assert time.perf_counter() - started < 0.5
    assert model.with_name(model.name + ".ok").read_text() == stamp


def test_a_wrong_checksum_is_refused_and_leaves_no_file(tmp_path):
    bad = local_llm.ModelPack("bad", "a model", PACK.packages, PACK.version, PACK.size, "0" * 64, PACK.licence)
    with pytest.raises(HoidapError, match="sha256") as err:
        local_llm.assemble(bad, tmp_path)
    assert "--force-reinstall" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_model_by_path_is_checked(tmp_path):
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    with pytest.raises(HoidapError, match="not a GGUF model file"):
        local_llm.resolve_model(f"local:{text}", tmp_path)
    with pytest.raises(HoidapError, match="does not exist"):
        local_llm.resolve_model(f"local:{tmp_path / 'missing.gguf'}", tmp_path)
    with pytest.raises(HoidapError, match="no model named"):
        local_llm.resolve_model("local:qwen-9000", tmp_path)
    assert local_llm.resolve_model(f"local:{MODEL}", CACHE)[0] == MODEL


# -- the server -------------------------------------------------------------------------------


def test_server_speaks_the_openai_api_on_loopback(server):
    import httpx

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
    key = {"Authorization": f"Bearer {server.api_key}"}
    models = httpx.get(server.base_url + "/models", headers=key, timeout=10).json()
    assert MODEL in {m["id"] for m in models["data"]}
    # other users of the machine reach loopback too: without the process's key, no answers
    chat = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
    assert httpx.post(server.base_url + "/chat/completions", json=chat, timeout=10).status_code == 401


def test_one_server_per_model_and_configuration(settings, server):
    assert local_llm.local_server(settings) is server
    assert make_llm_answerer(settings, FirstSentence()).llm.api_base == server.base_url


# -- answers ----------------------------------------------------------------------------------


# grouped by language: each language has its own system prompt, and the server reuses a prompt's
# beginning only while it stays the same
QUESTIONS = [
    ("Thành phố Hà Nội hỗ trợ tỉnh Thái Nguyên bao nhiêu tiền để xây nhà văn hóa?", "vi"),
    ("Ai đồng chủ trì hội nghị?", "vi"),
    ("How much did Hanoi give Thai Nguyen for the cultural house?", "en"),
]


def test_answers_are_grounded_or_fall_back(settings, server, hits):
    answerer = make_llm_answerer(settings, FirstSentence())
    assert answerer.label == f"local:{MODEL}"
    drafts = []
    for question, language in QUESTIONS:
        started = time.perf_counter()
        draft = answerer.answer(question, hits, [], language)
        print(f"{time.perf_counter() - started:5.1f} s {draft.mode}: {draft.text!r} {draft.warnings}")
        assert_grounded(draft, hits, question, language)
        drafts.append(draft)
    # the model does answer from the passages: the figure, cited to the passage holding it
    assert any(d.mode == "llm" and "3" in d.text and hits[2] in [c.hit for c in d.cited] for d in drafts)


def test_stream_yields_tokens_then_the_checked_draft(settings, server, hits):
    answerer = make_llm_answerer(settings, FirstSentence())
    question, language = QUESTIONS[-1]
    *deltas, final = answerer.stream(question, hits, [], language)
    assert len(deltas) >= 3 and all(isinstance(d, str) and d for d in deltas)  # token by token
    assert isinstance(final, Draft)
    assert_grounded(final, hits, question, language)
    if final.mode == "llm" and not final.refused:  # the final text is the streamed text, checked
        words = lambda t: re.sub(r"\[\d+\]|[^\w]", " ", t).split()  # noqa: E731
        assert words(final.text) == words("".join(deltas))


@pytest.fixture(scope="module")
def web_url(settings, server, sample_home, tmp_path_factory):
    """The chat server (page + APIs) in LLM mode, answering with the module's model."""
    from app.web.service import WebService, background_server

    home = tmp_path_factory.mktemp("web-local") / "home"
    shutil.copytree(sample_home, home)
    web = WebService(settings.model_copy(update={"home": home, "llm_passages": 2}))
    assert web.assistant.llm.llm.api_base == server.base_url  # the module's server, not a second one
    with background_server(web) as url:
        yield url


def test_the_rest_api_answers_with_the_local_model(web_url):
    import httpx

    with httpx.Client(base_url=web_url, timeout=180) as http:
        assert http.get("/healthz").json()["llm"] == f"local:{MODEL}"
        answer = http.post("/api/ask", json={"question": "Hà Nội hỗ trợ Thái Nguyên bao nhiêu tiền?"}).json()
    print(answer["mode"], repr(answer["answer"]), answer["warnings"], answer["timings_ms"])
    assert answer["timings_ms"]["answer"] > 0 and answer["citations"] is not None
    if answer["mode"] == "llm":
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
        assert answer["refused"] or markers == {c["marker"] for c in answer["citations"]}
    else:
        assert any("LLM (local:" in w for w in answer["warnings"])


CHROMIUM = Path("/usr/bin/chromium")


def test_the_chat_page_answers_at_once_then_the_model_refines(settings, web_url, tmp_path):
    """In a real browser: the extractive answer, marked as quick, with its source cards, within
    seconds; the model's words appear under it as they are written; its checked answer (or its
    visible fallback) then takes the bubble's place, saying who answered."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    from tests.test_browser import ARGS
    from tests.test_slack_bot import CHAIRS, QUESTION

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(web_url + "/")
        page.wait_for_selector("#question textarea", timeout=60_000)
        # every state the bubble goes through, as the browser rendered it
        page.evaluate("""() => {
            window.__seen = [];
            new MutationObserver(() => {
                const bot = [...document.querySelectorAll("#chat [data-testid='bot']")].pop();
                const text = bot ? bot.innerText : "";
                if (text && window.__seen[window.__seen.length - 1] !== text) window.__seen.push(text);
            }).observe(document.querySelector("#chat"), {subtree: true, childList: true, characterData: true});
        }""")
        started = time.perf_counter()
        page.fill("#question textarea", QUESTION)
        page.press("#question textarea", "Enter")
        page.wait_for_selector("#chat :text('Trả lời nhanh')", timeout=30_000)
        quick_after = time.perf_counter() - started
        quick = page.inner_text("#chat [data-testid='bot']")
        assert f"đang tinh chỉnh với mô hình local:{MODEL}…" in quick and "trích từ bài báo · " in quick
        # the extractive reader's answer, here before the model has read a word
        assert all(name in quick for name in CHAIRS) and re.search(r"\[\d+\]", quick)
        assert page.locator("#sources .src-card").count() >= 1  # with its sources
        page.screenshot(path=str(tmp_path / "quick.png"))
        page.wait_for_function("() => !document.querySelector('#chat').innerText.includes('Trả lời nhanh')",
                               timeout=(settings.llm_timeout + 60) * 1000)
        page.wait_for_function("() => !document.querySelector('#chat .pending, #chat .generating')",
                               timeout=30_000)
        final_after = time.perf_counter() - started
        final = page.inner_text("#chat [data-testid='bot']")
        seen = page.evaluate("() => window.__seen")
        page.screenshot(path=str(tmp_path / "final.png"))
        cards = page.locator("#sources .src-card").count()
        browser.close()
    shutil.copyfile(tmp_path / "quick.png", Path(tempfile.gettempdir()) / "hoidap_chat_llm_quick.png")
    shutil.copyfile(tmp_path / "final.png", Path(tempfile.gettempdir()) / "hoidap_chat_llm_final.png")
    print(f"quick answer after {quick_after:.1f} s, the model's after {final_after:.1f} s: {final!r}")
    assert not errors, errors
    assert quick_after < final_after
    if f"mô hình local:{MODEL} · " in final:  # the model's answer, streamed under the quick one first
        assert any(f"Mô hình local:{MODEL} đang viết:" in s and "Trả lời nhanh" in s for s in seen), seen
        assert re.search(r"\[\d+\]", final) and cards >= 1
    else:  # the model's reply was not usable: the extractive answer stays, saying why
        assert f"LLM (local:{MODEL})" in final and "Trả lời nhanh" not in final


def assert_answer_grounded(answer: dict) -> None:
    """``assert_grounded`` for a front end's ``Answer`` JSON: markers are its citations, an LLM's
    cited sentences are held by a passage they cite, a fallback says so."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    cited = {c["marker"]: c for c in answer["citations"]}
    assert markers <= set(cited), answer  # no marker points at nothing
    if answer["mode"] == "extractive":
        assert any(w.startswith(f"LLM (local:{MODEL})") for w in answer["warnings"]), answer["warnings"]
        return
    assert answer["answerer"] == f"local:{MODEL}"
    if answer["refused"]:
        assert not cited
        return
    assert markers == set(cited), answer
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", answer["answer"]):
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        if numbers:
            claim = re.sub(r"\s*\[\d+\]", "", sentence)
            best = max(support(claim, cited[n]["text"], answer["language"], answer["question"]) for n in numbers)
            assert best >= SUPPORT, (sentence, answer["warnings"])


def test_the_slack_bot_answers_with_the_local_model(settings, server, sample_home, sample_store, tmp_path):
    """A mention through the bot's real HTTP endpoint (signed as Slack signs), answered in its
    thread by the local model or by its visible fallback, to the fake Slack Web API."""
    from app.factory import build_assistant
    from app.feedback import FeedbackStore
    from tests.fakes.slack_api import FakeSlackAPI
    from tests.test_slack_bot import QUESTION, Bot, Recording, run_bot, settings_for

    assistant = build_assistant(settings.model_copy(update={"home": sample_home, "llm_passages": 2}),
                                store=sample_store)
    assert assistant.llm.llm.api_base == server.base_url  # the module's server, not a second one
    with FakeSlackAPI() as fake:
        feedback = FeedbackStore(tmp_path / "feedback.sqlite")
        recording = Recording(assistant)
        url, stop = run_bot(settings_for(tmp_path, fake), recording, feedback)
        try:
            bot = Bot(url, fake, recording, feedback)
            started = time.perf_counter()
            msg, resp = bot.mention(QUESTION)
            assert resp.status_code == 200 and time.perf_counter() - started < 3  # Slack retries after 3 s
            [post] = fake.wait_for("chat.postMessage", timeout=settings.llm_timeout + 60)
            took = time.perf_counter() - started
            fake.wait_for("reactions.remove", where=lambda c: c.args.get("timestamp") == msg["ts"])
        finally:
            stop()
    assert post.args["thread_ts"] == msg["ts"] and post.args["channel"] == "C0GENERAL"
    actions = post.args["blocks"][-1]
    stored = feedback.recall(actions["elements"][0]["value"])  # the Answer the message was made from
    answer = stored["answer"]
    print(f"{took:5.1f} s {answer['mode']}: {answer['answer']!r} {answer['warnings']}")
    assert_answer_grounded(answer)
    blocks = json.dumps(post.args["blocks"], ensure_ascii=False)
    [note] = [b["elements"][0]["text"] for b in post.args["blocks"] if b["type"] == "context"]
    if answer["mode"] == "llm":
        assert f"mô hình local:{MODEL} · " in note
    else:  # the fallback is visible in the thread, not only in the logs
        assert f"LLM (local:{MODEL}) " in note and "trích từ bài báo · " in note
    if answer["citations"]:
        assert "*Nguồn*" in blocks and all(f"*[{c['marker']}]*" in blocks for c in answer["citations"])
    assert answer["timings_ms"]["total"] / 1000 <= took and recording.asked == [(QUESTION, None)]


def test_a_server_slower_than_the_timeout_falls_back_with_a_note(settings, server, hits):
    answerer = make_llm_answerer(settings.model_copy(update={"llm_timeout": 0.05}), FirstSentence())
    assert answerer.llm.api_base == server.base_url
    question, language = "Bùi Xuân Hòa là ai?", "vi"
    started = time.perf_counter()
    draft = answerer.answer(question, hits, [], language)
    *_, streamed = answerer.stream(question, hits, [], language)
    assert time.perf_counter() - started < 5
    for d in (draft, streamed):
        assert d.mode == "extractive" and d.text == FirstSentence().answer("", hits, [], "vi").text
        assert any("did not answer in time" in w for w in d.warnings), d.warnings
    # the abandoned requests do not hold the server: the next answer comes at the usual pace
    started = time.perf_counter()
    answer = make_llm_answerer(settings, FirstSentence()).answer(question, hits, [], language)
    assert answer.mode in ("llm", "extractive") and time.perf_counter() - started < 60


def test_stopping_frees_the_model_and_the_port(settings, server):
    import httpx

    local_llm.stop_all()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/models", timeout=5)
