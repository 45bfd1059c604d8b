"""gates.store: the state folder under the git common dir, and the per-user temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates import git, store
from gates.cache import Cache
from gates.guard import notes
from gates.model import GateResult, Status, Verdict
from gates.subject import runs_dir
from tests.conftest import GitRepo


@pytest.fixture
def worktree(repo: GitRepo, tmp_path: Path) -> Path:
    """A second worktree of `repo`: its git dir differs from the common dir."""
    path = tmp_path / "second"
    repo.git("worktree", "add", "-q", "-b", "other", str(path))
    return path


def test_the_state_folder_is_in_the_git_common_dir(repo: GitRepo) -> None:
    state = (repo.path / ".git" / "gates").resolve()
    assert store.folder(repo.path) == state
    assert store.cache_db(repo.path) == state / "cache.sqlite"
    assert store.publish_lock(repo.path) == state / "publish.lock"
    assert store.notes_lock(repo.path) == state / "notes.lock"
    assert not state.exists()  # naming a path creates nothing


def test_every_worktree_shares_the_state_folder_of_the_common_dir(
        repo: GitRepo, worktree: Path) -> None:
    own_git_dir = Path(git.out("rev-parse", "--absolute-git-dir", cwd=worktree))
    assert own_git_dir.parent.name == "worktrees"  # a git dir of its own …
    assert store.folder(worktree) == store.folder(repo.path)  # … but one state folder
    assert store.runs_dir(worktree) == store.runs_dir(repo.path)
    assert Cache.for_repo(worktree).path == store.cache_db(repo.path)


def test_runs_are_exported_outside_the_repository_one_folder_per_repository(
        repo: GitRepo, tmp_path: Path) -> None:
    runs = store.runs_dir(repo.path)
    assert runs.name == "runs" and runs.parent.parent == store.user_temp()
    assert not runs.is_relative_to(repo.path) and not runs.is_relative_to(tmp_path)
    other = GitRepo(tmp_path / "other")
    assert store.runs_dir(other.path) != runs
    assert runs_dir(repo.path) == runs  # the name runs import


def test_a_lock_file_is_outside_the_folder_of_what_it_guards(repo: GitRepo) -> None:
    status = repo.path / "CLUSTER_STATUS.md"
    lock = store.lock_for(status)
    assert lock.parent == store.user_temp() / "locks" and lock.suffix == ".lock"
    assert store.lock_for(repo.path / "." / "CLUSTER_STATUS.md") == lock  # by absolute path
    assert store.lock_for(repo.path / "CLUSTER_ISSUES.md") != lock


def test_the_writers_use_the_folders_store_names(repo: GitRepo, worktree: Path) -> None:
    tree = git.write_tree(worktree)  # a temporary index under the state folder
    assert store.folder(repo.path).is_dir()
    assert list(store.folder(repo.path).iterdir()) == []  # … removed afterwards
    v = Verdict(branch="agent/x", agent="AGENT", base="main", branch_commit="c" * 40,
                base_commit="b" * 40, tree=tree, results=[GateResult("lint", Status.PASS)],
                passed=True, reasons=[], started="2026-01-01T10:00:00Z")
    notes.record(worktree, v, ["lint"])
    assert store.notes_lock(repo.path).is_file()
    Cache.for_repo(worktree).put_many({"k" * 64: "{}"}, "probe")
    assert store.cache_db(repo.path).is_file()
