"""The merge guard end to end: real merges, fast-forwards and pushes in real repos,
refused by the hooks `gates hooks install` writes until the exact tree passed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gates.guard import notes
from tests.conftest import GitRepo, gates_env, lint_only, run_gates, sh

CLEAN = "def pay() -> int:\n    return 1\n"
DIRTY = "import os\n\n\ndef pay() -> int:\n    return 1\n"


def git(repo: GitRepo, *args: str, override: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    """git as a person types it, with the hooks installed; never raises."""
    env = gates_env()
    env.pop("GATES_OVERRIDE", None)
    if override is not None:
        env["GATES_OVERRIDE"] = override
    res = sh("git", *args, cwd=repo.path, check=False, env=env)
    res.stderr = " ".join(res.stderr.split())  # the guard wraps its paragraph
    return res


def unguarded_commit(repo: GitRepo, files: dict[str, str], message: str) -> str:
    """A commit that gets past this clone's hooks (they are per clone, and optional)."""
    repo.write(files)
    repo.git("add", "--", *files)
    repo.git("-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", message)
    return head(repo)


def head(repo: GitRepo) -> str:
    return repo.git("rev-parse", "HEAD")


def gates_run(repo: GitRepo, branch: str) -> int:
    res = run_gates("run", "--branch", branch, "--no-status", "-q", cwd=repo.path)
    assert res.returncode in (0, 1), res.stdout + res.stderr
    return res.returncode


@pytest.fixture
def guarded(repo: GitRepo) -> GitRepo:
    lint_only(repo)
    res = run_gates("hooks", "install", cwd=repo.path)
    assert res.returncode == 0, res.stderr
    return repo


def test_merge_is_refused_until_a_passing_run(guarded: GitRepo) -> None:
    repo = guarded
    repo.branch("ironwood/payments", {"app/pay.py": DIRTY}, "IRONWOOD: payments")
    before = head(repo)

    res = git(repo, "merge", "--no-ff", "-m", "merge payments", "ironwood/payments")
    assert res.returncode != 0
    assert "ironwood/payments was never tested" in res.stderr
    assert "gates run --branch ironwood/payments" in res.stderr
    assert "git merge --abort" in res.stderr and "GATES_OVERRIDE" in res.stderr
    assert head(repo) == before
    git(repo, "merge", "--abort")

    assert gates_run(repo, "ironwood/payments") == 1  # a new unused import: blocked
    res = git(repo, "merge", "--no-ff", "-m", "merge payments", "ironwood/payments")
    assert res.returncode != 0 and head(repo) == before
    assert "the gates blocked ironwood/payments: lint: 1 blocking finding" in res.stderr
    git(repo, "merge", "--abort")

    repo.git("checkout", "-q", "ironwood/payments")
    repo.commit({"app/pay.py": CLEAN}, "IRONWOOD: drop the unused import")
    repo.git("checkout", "-q", "main")
    assert gates_run(repo, "ironwood/payments") == 0
    res = git(repo, "merge", "--no-ff", "-m", "merge payments", "ironwood/payments")
    assert res.returncode == 0, res.stderr
    assert "allowed: tree" in res.stderr and "passed the gates" in res.stderr
    assert repo.git("rev-parse", "HEAD^2") == repo.git("rev-parse", "ironwood/payments")
    rec = notes.read(repo.path, repo.git("rev-parse", "HEAD^{tree}"))
    assert rec is not None and rec["verdict"] == "pass" and rec["branch"] == "ironwood/payments"


def test_fast_forward_is_refused_likewise(guarded: GitRepo) -> None:
    repo = guarded
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    before = head(repo)
    res = git(repo, "merge", "--ff-only", "walnut/catalog")
    assert res.returncode != 0 and head(repo) == before
    assert "moving main to walnut/catalog refused" in res.stderr
    assert "walnut/catalog was never tested" in res.stderr
    assert "git reset --merge" in res.stderr
    # git already updated the files; the advice puts them back
    git(repo, "reset", "--merge")
    assert repo.git("status", "--porcelain", "--untracked-files=no") == ""

    assert gates_run(repo, "walnut/catalog") == 0
    res = git(repo, "merge", "--ff-only", "walnut/catalog")
    assert res.returncode == 0, res.stderr
    assert head(repo) == repo.git("rev-parse", "walnut/catalog")
    # other ways of moving main are guarded the same way
    repo.branch("walnut/more", {"app/more.py": CLEAN}, "WALNUT: more")
    res = git(repo, "update-ref", "refs/heads/main", "walnut/more")
    assert res.returncode != 0 and "walnut/more was never tested" in res.stderr
    assert head(repo) == repo.git("rev-parse", "walnut/catalog")


