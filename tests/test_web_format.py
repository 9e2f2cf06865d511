"""The web formatting functions, tested directly on answer dicts shaped like ``Answer.to_json()``."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.web.format import (
    answer_markdown,
    highlight,
    openai_content,
    pieces,
    question_markdown,
    refining_markdown,
    source_card,
    sources_panel,
)

PASSAGE = "Sáng 21-6, hội nghị diễn ra. Bà Nguyễn Thị Bích Ngọc và ông Bùi Xuân Hòa đồng chủ trì hội nghị."
SENT = PASSAGE.index("Bà")
SPAN = (PASSAGE.index("Nguyễn"), PASSAGE.index(" đồng"))


def citation(marker: int = 1, **kw) -> dict:
    c = {
        "marker": marker, "doc_id": "d1", "chunk_id": "c1", "title": "Hà Nội - Thái Nguyên hợp tác",
        "source": "HNMO", "published": "2019-06-21", "path": "data/articles/tn.txt", "text": PASSAGE,
        "start": 0, "end": len(PASSAGE), "score": 0.5, "answer_start": SPAN[0], "answer_end": SPAN[1],
        "sentence_start": SENT, "sentence_end": len(PASSAGE),
    }
    c.update(kw)
    return c


def answer(text: str = "Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa [1].", cites=None, refused=False, **kw) -> dict:
    a = {"question": "Ai chủ trì?", "answer": text, "language": "vi", "refused": refused,
         "citations": [citation()] if cites is None else cites, "warnings": []}
    a.update(kw)
    return a


def test_markers_link_to_their_cards_only_when_cited():
    md = answer_markdown(answer("A [1] and B [2]."), turn=3)
    assert '<a class="cite" href="#src-3-1"' in md
    assert "[2]" in md and "#src-3-2" not in md  # no citation 2: left as plain text
    assert "⚠" not in md


def test_the_bubble_says_which_answerer_spoke_and_how_long_it_took():
    md = answer_markdown(answer("A [1].", timings_ms={"total": 23.4}), 1, "en")
    assert "extractive reader · 23 ms" in md
    llm = answer_markdown(answer("A [1].", answerer="local:qwen2.5-coder-0.5b", timings_ms={"total": 8712}), 1, "vi")
    assert "mô hình local:qwen2.5-coder-0.5b · 8,7 s" in llm
    assert "·" not in answer_markdown(answer("Các bài báo không nói về điều này.", cites=[], refused=True), 1)


def test_a_quick_answer_says_it_is_one_and_which_model_refines_it():
    quick = answer("A [1].", timings_ms={"total": 41})
    md = answer_markdown(quick, 2, "vi", refining="local:qwen2.5-coder-0.5b")
    assert '<a class="cite" href="#src-2-1"' in md  # linked to its cards like any answer
    assert "⏳ Trả lời nhanh · trích từ bài báo · 41 ms — đang tinh chỉnh với mô hình local:qwen2.5-coder-0.5b…" in md
    refused = answer_markdown(answer("Không có.", cites=[], refused=True), 1, "en", refining="m<x>")
    assert "Quick answer · extractive reader" in refused and "refining with model m&lt;x>…" in refused
    assert refining_markdown(quick, 2, "vi", "m", " ") == answer_markdown(quick, 2, "vi", refining="m")
    writing = refining_markdown(quick, 2, "en", "m", "B <b>is</b> [1]")
    assert writing.startswith(answer_markdown(quick, 2, "en", refining="m"))
    assert writing.endswith("\n\n---\n\n*Model m is writing:* B &lt;b>is&lt;/b> [1]")  # provisional: not linked


def test_answer_without_sources_gets_a_visible_warning_in_both_languages():
    vi = answer_markdown(answer("Có lẽ là ông A.", cites=[]), 1, "vi")
    en = answer_markdown(answer("Maybe A.", cites=[]), 1, "en")
    assert "không có nguồn" in vi and "cites no sources" in en
    panel = sources_panel([answer(cites=[])], "en")
    assert "src-warning" in panel and "src-card" not in panel


def test_refusal_is_not_dressed_up_as_an_answer():
    md = answer_markdown(answer("Các bài báo không nói về điều này.", cites=[], refused=True), 1)
    assert md == "Các bài báo không nói về điều này."
    assert "Không tìm thấy" in sources_panel([answer(cites=[], refused=True)], "vi")


def test_quoted_sentences_stay_markdown_quotes():
    md = answer_markdown(answer("X [1].\n\n> Câu trích dẫn [1]"), 1)
    assert "\n> Câu trích dẫn" in md


@pytest.mark.parametrize("evil", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><b>x</b>', "&lt;b&gt;",
])
def test_markup_from_people_or_articles_is_shown_as_text(evil):
    assert "<" not in question_markdown(evil).replace("&lt;", "")
    md = answer_markdown(answer(f"{evil} [1]", warnings=[evil]), 1)
    assert "<script" not in md and "<img" not in md and "<b>" not in md
    card = source_card(citation(text=evil + PASSAGE, title=evil, source=evil, path=evil, published=evil), 1)
    for tag in ("<script", "<img", "<b>"):
        assert tag not in card
    # the escaped text is still all there
    assert "&lt;script&gt;" in card or "&lt;img" in card or "&lt;b&gt;" in card or "&amp;lt;" in card


def test_card_shows_title_outlet_date_passage_and_file_with_the_answer_highlighted():
    card = source_card(citation(), turn=2, lang="vi")
    assert 'id="src-2-1"' in card
    for part in ("Hà Nội - Thái Nguyên hợp tác", "HNMO", "2019-06-21", "data/articles/tn.txt"):
        assert part in card
    marked = re.search(r"<mark>(.*?)</mark>", card).group(1)
    assert marked == PASSAGE[SPAN[0]:SPAN[1]]
    supported = re.sub(r"</?mark>", "", "".join(re.findall(r'<span class="support">(.*?)</span>', card)))
    assert supported == PASSAGE[SENT:]


def test_missing_outlet_and_date_are_said_not_left_blank():
    card = source_card(citation(source=None, published=None), 1, "en")
    assert "unknown outlet" in card and "undated" in card


def test_highlight_offsets_index_the_raw_text_even_with_characters_that_get_escaped():
    text = 'a < b & "c" là đúng'
    start = text.index('"c"')
    out = highlight(text, None, (start, start + 3))
    assert "<mark>&quot;c&quot;</mark>" in out
    assert out.startswith("a &lt; b &amp; ")


@pytest.mark.parametrize("span", [None, (None, None), (5, 2), (-10, 3), (3, 10_000), (0, 0)])
def test_highlight_survives_odd_offsets(span):
    out = highlight("xin chào thế giới", span, span)
    assert re.sub(r"<[^>]+>", "", out) == "xin chào thế giới"


@given(st.text(max_size=200), st.integers(-5, 210), st.integers(-5, 210), st.integers(-5, 210), st.integers(-5, 210))
def test_highlight_never_loses_or_reorders_text(text, a, b, c, d):
    import html

    out = highlight(text, (a, b), (c, d))
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text


@given(st.text(max_size=300))
def test_stream_pieces_add_up_to_the_text(text):
    assert "".join(pieces(text)) == text


def test_panel_keeps_earlier_turns_anchored_and_skips_failed_turns():
    panel = sources_panel([answer(), None, answer(question="Câu 3")], "vi")
    assert 'id="src-3-1"' in panel and 'id="src-1-1"' in panel and "src-2-" not in panel
    assert panel.index("src-3-1") < panel.index("<details>") < panel.index("src-1-1")


def test_openai_content_has_markers_and_a_sources_list():
    text = openai_content(answer(language="en"))
    body, listing = text.split("\n\nSources:\n")
    assert "[1]" in body
    assert listing.startswith("[1] Hà Nội - Thái Nguyên hợp tác (HNMO, 2019-06-21) — data/articles/tn.txt")
    assert openai_content(answer("Không rõ.", cites=[], refused=True)) == "Không rõ."


@pytest.mark.parametrize("typed", [
    "![ảnh](http://127.0.0.1:9/probe.png) Ai chủ trì?",
    "[bấm vào đây](http://example.com/x) và <https://example.com>",
    "xem http://example.com/a.png hoặc www.example.com hay a@example.com",
    '<img src="x.png"> **đậm** _nghiêng_ `mã` $x^2$ # tiêu đề\n1. một\n> trích',
])
def test_a_question_renders_as_the_plain_text_typed(typed):
    from markdown_it import MarkdownIt

    shown = MarkdownIt("commonmark", {"linkify": False}).render(question_markdown(typed))
    assert not re.search(r"<(img|a|strong|em|code|h1|ol|blockquote)\b", shown), shown
    assert html.unescape(re.sub(r"</?p>", "", shown)).strip() == typed.strip()
