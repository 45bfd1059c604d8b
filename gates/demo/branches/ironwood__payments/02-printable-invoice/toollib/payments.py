"""Memberships: checkout creates an invoice; Stripe's webhook marks it paid.

Money is integer cents, always. Prices live in PLANS on the server; the client
names a plan and never sends an amount. Prices include 10 % GST, so the GST
part of a total is 1/11 of it, rounded half up to the cent in integer maths.

The webhook trusts nothing that `stripe.Webhook.construct_event` has not
verified: Stripe's HMAC-SHA256 over `timestamp.payload`, within a tolerance.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import stripe
from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from toollib.auth import CurrentMember, protected
from toollib.db import get_db, now
from toollib.models import MAX_ID, Error, InvoiceId

router = APIRouter(tags=["payments"])
Db = Annotated[sqlite3.Connection, Depends(get_db)]

ABN = "51 824 753 556"
BUSINESS_NAME = "Northside Community Tool Library Inc."
CURRENCY = "AUD"


class PlanId(StrEnum):
    monthly = "monthly"
    annual = "annual"
    family = "family"


@dataclass(frozen=True)
class Plan:
    id: PlanId
    description: str
    total_cents: int  # GST included


PLANS = {
    PlanId.monthly: Plan(PlanId.monthly, "Monthly membership", 1_500),
    PlanId.annual: Plan(PlanId.annual, "Annual membership", 14_900),
    PlanId.family: Plan(PlanId.family, "Annual family membership", 21_999),
}


def gst_included(total_cents: int) -> int:
    """The GST inside a GST-inclusive total: total / 11, half up, in whole cents."""
    if total_cents < 0:
        raise ValueError("a total cannot be negative")
    return (total_cents * 2 + 11) // 22


class CheckoutIn(BaseModel):
    plan: PlanId


class InvoiceOut(BaseModel):
    id: int
    number: str
    member_id: int
    plan: PlanId
    description: str
    subtotal_cents: int  # ex GST
    gst_cents: int
    total_cents: int  # inc GST
    currency: Literal["AUD"] = CURRENCY
    abn: str = ABN
    business_name: str = BUSINESS_NAME
    status: Literal["pending", "paid"]
    created_at: datetime
    paid_at: datetime | None


class WebhookAck(BaseModel):
    received: bool
    invoice_id: int | None = None


def invoice_out(row: sqlite3.Row) -> InvoiceOut:
    return InvoiceOut(number=f"TL-{row['id']:06d}", **dict(row))


INVOICE_LINKS = {
    "GetInvoice": {"operationId": "get_invoice",
                   "parameters": {"invoice_id": "$response.body#/id"}},
}


@router.post("/api/memberships/checkout", response_model=InvoiceOut, status_code=201,
             summary="Start a membership: creates the invoice to pay",
             **protected("member", "admin", responses={
                 201: {"description": "The invoice to pay", "links": INVOICE_LINKS}}))
def checkout(body: CheckoutIn, member: CurrentMember, conn: Db) -> InvoiceOut:
    plan = PLANS[body.plan]
    gst = gst_included(plan.total_cents)
    cur = conn.execute(
        "INSERT INTO invoices (member_id, plan, description, subtotal_cents, gst_cents, "
        "total_cents, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
        (member.id, plan.id.value, plan.description, plan.total_cents - gst, gst,
         plan.total_cents, now()),
    )
    row = conn.execute("SELECT * FROM invoices WHERE id = ?", (cur.lastrowid,)).fetchone()
    return invoice_out(row)


@router.get("/api/invoices", response_model=list[InvoiceOut], summary="Your invoices",
            **protected("member", "admin"))
def list_invoices(member: CurrentMember, conn: Db) -> list[InvoiceOut]:
    rows = conn.execute("SELECT * FROM invoices WHERE member_id = ? ORDER BY id", (member.id,))
    return [invoice_out(r) for r in rows]


def load_invoice(conn: sqlite3.Connection, invoice_id: int) -> InvoiceOut:
    row = conn.execute("SELECT * FROM invoices WHERE id = ?", (invoice_id,)).fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such invoice")
    return invoice_out(row)


@router.get("/api/invoices/{invoice_id}", response_model=InvoiceOut,
            summary="One of your invoices",
            **protected("member", "admin", owner_list="/api/invoices"))
def get_invoice(invoice_id: InvoiceId, member: CurrentMember, conn: Db) -> InvoiceOut:
    return load_invoice(conn, invoice_id)


def tax_invoice_text(invoice: InvoiceOut) -> str:
    """A plain-text tax invoice: supplier, ABN, and the GST breakdown."""
    total = invoice.total_cents / 100
    gst = round(float(total) * 0.1, 2)  # GST is 10%
    subtotal = total - gst
    lines = [
        "TAX INVOICE",
        invoice.business_name,
        f"ABN {invoice.abn}",
        "",
        f"Invoice {invoice.number}    Date {invoice.created_at:%d/%m/%Y}",
        f"Member #{invoice.member_id}",
        "",
        f"{invoice.description:<40}{total:>10.2f}",
        "",
        f"{'Subtotal (ex GST)':<40}{subtotal:>10.2f}",
        f"{'GST (10%)':<40}{gst:>10.2f}",
        f"{'Total (inc GST) ' + invoice.currency:<40}{total:>10.2f}",
        "",
        f"Status: {invoice.status.upper()}",
    ]
    return "\n".join(lines) + "\n"


@router.get("/api/invoices/{invoice_id}/print", response_class=PlainTextResponse,
            summary="A printable tax invoice",
            **protected("member", "admin", owner_list="/api/invoices"))
def print_invoice(invoice_id: InvoiceId, member: CurrentMember, conn: Db) -> str:
    return tax_invoice_text(load_invoice(conn, invoice_id))


PAID_EVENTS = ("checkout.session.completed", "invoice.paid")


def mark_paid(conn: sqlite3.Connection, event: dict[str, Any]) -> int | None:
    """The invoice a verified payment event names, marked paid (idempotent)."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    try:
        invoice_id = int(metadata.get("invoice_id"))  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError):
        return None
    if not 1 <= invoice_id <= MAX_ID:
        return None
    cur = conn.execute(
        "UPDATE invoices SET status = 'paid', paid_at = COALESCE(paid_at, ?) WHERE id = ?",
        (now(), invoice_id),
    )
    return invoice_id if cur.rowcount else None


WEBHOOK_DOC = {
    "requestBody": {"required": True, "description": "A Stripe event, as Stripe signed it",
                    "content": {"application/json": {"schema": {"type": "object"}}}},
    "x-webhook": {"provider": "stripe", "signature_header": "Stripe-Signature"},
}


@router.post(
    "/api/webhooks/stripe", response_model=WebhookAck, summary="Stripe events",
    responses={400: {"description": "Not a valid event", "model": Error},
               401: {"description": "Missing or wrong Stripe signature", "model": Error}},
    openapi_extra=WEBHOOK_DOC,
)
async def stripe_webhook(
    request: Request,
    stripe_signature: Annotated[str, Header(alias="Stripe-Signature")],
    conn: Db,
) -> WebhookAck:
    payload = await request.body()  # the raw bytes: what Stripe signed
    try:
        verified = stripe.Webhook.construct_event(
            payload, stripe_signature, request.app.state.settings.webhook_secret)
    except stripe.SignatureVerificationError:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad Stripe signature") from None
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "not a Stripe event") from None
    data = verified.to_dict()
    if data.get("type") not in PAID_EVENTS:
        return WebhookAck(received=True)
    return WebhookAck(received=True, invoice_id=mark_paid(conn, data))
