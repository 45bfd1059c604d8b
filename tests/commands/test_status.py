"""`gates status`: the latest verdict of every branch, whole branch names even in a
narrow terminal, and a JSON form that says which verdicts are stale."""

from __future__ import annotations

import json

from tests.conftest import GitRepo, run_gates


def test_status_keeps_branch_names_whole_and_marks_stale_verdicts(repo: GitRepo) -> None:
    long = "ironwood/payments-and-printable-invoices"
    repo.branch(long, {"app/pay.py": "import sys\n"})
    repo.branch("walnut/catalog", {"app/cat.py": "C = 1\n"})
    assert run_gates("run", "--all", "--gate", "lint", cwd=repo.path).returncode == 1
    res = run_gates("status", cwd=repo.path, env={"COLUMNS": "90"})
    assert res.returncode == 0, res.stderr
    rows = {line.split()[1]: line for line in res.stdout.splitlines()
            if len(line.split()) > 2 and "/" in line.split()[1]}
    assert set(rows) == {long, "walnut/catalog"}, res.stdout
    assert "blocked" in rows[long] and "pass" in rows["walnut/catalog"]
    repo.commit({"app/new.py": "N = 1\n"}, "main moves on")  # every verdict is now stale
    data = json.loads(run_gates("status", "--json", cwd=repo.path).stdout)["branches"]
    assert {b: e["stale"] for b, e in data.items()} == {long: True, "walnut/catalog": True}


def test_status_with_no_runs_says_what_to_do(repo: GitRepo) -> None:
    res = run_gates("status", cwd=repo.path)
    assert res.returncode == 0 and "no verdicts yet: run `gates run --all`" in res.stdout