def test_an_old_verdict_does_not_survive_main_moving(guarded: GitRepo) -> None:
    repo = guarded
    repo.branch("acacia/search", {"app/search.py": CLEAN}, "ACACIA: search")
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    assert gates_run(repo, "acacia/search") == 0
    assert gates_run(repo, "walnut/catalog") == 0
    assert git(repo, "merge", "--no-ff", "-m", "catalog", "walnut/catalog").returncode == 0

    before = head(repo)
    res = git(repo, "merge", "--no-ff", "-m", "search", "acacia/search")
    assert res.returncode != 0 and head(repo) == before
    assert "acacia/search was tested against an older main" in res.stderr
    assert "Re-run `gates run --branch acacia/search`" in res.stderr
    git(repo, "merge", "--abort")

    assert gates_run(repo, "acacia/search") == 0
    assert git(repo, "merge", "--no-ff", "-m", "search", "acacia/search").returncode == 0


def test_override_lets_it_in_and_leaves_its_record(guarded: GitRepo) -> None:
    repo = guarded
    repo.branch("ironwood/hotfix", {"app/fix.py": DIRTY}, "IRONWOOD: hotfix")
    assert gates_run(repo, "ironwood/hotfix") == 1

    blank = git(repo, "merge", "--no-ff", "-m", "hotfix", "ironwood/hotfix", override="  ")
    assert blank.returncode != 0  # an override needs a reason
    git(repo, "merge", "--abort")

    res = git(repo, "merge", "--no-ff", "-m", "hotfix", "ironwood/hotfix",
              override="payments down in prod, INC-42")
    assert res.returncode == 0, res.stderr
    assert "OVERRIDE by Agent <agent@cluster.test>" in res.stderr
    assert repo.git("rev-parse", "HEAD^2") == repo.git("rev-parse", "ironwood/hotfix")

    issues = repo.read("CLUSTER_ISSUES.md")
    high = issues.split("## ⚠️ High Priority", 1)[1].split("## 📋 Medium Priority", 1)[0]
    assert high.count("merge-override") == 2  # the heading and the hidden metadata: one issue
    assert "payments down in prod, INC-42" in high and "Agent \\<agent@cluster.test\\>" in high
    assert "lint: 1 blocking finding" in high  # what failed
    assert "main takes ironwood/hotfix" in high

    rec = notes.read(repo.path, repo.git("rev-parse", "HEAD^{tree}"))
    assert rec is not None and rec["verdict"] == "blocked"
    [entry] = rec["overrides"]  # pre-merge-commit and reference-transaction: one record
    assert entry["reason"] == "payments down in prod, INC-42"
    assert entry["who"] == "Agent <agent@cluster.test>" and entry["branch"] == "ironwood/hotfix"
    assert entry["failed"] == "lint: 1 blocking finding" and entry["when"].endswith("Z")

    shown = run_gates("verdict", "HEAD", cwd=repo.path)
    assert shown.returncode == 1 and "override by Agent" in shown.stdout
    assert "payments down in prod, INC-42" in shown.stdout

    # a later run of the branch leaves the override's issue open: it is an audit record
    assert gates_run(repo, "ironwood/hotfix") in (0, 1)
    run_gates("run", "--branch", "ironwood/hotfix", "-q", cwd=repo.path)
    assert "payments down in prod, INC-42" in repo.read("CLUSTER_ISSUES.md").split(
        "## 📜 Historical Log")[0]


def test_an_override_that_cannot_be_recorded_is_refused(guarded: GitRepo) -> None:
    repo = guarded
    repo.branch("ironwood/hotfix", {"app/fix.py": CLEAN}, "IRONWOOD: hotfix")
    (repo.path / "CLUSTER_ISSUES.md").mkdir()  # nothing can be written there
    before = head(repo)
    res = git(repo, "merge", "--no-ff", "-m", "hotfix", "ironwood/hotfix", override="urgent")
    assert res.returncode != 0 and head(repo) == before
    assert "the override could not be recorded" in res.stderr
    assert notes.read(repo.path, repo.git("merge-tree", "--write-tree", "main",
                                          "ironwood/hotfix")) is None


def test_merges_into_other_branches_are_not_guarded(guarded: GitRepo) -> None:
    repo = guarded
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    unguarded_commit(repo, {"app/core2.py": CLEAN}, "main moves")
    repo.git("checkout", "-q", "walnut/catalog")
    res = git(repo, "merge", "--no-ff", "-m", "sync with main", "main")
    assert res.returncode == 0, res.stderr
    res = git(repo, "commit", "-q", "--allow-empty", "-m", "more work")
    assert res.returncode == 0 and res.stderr == ""


