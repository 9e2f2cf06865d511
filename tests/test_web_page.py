"""What a new user sees on the chat page (issue 12 papercuts): wording that holds on a phone, the
upload status in the page's language, example questions about what is actually indexed."""

from __future__ import annotations

import re

import httpx
import pytest

from app.settings import SAMPLE_CORPUS, Settings
from app.web.chat_text import EXAMPLES, UI, examples_for, summary
from index.store import SyncReport
from ingest.load import Skipped

SAMPLE_NAMES = {p.name for p in SAMPLE_CORPUS.iterdir() if p.is_file()}
OWN = [
    {"path": "/home/u/tin/gia-lua.txt", "title": "Giá lúa tại Đồng bằng sông Cửu Long tăng mạnh.",
     "published": "2024-03-02", "event_date": None},
    {"path": "/home/u/tin/bao.md", "title": "Bão số 3 đổ bộ vào Quảng Ninh", "published": "2024-09-07",
     "event_date": None},
    {"path": "/home/u/tin/x.txt", "title": "Tin", "published": None, "event_date": None},  # too short to ask about
]


def test_the_intro_does_not_say_where_the_sources_are_on_the_screen():
    # on a phone the sources are below the chat, not to its right
    assert "bên phải" not in UI["vi"]["intro"] and "right" not in UI["en"]["intro"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_upload_summary_follows_the_page_language(lang):
    report = SyncReport(added=1, chunks_embedded=3, skipped=[Skipped("a.pdf", "not an article file")])
    text = summary(report, lang)
    assert "1" in text and "3" in text
    english = re.search(r"\b(added|updated|unchanged|removed|chunks|embedded|reused|skipped)\b", text)
    assert bool(english) == (lang == "en"), text


def test_examples_are_the_samples_only_when_the_sample_is_indexed():
    sample = [{"path": f"data/articles/{n}", "title": "t" * 20} for n in sorted(SAMPLE_NAMES)]
    assert examples_for(sample + OWN, SAMPLE_NAMES) == EXAMPLES
    own = examples_for(OWN, SAMPLE_NAMES)
    assert own == ["Bão số 3 đổ bộ vào Quảng Ninh diễn ra khi nào?",
                   "Giá lúa tại Đồng bằng sông Cửu Long tăng mạnh diễn ra ở đâu?"]
    assert examples_for([], SAMPLE_NAMES) == []


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_page_offers_examples_about_the_users_own_articles(tmp_path):
    from app.factory import ingest_paths
    from app.web.service import WebService, background_server

    folder = tmp_path / "tin"
    folder.mkdir()
    (folder / "bao.txt").write_text(
        "Bão số 3 đổ bộ vào Quảng Ninh\n\nChiều 7-9-2024, bão số 3 đổ bộ vào tỉnh Quảng Ninh với sức gió "
        "cấp 12. Chủ tịch UBND tỉnh Quảng Ninh Cao Tường Huy chỉ đạo sơ tán người dân.\n", "utf-8")
    settings = Settings(home=tmp_path / "home")
    ingest_paths(settings, [folder])
    with background_server(WebService(settings)) as url:
        config = httpx.get(url + "/config", timeout=30).json()
    comps = {c["id"]: c for c in config["components"]}
    datasets = [c for c in comps.values() if c["type"] == "dataset"]
    samples = [s for d in datasets for s in d["props"]["samples"]]
    assert samples and all("Quảng Ninh" in s[0] for s in samples), samples
    assert not any(q in str(samples) for q in EXAMPLES)
    chatbot = next(c for c in comps.values() if c["type"] == "chatbot")
    assert chatbot["props"]["show_label"] is False
