"""semgrep test target for payment-amount-from-client (Python)."""

import json
from decimal import Decimal
from typing import Annotated

import stripe
from fastapi import Depends, FastAPI, Request
from flask import Flask, jsonify, request
from pydantic import BaseModel
from sqlalchemy.orm import Session

app = FastAPI()
flask_app = Flask(__name__)

PRICES_CENTS = {"basic": 1500, "pro": 4900}


class CheckoutIn(BaseModel):
    sku: str
    quantity: int
    amount: int | None = None


class Product(BaseModel):
    id: int
    price_cents: int


def get_db() -> Session: ...


Payment = Order = object  # stand-ins for the ORM models of a real app
db = current_user = None


def price_for(sku: str) -> int:
    return PRICES_CENTS[sku]


# --- bad -------------------------------------------------------------------------


@flask_app.post("/pay")
def pay():
    data = request.get_json()
    intent = stripe.PaymentIntent.create(
        # ruleid: payment-amount-from-client
        amount=int(data["amount"]),
        currency="aud",
        idempotency_key=data["idempotency_key"],
    )
    return jsonify(client_secret=intent.client_secret)


@flask_app.post("/pay-form")
def pay_form():
    total = request.form.get("total")
    cents = round(float(total) * 100)
    intent = stripe.PaymentIntent.create(
        # ruleid: payment-amount-from-client
        amount=cents,
        currency="aud",
        idempotency_key=request.form["key"],
    )
    return jsonify(client_secret=intent.client_secret)


@app.post("/checkout")
async def checkout(request: Request) -> dict:
    body = await request.json()
    session = stripe.checkout.Session.create(
        mode="payment",
        # ruleid: payment-amount-from-client
        line_items=[
            {
                "price_data": {
                    "currency": "aud",
                    "unit_amount": body["price"],
                    "product_data": {"name": body["name"]},
                },
                "quantity": body["quantity"],
            }
        ],
        success_url="https://shop.example/ok",
    )
    return {"url": session.url}


@app.post("/checkout-typed")
def checkout_typed(payload: CheckoutIn) -> dict:
    intent = stripe.PaymentIntent.create(
        # ruleid: payment-amount-from-client
        amount=payload.amount,
        currency="aud",
        idempotency_key=payload.sku,
    )
    return {"client_secret": intent.client_secret}


@app.post("/invoice-items")
async def add_invoice_item(request: Request) -> dict:
    data = json.loads(await request.body())
    fee = Decimal(data["fee"])
    stripe.InvoiceItem.create(
        customer=data["customer"],
        # ruleid: payment-amount-from-client
        amount=int(fee * 100),
        currency="aud",
    )
    return {}


# --- ok: the amount is computed server-side ---------------------------------------


@flask_app.post("/pay-sku")
def pay_sku():
    data = request.get_json()
    unit = PRICES_CENTS[data["sku"]]
    quantity = int(data["quantity"])
    intent = stripe.PaymentIntent.create(
        # ok: payment-amount-from-client
        amount=unit * quantity,
        currency="aud",
        idempotency_key=data["idempotency_key"],
    )
    return jsonify(client_secret=intent.client_secret)


@app.post("/checkout-db")
def checkout_db(payload: CheckoutIn, db: Annotated[Session, Depends(get_db)]) -> dict:
    product = db.get(Product, payload.sku)
    intent = stripe.PaymentIntent.create(
        # ok: payment-amount-from-client
        amount=product.price_cents * payload.quantity,
        currency="aud",
        idempotency_key=payload.sku,
    )
    return {"client_secret": intent.client_secret}


@app.post("/checkout-price-id")
async def checkout_price_id(request: Request) -> dict:
    body = await request.json()
    session = stripe.checkout.Session.create(
        mode="payment",
        # ok: payment-amount-from-client
        line_items=[{"price": body["price_id"], "quantity": int(body["quantity"])}],
        success_url="https://shop.example/ok",
    )
    return {"url": session.url}


@app.post("/checkout-lookup")
async def checkout_lookup(request: Request) -> dict:
    body = await request.json()
    total_cents = price_for(body["sku"]) * int(body["quantity"])
    session = stripe.checkout.Session.create(
        mode="payment",
        # ok: payment-amount-from-client
        line_items=[
            {
                "price_data": {
                    "currency": "aud",
                    "unit_amount": total_cents,
                    "product_data": {"name": body["sku"]},
                },
                "quantity": 1,
            }
        ],
        success_url="https://shop.example/ok",
    )
    return {"url": session.url}


@flask_app.post("/pay-prices")
def pay_prices():
    sku = request.json["sku"]
    intent = stripe.PaymentIntent.create(
        # ok: payment-amount-from-client
        amount=PRICES_CENTS.get(sku, 0),
        currency="aud",
        idempotency_key=request.json["key"],
    )
    return jsonify(client_secret=intent.client_secret)


# a payment record whose amount the client chose, with no Stripe call in the handler
@flask_app.post("/payments")
def record_payment():
    data = request.get_json()
    # ruleid: payment-amount-from-client
    payment = Payment.objects.create(order_id=data["order_id"], amount=data["amount"], status="pending")
    return {"id": payment.id}


@flask_app.post("/orders")
def create_order():
    body = request.get_json()
    order = Order(user_id=current_user.id, status="new")
    # ruleid: payment-amount-from-client
    order.total = body["total"]
    db.session.add(order)
    return {"id": order.id}


# the price looked up on the server: ok
@flask_app.post("/orders-ok")
def create_order_ok():
    body = request.get_json()
    product = db.session.get(Product, body["product_id"])
    qty = int(body["quantity"])
    # ok: payment-amount-from-client
    order = Order(user_id=current_user.id, product_id=product.id, quantity=qty, total_cents=product.price_cents * qty)
    db.session.add(order)
    return {"id": order.id}
