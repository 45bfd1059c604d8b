"""gates.policy: which findings block, a gate's status from them, and the verdict.

Covered elsewhere: one matching path threshold (tests/builtin/security/test_gate.py),
suppressed findings never block (tests/test_suppress.py), `block_on = "all"` through a
whole run (tests/commands/test_run.py::test_new_lint_finding_blocks_existing_does_not).
"""

from __future__ import annotations

from typing import Any

import pytest

from gates import policy
from gates.model import Finding, GateResult, Severity, Status


def finding(severity: Severity, *, new: bool = True, path: str | None = "app/x.py",
            rule: str = "R1") -> Finding:
    return Finding(gate="tiny", rule=rule, message="m", severity=severity, path=path, line=1,
                   new=new)


def judged(findings: list[Finding], cfg: dict[str, Any] | None = None,
           status: Status = Status.PASS) -> GateResult:
    return policy.judge(GateResult(gate="tiny", status=status, findings=findings), cfg or {})


@pytest.mark.parametrize(("severity", "blocks"), [
    (Severity.INFO, False), (Severity.LOW, False), (Severity.MEDIUM, True),
    (Severity.HIGH, True), (Severity.CRITICAL, True),
])
def test_a_new_finding_blocks_from_the_threshold_up(severity: Severity, blocks: bool) -> None:
    assert policy.blocks(finding(severity), {"threshold": "medium"}) is blocks


def test_an_existing_finding_blocks_only_when_block_on_is_all() -> None:
    old = finding(Severity.CRITICAL, new=False)
    assert not policy.blocks(old, {"threshold": "low"})
    assert not policy.blocks(old, {"threshold": "low", "block_on": "new"})
    assert policy.blocks(old, {"threshold": "low", "block_on": "all"})
    # block_on = "all" still honours the threshold
    assert not policy.blocks(finding(Severity.LOW, new=False),
                             {"threshold": "high", "block_on": "all"})


def test_without_a_threshold_everything_from_low_blocks() -> None:
    assert policy.threshold_for("app/x.py", {}) == Severity.LOW
    assert not policy.blocks(finding(Severity.INFO), {})
    assert policy.blocks(finding(Severity.LOW), {})


def test_the_strictest_matching_path_threshold_wins() -> None:
    cfg = {"threshold": "critical",
           "path_thresholds": {"app/**": "high", "*.py": "medium", "web/**": "info"}}
    assert policy.threshold_for("app/pay.py", cfg) == Severity.MEDIUM  # app/** and *.py
    assert policy.threshold_for("app/pay.ts", cfg) == Severity.HIGH
    assert policy.threshold_for("docs/x.md", cfg) == Severity.CRITICAL  # none: the gate's
    assert policy.threshold_for(None, cfg) == Severity.CRITICAL  # a finding without a path
    assert policy.blocks(finding(Severity.MEDIUM, path="app/pay.py"), cfg)
    assert not policy.blocks(finding(Severity.MEDIUM, path="app/pay.ts"), cfg)


def test_judge_marks_blocking_findings_and_fails_the_gate() -> None:
    new, low, old = (finding(Severity.HIGH), finding(Severity.INFO),
                     finding(Severity.HIGH, new=False))
    result = judged([new, low, old], {"threshold": "medium"})
    assert result.status == Status.FAIL and result.blocking
    assert [f.blocking for f in (new, low, old)] == [True, False, False]
    assert result.findings == [new, low, old]  # nothing dropped from the report


def test_findings_below_the_threshold_leave_a_pass() -> None:
    result = judged([finding(Severity.LOW), finding(Severity.HIGH, new=False)],
                    {"threshold": "medium"})
    assert result.status == Status.PASS and not any(f.blocking for f in result.findings)
    assert policy.decide([result]) == (True, [])


def test_judge_never_turns_an_error_or_a_skip_into_a_pass() -> None:
    error = judged([], status=Status.ERROR)
    assert error.status == Status.ERROR
    skipped = judged([], status=Status.SKIPPED)
    assert skipped.status == Status.SKIPPED


def test_an_error_blocks_and_a_skip_does_not() -> None:
    error = policy.judge(GateResult.error("perf", "locust is not installed"), {})
    skipped = policy.judge(GateResult.skipped("e2e", "no browser tests"), {})
    passed = judged([])
    assert policy.decide([passed, skipped]) == (True, [])
    assert policy.decide([passed, skipped, error]) == (
        False, ["perf: error: locust is not installed"])


