"""OpenAPI documents as the probes read them: fetching, operations, who may call them."""

from __future__ import annotations

import httpx
import pytest

from gates.apptest import openapi
from gates.gate import GateError
from tests.apptest.openapi.spec import SPEC, op
from tests.json_server import serve


def test_operations_merge_path_parameters_and_resolve_references() -> None:
    ops = openapi.operations(SPEC)
    assert [o.key for o in ops] == [
        "GET /health", "GET /api/items", "POST /api/items", "GET /api/items/{item_id}",
        "DELETE /api/items/{item_id}"]
    assert [p["name"] for p in op("list_items").parameters] == ["limit", "q"]
    get = op("GET /api/items/{item_id}")
    assert [p["name"] for p in get.parameters] == ["item_id", "Authorization", "X-Trace"]
    # an operation's own parameter replaces the path item's of the same name
    [item_id] = op("DELETE /api/items/{item_id}").params("path")
    assert item_id["schema"] == {"type": "string"}
    assert get.path_params == ["item_id"] and get.safe and not op("add_item").safe


def test_find_by_key_method_case_or_operation_id() -> None:
    assert op("get_item").key == "GET /api/items/{item_id}"
    assert openapi.find(openapi.operations(SPEC), "post /api/items") is not None
    assert openapi.find(openapi.operations(SPEC), "PATCH /api/items") is None


def test_requires_auth_follows_global_and_own_security() -> None:
    assert openapi.requires_auth(SPEC, op("list_items"))  # the document's default
    assert not openapi.requires_auth(SPEC, op("GET /health"))  # security: []
    assert not openapi.requires_auth(SPEC, op("get_item"))  # {} makes it optional


def test_fetch_loads_a_document_and_says_why_it_cannot() -> None:
    routes = {("GET", "/openapi.json"): (200, SPEC), ("GET", "/text"): (200, "<html>"),
              ("GET", "/other"): (200, {"paths": {}}), ("GET", "/boom"): (500, "boom")}
    with serve(routes) as url, httpx.Client(trust_env=False) as client:
        assert openapi.fetch(client, url + "/openapi.json")["openapi"] == "3.1.0"
        for path, why in [("/missing", r"no OpenAPI document at .*/missing \(HTTP 404\)"),
                          ("/boom", r"\(HTTP 500\)"), ("/text", "is not JSON"),
                          ("/other", "is not an OpenAPI document")]:
            with pytest.raises(GateError, match=why):
                openapi.fetch(client, url + path)
    with httpx.Client(trust_env=False) as client, pytest.raises(
            GateError, match="could not fetch the OpenAPI document"):
        openapi.fetch(client, url + "/openapi.json")  # the server is gone


def test_exclude_names_operations_and_they_leave_the_document() -> None:
    doc = {"openapi": "3.1.0", "paths": {"/createdb": {"get": {}, "post": {}},
                                          "/users/{u}": {"delete": {}, "get": {}}}}
    exclude = openapi.excluded(["GET /createdb", "delete /users/{u}", "tests/**", "*.md"])
    assert exclude == ("GET /createdb", "DELETE /users/{u}")  # file globs are not operations
    left = openapi.without(doc, exclude)
    assert [op.key for op in openapi.operations(left)] == ["POST /createdb", "GET /users/{u}"]
    assert openapi.operations(doc)[0].key == "GET /createdb"  # the document itself is kept
