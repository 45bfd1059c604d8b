from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from gates import config, policy, suppress
from gates.config import ConfigError
from gates.model import Finding, GateResult, Severity, Status
from gates.publish.sections_md import render
from tests.conftest import GitRepo, run_gates

TODAY = dt.date(2026, 6, 1)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _finding(path: str, line: int, rule: str = "B105", new: bool = True) -> Finding:
    return Finding(gate="security", rule=rule, message="Possible hardcoded password",
                   severity=Severity.HIGH, path=path, line=line, tool="bandit", new=new)


def _apply(root: Path, findings: list[Finding], entries: list[dict] | None = None
           ) -> GateResult:
    result = GateResult(gate="security", status=Status.PASS, findings=findings)
    return suppress.apply_to(result, root, suppress.from_config(entries, "gates.toml@main"),
                             today=TODAY)


def test_inline_with_reason_suppresses_and_is_listed(tmp_path: Path) -> None:
    _write(tmp_path, {
        "app/a.py": 'PASSWORD = "x"  # gates: ignore[B105] reason="a test fixture, not a '
                    'secret" owner="IRONWOOD" until=2026-12-31\n',
        "app/b.py": '# gates: ignore[jwt-without-expiry,B105] reason=fixture\nPASSWORD = "x"\n',
        "web/c.ts": '// gates: ignore[B105] reason="js too"\nconst password = "x";\n',
    })
    fs = [_finding("app/a.py", 1), _finding("app/b.py", 2), _finding("web/c.ts", 2)]
    result = _apply(tmp_path, fs)
    assert all(f.extra.get("suppressed") for f in fs)
    assert fs[1].message.endswith("(suppressed at app/b.py:1: fixture)")
    assert fs[0].extra["suppressed"] == {
        "rule": "B105", "path": "app/a.py", "line": 1, "reason": "a test fixture, not a secret",
        "owner": "IRONWOOD", "until": "2026-12-31", "source": "inline", "where": "app/a.py:1",
    }
    assert [s["path"] for s in result.metrics["suppressions"]] == ["app/a.py", "app/b.py",
                                                                  "web/c.ts"]
    assert "| `B105` | `app/a.py:1` | a test fixture, not a secret | IRONWOOD | 2026-12-31 |" \
        in render(result.sections)
    judged = policy.judge(result, {"threshold": "low"})
    assert judged.status == Status.PASS and not any(f.blocking for f in fs)
    assert len(judged.findings) == 3  # kept in the report


def test_inline_must_name_the_rule_and_sit_on_the_line_or_a_comment_above(tmp_path: Path
                                                                          ) -> None:
    _write(tmp_path, {"app/a.py": (
        'A = "x"  # gates: ignore[B105] reason="for line 1 only"\n'
        'B = "x"\n'
        'C = "x"  # gates: ignore[B106] reason="another rule"\n'
    )})
    fs = [_finding("app/a.py", 2), _finding("app/a.py", 3)]
    result = _apply(tmp_path, fs)
    assert not any(f.extra.get("suppressed") for f in fs)
    assert "suppressions" not in result.metrics and result.sections == []
    assert policy.judge(result, {"threshold": "low"}).status == Status.FAIL


def test_without_reason_does_not_suppress_and_is_a_finding(tmp_path: Path) -> None:
    _write(tmp_path, {"app/a.py": 'X = 1\nPASSWORD = "x"  # gates: ignore[B105]\n'
                                  '# gates: ignore[B105] reason="" until=someday\nTOKEN = "y"\n'})
    fs = [_finding("app/a.py", 2), _finding("app/a.py", 4, new=False)]
    result = _apply(tmp_path, fs)
    assert not any(f.extra.get("suppressed") for f in fs)
    extra = [f for f in result.findings if f.rule == suppress.RULE_NO_REASON]
    assert [(f.path, f.line, f.severity, f.new) for f in extra] == [
        ("app/a.py", 2, Severity.MEDIUM, True), ("app/a.py", 3, Severity.MEDIUM, False)]
    assert 'no reason="…"' in extra[0].message and "B105" in extra[0].message
    assert all(f.fingerprint for f in extra)
    judged = policy.judge(result, {"threshold": "medium"})
    assert {(f.rule, f.line) for f in judged.findings if f.blocking} == {
        ("B105", 2), (suppress.RULE_NO_REASON, 2)}


def test_expired_suppression_blocks_again_and_says_so(tmp_path: Path) -> None:
    _write(tmp_path, {"app/a.py": 'PASSWORD = "x"  # gates: ignore[B105] reason="until the '
                                  'vault lands" until=2026-05-31\n'
                                  'TOKEN = "y"  # gates: ignore[B105] reason="ok" '
                                  'until=2026-06-01\n'})
    old, today = _finding("app/a.py", 1), _finding("app/a.py", 2)
    result = _apply(tmp_path, [old, today])
    assert not old.extra.get("suppressed") and today.extra.get("suppressed")  # `until` inclusive
    assert "expired on 2026-05-31" in old.message and "app/a.py:1" in old.message
    assert old.extra["suppression_expired"]["reason"] == "until the vault lands"
    assert [f.line for f in policy.judge(result, {}).findings if f.blocking] == [1]


