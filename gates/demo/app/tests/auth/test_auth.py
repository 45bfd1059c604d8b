"""Who may do what. In-process by default; against a live server with
`--base-url URL` or GATES_BASE_URL (the auth gate does that)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from tests.support import MEMBER_IDS, USERS, Client, login

pytestmark = pytest.mark.auth


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def forge(secret: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": str(MEMBER_IDS["alice"]), "role": "member", "iat": now, "exp": now + 600}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret,
                      algorithm="HS256")


def free_tool(api: Client) -> int:
    items = api.get("/api/tools", params={"available": True, "limit": 1}).json()["items"]
    assert items, "no free tool to reserve"
    return int(items[0]["id"])


def test_wrong_password_is_401(api: Client) -> None:
    email, _ = USERS["alice"]
    resp = api.post("/api/auth/login", json={"email": email, "password": "not-her-password"})
    assert resp.status_code == 401
    assert "access_token" not in resp.text


def test_unknown_member_is_401(api: Client) -> None:
    resp = api.post("/api/auth/login", json={"email": "nobody@toollib.test", "password": "x"})
    assert resp.status_code == 401


@pytest.mark.parametrize("path", ["/api/members/me", "/api/reservations", "/api/loans",
                                  "/api/invoices", "/api/admin/members"])
def test_no_token_is_401(api: Client, path: str) -> None:
    resp = api.get(path)
    assert resp.status_code == 401
    assert resp.headers.get("www-authenticate", "").lower().startswith("bearer")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "null"])
def test_garbage_token_is_401(api: Client, token: str) -> None:
    assert api.get("/api/members/me", headers=bearer(token)).status_code == 401


def test_member_on_admin_routes_is_403(api: Client) -> None:
    alice = login(api, "alice")
    assert api.get("/api/admin/members", headers=alice).status_code == 403
    new_tool = {"name": "Sneaky tool", "category": "Hand tools"}
    assert api.post("/api/admin/tools", json=new_tool, headers=alice).status_code == 403
    assert api.delete("/api/admin/tools/1", headers=alice).status_code == 403
    assert api.get("/api/admin/members", headers=login(api, "admin")).status_code == 200


def test_other_members_reservation_is_404(api: Client) -> None:
    alice, bob = login(api, "alice"), login(api, "bob")
    created = api.post("/api/reservations", json={"tool_id": free_tool(api)}, headers=alice)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    try:
        assert api.get(f"/api/reservations/{rid}", headers=bob).status_code == 404
        assert api.delete(f"/api/reservations/{rid}", headers=bob).status_code == 404
        assert rid not in [r["id"] for r in api.get("/api/reservations", headers=bob).json()]
        assert api.get(f"/api/reservations/{rid}", headers=alice).status_code == 200
        assert api.get(f"/api/reservations/{rid}",
                       headers=login(api, "admin")).status_code == 200
    finally:
        assert api.delete(f"/api/reservations/{rid}", headers=alice).status_code == 204


def test_other_members_loan_is_404(api: Client) -> None:
    alice, bob = login(api, "alice"), login(api, "bob")
    loans = api.get("/api/loans", headers=alice).json()
    assert loans
    for loan in loans:
        assert api.get(f"/api/loans/{loan['id']}", headers=bob).status_code == 404
        assert api.get(f"/api/loans/{loan['id']}", headers=alice).status_code == 200



def test_other_members_loan_cannot_be_returned(api: Client) -> None:
    alice, bob = login(api, "alice"), login(api, "bob")
    created = api.post("/api/loans", json={"tool_id": free_tool(api)}, headers=alice)
    assert created.status_code == 201, created.text
    lid = created.json()["id"]
    try:
        assert api.post(f"/api/loans/{lid}/return", headers=bob).status_code == 404
        assert lid not in [x["id"] for x in api.get("/api/loans", headers=bob).json()]
        assert api.get(f"/api/loans/{lid}", headers=alice).json()["returned_at"] is None
    finally:
        assert api.post(f"/api/loans/{lid}/return", headers=alice).status_code == 200


def test_loans_need_a_token(api: Client) -> None:
    assert api.post("/api/loans", json={"tool_id": 1}).status_code == 401
    assert api.post("/api/loans/1/return").status_code == 401


def test_expired_token_is_rejected(api: Client, jwt_secret: str) -> None:
    assert api.get("/api/members/me", headers=bearer(forge(jwt_secret))).status_code == 200
    expired = forge(jwt_secret, exp=int(time.time()) - 60)
    assert api.get("/api/members/me", headers=bearer(expired)).status_code == 401


def test_token_without_exp_is_rejected(api: Client, jwt_secret: str) -> None:
    assert api.get("/api/members/me",
                   headers=bearer(forge(jwt_secret, exp=None))).status_code == 401


def test_token_signed_with_another_key_is_rejected(api: Client) -> None:
    token = forge("an-attacker-made-this-key-of-32-bytes!")
    assert api.get("/api/members/me", headers=bearer(token)).status_code == 401


def test_unsigned_token_is_rejected(api: Client) -> None:
    token = jwt.encode({"sub": "1", "role": "admin", "exp": int(time.time()) + 600},
                       key=None, algorithm="none")
    assert api.get("/api/admin/members", headers=bearer(token)).status_code == 401


def test_role_claim_cannot_promote_a_member(api: Client, jwt_secret: str) -> None:
    token = forge(jwt_secret, role="admin")  # Alice's id with an admin claim
    assert api.get("/api/admin/members", headers=bearer(token)).status_code == 403
