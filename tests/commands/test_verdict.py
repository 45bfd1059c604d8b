from __future__ import annotations

import json

from gates.guard import notes
from tests.conftest import GitRepo, lint_only, run_gates

CLEAN = "def tools() -> list[str]:\n    return []\n"


def test_verdict_of_a_branch_a_commit_and_a_tree(repo: GitRepo) -> None:
    lint_only(repo)
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    res = run_gates("verdict", "--branch", "walnut/catalog", cwd=repo.path)
    assert res.returncode == 1 and "never tested here" in res.stdout

    assert run_gates("run", "--branch", "walnut/catalog", "-q", cwd=repo.path).returncode == 0
    res = run_gates("verdict", "--branch", "walnut/catalog", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert "the merge of walnut/catalog into main" in out and "✅ pass" in out
    assert "branch walnut/catalog at " + repo.git("rev-parse", "walnut/catalog")[:8] in out
    assert "lint: ✅ pass" in out
    assert "report: reports/walnut__catalog/" in out and "tools: ruff" in out

    # the branch is based on main's tip: its commit's tree is the merge result
    assert run_gates("verdict", "walnut/catalog", cwd=repo.path).returncode == 0
    tree = repo.git("rev-parse", "walnut/catalog^{tree}")
    res = run_gates("verdict", "--json", tree, cwd=repo.path)
    assert res.returncode == 0 and json.loads(res.stdout) == notes.read(repo.path, tree)
    # main's own tree was never tested
    res = run_gates("verdict", "--json", "main", cwd=repo.path)
    assert res.returncode == 1 and res.stdout.strip() == "null"


def test_verdict_of_a_blocked_branch_says_why(repo: GitRepo) -> None:
    lint_only(repo)
    repo.branch("ironwood/payments", {"app/pay.py": "import os\n"}, "IRONWOOD: pay")
    assert run_gates("run", "--branch", "ironwood/payments", "-q", cwd=repo.path
                     ).returncode == 1
    res = run_gates("verdict", "--branch", "ironwood/payments", cwd=repo.path)
    assert res.returncode == 1
    assert "❌ blocked" in res.stdout and "lint: ❌ fail (lint: 1 blocking finding)" in res.stdout


def test_verdict_bad_input_is_one_line(repo: GitRepo) -> None:
    for args, message in (
        (["nope"], "not a commit or a tree: 'nope'"),
        ([], "name a tree or commit, or --branch AGENT/TOPIC"),
        (["--branch", "walnut/none"], "unknown branch 'walnut/none'"),
    ):
        res = run_gates("verdict", *args, cwd=repo.path)
        assert res.returncode == 2 and res.stderr == f"gates: error: {message}\n", args


def test_verdict_of_a_conflicting_branch(repo: GitRepo) -> None:
    repo.branch("walnut/clash", {"app/core.py": "A = 1\n"}, "clash")
    repo.commit({"app/core.py": "A = 2\n"}, "main edits the same line")
    res = run_gates("verdict", "--branch", "walnut/clash", cwd=repo.path)
    assert res.returncode == 1 and "conflicts with main" in res.stdout
