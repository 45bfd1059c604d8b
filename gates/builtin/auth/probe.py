"""The generated authorization probe: who may call what, asked of the running app.

From the OpenAPI document and the users of `[gates.auth]`, every protected
operation (a security requirement, `x-roles`, or a `roles` pattern of the
config) is called by:

- its control: a user whose role it allows, with their real token;
- callers that must be refused (401/403): no credentials, a malformed bearer, the
  control's token with its signature stripped, re-encoded with `alg: none`, with
  a tampered payload (role raised, subject changed) under the old signature,
  expired and validly signed (when the config gives the app's secret), and each
  user whose role the operation does not allow;
- on an operation on one user's objects (`x-owner`, or `owned` in the config):
  another user of the same role, asking for an object of the owner's
  (`gates.builtin.auth.owners`) — refused means 403/404. Being let in is BOLA
  only with evidence (`gates.builtin.auth.evidence`): the body is the one the
  owner gets, or the owner's object read back by the owner changed or is gone,
  or the owner can no longer log in; a 2xx without evidence is `suspicious`.

Destructive requests never touch what the probe did not make: a DELETE, PUT or
PATCH whose path values are not an object the probe created gets values nobody
has (`gates-probe-…`), and a password in a request body is the caller's own. After
every unsafe operation each configured user must still log in; one who cannot is
an error naming the operation that came before.

A public webhook that the document says is signed (`x-webhook` with a
`signature_header`) gets an event with a forged signature: refused means
400/401/403.

Safe methods are asked with the control first; unsafe ones with the control
last, so that every probe meets the object the control then acts on. Each answer
is a cell of the access matrix; `gates.builtin.auth.report` turns it into findings.
The holes that may write (injection, mass assignment) come last, on a fresh start of
the app when the gate can give one (`fresh`): they see the initial data, not what
the access matrix's destructive controls left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any

from gates.apptest import openapi
from gates.apptest.credentials import User
from gates.apptest.openapi import Example, Operation
from gates.builtin.auth import evidence, forge, holes, owners
from gates.builtin.auth.session import Session
from gates.gate import GateError

REFUSED = (401, 403)
NOT_YOURS = (403, 404)
BAD_SIGNATURE = (400, 401, 403)
METHOD_ORDER = {"GET": 0, "HEAD": 0, "OPTIONS": 0, "TRACE": 0, "POST": 1, "PUT": 2,
                "PATCH": 2, "DELETE": 3}

# matrix column -> (its header, the finding rule when the caller gets in)
PROBES: dict[str, tuple[str, str]] = {
    "control": ("Allowed user", ""),
    "no-token": ("No token", "auth-missing"),
    "malformed": ("Malformed", "auth-malformed-token"),
    "stripped": ("Sig. stripped", "jwt-signature-stripped"),
    "alg-none": ("alg none", "jwt-alg-none"),
    "tampered": ("Tampered", "jwt-tampered"),
    "expired": ("Expired", "jwt-expired"),
    "role": ("Other roles", "role-not-enforced"),
    "other-user": ("Other user's object", "bola"),
    "webhook": ("Forged signature", "webhook-signature-ignored"),
    # the holes of gates.builtin.auth.holes
    "injection": ("Injection", "injection"),
    "mass-assignment": ("Mass assignment", "mass-assignment"),
    "weak-key": ("Weak key", "jwt-weak-key"),
    "cors": ("CORS", "cors-permissive"),
    "headers": ("Headers", "security-headers-missing"),
}


@dataclass(frozen=True)
class Caller:
    probe: str  # a key of PROBES
    who: str  # "bob (member)", "no token", "alice (member), signature stripped"
    token: str | None
    shown: str  # the Authorization header as the curl line shows it (no secret)
    refuse: tuple[int, ...] = ()  # the answers that refuse it; () for the control
    headers: tuple[tuple[str, str], ...] = ()  # more headers it sends (no secret)
    user: User | None = None  # whose token it sends (a password in the body is theirs)

    @property
    def expected(self) -> str:
        return "allowed" if not self.refuse else "/".join(map(str, self.refuse))


@dataclass
class Cell:
    operation: str
    probe: str
    caller: str
    expected: str  # "allowed", "401/403", "403/404"
    got: int
    outcome: str  # ok | hole | suspicious | server-error | other | inconclusive
    curl: str
    evidence: str = ""  # what proves a hole (or what a suspicious answer showed)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Matrix:
    operations: list[tuple[str, str]]  # the probed ones, with who may call them
    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def holes(self) -> list[Cell]:
        return [c for c in self.cells if c.outcome in ("hole", "server-error")]


def judge(caller: Caller, status: int) -> str:
    if not caller.refuse:
        return "ok" if 200 <= status < 300 else "inconclusive"
    if status in caller.refuse:
        return "ok"
    if 200 <= status < 300:
        return "hole"
    return "server-error" if status >= 500 else "other"


# -- the probe ----------------------------------------------------------------------


def run(s: Session, fresh: Callable[[], AbstractContextManager[Session]] | None = None
        ) -> Matrix:
    """The access matrix and the holes. `fresh`: a session on a new start of the app
    with its initial data, for the probes that may write after the access matrix
    wrote (injection, mass assignment); None: they run on `s`."""
    ops = openapi.operations(s.spec)
    protected = [op for op in ops if s.protected(op)]
    webhooks = [op for op in ops if op not in protected and _signature_header(op)]
    matrix = Matrix(operations=[(op.key, _who_may(s, op)) for op in protected]
                    + [(op.key, "signed webhook") for op in webhooks])
    for op in webhooks:
        matrix.cells += _probe_webhook(s, op)
    if not protected:
        matrix.notes.append("the OpenAPI document has no protected operation (no security "
                            "requirement, no `x-roles`, no `roles` pattern in `[gates.auth]`)")
        return matrix
    if not s.users:
        matrix.notes.append("no users in `[gates.auth]`: only requests without a valid token "
                            "were tried (forged tokens, roles and other users' objects need "
                            "users)")
    owned = owners.owned_operations(s, ops) if s.users else {}
    for key, found in owned.items():
        if not found.values:
            matrix.notes.append(f"{key}: another user's object not tried: {found.how}")
    order = sorted(protected, key=lambda op: (METHOD_ORDER.get(op.method, 1),
                                              op.key in owned, op.path))
    verified: tuple[Example, User] | None = None
    keyed: tuple[str, Example, User] | None = None  # … and it refuses a request without one
    for op in order:
        cells, example, control = _probe(s, op, owned.get(op.key))
        matrix.cells += cells
        if control is None or not op.safe or not any(
                c.probe == "control" and c.outcome == "ok" for c in cells):
            continue
        verified = verified or (example, control)
        if keyed is None and any(c.probe == "no-token" and c.outcome == "ok" for c in cells):
            keyed = (op.key, example, control)
    s.check_alive()
    _check_controls(s, matrix)
    if s.cfg.jwt_secret and any(c.probe == "expired" for c in matrix.cells):
        _check_secret(s, matrix, verified)
    matrix.cells += [Cell(*found) for found in holes.reading(s, keyed)]
    s.check_alive()
    if fresh is None:
        matrix.cells += [Cell(*found) for found in holes.writing(s)]
        s.check_alive()
        return matrix
    with fresh() as again:
        matrix.cells += [Cell(*found) for found in holes.writing(again)]
        again.check_alive()
    return matrix


def _who_may(s: Session, op: Operation) -> str:
    roles = s.roles_of(op)
    return ", ".join(roles) if roles is not None else "any user"


def _signature_header(op: Operation) -> str:
    hook = op.spec.get("x-webhook")
    return str(hook.get("signature_header") or "") if isinstance(hook, Mapping) else ""


def _probe_webhook(s: Session, op: Operation) -> list[Cell]:
    """An event under a signature nobody made must not be processed."""
    header = _signature_header(op)
    forged = f"t={int(time.time())},v1={'0' * 64}"
    caller = Caller("webhook", f"an event with a forged {header}", None, "", BAD_SIGNATURE,
                    ((header, forged),))
    ex = openapi.example(s.spec, op, s.cfg.values)
    resp, line = s.send(ex, None, "", caller.who, dict(caller.headers))
    return [Cell(op.key, caller.probe, caller.who, caller.expected, resp.status_code,
                 judge(caller, resp.status_code), line)]


def _probe(s: Session, op: Operation, owned: owners.Owned | None
           ) -> tuple[list[Cell], Example, User | None]:
    allowed = s.allowed(op)
    control = owned.owner if owned else (allowed[0] if allowed else None)
    mine = bool(owned and owned.values)
    values = {**s.cfg.values, **(owned.values if owned else {})}
    ex = openapi.example(s.spec, op, values)
    if not op.safe and not mine:
        ex = evidence.unheld(s.spec, op, values)  # path values nobody has: nothing to break
    probes = _callers(s, op, control, allowed)
    if owned and owned.values and owned.other is not None:
        other = owned.other
        probes.append(Caller("other-user", f"{other.label} asking for {owned.owner.name}'s object",
                             s.tokens.get(other.name), f"Bearer <token of {other.name}>",
                             NOT_YOURS, user=other))
    first = [] if control is None else [
        Caller("control", control.label, s.tokens.get(control.name),
               f"Bearer <token of {control.name}>", user=control)]
    callers = first + probes if op.safe else probes + first
    cells = []
    owner_answer: evidence.Answer | None = None
    for caller in callers:
        sent = evidence.own_password(ex, s, caller.user or control)
        watch = (evidence.Watch.before_write(s, op, owned) if caller.probe == "other-user"
                 and owned is not None and not op.safe else None)
        resp, line = s.send(sent, caller.token, caller.shown, caller.who, dict(caller.headers))
        cell = Cell(op.key, caller.probe, caller.who, caller.expected, resp.status_code,
                    judge(caller, resp.status_code), line)
        if caller.probe == "control":
            owner_answer = evidence.Answer.of(resp)
        elif caller.probe == "other-user" and cell.outcome == "hole" and owned is not None:
            proof = (watch.after(s, sent) if watch is not None else
                     evidence.same_body(owned.owner, owner_answer, evidence.Answer.of(resp)))
            cell.evidence = proof or evidence.unproven(resp, owned.owner, op.safe, watch)
            cell.outcome = "hole" if proof else "suspicious"
        cells.append(cell)
    if not op.safe:
        s.check_logins(f"{op.key} (last sent as {callers[-1].who})" if callers else op.key)
    return cells, ex, control


def _callers(s: Session, op: Operation, control: User | None, allowed: list[User]
             ) -> list[Caller]:
    out = [Caller("no-token", "no token", None, "", REFUSED),
           Caller("malformed", "malformed bearer", forge.MALFORMED,
                  f"Bearer {forge.MALFORMED}", REFUSED)]
    others = [u for u in s.users if u not in allowed]
    jwt = s.jwt(control) if control else None
    if control is not None and jwt is not None:
        name = control.name
        out.append(Caller("stripped", f"{control.label}, signature stripped",
                          forge.strip_signature(jwt),
                          f"Bearer <token of {name}, signature stripped>", REFUSED))
        out.append(Caller("alg-none", f"{control.label}, alg none", forge.alg_none(jwt),
                          f"Bearer <token of {name}, alg none>", REFUSED))
    tampered = _tampered(s, control, others)
    if tampered is not None:
        out.append(tampered)
    if control is not None and jwt is not None and s.cfg.jwt_secret:
        token = forge.expired(jwt, s.cfg.jwt_secret)
        if token is not None:
            out.append(Caller("expired", f"{control.label}, expired", token,
                              f"Bearer <token of {control.name}, expired>", REFUSED))
    seen: set[str] = set()
    for u in others:  # one user per role
        if u.role not in seen:
            seen.add(u.role)
            out.append(Caller("role", u.label, s.tokens.get(u.name),
                              f"Bearer <token of {u.name}>", REFUSED, user=u))
    return out


def _tampered(s: Session, control: User | None, others: list[User]) -> Caller | None:
    """A token whose claims were edited under its old signature: a user the operation
    refuses raised to the admin role (with an allowed user's subject), else the
    control's token with the role raised and another user's subject."""
    base = next((u for u in others if s.jwt(u)), None) or control
    jwt = s.jwt(base) if base else None
    if base is None or jwt is None:
        return None
    admin = s.admin_role
    candidates = [u for u in s.users if u != base and s.jwt(u)]
    target = next((u for u in candidates if u.role == admin), None) or next(iter(candidates),
                                                                             None)
    target_jwt = s.jwt(target) if target else None
    sub = target_jwt.payload.get("sub") if target_jwt else None
    token = forge.tamper(jwt, admin, str(sub) if sub is not None else None)
    whose = f", subject of {target.name}" if target and sub is not None else ""
    return Caller("tampered", f"{base.label}, role raised to {admin}{whose}", token,
                  f"Bearer <token of {base.name}, payload tampered>", REFUSED, user=base)


def _check_controls(s: Session, matrix: Matrix) -> None:
    """A probe whose real users never get in proves nothing: the login config is wrong."""
    controls = [c for c in matrix.cells if c.probe == "control"]
    if controls and not any(c.outcome == "ok" for c in controls):
        some = "; ".join(f"{c.operation} as {c.caller}: {c.got}" for c in controls[:3])
        raise GateError("no configured user got a 2xx answer from any protected operation, "
                        f"so their tokens are not accepted and the probe proves nothing ({some})")


def _check_secret(s: Session, matrix: Matrix, verified: tuple[Example, User] | None) -> None:
    if verified is None:
        matrix.notes.append("`jwt_secret` not verified (no safe operation answered 2xx to an "
                            "allowed user): the expired-token column may prove nothing")
        return
    ex, user = verified
    jwt = s.jwt(user)
    token = forge.fresh(jwt, s.cfg.jwt_secret) if jwt else None
    if token is None:
        return
    resp, _ = s.send(ex, token, "", user.label)
    if not 200 <= resp.status_code < 300:
        raise GateError(f"[gates.auth] jwt_secret does not sign tokens the app accepts "
                        f"({ex.method} {ex.path} answered {resp.status_code} to "
                        f"{user.name}'s claims signed with it)")
