// An Express checkout server in the shape of Stripe's Node samples.
const express = require("express");
const stripe = require("stripe")(process.env.STRIPE_SECRET_KEY);

const app = express();
const PRICES_CENTS = { tee: 2500, mug: 1200 };

app.use((req, res, next) => {
  if (req.originalUrl === "/webhook") {
    next();
  } else {
    express.json()(req, res, next);
  }
});

app.get("/config", (req, res) => {
  res.send({ publishableKey: process.env.STRIPE_PUBLISHABLE_KEY });
});

app.post("/create-payment-intent", async (req, res) => {
  const { sku, currency } = req.body;
  try {
    const paymentIntent = await stripe.paymentIntents.create({
      amount: PRICES_CENTS[sku] || 0,
      currency: currency || "usd",
      automatic_payment_methods: { enabled: true },
    });
    res.send({ clientSecret: paymentIntent.client_secret });
  } catch (e) {
    return res.status(400).send({ error: { message: e.message } });
  }
});

app.post("/webhook", express.raw({ type: "application/json" }), (req, res) => {
  let event;
  try {
    event = stripe.webhooks.constructEvent(
      req.body, req.headers["stripe-signature"], process.env.STRIPE_WEBHOOK_SECRET);
  } catch (err) {
    console.log("Webhook signature verification failed.");
    return res.sendStatus(400);
  }
  const pi = event.data.object;
  if (event.type === "payment_intent.succeeded") {
    console.log(`Webhook received: ${pi.object} ${pi.status}!`);
  } else if (event.type === "payment_intent.payment_failed") {
    console.log(`Payment failed: ${pi.id}`);
  }
  res.sendStatus(200);
});

app.listen(4242, () => console.log("listening on 4242"));
