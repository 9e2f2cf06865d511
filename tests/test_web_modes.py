"""The web server's other set-ups: first start on an empty index, and LLM answers when configured
(against the loopback LLM stand-in, since no model weights can run here)."""

from __future__ import annotations

import re
import shutil

import httpx
import pytest

from app.settings import Settings
from tests.fakes.openai_server import FakeLLMServer, Reply

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

ARTICLE = (
    "Hà Nội và Lào Cai ký kết chương trình hợp tác du lịch\n\n"
    "Sáng 12-3-2021, tại thành phố Lào Cai, Ủy ban nhân dân thành phố Hà Nội và Ủy ban nhân dân tỉnh Lào Cai "
    "tổ chức hội nghị ký kết chương trình hợp tác phát triển du lịch giai đoạn 2021-2025.\n\n"
    "Phó Chủ tịch UBND thành phố Hà Nội Trần Văn Lâm và Phó Chủ tịch UBND tỉnh Lào Cai Đặng Minh Khôi "
    "đồng chủ trì hội nghị. Hai bên thống nhất 7 nội dung hợp tác.\n"
)


def test_first_start_on_an_empty_index_ingests_the_corpus_with_progress(tmp_path):
    from app.web.service import WebService, ensure_corpus

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lao-cai.txt").write_text(ARTICLE, "utf-8")
    service = WebService(Settings(home=tmp_path / "home"))
    lines: list[str] = []
    assert ensure_corpus(service, corpus, out=lines.append)
    assert "empty" in lines[0] and "  1/1 articles" in lines and lines[-1].startswith("Ingested: 1 added")
    assert service.stats()["articles"] == 1
    assert "7 nội dung" in service.ask("Hà Nội và Lào Cai thống nhất bao nhiêu nội dung hợp tác?").answer
    # a warm index is left alone
    assert not ensure_corpus(service, corpus, out=lines.append) and len(lines) == 3


def _reading_llm(body: dict) -> Reply | str:
    """A scripted 'model' that reads the passages it is sent and cites the one naming the chairs."""
    user = body["messages"][-1]["content"]
    for number, text in re.findall(r'<passage id="(\d+)">(.*?)</passage>', user, re.S):
        if "đồng chủ trì" in text and "Bùi Xuân Hòa" in text:
            return f"Bà Nguyễn Thị Bích Ngọc và ông Bùi Xuân Hòa đồng chủ trì hội nghị [{number}]."
    return Reply(status=400, content="unexpected prompt")


@pytest.fixture(scope="module")
def llm_server():
    with FakeLLMServer(_reading_llm) as server:
        yield server


@pytest.fixture(scope="module")
def llm_url(sample_home, tmp_path_factory, llm_server):
    from app.web.service import WebService, background_server

    home = tmp_path_factory.mktemp("web-llm") / "home"
    shutil.copytree(sample_home, home)
    service = WebService(Settings(home=home, llm=f"openai:test-model@{llm_server.openai_url}"))
    assert service.llm_available
    with background_server(service) as url:
        yield url


def test_api_uses_the_llm_when_configured_and_extractive_on_request(llm_url, llm_server):
    q = "Ai chủ trì hội nghị ở Thái Nguyên?"
    with httpx.Client(base_url=llm_url, timeout=60) as http:
        a = http.post("/api/ask", json={"question": q}).json()
        assert a["mode"] == "llm" and a["answer"].startswith("Bà Nguyễn Thị Bích Ngọc và ông Bùi Xuân Hòa")
        assert a["citations"][0]["path"].endswith("ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt")
        calls = len(llm_server.bodies())
        b = http.post("/api/ask", json={"question": q, "mode": "extractive"}).json()
        assert b["mode"] == "extractive" and len(llm_server.bodies()) == calls
        assert http.get("/healthz").json()["llm"].startswith("openai:test-model@")


def test_chat_page_offers_the_llm_mode_when_configured(llm_url):
    from gradio_client import Client

    client = Client(llm_url + "/", verbose=False)
    history, _, panel = client.predict(
        "Ai chủ trì hội nghị ở Thái Nguyên?", "vi", "", "", "", "", 5, "llm", api_name="/chat"
    )
    reply = history[-1]["content"]
    reply = reply if isinstance(reply, str) else " ".join(p.get("text", "") for p in reply)
    assert reply.startswith("Bà Nguyễn Thị Bích Ngọc") and 'href="#src-1-1"' in reply and 'id="src-1-1"' in panel


def test_an_empty_index_is_a_503_with_a_message_not_a_crash(tmp_path):
    from app.web.service import WebService, background_server

    service = WebService(Settings(home=tmp_path / "empty"))
    with background_server(service) as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/healthz").json()["status"] == "empty"
        r = http.post("/api/ask", json={"question": "Ai chủ trì hội nghị?"})
        assert r.status_code == 503 and "empty" in r.json()["error"]["message"]
        chat = {"model": "hoidap", "messages": [{"role": "user", "content": "Ai?"}]}
        r = http.post("/v1/chat/completions", json=chat)
        assert r.status_code == 503 and r.json()["error"]["message"]
        assert http.get("/").status_code == 200
