// An Express checkout server in TypeScript, in the shape of Stripe's samples.
import express, { Request, Response } from "express";
import Stripe from "stripe";

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY as string);
const app = express();
const PRICES_CENTS: Record<string, number> = { tee: 2500, mug: 1200 };

app.post("/create-payment-intent", express.json(), async (req: Request, res: Response): Promise<void> => {
  const { sku, currency }: { sku: string; currency: string } = req.body;
  const params: Stripe.PaymentIntentCreateParams = {
    amount: PRICES_CENTS[sku] ?? 0,
    currency,
    automatic_payment_methods: { enabled: true },
  };
  try {
    const paymentIntent: Stripe.PaymentIntent = await stripe.paymentIntents.create(params);
    res.send({ clientSecret: paymentIntent.client_secret });
  } catch (e) {
    res.status(400).send({ error: { message: e.message } });
  }
});

app.post("/webhook", express.raw({ type: "application/json" }), async (req: Request, res: Response): Promise<void> => {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(
      req.body, req.headers["stripe-signature"] as string, process.env.STRIPE_WEBHOOK_SECRET as string);
  } catch (err) {
    console.log("Webhook signature verification failed.");
    res.sendStatus(400);
    return;
  }
  const data: Stripe.Event.Data = event.data;
  if (event.type === "payment_intent.succeeded") {
    const pi: Stripe.PaymentIntent = data.object as Stripe.PaymentIntent;
    console.log(`Webhook received: ${pi.object} ${pi.status}!`);
  }
  res.sendStatus(200);
});

app.listen(4242);
