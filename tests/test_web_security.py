"""The chat server against a hostile client, over real HTTP on loopback (issue 10).

A page client names the path of the file it uploaded; the server must read only what arrived
through its own upload route, never a file it merely names."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SECRET = """Hồ sơ mật của máy chủ

Mật khẩu quản trị của máy chủ là ngựa-vằn-42. Chỉ người quản trị Phạm Quốc Toản được biết điều này.
"""
ADDED = ("1 added", "1 bài mới")  # the upload status, in either language


@pytest.fixture
def secret(tmp_path) -> Path:
    """A file on the server's disk that no client uploaded."""
    p = tmp_path / "private" / "ho-so-mat.txt"
    p.parent.mkdir()
    p.write_text(SECRET, "utf-8")
    return p


def call_upload(http: httpx.Client, files: list[dict], lang: str = "vi") -> str:
    """POST /gradio_api/call/upload as curl would, then read the event stream; returns its text."""
    r = http.post("/gradio_api/call/upload", json={"data": [files, lang]})
    assert r.status_code == 200, r.text
    return http.get(f"/gradio_api/call/upload/{r.json()['event_id']}").text


def file_data(path: str | Path, name: str = "x.txt") -> dict:
    return {"path": str(path), "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def nothing_ingested(http: httpx.Client, service, before: dict) -> None:
    assert service.stats() == before
    a = http.post("/api/ask", json={"question": "Mật khẩu quản trị của máy chủ là gì?"}).json()
    assert "ngựa-vằn-42" not in a["answer"] and not any("ngựa-vằn-42" in c["text"] for c in a["citations"])
    uploads = service.settings.home / "uploads"
    assert not uploads.exists() or not any("mat" in p.name or p.name == "x.txt" for p in uploads.iterdir())


def test_a_forged_path_over_http_is_refused_and_nothing_is_read(http, service, secret):
    before = service.stats()
    events = call_upload(http, [file_data(secret)])
    assert "event: error" in events and not any(w in events for w in ADDED)
    nothing_ingested(http, service, before)


@pytest.mark.parametrize("target", ["catalog.sqlite", "/etc/passwd"])
def test_a_forged_path_to_another_type_of_file_is_not_copied(http, service, target):
    from app.web.service import upload_folder

    path = service.settings.home / target if not target.startswith("/") else Path(target)
    before = service.stats()
    copies_before = set(upload_folder().rglob(path.name)) if upload_folder().exists() else set()
    events = call_upload(http, [file_data(path, path.name)])
    assert "event: error" in events
    nothing_ingested(http, service, before)
    assert (set(upload_folder().rglob(path.name)) if upload_folder().exists() else set()) == copies_before


def test_a_forged_path_through_gradio_client_is_refused(base_url, service, http, secret, monkeypatch):
    from gradio_client import Client, handle_file
    from gradio_client.client import Endpoint

    # a hostile client: it sends the FileData with the server-side path instead of uploading the file
    monkeypatch.setattr(Endpoint, "_upload_file", lambda self, f, data_index: f)
    client = Client(base_url + "/", verbose=False)
    before = service.stats()
    for forged in (handle_file(str(secret)), {"path": str(secret), "orig_name": "x.txt"}):
        with pytest.raises(Exception) as err:  # noqa: PT011 (gradio_client raises AppError or ValueError)
            client.predict([forged], "vi", api_name="/upload")
        assert not any(w in str(err.value) for w in ADDED)
    nothing_ingested(http, service, before)


def test_the_service_refuses_a_file_outside_the_upload_folder_even_through_a_link(service, secret, tmp_path):
    from ingest.errors import BadInput

    root = tmp_path / "uploads-root"
    root.mkdir()
    link = root / "bai-bao.txt"
    link.symlink_to(secret)
    before = service.stats()
    for files in ([secret], [link]):
        with pytest.raises(BadInput, match="only files uploaded"):
            service.add_uploads(files, root=root)
    assert service.stats() == before


def test_the_service_never_copies_a_file_of_another_type(service, tmp_path):
    root = tmp_path / "uploads-root"
    root.mkdir()
    (root / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "catalog.sqlite").write_bytes(b"SQLite format 3\x00" + bytes(100))
    report = service.add_uploads([root / "passwd", root / "catalog.sqlite"], root=root)
    assert report.added == 0 and len(report.skipped) == 2
    uploads = service.settings.home / "uploads"
    assert not (uploads / "passwd").exists() and not (uploads / "catalog.sqlite").exists()


def test_a_real_upload_through_gradio_still_works(base_url, http, service, tmp_path):
    from gradio_client import Client, handle_file

    article = tmp_path / "ha-noi-ca-mau-thuy-san.txt"
    article.write_text(
        "Hà Nội và Cà Mau hợp tác phát triển thủy sản\n\nSáng 5-4-2022, tại thành phố Cà Mau, hai địa phương ký "
        "kết chương trình hợp tác. Phó Chủ tịch UBND tỉnh Cà Mau Lâm Văn Bi chủ trì hội nghị.\n", "utf-8")
    before = service.stats()["articles"]
    status, *_ = Client(base_url + "/", verbose=False).predict([handle_file(str(article))], "vi",
                                                                api_name="/upload")
    assert "1 bài mới" in status, status
    assert service.stats()["articles"] == before + 1
    a = http.post("/api/ask", json={"question": "Ai chủ trì hội nghị ở Cà Mau?"}).json()
    assert "Lâm Văn Bi" in a["answer"]


def test_the_file_route_serves_nothing_outside_the_upload_folder(http, service, secret):
    for path in (secret, service.settings.home / "catalog.sqlite", Path("/etc/passwd")):
        r = http.get(f"/gradio_api/file={path}")
        assert r.status_code == 403, (path, r.status_code)


def test_the_json_apis_take_no_path(http):
    # the REST API reads no file a client names: a "path" is just an unknown field of a question
    r = http.post("/api/ask", json={"question": "Ai chủ trì?", "path": "/etc/passwd"})
    assert "root:x:0:0" not in json.dumps(r.json())


def test_two_uploads_with_the_same_name_are_both_kept(service, tmp_path):
    root = tmp_path / "uploads-root"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    first, second = root / "a" / "report.txt", root / "b" / "report.txt"
    first.write_text("Hà Nội mở tuyến buýt điện mới\n\nSáng 3-5-2024, Hà Nội khai trương tuyến buýt điện số 9 "
                     "do Giám đốc Sở Giao thông Nguyễn Phi Thường cắt băng.\n", "utf-8")
    second.write_text("Đà Nẵng tổ chức lễ hội pháo hoa\n\nTối 8-6-2024, Đà Nẵng khai mạc lễ hội pháo hoa quốc tế "
                      "với sự tham gia của 8 đội.\n", "utf-8")
    before = service.stats()["articles"]
    service.add_uploads([first], root=root)
    service.add_uploads([second], root=root)
    again = service.add_uploads([first], root=root)  # the same file again changes nothing
    assert service.stats()["articles"] == before + 2
    assert again.added == 0 and again.chunks_embedded == 0
