"""The TypeScript compiler's diagnostics (`tsc --noEmit --pretty false`).

`src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.`,
continuation lines indented below it. A diagnostic without a file (a bad
tsconfig, no inputs found) is the compiler failing, not a finding: an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from gates.formats.paths import relative
from gates.gate import GateError
from gates.model import Finding, Severity

LINE = re.compile(r"^(?P<path>.+?)\((?P<line>\d+),(?P<col>\d+)\): "
                  r"(?P<level>error|warning|message) (?P<code>TS\d+): (?P<msg>.*)$")
GLOBAL = re.compile(r"^(?:error|warning) (?P<code>TS\d+): (?P<msg>.*)$")


def parse(raw: str, root: Path, gate: str) -> list[Finding]:
    findings: list[Finding] = []
    for line in raw.splitlines():
        m = LINE.match(line)
        if m:
            findings.append(Finding(
                gate=gate, rule=m["code"], tool="tsc", message=m["msg"],
                severity=Severity.MEDIUM if m["level"] == "error" else Severity.LOW,
                path=relative(m["path"], root), line=int(m["line"]),
            ))
            continue
        g = GLOBAL.match(line.strip())
        if g:
            raise GateError(f"tsc: {g['code']}: {g['msg']}")
        if line.startswith((" ", "\t")) and findings:
            findings[-1].message += " " + line.strip()
        elif line.strip():
            raise GateError(f"tsc printed a line that is not a diagnostic: {line.strip()[:300]}")
    return findings
