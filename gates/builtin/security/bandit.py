"""bandit for the security gate: running it on Python files, reading its JSON report.

bandit's severity × confidence maps as follows (see `bandit_severity`):

    bandit severity   confidence        gates
    HIGH              HIGH or MEDIUM    high
    HIGH              LOW               medium
    MEDIUM            any               medium
    LOW               any               low

A file bandit could not parse is a `bandit-parse-error` finding (medium); any other
error bandit reports fails the gate. The tests whose message quotes the password
they found (REDACT) never show it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from gates import scan
from gates.builtin.security import output
from gates.gate import GateContext, GateError, glob_match
from gates.model import Finding, Severity

# bandit tests whose message quotes the string they found (a password): never shown
REDACT = {"B105", "B106", "B107"}


def bandit_severity(severity: str, confidence: str) -> Severity:
    severity, confidence = severity.upper(), confidence.upper()
    if severity == "HIGH":
        return Severity.HIGH if confidence in ("HIGH", "MEDIUM") else Severity.MEDIUM
    if severity == "MEDIUM":
        return Severity.MEDIUM
    return Severity.LOW


def parse_bandit(raw: str) -> list[Finding]:
    data = output.load("bandit", raw)
    findings = []
    for err in data.get("errors") or []:
        reason = str(err.get("reason", ""))
        if "syntax error" not in reason.lower():
            raise GateError(f"bandit could not scan {output.rel(err.get('filename', '?'))}: "
                            f"{reason}")
        findings.append(Finding(
            gate="security", rule="bandit-parse-error", tool="bandit", severity=Severity.MEDIUM,
            path=output.rel(err["filename"]),
            message="bandit could not parse this file (syntax error), so it was not checked",
        ))
    for item in data.get("results") or []:
        test_id = str(item.get("test_id", "bandit"))
        text = str(item.get("issue_text", ""))
        if test_id in REDACT:
            text = re.sub(r":\s*'.*$", "", text) + " (value not shown)"
        cwe = (item.get("issue_cwe") or {}).get("id")
        findings.append(Finding(
            gate="security", rule=test_id, tool="bandit",
            message=f"{text} ({item.get('test_name', '')})",
            severity=bandit_severity(item.get("issue_severity", "LOW"),
                                     item.get("issue_confidence", "LOW")),
            path=output.rel(item["filename"]), line=item.get("line_number"),
            end_line=max(item.get("line_range") or [0]) or None,
            extra={k: v for k, v in {
                "url": item.get("more_info"), "cwe": f"CWE-{cwe}" if cwe else None,
                "confidence": str(item.get("issue_confidence", "")).lower(),
                "sensitive": test_id in REDACT,  # its source line holds the password
            }.items() if v},
        ))
    return findings


def run_bandit(ctx: GateContext, root: Path, files: list[str]) -> list[Finding]:
    """bandit's findings in `files` under `root` (before `bandit_skip_in_tests`)."""
    if not files:
        return []
    cfg = ctx.config
    skip = ["-s", ",".join(cfg["bandit_skip"])] if cfg["bandit_skip"] else []
    res = ctx.run([cfg["bandit"], "-f", "json", "-q", "--ignore-nosec", *skip, "--", *files],
                  cwd=root)
    if res.returncode not in (0, 1):
        raise GateError(f"bandit failed (exit {res.returncode}): {res.output[-400:]}")
    return parse_bandit(res.stdout)


def skipped_in_tests(f: Finding, rules: Sequence[str], test_paths: Sequence[str]) -> bool:
    """A finding of a rule the config skips in tests (`bandit_skip_in_tests`), in a test."""
    return f.rule in rules and f.path is not None and glob_match(f.path, test_paths)


def bandit_version(ctx: GateContext) -> str:
    out = scan.probe(ctx, [ctx.config["bandit"], "--version"])
    return out.split()[1] if len(out.split()) > 1 else out.strip()
