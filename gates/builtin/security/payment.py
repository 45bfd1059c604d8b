"""Which files are payment code, judged from what the code does: it imports or requires a
payment provider's SDK, or calls its payment or webhook API. The security gate's
`payment_threshold` applies to them wherever they live; `path_thresholds` (folder
names such as `payment*/`, `billing/`) are an addition, never the only way in.
"""

from __future__ import annotations

import re
from pathlib import Path

PROVIDERS = r"stripe|braintree|paypalcheckoutsdk|paypalrestsdk|adyen|squareup|square|mollie|razorpay"
NPM_PROVIDERS = (r"stripe|@stripe/[\w.-]+|braintree|@paypal/[\w.-]+|@adyen/[\w.-]+|square|"
                 r"@mollie/[\w.-]+|razorpay")
PAYMENT_API = re.compile(
    rf"^\s*(?:import|from)\s+(?:{PROVIDERS})\b"  # Python imports
    rf"|\brequire\(\s*['\"](?:{NPM_PROVIDERS})['\"]\s*\)"  # CommonJS
    rf"|\bfrom\s+['\"](?:{NPM_PROVIDERS})['\"]"  # ES modules
    rf"|\bimport\(\s*['\"](?:{NPM_PROVIDERS})['\"]\s*\)"
    # provider calls, wherever the client came from
    r"|\b(?:construct_event|constructEvent(?:Async)?|paymentIntents|PaymentIntent|"
    r"checkout\.sessions|checkout\.Session|stripe\.(?:Charge|Refund|Invoice|Subscription))\b",
    re.MULTILINE)
MAX_BYTES = 2_000_000  # a file bigger than this is read up to here


def is_payment_code(text: str) -> bool:
    """Does this source call a payment API or handle its webhooks?"""
    return PAYMENT_API.search(text) is not None


def payment_files(root: Path, paths: list[str]) -> set[str]:
    """Those of `paths` (relative to `root`) that are payment code."""
    out = set()
    for p in paths:
        try:
            with (root / p).open("rb") as fh:
                text = fh.read(MAX_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        if is_payment_code(text):
            out.add(p)
    return out
