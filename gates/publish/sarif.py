"""SARIF 2.1.0: one run per tool, partial fingerprints, baseline state."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from gates.model import Finding, Severity, Status, Verdict

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}
# GitHub code scanning reads `security-severity` (0–10) to rank security alerts
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "7.5", Severity.MEDIUM: "5.0",
                     Severity.LOW: "2.0", Severity.INFO: "0.0"}


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    res: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": f.message or f.rule},
        "partialFingerprints": {"gatesFingerprint/v1": f.fingerprint or f.rule},
        "baselineState": "new" if f.new else "unchanged",
        "properties": {"gate": f.gate, "severity": f.severity.label, "blocking": f.blocking,
                       **{k: f.extra[k] for k in ("confidence", "worth_a_look") if k in f.extra}},
    }
    audited = f.extra.get("suppressed")
    if audited:  # code scanning shows it as dismissed, with who and why
        why = audited.get("reason", "")
        if audited.get("owner"):
            why += f" ({audited['owner']}"
            why += f", until {audited['until']})" if audited.get("until") else ")"
        res["suppressions"] = [{
            "kind": "inSource" if audited.get("source") == "inline" else "external",
            "status": "accepted", "justification": why}]
    if f.path:
        region: dict[str, Any] = {}
        if f.line:
            region = {"startLine": f.line}
            if f.end_line and f.end_line >= f.line:
                region["endLine"] = f.end_line
        loc: dict[str, Any] = {"artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"}}
        if region:
            loc["region"] = region
        res["locations"] = [{"physicalLocation": loc}]
    return res


def render(verdict: Verdict) -> str:
    by_tool: dict[str, list[Finding]] = defaultdict(list)
    failed: dict[str, list[str]] = defaultdict(list)
    versions = dict(verdict.tools)
    for r in verdict.results:
        for f in r.findings:
            by_tool[f.tool or r.gate].append(f)
        if r.status == Status.ERROR:
            failed[r.gate].append(r.reason)
    runs = []
    for tool in sorted(set(by_tool) | set(failed)):
        findings = by_tool.get(tool, [])
        rules: dict[str, int] = {}
        rule_defs: list[dict[str, Any]] = []
        results = []
        for f in findings:
            if f.rule not in rules:
                rules[f.rule] = len(rule_defs)
                rule_defs.append({
                    "id": f.rule,
                    "shortDescription": {"text": f.rule},
                    "defaultConfiguration": {"level": LEVEL[f.severity]},
                    "properties": {"security-severity": SECURITY_SEVERITY[f.severity],
                                   "tags": [f.gate]},
                })
            results.append(_result(f, rules[f.rule]))
        driver: dict[str, Any] = {"name": tool, "rules": rule_defs}
        if tool in versions:
            driver["version"] = versions[tool]
        notes = [{"level": "error", "message": {"text": why}} for why in failed.get(tool, [])]
        runs.append({
            "tool": {"driver": driver},
            "automationDetails": {"id": f"gates/{tool}/{verdict.branch}/"},
            "invocations": [{"executionSuccessful": not notes,
                             "toolExecutionNotifications": notes}],
            "results": results,
        })
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
