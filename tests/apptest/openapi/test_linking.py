"""Response links and runtime expressions (gates.apptest.openapi.linking)."""

from __future__ import annotations

from typing import Any

import pytest

from gates.apptest import openapi
from tests.apptest.openapi.spec import SPEC


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
