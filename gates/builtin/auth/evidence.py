"""What proves that another user's object was reached, and what keeps the probe from
breaking what it did not make.

A caller let in on an object of someone else's is BOLA only with evidence: the body
it got is the one the owner gets from the same request (`same_body`), or — for a
write — the owner's object read back by the owner changed or is gone, or the owner
can no longer log in with their password (`Watch`). A 2xx without any of these is
only `suspicious` (`unproven` says what was seen): an API that ignores the path
and acts on the caller answers 2xx too.

Destructive requests stay on what the probe owns: `unheld` fills the path of a
DELETE/PUT/PATCH that is not on an object the probe created with values nobody
has, and `own_password` puts the caller's own password in any password property
of a body, so a password change the app applies to the caller changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from gates.apptest import openapi
from gates.apptest.credentials import PASSWORD_KEYS, UNHELD_NUMBER, UNHELD_TEXT, User
from gates.apptest.openapi import Example, Operation
from gates.gate import GateError

if TYPE_CHECKING:
    from gates.builtin.auth.owners import Owned
    from gates.builtin.auth.session import Session

QUOTE = 160
GONE = (404, 410)


def ok(status: int) -> bool:
    return 200 <= status < 300


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # the JSON, else the text

    @classmethod
    def of(cls, resp: httpx.Response) -> Answer:
        try:
            body: Any = resp.json()
        except ValueError:
            body = resp.text
        return cls(resp.status_code, body)

    @property
    def quote(self) -> str:
        text = self.body if isinstance(self.body, str) else json.dumps(
            self.body, separators=(",", ":"), sort_keys=True, default=str)
        text = " ".join(text.split())
        return text if len(text) <= QUOTE else text[:QUOTE] + "…"


def same_body(owner: User, mine: Answer | None, theirs: Answer) -> str:
    """Evidence when `theirs` is the owner's answer to the same request."""
    if mine is None or not ok(mine.status) or mine.body in (None, "", {}, []):
        return ""
    if theirs.body == mine.body:
        return f"the body is the one {owner.name} gets from the same request: {theirs.quote}"
    return ""


def unproven(resp: httpx.Response, owner: User, safe: bool, watch: Watch | None) -> str:
    got = Answer.of(resp)
    if safe:
        return (f"answered {got.status} with a body that is not the one {owner.name} gets "
                f"({got.quote or 'empty'}): it may be the caller's own object")
    if watch is not None and watch.readback is not None:
        return (f"answered {got.status}, but {owner.name}'s object read back through "
                f"{watch.readback.method} {watch.readback.path} did not change")
    return (f"answered {got.status}; no operation reads {owner.name}'s object back, so "
            "whether it changed is unknown")


def _readback(s: Session, op: Operation, owner: User) -> Operation | None:
    """The GET the owner reads the object with: on the operation's own path, else on a
    parent that names the same parameters (`/users/{u}/email` -> `/users/{u}`)."""
    gets = {o.path: o for o in openapi.operations(s.spec)
            if o.method == "GET" and owner in s.allowed(o)}
    path = op.path
    while path.count("/") >= 1:
        if path in gets and set(gets[path].path_params) == set(op.path_params):
            return gets[path]
        path, _, last = path.rpartition("/")
        if last.startswith("{") or not path:
            return None
    return None


@dataclass
class Watch:
    """The owner's view of their object before another user's write."""

    owner: User
    readback: Example | None
    before: Answer | None

    @classmethod
    def before_write(cls, s: Session, op: Operation, owned: Owned) -> Watch:
        read = _readback(s, op, owned.owner)
        if read is None:
            return cls(owned.owner, None, None)
        ex = openapi.example(s.spec, read, {**s.cfg.values, **owned.values})
        return cls(owned.owner, ex, _read(s, ex, owned.owner))

    def after(self, s: Session, sent: Example) -> str:
        """Evidence that the write reached the owner's object ("" : none)."""
        name = self.owner.name
        if self.readback is not None and self.before is not None and ok(self.before.status):
            now = _read(s, self.readback, self.owner)
            where = f"{self.readback.method} {self.readback.path}"
            if now.status in GONE:
                return (f"{name}'s object is gone: {name} reading it back through {where} "
                        f"got {self.before.status} before and {now.status} after")
            if ok(now.status) and now.body != self.before.body:
                return (f"{name}'s object changed, read back by {name} through {where}: "
                        f"before {self.before.quote}, after {now.quote}")
        if isinstance(sent.body, Mapping) and any(k in sent.body for k in _password_keys(s)):
            try:
                s.login(self.owner)
            except GateError as e:
                return f"{name} can no longer log in with their password ({e})"
        return ""


def _read(s: Session, ex: Example, owner: User) -> Answer:
    resp, _ = s.send(ex, s.tokens.get(owner.name), "", owner.label)
    return Answer.of(resp)


def _password_keys(s: Session) -> tuple[str, ...]:
    return (s.cfg.password_field, *PASSWORD_KEYS)


def unheld(spec: Mapping[str, Any], op: Operation, values: Mapping[str, Any]) -> Example:
    """The example of a destructive operation with path values nobody has."""
    own: dict[str, Any] = dict(values)
    for p in op.params("path"):
        schema = openapi.resolve(spec, p.get("schema", {}))
        kind = schema.get("type") if isinstance(schema, Mapping) else None
        own[str(p.get("name"))] = UNHELD_NUMBER if kind in ("integer", "number") \
            else UNHELD_TEXT
    for name in op.path_params:
        own.setdefault(name, UNHELD_TEXT)
    stripped = dataclasses.replace(op, parameters=[
        {k: v for k, v in p.items() if k not in ("example", "examples")}
        if p.get("in") == "path" else p for p in op.parameters])
    return openapi.example(spec, stripped, own)


def own_password(ex: Example, s: Session, user: User | None) -> Example:
    """`ex` with every password property of its body set to `user`'s own password."""
    if user is None or not isinstance(ex.body, Mapping):
        return ex
    keys = [k for k in _password_keys(s) if k in ex.body]
    if not keys:
        return ex
    return dataclasses.replace(ex, body={**ex.body, **dict.fromkeys(keys, user.password)})
