"""The chat server for real: uvicorn on a free loopback port over a copy of the sample index,
driven over HTTP (httpx), with the ``openai`` client and with ``gradio_client``."""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

TN_Q = "Ai chủ trì hội nghị ở Thái Nguyên?"
TN_NAMES = ("Nguyễn Thị Bích Ngọc", "Bùi Xuân Hòa")

NEW_ARTICLE = """Hà Nội và Lào Cai ký kết chương trình hợp tác du lịch

Sáng 12-3-2021, tại thành phố Lào Cai, Ủy ban nhân dân thành phố Hà Nội và Ủy ban nhân dân tỉnh Lào Cai \
tổ chức hội nghị ký kết chương trình hợp tác phát triển du lịch giai đoạn 2021-2025.

Phó Chủ tịch UBND thành phố Hà Nội Trần Văn Lâm và Phó Chủ tịch UBND tỉnh Lào Cai Đặng Minh Khôi \
đồng chủ trì hội nghị. Hai bên thống nhất 7 nội dung hợp tác, trong đó có quảng bá điểm đến Sa Pa.
"""


def ask(http: httpx.Client, **body) -> dict:
    r = http.post("/api/ask", json=body)
    assert r.status_code == 200, r.text
    return r.json()


# -- REST --------------------------------------------------------------------------------------


def test_healthz_reports_the_index(http):
    r = http.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["articles"] == 5 and r.json()["chunks"] > 5


@pytest.mark.parametrize(
    "question", [TN_Q, "ai chu tri hoi nghi o thai nguyen?", "Who chaired the conference in Thai Nguyen?"]
)
def test_ask_answers_with_the_json_contract(http, question):
    a = ask(http, question=question)
    assert all(name in a["answer"] for name in TN_NAMES)
    assert a["citations"]
    if question.startswith("Who"):  # English: a short answer, or the closest sentence quoted (refused)
        assert a["outcome"] in ("answer", "closest") and a["refused"] == (a["outcome"] == "closest")
    else:
        assert not a["refused"] and a["outcome"] == "answer"
    c = a["citations"][0]
    assert f"[{c['marker']}]" in a["answer"]
    assert c["path"].endswith("ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt")
    assert "Bùi Xuân Hòa" in c["text"] and set(a["timings_ms"]) == {"retrieve", "answer", "total"}
    assert a["language"] == ("en" if question.startswith("Who") else "vi")


def test_ask_uses_history_for_follow_ups(http):
    first = ask(http, question=TN_Q)
    history = [{"role": "user", "content": TN_Q}, {"role": "assistant", "content": first["answer"]}]
    a = ask(http, question="Còn ở Thanh Hóa thì sao?", history=history)
    assert "Thanh Hóa" in (a["rewritten_question"] or "")
    assert a["citations"] and all("thanh-hoa" in c["path"] for c in a["citations"])


def test_ask_filters_restrict_the_sources(http):
    a = ask(http, question="Ai chủ trì hội nghị?", filters={"province": "Thanh Hóa"})
    assert a["citations"] and all("thanh-hoa" in c["path"] for c in a["citations"])
    b = ask(http, question=TN_Q, filters={"source": "HNMO"})
    assert all(n in b["answer"] for n in TN_NAMES)
    c = ask(http, question=TN_Q, filters={"date_from": "2030-01-01"})
    assert c["refused"] and not c["citations"]
    d = ask(http, question="Hội nghị hợp tác diễn ra khi nào?", filters={"event_year": 2017, "event_month": 6})
    assert d["citations"] and all("hai-duong" in c["path"] for c in d["citations"])


@pytest.mark.parametrize("body", [
    {"question": ""}, {"question": "   \n\t"}, {"question": "x" * 100_000}, {"question": 123},
    {}, {"question": "ok?", "k": 0}, {"question": "ok?", "k": 1000}, {"question": "ok?", "filters": "Hà Nội"},
    {"question": "ok?", "filters": {"event_month": 13}}, {"question": "ok?", "history": "not a list"},
    {"question": "ok?", "mode": "magic"},
])
def test_bad_requests_get_a_400_with_a_message(http, body):
    r = http.post("/api/ask", json=body)
    assert r.status_code == 400
    msg = r.json()["error"]["message"]
    assert msg and "Traceback" not in msg


