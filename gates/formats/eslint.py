"""ESLint's JSON formatter (`eslint --format json`).

A message with a rule is a finding (ESLint's severity 2, "error", is medium; 1,
"warning", low); a fatal message is a file that does not parse (high). A message
with neither rule nor `fatal` is ESLint talking about itself (a file it ignored, a
rule it could not load): the tool did not lint what it was given, so it is an error.
"""

from __future__ import annotations

import json
from pathlib import Path

from gates.formats.paths import relative
from gates.gate import GateError
from gates.model import Finding, Severity


def parse(raw: str, root: Path, gate: str) -> list[Finding]:
    try:
        files = json.loads(raw)
    except json.JSONDecodeError as e:
        raise GateError(f"ESLint printed something that is not JSON: {e}") from None
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        raise GateError("ESLint's JSON is not a list of file results")
    findings = []
    for result in files:
        if "filePath" not in result or not isinstance(result.get("messages"), list):
            raise GateError("ESLint's JSON has a file result without filePath or messages")
        path = relative(str(result["filePath"]), root)
        for m in result["messages"]:
            rule = m.get("ruleId")
            if not rule and not m.get("fatal"):
                raise GateError(f"ESLint on {path}: {m.get('message', '')}".strip())
            findings.append(Finding(
                gate=gate, rule=rule or "parse-error", tool="eslint",
                message=str(m.get("message", "")),
                severity=Severity.HIGH if m.get("fatal") else
                (Severity.MEDIUM if m.get("severity") == 2 else Severity.LOW),
                path=path, line=m.get("line"), end_line=m.get("endLine"),
            ))
    return findings
