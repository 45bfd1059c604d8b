"""`gates notes push|fetch`: a verdict recorded on one machine lets the merge in on another."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import GitRepo, lint_only, run_gates

CLEAN = "def tools() -> list[str]:\n    return []\n"


def clone(remote: Path, dest: Path) -> GitRepo:
    subprocess.run(["git", "clone", "-q", "-b", "main", str(remote), str(dest)], check=True)
    r = GitRepo.__new__(GitRepo)
    r.path = dest
    r.git("config", "user.email", "maintainer@cluster.test")
    r.git("config", "user.name", "Maintainer")
    return r


def test_push_and_fetch_between_clones(tmp_path: Path, repo: GitRepo) -> None:
    lint_only(repo)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    repo.git("push", "-q", "origin", "main", "walnut/catalog")

    res = run_gates("notes", "push", cwd=repo.path)
    assert res.returncode == 0 and "no verdict records to push yet" in res.stdout
    assert run_gates("run", "--branch", "walnut/catalog", "-q", cwd=repo.path).returncode == 0
    res = run_gates("notes", "push", "origin", cwd=repo.path)
    assert res.returncode == 0 and "pushed refs/notes/gates to origin (1 record(s))" in res.stdout

    other = clone(remote, tmp_path / "maintainer")
    other.git("merge", "-q", "--no-ff", "-m", "catalog", "origin/walnut/catalog")
    res = run_gates("guard", "HEAD", cwd=other.path)
    assert res.returncode == 1 and "never tested" in res.stderr
    res = run_gates("notes", "fetch", cwd=other.path)
    assert res.returncode == 0 and "1 new record(s)" in res.stdout
    res = run_gates("guard", "HEAD", cwd=other.path)
    assert res.returncode == 0, res.stderr
    assert other.git("rev-parse", "refs/notes/remotes/origin/gates")


def test_a_remote_that_does_not_exist_is_one_line(repo: GitRepo) -> None:
    res = run_gates("notes", "fetch", "nowhere", cwd=repo.path)
    assert res.returncode == 2 and res.stderr.startswith("gates: error: git fetch nowhere failed")
    assert len(res.stderr.splitlines()) == 1
