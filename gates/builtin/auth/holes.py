"""The holes real APIs have beyond who may call what, each generated from the document
and asked of the running app (the same on the base's app, so only new ones block):

- `injection`: a string path or query value of a safe operation, and a string property
  of a create's body, with SQL/NoSQL/shell metacharacters; found when the app answers
  5xx or shows a database error while the same request with a benign value of the
  same shape is answered normally;
- `mass-assignment`: a create sent with properties a caller must not set (`admin`,
  `role`, `owner_id`, `balance`, `verified`, …, and every `readOnly` property of its
  schema); found when the object it answers, or the new user's next login token,
  carries them while a create without them does not;
- `jwt-weak-key`: the control's token re-signed with each key of a built-in list of
  weak HMAC secrets (short dictionary words, "secret", "changeme", the app's name, the
  empty key) accepted by the app — no `jwt_secret` needed;
- `cors-permissive` and `security-headers-missing` (low): an origin of nobody's
  reflected with credentials allowed; an HTML page without nosniff or a framing policy.

Each is a cell of the matrix (probe = its rule's column) with its evidence and a curl
line; destructive methods are never used here.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from gates.apptest import openapi
from gates.apptest.credentials import User
from gates.apptest.openapi import Example, Operation
from gates.builtin.auth import forge
from gates.builtin.auth.evidence import Answer, ok
from gates.builtin.auth.session import Session
from gates.gate import GateError

INJECTIONS = ("'", "gates\"", "' OR '1'='1' --", "$(id);|", '{"$ne": null}')
DB_ERRORS = re.compile(
    r"sqlite3?\.|OperationalError|SQL syntax|syntax error at or near|unterminated quoted "
    r"string|psycopg|SQLSTATE|ORA-\d{5}|MySQL|MariaDB|MongoError|MongoServerError|"
    r"CastError|sh: \d+:|/bin/sh:", re.IGNORECASE)
WEAK_KEYS = ("", "secret", "changeme", "change-me", "password", "passw0rd", "key", "jwt",
             "token", "test", "testing", "dev", "admin", "default", "qwerty", "letmein",
             "welcome", "monkey", "dragon", "master", "shadow", "sunshine", "football",
             "princess", "hello", "apple", "orange", "banana", "tiger", "summer", "abc123",
             "123456", "12345678", "secret123", "secretkey", "secret-key", "secret_key",
             "mysecret", "supersecret", "jwtsecret", "jwt-secret", "jwt_secret", "s3cr3t",
             "your-256-bit-secret", "your-secret-key", "keyboard cat")
ORIGIN = "https://gates-probe.invalid"


def mass_properties(admin_role: str) -> dict[str, Any]:
    """What a caller must never set on their own object, with the value a probe sends."""
    return {"admin": True, "is_admin": True, "isAdmin": True, "role": admin_role,
            "roles": [admin_role], "permissions": ["*"], "is_staff": True,
            "is_superuser": True, "owner_id": 424242, "balance": 1000000,
            "verified": True, "is_verified": True, "email_verified": True}


# (caller, expected, got, outcome, curl, evidence): a cell of the matrix without its
# operation and probe
Rest = tuple[str, str, int, str, str, str]
# (operation, probe, caller, expected, got, outcome, curl, evidence)
Found = tuple[str, str, str, str, int, str, str, str]


def run(s: Session, verified: tuple[str, Example, User] | None) -> list[Found]:
    """Every hole found, as cells of the matrix (`reading`, then `writing`)."""
    return reading(s, verified) + writing(s)


def reading(s: Session, verified: tuple[str, Example, User] | None) -> list[Found]:
    """The holes asked with reads only: a weak key (`verified`: a safe operation the
    control got a 2xx from — its key, request and user), CORS and headers."""
    found: list[Found] = []
    if verified is not None:
        key, ex, user = verified
        found += [(key, "weak-key", *rest) for rest in _weak_key(s, ex, user)]
    found += [(op, probe, *rest) for op, probe, rest in _headers(s, openapi.operations(s.spec))]
    return found


def writing(s: Session) -> list[Found]:
    """The holes whose probes may write: injection and mass assignment."""
    found: list[Found] = []
    for op in openapi.operations(s.spec):
        asks, caller = _caller(s, op)
        if not asks:
            continue
        if op.safe:
            found += [(op.key, "injection", *rest) for rest in _injection(s, op, caller)]
        elif op.method == "POST" and not op.path_params:
            found += [(op.key, "mass-assignment", *rest)
                      for rest in _mass_assignment(s, op, caller)]
            found += [(op.key, "injection", *rest) for rest in _injection(s, op, caller)]
    return found


def _caller(s: Session, op: Operation) -> tuple[bool, User | None]:
    """(anyone may ask, who asks): the first user it allows; None for a public operation."""
    if not s.protected(op):
        return True, None
    allowed = s.allowed(op)
    return bool(allowed), allowed[0] if allowed else None


def _send(s: Session, ex: Example, user: User | None,
          headers: Mapping[str, str] | None = None) -> tuple[Answer, str, Mapping[str, str]]:
    token = s.tokens.get(user.name) if user else None
    resp, line = s.send(ex, token, f"Bearer <token of {user.name}>" if user else "",
                        user.label if user else "no token", headers)
    return Answer.of(resp), line, resp.headers


def _db_error(a: Answer) -> str:
    text = a.body if isinstance(a.body, str) else json.dumps(a.body, default=str)
    m = DB_ERRORS.search(text or "")
    return m.group(0) if m else ""


def _strings(s: Session, op: Operation) -> list[tuple[str, str]]:
    """(where, name) of the string values a request of `op` carries."""
    out = []
    for p in op.parameters:
        schema = openapi.resolve(s.spec, p.get("schema", {}))
        if p.get("in") in ("path", "query") and isinstance(schema, Mapping) and schema.get(
                "type", "string") == "string" and not schema.get("enum") and (
                p.get("in") == "path" or p.get("required")):
            out.append((str(p["in"]), str(p.get("name"))))
    found = openapi.json_body_schema(s.spec, op)
    if found is not None:
        schema = openapi.resolve(s.spec, found[1])
        props = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
        for name, sub in list(props.items())[:4]:
            sub = openapi.resolve(s.spec, sub)
            if isinstance(sub, Mapping) and sub.get("type") == "string" and not sub.get(
                    "enum") and not sub.get("format") and name != s.cfg.password_field:
                out.append(("body", str(name)))
    return out


def _with(s: Session, op: Operation, ex: Example, where: str, name: str, value: Any
          ) -> Example:
    if where == "body":
        return dataclasses.replace(ex, body={**ex.body, name: value})
    if where == "query":
        return dataclasses.replace(ex, query={**ex.query, name: value})
    values = {**s.cfg.values, **{k: v for k, v in ex.params["path"].items()}, name: value}
    return openapi.example(s.spec, op, values)


def _base_example(s: Session, op: Operation, user: User | None) -> Example:
    values = dict(s.cfg.values)
    if user is not None and s.cfg.username_field in op.path_params:
        values[s.cfg.username_field] = user.username  # the caller's own: answered normally
    ex = openapi.example(s.spec, op, values)
    return _unique(s, ex)


def _unique(s: Session, ex: Example) -> Example:
    """A create's body under a user name nobody has (each create makes a new one)."""
    if isinstance(ex.body, Mapping) and s.cfg.username_field in ex.body:
        return dataclasses.replace(ex, body={**ex.body, s.cfg.username_field:
                                             f"gates-{secrets.token_hex(4)}"})
    return ex


