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
    // ruleid: payment-error-leak
    res.status(500).json({ error: err.message });
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

export async function GET() {
  try {
    return Response.json({ ok: true });
  } catch (error) {
    console.error(error);
    // ok: payment-error-leak
    return Response.json({ error: "internal" }, { status: 500 });
  }
}
