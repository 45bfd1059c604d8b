"""Users of `[gates.auth]` and their tokens: a real login over HTTP, a real command."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from gates.apptest import credentials
from gates.apptest.credentials import User
from gates.builtin.auth.gate import GATE
from gates.errors import ConfigError
from gates.gate import GateError
from tests.conftest import GitRepo, gate_context
from tests.json_server import serve

ANN = User("ann", "ann@x.test", "pw", "member")


def test_users_from_the_config() -> None:
    section = {"users": {"ann": {"username": "ann@x.test", "password": "pw", "role": "member"},
                         "root": {"password": "r", "role": "admin"}}}
    assert credentials.users(section) == [ANN, User("root", "root", "r", "admin")]
    assert credentials.users({"users": dict}) == []  # an unset table arrives as its marker
    assert ANN.label == "ann (member)"


@pytest.mark.parametrize(("users", "message"), [
    ({"ann": "pw"}, r"users\.ann must be a table"),
    ({"ann": {"password": "pw"}}, r"users\.ann needs a role"),
    ({"ann": {"role": "member", "pasword": "pw"}}, "unknown key 'pasword'"),
])
def test_bad_users_are_one_clear_line(users: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        credentials.users({"users": users})


def test_login_config_rejects_what_it_does_not_know() -> None:
    with pytest.raises(ConfigError, match="login: unknown key 'token'"):
        credentials.login_config({"login": {"path": "/l", "token": "x"}})
    with pytest.raises(ConfigError, match=r"login\.format must be"):
        credentials.login_config({"login": {"path": "/l", "format": "xml"}})


def login_route(body: bytes, headers: Mapping[str, str]) -> tuple[int, Any]:
    if headers.get("Content-Type", "").startswith("application/json"):
        given = json.loads(body)
    else:
        given = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    if given == {"email": "ann@x.test", "secret": "pw"}:
        return 200, {"data": {"token": "tok-ann"}}
    return 401, {"detail": "wrong e-mail or password"}


@pytest.mark.parametrize("fmt", ["json", "form"])
def test_token_from_the_login_operation(fmt: str) -> None:
    section = {"login": {"path": "/login", "token_field": "data.token", "format": fmt,
                         "username_field": "email", "password_field": "secret"}}
    routes = {("POST", "/login"): login_route}
    with serve(routes) as url, httpx.Client(trust_env=False) as client:
        assert credentials.token_for(None, section, client, url, ANN) == "tok-ann"  # type: ignore[arg-type]


@pytest.mark.parametrize(("login", "answer", "message"), [
    ({"path": "/login"}, (401, {"detail": "no"}),
     r'^login as ann failed: POST /login answered HTTP 401: {"detail": "no"}$'),
    ({"path": "/login"}, (200, "<html>"), "did not answer JSON"),
    ({"path": "/login", "token_field": "jwt"}, (200, {"access_token": "t"}),
     "no 'jwt' in the answer of POST /login"),
])
def test_a_login_that_fails_is_an_error(login: dict[str, str], answer: tuple[int, Any],
                                        message: str) -> None:
    with serve({("POST", "/login"): answer}) as url, httpx.Client(trust_env=False) as client, \
            pytest.raises(GateError, match=message):
        credentials.token_for(None, {"login": login}, client, url, ANN)  # type: ignore[arg-type]


def test_users_without_a_way_to_log_in_are_a_config_mistake() -> None:
    with httpx.Client(trust_env=False) as client, \
            pytest.raises(ConfigError, match="no way to log them in"):
        credentials.token_for(None, {"login": {}}, client, "http://h", ANN)  # type: ignore[arg-type]


def test_token_from_a_command(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"mint.py": "import sys\nprint('noise')\nprint('tok-' + '-'.join(sys.argv[1:]))\n"})
    repo.branch("walnut/x", {"NOTES.md": "x\n"})
    ok = {"token_command": ["python", "mint.py", "{user}", "{username}", "{role}"]}
    bad = {"token_command": ["python", "-c", "import sys; sys.exit('no such user')"]}
    with gate_context(repo, "walnut/x", GATE) as ctx, httpx.Client() as client:
        assert credentials.token_for(ctx, ok, client, "http://h", ANN) == \
            "tok-ann-ann@x.test-member"
        with pytest.raises(GateError, match="token_command exited 1: no such user"):
            credentials.token_for(ctx, bad, client, "http://h", ANN)
        with pytest.raises(ConfigError, match="bad placeholder"):
            credentials.token_for(ctx, {"token_command": ["{nope}"]}, client, "http://h", ANN)
