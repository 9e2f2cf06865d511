"""Block Kit formatting of answers: plain functions, tested directly."""

from __future__ import annotations

import json
import unicodedata

import pytest

from app.schema import Answer, Citation
from app.slack.format import (
    ACTION_DOWN,
    ACTION_SHARE,
    ACTION_UP,
    BLOCK_LIMIT,
    TEXT_LIMIT,
    answer_messages,
    escape,
    guess_language,
    plain_text,
    quote_passage,
    split_text,
    to_mrkdwn,
)

PASSAGE = (
    "Quang cảnh hội nghị. Phó Bí thư Thành ủy, Chủ tịch HĐND thành phố Hà Nội Nguyễn Thị Bích Ngọc và "
    "Phó Bí thư Thường trực Tỉnh ủy, Chủ tịch HĐND tỉnh Thái Nguyên Bùi Xuân Hòa đồng chủ trì hội nghị. "
    "Tham dự hội nghị, về phía thành phố Hà Nội có các Ủy viên Ban Thường vụ Thành ủy."
)


def citation(marker: int = 1, **kw) -> Citation:
    sentence_start = PASSAGE.index("Phó Bí thư Thành ủy")
    sentence_end = PASSAGE.index("hội nghị. Tham") + len("hội nghị.")
    fields = dict(
        marker=marker,
        doc_id="d1",
        chunk_id=f"c{marker}",
        title="Hà Nội - Thái Nguyên: Hội nghị hợp tác",
        source="Hà Nội Mới",
        published="2019-06-21",
        path="ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt",
        text=PASSAGE,
        start=0,
        end=len(PASSAGE),
        score=0.9,
        sentence_start=sentence_start,
        sentence_end=sentence_end,
        answer_start=PASSAGE.index("Nguyễn Thị Bích Ngọc"),
        answer_end=PASSAGE.index("Nguyễn Thị Bích Ngọc") + 20,
    )
    fields.update(kw)
    return Citation(**fields)


def answer(text: str = "Hội nghị do Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa đồng chủ trì [1].", **kw) -> Answer:
    fields = dict(question="Ai chủ trì hội nghị?", answer=text, language="vi", refused=False, citations=[citation()])
    fields.update(kw)
    return Answer(**fields)


def all_texts(blocks: list[dict]) -> list[str]:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            out.append(text["text"] if isinstance(text, dict) else text)
    return out


def test_answer_layout_has_answer_sources_and_buttons():
    [message] = answer_messages(answer(), "fid-1")
    blocks = message["blocks"]
    assert blocks[0]["type"] == "section" and blocks[0]["text"]["type"] == "mrkdwn"
    assert "Nguyễn Thị Bích Ngọc" in blocks[0]["text"]["text"] and "[1]" in blocks[0]["text"]["text"]
    sources = "\n".join(all_texts(blocks[1:]))
    assert "*Nguồn*" in sources
    assert "*[1]*" in sources and "Hà Nội - Thái Nguyên: Hội nghị hợp tác" in sources
    assert "Hà Nội Mới" in sources and "21/06/2019" in sources
    assert "> " in sources and "*Nguyễn Thị Bích Ngọc*" in sources  # quoted, answer span in bold
    actions = blocks[-1]
    assert actions["type"] == "actions"
    assert [b["action_id"] for b in actions["elements"]] == [ACTION_UP, ACTION_DOWN]
    assert {b["value"] for b in actions["elements"]} == {"fid-1"}
    assert "Bùi Xuân Hòa" in message["text"]  # notification / history fallback
    json.dumps(message)  # must be plain JSON for the Web API


def test_english_labels_and_iso_date():
    [message] = answer_messages(answer("Two people chaired it [1].", language="en"), "x")
    text = "\n".join(all_texts(message["blocks"]))
    assert "*Sources*" in text and "2019-06-21" in text and "Helpful" in text


def test_share_button_only_when_asked():
    [plain] = answer_messages(answer(), "f")
    [shared] = answer_messages(answer(), "f", share=True)
    assert ACTION_SHARE not in json.dumps(plain)
    assert shared["blocks"][-1]["elements"][-1]["action_id"] == ACTION_SHARE


