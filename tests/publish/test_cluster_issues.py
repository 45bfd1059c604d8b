"""CLUSTER_ISSUES.md: each blocking finding one issue, under a heading that tells it
from its neighbours (file:line, or the operation an app gate found it on)."""

from __future__ import annotations

import re

from gates.model import Finding, GateResult, Severity, Status, Verdict
from gates.publish import cluster_issues


def _bola(op: str) -> Finding:
    return Finding(gate="auth", rule="bola", severity=Severity.CRITICAL, tool="gates-authprobe",
                   message=f"{op} answers bob asking for alice's object", blocking=True,
                   fingerprint="fp-" + op, extra={"operation": op, "curl": "curl -i x"})


def _verdict(*findings: Finding) -> Verdict:
    return Verdict(branch="ironwood/payments", agent="IRONWOOD", base="main",
                   branch_commit="b" * 40, base_commit="a" * 40, tree="c" * 40,
                   results=[GateResult("auth", Status.FAIL if findings else Status.PASS,
                                       findings=list(findings))],
                   passed=not findings, reasons=[], started="2026-12-01T10:00:00Z")


def test_issues_of_one_rule_on_two_operations_have_their_own_headings() -> None:
    ops = ("GET /api/invoices/{invoice_id}", "GET /api/invoices/{invoice_id}/print")
    open_, resolved = cluster_issues.update({}, [], _verdict(*map(_bola, ops)),
                                            "2026-12-01T10:00:00Z")
    body = cluster_issues.render(open_, resolved, "gates")[0].body
    headings = re.findall(r"^### .*$", body, flags=re.M)
    assert sorted(headings) == sorted(f"### 🚨 auth: `bola` in `{op}`" for op in ops), body
    # the later run that no longer sees one resolves that one only, by its operation
    open_, resolved = cluster_issues.update(open_, resolved, _verdict(_bola(ops[0])),
                                            "2026-12-01T11:00:00Z")
    assert [i.meta["location"] for i in open_.values()] == [ops[0]]
    log = cluster_issues.render(open_, resolved, "gates")[-1].body
    assert f"auth `bola` in `{ops[1]}`" in log
