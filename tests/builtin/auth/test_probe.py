"""The probe's decisions that need no app: config, who may call what, how an answer is
judged. The probe against real apps is in tests/builtin/auth/test_gate.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gates.apptest import openapi
from gates.apptest.credentials import User
from gates.builtin.auth import probe as authprobe
from gates.builtin.auth import session as authsession
from gates.builtin.auth.probe import Caller
from gates.builtin.auth.session import ProbeConfig, Session
from gates.errors import ConfigError
from gates.gate import GateError

SPEC: dict[str, Any] = {"openapi": "3.1.0", "paths": {
    "/api/me": {"get": {"x-roles": ["member", "admin"]}},
    "/api/admin/users": {"get": {}, "delete": {"x-roles": ["admin"]}},
    "/api/things": {"get": {"security": [{"bearer": []}]}},
    "/health": {"get": {}},
}}
USERS = [User("ann", "ann", "a", "member"), User("root", "root", "r", "admin"),
         User("ben", "ben", "b", "member")]


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as c:
        yield c


def session(client: httpx.Client, **cfg: Any) -> Session:
    config = ProbeConfig(**{"values": {}, "roles": {}, "owned": {}, "jwt_secret": "",
                            "admin_role": "", **cfg})
    return Session(client=client, base_url="http://127.0.0.1:9", spec=SPEC, cfg=config,
                   users=USERS, tokens={}, deadline=0, check_alive=lambda: None)


def op(key: str) -> openapi.Operation:
    found = openapi.find(openapi.operations(SPEC), key)
    assert found is not None
    return found


def test_config_takes_the_secret_from_the_app_env() -> None:
    cfg = authsession.config({"jwt_secret": "${APP_SECRET}", "owned": {"get_x": ""},
                            "roles": {"/a/*": ["admin"]}, "values": dict}, {"APP_SECRET": "s3"})
    assert cfg == ProbeConfig(values={}, roles={"/a/*": ["admin"]}, owned={"get_x": ""},
                              jwt_secret="s3", admin_role="")
    assert authsession.config({"jwt_secret": "literal"}, {}).jwt_secret == "literal"


@pytest.mark.parametrize(("section", "message"), [
    ({"jwt_secret": "${NOPE}"}, r"names \$\{NOPE\}, which \[app\] env does not set"),
    ({"roles": {"/a": "admin"}}, r"roles\.'/a' must be a list of role names \(write \[\"admin\"\]\)"),
    ({"owned": {"GET /a/{id}": 3}}, r"owned\.'GET /a/\{id\}' must be the operation that creates"),
])
def test_bad_config_is_one_clear_line(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        authsession.config(section, {})


@pytest.mark.parametrize(("probe", "refuse", "status", "outcome"), [
    ("control", (), 200, "ok"),
    ("control", (), 409, "inconclusive"),
    ("no-token", (401, 403), 401, "ok"),
    ("no-token", (401, 403), 204, "hole"),
    ("no-token", (401, 403), 500, "server-error"),
    ("no-token", (401, 403), 422, "other"),
    ("other-user", (403, 404), 404, "ok"),
    ("other-user", (403, 404), 200, "hole"),
])
def test_judge(probe: str, refuse: tuple[int, ...], status: int, outcome: str) -> None:
    caller = Caller(probe, "x", None, "", refuse)
    assert authprobe.judge(caller, status) == outcome
    assert caller.expected == ("allowed" if not refuse else "/".join(map(str, refuse)))


def test_roles_from_x_roles_then_config_patterns(client: httpx.Client) -> None:
    s = session(client, roles={"DELETE /api/admin/*": ["root-only"], "/api/admin/*": ["admin"]})
    assert s.roles_of(op("GET /api/me")) == ["member", "admin"]
    assert s.roles_of(op("DELETE /api/admin/users")) == ["admin"]  # x-roles wins
    assert s.roles_of(op("GET /api/admin/users")) == ["admin"]  # the first matching pattern
    assert s.roles_of(op("GET /api/things")) is None
    assert [o.key for o in openapi.operations(SPEC) if s.protected(o)] == [
        "GET /api/me", "GET /api/admin/users", "DELETE /api/admin/users", "GET /api/things"]


def test_allowed_users_least_privileged_first(client: httpx.Client) -> None:
    s = session(client)
    assert [u.name for u in s.allowed(op("GET /api/me"))] == ["ann", "ben", "root"]
    assert [u.name for u in s.allowed(op("DELETE /api/admin/users"))] == ["root"]
    assert [u.name for u in s.allowed(op("GET /api/things"))] == ["ann", "ben", "root"]


def test_admin_role_is_the_one_every_role_list_names(client: httpx.Client) -> None:
    assert session(client).admin_role == "admin"
    assert session(client, admin_role="superuser").admin_role == "superuser"


def test_a_user_who_can_no_longer_log_in_is_an_error_naming_the_operation_before(
        client: httpx.Client) -> None:
    s = session(client)

    def login(user: User) -> str:
        if user.name == "ben":
            raise GateError("login as ben failed: POST /login answered HTTP 401")
        return "t"

    s.login = login
    with pytest.raises(GateError, match=re.escape(
            "ben can no longer log in after DELETE /api/admin/users (last sent as root "
            "(admin)): login as ben failed: POST /login answered HTTP 401. The probe changed "
            "a configured user")):
        s.check_logins("DELETE /api/admin/users (last sent as root (admin))")
