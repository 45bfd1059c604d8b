"""Values and requests a server should accept (gates.apptest.openapi.examples)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gates.apptest import openapi
from tests.apptest.openapi.spec import SPEC, op


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