def test_body_that_is_not_json_gets_a_400(http):
    r = http.post("/api/ask", content=b"\xff\xfe not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["message"]


def test_markup_in_a_question_comes_back_as_plain_data(http):
    q = "<script>alert('x')</script> Ai chủ trì hội nghị ở Thái Nguyên?"
    a = ask(http, question=q)
    assert a["question"] == q
    # answered with sources or refused outright; either way a clean answer, not an error
    assert a["refused"] != bool(a["citations"])


def test_twenty_simultaneous_questions_are_all_answered(http, base_url):
    questions = [
        TN_Q, "Hà Nội và Thanh Hóa thống nhất bao nhiêu nội dung hợp tác?", "ai chu tri hoi nghi o thai nguyen?",
        "Who chaired the conference in Thai Nguyen?", "Thời tiết ở Paris hôm nay thế nào?",
    ] * 4
    expected = {q: ask(http, question=q)["answer"] for q in set(questions)}

    def one(q: str) -> tuple[int, dict]:
        with httpx.Client(base_url=base_url, timeout=120) as c:
            r = c.post("/api/ask", json={"question": q})
            return r.status_code, r.json()

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, questions))
    assert [s for s, _ in results] == [200] * 20
    assert [a["answer"] for _, a in results] == [expected[q] for q in questions]


# -- OpenAI-compatible -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oai(base_url):
    from openai import OpenAI

    return OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=60)


def test_openai_models_lists_hoidap(oai):
    assert [m.id for m in oai.models.list()] == ["hoidap"]


def test_openai_chat_completion(oai):
    r = oai.chat.completions.create(model="hoidap", messages=[
        {"role": "system", "content": "ignored"}, {"role": "user", "content": TN_Q}])
    text = r.choices[0].message.content
    assert all(n in text for n in TN_NAMES) and "[1]" in text
    assert "\n\nNguồn:\n[1] " in text and "ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt" in text
    cites = r.model_extra["citations"]
    assert cites[0]["marker"] == 1 and "Bùi Xuân Hòa" in cites[0]["text"]
    assert r.choices[0].finish_reason == "stop"


def test_openai_streaming_adds_up_to_the_same_message(oai):
    messages = [{"role": "user", "content": [{"type": "text", "text": "Who chaired the conference in Thai Nguyen?"}]}]
    whole = oai.chat.completions.create(model="hoidap", messages=messages).choices[0].message.content
    chunks = list(oai.chat.completions.create(model="hoidap", messages=messages, stream=True))
    assert len(chunks) > 3
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole
    assert whole.count("Sources:") == 1
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_extra["citations"]


def test_openai_follow_up_uses_earlier_messages(oai):
    first = oai.chat.completions.create(model="hoidap", messages=[{"role": "user", "content": TN_Q}])
    r = oai.chat.completions.create(model="hoidap", messages=[
        {"role": "user", "content": TN_Q}, {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "Còn ở Thanh Hóa thì sao?"}])
    assert all("thanh-hoa" in c["path"] for c in r.model_extra["citations"])


@pytest.mark.parametrize(
    "messages", [[{"role": "user", "content": "  "}], [], [{"role": "assistant", "content": "hi"}]]
)
def test_openai_bad_requests_are_400_errors(oai, messages):
    import openai

    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model="hoidap", messages=messages)
    assert err.value.status_code == 400 and err.value.body["message"]


# -- Gradio ------------------------------------------------------------------------------------


@pytest.fixture
def gclient(base_url):
    from gradio_client import Client

    return Client(base_url + "/", verbose=False)


def chat(client, question: str, lang: str = "vi", province: str = "", k: int = 5):
    history, box, panel = client.predict(question, lang, province, "", "", "", k, "extractive", api_name="/chat")
    return history, box, panel


def content_text(message: dict) -> str:
    c = message["content"]
    return c if isinstance(c, str) else " ".join(p.get("text", "") for p in c if isinstance(p, dict))


def test_gradio_chat_answers_with_linked_markers_and_source_cards(gclient):
    history, box, panel = chat(gclient, TN_Q)
    assert box == ""
    reply = content_text(history[-1])
    assert all(n in reply for n in TN_NAMES) and 'href="#src-1-1"' in reply
    assert 'id="src-1-1"' in panel and "<mark>" in panel and "ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt" in panel


