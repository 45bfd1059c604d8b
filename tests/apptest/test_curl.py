"""Reproducing curl lines: shell-safe, secrets as placeholders."""

from __future__ import annotations

import shlex

from gates.apptest.curl import curl, redact


def test_a_plain_get() -> None:
    assert curl("get", "http://127.0.0.1:5/api/x") == "curl -i -X GET http://127.0.0.1:5/api/x"


def test_headers_query_and_a_json_body_survive_the_shell() -> None:
    line = curl("POST", "http://h/api/notes", headers={"Authorization": "Bearer <token of ann>"},
                query={"q": "it's"}, body={"text": "it's $HOME"}, media="application/json")
    assert shlex.split(line) == [
        "curl", "-i", "-X", "POST", "-H", "Authorization: Bearer <token of ann>",
        "-H", "Content-Type: application/json", "--data-binary", '{"text":"it\'s $HOME"}',
        "http://h/api/notes?q=it%27s"]


def test_form_and_raw_bodies() -> None:
    form = curl("POST", "http://h/l", body={"a": "1 2"}, media="application/x-www-form-urlencoded")
    assert shlex.split(form)[-2] == "a=1+2"
    raw = curl("POST", "http://h/l", headers={"Content-Type": "text/plain"}, body=b"\xffhi",
               media="application/json")
    assert shlex.split(raw)[4:] == ["-H", "Content-Type: text/plain", "--data-binary", "\ufffdhi",
                                    "http://h/l"]


def test_redact_keeps_the_scheme_and_hides_the_secret() -> None:
    assert redact({"Authorization": "Bearer eyJabc", "Cookie": "s=1", "X-Trace": "t",
                   "X-API-Key": "k"}) == {
        "Authorization": "Bearer <redacted>", "Cookie": "<redacted>", "X-Trace": "t",
        "X-API-Key": "<redacted>"}
