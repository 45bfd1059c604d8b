"""The printable tax invoice."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import login


def test_printable_invoice(client: TestClient) -> None:
    alice = login(client, "alice")
    invoice = client.post("/api/memberships/checkout", json={"plan": "annual"},
                          headers=alice).json()
    resp = client.get(f"/api/invoices/{invoice['id']}/print", headers=alice)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    text = resp.text
    assert text.startswith("TAX INVOICE")
    assert "ABN 51 824 753 556" in text
    assert invoice["number"] in text
    assert "149.00" in text
    assert "GST (10%)" in text and "14.90" in text
    assert "Status: PENDING" in text


def test_printable_invoice_monthly(client: TestClient) -> None:
    alice = login(client, "alice")
    invoice = client.post("/api/memberships/checkout", json={"plan": "monthly"},
                          headers=alice).json()
    text = client.get(f"/api/invoices/{invoice['id']}/print", headers=alice).text
    assert "15.00" in text and "1.50" in text and "13.50" in text
