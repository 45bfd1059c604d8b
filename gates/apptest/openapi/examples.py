"""Requests a server should accept: `value` makes a value from a schema — an
example, an enum member, a default, then something plain of the right type — and
`example` fills in an operation's parameters and body with such values."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from gates.apptest.openapi.document import MAX_DEPTH, Operation, resolve


def json_body_schema(spec: Mapping[str, Any], op: Operation) -> tuple[str, Any] | None:
    """(media type, schema) of the operation's request body, JSON preferred."""
    body = resolve(spec, op.spec.get("requestBody"))
    if not isinstance(body, Mapping):
        return None
    content = body.get("content") or {}
    for media in content:
        if media == "application/json" or media.endswith("+json"):
            return media, resolve(spec, content[media].get("schema", {}))
    for media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if media in content:
            return media, resolve(spec, content[media].get("schema", {}))
    return None


def value(spec: Mapping[str, Any], schema: Any, overrides: Mapping[str, Any] | None = None,
          name: str | None = None, depth: int = 0) -> Any:
    """A plausible valid value for `schema` (`overrides` by property/parameter name)."""
    overrides = overrides or {}
    if name is not None and name in overrides:
        return overrides[name]
    schema = resolve(spec, schema)
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return None
    for key in ("example", "const", "default"):
        if key in schema:
            return schema[key]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = resolve(spec, part)
            if isinstance(part, Mapping):
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += list(part.get("required", []))
                if "type" in part:
                    merged["type"] = part["type"]
        return value(spec, merged, overrides, None, depth + 1)
    for key in ("anyOf", "oneOf"):
        options = [resolve(spec, o) for o in schema.get(key, [])]
        options = [o for o in options if isinstance(o, Mapping) and o.get("type") != "null"]
        if options:
            return value(spec, options[0], overrides, None, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    return _typed(spec, schema, str(kind), overrides, depth)


def _typed(spec: Mapping[str, Any], schema: Mapping[str, Any], kind: str,
           overrides: Mapping[str, Any], depth: int) -> Any:
    if kind == "object":
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out = {}
        for prop, sub in props.items():
            sub_r = resolve(spec, sub)
            wanted = prop in required or prop in overrides or (
                isinstance(sub_r, Mapping) and ("example" in sub_r or "examples" in sub_r))
            if wanted:
                out[prop] = value(spec, sub, overrides, prop, depth + 1)
        return out
    if kind == "array":
        n = max(1, int(schema.get("minItems", 1)))
        if "maxItems" in schema:
            n = min(n, int(schema["maxItems"]))
        return [value(spec, schema.get("items", {}), overrides, None, depth + 1) for _ in range(n)]
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema)


def _number(schema: Mapping[str, Any], kind: str) -> int | float:
    low, ex_low = _bound(schema, "minimum", "exclusiveMinimum")
    high, ex_high = _bound(schema, "maximum", "exclusiveMaximum")
    n: float = 1
    if low is not None:
        n = max(n, low)
    if ex_low is not None and n <= ex_low:
        n = ex_low + 1
    if high is not None and n > high:
        n = high
    if ex_high is not None and n >= ex_high:
        n = ex_high - 1
        if kind == "number" and ex_low is not None and n <= ex_low:
            n = (ex_low + ex_high) / 2
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        up = step * math.ceil(n / step)
        n = up if (high is None or up <= high) and (ex_high is None or up < ex_high) else (
            step * math.floor(n / step))
    return int(n) if kind == "integer" else float(n)


def _bound(schema: Mapping[str, Any], inclusive: str, exclusive: str
           ) -> tuple[float | None, float | None]:
    """(inclusive, exclusive) bound; OpenAPI 3.0 writes `exclusiveMinimum: true` as a
    flag on `minimum`, 3.1 a number of its own."""
    value, flag = _num(schema.get(inclusive)), schema.get(exclusive)
    if isinstance(flag, bool):
        return (None, value) if flag else (value, None)
    return value, _num(flag)


def _num(v: Any) -> float | None:
    return v if isinstance(v, int | float) and not isinstance(v, bool) else None


def _string(schema: Mapping[str, Any]) -> str:
    fmt = schema.get("format", "")
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    by_format = {
        "date": tomorrow.date().isoformat(),
        "date-time": tomorrow.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "email": "gates-probe@example.com",
        "uuid": "00000000-0000-4000-8000-000000000001",
        "uri": "https://example.com/gates",
        "url": "https://example.com/gates",
        "ipv4": "127.0.0.1",
        "password": "gates-Probe-123",
    }
    text = by_format.get(fmt, "gates-probe")
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    if len(text) < low:
        text += "x" * (low - len(text))
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    return text


@dataclass
class Example:
    """One request a server should accept for an operation."""

    method: str
    path: str  # the template filled in, values percent-encoded
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any  # None: no body
    media: str | None  # the body's content type
    params: dict[str, dict[str, Any]]  # "path" / "query" / "header" -> name -> value


def example(spec: Mapping[str, Any], op: Operation, values: Mapping[str, Any] | None = None
            ) -> Example:
    """Path parameters and required query/header parameters from `values` (by name)
    or the schema; optional ones only when `values` names them; the body when the
    operation takes one."""
    values = values or {}
    params: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
    for p in op.parameters:
        where, name = p.get("in"), str(p.get("name", ""))
        if where not in params or not name or (where == "header" and name.lower() in (
                "authorization", "cookie")):
            continue
        if where == "path" or p.get("required") or name in values:
            schema = p.get("schema", {})
            if "example" in p and name not in values:
                params[where][name] = p["example"]
            else:
                params[where][name] = value(spec, schema, values, name)
    path = op.path
    for name in op.path_params:
        v = params["path"].get(name, values.get(name, 1))
        path = path.replace("{" + name + "}", quote(_text(v), safe=""))
    body, media = None, None
    found = json_body_schema(spec, op)
    if found is not None:
        media, schema = found
        body = value(spec, schema, values)
    return Example(op.method, path, dict(params["query"]),
                   {k: _text(v) for k, v in params["header"].items()}, body, media, params)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
