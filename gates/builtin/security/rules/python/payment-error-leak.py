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
        return JSONResponse({"detail": f"payment failed: {exc}"}, status_code=502)
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


def describe(exc: Exception) -> str:
    # a helper that formats an exception for the log is not a response
    try:
        raise exc
    except Exception as inner:
        # ok: payment-error-leak
        return str(inner)
