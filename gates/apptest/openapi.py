"""An OpenAPI document as the probes need it: operations, and plausible values.

`fetch` loads the document from the running app; `operations` lists every
operation with its parameters merged and references resolved; `value` makes a
value a server should accept from a schema — an example, an enum member, a
default, then something plain of the right type. Only local `#/...` references
are followed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from gates.gate import GateError

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
MAX_DEPTH = 8


def fetch(client: httpx.Client, url: str) -> dict[str, Any]:
    """The OpenAPI document at `url`; GateError when there is none."""
    try:
        resp = client.get(url)
    except httpx.HTTPError as e:
        raise GateError(f"could not fetch the OpenAPI document at {url}: {e}") from None
    if resp.status_code != 200:
        raise GateError(f"no OpenAPI document at {url} (HTTP {resp.status_code})")
    try:
        doc = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise GateError(f"the document at {url} is not JSON (an OpenAPI document is expected)"
                        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict) or not (
        "openapi" in doc or "swagger" in doc
    ):
        raise GateError(f"the document at {url} is not an OpenAPI document (no 'openapi' "
                        "and 'paths')")
    return doc


def resolve(spec: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow `$ref` (local ones) until a node without one."""
    while isinstance(node, Mapping) and "$ref" in node and depth < MAX_DEPTH:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            return {}
        target: Any = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        node, depth = target, depth + 1
    return node


@dataclass
class Operation:
    method: str  # upper case
    path: str  # the template, "/api/invoices/{invoice_id}"
    spec: dict[str, Any]  # the operation object
    parameters: list[dict[str, Any]] = field(default_factory=list)  # resolved, merged

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId", ""))

    @property
    def safe(self) -> bool:
        return self.method in SAFE_METHODS

    def params(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.parameters if p.get("in") == where]

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{([^}/]+)}", self.path)


def operations(spec: Mapping[str, Any]) -> list[Operation]:
    out = []
    for path, item in (spec.get("paths") or {}).items():
        item = resolve(spec, item)
        if not isinstance(item, Mapping):
            continue
        shared = [resolve(spec, p) for p in item.get("parameters", [])]
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            own = [resolve(spec, p) for p in op.get("parameters", [])]
            names = {(p.get("in"), p.get("name")) for p in own}
            params = [p for p in shared if (p.get("in"), p.get("name")) not in names] + own
            out.append(Operation(method.upper(), str(path), dict(op),
                                 [p for p in params if isinstance(p, dict)]))
    return out


def find(ops: list[Operation], ref: str) -> Operation | None:
    """`"POST /api/reservations"` or an operationId."""
    ref = ref.strip()
    for op in ops:
        if op.key == ref or (op.operation_id and op.operation_id == ref):
            return op
    method, _, path = ref.partition(" ")
    for op in ops:
        if op.method == method.upper() and op.path == path.strip():
            return op
    return None


def security(spec: Mapping[str, Any], op: Operation) -> list[dict[str, Any]]:
    """The operation's effective security requirements ([] = none)."""
    req = op.spec.get("security", spec.get("security", []))
    return [r for r in req if isinstance(r, dict)] if isinstance(req, list) else []


def requires_auth(spec: Mapping[str, Any], op: Operation) -> bool:
    """True when every alternative needs credentials (an empty requirement `{}`
    makes authentication optional)."""
    req = security(spec, op)
    return bool(req) and all(bool(r) for r in req)


# -- values a server should accept ---------------------------------------------------


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

# -- links: which operation's response names the object another one acts on ----------


@dataclass
class Link:
    source: Operation  # the operation whose response carries the values
    status: str  # the response code the link hangs on ("201")
    target: Operation
    parameters: dict[str, Any]  # target parameter name -> runtime expression or constant


def links(spec: Mapping[str, Any], ops: list[Operation]) -> list[Link]:
    """Every response link of the document whose target operation is known."""
    by_id = {op.operation_id: op for op in ops if op.operation_id}
    by_ref = {f"#/paths/{_pointer_part(op.path)}/{op.method.lower()}": op for op in ops}
    out = []
    for op in ops:
        for status, response in (op.spec.get("responses") or {}).items():
            response = resolve(spec, response)
            if not isinstance(response, Mapping):
                continue
            for link in (response.get("links") or {}).values():
                link = resolve(spec, link)
                if not isinstance(link, Mapping):
                    continue
                target = by_id.get(str(link.get("operationId", ""))) or by_ref.get(
                    str(link.get("operationRef", "")))
                params = link.get("parameters") or {}
                if target is not None and isinstance(params, Mapping):
                    # a parameter may be qualified by its location: "path.invoice_id"
                    named = {str(k).rsplit(".", 1)[-1]: v for k, v in params.items()}
                    out.append(Link(op, str(status), target, named))
    return out


def _pointer_part(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def pointer(doc: Any, ptr: str) -> Any:
    """The JSON pointer `ptr` ("/0/id") in `doc`; None when it leads nowhere."""
    if ptr in ("", "/"):
        return doc
    for part in ptr.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        elif isinstance(doc, Mapping) and part in doc:
            doc = doc[part]
        else:
            return None
    return doc


def evaluate(expr: Any, *, body: Any, headers: Mapping[str, str],
             request: Mapping[str, Any]) -> Any:
    """A link's runtime expression against one exchange (None when it cannot be
    evaluated): `$response.body#/id`, `$response.header.Location`,
    `$request.path.id` (any request parameter by name), or a constant."""
    if not isinstance(expr, str) or not expr.startswith("$"):
        return expr
    if expr.startswith("$response.body"):
        return pointer(body, expr.partition("#")[2])
    if expr.startswith("$response.header."):
        wanted = expr.removeprefix("$response.header.").lower()
        return next((v for k, v in headers.items() if k.lower() == wanted), None)
    if expr.startswith("$request.body"):
        return pointer(request.get("body"), expr.partition("#")[2])
    for where in ("path", "query", "header"):
        if expr.startswith(f"$request.{where}."):
            return request.get(where, {}).get(expr.removeprefix(f"$request.{where}."))
    return None