def _injection(s: Session, op: Operation, user: User | None
               ) -> list[Rest]:
    out = []
    for where, name in _strings(s, op):
        benign_ex = _base_example(s, op, user)
        if where == "body" and not isinstance(benign_ex.body, Mapping):
            continue
        current = (benign_ex.body.get(name) if where == "body" else benign_ex.query.get(name)
                   if where == "query" else benign_ex.params["path"].get(name))
        shape = str(current if current is not None else "gates")
        benign, _, _ = _send(s, _with(s, op, benign_ex, where, name, shape + "x"), user)
        if benign.status >= 500 or _db_error(benign):
            continue  # not answered normally even when benign: proves nothing
        for payload in INJECTIONS:
            ex = _unique(s, benign_ex) if where == "body" else benign_ex
            bad, line, _ = _send(s, _with(s, op, ex, where, name, shape + payload), user)
            error = _db_error(bad)
            if bad.status >= 500 or error:
                out.append((f"{where} {name} + {payload!r}", "like the benign value",
                            bad.status, "hole", line,
                            f"{name} = {shape + payload!r} answered {bad.status}"
                            + (f" with {error!r} in the body" if error else "")
                            + f", the same request with {shape + 'x'!r} {benign.status}"))
                break
    return out


def _mass_assignment(s: Session, op: Operation, user: User | None
                     ) -> list[Rest]:
    found = openapi.json_body_schema(s.spec, op)
    if found is None:
        return []
    schema = openapi.resolve(s.spec, found[1])
    if not isinstance(schema, Mapping) or schema.get("type", "object") != "object":
        return []
    props = schema.get("properties", {}) if isinstance(schema.get("properties"), Mapping) else {}
    extra = {k: v for k, v in mass_properties(s.admin_role).items() if k not in props}
    for name, sub in props.items():
        sub = openapi.resolve(s.spec, sub)
        if isinstance(sub, Mapping) and sub.get("readOnly"):
            extra[name] = openapi.value(s.spec, sub, {}, name)
    benign_ex = _base_example(s, op, user)
    if not extra or not isinstance(benign_ex.body, Mapping):
        return []
    plain_answer, _, _ = _send(s, benign_ex, user)
    if not ok(plain_answer.status):
        return []
    sent_ex = dataclasses.replace(_unique(s, benign_ex), body={**_unique(s, benign_ex).body,
                                                                **extra})
    answer, line, _ = _send(s, sent_ex, user)
    if not ok(answer.status):
        return []
    carried = _carried(extra, answer.body, plain_answer.body)
    where = "the object it answered"
    if not carried:
        carried, where = _in_token(s, extra, benign_ex, sent_ex), "the new user's login token"
    if not carried:
        return []
    names = ", ".join(f"{k} = {json.dumps(v)}" for k, v in carried.items())
    return [(f"{user.label if user else 'no token'} setting {', '.join(carried)}",
             "ignored", answer.status, "hole", line,
             f"{where} carries {names}, which the same create without them does not")]


