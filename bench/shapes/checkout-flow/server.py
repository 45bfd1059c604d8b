"""A Flask checkout server in the shape of Stripe's Python samples."""

import os

import stripe
from flask import Flask, jsonify, request

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
PRICES_CENTS = {"tee": 2500, "mug": 1200}

app = Flask(__name__)


@app.route("/config", methods=["GET"])
def config():
    return jsonify(publishableKey=os.environ["STRIPE_PUBLISHABLE_KEY"])


@app.route("/create-payment-intent", methods=["POST"])
def create_payment_intent():
    body = request.get_json(silent=True) or {}
    cents = PRICES_CENTS.get(str(body.get("sku")), 0) * max(1, int(body.get("quantity", 1)))
    try:
        intent = stripe.PaymentIntent.create(
            amount=cents,
            currency=body.get("currency", "usd"),
            automatic_payment_methods={"enabled": True},
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return jsonify({"clientSecret": intent.client_secret})
    except stripe.error.StripeError as e:
        return jsonify({"error": {"message": str(e)}}), 400


@app.route("/webhook", methods=["POST"])
def webhook():
    payload = request.data
    signature = request.headers.get("stripe-signature")
    try:
        event = stripe.Webhook.construct_event(payload, signature, WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return jsonify(success=False), 400
    obj = event["data"]["object"]
    if event["type"] == "payment_intent.succeeded":
        print("Webhook received:", obj["object"], obj["status"])
    elif event["type"] == "payment_intent.payment_failed":
        print("Payment failed for", obj["id"])
    return jsonify(success=True)