def test_config_entries_match_rule_and_path_glob(tmp_path: Path) -> None:
    _write(tmp_path, {"tests/test_x.py": 'PASSWORD = "x"\n', "app/x.py": 'PASSWORD = "x"\n'})
    in_tests, in_app = _finding("tests/test_x.py", 1), _finding("app/x.py", 1)
    other_rule = _finding("tests/test_x.py", 1, rule="B106")
    result = _apply(tmp_path, [in_tests, in_app, other_rule], [
        {"rule": "B105", "path": "tests/**", "reason": "fixtures", "owner": "ACACIA",
         "until": dt.date(2026, 12, 31)},
        {"rule": "B106", "path": "tests/**", "reason": "gone", "until": "2026-01-01"},
    ])
    assert in_tests.extra["suppressed"]["where"] == "gates.toml@main [[suppress]] #1"
    assert in_tests.extra["suppressed"]["until"] == "2026-12-31"
    assert not in_app.extra.get("suppressed")
    assert not other_rule.extra.get("suppressed") and "expired on 2026-01-01" in other_rule.message
    assert "gates.toml@main \\[\\[suppress\\]\\] #1" in render(result.sections)


@pytest.mark.parametrize(("entry", "problem"), [
    ('path = "a/**"\nreason = "x"', "'rule' is missing"),
    ('rule = "B105"', "'reason' is missing"),
    ('rule = "B105"\nreason = "x"\nuntil = "next week"', "'until' must be a date"),
    ('rule = "B105"\nreason = "x"\nuntil = 2026-13-01', "not valid TOML"),
    ('rule = "B105"\nreason = "x"\nwho = "me"', "unknown key 'who'"),
    ('rule = 105\nreason = "x"', "'rule' must be a string"),
])
def test_bad_config_entries_are_config_errors(entry: str, problem: str) -> None:
    text = f'[[suppress]]\nrule = "B101"\nreason = "ok"\n\n[[suppress]]\n{entry}\n'
    with pytest.raises(ConfigError) as e:
        config.parse(text, "gates.toml", {}, "gates.toml@main")
    msg = str(e.value)
    assert msg.startswith("gates.toml@main") and problem in msg and "\n" not in msg
    if "TOML" not in problem:
        assert "[[suppress]] #2" in msg


def test_good_config_entries_load() -> None:
    cfg = config.parse('[[suppress]]\nrule = "B105"\nreason = "fixtures"\nuntil = 2027-01-31\n',
                       "gates.toml", {})
    (s,) = suppress.from_config(cfg["suppress"], cfg.source)
    assert s.rules == ("B105",) and s.until == dt.date(2027, 1, 31) and s.path is None


# -- through the real CLI: every gate gets suppressions (here: lint) --------------------


def _verdict(repo: GitRepo, branch: str) -> dict:
    entry = json.loads(repo.read("reports/latest.json"))["branches"][branch]
    return json.loads((repo.path / entry["report_dir"] / "verdict.json").read_text())


def test_runner_applies_suppressions_to_every_gate(repo: GitRepo) -> None:
    repo.commit({"gates.toml": """
        [[suppress]]
        rule = "F401"
        path = "app/legacy/**"
        reason = "legacy re-exports, removed with the v2 API"
        owner = "WALNUT"
        """}, "policy")
    repo.branch("ironwood/cleanup", {
        "app/a.py": 'import os  # gates: ignore[F401] reason="re-exported for plugins" '
                    'owner="IRONWOOD"\n',
        "app/b.py": "import sys  # gates: ignore[F401]\n",
        "app/c.py": 'import json  # gates: ignore[F401] reason="old" until=2020-01-01\n',
        "app/legacy/d.py": "import re\n",
    }, "IRONWOOD: cleanup")
    res = run_gates("run", "--branch", "ironwood/cleanup", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    (lint,) = _verdict(repo, "ironwood/cleanup")["gates"]
    blocking = sorted((f["rule"], f["path"]) for f in lint["findings"] if f["blocking"])
    assert blocking == [("F401", "app/b.py"), ("F401", "app/c.py"),
                        ("suppression-without-reason", "app/b.py")]
    expired = next(f for f in lint["findings"] if f["path"] == "app/c.py")
    assert "expired on 2020-01-01" in expired["message"]
    listed = {(s["path"], s["source"], s["owner"]) for s in lint["metrics"]["suppressions"]}
    assert listed == {("app/a.py", "inline", "IRONWOOD"), ("app/legacy/d.py", "config", "WALNUT")}
    report = repo.path / _verdict(repo, "ironwood/cleanup")["report_dir"]
    summary = (report / "summary.md").read_text()
    assert "Suppressed findings" in summary and "re-exported for plugins" in summary
    assert "legacy re-exports, removed with the v2 API" in summary
    issues = repo.read("CLUSTER_ISSUES.md")
    assert "expired on 2020-01-01" in issues and "suppression-without-reason" in issues
    assert "app/a.py" not in issues  # a suppressed finding is no issue


def test_bad_suppress_entry_is_exit_2_one_line(repo: GitRepo) -> None:
    repo.commit({"gates.toml": '[[suppress]]\nrule = "F401"\nreason = "x"\nuntil = "soon"\n'},
                "bad policy")
    repo.branch("walnut/x", {"app/x.py": "X = 1\n"})
    res = run_gates("run", "--branch", "walnut/x", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 2, res.stdout + res.stderr
    line = res.stderr.strip()
    assert "gates.toml@main" in line and "'until' must be a date" in line
    assert "Traceback" not in res.stderr and len(line.splitlines()) == 1
