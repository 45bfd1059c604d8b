"""semgrep's JSON report (gates.builtin.security.semgrep)."""

from __future__ import annotations

import json

import pytest

from gates.builtin.security.semgrep import parse_semgrep
from gates.gate import GateError
from gates.model import Severity


def test_semgrep_output_that_is_not_a_clean_scan_fails_closed() -> None:
    ok = {"version": "1.0", "results": [], "errors": [], "paths": {"scanned": []}}
    with pytest.raises(GateError, match=r"Timeout.*app/x\.py"):  # exit 0, yet an error
        parse_semgrep(json.dumps({**ok, "errors": [
            {"code": 2, "level": "warn", "type": "Timeout", "message": "Timeout on app/x.py"}]}))
    with pytest.raises(GateError, match="not JSON"):
        parse_semgrep("Traceback (most recent call last):\n  ...")
    with pytest.raises(GateError, match="no 'results'"):
        parse_semgrep("{}")
    # a target it could only partly parse: a finding there, not a crash
    findings, _ = parse_semgrep(json.dumps({**ok, "errors": [{
        "code": 3, "level": "warn", "type": ["PartialParsing", []], "path": "web/a.ts",
        "message": "Syntax error", "spans": [{"file": "web/a.ts", "start": {"line": 7}}]}]}))
    assert [(f.rule, f.location, f.severity) for f in findings] == [
        ("semgrep-parse-error", "web/a.ts:7", Severity.MEDIUM)]
    # a file it was given and did not scan, with no error (a size limit): never a pass
    with pytest.raises(GateError, match=r"did not scan 1 of the files.*app/big\.py"):
        parse_semgrep(json.dumps({**ok, "paths": {"scanned": ["./app/x.py"]}}),
                      targets=["app/x.py", "app/big.py"])
    assert parse_semgrep(json.dumps({**ok, "paths": {"scanned": ["./app/x.py"]}}),
                         targets=["app/x.py"]) == ([], "1.0")
