"""The API in-process: catalog, members, reservations, loans, admin, payments."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from fastapi.testclient import TestClient

from tests.support import MEMBER_IDS, login, stripe_signature
from toollib.payments import ABN, PLANS, gst_included

# --- catalog --------------------------------------------------------------------


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_catalog_first_page(client: TestClient) -> None:
    page = client.get("/api/tools").json()
    assert (page["limit"], page["offset"], len(page["items"])) == (20, 0, 20)
    tool = page["items"][0]
    assert set(tool) == {"id", "name", "category", "description", "tags", "available"}


def test_pagination(client: TestClient) -> None:
    first = client.get("/api/tools", params={"limit": 50}).json()["items"]
    second = client.get("/api/tools", params={"limit": 50, "offset": 50}).json()["items"]
    assert len(first) == len(second) == 50
    assert not {t["id"] for t in first} & {t["id"] for t in second}
    everything = client.get("/api/tools", params={"limit": 100, "offset": 250}).json()["items"]
    assert len(everything) == 50  # 300 tools in the seed


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1},
                                    {"limit": "ten"}, {"available": "maybe"}])
def test_pagination_bounds(client: TestClient, params: dict[str, object]) -> None:
    assert client.get("/api/tools", params=params).status_code == 422


def test_search_finds_every_word(client: TestClient) -> None:
    items = client.get("/api/tools", params={"q": "drill", "limit": 100}).json()["items"]
    assert len(items) >= 20
    for tool in items:
        text = " ".join([tool["name"], tool["description"], *tool["tags"]]).lower()
        assert "drill" in text
    names = " ".join(t["name"] for t in items)
    assert "cordless drill" in names and "drill press" in names
    both = client.get("/api/tools", params={"q": "Cordless DRILL", "limit": 100}).json()
    assert both["items"] and all("cordless drill" in t["name"] for t in both["items"])


def test_search_ranks_names_first(client: TestClient) -> None:
    items = client.get("/api/tools", params={"q": "ladder", "limit": 100}).json()["items"]
    in_name = ["ladder" in t["name"] for t in items]
    assert in_name[0] and in_name == sorted(in_name, reverse=True)


@pytest.mark.parametrize("q", ["zeppelin", "%", "_", "\\"])
def test_search_without_matches(client: TestClient, q: str) -> None:
    assert client.get("/api/tools", params={"q": q}).json()["items"] == []


def test_category_and_availability(client: TestClient) -> None:
    garden = client.get("/api/tools", params={"category": "garden", "limit": 100}).json()
    assert garden["items"] and {t["category"] for t in garden["items"]} == {"Garden"}
    assert client.get("/api/tools/3").json()["available"] is False  # on loan to Alice
    free = client.get("/api/tools", params={"available": True, "limit": 100}).json()["items"]
    assert free and all(t["available"] for t in free)
    ids = {t["id"] for t in free}
    assert 3 not in ids


def test_get_tool(client: TestClient) -> None:
    assert client.get("/api/tools/1").json()["id"] == 1
    assert client.get("/api/tools/9999").status_code == 404
    assert client.get("/api/tools/0").status_code == 422
    assert client.get("/api/tools/drill").status_code == 422


# --- members --------------------------------------------------------------------


def test_register_login_me(client: TestClient) -> None:
    body = {"email": "Carol@Example.org", "name": "Carol", "password": "a-long-password"}
    created = client.post("/api/members/register", json=body)
    assert created.status_code == 201
    assert created.json()["email"] == "carol@example.org"
    assert created.json()["role"] == "member"
    assert "password" not in created.text and "hash" not in created.text
    assert client.post("/api/members/register", json=body).status_code == 409
    token = client.post("/api/auth/login",
                        json={"email": "carol@example.org", "password": "a-long-password"})
    assert token.status_code == 200 and token.json()["token_type"] == "bearer"
    me = client.get("/api/members/me",
                    headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["name"] == "Carol"


@pytest.mark.parametrize("body", [
    {"email": "not-an-email", "name": "X", "password": "long-enough"},
    {"email": "x@example.org", "name": "X", "password": "short"},
    {"email": "x@example.org", "name": "", "password": "long-enough"},
    {"email": "x@example.org", "password": "long-enough"},
])
def test_register_validates(client: TestClient, body: dict[str, str]) -> None:
    assert client.post("/api/members/register", json=body).status_code == 422


def test_login_wrong_password(client: TestClient) -> None:
    resp = client.post("/api/auth/login",
                       json={"email": "alice@toollib.test", "password": "nope-nope"})
    assert resp.status_code == 401


# --- reservations and loans -------------------------------------------------------


def test_reservation_lifecycle(client: TestClient) -> None:
    alice = login(client, "alice")
    created = client.post("/api/reservations", json={"tool_id": 10, "days": 3}, headers=alice)
    assert created.status_code == 201, created.text
    res = created.json()
    assert (res["tool_id"], res["member_id"], res["days"]) == (10, MEMBER_IDS["alice"], 3)
    assert client.get("/api/tools/10").json()["available"] is False
    again = client.post("/api/reservations", json={"tool_id": 10}, headers=login(client, "bob"))
    assert again.status_code == 409
    assert [r["id"] for r in client.get("/api/reservations", headers=alice).json()] == [res["id"]]
    assert client.get(f"/api/reservations/{res['id']}", headers=alice).json() == res
    assert client.delete(f"/api/reservations/{res['id']}", headers=alice).status_code == 204
    assert client.get(f"/api/reservations/{res['id']}", headers=alice).status_code == 404
    assert client.get("/api/tools/10").json()["available"] is True


def test_reservation_needs_a_real_free_tool(client: TestClient) -> None:
    alice = login(client, "alice")
    assert client.post("/api/reservations", json={"tool_id": 9999},
                       headers=alice).status_code == 404
    assert client.post("/api/reservations", json={"tool_id": 3},
                       headers=alice).status_code == 409  # on loan
    assert client.post("/api/reservations", json={"tool_id": 5, "days": 30},
                       headers=alice).status_code == 422


def test_reservations_are_private_but_admins_see_all(client: TestClient) -> None:
    alice, bob, admin = (login(client, w) for w in ("alice", "bob", "admin"))
    mine = client.post("/api/reservations", json={"tool_id": 11}, headers=alice).json()
    assert client.get("/api/reservations", headers=bob).json() == []
    assert client.get(f"/api/reservations/{mine['id']}", headers=bob).status_code == 404
    assert client.delete(f"/api/reservations/{mine['id']}", headers=bob).status_code == 404
    assert [r["id"] for r in client.get("/api/reservations", headers=admin).json()] == [mine["id"]]
    assert client.delete(f"/api/reservations/{mine['id']}", headers=admin).status_code == 204


def test_loans(client: TestClient) -> None:
    alice, bob = login(client, "alice"), login(client, "bob")
    loans = client.get("/api/loans", headers=alice).json()
    assert len(loans) == 3 and {loan["member_id"] for loan in loans} == {MEMBER_IDS["alice"]}
    assert sum(loan["returned_at"] is None for loan in loans) == 2
    bobs = client.get("/api/loans", headers=bob).json()
    assert len(bobs) == 1
    assert client.get(f"/api/loans/{bobs[0]['id']}", headers=bob).status_code == 200
    assert client.get(f"/api/loans/{bobs[0]['id']}", headers=alice).status_code == 404
    assert len(client.get("/api/loans", headers=login(client, "admin")).json()) == 4



def test_loan_checkout_and_return(client: TestClient) -> None:
    alice = login(client, "alice")
    created = client.post("/api/loans", json={"tool_id": 12, "days": 3}, headers=alice)
    assert created.status_code == 201, created.text
    loan = created.json()
    assert (loan["tool_id"], loan["member_id"], loan["returned_at"]) == (
        12, MEMBER_IDS["alice"], None)
    borrowed, due = (datetime.fromisoformat(loan[k]) for k in ("borrowed_at", "due_at"))
    assert due - borrowed == timedelta(days=3)
    assert client.get("/api/tools/12").json()["available"] is False
    assert client.get(f"/api/loans/{loan['id']}", headers=alice).json() == loan
    assert loan["id"] in [x["id"] for x in client.get("/api/loans", headers=alice).json()]
    bob = login(client, "bob")
    assert client.post("/api/loans", json={"tool_id": 12}, headers=bob).status_code == 409
    assert client.post("/api/reservations", json={"tool_id": 12},
                       headers=bob).status_code == 409
    returned = client.post(f"/api/loans/{loan['id']}/return", headers=alice)
    assert returned.status_code == 200, returned.text
    assert returned.json()["returned_at"] is not None
    assert client.get("/api/tools/12").json()["available"] is True
    again = client.post(f"/api/loans/{loan['id']}/return", headers=alice)
    assert again.status_code == 409


def test_loan_needs_a_real_free_tool(client: TestClient) -> None:
    alice = login(client, "alice")
    assert client.post("/api/loans", json={"tool_id": 9999}, headers=alice).status_code == 404
    assert client.post("/api/loans", json={"tool_id": 77},
                       headers=alice).status_code == 409  # on loan to Bob
    assert client.post("/api/loans", json={"tool_id": 5, "days": 15},
                       headers=alice).status_code == 422
    assert client.post("/api/loans", json={"days": 2}, headers=alice).status_code == 422


def test_loan_from_your_own_reservation(client: TestClient) -> None:
    alice, bob = login(client, "alice"), login(client, "bob")
    held = client.post("/api/reservations", json={"tool_id": 13}, headers=alice).json()
    assert client.post("/api/loans", json={"tool_id": 13}, headers=bob).status_code == 409
    loan = client.post("/api/loans", json={"tool_id": 13, "days": 5}, headers=alice)
    assert loan.status_code == 201, loan.text
    assert loan.json()["member_id"] == MEMBER_IDS["alice"]
    # the reservation became the loan
    assert client.get(f"/api/reservations/{held['id']}", headers=alice).status_code == 404
    assert client.get("/api/reservations", headers=alice).json() == []


def test_returning_is_for_the_borrower_or_an_admin(client: TestClient) -> None:
    alice, bob, admin = (login(client, w) for w in ("alice", "bob", "admin"))
    loan = client.post("/api/loans", json={"tool_id": 14}, headers=alice).json()
    assert client.post(f"/api/loans/{loan['id']}/return", headers=bob).status_code == 404
    assert client.get(f"/api/loans/{loan['id']}", headers=alice).json()["returned_at"] is None
    assert client.post("/api/loans/9999/return", headers=alice).status_code == 404
    assert client.post(f"/api/loans/{loan['id']}/return", headers=admin).status_code == 200
    assert client.get(f"/api/loans/{loan['id']}", headers=alice).json()["returned_at"]
    # admins borrow too, and see every loan
    mine = client.post("/api/loans", json={"tool_id": 14}, headers=admin)
    assert mine.status_code == 201 and mine.json()["member_id"] == MEMBER_IDS["admin"]
    assert len(client.get("/api/loans", headers=admin).json()) == 6


# --- admin ----------------------------------------------------------------------


def test_admin_manages_tools(client: TestClient) -> None:
    admin = login(client, "admin")
    body = {"name": "Tile cutter", "category": "Hand tools", "description": "Cuts tiles.",
            "tags": ["tiles", "cutting"]}
    created = client.post("/api/admin/tools", json=body, headers=admin)
    assert created.status_code == 201
    tool = created.json()
    assert tool["available"] and tool["name"] == "Tile cutter"
    found = client.get("/api/tools", params={"q": "tile cutter"}).json()["items"]
    assert [t["id"] for t in found] == [tool["id"]]
    changed = client.put(f"/api/admin/tools/{tool['id']}", headers=admin,
                         json={**body, "name": "Wet tile saw"})
    assert changed.json()["name"] == "Wet tile saw"
    assert client.delete(f"/api/admin/tools/{tool['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/tools/{tool['id']}").status_code == 404
    assert client.delete("/api/admin/tools/3", headers=admin).status_code == 409  # on loan


def test_admin_routes_are_for_admins(client: TestClient) -> None:
    alice = login(client, "alice")
    assert client.get("/api/admin/members", headers=alice).status_code == 403
    assert client.delete("/api/admin/tools/1", headers=alice).status_code == 403
    members = client.get("/api/admin/members", headers=login(client, "admin")).json()
    assert [m["email"] for m in members][:3] == [
        "admin@toollib.test", "alice@toollib.test", "bob@toollib.test"]


# --- payments -------------------------------------------------------------------


def test_gst_is_one_eleventh_rounded_half_up() -> None:
    for total in range(0, 100_000, 7):
        expected = (Decimal(total) / 11).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        assert gst_included(total) == int(expected)
    assert gst_included(1_100) == 100 and gst_included(6) == 1 and gst_included(5) == 0


def test_checkout_prices_come_from_the_server(client: TestClient) -> None:
    alice = login(client, "alice")
    resp = client.post("/api/memberships/checkout", headers=alice,
                       json={"plan": "annual", "total_cents": 1, "price": 0})
    assert resp.status_code == 201, resp.text
    invoice = resp.json()
    assert invoice["total_cents"] == PLANS["annual"].total_cents == 14_900
    assert invoice["gst_cents"] == 1_355  # 14 900 / 11 = 1 354.5 -> 1 355
    assert invoice["subtotal_cents"] + invoice["gst_cents"] == invoice["total_cents"]
    assert (invoice["abn"], invoice["currency"], invoice["status"]) == (ABN, "AUD", "pending")
    assert invoice["number"] == f"TL-{invoice['id']:06d}"
    assert client.get("/api/invoices", headers=alice).json() == [invoice]
    assert client.get("/api/invoices", headers=login(client, "bob")).json() == []
    assert client.post("/api/memberships/checkout", headers=alice,
                       json={"plan": "lifetime"}).status_code == 422


def _event(invoice_id: int, kind: str = "checkout.session.completed") -> bytes:
    return json.dumps({"id": "evt_test_1", "object": "event", "type": kind,
                       "data": {"object": {"object": "checkout.session",
                                           "metadata": {"invoice_id": str(invoice_id)}}}}
                      ).encode()


def test_signed_webhook_marks_the_invoice_paid(client: TestClient) -> None:
    alice = login(client, "alice")
    invoice = client.post("/api/memberships/checkout", headers=alice,
                          json={"plan": "monthly"}).json()
    payload = _event(invoice["id"])
    secret = client.app.state.settings.webhook_secret  # type: ignore[attr-defined]
    resp = client.post("/api/webhooks/stripe", content=payload,
                       headers={"Stripe-Signature": stripe_signature(payload, secret),
                                "Content-Type": "application/json"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"received": True, "invoice_id": invoice["id"]}
    paid = client.get("/api/invoices", headers=alice).json()[0]
    assert paid["status"] == "paid" and paid["paid_at"]


@pytest.mark.parametrize("how", ["unsigned", "wrong secret", "tampered", "stale"])
def test_webhook_rejects_what_stripe_did_not_sign(client: TestClient, how: str) -> None:
    alice = login(client, "alice")
    invoice = client.post("/api/memberships/checkout", headers=alice,
                          json={"plan": "family"}).json()
    payload = _event(invoice["id"])
    secret = client.app.state.settings.webhook_secret  # type: ignore[attr-defined]
    headers = {"Content-Type": "application/json"}
    if how == "wrong secret":
        headers["Stripe-Signature"] = stripe_signature(payload, "whsec_guess")
    elif how == "tampered":
        headers["Stripe-Signature"] = stripe_signature(_event(invoice["id"] + 1), secret)
    elif how == "stale":
        headers["Stripe-Signature"] = stripe_signature(payload, secret, int(time.time()) - 3600)
    resp = client.post("/api/webhooks/stripe", content=payload, headers=headers)
    assert resp.status_code == (422 if how == "unsigned" else 401)
    assert client.get("/api/invoices", headers=alice).json()[0]["status"] == "pending"


@pytest.mark.parametrize("data", [{}, {"object": []}, {"object": {"metadata": None}},
                                  {"object": {"metadata": {"invoice_id": "abc"}}},
                                  {"object": {"metadata": {"invoice_id": "9" * 30}}}])
def test_webhook_survives_odd_signed_events(client: TestClient, data: object) -> None:
    payload = json.dumps({"id": "evt_odd", "type": "invoice.paid", "data": data}).encode()
    secret = client.app.state.settings.webhook_secret  # type: ignore[attr-defined]
    resp = client.post("/api/webhooks/stripe", content=payload,
                       headers={"Stripe-Signature": stripe_signature(payload, secret)})
    assert resp.status_code == 200 and resp.json()["invoice_id"] is None


def test_webhook_ignores_other_events(client: TestClient) -> None:
    payload = _event(1, kind="customer.created")
    secret = client.app.state.settings.webhook_secret  # type: ignore[attr-defined]
    resp = client.post("/api/webhooks/stripe", content=payload,
                       headers={"Stripe-Signature": stripe_signature(payload, secret)})
    assert resp.json() == {"received": True, "invoice_id": None}


# --- the OpenAPI document and the pages -------------------------------------------


def test_openapi_declares_roles_and_owners(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            secured = op.get("security") == [{"HTTPBearer": []}]
            assert secured == ("x-roles" in op), where
            if secured:
                assert set(op["x-roles"]) <= {"member", "admin"} and "401" in op["responses"]
            if "{" in path and path.startswith(("/api/reservations", "/api/loans")):
                assert op.get("x-owner") is True and op["x-owner-list"], where
    assert doc["paths"]["/api/admin/tools"]["post"]["x-roles"] == ["admin"]
    assert "security" not in doc["paths"]["/api/tools"]["get"]
    links = doc["paths"]["/api/reservations"]["post"]["responses"]["201"]["links"]
    assert links["GetReservation"]["operationId"] == "get_reservation"
    loans = doc["paths"]["/api/loans"]["post"]
    assert loans["x-roles"] == ["member", "admin"]
    assert loans["responses"]["201"]["links"]["ReturnLoan"]["operationId"] == "return_loan"
    back = doc["paths"]["/api/loans/{loan_id}/return"]["post"]
    assert back["x-roles"] == ["member", "admin"] and back["x-owner-list"] == "/api/loans"
    assert not [p for p in doc["paths"] if not p.startswith(("/api/", "/health"))]


def test_wrong_method_is_405_with_every_allowed_method(client: TestClient) -> None:
    resp = client.request("PATCH", "/api/reservations/1")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "DELETE, GET"
    assert client.request("OPTIONS", "/api/reservations").headers["allow"] == "GET, POST"
    assert client.request("OPTIONS", "/api/loans").headers["allow"] == "GET, POST"


def test_pages(client: TestClient) -> None:
    home = client.get("/", params={"q": "<script>alert(1)</script> drill"})
    assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    assert "<script>alert(1)</script>" not in home.text
    assert "&lt;script&gt;" in home.text
    assert 'id="search"' in home.text
    assert "drill" in client.get("/", params={"q": "drill"}).text
    assert 'id="login-form"' in client.get("/login").text
    assert 'data-testid="member-email"' in client.get("/dashboard").text
    assert "nonce-" in home.headers["content-security-policy"]
