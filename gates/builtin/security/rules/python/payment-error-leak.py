"""semgrep test target for payment-error-leak (Python)."""

import logging
import traceback
import uuid

import stripe
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from flask import Flask, jsonify

app = FastAPI()
flask_app = Flask(__name__)
log = logging.getLogger(__name__)


def charge(amount_cents: int, key: str) -> stripe.PaymentIntent:
    return stripe.PaymentIntent.create(amount=amount_cents, currency="aud", idempotency_key=key)


# --- bad -------------------------------------------------------------------------


@app.post("/pay")
def pay() -> dict:
    try:
        intent = charge(1500, "k1")
    except Exception as e:
        # ruleid: payment-error-leak
        return {"error": str(e)}
    return {"client_secret": intent.client_secret}


@app.post("/pay-json")
def pay_json() -> JSONResponse:
    try:
        intent = charge(1500, "k2")
    except stripe.error.StripeError as exc:
        # ruleid: payment-error-leak
        return JSONResponse({"detail": f"payment failed: {exc!r}", "raw": repr(exc)}, status_code=502)
    return JSONResponse({"client_secret": intent.client_secret})


@app.post("/refund")
def refund() -> dict:
    try:
        stripe.Refund.create(payment_intent="pi_123", idempotency_key="r1")
    except Exception as exc:
        # ruleid: payment-error-leak
        raise HTTPException(status_code=500, detail=exc.args[0]) from exc
    return {"ok": True}


@flask_app.post("/flask-pay")
def flask_pay():
    try:
        charge(1500, "k3")
    except Exception:
        # ruleid: payment-error-leak
        return jsonify(error="internal", trace=traceback.format_exc()), 500
    return jsonify(ok=True)


@app.exception_handler(Exception)
async def unhandled(request: Request, exc: Exception) -> JSONResponse:
    # ruleid: payment-error-leak
    return JSONResponse(status_code=500, content={"detail": repr(exc)})


@flask_app.errorhandler(500)
def flask_500(err):
    # ruleid: payment-error-leak
    return {"error": str(err)}, 500


# --- ok ---------------------------------------------------------------------------


@app.post("/pay-ok")
def pay_ok() -> JSONResponse:
    try:
        intent = charge(1500, "k4")
    except stripe.error.CardError as e:
        # the card error's user_message is written for customers
        # ok: payment-error-leak
        return JSONResponse({"error": e.user_message, "code": e.code}, status_code=402)
    except stripe.error.StripeError:
        request_id = uuid.uuid4().hex
        log.exception("stripe error %s", request_id)
        # ok: payment-error-leak
        return JSONResponse({"error": "payment failed", "request_id": request_id}, status_code=502)
    return JSONResponse({"client_secret": intent.client_secret})


@app.post("/refund-ok")
def refund_ok() -> dict:
    try:
        stripe.Refund.create(payment_intent="pi_123", idempotency_key="r2")
    except Exception as exc:
        log.error("refund failed: %s", exc)
        # ok: payment-error-leak
        raise HTTPException(status_code=500, detail="refund failed") from exc
    return {"ok": True}


@app.exception_handler(Exception)
async def unhandled_ok(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled %s: %s", type(exc).__name__, exc)
    # ok: payment-error-leak
    return JSONResponse(status_code=500, content={"detail": "internal error"})


@flask_app.route("/create-payment-intent", methods=["POST"])
def create_intent_sample_shape():
    # the shape of Stripe's own Flask sample: the provider's typed error, shown as is
    try:
        intent = stripe.PaymentIntent.create(amount=2599, currency="eur",
                                            automatic_payment_methods={"enabled": True})
        return jsonify({"clientSecret": intent.client_secret})
    except stripe.error.StripeError as e:
        # ok: payment-error-leak
        return jsonify({"error": {"message": str(e)}}), 400


@flask_app.route("/charge-card", methods=["POST"])
def charge_card_typed():
    try:
        stripe.PaymentIntent.create(amount=990, currency="usd", confirm=True,
                                    payment_method="pm_card_visa")
    except stripe.CardError as e:
        # ok: payment-error-leak
        return jsonify(error=e.user_message, message=str(e)), 402
    except Exception as e:
        # a generic exception's text is still a leak beside the typed one
        # ruleid: payment-error-leak
        return jsonify(error=str(e)), 500
    return jsonify(ok=True)


def describe(exc: Exception) -> str:
    # a helper that formats an exception for the log is not a response
    try:
        raise exc
    except Exception as inner:
        # ok: payment-error-leak
        return str(inner)