def test_skip_blocks_turns_a_skip_into_a_failure_that_says_why() -> None:
    skipped = policy.judge(GateResult.skipped("e2e", "no browser tests"), {"skip_blocks": True})
    assert skipped.status == Status.FAIL
    assert skipped.reason == "skipped, and skips block this gate: no browser tests"
    assert policy.decide([skipped]) == (
        False, ["e2e: skipped, and skips block this gate: no browser tests"])


def test_a_non_blocking_gate_fails_without_failing_the_verdict() -> None:
    result = judged([finding(Severity.HIGH)], {"blocking": False})
    assert result.status == Status.FAIL and not result.blocking
    error = policy.judge(GateResult.error("perf", "crashed"), {"blocking": False})
    assert policy.decide([result, error]) == (True, [])


def test_the_reasons_count_blocking_findings_per_gate() -> None:
    one = judged([finding(Severity.HIGH), finding(Severity.LOW, new=False)])
    two = judged([finding(Severity.HIGH), finding(Severity.MEDIUM)])
    two.gate = "security"
    failed = GateResult(gate="merge", status=Status.FAIL, reason="merge conflict with main")
    policy.judge(failed, {})
    passed, reasons = policy.decide([one, two, failed])
    assert not passed
    assert reasons == ["tiny: 1 blocking finding", "security: 2 blocking findings",
                       "merge: merge conflict with main"]


def sure(severity: Severity, confidence: str | None, **kw: Any) -> Finding:
    f = finding(severity, **kw)
    if confidence:
        f.extra["confidence"] = confidence
    return f


@pytest.mark.parametrize(("confidence", "wanted", "blocks"), [
    ("high", "high", True), ("medium", "high", False), ("low", "high", False),
    ("medium", "medium", True), ("low", "medium", False), ("low", "low", True),
    (None, "high", True),  # a finding whose rule says nothing is taken as sure
])
def test_only_findings_of_rules_sure_enough_block(confidence: str | None, wanted: str,
                                                  blocks: bool) -> None:
    cfg = {"threshold": "medium", "block_confidence": wanted}
    assert policy.blocks(sure(Severity.HIGH, confidence), cfg) is blocks


def test_a_less_sure_finding_is_worth_a_look_and_not_blocking() -> None:
    held, low_sev, old = (sure(Severity.HIGH, "medium"), sure(Severity.LOW, "medium"),
                          sure(Severity.HIGH, "low", new=False))
    r = judged([held, low_sev, old], {"threshold": "medium", "block_confidence": "high"})
    assert r.status == Status.PASS and not any(f.blocking for f in r.findings)
    # only what would have blocked, were its rule sure, is worth a look
    assert held.extra.get("worth_a_look") is True
    assert "worth_a_look" not in low_sev.extra and "worth_a_look" not in old.extra


def test_payment_code_is_judged_from_the_code_not_the_folder() -> None:
    cfg = {"threshold": "high", "payment_threshold": "medium",
           "path_thresholds": {"**/payments/**": "medium"}}
    elsewhere = finding(Severity.MEDIUM, path="src/shop/checkout.ts")
    assert not policy.blocks(elsewhere, cfg)
    elsewhere.extra["payment_code"] = True  # the security gate saw it call a payment API
    assert policy.blocks(elsewhere, cfg)
    # the folder glob still counts, as an addition
    assert policy.blocks(finding(Severity.MEDIUM, path="app/payments/x.py"), cfg)


def test_a_suppressed_finding_never_blocks() -> None:
    """gates.suppress marks an audited suppression; the policy honours only that mark."""
    f = finding(Severity.CRITICAL)
    assert policy.blocks(f, {"threshold": "low"})
    f.extra["suppressed"] = {"reason": "false positive", "expires": "2099-01-01"}
    assert not policy.blocks(f, {"threshold": "low", "block_on": "all"})


def test_a_confidence_the_scale_does_not_know_is_taken_as_sure() -> None:
    """A rule of someone else's that says "certain" or "HIGH" must not crash the policy
    nor be let through: it blocks as a finding that said nothing would."""
    for said in ("certain", "HIGH", ""):
        f = sure(Severity.HIGH, None)
        f.extra["confidence"] = said
        assert policy.blocks(f, {"threshold": "medium", "block_confidence": "high"})


def test_without_block_confidence_a_finding_of_any_confidence_blocks() -> None:
    for said in ("low", "medium", "high"):
        assert policy.blocks(sure(Severity.HIGH, said), {"threshold": "medium"})


def test_a_failed_gate_without_findings_or_reason_says_failed() -> None:
    bare = policy.judge(GateResult(gate="api", status=Status.FAIL), {})
    assert policy.decide([bare]) == (False, ["api: failed"])
