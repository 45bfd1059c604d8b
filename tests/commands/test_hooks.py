"""`gates hooks install|uninstall`, and the same guard through the pre-commit framework."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import GitRepo, gates_env, lint_only, run_gates, sh

CLEAN = "def pay() -> int:\n    return 1\n"
DIRTY = "import os\n\n\ndef pay() -> int:\n    return 1\n"


def git(repo: GitRepo, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    full = gates_env(env)
    if env is None or "GATES_OVERRIDE" not in env:
        full.pop("GATES_OVERRIDE", None)
    res = sh("git", *args, cwd=repo.path, check=False, env=full)
    # hooks' output (git sends it to stderr), flattened: the guard wraps its paragraph
    res.stderr = " ".join((res.stdout + res.stderr).split())
    return res


def test_install_chains_the_hooks_already_there_and_uninstall_restores_them(
        tmp_path: Path, repo: GitRepo) -> None:
    lint_only(repo)
    folder = repo.path / ".git" / "hooks"
    log = tmp_path / "pre-push.log"
    theirs = textwrap.dedent(f"""\
        #!/bin/sh
        echo "args: $*" >> {log}
        cat >> {log}
        exit 0
        """)
    (folder / "pre-push").write_text(theirs)
    (folder / "pre-push").chmod(0o755)
    veto = "#!/bin/sh\necho 'their pre-merge-commit says no' >&2\nexit 1\n"
    (folder / "pre-merge-commit").write_text(veto)
    (folder / "pre-merge-commit").chmod(0o755)

    res = run_gates("hooks", "install", cwd=repo.path)
    assert res.returncode == 0, res.stderr
    assert "pre-push: installed (your hook runs first: pre-push.gates-chained)" in res.stdout
    assert "reference-transaction: installed" in res.stdout

    # their pre-push still runs, with the same arguments and input
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    assert git(repo, "push", "-q", "origin", "walnut/catalog").returncode == 0
    logged = log.read_text()
    assert f"args: origin {remote}" in logged
    assert "refs/heads/walnut/catalog " + repo.git("rev-parse", "walnut/catalog") in logged

    # a chained hook that refuses still refuses, even when the gates would pass
    assert run_gates("run", "--branch", "walnut/catalog", "-q", cwd=repo.path).returncode == 0
    before = repo.git("rev-parse", "HEAD")
    res = git(repo, "merge", "--no-ff", "-m", "m", "walnut/catalog")
    assert res.returncode != 0 and "their pre-merge-commit says no" in res.stderr
    assert repo.git("rev-parse", "HEAD") == before
    git(repo, "merge", "--abort")

    res = run_gates("hooks", "uninstall", cwd=repo.path)
    assert res.returncode == 0
    assert "pre-push: removed (pre-push.gates-chained is back as pre-push)" in res.stdout
    assert (folder / "pre-push").read_text() == theirs
    assert (folder / "pre-merge-commit").read_text() == veto
    assert not (folder / "reference-transaction").exists()
    assert sorted(p.name for p in folder.glob("*.gates-chained")) == []


def test_uninstall_leaves_hooks_that_are_not_ours(repo: GitRepo) -> None:
    folder = repo.path / ".git" / "hooks"
    (folder / "pre-push").write_text("#!/bin/sh\nexit 0\n")
    res = run_gates("hooks", "uninstall", cwd=repo.path)
    assert res.returncode == 0 and "pre-push: absent (not ours, left alone)" in res.stdout
    assert (folder / "pre-push").read_text() == "#!/bin/sh\nexit 0\n"


def test_install_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    res = run_gates("hooks", "install", cwd=tmp_path)
    assert res.returncode == 2 and res.stderr.startswith("gates: error: not a git repository")


# -- through the pre-commit framework ------------------------------------------------


@pytest.fixture
def framework(tmp_path: Path, repo: GitRepo) -> tuple[GitRepo, dict[str, str]]:
    """A repo whose .pre-commit-config.yaml uses our hooks (offline: `repo: local` with
    this interpreter's gates), installed with `pre-commit install`."""
    lint_only(repo)
    gates = f"{sys.executable} -m gates"
    repo.commit({".pre-commit-config.yaml": f"""
        repos:
          - repo: local
            hooks:
              - id: gates-static
                name: gates static
                entry: {gates} static
                language: system
                require_serial: true
                stages: [pre-commit]
              - id: gates-guard
                name: gates merge guard
                entry: {gates} guard --pre-commit
                language: system
                pass_filenames: false
                always_run: true
                stages: [pre-merge-commit, pre-push]
        """}, "pre-commit config")
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    res = subprocess.run([sys.executable, "-m", "pre_commit", "install", "--hook-type",
                          "pre-commit", "--hook-type", "pre-merge-commit", "--hook-type",
                          "pre-push"], cwd=repo.path, env=gates_env(env), text=True,
                         capture_output=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return repo, env


def branch(repo: GitRepo, env: dict[str, str], name: str, files: dict[str, str],
           start: str = "main") -> None:
    """A branch whose commit goes through the installed pre-commit hooks."""
    repo.git("checkout", "-q", "-b", name, start)
    repo.write(files)
    repo.git("add", "--", *files)
    res = git(repo, "commit", "-q", "-m", f"work on {name}", env=env)
    assert res.returncode == 0, res.stderr
    repo.git("checkout", "-q", "main")


def test_the_guard_through_pre_commit(tmp_path: Path,
                                      framework: tuple[GitRepo, dict[str, str]]) -> None:
    repo, env = framework
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.git("-c", "core.hooksPath=/dev/null", "push", "-q", "origin", "main")

    # gates-static: a commit that adds a lint finding is refused; one without passes
    repo.git("checkout", "-q", "-b", "ironwood/payments")
    (repo.path / "app/pay.py").write_text(DIRTY)
    repo.git("add", "app/pay.py")
    res = git(repo, "commit", "-q", "-m", "payments", env=env)
    assert res.returncode != 0 and "gates static" in res.stderr and "F401" in res.stderr
    repo.git("-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "payments (no hooks)")
    repo.git("checkout", "-q", "main")

    # merge --no-ff: refused untested, refused failing, allowed after a passing run
    before = repo.git("rev-parse", "HEAD")
    res = git(repo, "merge", "--no-ff", "-m", "payments", "ironwood/payments", env=env)
    assert res.returncode != 0 and repo.git("rev-parse", "HEAD") == before
    assert "gates merge guard" in res.stderr and "Failed" in res.stderr
    assert "ironwood/payments was never tested" in res.stderr
    git(repo, "merge", "--abort")
    assert run_gates("run", "--branch", "ironwood/payments", "-q", cwd=repo.path
                     ).returncode == 1
    res = git(repo, "merge", "--no-ff", "-m", "payments", "ironwood/payments", env=env)
    assert res.returncode != 0 and "lint: 1 blocking finding" in res.stderr
    git(repo, "merge", "--abort")
    repo.git("checkout", "-q", "ironwood/payments")
    (repo.path / "app/pay.py").write_text(CLEAN)
    repo.git("add", "app/pay.py")
    assert git(repo, "commit", "-q", "-m", "fix", env=env).returncode == 0
    repo.git("checkout", "-q", "main")
    assert run_gates("run", "--branch", "ironwood/payments", "-q", cwd=repo.path
                     ).returncode == 0
    res = git(repo, "merge", "--no-ff", "-m", "payments", "ironwood/payments", env=env)
    assert res.returncode == 0, res.stderr
    assert git(repo, "push", "-q", "origin", "main", env=env).returncode == 0

    # a fast-forward skips pre-merge-commit (pre-commit has no reference-transaction):
    # the push stops it
    branch(repo, env, "walnut/catalog", {"app/catalog.py": CLEAN})
    assert git(repo, "merge", "-q", "--ff-only", "walnut/catalog", env=env).returncode == 0
    res = git(repo, "push", "origin", "main", env=env)
    assert res.returncode != 0 and "walnut/catalog was never tested" in res.stderr
    assert run_gates("run", "--branch", "walnut/catalog", "-q", cwd=repo.path).returncode == 0
    assert git(repo, "push", "-q", "origin", "main", env=env).returncode == 0

    # after main moves, an old verdict no longer lets a merge in
    branch(repo, env, "acacia/search", {"app/search.py": CLEAN})
    assert run_gates("run", "--branch", "acacia/search", "-q", cwd=repo.path).returncode == 0
    branch(repo, env, "walnut/two", {"app/two.py": CLEAN})
    assert run_gates("run", "--branch", "walnut/two", "-q", cwd=repo.path).returncode == 0
    assert git(repo, "merge", "-q", "--no-ff", "-m", "two", "walnut/two", env=env
               ).returncode == 0
    res = git(repo, "merge", "--no-ff", "-m", "search", "acacia/search", env=env)
    assert res.returncode != 0 and "tested against an older main" in res.stderr
    git(repo, "merge", "--abort")

    # GATES_OVERRIDE lets it in, and leaves its record
    res = git(repo, "merge", "--no-ff", "-m", "search", "acacia/search",
              env={**env, "GATES_OVERRIDE": "demo in five minutes"})
    assert res.returncode == 0, res.stderr
    assert "demo in five minutes" in repo.read("CLUSTER_ISSUES.md")
    shown = run_gates("verdict", "HEAD", cwd=repo.path)
    assert "demo in five minutes" in shown.stdout


# -- pre-push through pre-commit: the remote's old tip is zeros, unknown, or not its word ---


def pre_push(repo: GitRepo, from_ref: str, override: str | None = None
             ) -> subprocess.CompletedProcess[str]:
    """`gates guard --pre-commit` as pre-commit runs it for `git push origin main`."""
    env = {"PRE_COMMIT_FROM_REF": from_ref, "PRE_COMMIT_TO_REF": repo.git("rev-parse", "main"),
           "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
           "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main", "PRE_COMMIT_REMOTE_NAME": "origin",
           "PRE_COMMIT_REMOTE_URL": "/nowhere"}
    if override is not None:
        env["GATES_OVERRIDE"] = override
    res = run_gates("guard", "--pre-commit", cwd=repo.path, env=env)
    res.stderr = " ".join(res.stderr.split())
    return res


def test_pre_commit_pre_push_with_a_new_or_unknown_remote_tip(tmp_path: Path,
                                                               repo: GitRepo) -> None:
    lint_only(repo)
    elsewhere = GitRepo(tmp_path / "elsewhere")  # a commit this clone never saw (force push)
    unknown = elsewhere.commit({"x.txt": "x\n"}, "someone else's work")
    zeros = "0" * 40
    repo.branch("walnut/a", {"app/a.py": CLEAN}, "WALNUT: a")
    assert run_gates("run", "--branch", "walnut/a", "-q", cwd=repo.path).returncode == 0
    repo.git("merge", "-q", "--no-ff", "-m", "a", "walnut/a")
    for old in (zeros, unknown, ""):
        res = pre_push(repo, old)
        assert res.returncode == 0, res.stderr
        assert "passed the gates" in res.stderr

    repo.commit({"app/direct.py": CLEAN}, "straight onto main")
    for old in (zeros, unknown):
        res = pre_push(repo, old)
        assert res.returncode == 1, res.stderr
        assert "bad object" not in res.stderr and "never tested" in res.stderr
    res = pre_push(repo, zeros, override="release blocker, INC-7")
    assert res.returncode == 0, res.stderr
    assert "OVERRIDE by Agent" in res.stderr
    assert "release blocker, INC-7" in repo.read("CLUSTER_ISSUES.md")


def test_pre_commit_first_push_is_judged_without_a_local_ancestor_as_the_remote_tip(
        tmp_path: Path, framework: tuple[GitRepo, dict[str, str]]) -> None:
    """On a first push pre-commit hands over, as FROM_REF, the parent of the first commit
    on no remote-tracking branch: an untested agent branch already pushed, here. Main must
    not count as "that plus the coordination files"."""
    repo, env = framework
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    branch(repo, env, "walnut/x", {"app/x.py": CLEAN})
    assert git(repo, "push", "-q", "origin", "walnut/x", env=env).returncode == 0
    repo.git("merge", "-q", "--ff-only", "walnut/x")  # pre-commit has no hook for this
    repo.commit({"CLUSTER_STATUS.md": "# status\n"}, "gates: update coordination files")
    res = git(repo, "push", "origin", "main", env=env)
    assert res.returncode != 0 and "never tested" in res.stderr
    assert run_gates("run", "--branch", "walnut/x", "-q", cwd=repo.path).returncode == 0
    # tested now (the fast-forward's tree is the branch's): its status commit may follow
    res = git(repo, "push", "origin", "main", env=env)
    assert res.returncode == 0, res.stderr
    assert sh("git", "rev-parse", "main", cwd=remote).stdout.strip() == \
        repo.git("rev-parse", "main")
