"""`gates warm`: the base's side of every per-file tool scanned ahead of the branches,
found in the cache by a branch's run afterwards (the real tools, each call logged)."""

from __future__ import annotations

from tests.conftest import GitRepo, run_gates
from tests.test_cache import RULES, SHARED, STATIC, Tools, gate_result, seen, tools

__all__ = ["tools"]  # the fixture

OLD = "def first(x: str) -> object:\n    return eval(x)\n"
NEW = OLD + "\n\ndef second(y: str) -> object:\n    return eval(y)\n"


def test_warm_then_a_branch_reuses_the_base_side(repo: GitRepo, tools: Tools) -> None:
    repo.commit({"gates.toml": tools.config(), "ci/rules.yaml": RULES, "app/core.py": OLD,
                 "app/shared.py": SHARED}, "policy")
    res = run_gates("warm", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    # every file of the base, once per tool that takes it (ruff, semgrep, bandit: the .py
    # files; detect-secrets: every file)
    assert "files scanned" in res.stdout and "0 already in the cache" in res.stdout
    scans = {t: len(tools.calls(t)) for t in ("semgrep", "bandit", "detect-secrets")}
    assert all(n >= 1 for n in scans.values()), scans
    assert "app/core.py" in tools.calls("semgrep")[0]

    again = run_gates("warm", cwd=repo.path)  # nothing new on the base: only look-ups
    assert again.returncode == 0 and "0 files scanned" in again.stdout, again.stdout
    assert {t: len(tools.calls(t)) for t in scans} == scans

    repo.branch("walnut/a", {"app/core.py": NEW})
    assert run_gates("run", "--branch", "walnut/a", *STATIC, cwd=repo.path).returncode == 1
    sec = gate_result(repo, "walnut/a", "security")
    # the base's version of app/core.py came from the cache; only the branch's was scanned
    assert sec["metrics"]["cache"]["semgrep"] == {"hits": 1, "misses": 1}
    assert sec["metrics"]["cache"]["bandit"] == {"hits": 1, "misses": 1}
    assert gate_result(repo, "walnut/a", "secrets")["metrics"]["cache"] == {"hits": 1,
                                                                            "misses": 1}
    for t in ("semgrep", "bandit", "detect-secrets"):
        assert len(tools.calls(t)) == scans[t] + 1, t
        last = tools.calls(t)[-1]
        assert "app/core.py" in last and "0/app/core.py" not in last, last  # one side only
    # and it still tells the base's debt from the branch's new finding
    assert {r for r in seen(sec) if r[0] == "no-eval"} == {
        ("no-eval", "app/core.py:2", False), ("no-eval", "app/core.py:6", True)}


def test_warm_since_scans_only_what_the_base_changed(repo: GitRepo, tools: Tools) -> None:
    before = repo.commit({"gates.toml": tools.config(), "ci/rules.yaml": RULES,
                          "app/core.py": OLD}, "policy")
    assert run_gates("warm", "--gate", "security", cwd=repo.path).returncode == 0
    n = len(tools.calls("semgrep"))
    repo.commit({"app/pay.py": "def pay(x: str) -> object:\n    return eval(x)\n"}, "push")
    res = run_gates("warm", "--since", before, "--gate", "security", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 files scanned in 2 tool runs" in res.stdout  # app/pay.py: semgrep, bandit
    calls = tools.calls("semgrep")[n:]
    assert len(calls) == 1 and "app/pay.py" in calls[0] and "app/core.py" not in calls[0]
    assert tools.calls("detect-secrets") == []  # --gate security: the secrets gate did not run


def test_warm_fails_closed_on_a_broken_tool_and_a_bad_since(repo: GitRepo, tools: Tools) -> None:
    fake = tools.folder / "semgrep-broken"
    fake.write_text("#!/bin/sh\necho 'not json'\nexit 7\n")
    fake.chmod(0o755)
    repo.commit({"gates.toml": tools.config(semgrep=str(fake)), "ci/rules.yaml": RULES,
                 "app/core.py": OLD}, "policy")
    res = run_gates("warm", "--gate", "security", cwd=repo.path)
    assert res.returncode == 2 and "failed" in res.stderr, res.stdout + res.stderr
    assert "semgrep:" not in run_gates("cache", "info", cwd=repo.path).stdout
    bad = run_gates("warm", "--since", "no-such-commit", cwd=repo.path)
    assert bad.returncode == 2 and "no-such-commit" in bad.stderr, bad.stdout + bad.stderr
