"""Links: which operation's response names the object another one acts on
(`responses.<code>.links`), and the runtime expressions (`$response.body#/id`)
that carry the values from one exchange into the next request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gates.apptest.openapi.document import Operation, resolve, unescape


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
        part = unescape(part)
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
