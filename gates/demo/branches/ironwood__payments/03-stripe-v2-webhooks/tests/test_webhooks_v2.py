"""Stripe v2 event destinations."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.support import login


def _event(invoice_id: int, kind: str) -> bytes:
    return json.dumps({"id": "evt_v2_1", "object": "v2.core.event", "type": kind,
                       "data": {"object": {"metadata": {"invoice_id": str(invoice_id)}}}}
                      ).encode()


def test_v2_event_marks_invoice_paid(client: TestClient) -> None:
    alice = login(client, "alice")
    invoice = client.post("/api/memberships/checkout", json={"plan": "annual"},
                          headers=alice).json()
    resp = client.post("/api/webhooks/stripe/v2", content=_event(invoice["id"], "invoice.paid"),
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 200
    assert resp.json() == {"received": True, "invoice_id": invoice["id"]}
    assert client.get(f"/api/invoices/{invoice['id']}", headers=alice).json()["status"] == "paid"


def test_v2_other_events_are_acknowledged(client: TestClient) -> None:
    resp = client.post("/api/webhooks/stripe/v2", content=_event(1, "customer.updated"))
    assert resp.json() == {"received": True, "invoice_id": None}
