// semgrep test target for payment-amount-from-client (TypeScript)
import express, { Request, Response } from "express";
import Stripe from "stripe";

const app = express();
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY as string);
const PRICES_CENTS: Record<string, number> = { basic: 1500, pro: 4900 };

declare const db: {
  product: { findUnique(args: { where: { id: string } }): Promise<{ priceCents: number }> };
};
declare function priceFor(sku: string): number;
declare const prisma: any;
declare const Order: any;
const router = express.Router();

// --- bad --------------------------------------------------------------------

app.post("/pay", async (req: Request, res: Response) => {
  const intent = await stripe.paymentIntents.create(
    {
      // ruleid: payment-amount-from-client
      amount: req.body.amount,
      currency: "aud",
    },
    { idempotencyKey: req.body.idempotencyKey },
  );
  res.json({ clientSecret: intent.client_secret });
});

app.post("/pay-destructured", async (req: Request, res: Response) => {
  const { total, currency } = req.body;
  const intent = await stripe.paymentIntents.create(
    {
      // ruleid: payment-amount-from-client
      amount: Math.round(Number(total) * 100),
      currency,
    },
    { idempotencyKey: req.get("Idempotency-Key") },
  );
  res.json({ clientSecret: intent.client_secret });
});

app.get("/pay-link", async (req: Request, res: Response) => {
  const cents = parseInt(req.query.price as string, 10);
  const session = await stripe.checkout.sessions.create({
    mode: "payment",
    // ruleid: payment-amount-from-client
    line_items: [
      {
        price_data: { currency: "aud", unit_amount: cents, product_data: { name: "Tool hire" } },
        quantity: 1,
      },
    ],
    success_url: "https://shop.example/ok",
  });
  res.redirect(session.url as string);
});

export async function POST(request: Request & { json(): Promise<any> }) {
  const body = await request.json();
  const params = { amount: body.amountCents, currency: "aud" };
  // ruleid: payment-amount-from-client
  const intent = await stripe.paymentIntents.create(params, { idempotencyKey: body.key });
  return Response.json({ clientSecret: intent.client_secret });
}

app.post("/invoice-items", async (req: Request, res: Response) => {
  await stripe.invoiceItems.create({
    customer: req.body.customer,
    // ruleid: payment-amount-from-client
    amount: req.body.fee,
    currency: "aud",
  });
  res.sendStatus(201);
});

// --- ok: the amount is computed server-side -------------------------------------

app.post("/pay-sku", async (req: Request, res: Response) => {
  const unitCents = PRICES_CENTS[req.body.sku];
  const intent = await stripe.paymentIntents.create(
    {
      // ok: payment-amount-from-client
      amount: unitCents * Number(req.body.quantity),
      currency: "aud",
    },
    { idempotencyKey: req.body.idempotencyKey },
  );
  res.json({ clientSecret: intent.client_secret });
});

app.post("/pay-db", async (req: Request, res: Response) => {
  const product = await db.product.findUnique({ where: { id: req.body.productId } });
  const intent = await stripe.paymentIntents.create(
    {
      // ok: payment-amount-from-client
      amount: product.priceCents * req.body.quantity,
      currency: "aud",
    },
    { idempotencyKey: req.body.idempotencyKey },
  );
  res.json({ clientSecret: intent.client_secret });
});

app.post("/checkout-price-id", async (req: Request, res: Response) => {
  const session = await stripe.checkout.sessions.create({
    mode: "payment",
    // ok: payment-amount-from-client
    line_items: [{ price: req.body.priceId, quantity: Number(req.body.quantity) }],
    success_url: "https://shop.example/ok",
  });
  res.json({ url: session.url });
});

app.post("/checkout-lookup", async (req: Request, res: Response) => {
  const totalCents = priceFor(req.body.sku) * Number(req.body.quantity);
  const session = await stripe.checkout.sessions.create({
    mode: "payment",
    // ok: payment-amount-from-client
    line_items: [
      {
        price_data: { currency: "aud", unit_amount: totalCents, product_data: { name: "Hire" } },
        quantity: 1,
      },
    ],
    success_url: "https://shop.example/ok",
  });
  res.json({ url: session.url });
});

// a payment record whose amount the client chose, with no Stripe call in the handler
router.post("/payments", async (req: Request, res: Response) => {
  const { amount, orderId } = req.body;
  const payment = await prisma.payment.create({
    // ruleid: payment-amount-from-client
    data: {
      orderId,
      amount: parseFloat(amount),
      totalAmount: parseFloat(amount) * 1.10,
      status: "pending",
    },
  });
  res.json({ id: payment.id });
});

router.post("/orders", async (req: Request, res: Response) => {
  // ruleid: payment-amount-from-client
  const order = await Order.create({ userId: req.user.id, total: req.body.total });
  res.json({ id: order.id });
});

// the amount computed on the server from the catalogue: ok
router.post("/orders-ok", async (req: Request, res: Response) => {
  const { productId, quantity } = req.body;
  const product = await prisma.product.findUniqueOrThrow({ where: { id: productId } });
  const order = await prisma.order.create({
    // ok: payment-amount-from-client
    data: { productId, quantity, amountCents: product.priceCents * quantity },
  });
  res.json({ id: order.id });
});
