// semgrep test target for stripe-webhook-unverified (TypeScript)
import crypto from "crypto";
import express, { Request, Response } from "express";
import Stripe from "stripe";

const app = express();
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY as string);
const endpointSecret = process.env.STRIPE_WEBHOOK_SECRET as string;
const router = express.Router();
const ghSecret = process.env.GITHUB_WEBHOOK_SECRET as string;

declare function markPaid(id: string): Promise<void>;

// --- bad --------------------------------------------------------------------

app.post("/webhooks/stripe", express.json(), async (req: Request, res: Response) => {
  // ruleid: stripe-webhook-unverified
  const event = req.body;
  switch (event.type) {
    case "checkout.session.completed":
      await markPaid(event.data.object.client_reference_id);
      break;
    default:
      break;
  }
  res.json({ received: true });
});

app.post("/stripe/events", express.text({ type: "*/*" }), async (req, res) => {
  // ruleid: stripe-webhook-unverified
  const event = JSON.parse(req.body);
  if (event.type === "payment_intent.succeeded") {
    await markPaid(event.data.object.metadata.orderId);
  }
  res.sendStatus(200);
});

app.post("/hooks/payments", express.json(), async (req, res) => {
  // ruleid: stripe-webhook-unverified
  if (req.body.type === "invoice.paid") {
    await markPaid(req.body.data.object.id);
  }
  res.sendStatus(200);
});

// Next.js route handler
export async function POST(request: Request & { json(): Promise<any> }) {
  // ruleid: stripe-webhook-unverified
  const event = await request.json();
  if (event.type === "checkout.session.completed") {
    await markPaid(event.data.object.id);
  }
  return new Response("ok");
}

async function handleStripeWebhook(req: Request, res: Response) {
  // ruleid: stripe-webhook-unverified
  const { type, data } = req.body;
  if (type === "charge.refunded") {
    await markPaid(data.object.id);
  }
  res.sendStatus(200);
}

// --- ok ---------------------------------------------------------------------

app.post(
  "/webhooks/stripe-verified",
  express.raw({ type: "application/json" }),
  async (req: Request, res: Response) => {
    let event: Stripe.Event;
    try {
      event = stripe.webhooks.constructEvent(
        req.body,
        req.headers["stripe-signature"] as string,
        endpointSecret,
      );
    } catch (err) {
      res.status(400).send("invalid signature");
      return;
    }
    switch (event.type) {
      case "checkout.session.completed":
        // ok: stripe-webhook-unverified
        await markPaid((event.data.object as Stripe.Checkout.Session).id);
        break;
      default:
        break;
    }
    res.json({ received: true });
  },
);

export async function verifiedRouteHandler(request: Request & { text(): Promise<string> }) {
  const body = await request.text();
  const sig = request.headers["stripe-signature"] as string;
  const event = await stripe.webhooks.constructEventAsync(body, sig, endpointSecret);
  if (event.type === "payment_intent.succeeded") {
    // ok: stripe-webhook-unverified
    await markPaid(event.data.object.id);
  }
  return new Response("ok");
}

async function handleStripeWebhookVerified(req: Request, res: Response) {
  const event = stripe.webhooks.constructEvent(
    req.body,
    req.headers["stripe-signature"] as string,
    endpointSecret,
  );
  // ok: stripe-webhook-unverified
  const { type, data } = event;
  if (type === "charge.refunded") {
    await markPaid((data.object as Stripe.Charge).id);
  }
  res.sendStatus(200);
}

app.post("/api/cart", express.json(), (req, res) => {
  // ok: stripe-webhook-unverified
  const action = req.body;
  if (action.type === "add") {
    res.json({ items: [action.sku] });
    return;
  }
  res.json({ items: [] });
});

app.post("/api/stripe/create-checkout-session", express.json(), async (req, res) => {
  // creating a session is not receiving an event
  // ok: stripe-webhook-unverified
  const { priceId } = req.body;
  const session = await stripe.checkout.sessions.create({
    mode: "payment",
    line_items: [{ price: priceId, quantity: 1 }],
    success_url: "https://shop.example/ok",
  });
  res.json({ url: session.url });
});

export { handleStripeWebhook, handleStripeWebhookVerified };

// a placeholder webhook route: it answers every POST and verifies nothing
// ruleid: stripe-webhook-unverified
router.post('/webhook', async (req, res) => {
  res.json({ success: true });
});

// ok: stripe-webhook-unverified
router.post("/webhooks/stripe", express.raw({ type: "application/json" }), async (req, res) => {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(req.body, req.headers["stripe-signature"] as string, endpointSecret);
  } catch (err) {
    res.status(400).send("bad signature");
    return;
  }
  res.json({ received: true, id: event.id });
});

// a GitHub-style webhook checked with an HMAC of the raw body
// ok: stripe-webhook-unverified
app.post("/hooks/github-webhook", express.raw({ type: "*/*" }), (req, res) => {
  const want = crypto.createHmac("sha256", ghSecret).update(req.body).digest("hex");
  const got = String(req.headers["x-hub-signature-256"] || "").replace("sha256=", "");
  if (!crypto.timingSafeEqual(Buffer.from(want), Buffer.from(got))) return res.sendStatus(401);
  res.sendStatus(204);
});

// a Next.js route handler for webhooks that answers every POST
// ruleid: stripe-webhook-unverified
export async function stripeWebhookHandler(request: Request) {
  return Response.json({ received: true });
}

// ok: stripe-webhook-unverified
router.get("/webhook/health", async (req, res) => {
  res.json({ ok: true });
});

// a helper that verifies through the payment provider's service is no handler
// ok: stripe-webhook-unverified
function constructWebhook({ signature, body }: { signature: string; body: Buffer }) {
  return stripe.webhooks.constructEvent(body, signature, endpointSecret);
}

class StripeController {
  constructor(private stripeService: { constructEventFromPayload: (...a: unknown[]) => Promise<void> }) {}

  // the body is read to find the order, then the signature is checked on the raw body
  async webhook(signature: string, request: any, response: any) {
    // ok: stripe-webhook-unverified
    const event = JSON.parse(request.body.toString());
    try {
      await this.stripeService.constructEventFromPayload(event.data.object, request.rawBody, signature);
    } catch (e) {
      response.status(400).send("bad signature");
      return;
    }
    response.status(200).send("ok");
  }
}

// compiled TypeScript: a verification helper named construct… reads `body` from its argument
// ok: stripe-webhook-unverified
function constructStripeWebhook(_a: any) {
  var signature = _a.signature, body = _a.body, container = _a.container;
  return container.resolve("pp_stripe").constructWebhookEvent(body, signature);
}
