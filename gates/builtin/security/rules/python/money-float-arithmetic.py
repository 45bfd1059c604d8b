"""semgrep test target for money-float-arithmetic (Python)."""

import logging
import math
from decimal import ROUND_HALF_UP, Decimal

log = logging.getLogger(__name__)
CENTS = Decimal("0.01")
GST_RATE = 0.1


# --- bad -------------------------------------------------------------------------


def gst_from_float(total: str) -> float:
    # ruleid: money-float-arithmetic
    gst = float(total) * 0.1
    return gst


def gst_inclusive(total: int) -> float:
    # ruleid: money-float-arithmetic
    gst = total / 11
    return gst


def price_with_gst(price_cents: int) -> int:
    # ruleid: money-float-arithmetic
    return round(price_cents * 1.1)


def cart_totals(items: list[dict]) -> dict:
    # ruleid: money-float-arithmetic
    subtotal = sum(float(item["price"]) * item["qty"] for item in items)
    return {
        "subtotal": subtotal,
        # ruleid: money-float-arithmetic
        "gst": round(subtotal * 0.1, 2),
        # ruleid: money-float-arithmetic
        "total": round(subtotal / 0.9, 2),
    }


def card_fee(order) -> None:
    # ruleid: money-float-arithmetic
    order.fee = order.amount * 0.029 + 30


def discounted(amount_cents: int, pct: int) -> int:
    # ruleid: money-float-arithmetic
    discount = amount_cents * pct / 100
    return int(amount_cents - discount)


def apply_tax(line) -> None:
    # ruleid: money-float-arithmetic
    line.total *= 1.1


def compute_tax(subtotal_cents: int) -> float:
    # ruleid: money-float-arithmetic
    return subtotal_cents * 0.15


# --- ok: integer cents, Decimal with explicit rounding, display formatting -------


def gst_cents_floor(total_cents: int) -> int:
    # ok: money-float-arithmetic
    gst_cents = total_cents // 11
    return gst_cents


def gst_cents_rounded(total: int) -> int:
    # ok: money-float-arithmetic
    gst = (total + 5) // 11
    return gst


def gst_decimal(total_cents: int) -> Decimal:
    # ok: money-float-arithmetic
    gst = (Decimal(total_cents) / 11).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return gst


def gst_decimal_rate(total: Decimal) -> Decimal:
    # ok: money-float-arithmetic
    gst = (total * Decimal("0.1")).quantize(CENTS, rounding=ROUND_HALF_UP)
    # ok: money-float-arithmetic
    price_ex_gst = total / 11 * 10
    return gst + price_ex_gst


def tax_from_string(amount: str) -> Decimal:
    amount_d = Decimal(amount)
    # ok: money-float-arithmetic
    tax = amount_d / 11
    return tax.quantize(CENTS, rounding=ROUND_HALF_UP)


def line_total(unit_price_cents: int, quantity: int) -> int:
    # ok: money-float-arithmetic
    total_cents = unit_price_cents * quantity
    return total_cents


def gst_round_int(total_cents: int) -> int:
    # ok: money-float-arithmetic
    gst_cents = round(total_cents / 11)
    # ok: money-float-arithmetic
    fee_cents = math.ceil(total_cents / 40)
    return gst_cents + fee_cents


def show(total_cents: int) -> str:
    # ok: money-float-arithmetic
    log.info("order total %.2f", total_cents / 100)
    # ok: money-float-arithmetic
    return f"${total_cents / 100:.2f}"


def stats(count: int, total_items: int) -> float:
    # ok: money-float-arithmetic
    average_items = total_items / count
    # ok: money-float-arithmetic
    tax_rate_pct = GST_RATE * 100.0
    return average_items + tax_rate_pct


def fee_share(fee_cents: int, total_cents: int) -> float:
    # a ratio of two amounts is not itself money
    # ok: money-float-arithmetic
    share = fee_cents / total_cents
    return share
