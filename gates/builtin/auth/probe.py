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
  (`gates.builtin.auth.owners`) — refused means 403/404.

A public webhook that the document says is signed (`x-webhook` with a
`signature_header`) gets an event with a forged signature: refused means
400/401/403.

Safe methods are asked with the control first; unsafe ones with the control
last, so that every probe meets the object the control then acts on. Each answer
is a cell of the access matrix; `gates.builtin.auth.report` turns it into findings.
"""

from __future__ import annotations

import fnmatch
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from gates.apptest import openapi
from gates.apptest.credentials import User, table
from gates.apptest.curl import curl
from gates.apptest.openapi import Example, Operation
from gates.builtin.auth import forge, owners
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
}


@dataclass(frozen=True)
class ProbeConfig:
    values: dict[str, Any]  # parameter/property name -> the value requests use
    roles: dict[str, list[str]]  # "[METHOD ]/path/glob" -> roles, for specs without x-roles
    owned: dict[str, str]  # operation -> the operation creating its object ("": links/list)
    jwt_secret: str  # "" when expired tokens cannot be minted
    admin_role: str  # "" : guessed from the document


def config(section: Mapping[str, Any], app_env: Mapping[str, Any]) -> ProbeConfig:
    """The probe's part of `[gates.auth]`. `jwt_secret = "${NAME}"` takes the secret
    from `[app] env` (the test app's, never a production one)."""
    secret = str(section.get("jwt_secret") or "")
    if secret.startswith("${") and secret.endswith("}"):
        name = secret[2:-1]
        if name not in app_env:
            raise GateError(f"[gates.auth] jwt_secret names ${{{name}}}, which [app] env "
                            "does not set")
        secret = str(app_env[name])
    roles = {}
    for pattern, allowed in table(section.get("roles")).items():
        if not isinstance(allowed, list) or not all(isinstance(r, str) for r in allowed):
            raise GateError(f"[gates.auth] roles.{pattern!r} must be a list of role names")
        roles[str(pattern)] = list(allowed)
    owned = {str(k): str(v) for k, v in table(section.get("owned")).items()}
    return ProbeConfig(values=table(section.get("values")), roles=roles, owned=owned,
                       jwt_secret=secret, admin_role=str(section.get("admin_role") or ""))


@dataclass(frozen=True)
class Caller:
    probe: str  # a key of PROBES
    who: str  # "bob (member)", "no token", "alice (member), signature stripped"
    token: str | None
    shown: str  # the Authorization header as the curl line shows it (no secret)
    refuse: tuple[int, ...] = ()  # the answers that refuse it; () for the control
    headers: tuple[tuple[str, str], ...] = ()  # more headers it sends (no secret)

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
    outcome: str  # ok | hole | server-error | other | inconclusive
    curl: str

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


@dataclass
class Session:
    client: httpx.Client
    base_url: str
    spec: dict[str, Any]
    cfg: ProbeConfig
    users: list[User]
    tokens: dict[str, str]  # user name -> token
    deadline: float  # time.monotonic()
    check_alive: Callable[[], None]  # raises GateError when the app has died
    _created: dict[tuple[str, str], tuple[int, Any, Mapping[str, str], Example]] = field(
        default_factory=dict)

    # -- who is who -------------------------------------------------------------

    def roles_of(self, op: Operation) -> list[str] | None:
        declared = op.spec.get("x-roles")
        if isinstance(declared, list):
            return [str(r) for r in declared]
        for pattern, roles in self.cfg.roles.items():
            method, _, path = pattern.partition(" ") if " " in pattern else ("", "", pattern)
            if (not method or method.upper() == op.method) and fnmatch.fnmatchcase(
                    op.path, path.strip()):
                return roles
        return None

    def protected(self, op: Operation) -> bool:
        return self.roles_of(op) is not None or openapi.requires_auth(self.spec, op)

    def allowed(self, op: Operation) -> list[User]:
        roles = self.roles_of(op)
        found = [u for u in self.users if roles is None or u.role in roles]
        return sorted(found, key=lambda u: u.role == self.admin_role)  # least privileged first

    @functools.cached_property
    def admin_role(self) -> str:
        if self.cfg.admin_role:
            return self.cfg.admin_role
        lists = [r for op in openapi.operations(self.spec) if (r := self.roles_of(op))]
        roles = {role for r in lists for role in r}
        if not roles:
            return "admin"
        # the role every list names (or most do), the most restricted lists first
        return max(sorted(roles), key=lambda role: (
            sum(role in r for r in lists), -min(len(r) for r in lists if role in r)))

    def jwt(self, user: User) -> forge.Jwt | None:
        return forge.parse(self.tokens.get(user.name, ""))

    # -- talking to the app -----------------------------------------------------

    def send(self, ex: Example, token: str | None, shown: str, who: str,
             extra: Mapping[str, str] | None = None) -> tuple[httpx.Response, str]:
        if time.monotonic() > self.deadline:
            raise GateError("the auth probe ran out of time (raise [gates.auth] timeout)")
        headers = {**ex.headers, **(extra or {})}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kw: dict[str, Any] = {}
        if ex.body is not None:
            if ex.media and (ex.media == "application/json" or ex.media.endswith("+json")):
                kw["json"] = ex.body
            else:
                kw["data"] = ex.body
        try:
            resp = self.client.request(ex.method, self.base_url + ex.path, params=ex.query,
                                       headers=headers, **kw)
        except httpx.HTTPError as e:
            self.check_alive()
            raise GateError(f"{ex.method} {ex.path} as {who} failed: "
                            f"{type(e).__name__}: {e}") from None
        shown_headers = {**ex.headers, **(extra or {})}
        if token is not None:
            shown_headers["Authorization"] = shown
        line = curl(ex.method, self.base_url + ex.path, headers=shown_headers, query=ex.query,
                    body=ex.body, media=ex.media)
        return resp, line

    def call_as(self, op: Operation, user: User) -> tuple[int, Any, Mapping[str, str], Example]:
        """`op` called once by `user` with example values (cached: creates run once)."""
        key = (op.key, user.name)
        if key not in self._created:
            ex = openapi.example(self.spec, op, self.cfg.values)
            resp, _ = self.send(ex, self.tokens.get(user.name), "", user.label)
            try:
                body: Any = resp.json()
            except ValueError:
                body = None
            self._created[key] = (resp.status_code, body, resp.headers, ex)
        return self._created[key]


# -- the probe ----------------------------------------------------------------------


def run(s: Session) -> Matrix:
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
    for op in order:
        cells, example, control = _probe(s, op, owned.get(op.key))
        matrix.cells += cells
        if verified is None and control is not None and op.safe and cells and any(
                c.probe == "control" and c.outcome == "ok" for c in cells):
            verified = (example, control)
    s.check_alive()
    _check_controls(s, matrix)
    if s.cfg.jwt_secret and any(c.probe == "expired" for c in matrix.cells):
        _check_secret(s, matrix, verified)
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
    values = {**s.cfg.values, **(owned.values if owned else {})}
    ex = openapi.example(s.spec, op, values)
    probes = _callers(s, op, control, allowed)
    if owned and owned.values and owned.other is not None:
        other = owned.other
        probes.append(Caller("other-user", f"{other.label} asking for {owned.owner.name}'s object",
                             s.tokens.get(other.name), f"Bearer <token of {other.name}>",
                             NOT_YOURS))
    first = [] if control is None else [
        Caller("control", control.label, s.tokens.get(control.name),
               f"Bearer <token of {control.name}>")]
    callers = first + probes if op.safe else probes + first
    cells = []
    for caller in callers:
        resp, line = s.send(ex, caller.token, caller.shown, caller.who, dict(caller.headers))
        cells.append(Cell(op.key, caller.probe, caller.who, caller.expected, resp.status_code,
                          judge(caller, resp.status_code), line))
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
                              f"Bearer <token of {u.name}>", REFUSED))
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
                  f"Bearer <token of {base.name}, payload tampered>", REFUSED)


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
