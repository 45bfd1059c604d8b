"""The auth app's own auth tests, as a repo would have them: the gate hands the live
app's URL to them as GATES_BASE_URL and as `--base-url` (the `base_url` fixture)."""

import os

import httpx
import pytest


@pytest.mark.auth
def test_login_gives_a_token(base_url):
    resp = httpx.post(f"{base_url}/login", json={"username": "ann", "password": "ann-pass"})
    assert resp.status_code == 200 and resp.json()["access_token"]


@pytest.mark.auth
def test_admin_users_need_a_token():
    url = os.environ["GATES_BASE_URL"]
    assert httpx.get(f"{url}/api/admin/users").status_code == 401


def test_not_an_auth_test():
    raise AssertionError("`-m auth` leaves this one out")
