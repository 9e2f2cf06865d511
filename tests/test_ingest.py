"""Loading, cleaning, metadata and chunking of articles (no embedding needed)."""

from __future__ import annotations

import json
import unicodedata

import pytest

from app.settings import SAMPLE_CORPUS
from ingest.chunk import chunk
from ingest.clean import clean, clean_article
from ingest.errors import BadInput
from ingest.load import RawDoc, Skipped, load
from ingest.metadata import build_article, find_provinces

ARTICLES = sorted(SAMPLE_CORPUS.glob("*.txt"))
NOISE = [
    "Chính phủ đề xuất chi 22.450 tỷ đồng",
    "Chánh án tỉnh Bình Phước",
    "Tô Lâm",
    "Điện Biên",
    "Hà Nội – Thái Bình",
    "Tin liên quan",
    "có thể bạn quan tâm",
    "zalo-icon",
    "Lượt xem",
    "Không sao chép",
    "Ý KIẾN BÌNH LUẬN",
    "Logo báo điện tử",
]


@pytest.fixture(scope="module")
def articles():
    return {a.path: a for a in (build_article(r) for r in load([SAMPLE_CORPUS]))}


def test_bundled_corpus_is_the_five_articles():
    assert len(ARTICLES) == 5


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_page_furniture_is_removed(path):
    text = clean(path.read_text("utf-8"))
    for noise in NOISE:
        assert noise not in text, noise
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == len(set(paragraphs)), "a caption printed twice survived"
    assert unicodedata.is_normalized("NFC", text)


def test_article_text_survives_cleaning():
    text = clean((SAMPLE_CORPUS / "ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt").read_text("utf-8"))
    assert "Bùi Xuân Hòa đồng chủ trì hội nghị" in text
    assert text.startswith("Sáng 21-6")  # "(HNMO) - " is the outlet, not text
    assert "3 tỷ đồng để thực hiện công tác an sinh xã hội" in text


def test_metadata(articles):
    by_name = {p.split("/")[-1]: a for p, a in articles.items()}
    tn = by_name["ha-noi-thai-nguyen-hoi-nghi-hop-tac.txt"]
    assert tn.source == "HNMO" and tn.event_date_text == "Sáng 21-6" and tn.event_date is None
    assert "Thái Nguyên" in tn.provinces
    hd = by_name["ha-noi-hai-duong-tang-cuong-hop-tac-2017.txt"]
    assert hd.published == "2017-06-09" and hd.event_date == "2017-06-09" and hd.source == "ĐCSVN"
    hy = by_name["ha-noi-hung-yen-hop-tac-phat-trien-2019.txt"]
    assert hy.published == "2019-07-01" and hy.event_date == "2019-06-29" and hy.source == "baohungyen.vn"
    assert hy.title == "Tỉnh Hưng Yên và thành phố Hà Nội họp bàn hợp tác, phát triển"
    ht = by_name["ha-noi-ha-tinh-trao-doi-kinh-nghiem-2019.txt"]
    assert ht.event_date == "2019-11-30"  # year from "ngày 6-6-2019" in the text
    assert set(hy.provinces) == {"Hưng Yên", "Hà Nội"}  # "tham gia lại" is not Gia Lai


def test_provinces_match_unaccented_questions():
    assert find_provinces("ai chu tri hoi nghi o thai nguyen", folded=True) == ["Thái Nguyên"]
    assert find_provinces("Nhà tưởng niệm Chủ tịch Hồ Chí Minh") == []


@pytest.mark.parametrize("path", ARTICLES[:2], ids=lambda p: p.stem)
def test_chunks_point_into_the_cleaned_text(path):
    article = build_article(RawDoc(key=str(path), path=str(path), text=path.read_text("utf-8")))
    chunks = chunk(article)
    assert chunks
    for c in chunks:
        assert article.text[c.start:c.end] == c.text
        for (a, b), tags in zip(c.sentences, c.tags):
            assert c.text[a:b].strip() == c.text[a:b]
            assert tags and all(isinstance(t, str) for _, t in tags)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert [c.chunk_id for c in chunk(article)] == [c.chunk_id for c in chunks]  # stable ids
    # consecutive chunks overlap by a sentence or touch: nothing falls between them
    for a, b in zip(chunks, chunks[1:]):
        assert b.start <= a.end + 2