def _carried(extra: Mapping[str, Any], body: Any, plain: Any) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        return {}
    before = plain if isinstance(plain, Mapping) else {}
    return {k: v for k, v in extra.items() if body.get(k) == v and before.get(k) != v}


def _in_token(s: Session, extra: Mapping[str, Any], plain: Example, sent: Example
              ) -> dict[str, Any]:
    """The claims of a login as the user each create made, compared."""
    pw, un = s.cfg.password_field, s.cfg.username_field
    claims = []
    for ex in (plain, sent):
        body = ex.body if isinstance(ex.body, Mapping) else {}
        if un not in body or pw not in body:
            return {}
        try:
            token = s.login(User(str(body[un]), str(body[un]), str(body[pw]), "created"))
        except GateError:
            return {}
        jwt = forge.parse(token)
        if jwt is None:
            return {}
        claims.append(jwt.payload)
    return _carried(extra, claims[1], claims[0])


def _weak_key(s: Session, ex: Example, user: User
              ) -> list[Rest]:
    jwt = s.jwt(user)
    if jwt is None or jwt.alg not in forge.HMAC_ALGS:
        return []
    random = forge.fresh(jwt, secrets.token_hex(24))
    if random is None or ok(s.send(ex, random, "", user.label)[0].status_code):
        return []  # signatures are not checked at all: the stripped/tampered probes say so
    title = str((s.spec.get("info") or {}).get("title") or "")
    names = {title, title.lower(), title.lower().replace(" ", ""),
             title.lower().replace(" ", "-"), title.lower().replace(" ", "_")} - {""}
    for key in itertools.chain(WEAK_KEYS, sorted(names)):
        token = forge.fresh(jwt, key)
        if token is None:
            continue
        resp, line = s.send(ex, token, f"Bearer <token of {user.name}, re-signed>", user.label)
        if ok(resp.status_code):
            shown = _masked(key)
            return [(f"{user.label}'s claims signed with the weak key {shown}", "401/403",
                     resp.status_code, "hole", line,
                     f"{user.name}'s claims re-signed with {shown} (a key of the built-in weak "
                     f"list, {len(key)} characters) were accepted: anyone can mint tokens")]
    return []


def _masked(key: str) -> str:
    if not key:
        return "'' (the empty key)"
    return repr(key[0] + "*" * (len(key) - 2) + key[-1]) if len(key) > 2 else repr("*" * len(key))


def _headers(s: Session, ops: list[Operation]) -> list[tuple[str, str, Rest]]:
    out: list[tuple[str, str, Rest]] = []
    cors_done = False
    for op in ops:
        if op.method != "GET" or op.path_params:
            continue
        asks, caller = _caller(s, op)
        if not asks:
            continue
        ex = openapi.example(s.spec, op, s.cfg.values)
        answer, line, headers = _send(s, ex, caller, {"Origin": ORIGIN})
        if not ok(answer.status):
            continue
        if not cors_done:
            allowed = headers.get("access-control-allow-origin", "")
            creds = headers.get("access-control-allow-credentials", "").lower() == "true"
            if creds and allowed in (ORIGIN, "*"):
                cors_done = True
                out.append((op.key, "cors", (
                    f"Origin {ORIGIN}", "not allowed", answer.status, "hole", line,
                    f"Access-Control-Allow-Origin: {allowed} with "
                    "Access-Control-Allow-Credentials: true: any site can read its answers "
                    "as the signed-in user")))
        if "text/html" in headers.get("content-type", ""):
            missing = [h for h in ("X-Content-Type-Options", "Content-Security-Policy")
                       if h.lower() not in headers]
            framing = "frame-ancestors" in headers.get("content-security-policy", "") or \
                "x-frame-options" in headers
            missing += [] if framing else ["X-Frame-Options (or CSP frame-ancestors)"]
            if missing:
                out.append((op.key, "headers", (
                    "an HTML page", "security headers", answer.status, "hole", line,
                    f"the HTML answer has no {', '.join(missing)}")))
    return out
