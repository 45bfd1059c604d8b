"""OpenAPI documents as the probes read them: fetching, operations, values, links."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from gates.apptest import openapi
from gates.gate import GateError
from tests.json_server import serve

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "security": [{"bearer": []}],
    "paths": {
        "/health": {"get": {"security": []}},
        "/api/items": {
            "get": {"operationId": "list_items",
                    "parameters": [{"$ref": "#/components/parameters/Limit"},
                                   {"name": "q", "in": "query", "schema": {"type": "string"}}]},
            "post": {"operationId": "add_item",
                     "requestBody": {"content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/ItemIn"}}}},
                     "responses": {"201": {"description": "added", "links": {
                         "Get": {"operationId": "get_item",
                                 "parameters": {"path.item_id": "$response.body#/id"}},
                         "Ref": {"operationRef": "#/paths/~1api~1items~1{item_id}/delete",
                                 "parameters": {"item_id": "$response.header.X-Id"}}}}}},
        },
        "/api/items/{item_id}": {
            "parameters": [{"name": "item_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "get": {"operationId": "get_item", "security": [{}, {"bearer": []}],
                    "parameters": [{"name": "Authorization", "in": "header",
                                    "required": True, "schema": {"type": "string"}},
                                   {"name": "X-Trace", "in": "header", "required": True,
                                    "schema": {"type": "string", "example": "t-1"}}]},
            "delete": {"parameters": [{"name": "item_id", "in": "path", "required": True,
                                       "schema": {"type": "string"}}]},
        },
    },
    "components": {
        "parameters": {"Limit": {"name": "limit", "in": "query", "required": True,
                                 "schema": {"type": "integer", "minimum": 5, "maximum": 9}}},
        "schemas": {"ItemIn": {"type": "object", "required": ["name", "price", "tags"],
                               "properties": {
                                   "name": {"type": "string", "minLength": 12},
                                   "price": {"type": "integer", "exclusiveMinimum": 0},
                                   "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
                                   "note": {"type": "string"},
                                   "kind": {"type": "string", "example": "tool"}}}},
    },
}


def op(key: str) -> openapi.Operation:
    found = openapi.find(openapi.operations(SPEC), key)
    assert found is not None, key
    return found


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


@pytest.mark.parametrize(("schema", "expected"), [
    ({"type": "integer", "example": 7, "default": 3}, 7),
    ({"enum": ["x", "y"]}, "x"),
    ({"type": "string", "default": "d"}, "d"),
    ({"type": "string", "examples": ["e"]}, "e"),
    ({"type": "integer", "minimum": 4, "maximum": 10, "multipleOf": 3}, 6),
    ({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, 0.5),
    ({"type": "number", "minimum": 0, "exclusiveMinimum": True}, 1.0),
    ({"type": "integer", "maximum": 0}, 0),
    ({"type": "integer", "exclusiveMaximum": 1}, 0),
    ({"type": "string", "minLength": 15}, "gates-probexxxx"),
    ({"type": "string", "maxLength": 3}, "gat"),
    ({"type": "string", "format": "email"}, "gates-probe@example.com"),
    ({"type": ["null", "boolean"]}, True),
    ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, 1),
    ({"type": "array", "minItems": 2, "items": {"const": 0}}, [0, 0]),
    ({"allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"properties": {"b": {"type": "string"}}}]}, {"a": 1}),
])
def test_value_is_something_a_server_should_accept(schema: dict[str, Any], expected: Any
                                                   ) -> None:
    assert openapi.value(SPEC, schema) == expected


def test_dates_are_in_the_future() -> None:
    day = openapi.value(SPEC, {"type": "string", "format": "date"})
    assert dt.date.fromisoformat(day) > dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def test_example_fills_path_required_parameters_and_the_body() -> None:
    ex = openapi.example(SPEC, op("add_item"), {"note": "n"})
    assert (ex.method, ex.path, ex.query, ex.media) == ("POST", "/api/items", {},
                                                        "application/json")
    assert ex.body == {"name": "gates-probex", "price": 1, "tags": ["a"], "note": "n",
                       "kind": "tool"}
    listing = openapi.example(SPEC, op("list_items"), {"q": "drill"})
    assert listing.query == {"limit": 5, "q": "drill"}  # q is optional: only when asked
    get = openapi.example(SPEC, op("get_item"), {"item_id": "a/b"})
    assert get.path == "/api/items/a%2Fb"  # values are percent-encoded
    assert get.headers == {"X-Trace": "t-1"}  # never a credential header of its own
    assert get.params["path"] == {"item_id": "a/b"} and get.body is None


def test_links_by_operation_id_and_operation_ref() -> None:
    links = openapi.links(SPEC, openapi.operations(SPEC))
    assert [(ln.source.key, ln.status, ln.target.key, ln.parameters) for ln in links] == [
        ("POST /api/items", "201", "GET /api/items/{item_id}", {"item_id": "$response.body#/id"}),
        ("POST /api/items", "201", "DELETE /api/items/{item_id}",
         {"item_id": "$response.header.X-Id"})]


@pytest.mark.parametrize(("expr", "expected"), [
    ("$response.body#/id", 7),
    ("$response.body#/items/1/id", 9),
    ("$response.body#/items/5/id", None),
    ("$response.header.x-id", "h7"),
    ("$request.path.item_id", 3),
    ("$request.body#/name", "drill"),
    ("$request.query.missing", None),
    (42, 42),
    ("plain", "plain"),
])
def test_evaluate_runtime_expressions(expr: Any, expected: Any) -> None:
    body = {"id": 7, "items": [{"id": 8}, {"id": 9}]}
    request = {"path": {"item_id": 3}, "query": {}, "body": {"name": "drill"}}
    assert openapi.evaluate(expr, body=body, headers={"X-Id": "h7"}, request=request) == expected


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
