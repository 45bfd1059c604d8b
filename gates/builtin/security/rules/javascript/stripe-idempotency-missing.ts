// semgrep test target for stripe-idempotency-missing (TypeScript)
import Stripe from "stripe";

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY as string);

export async function pay(amountCents: number) {
  // ruleid: stripe-idempotency-missing
  const intent = await stripe.paymentIntents.create({ amount: amountCents, currency: "aud" });
  return intent.id;
}

export async function refund(paymentIntent: string) {
  // ruleid: stripe-idempotency-missing
  await stripe.refunds.create({ payment_intent: paymentIntent }, { stripeAccount: "acct_1" });
}

export async function charge(source: string) {
  // ruleid: stripe-idempotency-missing
  return this.stripeClient.charges.create({ amount: 500, currency: "aud", source });
}

// --- ok ---------------------------------------------------------------------

export async function payOk(orderId: string, amountCents: number) {
  // ok: stripe-idempotency-missing
  const intent = await stripe.paymentIntents.create(
    { amount: amountCents, currency: "aud" },
    { idempotencyKey: `order-${orderId}` },
  );
  return intent.id;
}

export async function refundOk(orderId: string, paymentIntent: string) {
  const idempotencyKey = `refund-${orderId}`;
  // ok: stripe-idempotency-missing
  await stripe.refunds.create({ payment_intent: paymentIntent }, { idempotencyKey });
}

export async function payWithOptions(params: Stripe.PaymentIntentCreateParams, opts: Stripe.RequestOptions) {
  // ok: stripe-idempotency-missing
  return stripe.paymentIntents.create(params, opts);
}

export async function customer(email: string) {
  // ok: stripe-idempotency-missing
  return stripe.customers.create({ email });
}
