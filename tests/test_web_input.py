"""Bad input to the chat server's API is a 400 naming the field, never an answer (issue 12).

Real server on loopback over a copy of the sample index; requests with httpx."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

TN_Q = "Ai chủ trì hội nghị ở Thái Nguyên?"


@pytest.mark.parametrize(("filters", "words"), [
    ({"date_from": "2019-13-45"}, ["filters.date_from", "2019-13-45"]),
    ({"date_from": "yesterday"}, ["filters.date_from", "yesterday"]),
    ({"date_to": "2019-02-30"}, ["filters.date_to", "2019-02-30"]),
    ({"date_from": "2020-01-01", "date_to": "2019-01-01"}, ["date_from", "after"]),
    ({"provinse": "Thái Nguyên"}, ["filters.provinse"]),
    ({"province": "Atlantis"}, ["filters.province", "Atlantis"]),
    ({"source": "The Moon Post"}, ["filters.source", "The Moon Post"]),
])
def test_bad_filters_are_a_400_naming_the_field(http, filters, words):
    for path, body in (("/api/ask", {"question": TN_Q, "filters": filters}),
                       ("/v1/chat/completions", {"messages": [{"role": "user", "content": TN_Q}], "filters": filters})):
        r = http.post(path, json=body)
        assert r.status_code == 400, (path, r.status_code, r.text[:300])
        message = r.json()["error"]["message"]
        assert all(w in message for w in words), message


@pytest.mark.parametrize(("question", "filters", "name"), [
    ("Ai chủ trì hội nghị ở Thanh Hóa?", {"date_from": "2019"}, "Trịnh Văn Chiến"),
    # a partial end date covers its whole month (before, "2019-11" ended the day the month began)
    ("Ai chủ trì hội nghị ở Thanh Hóa?", {"date_from": "2019-11", "date_to": "2019-11"}, "Trịnh Văn Chiến"),
    (TN_Q, {"province": "thái nguyên"}, "Bùi Xuân Hòa"),
    (TN_Q, {"source": "hnmo"}, "Bùi Xuân Hòa"),
    (TN_Q, {"date_from": "", "province": None}, "Bùi Xuân Hòa"),
])
def test_good_filters_still_answer(http, question, filters, name):
    r = http.post("/api/ask", json={"question": question, "filters": filters})
    assert r.status_code == 200, r.text
    assert name in r.json()["answer"], r.json()["answer"]


def test_llm_mode_without_an_llm_is_a_400(http):
    r = http.post("/api/ask", json={"question": TN_Q, "mode": "llm"})
    assert r.status_code == 400 and "HOIDAP_LLM" in r.json()["error"]["message"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/ask", 405), ("PUT", "/v1/chat/completions", 405), ("POST", "/healthz", 405),
    ("GET", "/api/nothing-here", 404), ("GET", "/v1/nothing", 404), ("DELETE", "/v1/models", 405),
    ("GET", "/no/such/page", 404),
])
def test_unknown_routes_and_methods_get_the_error_shape(http, method, path, status):
    r = http.request(method, path)
    assert r.status_code == status, (method, path, r.status_code, r.text[:200])
    assert isinstance(r.json()["error"]["message"], str) and r.json()["error"]["message"]
