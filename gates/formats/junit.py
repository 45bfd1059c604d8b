"""JUnit XML on a tool's output (a test runner's report): one finding per failed test."""

from __future__ import annotations

from pathlib import Path

from gates.apptest.junit import findings_from_junit, parse_junit_text
from gates.model import Finding


def parse(raw: str, root: Path, gate: str) -> list[Finding]:
    return findings_from_junit(parse_junit_text(raw), gate=gate, tool="junit")
