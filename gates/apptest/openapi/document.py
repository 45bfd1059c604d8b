"""An OpenAPI document as the probes read it: fetched from the running app, its
operations with their parameters merged and references resolved, and who may call
them. Only local `#/...` references are followed."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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


def unescape(token: str) -> str:
    """One reference token of a JSON pointer, as the key it names ("~1" is "/")."""
    return token.replace("~1", "/").replace("~0", "~")


def resolve(spec: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow `$ref` (local ones) until a node without one."""
    while isinstance(node, Mapping) and "$ref" in node and depth < MAX_DEPTH:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            return {}
        target: Any = spec
        for part in ref[2:].split("/"):
            part = unescape(part)
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


def excluded(entries: Any) -> tuple[str, ...]:
    """The operations an `exclude` list names ("GET /createdb"); its other entries are
    path globs of the common `exclude` key."""
    out = []
    for entry in entries or []:
        method, _, path = str(entry).strip().partition(" ")
        if method.lower() in METHODS and path.strip().startswith("/"):
            out.append(f"{method.upper()} {path.strip()}")
    return tuple(out)


def without(spec: Mapping[str, Any], exclude: tuple[str, ...]) -> dict[str, Any]:
    """`spec` without the operations of `exclude`: no probe ever calls them."""
    if not exclude:
        return dict(spec)
    paths: dict[str, Any] = {}
    for path, item in (spec.get("paths") or {}).items():
        item = resolve(spec, item)
        if isinstance(item, Mapping):
            item = {k: v for k, v in item.items()
                    if not (k in METHODS and f"{k.upper()} {path}" in exclude)}
        paths[path] = item
    return {**spec, "paths": paths}
