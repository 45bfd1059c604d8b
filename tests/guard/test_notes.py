from __future__ import annotations

import json
import subprocess

import pytest

from gates import git
from gates.guard import notes
from gates.model import Finding, GateResult, Severity, Status, Verdict
from tests.conftest import GitRepo


def verdict(tree: str, results: list[GateResult], *, started: str = "2026-01-01T10:00:00Z",
            base_commit: str = "b" * 40, config_hash: str = "policy1",
            branch_commit: str = "c" * 40) -> Verdict:
    from gates import policy

    passed, reasons = policy.decide(results)
    return Verdict(branch="ironwood/payments", agent="IRONWOOD", base="main",
                   branch_commit=branch_commit, base_commit=base_commit, tree=tree,
                   results=results, passed=passed, reasons=reasons, started=started,
                   config_hash=config_hash, tools={"ruff": "0.6"},
                   report_dir="reports/ironwood__payments/cccccccc")


def ok(gate: str) -> GateResult:
    return GateResult(gate=gate, status=Status.PASS)


def failing(gate: str) -> GateResult:
    f = Finding(gate=gate, rule="F401", message="unused", severity=Severity.MEDIUM,
                blocking=True)
    return GateResult(gate=gate, status=Status.FAIL, findings=[f])


def test_record_of_a_passing_run_names_what_the_guard_needs() -> None:
    rec = notes.record_of(verdict("t" * 40, [ok("lint"), ok("secrets")]), ["lint", "secrets"])
    assert rec["verdict"] == "pass" and rec["passed"] and notes.passes(rec)
    assert rec["tree"] == "t" * 40 and rec["branch_commit"] == "c" * 40
    assert rec["base_commit"] == "b" * 40 and rec["config_hash"] == "policy1"
    assert rec["tools"] == {"ruff": "0.6"}
    assert rec["report"] == "reports/ironwood__payments/cccccccc/summary.md"
    assert rec["gates"]["lint"]["status"] == "pass"


def test_blocked_and_incomplete_records_do_not_pass() -> None:
    blocked = notes.record_of(verdict("t" * 40, [failing("lint")]), ["lint"])
    assert blocked["verdict"] == "blocked" and not notes.passes(blocked)
    assert blocked["reasons"] == ["lint: 1 blocking finding"]
    partial = notes.record_of(verdict("t" * 40, [ok("lint")]), ["lint", "security"])
    assert partial["verdict"] == "incomplete" and not notes.passes(partial)
    assert notes.missing(partial) == ["security"]
    errored = notes.record_of(verdict("t" * 40, [GateResult.error("lint", "ruff missing")]),
                              ["lint"])
    assert errored["verdict"] == "blocked"  # fail closed: an error is never a pass


def test_runs_of_some_gates_add_up_on_the_same_question() -> None:
    lint = notes.record_of(verdict("t" * 40, [ok("lint")]), ["lint", "secrets"])
    secrets = notes.record_of(verdict("t" * 40, [ok("secrets")],
                                      started="2026-01-01T11:00:00Z"), ["lint", "secrets"])
    both = notes.merge(lint, secrets)
    assert sorted(both["gates"]) == ["lint", "secrets"] and both["verdict"] == "pass"
    # the later run of a gate wins, whichever record it arrives in
    later_fail = notes.record_of(verdict("t" * 40, [failing("lint")],
                                         started="2026-01-01T12:00:00Z"), ["lint", "secrets"])
    assert notes.merge(both, later_fail)["verdict"] == "blocked"
    assert notes.merge(later_fail, both)["verdict"] == "blocked"


def test_another_base_or_policy_replaces_instead_of_adding_up() -> None:
    old = notes.record_of(verdict("t" * 40, [ok("lint")]), ["lint", "secrets"])
    other_base = notes.record_of(verdict("t" * 40, [ok("secrets")], base_commit="d" * 40,
                                         started="2026-01-02T10:00:00Z"), ["lint", "secrets"])
    merged = notes.merge(old, other_base)
    assert sorted(merged["gates"]) == ["secrets"] and merged["verdict"] == "incomplete"
    other_policy = notes.record_of(verdict("t" * 40, [ok("secrets")], config_hash="policy2",
                                           started="2026-01-02T10:00:00Z"), ["lint", "secrets"])
    assert sorted(notes.merge(old, other_policy)["gates"]) == ["secrets"]


def test_overrides_survive_every_merge_once() -> None:
    bare = {"schema": 1, "tree": "t" * 40, "gates": {}, "required": [],
            "overrides": [{"key": "k1", "reason": "outage"}]}
    run = notes.record_of(verdict("t" * 40, [ok("lint")]), ["lint"])
    merged = notes.merge(bare, run)
    assert merged["overrides"] == [{"key": "k1", "reason": "outage"}]
    assert merged["verdict"] == "pass"
    again = notes.merge(merged, bare)
    assert [o["key"] for o in again["overrides"]] == ["k1"]


