"""JUnit XML (as pytest writes it) → test cases → findings.

For gates that run a repo's own tests (e2e, auth): each failed or errored test
case becomes a Finding named after the test, with its file, the first line of
the failure message, and the artifacts the test attached as `<property>`
elements (pytest-playwright writes `playwright_screenshot`, `playwright_trace`).
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET  # nosec B405: our own pytest's report, not untrusted input
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gates.gate import GateError
from gates.model import Finding, Severity

FAILED = ("failed", "error")


@dataclass
class TestCase:
    classname: str
    name: str
    file: str | None
    line: int | None
    time: float
    outcome: str  # passed | failed | error | skipped
    message: str = ""
    text: str = ""
    properties: list[tuple[str, str]] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""

    @property
    def test_id(self) -> str:
        """`tests/e2e/test_search.py::test_box[chromium]` where the file is known."""
        if self.file:
            return f"{self.file}::{self.name}"
        return f"{self.classname}::{self.name}" if self.classname else self.name

    def props(self, name: str) -> list[str]:
        return [v for k, v in self.properties if k == name]


def parse_junit(path: Path) -> list[TestCase]:
    """Every test case of a JUnit XML file; GateError when it is missing or unreadable."""
    try:
        root = ET.parse(path).getroot()  # nosec B314
    except FileNotFoundError:
        raise GateError(f"the test run wrote no JUnit report ({path.name})") from None
    except ET.ParseError as e:
        raise GateError(f"the JUnit report {path.name} is not valid XML: {e}") from None
    return [_case(tc) for tc in root.iter("testcase")]


def parse_junit_text(text: str) -> list[TestCase]:
    """Every test case of a JUnit XML text (a tool's output); GateError when it is not one."""
    try:
        root = ET.fromstring(text)  # nosec B314
    except ET.ParseError as e:
        raise GateError(f"the JUnit report is not valid XML: {e}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise GateError(f"the JUnit report's root is <{root.tag}>, not <testsuites>")
    return [_case(tc) for tc in root.iter("testcase")]


def _case(tc: ET.Element) -> TestCase:
    outcome, message, text = "passed", "", ""
    for tag in ("failure", "error", "skipped"):
        el = tc.find(tag)
        if el is not None:
            outcome = {"failure": "failed"}.get(tag, tag)
            message = el.get("message", "") or ""
            text = el.text or ""
            break
    line = tc.get("line")
    return TestCase(
        classname=tc.get("classname", ""),
        name=tc.get("name", ""),
        file=tc.get("file"),
        # pytest writes 0-based line numbers
        line=int(line) + 1 if line and line.isdigit() else None,
        time=float(tc.get("time") or 0),
        outcome=outcome,
        message=message,
        text=text,
        properties=[(p.get("name", ""), p.get("value", "")) for p in tc.iter("property")],
        stdout=(tc.findtext("system-out") or ""),
        stderr=(tc.findtext("system-err") or ""),
    )


def first_line(text: str, limit: int = 300) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def findings_from_junit(
    path: Path | list[TestCase],
    *,
    gate: str,
    severity: Severity = Severity.HIGH,
    rule: str = "test-failed",
    tool: str = "pytest",
    more: Callable[[TestCase], dict[str, object]] | None = None,
) -> list[Finding]:
    """One finding per failed or errored test case (fingerprint: gate, rule, test id);
    `more(case)` adds keys to a finding's `extra` (e2e: its screenshot and trace)."""
    cases = parse_junit(path) if isinstance(path, Path) else path
    findings = []
    for case in cases:
        if case.outcome not in FAILED:
            continue
        what = "failed" if case.outcome == "failed" else "errored"
        why = first_line(case.message or case.text)
        fp = hashlib.sha256(f"{gate}\0{rule}\0{case.test_id}".encode()).hexdigest()[:16]
        findings.append(Finding(
            gate=gate, rule=rule, tool=tool, severity=severity, fingerprint=fp,
            message=f"{case.test_id} {what}" + (f": {why}" if why else ""),
            path=case.file, line=case.line,
            extra={"test": case.test_id, "outcome": case.outcome,
                   **(more(case) if more else {})},
        ))
    return findings
