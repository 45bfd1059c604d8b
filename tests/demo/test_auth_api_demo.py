"""The auth and api gates on the sample cluster, as `gates demo` builds it: IRONWOOD's
invoice download lets one member read another's invoice (blocked by auth, naming the
operation and the callers), and its v2 webhook takes unsigned events; main and WALNUT's
catalog pass both gates untouched."""

from __future__ import annotations

import pytest

from tests.conftest import run_gates
from tests.demo.conftest import Judged

pytestmark = pytest.mark.slow


def gates_of(judged: Judged, branch: str) -> dict[str, dict]:
    return {g["gate"]: g for g in judged.verdict(branch)["gates"]}


def test_ironwood_payments_is_blocked_by_auth_for_the_invoice_idor(judged_demo: Judged
                                                                    ) -> None:
    auth = gates_of(judged_demo, "ironwood/payments")["auth"]
    assert auth["status"] == "fail"
    blocking = {f["extra"]["operation"]: f for f in auth["findings"] if f["blocking"]}
    assert set(blocking) == {"GET /api/invoices/{invoice_id}",
                             "GET /api/invoices/{invoice_id}/print",
                             "POST /api/webhooks/stripe/v2"}
    idor = blocking["GET /api/invoices/{invoice_id}"]
    assert idor["rule"] == "bola" and idor["severity"] == "critical"
    assert idor["extra"]["caller"] == "bob (member) asking for alice's object"
    assert idor["message"].startswith(
        "GET /api/invoices/{invoice_id} answers bob (member) asking for alice's object "
        "(BOLA/IDOR): HTTP 200, expected 403/404 — evidence: the body is the one alice gets "
        "from the same request: {")
    assert idor["new"] and '"business_name"' in idor["extra"]["evidence"]
    assert "Bearer <token of bob>" in idor["extra"]["curl"]
    assert blocking["POST /api/webhooks/stripe/v2"]["rule"] == "webhook-signature-ignored"
    # everything else held: the same probes on the other operations were refused
    assert auth["metrics"]["holes"] == 3
    assert auth["metrics"]["tests"]["failed"] == 0  # IRONWOOD's own tests never asked
    assert "GET /api/invoices/{invoice_id} answers bob (member)" in judged_demo.output


def test_main_and_walnut_catalog_pass_auth_and_api(judged_demo: Judged) -> None:
    res = run_gates("run", "--branch", "main", "--gate", "auth,api", "--no-status",
                    cwd=judged_demo.repo, env=judged_demo.env)
    assert res.returncode == 0, res.stdout + res.stderr
    for branch in ("main", "walnut/catalog"):  # walnut/catalog: from the demo's own run
        gates = gates_of(judged_demo, branch)
        for name in ("auth", "api"):
            assert gates[name]["status"] == "pass", (branch, gates[name])
            assert gates[name]["findings"] == [], (branch, gates[name]["findings"])
        assert gates["auth"]["metrics"]["operations"] >= 16
        assert gates["auth"]["metrics"]["tests"]["passed"] >= 15
        assert gates["api"]["metrics"]["failures"] == 0
