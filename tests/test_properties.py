"""Property tests: awkward Unicode never crashes a stage, and every offset points at its text.

Inputs mix real Vietnamese (composed and decomposed), emoji, control characters, stray
combining marks, other scripts and whitespace of every kind. Chunking skips POS tags
(``with_tags=False``): tags do not move offsets and tagging is slow.
"""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.reader import Reader, parse
from app.reader.spans import amounts, dates, people, places, provinces_in
from index.lexical import tokenize
from index.types import Hit
from ingest.chunk import chunk
from ingest.clean import clean_article
from ingest.load import RawDoc
from ingest.metadata import build_article
from ingest.textutil import fold, nfc

VIETNAMESE = [
    "Sáng 21-6, tại thành phố Thái Nguyên", "Chủ tịch HĐND thành phố Hà Nội Nguyễn Thị Bích Ngọc",
    "và Bùi Xuân Hòa đồng chủ trì hội nghị.", "hỗ trợ 10 tỷ đồng", "Ngày 29.6.2019", "TP. Hồ Chí Minh",
    "ai chu tri hoi nghi o thai nguyen", "Who chaired the meeting in Thanh Hóa?", "tỉnh nào?", "(HNMO) -",
    "Tin liên quan", "\n\n", ". ", "!", "?", "“", "”", "50%", "12 nội dung",
]
WEIRD = ["😀", "👩‍👩‍👧", "\u0000", "\u0007", "\u200b", "\u00a0", "\ufeff", "\u0301", "\u0323", "\r\n", "\t",
         "\u2028", "İ", "ß", "ﬁ", "ǅ", "Ω", "中文", "العربية", "\U0001d400", "\x85", "\ud7ff", "\ue000"]


def _decompose(s: str, nfd: bool) -> str:
    return unicodedata.normalize("NFD", s) if nfd else s


awkward = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
    st.lists(st.tuples(st.sampled_from(VIETNAMESE + WEIRD), st.booleans()), max_size=40).map(
        lambda parts: " ".join(_decompose(p, nfd) for p, nfd in parts)
    ),
)
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONG = "Hội nghị hợp tác giữa Hà Nội và Thái Nguyên. 😀 " * 2200  # ~100 k characters


@FAST
@given(awkward)
@example(LONG)
@example(unicodedata.normalize("NFD", LONG[:5000]))
def test_fold_keeps_length_so_offsets_survive(text):
    assert len(fold(text)) == len(nfc(text))


@FAST
@given(awkward)
def test_fold_by_table_is_the_character_wise_fold(text):
    from ingest.textutil import _fold_char

    t = nfc(text)
    assert fold(text) == "".join(c.lower() if c.isascii() else _fold_char(c) for c in t)


@FAST
@given(awkward)
@example("Lạng Sơn là tỉnh biên giới, Sơn La cũng vậy")
@example("Hồ Quang Trí, căn hộ hai phòng ngủ, bà Huệ, QUẢNG TRỊ")
def test_provinces_found_with_the_quick_test_are_those_each_pattern_finds(text):
    """Every mention each province's pattern finds, of overlapping ones the first (then longest)."""
    from ingest.metadata import _marked_forms, _province_patterns, find_provinces
    from ingest.textutil import has_vietnamese_marks

    for folded in (False, True):
        t = fold(text) if folded else nfc(text)
        w = nfc(text)
        every = sorted((m.start(), -m.end(), name) for name, _, pat in _province_patterns(folded)
                       for m in pat.finditer(t)
                       if not folded or not has_vietnamese_marks(w[m.start():m.end()])
                       or w[m.start():m.end()].lower() in _marked_forms()[name])
        kept, end = [], -1
        for start, neg_end, name in every:
            if start >= end:
                kept.append((start, name))
                end = -neg_end
        first = {}
        for start, name in kept:
            first.setdefault(name, start)
        assert find_provinces(text, folded) == sorted(first, key=first.__getitem__)


@FAST
@given(awkward)
@example(LONG)
def test_cleaner_output_is_nfc_text(text):
    out = clean_article(text)
    assert unicodedata.is_normalized("NFC", out.text)
    assert out.title is None or isinstance(out.title, str)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(awkward)
