"""The security gate on the shapes real payment code takes, through the real CLI:

- the shapes of Stripe's official samples (the provider's typed error shown to the
  customer, the object's type and status logged) give no blocking finding, in a folder
  whose name says nothing about payments as in one that does;
- the two holes found in a real repository are blocking findings, in TypeScript and in
  Python: a webhook route that answers every POST without verifying a signature, and a
  payment record whose amount comes from the request body with no Stripe call in sight;
- the verdict on payment code comes from the code, not from the folder's name.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.conftest import GitRepo, run_gates

SAMPLE_TS = """
import express from "express";
import Stripe from "stripe";

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY as string);
export const router = express.Router();

router.post("/create-payment-intent", async (req, res) => {
  try {
    const paymentIntent = await stripe.paymentIntents.create({
      amount: 1999, currency: "usd", automatic_payment_methods: { enabled: true },
    });
    res.send({ clientSecret: paymentIntent.client_secret });
  } catch (e) {
    return res.status(400).send({ error: { message: e.message } });
  }
});

router.post("/webhook", express.raw({ type: "application/json" }), (req, res) => {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(
      req.body, req.headers["stripe-signature"] as string, process.env.WHSEC as string);
  } catch (err) {
    return res.sendStatus(400);
  }
  const pi = event.data.object as Stripe.PaymentIntent;
  console.log(`Webhook received: ${pi.object} ${pi.status}`);
  res.sendStatus(200);
});
"""
SAMPLE_PY = """
import os

import stripe
from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/create-payment-intent", methods=["POST"])
def create_payment():
    try:
        intent = stripe.PaymentIntent.create(amount=1999, currency="usd",
                                            idempotency_key=os.urandom(8).hex())
        return jsonify({"clientSecret": intent.client_secret})
    except stripe.error.StripeError as e:
        return jsonify({"error": {"message": str(e)}}), 400
"""
# the two holes of a real TypeScript/Express/Prisma repository, as they were written
HOLES_TS = """
import express from "express";
import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();
export const router = express.Router();

router.post('/webhook', async (req, res) => {
  res.json({ success: true });
});

router.post('/payments', async (req, res) => {
  const { amount, bookingId } = req.body;
  await prisma.payment.create({
    data: { bookingId, amount: parseFloat(amount), totalAmount: parseFloat(amount) * 1.10, status: 'PENDING' },
  });
  res.json({ ok: true });
});
"""
HOLES_PY = """
from fastapi import FastAPI, Request

from shop.models import Payment

app = FastAPI()


@app.post("/webhook")
async def webhook(request: Request):
    return {"success": True}


@app.post("/payments")
async def record_payment(request: Request):
    body = await request.json()
    payment = Payment.objects.create(booking_id=body["booking_id"], amount=body["amount"])
    return {"id": payment.id}
"""


def blocking_of(repo: GitRepo, branch: str) -> list[tuple[str, str, int]]:
    v = json.loads(repo.read("reports/latest.json"))["branches"][branch]
    verdict = json.loads((repo.path / v["report_dir"] / "verdict.json").read_text())
    return sorted((f["rule"], f["path"], f["line"]) for g in verdict["gates"]
                  for f in g["findings"] if f["blocking"] and g["gate"] == "security")


def line_of(text: str, needle: str) -> int:
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    return next(i for i, ln in enumerate(lines, start=1) if needle in ln)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    r = GitRepo(tmp_path_factory.mktemp("shapes") / "repo")
    r.commit({"gates.toml": '[agents]\nwalnut = "frontend"\nironwood = "payments"\n',
              "README.md": "shop\n"}, "init")
    for folder in ("src/checkout", "src/payments"):
        r.branch(f"walnut/{folder.rsplit('/', 1)[-1]}", {
            f"{folder}/server.ts": textwrap.dedent(SAMPLE_TS).lstrip("\n"),
            f"{folder}/server.py": textwrap.dedent(SAMPLE_PY).lstrip("\n"),
        }, "WALNUT: checkout in the shape of Stripe's samples")
    r.branch("ironwood/holes", {
        "src/routes/bookings.ts": textwrap.dedent(HOLES_TS).lstrip("\n"),
        "shop/api.py": textwrap.dedent(HOLES_PY).lstrip("\n"),
    }, "IRONWOOD: bookings")
    return r


@pytest.mark.parametrize("branch", ["walnut/checkout", "walnut/payments"])
def test_stripe_sample_shapes_never_block_wherever_they_live(shop: GitRepo, branch: str) -> None:
    res = run_gates("run", "--branch", branch, "--gate", "security", "--no-status", cwd=shop.path)
    assert blocking_of(shop, branch) == []
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_two_holes_of_real_code_block_in_typescript_and_python(shop: GitRepo) -> None:
    res = run_gates("run", "--branch", "ironwood/holes", "--gate", "security", "--no-status",
                    cwd=shop.path)
    assert res.returncode == 1, res.stdout + res.stderr
    found = blocking_of(shop, "ironwood/holes")
    expected = [
        ("payment-amount-from-client", "shop/api.py", line_of(HOLES_PY, "Payment.objects.create")),
        ("payment-amount-from-client", "src/routes/bookings.ts", line_of(HOLES_TS, "data: {")),
        ("stripe-webhook-unverified", "shop/api.py", line_of(HOLES_PY, '@app.post("/webhook")')),
        ("stripe-webhook-unverified", "src/routes/bookings.ts",
         line_of(HOLES_TS, "router.post('/webhook'")),
    ]
    assert set(expected) <= set(found), found
    # the float GST on the same lines is still found (worth a look: a medium-confidence rule)
    v = json.loads(shop.read("reports/latest.json"))["branches"]["ironwood/holes"]
    assert ("money-float-arithmetic", f"src/routes/bookings.ts:{line_of(HOLES_TS, 'data: {')}") \
        in {(f["rule"], f["location"]) for f in v["worth_a_look"]}
