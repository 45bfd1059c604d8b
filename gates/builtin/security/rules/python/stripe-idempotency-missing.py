"""semgrep test target for stripe-idempotency-missing (Python)."""

import stripe
from stripe import StripeClient

client = StripeClient("sk_test_placeholder")


def pay(order_id: int, amount_cents: int) -> str:
    # ruleid: stripe-idempotency-missing
    intent = stripe.PaymentIntent.create(amount=amount_cents, currency="aud")
    return intent.id


def legacy_charge(token: str, amount_cents: int) -> str:
    # ruleid: stripe-idempotency-missing
    charge = stripe.Charge.create(
        amount=amount_cents,
        currency="aud",
        source=token,
    )
    return charge.id


def refund(payment_intent_id: str) -> None:
    # ruleid: stripe-idempotency-missing
    stripe.Refund.create(payment_intent=payment_intent_id)


def pay_with_client(amount_cents: int) -> str:
    # ruleid: stripe-idempotency-missing
    intent = client.payment_intents.create(params={"amount": amount_cents, "currency": "aud"})
    return intent.id


# --- ok ---------------------------------------------------------------------------


def pay_ok(order_id: int, amount_cents: int) -> str:
    # ok: stripe-idempotency-missing
    intent = stripe.PaymentIntent.create(
        amount=amount_cents,
        currency="aud",
        idempotency_key=f"order-{order_id}",
    )
    return intent.id


def refund_ok(order_id: int, payment_intent_id: str) -> None:
    # ok: stripe-idempotency-missing
    stripe.Refund.create(payment_intent=payment_intent_id, idempotency_key=f"refund-{order_id}")


def pay_with_client_ok(order_id: int, amount_cents: int) -> str:
    # ok: stripe-idempotency-missing
    intent = client.payment_intents.create(
        params={"amount": amount_cents, "currency": "aud"},
        options={"idempotency_key": f"order-{order_id}"},
    )
    return intent.id


def pay_kwargs(params: dict) -> str:
    # ok: stripe-idempotency-missing
    intent = stripe.PaymentIntent.create(**params)
    return intent.id


def customer(email: str) -> str:
    # creating a customer moves no money
    # ok: stripe-idempotency-missing
    return stripe.Customer.create(email=email).id