def test_record_and_read_on_a_real_tree(repo: GitRepo) -> None:
    tree = repo.git("rev-parse", "HEAD^{tree}")
    assert notes.read(repo.path, tree) is None
    rec = notes.record(repo.path, verdict(tree, [ok("lint")]), ["lint"])
    assert rec is not None and notes.read(repo.path, tree) == rec
    # stored as a git note under refs/notes/gates on the tree object itself
    raw = repo.git("notes", "--ref=gates", "show", tree)
    assert json.loads(raw)["verdict"] == "pass"
    # the note's commits carry gates' own identity, whoever runs it
    assert repo.git("log", "-1", "--format=%an", "refs/notes/gates") == "gates"


def test_a_conflict_has_no_tree_and_gets_no_note(repo: GitRepo) -> None:
    v = verdict("x", [ok("lint")])
    v.tree = None
    assert notes.record(repo.path, v, ["lint"]) is None
    assert git.notes(repo.path, notes.REF) == {}


def test_a_damaged_note_is_an_error_and_a_run_replaces_it(repo: GitRepo) -> None:
    tree = repo.git("rev-parse", "HEAD^{tree}")
    repo.git("notes", "--ref=gates", "add", "-m", "{not json", tree)
    with pytest.raises(notes.NoteError, match="not JSON"):
        notes.read(repo.path, tree)
    repo.git("notes", "--ref=gates", "add", "-f", "-m", '{"schema": 99}', tree)
    with pytest.raises(notes.NoteError, match="not a verdict record"):
        notes.read(repo.path, tree)
    notes.record(repo.path, verdict(tree, [ok("lint")]), ["lint"])
    assert notes.passes(notes.read(repo.path, tree))


def test_records_reads_every_note_in_one_go(repo: GitRepo) -> None:
    first = repo.git("rev-parse", "HEAD^{tree}")
    repo.commit({"app/ü.py": "NAME = 'ü ✓'\n"}, "unicode")
    second = repo.git("rev-parse", "HEAD^{tree}")
    notes.record(repo.path, verdict(first, [ok("lint")], branch_commit="1" * 40), ["lint"])
    v = verdict(second, [failing("lint")], branch_commit="2" * 40)
    v.branch = "walnut/ünïcode ✓"
    notes.record(repo.path, v, ["lint"])
    repo.git("notes", "--ref=gates", "add", "-m", "garbage", repo.git("rev-parse", "HEAD"))
    recs = notes.records(repo.path)
    assert sorted(r["tree"] for r in recs) == sorted([first, second])  # garbage left out
    assert [r["branch"] for r in notes.of_commits(repo.path, ["2" * 40])] == \
        ["walnut/ünïcode ✓"]


def test_blobs_reads_non_ascii_text(repo: GitRepo) -> None:
    oids = [subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo.path,
                           input=text.encode(), capture_output=True, check=True
                           ).stdout.decode().strip() for text in ("ü ✓ 日本\n", "plain", "")]
    texts = git.blobs(repo.path, oids)
    assert [texts[o] for o in oids] == ["ü ✓ 日本\n", "plain", ""]


def test_fetch_and_push_share_records_and_combine_both_sides(tmp_path, repo: GitRepo) -> None:
    tree = repo.git("rev-parse", "HEAD^{tree}")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "origin", "main")
    other = GitRepo.__new__(GitRepo)
    other.path = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(remote), str(other.path)], check=True)

    # this machine ran lint, the other one ran secrets, on the same merge result
    notes.record(repo.path, verdict(tree, [ok("lint")]), ["lint", "secrets"])
    notes.record(other.path, verdict(tree, [ok("secrets")], started="2026-01-01T11:00:00Z"),
                 ["lint", "secrets"])
    assert notes.push(repo.path, "origin") == 1
    assert notes.fetch(other.path, "origin") == (0, 1)
    rec = notes.read(other.path, tree)
    assert rec is not None and sorted(rec["gates"]) == ["lint", "secrets"] and notes.passes(rec)
    # and back: pushing merges first, so nothing is lost on either side
    assert notes.push(other.path, "origin") == 1
    assert notes.fetch(repo.path, "origin") == (0, 1)
    assert notes.passes(notes.read(repo.path, tree))


def test_fetch_from_a_remote_without_records_is_a_no_op(tmp_path, repo: GitRepo) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    assert notes.fetch(repo.path, "origin") == (0, 0)
    with pytest.raises(git.GitError, match="fetch"):
        notes.fetch(repo.path, "no-such-remote")
