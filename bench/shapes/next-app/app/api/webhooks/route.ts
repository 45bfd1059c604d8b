// A Next.js route handler for Stripe webhooks, in the shape of Stripe's samples.
import { NextResponse } from "next/server";
import Stripe from "stripe";

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY as string);

export async function POST(req: Request) {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(
      await req.text(),
      req.headers.get("stripe-signature") as string,
      process.env.STRIPE_WEBHOOK_SECRET as string,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : "Unknown error";
    console.log(`Error message: ${message}`);
    return NextResponse.json({ message: "Webhook error" }, { status: 400 });
  }
  if (event.type === "checkout.session.completed") {
    const session = event.data.object as Stripe.Checkout.Session;
    console.log(`Checkout session status: ${session.payment_status}`);
  }
  return NextResponse.json({ message: "Received" }, { status: 200 });
}
