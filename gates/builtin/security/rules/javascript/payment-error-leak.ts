// semgrep test target for payment-error-leak (TypeScript)
import express, { NextFunction, Request, Response } from "express";
import Stripe from "stripe";

const app = express();
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY as string);
const logger = { error: (..._args: unknown[]) => undefined };

// --- bad --------------------------------------------------------------------

app.post("/pay", async (req: Request, res: Response) => {
  try {
    const intent = await stripe.paymentIntents.create(
      { amount: 1500, currency: "aud" },
      { idempotencyKey: req.body.key },
    );
    res.json({ clientSecret: intent.client_secret });
  } catch (err: any) {
    // the whole API response is not for the customer
    // ruleid: payment-error-leak
    res.status(500).json({ error: err.message, details: err.raw });
  }
});

app.post("/refund", async (req: Request, res: Response) => {
  try {
    await stripe.refunds.create({ payment_intent: req.body.pi }, { idempotencyKey: req.body.key });
    res.sendStatus(204);
  } catch (e) {
    // ruleid: payment-error-leak
    res.status(500).send((e as Error).stack);
  }
});

app.get("/intent/:id", (req: Request, res: Response) => {
  stripe.paymentIntents
    .retrieve(req.params.id)
    .then((pi) => res.json({ status: pi.status }))
    .catch((error) => {
      // ruleid: payment-error-leak
      res.status(502).json({ error: `stripe failed: ${error}` });
    });
});

app.use((err: Error, req: Request, res: Response, next: NextFunction) => {
  // ruleid: payment-error-leak
  res.status(500).json({ message: err.message, stack: err.stack });
});

export async function POST() {
  try {
    return Response.json({ ok: true });
  } catch (error) {
    // ruleid: payment-error-leak
    return Response.json({ error: String(error) }, { status: 500 });
  }
}

// --- ok ---------------------------------------------------------------------

app.post("/pay-ok", async (req: Request, res: Response) => {
  try {
    const intent = await stripe.paymentIntents.create(
      { amount: 1500, currency: "aud" },
      { idempotencyKey: req.body.key },
    );
    res.json({ clientSecret: intent.client_secret });
  } catch (err: any) {
    logger.error("payment failed", err);
    if (err.type === "StripeCardError") {
      // ok: payment-error-leak
      res.status(402).json({ error: "Your card was declined.", code: err.code });
      return;
    }
    // ok: payment-error-leak
    res.status(500).json({ error: "Payment failed", requestId: req.get("x-request-id") });
  }
});

app.use((err: Error, req: Request, res: Response, next: NextFunction) => {
  logger.error(err);
  // ok: payment-error-leak
  res.status(500).json({ error: "Internal error" });
});

// the shape of Stripe's own Express samples: the provider's error message, shown as is
app.post("/create-payment-intent", async (req: Request, res: Response) => {
  const { currency } = req.body;
  try {
    const paymentIntent: Stripe.PaymentIntent = await stripe.paymentIntents.create({
      amount: 1999,
      currency,
      automatic_payment_methods: { enabled: true },
    });
    res.send({ clientSecret: paymentIntent.client_secret });
  } catch (e) {
    // ok: payment-error-leak
    return res.status(400).send({ error: { message: e.message } });
  }
});

app.post("/pay-card", async (req: Request, res: Response) => {
  try {
    await chargeSavedCard(req.body.orderId);
    res.json({ ok: true });
  } catch (err: any) {
    if (err.type === "StripeCardError") {
      // ok: payment-error-leak
      return res.status(402).json({ error: err.message });
    }
    // a generic error's text is still a leak
    // ruleid: payment-error-leak
    return res.status(500).json({ error: err.message });
  }
});

app.post("/pay-stack", async (req: Request, res: Response) => {
  try {
    const intent = await stripe.paymentIntents.create({ amount: 500, currency: "usd" });
    res.json({ id: intent.id });
  } catch (err) {
    // the message is Stripe's, the stack is not for the customer
    // ruleid: payment-error-leak
    res.status(500).json({ error: err.message, stack: err.stack });
  }
});

export async function GET() {
  try {
    return Response.json({ ok: true });
  } catch (error) {
    console.error(error);
    // ok: payment-error-leak
    return Response.json({ error: "internal" }, { status: 500 });
  }
}