def test_gradio_chat_streams_the_answer_before_the_final_render(gclient):
    job = gclient.submit(TN_Q, "vi", "", "", "", "", 5, "extractive", api_name="/chat")
    job.result(timeout=60)
    replies = [content_text(out[0][-1]) for out in job.outputs() if out[0]]
    assert len(replies) >= 3
    partial, final = replies[-2], replies[-1]
    assert "href" not in partial and final.startswith(partial[:20]) and len(final) > len(partial)


def test_gradio_chat_keeps_the_conversation_for_follow_ups(gclient):
    chat(gclient, TN_Q)
    history, _, panel = chat(gclient, "Còn ở Thanh Hóa thì sao?")
    assert len(history) == 4
    assert "Trịnh Văn Chiến" in content_text(history[-1])
    assert 'id="src-2-1"' in panel and "thanh-hoa" in panel.split("<details>")[0]


def test_gradio_chat_shows_markup_as_text_and_bad_questions_as_replies(gclient):
    history, _, _ = chat(gclient, "<img src=x onerror=alert(1)> Ai chủ trì hội nghị ở Thái Nguyên?")
    shown = content_text(history[0])  # escaped: shown as the characters typed, never a tag
    assert "<img" not in shown and html.unescape(shown).startswith("<img src=x onerror=alert(1)>")
    history, _, _ = chat(gclient, "x" * 100_000)
    assert "100,000" in content_text(history[-1]) and "⚠" in content_text(history[-1])


def test_gradio_chat_filters_and_a_bad_date(gclient):
    history, _, panel = chat(gclient, "Ai chủ trì hội nghị?", province="Thanh Hóa")
    assert "Trịnh Văn Chiến" in content_text(history[-1]) and "thanh-hoa" in panel
    history, _, _ = gclient.predict(TN_Q, "en", "", "", "21/06/2019", "", 5, "extractive", api_name="/chat")
    assert "Invalid date" in content_text(history[-1]) and "21/06/2019" in content_text(history[-1])


def test_gradio_ask_endpoint(gclient):
    a = json.loads(gclient.predict("ai chu tri hoi nghi o thai nguyen?", "", "", 0, api_name="/ask"))
    assert all(n in a["answer"] for n in TN_NAMES)


def test_twenty_simultaneous_chats_are_all_answered(base_url):
    from gradio_client import Client

    def one(i: int) -> str:
        client = Client(base_url + "/", verbose=False)
        history, _, _ = chat(client, TN_Q if i % 2 else "Who chaired the conference in Thai Nguyen?")
        return content_text(history[-1])

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(one, range(20)))
    assert all(all(n in r for n in TN_NAMES) for r in replies)


def test_upload_makes_new_articles_answerable_and_rejects_bad_files(gclient, http, tmp_path):
    from gradio_client import handle_file

    good = tmp_path / "ha-noi-lao-cai-du-lich.txt"
    good.write_text(NEW_ARTICLE, "utf-8")
    binary = tmp_path / "anh.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    status, *_ = gclient.predict([handle_file(str(good)), handle_file(str(binary))], "vi", api_name="/upload")
    assert "1 bài mới" in status and "anh.txt" in status and "binary" in status
    a = ask(http, question="Ai chủ trì hội nghị ở Lào Cai?")
    assert "Đặng Minh Khôi" in a["answer"] and a["citations"][0]["path"].endswith("ha-noi-lao-cai-du-lich.txt")
    assert http.get("/healthz").json()["articles"] == 6


# -- the command ---------------------------------------------------------------------------------


def test_serve_starts_prints_the_url_and_serves_the_page(web_home, tmp_path):
    from app.web.service import free_port

    home = tmp_path / "home"
    shutil.copytree(web_home, home)
    port = free_port()
    env = {**os.environ, "HOIDAP_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "app.web", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        t0 = time.monotonic()
        line = ""
        while "ready at" not in line:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "server exited before it was ready"
            assert time.monotonic() - t0 < 240
        assert f"http://localhost:{port}/" in line
        r = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        assert r.status_code == 200 and "<html" in r.text.lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