def test_no_feedback_id_no_buttons_and_asked_by_header():
    [message] = answer_messages(answer(), None, asked_by="U42")
    assert all(b["type"] != "actions" for b in message["blocks"])
    assert message["blocks"][0]["type"] == "context" and "<@U42>" in message["blocks"][0]["elements"][0]["text"]


@pytest.mark.parametrize("text", ["a < b & c > d", "<!channel> ping", "<@U123> hi", "x &amp; y"])
def test_answer_and_passages_are_escaped(text):
    c = citation(
        text=text,
        sentence_start=None,
        sentence_end=None,
        answer_start=None,
        answer_end=None,
        title="<b>T&C</b>",
    )
    [message] = answer_messages(answer(text, citations=[c]), "f")
    dumped = "\n".join(all_texts(message["blocks"])) + message["text"]
    assert "<" not in dumped and ">" not in dumped.replace("> ", "")  # only the quote marker stays
    assert escape(text) in message["blocks"][0]["text"]["text"]
    assert "&lt;b&gt;T&amp;C&lt;/b&gt;" in dumped


def test_markdown_bold_and_quotes_survive():
    assert to_mrkdwn("**Bùi Xuân Hòa** chủ trì") == "*Bùi Xuân Hòa* chủ trì"
    assert to_mrkdwn("Trả lời [1].\n\n> câu trích <x> [1]") == "Trả lời [1].\n\n> câu trích &lt;x&gt; [1]"
    assert to_mrkdwn("a > b") == "a &gt; b"


def test_which_answerer_spoke_is_said_when_an_llm_was_asked():
    [plain] = answer_messages(answer(timings_ms={"total": 23}), "f")
    assert all(b["type"] != "context" for b in plain["blocks"])  # extractive only: no note, as before
    llm = answer(mode="llm", answerer="local:qwen2.5-coder-0.5b", timings_ms={"total": 8712},
                 warnings=["Citations added by hoidap: the LLM cited nothing; passages [1] hold the words."])
    [message] = answer_messages(llm, "f")
    [note] = [b for b in message["blocks"] if b["type"] == "context"]
    text = note["elements"][0]["text"]
    assert "_mô hình local:qwen2.5-coder-0.5b · 8,7 s_" in text and "⚠️ Citations added by hoidap" in text
    assert message["blocks"].index(note) < [b["type"] for b in message["blocks"]].index("divider")
    fallback = answer(language="en", timings_ms={"total": 61_000},
                      warnings=["LLM (local:x) not used: the LLM server did not answer in time; showing the "
                                "extractive answer instead. <@U1>"])
    [message] = answer_messages(fallback, "f")
    text = "\n".join(b["elements"][0]["text"] for b in message["blocks"] if b["type"] == "context")
    assert "did not answer in time" in text and "_extractive reader · 61.0 s_" in text
    assert "<@U1>" not in text and "&lt;@U1&gt;" in text  # a note is escaped like any text


def test_no_sources_note_is_visible():
    [message] = answer_messages(answer("Có lẽ là ông A.", citations=[]), "f")
    notes = [b for b in message["blocks"] if b["type"] == "context"]
    assert notes and "không kèm nguồn" in notes[0]["elements"][0]["text"]


@pytest.mark.parametrize(
    "language,question,expected",
    [
        ("vi", "Giá vàng hôm nay?", "Xin lỗi"),
        ("en", "What is the price of gold today?", "Sorry"),
    ],
)
def test_empty_refusal_is_polite_in_question_language(language, question, expected):
    refused = Answer(question=question, answer="", language=language, refused=True)
    [message] = answer_messages(refused, "f")
    assert message["blocks"][0]["text"]["text"].startswith(expected)
    assert message["text"].startswith(expected)