def test_bad_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "good.txt").write_text("Hà Nội tổ chức hội nghị hợp tác với tỉnh Hưng Yên vào sáng nay. " * 3)
    (tmp_path / "latin1.txt").write_bytes("Hà Nội tổ chức hội nghị".encode("cp1258", errors="replace") + b"\xff\xfe")
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"title": "T", "text": "Bài một về hội nghị hợp tác giữa hai tỉnh thành."}) + "\n{not json\n"
        + json.dumps({"title": "no text"}) + "\n", "utf-8")
    out = list(load([tmp_path]))
    docs = [d for d in out if isinstance(d, RawDoc)]
    skipped = {s.path.split("/")[-1]: s.reason for s in out if isinstance(s, Skipped)}
    assert sorted(d.path.split("/")[-1] for d in docs) == ["a.jsonl:1", "good.txt"]
    assert "not UTF-8" in skipped["latin1.txt"]
    assert "empty" in skipped["empty.txt"]
    assert "not an article file" in skipped["photo.png"]
    assert "binary" in skipped["bin.txt"]
    assert "bad JSON line" in skipped["a.jsonl:2"] and "no 'text'" in skipped["a.jsonl:3"]


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        list(load([tmp_path / "nope"]))


def test_html_article(tmp_path):
    page = """<html><head><title>Site | Tin</title><meta property="og:site_name" content="Báo Mẫu">
    <meta property="article:published_time" content="2019-06-21T08:00:00+07:00"></head>
    <body><nav>Trang chủ | Thời sự</nav><article><h1>Hà Nội và Thái Nguyên hợp tác</h1>
    <p>Sáng 21-6, tại thành phố Thái Nguyên, hai địa phương tổ chức hội nghị hợp tác, phát triển rất quan trọng.</p>
    <p>Hà Nội trao tặng tỉnh Thái Nguyên 3 tỷ đồng để thực hiện công tác an sinh xã hội.</p>
    <script>alert('x')</script><p>Tin liên quan</p><p>Một tin khác không liên quan</p></article></body></html>"""
    (tmp_path / "a.html").write_text(page, "utf-8")
    (raw,) = list(load([tmp_path]))
    art = build_article(raw)
    assert art.title == "Hà Nội và Thái Nguyên hợp tác"
    assert art.source == "Báo Mẫu" and art.published == "2019-06-21" and art.event_date == "2019-06-21"
    assert "3 tỷ đồng" in art.text and "alert" not in art.text and "Một tin khác" not in art.text


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀" * 50, "a\u0000b", "Hà Nội" * 20000, unicodedata.normalize("NFD", "Hội nghị ở Thái Nguyên.")],
    ids=["empty", "space", "emoji", "nul", "long", "nfd"],
)
def test_cleaner_never_crashes(text):
    out = clean_article(text)
    assert isinstance(out.text, str)
    assert unicodedata.is_normalized("NFC", out.text)


def test_hard_wrapped_paragraphs_are_joined():
    text = (
        "Tiêu đề bài báo về hội nghị\n\nSáng 21-6, tại thành phố Thái Nguyên, Bí thư Nguyễn\n"
        "Văn A và ông Trần Văn B đồng chủ trì\nhội nghị hợp tác với 30 đại biểu tham dự.\n"
        "Hai bên ký kết biên bản hợp tác về du\nlịch và nông nghiệp.\n\nẢnh minh họa\n\n"
        "Hội nghị kết thúc tốt đẹp vào buổi trưa\ncùng ngày hôm đó, các đại biểu ra về."
    )
    out = clean(text)
    assert "Bí thư Nguyễn Văn A và ông Trần Văn B đồng chủ trì hội nghị hợp tác" in out
    assert "về du lịch và nông nghiệp." in out


def test_paths_are_shown_relative_to_the_working_directory(monkeypatch):
    monkeypatch.chdir(SAMPLE_CORPUS.parent.parent)
    docs = [d for d in load([SAMPLE_CORPUS]) if isinstance(d, RawDoc)]
    assert all(d.path.startswith("data/articles/") for d in docs)


def test_sentences_are_not_cut_at_initials_nor_kept_whole_past_a_unit():
    from ingest.chunk import split_sentences

    text = ("Lực lượng cứu nạn tìm thấy thi thể em N.V.H. (14 tuổi) cách vị trí gặp nạn khoảng 300 m. "
            "Thi thể em P.T.Q. (13 tuổi) được tìm thấy lúc 7 giờ 40 phút sáng hôm sau.\n"
            "TP. Hồ Chí Minh có 5 tr. dân.")
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Lực lượng cứu nạn tìm thấy thi thể em N.V.H. (14 tuổi) cách vị trí gặp nạn khoảng 300 m.",
        "Thi thể em P.T.Q. (13 tuổi) được tìm thấy lúc 7 giờ 40 phút sáng hôm sau.",
        "TP. Hồ Chí Minh có 5 tr. dân.",
    ]


def test_a_change_in_how_articles_are_cut_changes_their_content_hash(monkeypatch):
    import ingest.models

    path = ARTICLES[0]
    article = build_article(RawDoc(key=str(path), path=str(path), text=path.read_text("utf-8")))
    before = article.content_hash
    monkeypatch.setattr(ingest.models, "CHUNKING", ingest.models.CHUNKING + "-next")
    assert article.content_hash != before  # a stored article is cut again on the next ingest
