"""The OpenAPI document the tests of gates.apptest.openapi read."""

from __future__ import annotations

from typing import Any

from gates.apptest import openapi

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
