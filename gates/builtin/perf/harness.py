"""The locustfile is a harness too: the perf gate drives base and branch with the merge
result's locustfile, so a branch that slows an endpoint and drops it from the load
would pass. When the branch changes the locustfile, the endpoints the base's
locustfile requests are compared with the branch's (read with `ast`, never run): one
the base's load covered and the branch's no longer does is a `tamper-load-dropped`
finding (high; only the trusted config's `[[suppress]]` accepts it)."""

from __future__ import annotations

import ast

from gates import git
from gates.apptest import tamper
from gates.gate import GateContext
from gates.model import Finding

METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


def endpoints(text: str) -> set[str]:
    """`METHOD /path` of every request a locustfile makes through a client (`name=`
    when given; an f-string up to its first placeholder)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    out = set()
    for n in ast.walk(tree):
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
            continue
        method = n.func.attr
        args = list(n.args)
        if method == "request" and args and isinstance(args[0], ast.Constant):
            method, args = str(args[0].value).lower(), args[1:]
        if method not in METHODS or "client" not in ast.unparse(n.func.value):
            continue
        named = next((k.value for k in n.keywords if k.arg == "name"), None)
        target = named if named is not None else (args[0] if args else None)
        path = _literal(target)
        if path:
            out.add(f"{method.upper()} {path.split('?', 1)[0]}")
    return out


def _literal(node: ast.expr | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        head = ""
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                head += part.value
            else:
                return head + "{…}"
        return head
    return ""


def dropped(ctx: GateContext, rel: str) -> list[Finding]:
    """Endpoints the base's `rel` loads and the merge result's does not."""
    ws = ctx.workspace
    assert ws.subject.tree is not None
    old = git.show_file(ws.repo, ws.subject.base_commit, rel)
    new = git.show_file(ws.repo, ws.subject.tree, rel)
    if old is None or new is None:
        return []
    gone = sorted(endpoints(old) - endpoints(new))
    return [tamper.finding(ctx.name, tamper.Tamper(
        "load-dropped", rel, None,
        f"the branch's {rel} no longer loads `{e}`, which the base's load test covered: "
        "its latency is no longer compared")) for e in gone]
