"""semgrep test target for payment-data-logged (Python)."""

import logging
import os

import stripe
from fastapi import FastAPI, Request
from flask import Flask, jsonify, request

app = FastAPI()
flask_app = Flask(__name__)
logger = logging.getLogger(__name__)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


# --- bad -------------------------------------------------------------------------


@flask_app.post("/pay")
def pay():
    # ruleid: payment-data-logged
    logger.info(request.json)
    data = request.get_json()
    # ruleid: payment-data-logged
    logger.debug("checkout payload: %s", data)
    payment_intent = stripe.PaymentIntent.create(
        amount=1500, currency="aud", idempotency_key=data["key"]
    )
    # ruleid: payment-data-logged
    logger.info(f"created {payment_intent}")
    return jsonify(client_secret=payment_intent.client_secret)


@app.post("/webhooks/stripe")
async def webhook(request: Request) -> dict:
    payload = await request.body()
    event = stripe.Webhook.construct_event(payload, request.headers["stripe-signature"], SECRET)
    # ruleid: payment-data-logged
    logger.info("stripe event: %s", event)
    # ruleid: payment-data-logged
    logger.info("object: %s", event["data"]["object"])
    return {}


def save_card(card: dict, payment_method: str) -> None:
    # ruleid: payment-data-logged
    logging.info("saving card %s", card)
    # ruleid: payment-data-logged
    logger.warning("pm=%s", payment_method)
    # ruleid: payment-data-logged
    print("card number", card["number"])


@app.post("/confirm")
async def confirm(request: Request) -> dict:
    body = await request.json()
    # ruleid: payment-data-logged
    logger.error("confirm failed for %r", body)
    return {}


# --- ok: identifiers and non-sensitive fields only --------------------------------


@flask_app.post("/pay-ok")
def pay_ok():
    data = request.get_json()
    # ok: payment-data-logged
    logger.info("checkout sku=%s qty=%s", data["sku"], data.get("quantity"))
    payment_intent = stripe.PaymentIntent.create(
        amount=1500, currency="aud", idempotency_key=data["key"]
    )
    # ok: payment-data-logged
    logger.info(f"created payment_intent {payment_intent.id} status={payment_intent.status}")
    return jsonify(client_secret=payment_intent.client_secret)


@app.post("/webhooks/stripe-ok")
async def webhook_ok(request: Request) -> dict:
    payload = await request.body()
    event = stripe.Webhook.construct_event(payload, request.headers["stripe-signature"], SECRET)
    # ok: payment-data-logged
    logger.info("stripe event %s type=%s", event["id"], event["type"])
    # ok: payment-data-logged
    logger.info("payload size %d", len(payload))
    return {}


def refund_done(charge_id: str, refund_id: str) -> None:
    # ok: payment-data-logged
    logger.info("refund %s for charge %s", refund_id, charge_id)


def on_intent_event(payload: bytes, sig: str) -> None:
    # the shape of Stripe's own webhook samples
    event = stripe.Webhook.construct_event(payload, sig, "whsec_test")
    intent = event["data"]["object"]
    # ok: payment-data-logged
    logger.info("webhook received: %s %s", intent["object"], intent["status"])
    # ok: payment-data-logged
    logger.info("intent %s amount=%s %s", intent.id, intent.amount, intent.currency)
    # ruleid: payment-data-logged
    logger.warning("failed: %s", intent.last_payment_error)
    # ruleid: payment-data-logged
    logger.info("event object %s", event["data"]["object"])
