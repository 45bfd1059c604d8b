"""semgrep test target for stripe-webhook-unverified (Python)."""

import json
import logging
import os

import stripe
from fastapi import FastAPI, HTTPException, Request
from flask import Flask, jsonify, request

app = FastAPI()
flask_app = Flask(__name__)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
log = logging.getLogger(__name__)
ENDPOINT_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def mark_paid(order_id: str) -> None:
    log.info("order %s paid", order_id)


# --- bad: the body is trusted as an event ---------------------------------------


@app.post("/webhooks/stripe")
async def stripe_webhook(request: Request) -> dict:
    # ruleid: stripe-webhook-unverified
    event = json.loads(await request.body())
    if event["type"] == "checkout.session.completed":
        mark_paid(event["data"]["object"]["client_reference_id"])
    return {"received": True}


@app.post("/api/payments/notify")
async def payment_notify(request: Request) -> dict:
    payload = await request.body()
    # ruleid: stripe-webhook-unverified
    event = json.loads(payload)
    if event.get("type") == "payment_intent.succeeded":
        mark_paid(event["data"]["object"]["metadata"]["order_id"])
    return {"ok": True}


@app.post("/hooks/billing")
async def billing_hook(request: Request) -> dict:
    # ruleid: stripe-webhook-unverified
    data = await request.json()
    obj = data["data"]["object"]
    mark_paid(obj["id"])
    return {}


@flask_app.route("/stripe/webhook", methods=["POST"])
def flask_webhook():
    # ruleid: stripe-webhook-unverified
    event = request.get_json()
    if event["type"] == "invoice.paid":
        mark_paid(event["data"]["object"]["id"])
    return jsonify(success=True)


@flask_app.route("/webhook", methods=["POST"])
def flask_webhook_signature_read_but_not_checked():
    sig_header = request.headers.get("Stripe-Signature")
    log.info("signature present: %s", bool(sig_header))
    # construct_from builds an Event object but does NOT verify anything
    # ruleid: stripe-webhook-unverified
    event = stripe.Event.construct_from(json.loads(request.data), stripe.api_key)
    if event.type == "charge.refunded":
        mark_paid(event.data.object.id)
    return "", 200


# --- ok: verified events, and JSON endpoints that are not webhooks -------------


@app.post("/webhooks/stripe-verified")
async def stripe_webhook_verified(request: Request) -> dict:
    payload = await request.body()
    sig_header = request.headers.get("stripe-signature", "")
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, ENDPOINT_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError) as exc:
        raise HTTPException(status_code=400, detail="invalid signature") from exc
    if event["type"] == "checkout.session.completed":
        mark_paid(event["data"]["object"]["client_reference_id"])
    return {"received": True}


@app.post("/webhooks/stripe-verified-then-parsed")
async def stripe_webhook_parse_after_verify(request: Request) -> dict:
    payload = await request.body()
    stripe.Webhook.construct_event(payload, request.headers["stripe-signature"], ENDPOINT_SECRET)
    # ok: stripe-webhook-unverified
    event = json.loads(payload)
    if event["type"] == "payment_intent.succeeded":
        mark_paid(event["data"]["object"]["id"])
    return {"received": True}


@flask_app.route("/webhook-flask-verified", methods=["POST"])
def flask_webhook_verified():
    payload = request.get_data()
    try:
        event = stripe.Webhook.construct_event(
            payload, request.headers["Stripe-Signature"], ENDPOINT_SECRET
        )
    except ValueError:
        return "bad payload", 400
    if event["type"] == "invoice.paid":
        mark_paid(event["data"]["object"]["id"])
    return jsonify(success=True)


@app.post("/api/cart")
async def update_cart(request: Request) -> dict:
    # a plain JSON API with a "type" field is not a Stripe webhook
    # ok: stripe-webhook-unverified
    body = await request.json()
    if body["type"] == "add":
        return {"items": [body["sku"]]}
    return {"items": []}


@flask_app.route("/api/events", methods=["POST"])
def analytics_events():
    # ok: stripe-webhook-unverified
    event = request.get_json()
    if event["type"] == "page_view":
        log.info("page view")
    return jsonify(ok=True)


def load_fixture(path: str) -> dict:
    with open(path) as fh:
        # ok: stripe-webhook-unverified
        fixture = json.loads(fh.read())
    return fixture


@app.post("/api/stripe/create-checkout-session")
async def create_checkout_session(request: Request) -> dict:
    # creating a session is not receiving an event
    # ok: stripe-webhook-unverified
    body = await request.json()
    session = stripe.checkout.Session.create(
        mode="payment",
        line_items=[{"price": body["price_id"], "quantity": 1}],
        success_url="https://shop.example/ok",
    )
    return {"url": session.url}


# a placeholder webhook route: it answers every POST and verifies nothing
# ruleid: stripe-webhook-unverified
@flask_app.route("/webhook", methods=["POST"])
def webhook_placeholder():
    return {"success": True}


# ruleid: stripe-webhook-unverified
@app.post("/api/payments/webhook")
async def payments_webhook_todo(request: Request):
    return {"received": True}


# ok: stripe-webhook-unverified
@app.post("/api/stripe/webhook")
async def verified_webhook(request: Request):
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400, detail="bad signature") from None
    return {"received": True, "id": event["id"]}


# ok: stripe-webhook-unverified
@app.get("/webhook/status")
def webhook_status():
    return {"ok": True}
