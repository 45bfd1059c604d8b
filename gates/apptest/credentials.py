"""The test users of `[gates.auth]` and how to get a token for each.

Shared by the `auth` gate (every user) and the `api` gate (`auth_user`). A token
comes from the app's login operation (`login = { path, token_field, … }`, a JSON
or form body) or from `token_command` (argv with `{user}`, `{username}`,
`{password}`, `{role}`, `{base_url}` placeholders, run in the tree; its last line
of output is the token). A user who cannot log in is a GateError: a probe that
could not authenticate proves nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from gates.errors import ConfigError
from gates.gate import GateContext, GateError

LOGIN_DEFAULTS: dict[str, Any] = {
    "path": "",  # "/api/auth/login"
    "token_field": "access_token",  # dotted for nested JSON: "data.token"
    "username_field": "username",
    "password_field": "password",
    "format": "json",  # "json" | "form"
}
# body properties that set a password: probes send the caller's own there
PASSWORD_KEYS = ("password", "new_password", "newPassword", "current_password",
                 "old_password", "oldPassword", "currentPassword")
# path values nobody holds: where a destructive request goes when it must break nothing
UNHELD_TEXT = "gates-probe-unheld"
UNHELD_NUMBER = 987654321


@dataclass(frozen=True)
class User:
    name: str  # the key in `users`
    username: str
    password: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role})"


def table(value: Any) -> dict[str, Any]:
    """A free-form config table (an unset one arrives as its `dict` marker)."""
    return dict(value) if isinstance(value, Mapping) else {}


def users(section: Mapping[str, Any]) -> list[User]:
    out = []
    for name, spec in table(section.get("users")).items():
        if not isinstance(spec, Mapping):
            raise ConfigError(f"[gates.auth] users.{name} must be a table "
                            "{ username = …, password = …, role = … }")
        unknown = set(spec) - {"username", "password", "role"}
        if unknown:
            raise ConfigError(f"[gates.auth] users.{name}: unknown key {sorted(unknown)[0]!r} "
                            "(known: password, role, username)")
        if not isinstance(spec.get("role", ""), str) or not spec.get("role"):
            raise ConfigError(f"[gates.auth] users.{name} needs a role")
        out.append(User(name=str(name), username=str(spec.get("username", name)),
                        password=str(spec.get("password", "")), role=str(spec["role"])))
    return out


def login_config(section: Mapping[str, Any]) -> dict[str, Any]:
    given = table(section.get("login"))
    unknown = set(given) - set(LOGIN_DEFAULTS)
    if unknown:
        raise ConfigError(f"[gates.auth] login: unknown key {sorted(unknown)[0]!r} "
                        f"(known: {', '.join(sorted(LOGIN_DEFAULTS))})")
    cfg = {**LOGIN_DEFAULTS, **given}
    if cfg["format"] not in ("json", "form"):
        raise ConfigError("[gates.auth] login.format must be \"json\" or \"form\"")
    return cfg


def token_for(ctx: GateContext, section: Mapping[str, Any], client: httpx.Client,
              base_url: str, user: User) -> str:
    """A token for `user`, from `token_command` when set, else the login operation."""
    command: Sequence[str] = section.get("token_command") or []
    if command:
        return _from_command(ctx, command, base_url, user)
    cfg = login_config(section)
    if not cfg["path"]:
        raise ConfigError("[gates.auth] has users but no way to log them in: set "
                        "login = { path = \"/api/auth/login\" } or token_command")
    return _from_login(client, base_url, cfg, user)


def _from_login(client: httpx.Client, base_url: str, cfg: Mapping[str, Any], user: User) -> str:
    url = base_url + cfg["path"]
    body = {cfg["username_field"]: user.username, cfg["password_field"]: user.password}
    where = f"POST {cfg['path']}"
    try:
        if cfg["format"] == "form":
            resp = client.post(url, data=body)
        else:
            resp = client.post(url, json=body)
    except httpx.HTTPError as e:
        raise GateError(f"login as {user.name} failed: {where}: {e}") from None
    if not 200 <= resp.status_code < 300:
        raise GateError(f"login as {user.name} failed: {where} answered HTTP "
                        f"{resp.status_code}: {resp.text.strip()[:200]}")
    try:
        data: Any = resp.json()
    except ValueError:
        raise GateError(f"login as {user.name} failed: {where} did not answer JSON") from None
    for part in str(cfg["token_field"]).split("."):
        data = data.get(part) if isinstance(data, Mapping) else None
    if not isinstance(data, str) or not data:
        raise GateError(f"login as {user.name} failed: no {cfg['token_field']!r} in the "
                        f"answer of {where}")
    return data


def _from_command(ctx: GateContext, command: Sequence[str], base_url: str, user: User) -> str:
    values = {"user": user.name, "username": user.username, "password": user.password,
              "role": user.role, "base_url": base_url}
    try:
        argv = [str(part).format(**values) for part in command]
    except (KeyError, IndexError, ValueError) as e:
        raise ConfigError(f"[gates.auth] token_command has a bad placeholder: {e}") from None
    res = ctx.run(argv, timeout=60, env={"GATES_BASE_URL": base_url})
    lines = res.stdout.strip().splitlines()
    if res.returncode != 0 or not lines:
        raise GateError(f"login as {user.name} failed: token_command exited {res.returncode}"
                        f"{': ' + res.stderr.strip()[-200:] if res.stderr.strip() else ''}")
    return lines[-1].strip()
