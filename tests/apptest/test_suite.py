"""A repo's pytest suite against the gate's app: where it may be. Whole runs, with the
app dying under them, are in tests/builtin/e2e/test_gate.py and test_auth.py."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from gates.apptest import suite
from gates.builtin.auth.gate import GATE
from gates.gate import GateError
from gates.model import Finding, Severity
from tests.conftest import GitRepo, gate_context


def test_paths_must_be_inside_the_tree(tmp_path: Path) -> None:
    (tmp_path / "tests" / "auth").mkdir(parents=True)
    suite.check_paths(tmp_path, ["tests/auth"], "auth tests")
    suite.check_paths(tmp_path, [], "auth tests")
    with pytest.raises(GateError, match=r"^the configured auth tests are not in the tree "
                       r"under test: tests/authz, \.\./x$"):
        suite.check_paths(tmp_path, ["tests/auth", "tests/authz", "../x"], "auth tests")


# -- a branch cannot pass by deleting the configured tests (issue 10) ----------------

BODY = "\n".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(12))
OTHER = "def test_other():\n    assert True\n"


def branch_doing(repo: GitRepo, name: str, *git_ops: tuple[str, ...],
                 files: dict[str, str] | None = None) -> None:
    """`name` off main: the git operations (rm, mv …), then `files` written, one commit."""
    repo.git("checkout", "-q", "-b", name, "main")
    for op in git_ops:
        repo.git(*op)
    if files:
        repo.write(files)
        repo.git("add", "-A", "--", *files)
    repo.git("commit", "-q", "-m", "work")
    repo.git("checkout", "-q", "main")


def deleted(repo: GitRepo, branch: str, tests: list[str]) -> list[Finding]:
    with gate_context(repo, branch, GATE) as ctx:
        return suite.deleted_tests(ctx, tests, "auth tests")


@pytest.fixture
def suite_repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"tests/auth/test_a.py": BODY, "tests/auth/test_b.py": OTHER,
                 "tests/unit/test_c.py": OTHER, "gates.toml": "[gates.auth]\n"}, "tests")
    return repo


def test_a_deleted_test_file_is_a_high_finding_naming_it_and_the_base(suite_repo: GitRepo
                                                                      ) -> None:
    branch_doing(suite_repo, "oak/rm", ("rm", "-q", "tests/auth/test_b.py"))
    [f] = deleted(suite_repo, "oak/rm", ["tests/auth"])
    base = suite_repo.git("rev-parse", "main")[:8]
    assert (f.gate, f.rule, f.severity, f.path, f.new) == (
        "auth", "tests-deleted", Severity.HIGH, "tests/auth/test_b.py", True)
    assert f.message == ("the branch deletes tests/auth/test_b.py, one of the auth tests "
                         f"(configured: tests/auth); base {base} has it")
    assert f.fingerprint
    # a file named directly, and the same folder written as ./tests/auth/
    assert deleted(suite_repo, "oak/rm", ["tests/auth/test_b.py"])
    assert deleted(suite_repo, "oak/rm", ["./tests/auth/"])


def test_deletions_outside_the_test_paths_are_not_this_rule(suite_repo: GitRepo) -> None:
    branch_doing(suite_repo, "oak/unit", ("rm", "-q", "tests/unit/test_c.py"))
    assert deleted(suite_repo, "oak/unit", ["tests/auth"]) == []
    assert deleted(suite_repo, "oak/unit", []) == []  # no paths configured (marker only)


@pytest.mark.parametrize("moved", [
    BODY,  # as is
    BODY.replace("def test_3", "def test_three") + "# moved into login/\n",  # and edited
])
def test_a_move_within_the_test_paths_is_not_a_deletion(suite_repo: GitRepo, moved: str
                                                       ) -> None:
    branch_doing(suite_repo, "oak/mv", ("rm", "-q", "tests/auth/test_a.py"),
                 files={"tests/auth/login/test_a.py": moved})
    assert deleted(suite_repo, "oak/mv", ["tests/auth"]) == []


def _keeping(lines: int) -> str:
    """BODY moved with its first `lines` lines kept and the rest rewritten (as many
    lines, none of them BODY's)."""
    body = BODY.splitlines()
    return "\n".join(body[:lines] + [f"rewritten_{i} = {i}" for i in range(len(body) - lines)])


@pytest.mark.parametrize(("kept", "is_a_move"), [(17, False), (18, True)])
def test_a_moved_file_must_keep_at_least_half_its_lines(suite_repo: GitRepo, kept: int,
                                                        is_a_move: bool) -> None:
    moved = _keeping(kept)
    ratio = difflib.SequenceMatcher(None, BODY.splitlines(), moved.splitlines(),
                                    autojunk=False).ratio()
    assert (ratio >= 0.5) is is_a_move and abs(ratio - 0.5) < 0.03  # just under, just over
    branch_doing(suite_repo, "oak/mv", ("rm", "-q", "tests/auth/test_a.py"),
                 files={"tests/auth/login/test_a.py": moved})
    found = [f.path for f in deleted(suite_repo, "oak/mv", ["tests/auth"])]
    assert found == ([] if is_a_move else ["tests/auth/test_a.py"])


def test_a_move_out_of_the_test_paths_or_a_replacement_is_a_deletion(suite_repo: GitRepo
                                                                     ) -> None:
    branch_doing(suite_repo, "oak/out", ("rm", "-q", "tests/auth/test_a.py"),
                 files={"tests/attic/test_a.py": BODY, "tests/auth/test_z.py": OTHER})
    assert [f.path for f in deleted(suite_repo, "oak/out", ["tests/auth"])] == [
        "tests/auth/test_a.py"]
