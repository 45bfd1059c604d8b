"""ruff's JSON (`ruff check --output-format json`)."""

from __future__ import annotations

import json
from pathlib import Path

from gates.formats.paths import relative
from gates.gate import GateError
from gates.model import Finding, Severity


def severity_of(code: str | None) -> Severity:
    if not code or code.startswith("E9") or code == "invalid-syntax":
        return Severity.HIGH  # the file does not even parse (ruff >= 0.12 says invalid-syntax)
    if code.startswith(("F", "S", "B")):
        return Severity.MEDIUM
    return Severity.LOW


def parse(raw: str, root: Path, gate: str = "lint") -> list[Finding]:
    try:
        items = json.loads(raw or "[]")
    except json.JSONDecodeError as e:
        raise GateError(f"ruff printed something that is not JSON: {e}") from None
    if not isinstance(items, list):
        raise GateError("ruff printed JSON that is not a list of findings")
    findings = []
    for item in items:
        code = item.get("code")
        findings.append(Finding(
            gate=gate, rule=code or "syntax-error", tool="ruff",
            message=item.get("message", ""), severity=severity_of(code),
            path=relative(item["filename"], root),
            line=(item.get("location") or {}).get("row"),
            end_line=(item.get("end_location") or {}).get("row"),
            extra={"url": item["url"]} if item.get("url") else {},
        ))
    return findings
