"""Invoice download."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import login


def test_member_downloads_an_invoice(client: TestClient) -> None:
    alice = login(client, "alice")
    invoice = client.post("/api/memberships/checkout", json={"plan": "annual"},
                          headers=alice).json()
    resp = client.get(f"/api/invoices/{invoice['id']}", headers=alice)
    assert resp.status_code == 200
    assert resp.json() == invoice
    assert resp.json()["abn"] == "51 824 753 556"


def test_missing_invoice_is_404(client: TestClient) -> None:
    assert client.get("/api/invoices/424242", headers=login(client, "alice")).status_code == 404


def test_invoice_needs_a_token(client: TestClient) -> None:
    alice = login(client, "alice")
    invoice = client.post("/api/memberships/checkout", json={"plan": "monthly"},
                          headers=alice).json()
    assert client.get(f"/api/invoices/{invoice['id']}").status_code == 401
