from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gates import git
from gates.guard import decide, notes
from gates.guard.decide import Landing
from gates.model import GateResult, Status
from tests.conftest import GitRepo
from tests.guard.test_notes import failing, ok, verdict


def merge_of(repo: GitRepo, branch: str) -> Landing:
    """What `git merge --no-ff branch` on main would land (the pre-merge-commit view)."""
    main, tip = repo.git("rev-parse", "main"), repo.git("rev-parse", branch)
    tree = repo.git("merge-tree", "--write-tree", main, tip)
    return Landing(tree=tree, commit=None, old=main, incoming=[tip])


def record_run(repo: GitRepo, land: Landing, results: list[GateResult],
           required: list[str] | None = None) -> None:
    v = verdict(land.tree, results, base_commit=land.old or "", branch_commit=land.incoming[0])
    notes.record(repo.path, v, required or [r.gate for r in results])


@pytest.fixture
def branched(repo: GitRepo) -> GitRepo:
    repo.branch("ironwood/payments", {"app/pay.py": "X = 1\n"}, "pay")
    return repo


def check(repo: GitRepo, land: Landing) -> decide.Decision:
    return decide.check(repo.path, "main", ".", land)


def test_never_tested_is_refused_and_says_what_to_run(branched: GitRepo) -> None:
    d = check(branched, merge_of(branched, "ironwood/payments"))
    assert not d.allowed and d.failed == "never tested"
    assert "ironwood/payments was never tested" in d.why
    assert "`gates run --branch ironwood/payments`" in d.why


def test_a_passing_verdict_on_the_exact_tree_lets_it_in(branched: GitRepo) -> None:
    land = merge_of(branched, "ironwood/payments")
    record_run(branched, land, [ok("lint")])
    d = check(branched, land)
    assert d.allowed and "passed the gates" in d.why and d.branch == "ironwood/payments"


def test_a_blocked_verdict_is_refused_with_its_reasons(branched: GitRepo) -> None:
    land = merge_of(branched, "ironwood/payments")
    record_run(branched, land, [ok("secrets"), failing("lint")])
    d = check(branched, land)
    assert not d.allowed
    assert "the gates blocked ironwood/payments: lint: 1 blocking finding" in d.why
    assert "reports/ironwood__payments/cccccccc/summary.md" in d.why


def test_a_verdict_of_some_gates_only_is_refused(branched: GitRepo) -> None:
    land = merge_of(branched, "ironwood/payments")
    record_run(branched, land, [ok("lint")], required=["lint", "security"])
    d = check(branched, land)
    assert not d.allowed and "never ran: security" in d.why


def test_an_error_gate_is_refused(branched: GitRepo) -> None:
    land = merge_of(branched, "ironwood/payments")
    record_run(branched, land, [GateResult(gate="lint", status=Status.ERROR, reason="ruff gone")])
    assert not check(branched, land).allowed


def test_a_verdict_against_an_older_main_does_not_count(branched: GitRepo) -> None:
    land = merge_of(branched, "ironwood/payments")
    record_run(branched, land, [ok("lint")])
    branched.commit({"app/other.py": "Y = 2\n"}, "main moves on")
    d = check(branched, merge_of(branched, "ironwood/payments"))
    assert not d.allowed and d.failed == "tested against an older main"
    assert "tested against an older main" in d.why and "Re-run" in d.why


def test_a_merge_changed_by_hand_is_not_the_tested_one(branched: GitRepo) -> None:
    land = merge_of(branched, "ironwood/payments")
    record_run(branched, land, [ok("lint")])
    # e.g. a conflict resolved by hand, or an edit slipped into the merge
    branched.branch("scratch", {"app/pay.py": "X = 2\n"}, "hand-made", start="ironwood/payments")
    other_tree = branched.git("rev-parse", "scratch^{tree}")
    d = check(branched, Landing(tree=other_tree, commit=None, old=land.old,
                                incoming=land.incoming))
    assert not d.allowed and "not the merge the gates tested" in d.why


def test_a_damaged_note_is_refused(branched: GitRepo) -> None:
    land = merge_of(branched, "ironwood/payments")
    branched.git("notes", "--ref=gates", "add", "-m", "{oops", land.tree)
    d = check(branched, land)
    assert not d.allowed and "damaged" in d.why


def test_updates_that_land_nothing_new_pass(branched: GitRepo) -> None:
    main = branched.git("rev-parse", "main")
    same = Landing(tree=git.tree_of(branched.path, main), commit=main, old=main)
    assert check(branched, same).allowed
    branched.commit({"app/x.py": "Z = 3\n"}, "untested commit")
    tip = branched.git("rev-parse", "main")
    back = Landing(tree=git.tree_of(branched.path, main), commit=main, old=tip)
    assert "already had" in check(branched, back).why
    assert not check(branched, Landing(tree=git.tree_of(branched.path, tip), commit=tip,
                                       old=main)).allowed


def test_coordination_files_alone_may_change(branched: GitRepo) -> None:
    old = branched.git("rev-parse", "main")
    branched.commit({"CLUSTER_STATUS.md": "# s\n", "AGENT_STATUS_WALNUT.md": "# w\n",
                     "CLUSTER_ISSUES.md": "# i\n"}, "gates: update coordination files")
    new = branched.git("rev-parse", "main")
    d = check(branched, Landing(tree=git.tree_of(branched.path, new), commit=new, old=old))
    assert d.allowed and "coordination files" in d.why
    branched.commit({"CLUSTER_STATUS.md": "# s2\n", "app/sneaky.py": "S = 1\n"}, "mixed")
    newer = branched.git("rev-parse", "main")
    assert not check(branched, Landing(tree=git.tree_of(branched.path, newer), commit=newer,
                                       old=new)).allowed


