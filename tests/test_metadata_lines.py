"""Outlet and date lines in the usual Vietnamese forms, read on any article (issue 12).

The outlets and places here are arbitrary: the patterns are general, not a list of outlets."""

from __future__ import annotations

import pytest

from ingest.load import RawDoc
from ingest.metadata import build_article

TITLE = "Hội nghị bàn về phát triển du lịch bền vững của tỉnh"
BODY = (
    "Ủy ban nhân dân tỉnh tổ chức hội nghị bàn về phát triển du lịch bền vững với 40 đại biểu tham dự.\n\n"
    "Hội nghị thống nhất kế hoạch đón 10 triệu lượt khách trong năm nay."
)


def read(text: str, html: bool = False):
    return build_article(RawDoc(key=text[:60], path="x.html" if html else "x.txt", text=text, html=html))


@pytest.mark.parametrize(
    "lead, outlet",
    [
        ("(Tin Hà Nội) - Sáng 14-3-2024, ", "Tin Hà Nội"),
        ("(Báo Lâm Đồng) - Sáng 14-3-2024, ", "Báo Lâm Đồng"),
        ("(TTXVN) - Sáng 14-3-2024, ", "TTXVN"),
        ("(Dân trí)- Sáng 14-3-2024, ", "Dân trí"),
        ("VOV.VN - Sáng 14-3-2024, ", "VOV.VN"),
    ],
)
def test_an_outlet_opening_the_lead(lead, outlet):
    art = read(f"{TITLE}\n\n{lead}{BODY}")
    assert art.source == outlet
    assert art.event_date == "2024-03-14" and art.event_date_text == "Sáng 14-3-2024"
    assert art.text.startswith("Sáng 14-3-2024, Ủy ban")


@pytest.mark.parametrize(
    "credit, outlet",
    [
        ("(Theo VnExpress)", "VnExpress"),
        ("Theo báo Nhân Dân", "Báo Nhân Dân"),
        ("Theo Tuổi Trẻ", "Tuổi Trẻ"),
        ("Nguồn: Báo Quảng Ninh", "Báo Quảng Ninh"),
        ("(Nguồn: TTXVN)", "TTXVN"),
        ("Nguồn: https://www.baoquangninh.vn/du-lich-123.html", "baoquangninh.vn"),
    ],
)
def test_a_credit_closing_the_article(credit, outlet):
    art = read(f"{TITLE}\n\nSáng 14-3-2024, {BODY}\n\n{credit}\n\nNguyễn Văn Bình")
    assert art.source == outlet
    assert credit not in art.text and art.text.endswith("trong năm nay.")


def test_a_sentence_starting_with_theo_is_text_not_a_credit():
    tail = "Theo kế hoạch, tỉnh sẽ mở thêm ba tuyến du lịch mới trong năm nay."
    art = read(f"{TITLE}\n\nSáng 14-3-2024, {BODY}\n\n{tail}")
    assert art.source is None and art.text.endswith(tail)


@pytest.mark.parametrize(
    "line, published",
    [
        ("Đăng ngày: 03/04/2024", "2024-04-03"),
        ("Thứ Tư, 03/04/2024 08:30 (GMT+7)", "2024-04-03"),
        ("Cập nhật 3-4-2024 lúc 9:15", "2024-04-03"),
        ("Ngày 3 tháng 4 năm 2024 tỉnh sẽ họp lại.", None),  # a sentence, not a date line: left in the text
    ],
)
def test_a_date_line_after_the_article(line, published):
    art = read(f"{TITLE}\n\n(TTXVN) - Chiều 2-4, {BODY}\n\n{line}")
    assert art.published == published
    assert (line not in art.text) == bool(published)
    assert art.event_date == ("2024-04-02" if published else None)  # the lead's year comes from it


@pytest.mark.parametrize(
    "lead_html",
    [
        "<p><strong>(Báo Lâm Đồng)</strong> - Sáng 14-3-2024, {body}</p>",
        "<p>(Báo Lâm Đồng)</p><p>Sáng 14-3-2024, {body}</p>",
    ],
    ids=["in the lead", "own line"],
)
def test_an_outlet_in_an_html_article(lead_html):
    body = BODY.replace("\n\n", "</p><p>")
    page = f"<html><body><article><h1>{TITLE}</h1>{lead_html.format(body=body)}</article></body></html>"
    art = read(page, html=True)
    assert art.source == "Báo Lâm Đồng" and art.event_date == "2024-03-14"
    assert "(Báo Lâm Đồng)" not in art.text
