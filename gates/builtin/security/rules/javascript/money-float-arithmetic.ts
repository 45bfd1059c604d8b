// semgrep test target for money-float-arithmetic (TypeScript)
import Decimal from "decimal.js";
import { Request, Response } from "express";

interface Item {
  priceCents: number;
  qty: number;
}

// --- bad --------------------------------------------------------------------

export function gstFromBody(req: Request, res: Response) {
  // ruleid: money-float-arithmetic
  const total = parseFloat(req.body.total);
  // ruleid: money-float-arithmetic
  const gst = total * 0.1;
  res.json({ total, gst });
}

export function gstInclusive(totalCents: number): number {
  // ruleid: money-float-arithmetic
  const gst = totalCents / 11;
  return gst;
}

export function withTax(priceCents: number): number {
  // ruleid: money-float-arithmetic
  return Math.round(priceCents * 1.1);
}

export function cartSummary(items: Item[]) {
  const subtotal = items.reduce((sum, i) => sum + i.priceCents * i.qty, 0);
  return {
    subtotal,
    // ruleid: money-float-arithmetic
    tax: Number((subtotal * 0.15).toFixed(2)),
    // ruleid: money-float-arithmetic
    amount: Number(process.env.FLAT_AMOUNT),
  };
}

export function applyFee(order: { total: number }) {
  // ruleid: money-float-arithmetic
  order.total += 0.3;
}

export function toDollars(amountCents: number): number {
  // ruleid: money-float-arithmetic
  const dollars = Math.round(amountCents) / 100;
  // ruleid: money-float-arithmetic
  const displayPrice = dollars * 1.0;
  return displayPrice;
}

// --- ok ---------------------------------------------------------------------

export function gstCents(totalCents: number): number {
  // ok: money-float-arithmetic
  const gst = Math.round(totalCents / 11);
  return gst;
}

export function gstFloor(totalCents: number): number {
  // ok: money-float-arithmetic
  const gstCents = Math.floor((totalCents + 5) / 11);
  return gstCents;
}

export function lineTotal(item: Item): number {
  // ok: money-float-arithmetic
  const totalCents = item.priceCents * item.qty;
  return totalCents;
}

export function parsedCents(raw: string): number {
  // ok: money-float-arithmetic
  const amountCents = Number(raw);
  if (!Number.isInteger(amountCents)) {
    throw new Error("amount must be integer cents");
  }
  return amountCents;
}

export function decimalGst(total: string): string {
  // ok: money-float-arithmetic
  const gst = new Decimal(total).times("0.1").toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  return gst.toFixed(2);
}

export function label(totalCents: number): string {
  // ok: money-float-arithmetic
  return `$${(totalCents / 100).toFixed(2)}`;
}

export function share(feeCents: number, totalCents: number): number {
  // a ratio of two amounts is not itself money
  // ok: money-float-arithmetic
  const feeRatio = feeCents / totalCents;
  return feeRatio;
}