@example(LONG)
@example("Tiêu đề bài báo thử nghiệm\n\n" + unicodedata.normalize("NFD", LONG[:3000]))
def test_chunks_point_into_the_cleaned_text(text):
    article = build_article(RawDoc(key="k", path="p.txt", text=text))
    chunks = chunk(article, with_tags=False)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for c in chunks:
        assert 0 <= c.start < c.end <= len(article.text)
        assert article.text[c.start : c.end] == c.text
        for a, b in c.sentences:
            assert 0 <= a <= b <= len(c.text)


@FAST
@given(awkward, st.lists(st.tuples(st.sampled_from(["user", "assistant"]), awkward), max_size=3))
@example(LONG[:2000], [])
def test_question_parser_never_crashes(text, turns):
    q = parse(text, [{"role": r, "content": c} for r, c in turns])
    assert q.language in ("vi", "en")
    assert isinstance(q.rewritten, str) and isinstance(q.search_text, str)
    assert isinstance(tokenize(q.search_text), list)


@FAST
@given(awkward)
@example(LONG[:20000])
def test_span_extractors_return_spans_inside_the_sentence(sentence):
    for spans in (people(sentence, None), dates(sentence), amounts(sentence), places(sentence)):
        for a, b in spans:
            assert 0 <= a < b <= len(sentence)
    for a, b, name in provinces_in(sentence):
        assert 0 <= a < b <= len(sentence) and name


def _hit(i: int, text: str) -> Hit:
    text = nfc(text)
    spans, at = [], 0
    for part in text.split(". "):  # crude sentences: the answerer must cope with any
        if part:
            spans.append((at, at + len(part)))
        at += len(part) + 2
    spans = [(a, min(b, len(text))) for a, b in spans if a < len(text)]
    return Hit(
        chunk_id=f"c{i}", doc_id=f"d{i}", text=text, start=0, end=len(text), score=1.0 / (i + 1),
        meta={"title": "t", "provinces": "|Hà Nội|Thái Nguyên|", "path": "p"}, sentences=spans,
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(awkward, st.lists(awkward, min_size=1, max_size=4))
@example(
    "Ai chủ trì hội nghị ở Thái Nguyên?",
    ["Chủ tịch HĐND thành phố Hà Nội Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa đồng chủ trì hội nghị. 😀"],
)
@example("Bao nhiêu tỷ đồng?", [unicodedata.normalize("NFD", "Hà Nội hỗ trợ 10 tỷ đồng. Xong.")])
def test_extractive_answers_quote_what_the_offsets_say(question, passages):
    hits = [_hit(i, p) for i, p in enumerate(passages)]
    draft = Reader().answer(question, hits, [])
    assert isinstance(draft.text, str) and draft.text
    assert draft.refused or draft.cited
    for n, c in enumerate(draft.cited, 1):
        assert f"[{n}]" in draft.text
        if c.sentence:
            a, b = c.sentence
            assert 0 <= a < b <= len(c.hit.text)
        if c.span:
            a, b = c.span
            assert 0 <= a < b <= len(c.hit.text)
            if c.sentence:
                assert c.sentence[0] <= a and b <= c.sentence[1]
            assert c.hit.text[a:b].strip() in draft.text  # the highlighted words are the ones quoted


def _every_row(text: str, rows, suffixes):
    """find_phrases as it was written first: every row tried, in order."""
    import re

    low = " " + re.sub(r"[^\w' -]", " ", text.lower()) + " "
    found = []
    for en, vi in rows:
        for form in (f"{en}{x}" for x in suffixes):
            if f" {form} " in low:
                found.append((en, vi))
                low = low.replace(f" {form} ", " ")
                break
    return found, low


def _lexicon_words():
    from app.reader.words import countries_en, news_lexicon

    return sorted({en for en, _ in news_lexicon() + countries_en()})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_lexicon_words()), awkward), max_size=10),
       st.lists(st.sampled_from(["", "s", "es", "d", "ed", "ing", "'s", "-"]), min_size=10, max_size=10))
def test_find_phrases_tries_only_rows_whose_first_word_is_written_and_finds_the_same(parts, ends):
    from app.reader.words import countries_en, find_phrases, news_lexicon

    text = " ".join(p + e for p, e in zip(parts, ends))
    for rows, suffixes in ((news_lexicon(), ("", "s", "es", "d", "ed")), (countries_en(), ("",))):
        assert find_phrases(text, rows, suffixes) == _every_row(text, rows, suffixes)