@pytest.mark.parametrize(("path", "folder", "expected"), [
    ("CLUSTER_STATUS.md", ".", True),
    ("AGENT_STATUS_IRONWOOD.md", ".", True),
    ("docs/CLUSTER_ISSUES.md", "docs", True),
    ("CLUSTER_ISSUES.md", "docs", False),
    ("docs/AGENT_STATUS_X.md/evil.py", "docs", False),
    ("AGENT_STATUS_X.py", ".", False),
    ("app/CLUSTER_STATUS.md", ".", False),
])
def test_status_files(path: str, folder: str, expected: bool) -> None:
    assert decide.is_status_file(path, folder) is expected


def test_a_commit_already_on_the_remotes_main_passes(tmp_path: Path, branched: GitRepo) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    branched.git("remote", "add", "origin", str(remote))
    old = branched.git("rev-parse", "main")
    branched.commit({"app/up.py": "U = 1\n"}, "landed upstream")
    new = branched.git("rev-parse", "main")
    branched.git("push", "-q", "origin", "main")
    branched.git("update-ref", "refs/heads/main", old)  # as if this clone were behind
    land = Landing(tree=git.tree_of(branched.path, new), commit=new, old=old, how="update")
    d = check(branched, land)
    assert d.allowed and "already on origin/main" in d.why
    # a push is judged by what the remote says it has, not by our copy of it
    land.how = "push to origin"
    assert not check(branched, land).allowed


def test_override_entries_are_keyed_by_tree_person_and_reason(
        branched: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    land = merge_of(branched, "ironwood/payments")
    d = check(branched, land)
    monkeypatch.setenv("GATES_OVERRIDE", "  prod   down ")
    assert decide.override_reason() == "prod down"
    monkeypatch.setenv("GATES_OVERRIDE", "   ")
    assert decide.override_reason() is None
    a = decide.override_entry(branched.path, "main", land, d, "prod down", "pre-merge-commit")
    b = decide.override_entry(branched.path, "main", land, d, "prod down", "reference-tx")
    c = decide.override_entry(branched.path, "main", land, d, "other reason", "pre-push")
    assert a["key"] == b["key"] != c["key"]
    assert a["who"] == "Agent <agent@cluster.test>" and a["failed"] == "never tested"
    assert not decide.recorded(branched.path, land.tree, a["key"])
    assert notes.add_override(branched.path, land.tree, a)
    assert not notes.add_override(branched.path, land.tree, b)
    assert decide.recorded(branched.path, land.tree, a["key"])
    # an override is no verdict: the next landing of that tree is refused again
    assert not check(branched, land).allowed


def merge_tested(repo: GitRepo, branch: str, results: list[GateResult]) -> str:
    """`git merge --no-ff branch` on main after a run that recorded `results` on its tree."""
    land = merge_of(repo, branch)
    record_run(repo, land, results)
    repo.git("merge", "-q", "--no-ff", "-m", f"merge {branch}", branch)
    assert repo.git("rev-parse", "HEAD^{tree}") == land.tree
    return repo.git("rev-parse", "HEAD")


def tip_of_main(repo: GitRepo, old: str | None = None) -> Landing:
    tip = repo.git("rev-parse", "main")
    return Landing(tree=git.tree_of(repo.path, tip), commit=tip, old=old, how="push to origin")


STATUS = {"CLUSTER_STATUS.md": "# s\n", "AGENT_STATUS_WALNUT.md": "# w\n"}


def test_status_commits_on_a_tested_merge_pass(branched: GitRepo) -> None:
    start = branched.git("rev-parse", "main")
    merge_tested(branched, "ironwood/payments", [ok("lint")])
    branched.commit(STATUS, "gates: update coordination files")
    branched.commit({"CLUSTER_ISSUES.md": "# i\n"}, "gates: update coordination files")
    # the remote's old tip is before the merge: the status-only exemption does not apply
    d = check(branched, tip_of_main(branched, old=start))
    assert d.allowed and "only the coordination files change since tree" in d.why
    assert "ironwood/payments" in d.why
    assert check(branched, tip_of_main(branched)).allowed  # a first push, likewise


def test_the_walk_below_status_commits_fails_closed(branched: GitRepo,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    merge_tested(branched, "ironwood/payments", [ok("lint")])
    for i in range(3):
        branched.commit({"CLUSTER_STATUS.md": f"# {i}\n"}, "gates: update coordination files")
    assert check(branched, tip_of_main(branched)).allowed
    monkeypatch.setattr(decide, "WALK", 2)  # the walk is bounded
    d = check(branched, tip_of_main(branched))
    assert not d.allowed and d.failed == "never tested"
    monkeypatch.undo()
    # code below the status commits: the tested tree is no longer what lands
    branched.commit({"app/sneaky.py": "S = 1\n"}, "untested")
    branched.commit(STATUS, "gates: update coordination files")
    d = check(branched, tip_of_main(branched))
    assert not d.allowed and "<branch>" not in d.why
    assert "no branch points at it" in d.why and "gates run --branch" in d.why


def test_status_commits_on_a_blocked_merge_are_refused(repo: GitRepo) -> None:
    repo.branch("walnut/bad", {"app/bad.py": "B = 1\n"}, "bad")
    merge_tested(repo, "walnut/bad", [failing("lint")])
    repo.commit(STATUS, "gates: update coordination files")
    assert not check(repo, tip_of_main(repo)).allowed
