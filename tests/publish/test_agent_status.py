"""AGENT_STATUS_<AGENT>.md and summary.md list what blocks a branch worst first (one item
per problem in AGENT_STATUS: the same rule and message in two places is one), with
rule ids as code spans a Markdown renderer shows as they are (no `\\_` inside)."""

from __future__ import annotations

import re

from gates.model import Finding, GateResult, Severity, Status, Verdict
from gates.publish import agent_status, index, summary


def _finding(gate: str, rule: str, severity: Severity, path: str | None = None,
             line: int | None = None) -> Finding:
    return Finding(gate=gate, rule=rule, message=f"{rule} <b>here</b>", severity=severity,
                   path=path, line=line, blocking=True, new=True)


def _verdict() -> Verdict:
    api = GateResult("api", Status.FAIL, findings=[
        _finding("api", "status_code_conformance", Severity.MEDIUM),
        _finding("api", "not_a_server_error", Severity.HIGH)])
    auth = GateResult("auth", Status.FAIL, findings=[_finding("auth", "bola", Severity.CRITICAL)])
    sec = GateResult("security", Status.FAIL, findings=[
        _finding("security", "money-float-arithmetic", Severity.HIGH, "app/pay.py", 9),
        _finding("security", "money-float-arithmetic", Severity.HIGH, "app/pay.py", 3)])
    return Verdict(branch="ironwood/payments", agent="IRONWOOD", base="main",
                   branch_commit="b" * 40, base_commit="a" * 40, tree="c" * 40,
                   results=[api, auth, sec], passed=False, reasons=["blocked"],
                   started="2026-12-01T10:00:00Z", report_dir="reports/ironwood__payments/bbbbbbbb")


def _rules_in_order(text: str) -> list[str]:
    return re.findall(r"`(bola|not_a_server_error|status_code_conformance|"
                      r"money-float-arithmetic)`", text)


def test_agent_status_lists_blocking_findings_worst_first_with_plain_rule_ids() -> None:
    v = _verdict()
    block = agent_status.render("IRONWOOD", {v.branch: index.entry(v)}, set(),
                                "2026-12-01T10:05:00Z")
    assert _rules_in_order(block.body) == ["bola", "not_a_server_error",
                                           "money-float-arithmetic",
                                           "status_code_conformance"], block.body
    assert "\\_" not in "".join(re.findall(r"`[^`]+`", block.body))  # code spans are literal
    # one rule, one message, two places: one item naming both, in order
    assert "- [ ] **high** `app/pay.py:3`, `app/pay.py:9` `money-float-arithmetic`: " \
        "money-float-arithmetic \\<b\\>here\\</b\\>" in block.body, block.body
    assert "<b>" not in block.body  # a tool's message is text, not markup


def test_summary_rule_ids_are_plain_code_spans() -> None:
    md = summary.render(_verdict())
    assert "`not_a_server_error` —" in md
    assert "\\_" not in "".join(re.findall(r"`[^`]+`", md))  # code spans are literal


def test_blocking_findings_are_worst_first_then_by_place() -> None:
    found = [(f.severity, f.path, f.line) for f in _verdict().blocking_findings()]
    assert found == [(Severity.CRITICAL, None, None), (Severity.HIGH, None, None),
                     (Severity.HIGH, "app/pay.py", 3), (Severity.HIGH, "app/pay.py", 9),
                     (Severity.MEDIUM, None, None)]


def test_a_finding_worth_a_look_is_listed_apart_and_never_as_blocking() -> None:
    """A finding of a rule less sure of itself (policy marks it `worth_a_look`) is shown
    under its own heading in AGENT_STATUS and in summary.md, and never as a checkbox."""
    from gates import policy

    sure = _finding("security", "stripe-webhook-unverified", Severity.CRITICAL, "api/hooks.ts", 4)
    unsure = _finding("security", "money-float-arithmetic", Severity.HIGH, "api/tax.ts", 7)
    unsure.extra["confidence"] = "medium"
    sec = policy.judge(GateResult("security", Status.PASS, findings=[sure, unsure]),
                       {"threshold": "high", "block_confidence": "high"})
    v = Verdict(branch="walnut/tax", agent="WALNUT", base="main", branch_commit="b" * 40,
                base_commit="a" * 40, tree="c" * 40, results=[sec], passed=False,
                reasons=["blocked"], started="2026-12-01T10:00:00Z",
                report_dir="reports/walnut__tax/bbbbbbbb")
    body = agent_status.render("WALNUT", {v.branch: index.entry(v)}, set(),
                               "2026-12-01T10:05:00Z").body
    blocks, _, look = body.partition("Worth a look")
    assert "- [ ] **critical** `api/hooks.ts:4` `stripe-webhook-unverified`" in blocks
    assert "money-float-arithmetic" not in blocks, body
    assert "- **high** `api/tax.ts:7` `money-float-arithmetic`" in look, body
    assert "worth a look: medium confidence" in summary.render(v)
