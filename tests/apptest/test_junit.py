"""JUnit XML as pytest writes it → test cases → findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates.apptest.junit import findings_from_junit, first_line, parse_junit
from gates.gate import GateError
from gates.model import Severity

XML = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4">
<testcase classname="tests.e2e.test_search" name="test_ok[chromium]" file="tests/e2e/test_search.py" line="3" time="1.2"/>
<testcase classname="tests.e2e.test_search" name="test_box[chromium]" file="tests/e2e/test_search.py" line="9" time="0.9">
  <properties>
    <property name="playwright_screenshot" value="results/x/test-failed-1.png"/>
    <property name="playwright_trace" value="results/x/trace.zip"/>
  </properties>
  <failure message="AssertionError: the box is gone&#10;assert 0 == 1">long text</failure>
  <system-out>hello</system-out>
</testcase>
<testcase classname="tests.e2e.test_search" name="test_setup" time="0.1">
  <error message="">fixture 'db' not found
more</error>
</testcase>
<testcase classname="tests.e2e.test_search" name="test_later" time="0"><skipped message="todo"/></testcase>
</testsuite></testsuites>
"""


def test_parse_cases(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(XML)
    ok, box, setup, later = parse_junit(path)
    assert (ok.outcome, ok.line, ok.test_id) == ("passed", 4, "tests/e2e/test_search.py::"
                                                 "test_ok[chromium]")
    assert box.outcome == "failed" and box.stdout == "hello"
    assert box.props("playwright_trace") == ["results/x/trace.zip"]
    assert setup.outcome == "error" and setup.file is None
    assert setup.test_id == "tests.e2e.test_search::test_setup"
    assert later.outcome == "skipped"


def test_findings_for_failed_and_errored_tests(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(XML)
    box, setup = findings_from_junit(path, gate="e2e",
                                     more=lambda c: {"shots": c.props("playwright_screenshot")})
    assert box.severity == Severity.HIGH and box.gate == "e2e" and box.rule == "test-failed"
    assert box.message == ("tests/e2e/test_search.py::test_box[chromium] failed: "
                           "AssertionError: the box is gone")
    assert (box.path, box.line) == ("tests/e2e/test_search.py", 10)
    assert box.extra["shots"] == ["results/x/test-failed-1.png"]
    assert setup.message.endswith("errored: fixture 'db' not found")
    again = findings_from_junit(path, gate="e2e")
    assert [f.fingerprint for f in again] == [box.fingerprint, setup.fingerprint]
    assert box.fingerprint != setup.fingerprint


def test_missing_or_broken_report_is_a_gate_error(tmp_path: Path) -> None:
    with pytest.raises(GateError, match="no JUnit report"):
        parse_junit(tmp_path / "nope.xml")
    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuite><testcase")
    with pytest.raises(GateError, match="not valid XML"):
        parse_junit(bad)


def test_first_line() -> None:
    assert first_line("\n\n  first  \nsecond") == "first"
    assert first_line("x" * 400, limit=10) == "x" * 9 + "…"