def test_untested_commits_on_main_are_refused_but_status_commits_pass(guarded: GitRepo) -> None:
    repo = guarded
    (repo.path / "app/direct.py").write_text(CLEAN)
    repo.git("add", "app/direct.py")
    res = git(repo, "commit", "-q", "-m", "straight onto main")
    assert res.returncode != 0 and "refused" in res.stderr
    repo.git("reset", "-q")
    (repo.path / "app/direct.py").unlink()
    # `gates run --commit` on main commits the coordination files: nothing to test there
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    before = head(repo)
    res = run_gates("run", "--branch", "walnut/catalog", "--commit", "-q", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert head(repo) != before
    changed = repo.git("diff", "--name-only", before, "HEAD").split()
    assert "CLUSTER_STATUS.md" in changed and all(n.endswith(".md") for n in changed)


def test_pre_push_refuses_an_untested_main(tmp_path: Path, guarded: GitRepo) -> None:
    repo = guarded
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.git("-c", "core.hooksPath=/dev/null", "push", "-q", "origin", "main")  # the start
    assert git(repo, "push", "-q", "origin", "main").returncode == 0  # nothing new lands

    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    assert git(repo, "push", "-q", "origin", "walnut/catalog").returncode == 0
    assert gates_run(repo, "walnut/catalog") == 0
    assert git(repo, "merge", "-q", "--no-ff", "-m", "catalog", "walnut/catalog").returncode == 0
    res = git(repo, "push", "origin", "main")
    assert res.returncode == 0, res.stderr

    # a commit that got past local hooks (they are per clone) is stopped at the push
    landed = head(repo)
    unguarded_commit(repo, {"app/sneak.py": CLEAN}, "untested")
    res = git(repo, "push", "origin", "main")
    assert res.returncode != 0
    assert "pushing" in res.stderr and "to origin/main refused" in res.stderr
    assert sh("git", "rev-parse", "main", cwd=remote).stdout.strip() == landed


def test_ci_mode_checks_a_pull_requests_merge_commit(tmp_path: Path, repo: GitRepo) -> None:
    lint_only(repo)
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    # the merge commit GitHub makes for a pull request (refs/pull/N/merge), checked out
    repo.git("checkout", "-q", "--detach", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge walnut/catalog into main", "walnut/catalog")
    merge = head(repo)
    summary = tmp_path / "summary.md"
    ci = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": merge, "GITHUB_BASE_REF": "main",
          "GITHUB_HEAD_REF": "walnut/catalog", "GITHUB_STEP_SUMMARY": str(summary)}
    res = run_gates("guard", cwd=repo.path, env=ci)
    assert res.returncode == 1
    assert "::error title=gates guard::the pull request of walnut/catalog into main refused" \
        in res.stdout
    assert "walnut/catalog was never tested" in summary.read_text()
    repo.git("checkout", "-q", "main")
    assert gates_run(repo, "walnut/catalog") == 0
    res = run_gates("guard", "--ci", cwd=repo.path, env=ci)
    assert res.returncode == 0, res.stdout + res.stderr


def test_guard_of_a_revision_and_bad_input(repo: GitRepo) -> None:
    lint_only(repo)
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    res = run_gates("guard", "walnut/catalog", cwd=repo.path)
    assert res.returncode == 1 and "never tested" in res.stderr
    assert gates_run(repo, "walnut/catalog") == 0
    assert run_gates("guard", "walnut/catalog", cwd=repo.path).returncode == 0
    tree = repo.git("rev-parse", "walnut/catalog^{tree}")
    assert run_gates("guard", tree, cwd=repo.path).returncode == 0
    res = run_gates("guard", "no-such-thing", cwd=repo.path)
    assert res.returncode == 2 and res.stderr.strip() == \
        "gates: error: not a commit or a tree: 'no-such-thing'"


def test_hooks_stay_out_of_the_way_when_nothing_is_protected(guarded: GitRepo) -> None:
    """Commits on agent branches, tags, notes: the hooks pass them without a word."""
    repo = guarded
    repo.git("checkout", "-q", "-b", "walnut/x")
    for args in (["commit", "-q", "--allow-empty", "-m", "wip"], ["tag", "v1"],
                 ["notes", "add", "-m", "hello", "HEAD"], ["checkout", "-q", "main"]):
        res = git(repo, *args)
        assert res.returncode == 0 and res.stderr == "", (args, res.stderr)


def test_pushing_main_after_a_status_commit_is_allowed(tmp_path: Path, guarded: GitRepo) -> None:
    """A passing merge, then `gates run --commit` commits the coordination files on main:
    the push lands the tested tree plus those files, and is allowed."""
    repo = guarded
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.git("-c", "core.hooksPath=/dev/null", "push", "-q", "origin", "main")
    repo.branch("walnut/a", {"app/a.py": CLEAN}, "WALNUT: a")
    repo.branch("walnut/b", {"app/b.py": CLEAN}, "WALNUT: b")
    assert gates_run(repo, "walnut/a") == 0
    assert git(repo, "merge", "-q", "--no-ff", "-m", "a", "walnut/a").returncode == 0
    merged = head(repo)
    res = run_gates("run", "--branch", "walnut/b", "--commit", "-q", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert repo.git("rev-parse", "HEAD^") == merged  # a status commit on top of the merge
    res = git(repo, "push", "origin", "main")
    assert res.returncode == 0, res.stderr
    assert "only the coordination files change since" in res.stderr
    assert sh("git", "rev-parse", "main", cwd=remote).stdout.strip() == head(repo)

    # the same walk fails closed: code on top of the status commit is refused
    unguarded_commit(repo, {"app/sneak.py": CLEAN}, "untested")
    unguarded_commit(repo, {"CLUSTER_STATUS.md": "# later\n"}, "status again")
    res = git(repo, "push", "origin", "main")
    assert res.returncode != 0 and "never tested" in res.stderr
    assert "<branch>" not in res.stderr and "gates run --branch" in res.stderr
