"""Results to verdict: what blocks, and why. The only place that decides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gates.gate import glob_match
from gates.model import Finding, GateResult, Severity, Status


def threshold_for(path: str | None, cfg: Mapping[str, Any]) -> Severity:
    """The gate's threshold, or the strictest of the path thresholds that match."""
    levels = [
        Severity.parse(sev)
        for pattern, sev in cfg.get("path_thresholds", {}).items()
        if path is not None and glob_match(path, [pattern])
    ]
    return min(levels) if levels else Severity.parse(cfg.get("threshold", "low"))


# how sure a rule is that what it matched is the problem (semgrep registry's scale)
CONFIDENCE = {"low": 0, "medium": 1, "high": 2}


def confident(f: Finding, cfg: Mapping[str, Any]) -> bool:
    """A finding whose rule says how sure it is (`extra["confidence"]`) blocks only from
    the gate's `block_confidence` up; a finding that says nothing is taken as sure."""
    said = f.extra.get("confidence")
    if not isinstance(said, str) or said not in CONFIDENCE:
        return True
    return CONFIDENCE[said] >= CONFIDENCE[str(cfg.get("block_confidence", "low"))]


def blocks(f: Finding, cfg: Mapping[str, Any], *, sure: bool = True) -> bool:
    """Does `f` block? Without `sure`: would it, were its rule sure of itself?"""
    if f.extra.get("suppressed"):  # an audited suppression (gates.suppress)
        return False
    if cfg.get("block_on", "new") == "new" and not f.new:
        return False
    if sure and not confident(f, cfg):
        return False
    threshold = threshold_for(f.path, cfg)
    if f.extra.get("payment_code") and cfg.get("payment_threshold"):
        # payment code is judged from what the file does, wherever it lives
        threshold = min(threshold, Severity.parse(cfg["payment_threshold"]))
    return f.severity >= threshold


def judge(result: GateResult, cfg: Mapping[str, Any]) -> GateResult:
    """Mark blocking findings and derive the gate's status from them."""
    result.blocking = bool(cfg.get("blocking", True))
    for f in result.findings:
        f.blocking = blocks(f, cfg)
        if not f.blocking and blocks(f, cfg, sure=False):
            # reported as worth a look (summary, SARIF, AGENT_STATUS), not blocking
            f.extra["worth_a_look"] = True
    if result.status == Status.PASS and any(f.blocking for f in result.findings):
        result.status = Status.FAIL
    if result.status == Status.SKIPPED and cfg.get("skip_blocks", False):
        result.status = Status.FAIL
        result.reason = f"skipped, and skips block this gate: {result.reason}"
    return result


def decide(results: list[GateResult]) -> tuple[bool, list[str]]:
    """(passed, reasons). Fail closed: `error` blocks like `fail`."""
    reasons = []
    for r in results:
        if not r.blocks:
            continue
        if r.status == Status.ERROR:
            reasons.append(f"{r.gate}: error: {r.reason}")
        else:
            n = sum(1 for f in r.findings if f.blocking)
            what = f"{n} blocking finding{'s' if n != 1 else ''}" if n else (r.reason or "failed")
            reasons.append(f"{r.gate}: {what}")
    return not reasons, reasons
