// semgrep test target for payment-data-logged (TypeScript)
import express, { Request, Response } from "express";
import pino from "pino";
import Stripe from "stripe";

const app = express();
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY as string);
const logger = pino();

// --- bad --------------------------------------------------------------------

app.post("/pay", async (req: Request, res: Response) => {
  // ruleid: payment-data-logged
  console.log(req.body);
  // ruleid: payment-data-logged
  logger.info(`checkout ${JSON.stringify(req.body)}`);
  const paymentIntent = await stripe.paymentIntents.create(
    { amount: 1500, currency: "aud", payment_method: req.body.paymentMethod },
    { idempotencyKey: req.body.key },
  );
  // ruleid: payment-data-logged
  console.log("created", paymentIntent);
  res.json({ clientSecret: paymentIntent.client_secret });
});

app.post("/webhook", express.raw({ type: "application/json" }), (req: Request, res: Response) => {
  const evt = stripe.webhooks.constructEvent(
    req.body,
    req.headers["stripe-signature"] as string,
    process.env.STRIPE_WEBHOOK_SECRET as string,
  );
  // ruleid: payment-data-logged
  logger.info({ evt }, "stripe webhook");
  // ruleid: payment-data-logged
  console.info("object", evt.data.object);
  res.sendStatus(200);
});

export function saveCard(card: { number: string; cvc: string }) {
  // ruleid: payment-data-logged
  console.debug("saving card", card.number, card.cvc);
}

// --- ok ---------------------------------------------------------------------

app.post("/pay-ok", async (req: Request, res: Response) => {
  // ok: payment-data-logged
  console.log("checkout", req.body.sku, req.body.quantity);
  const paymentIntent = await stripe.paymentIntents.create(
    { amount: 1500, currency: "aud" },
    { idempotencyKey: req.body.key },
  );
  // ok: payment-data-logged
  logger.info({ paymentIntent: paymentIntent.id, status: paymentIntent.status }, "created");
  res.json({ clientSecret: paymentIntent.client_secret });
});

app.post("/webhook-ok", express.raw({ type: "application/json" }), (req: Request, res: Response) => {
  const evt = stripe.webhooks.constructEvent(
    req.body,
    req.headers["stripe-signature"] as string,
    process.env.STRIPE_WEBHOOK_SECRET as string,
  );
  // ok: payment-data-logged
  logger.info({ id: evt.id, type: evt.type }, "stripe webhook");
  res.sendStatus(200);
});

// a DOM-style event handler is not a Stripe event
export function onClick(event: { type: string }) {
  // ok: payment-data-logged
  console.log("clicked", event);
}

// the shape of Stripe's own webhook samples: the type's name and the status are no payment data
app.post("/webhook-sample", express.raw({ type: "application/json" }), (req: Request, res: Response) => {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(req.body, req.headers["stripe-signature"] as string, secret);
  } catch (err) {
    res.sendStatus(400);
    return;
  }
  const data: Stripe.Event.Data = event.data;
  if (event.type === "payment_intent.succeeded") {
    const pi: Stripe.PaymentIntent = data.object as Stripe.PaymentIntent;
    // ok: payment-data-logged
    console.log(`Webhook received: ${pi.object} ${pi.status}!`);
    // ok: payment-data-logged
    console.log("payment", pi.id, pi.amount, pi.currency);
    // ruleid: payment-data-logged
    console.log("failed", pi.last_payment_error);
    // ruleid: payment-data-logged
    console.log("received", event.data.object);
  }
  res.sendStatus(200);
});
