"""bandit's severities and its JSON report (gates.builtin.security.bandit)."""

from __future__ import annotations

import json

import pytest

from gates.builtin.security.bandit import bandit_severity, parse_bandit
from gates.gate import GateError
from gates.model import Severity


@pytest.mark.parametrize(("sev", "conf", "ours"), [
    ("HIGH", "HIGH", Severity.HIGH), ("HIGH", "MEDIUM", Severity.HIGH),
    ("HIGH", "LOW", Severity.MEDIUM), ("MEDIUM", "HIGH", Severity.MEDIUM),
    ("MEDIUM", "LOW", Severity.MEDIUM), ("LOW", "HIGH", Severity.LOW), ("LOW", "LOW", Severity.LOW),
])
def test_bandit_severity_times_confidence(sev: str, conf: str, ours: Severity) -> None:
    assert bandit_severity(sev, conf) == ours


def test_bandit_errors_fail_closed_and_passwords_are_not_quoted() -> None:
    with pytest.raises(GateError, match=r"app/gone\.py"):
        parse_bandit(json.dumps({"errors": [{"filename": "./app/gone.py",
                                             "reason": "No such file or directory"}],
                                 "results": []}))
    with pytest.raises(GateError, match="not JSON"):
        parse_bandit("")
