"""Whose object: for the auth probe's other-user (BOLA/IDOR) column.

An operation on one user's objects is one with `x-owner: true`, or named in
`[gates.auth] owned`. Its owner is the least privileged user it allows; the one
who must be refused is another user of the same role. The owner's object is one
the owner creates through the API — by the operation a response link of the
document points from, or the create operation `owned` names — or else the first
of the owner's list (`x-owner-list`), once the creates have run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gates.apptest import openapi
from gates.apptest.credentials import User
from gates.apptest.openapi import Operation
from gates.builtin.auth.session import Session
from gates.errors import ConfigError

LIST_KEYS = ("items", "data", "results", "records")


@dataclass(frozen=True)
class Owned:
    owner: User
    other: User | None  # another user of the owner's role: the one who must be refused
    values: dict[str, Any]  # path parameter -> the owner's object; {} when none was found
    how: str  # where the object came from, or why there is none


def owned_operations(s: Session, ops: list[Operation]) -> dict[str, Owned]:
    """Every operation on one user's objects, with an object of its owner's."""
    for ref, create in s.cfg.owned.items():
        for name in (ref, create):
            if name and openapi.find(ops, name) is None:
                raise ConfigError(f"[gates.auth] owned names {name!r}, which the OpenAPI "
                                  "document does not have")
    targets = [op for op in ops if s.protected(op) and op.path_params and (
        op.spec.get("x-owner") is True or any(openapi.find([op], r) for r in s.cfg.owned))]
    links = openapi.links(s.spec, ops)
    out: dict[str, Owned] = {}
    for op in targets:
        allowed = s.allowed(op)
        if not allowed:
            continue
        owner = allowed[0]
        other = next((u for u in allowed if u.role == owner.role and u != owner), None)
        if other is None:
            out[op.key] = Owned(owner, None, {}, f"no second user with the role "
                                                 f"{owner.role!r} to ask for {owner.name}'s object")
            continue
        values, how = _own_name(s, op, owner)
        if not values:
            values, how = _from_creates(s, op, owner, ops, links)
        out[op.key] = Owned(owner, other, values, how)
    for key, found in list(out.items()):  # then the owner's lists (creates have run by now)
        op = next(o for o in targets if o.key == key)
        if found.other is not None and not found.values:
            values, how = _from_list(s, op, found.owner, ops)
            out[key] = Owned(found.owner, found.other, values, how or found.how)
    return out


def _from_creates(s: Session, op: Operation, owner: User, ops: list[Operation],
                  links: list[openapi.Link]) -> tuple[dict[str, Any], str]:
    tried = []
    for link in links:
        usable = not link.source.path_params and owner in s.allowed(link.source)
        if link.target is not op or not usable:
            continue
        status, body, headers, ex = s.call_as(link.source, owner)
        tried.append(f"{link.source.key} answered {status}")
        if not 200 <= status < 300:
            continue
        request = {**ex.params, "body": ex.body}
        values = {name: openapi.evaluate(expr, body=body, headers=headers, request=request)
                  for name, expr in link.parameters.items()}
        if all(values.get(p) is not None for p in op.path_params):
            return values, f"created by {owner.name} through {link.source.key} (link)"
    create = next((c for r, c in s.cfg.owned.items() if c and openapi.find([op], r)), "")
    if create:
        source = openapi.find(ops, create)
        assert source is not None  # checked in owned_operations
        status, body, _, _ = s.call_as(source, owner)
        tried.append(f"{source.key} answered {status}")
        if 200 <= status < 300:
            values = _params_from(op, body)
            if values:
                return values, f"created by {owner.name} through {source.key}"
            tried[-1] += (f", but its answer carries no {' or '.join(op.path_params)}"
                          f"{' (nor id)' if len(op.path_params) == 1 else ''}: return it, "
                          "or add an OpenAPI link from that response to "
                          f"{op.key}")
    return {}, ("; ".join(tried) if tried else "no operation creates its object "
                "(no link to it, no create operation in `[gates.auth] owned`)")


def _own_name(s: Session, op: Operation, owner: User) -> tuple[dict[str, Any], str]:
    """An operation on a user itself (`/users/{username}/password`): the owner's object
    is the owner, named by the login's username."""
    if op.path_params == [s.cfg.username_field]:
        return ({s.cfg.username_field: owner.username},
                f"{owner.name} itself ({s.cfg.username_field} in the path)")
    return {}, ""


def _from_list(s: Session, op: Operation, owner: User, ops: list[Operation]
               ) -> tuple[dict[str, Any], str]:
    path = op.spec.get("x-owner-list")
    listing = next((o for o in ops if o.method == "GET" and o.path == path), None)
    if listing is None:
        return {}, ""
    status, body, _, _ = s.call_as(listing, owner)
    if isinstance(body, Mapping):
        body = next((body[k] for k in LIST_KEYS if isinstance(body.get(k), list)), None)
    if not 200 <= status < 300 or not isinstance(body, list) or not body:
        return {}, f"{owner.name}'s list {listing.key} answered {status} with no object"
    values = _params_from(op, body[0])
    if not values:
        return {}, f"the objects of {listing.key} carry no {', '.join(op.path_params)}"
    return values, f"{owner.name}'s, from {listing.key}"


def _params_from(op: Operation, obj: Any) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        return {}
    params = op.path_params
    values = {p: obj[p] for p in params if p in obj}
    if len(params) == 1 and not values and "id" in obj:
        values = {params[0]: obj["id"]}
    return values if len(values) == len(params) else {}
