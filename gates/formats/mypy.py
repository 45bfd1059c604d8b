"""mypy's JSON lines (`mypy --output json`): one object per diagnostic.

Errors are findings; a note belongs to the error before it (its hint). Anything
else in the output is mypy failing (a crash, a bad config): an error.
"""

from __future__ import annotations

import json
from pathlib import Path

from gates.formats.paths import relative
from gates.gate import GateError
from gates.model import Finding, Severity


def parse(raw: str, root: Path, gate: str) -> list[Finding]:
    findings: list[Finding] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            raise GateError(f"mypy printed a line that is not JSON: {line.strip()[:300]}") from None
        if not isinstance(d, dict) or "file" not in d or "severity" not in d:
            raise GateError(f"mypy printed JSON that is not a diagnostic: {line.strip()[:300]}")
        if d["severity"] == "note":
            if findings:
                findings[-1].message += f" ({d.get('message', '')})"
            continue
        findings.append(Finding(
            gate=gate, rule=d.get("code") or "mypy", tool="mypy",
            message=str(d.get("message", "")) + (f" ({d['hint']})" if d.get("hint") else ""),
            severity=Severity.MEDIUM if d["severity"] == "error" else Severity.LOW,
            path=relative(str(d["file"]), root), line=d.get("line"),
        ))
    return findings
