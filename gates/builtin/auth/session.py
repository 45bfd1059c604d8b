"""The auth probe's session: its part of `[gates.auth]`, who may call what, and one
HTTP client talking to the running app as each user (answers of creating calls kept,
so an object is created once). The probe (`gates.builtin.auth.probe`) and the owner
search (`gates.builtin.auth.owners`) both work through it.
"""

from __future__ import annotations

import fnmatch
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from gates.apptest import openapi
from gates.apptest.credentials import User, login_config, table
from gates.apptest.curl import curl
from gates.apptest.openapi import Example, Operation
from gates.builtin.auth import forge
from gates.errors import ConfigError
from gates.gate import GateError


@dataclass(frozen=True)
class ProbeConfig:
    values: dict[str, Any]  # parameter/property name -> the value requests use
    roles: dict[str, list[str]]  # "[METHOD ]/path/glob" -> roles, for specs without x-roles
    owned: dict[str, str]  # operation -> the operation creating its object ("": links/list)
    jwt_secret: str  # "" when expired tokens cannot be minted
    admin_role: str  # "" : guessed from the document
    password_field: str = "password"  # the login's: a body property holding a password
    username_field: str = "username"  # the login's: a path parameter naming a user
    exclude: tuple[str, ...] = ()  # operations never called ("GET /createdb")


def config(section: Mapping[str, Any], app_env: Mapping[str, Any]) -> ProbeConfig:
    """The probe's part of `[gates.auth]`. `jwt_secret = "${NAME}"` takes the secret
    from `[app] env` (the test app's, never a production one)."""
    secret = str(section.get("jwt_secret") or "")
    if secret.startswith("${") and secret.endswith("}"):
        name = secret[2:-1]
        if name not in app_env:
            raise ConfigError(f"[gates.auth] jwt_secret names ${{{name}}}, which [app] env "
                            "does not set")
        secret = str(app_env[name])
    roles = {}
    for pattern, allowed in table(section.get("roles")).items():
        if not isinstance(allowed, list) or not all(isinstance(r, str) for r in allowed):
            raise ConfigError(f"[gates.auth] roles.{pattern!r} must be a list of role names "
                              f"(write [\"{allowed}\"])" if isinstance(allowed, str) else
                              f"[gates.auth] roles.{pattern!r} must be a list of role names")
        roles[str(pattern)] = list(allowed)
    login = login_config(section)
    owned = {}
    for ref, create in table(section.get("owned")).items():
        if not isinstance(create, str):
            raise ConfigError(f"[gates.auth] owned.{ref!r} must be the operation that "
                              "creates its object, or \"\"")
        owned[str(ref)] = create
    return ProbeConfig(values=table(section.get("values")), roles=roles, owned=owned,
                       jwt_secret=secret, admin_role=str(section.get("admin_role") or ""),
                       password_field=str(login["password_field"]),
                       username_field=str(login["username_field"]),
                       exclude=openapi.excluded(section.get("exclude")))


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
    login: Callable[[User], str] = lambda u: ""  # a fresh token; GateError when refused
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

    def check_logins(self, after: str) -> None:
        """Every configured user can still log in; else the operation sent before is named
        (a probe that locked a user out would make every later answer meaningless)."""
        for user in self.users:
            try:
                self.login(user)
            except GateError as e:
                raise GateError(f"{user.name} can no longer log in after {after}: {e}. The "
                                "probe changed a configured user; exclude that operation "
                                "([gates.auth] exclude) or give the probe an object of its "
                                "own ([gates.auth] owned)") from None

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
        for attempt in (1, 2):
            try:
                resp = self.client.request(ex.method, self.base_url + ex.path,
                                           params=ex.query, headers=headers, **kw)
                break
            except httpx.TransportError as e:  # a kept-alive connection the app closed
                self.check_alive()
                if attempt == 2:
                    raise GateError(f"{ex.method} {ex.path} as {who} failed: "
                                    f"{type(e).__name__}: {e}") from None
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