def test_refusal_text_from_assistant_is_kept():
    refused = Answer(question="q", answer="Xin lỗi, không có thông tin.", language="vi", refused=True)
    [message] = answer_messages(refused, "f")
    assert message["blocks"][0]["text"]["text"] == "Xin lỗi, không có thông tin."


def test_long_answer_split_to_block_kit_limits():
    sentence = "Hà Nội & Thái Nguyên hợp tác phát triển <kinh tế> bền vững. "
    long_text = sentence * 3000  # ~180 k characters, more than one message can hold
    many = [citation(i) for i in range(1, 21)]
    messages = answer_messages(answer(long_text, citations=many), "fid")
    assert len(messages) >= 2
    for message in messages:
        assert 1 <= len(message["blocks"]) <= BLOCK_LIMIT
        for text in all_texts(message["blocks"]):
            assert len(text) <= TEXT_LIMIT
        assert message["text"]
    body = "".join(
        b["text"]["text"]
        for m in messages
        for b in m["blocks"]
        if b["type"] == "section" and "Hà Nội &amp; Thái" in b["text"]["text"]
    )
    assert body.count("Hà Nội &amp; Thái Nguyên") == 3000  # nothing lost, no entity cut in half
    assert messages[-1]["blocks"][-1]["type"] == "actions"
    sources = "\n".join(t for m in messages for t in all_texts(m["blocks"]))
    assert all(f"*[{i}]*" in sources for i in range(1, 21))


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000,  # no boundary at all
        ("&amp;" * 2000),  # entities only: never cut inside one
        "đoạn một.\n\n" * 800,
        "🙂 " * 4000,
    ],
)
def test_split_text_respects_limit_and_keeps_content(text):
    pieces = split_text(text, 3000)
    assert all(0 < len(p) <= 3000 for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    for p in pieces:
        assert not p.endswith("&am") and not p.startswith("p;")


def test_quote_passage_trims_long_passage_around_answer():
    long = "Mở đầu dài. " * 100 + PASSAGE + " Kết thúc dài." * 100
    offset = len("Mở đầu dài. " * 100)
    c = citation(
        text=long,
        sentence_start=None,
        sentence_end=None,
        answer_start=offset + PASSAGE.index("Bùi Xuân Hòa"),
        answer_end=offset + PASSAGE.index("Bùi Xuân Hòa") + len("Bùi Xuân Hòa"),
    )
    quoted = quote_passage(c)
    assert quoted.startswith("> …") and quoted.endswith("…")
    assert "*Bùi Xuân Hòa*" in quoted and len(quoted) < 330


def test_quote_passage_single_line():
    c = citation(
        text="dòng một\n\ndòng hai",
        sentence_start=None,
        sentence_end=None,
        answer_start=None,
        answer_end=None,
    )
    assert quote_passage(c) == "> dòng một dòng hai"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Ai là chủ tịch HĐND tỉnh Thái Nguyên?", "vi"),
        ("ai la chu tich hdnd tinh thai nguyen", "vi"),
        (unicodedata.normalize("NFD", "Hội nghị ở đâu?"), "vi"),
        (unicodedata.normalize("NFD", "Hội nghị"), "vi"),
        ("Who chaired the conference?", "en"),
        ("Who is Bùi Xuân Hòa?", "en"),
        ("", "vi"),
    ],
)
def test_guess_language(text, expected):
    assert guess_language(text) == expected


@pytest.mark.parametrize(
    "slack,typed",
    [
        ("<@UHOIDAP> Ai chủ trì?", "Ai chủ trì?"),
        ("<@UHOIDAP|hoidap>   Hà Nội &amp; Thái Nguyên &lt;3", "Hà Nội & Thái Nguyên <3"),
        ("<!here> tin ở <#C123|thoi-su> và <https://hanoimoi.vn/a|bài này>?", "tin ở #thoi-su và bài này?"),
        ("xem <https://hanoimoi.vn/a>", "xem https://hanoimoi.vn/a"),
        ("<@UHOIDAP>", ""),
    ],
)
def test_plain_text_from_slack_message(slack, typed):
    assert plain_text(slack) == typed
