"""The chat page in a real browser: Debian's chromium driven by playwright (never `playwright install`).

The server is the real app on a free loopback port over a copy of the sample index.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TN_Q = "Ai chủ trì hội nghị ở Thái Nguyên?"
TN_NAMES = ("Nguyễn Thị Bích Ngọc", "Bùi Xuân Hòa")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(base_url + "/")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def send(page, text: str) -> None:
    before = page.locator("#chat .message-row, #chat [data-testid='bot']").count()
    page.fill("#question textarea", text)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll(\"#chat .message-row, #chat [data-testid='bot']\").length > n",
        arg=before, timeout=60_000,
    )


def wait_final(page, turn: int) -> None:
    """The last answer is fully rendered once its cards (or its no-source note) are in the panel."""
    page.wait_for_selector(f"#sources .src-q:has-text('{turn}:')", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('#chat .pending, #chat .generating')", timeout=60_000)


def test_ask_see_both_names_and_a_source_card(page, service, tmp_path):
    send(page, TN_Q)
    wait_final(page, 1)
    chat = page.inner_text("#chat")
    assert all(name in chat for name in TN_NAMES)
    card = page.locator("#sources .src-card").first
    assert card.is_visible()
    card_text = card.inner_text()
    assert "HNMO" in card_text and "ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt" in card_text
    assert all(name in page.inner_text("#sources mark") for name in ("Bích Ngọc", "Bùi Xuân Hòa"))

    # the [1] in the answer leads to card 1, in this tab
    page.locator("#chat a.cite").first.click()
    page.wait_for_selector("#src-1-1.flash", timeout=5_000)
    assert len(page.context.pages) == 1

    shot = tmp_path / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    shutil.copyfile(shot, Path(tempfile.gettempdir()) / "hoidap_chat.png")

    # 👍 on the answer lands in the feedback store with the question and the citations
    before = len(service.feedback.rows())
    page.locator("#chat button[aria-label='Like'], #chat button[title='Like']").last.click()
    page.wait_for_function("() => document.body.innerText.includes('Cảm ơn')", timeout=10_000)
    rows = service.feedback.rows()
    assert len(rows) == before + 1
    assert rows[-1]["rating"] == 1 and rows[-1]["question"] == TN_Q and rows[-1]["channel"] == "web"
    assert rows[-1]["answer"]["citations"][0]["marker"] == 1
    # changing one's mind is a 👎 on the same row, not a second vote
    page.locator("#chat button[aria-label='Dislike'], #chat button[title='Dislike']").last.click()
    for _ in range(100):
        rows = service.feedback.rows()
        if rows[-1]["rating"] == -1:
            break
        page.wait_for_timeout(100)
    assert len(rows) == before + 1 and rows[-1]["rating"] == -1


def test_markup_in_a_question_is_shown_not_run(page):
    evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    send(page, evil + " Ai chủ trì hội nghị ở Thái Nguyên?")
    wait_final(page, 1)
    assert page.evaluate("() => window.__pwned === undefined")
    assert "<img src=x" in page.inner_text("#chat")


def test_markdown_in_a_question_is_shown_as_typed_and_nothing_is_fetched(page):
    import http.server
    import threading

    hits: list[str] = []

    class Probe(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    probe = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Probe)
    threading.Thread(target=probe.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{probe.server_address[1]}"
    try:
        typed = f"![ảnh]({url}/img.png) [bấm]({url}/link) {url}/bare Ai chủ trì hội nghị ở Thái Nguyên?"
        send(page, typed)
        wait_final(page, 1)
        page.wait_for_timeout(500)
        user = page.locator("#chat [data-testid='user']").first
        assert typed in user.inner_text()
        assert user.locator("img, a").count() == 0
        assert hits == []
    finally:
        probe.shutdown()


def test_follow_up_new_conversation_and_english_toggle(page):
    send(page, TN_Q)
    wait_final(page, 1)
    send(page, "Còn ở Thanh Hóa thì sao?")
    wait_final(page, 2)
    assert "Trịnh Văn Chiến" in page.inner_text("#chat")
    assert "thanh-hoa" in page.inner_text("#sources .src-card >> nth=0")

    page.get_by_text("English", exact=True).click()
    page.wait_for_selector("#question textarea[placeholder^='Type a question']", timeout=10_000)
    assert "Sources" in page.inner_text("#sources")

    page.click("#new-chat")
    page.wait_for_function("() => !document.querySelector('#sources .src-card')", timeout=10_000)
    assert "Trịnh Văn Chiến" not in page.inner_text("#chat")


def test_clicking_an_example_asks_it(page):
    page.get_by_text("ai chu tri hoi nghi o thai nguyen?", exact=True).click()
    wait_final(page, 1)
    assert all(name in page.inner_text("#chat") for name in TN_NAMES)


def test_upload_an_article_then_ask_about_it(page, tmp_path):
    article = tmp_path / "ha-noi-lao-cai.md"
    article.write_text(
        "# Hà Nội và Lào Cai ký kết chương trình hợp tác du lịch\n\n"
        "Sáng 12-3-2021, tại thành phố Lào Cai, hai địa phương tổ chức hội nghị ký kết chương trình hợp tác "
        "phát triển du lịch giai đoạn 2021-2025.\n\n"
        "Phó Chủ tịch UBND thành phố Hà Nội Trần Văn Lâm và Phó Chủ tịch UBND tỉnh Lào Cai Đặng Minh Khôi "
        "đồng chủ trì hội nghị. Hai bên thống nhất 7 nội dung hợp tác.\n", "utf-8")
    page.get_by_text("Thêm bài báo", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(article))
    page.wait_for_selector("text=ha-noi-lao-cai.md", timeout=30_000)
    page.get_by_role("button", name="Nạp vào chỉ mục").click()
    page.wait_for_selector("text=1 bài mới", timeout=120_000)
    send(page, "Hà Nội và Lào Cai thống nhất bao nhiêu nội dung hợp tác?")
    wait_final(page, 1)
    assert "7 nội dung" in page.inner_text("#chat")
    assert "ha-noi-lao-cai.md" in page.inner_text("#sources")


def test_first_start_shows_indexing_progress_then_answers(browser, tmp_path):
    import os
    import subprocess
    import sys
    import time

    import httpx

    from app.web.service import free_port

    port = free_port()
    env = {**os.environ, "HOIDAP_HOME": str(tmp_path / "home")}
    env.pop("HOIDAP_LLM", None)
    proc = subprocess.Popen([sys.executable, "-m", "app.web", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None and time.monotonic() < deadline
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#indexing:has-text('Đang lập chỉ mục')", timeout=60_000)
        assert re.search(r"Đang lập chỉ mục \d/5 bài", page.inner_text("#indexing"))
        # when the ingest is done the line goes away by itself and the filters fill in
        page.wait_for_selector("#indexing", state="hidden", timeout=240_000)
        send(page, TN_Q)
        wait_final(page, 1)
        assert all(name in page.inner_text("#chat") for name in TN_NAMES)
        context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
