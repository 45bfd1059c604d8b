"""gates.git: the merge result, exports that never touch the user's checkout, what
changed, and one-line errors. Notes and hooks are in tests/guard/."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gates import git
from tests.conftest import GitRepo, sh


def files_in(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def untouched(repo: GitRepo) -> tuple[str, str, str]:
    """What a user would notice: branch, status, and what the index holds (read without
    letting `git status` refresh the index itself)."""
    quiet = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    status = sh("git", "status", "--porcelain", cwd=repo.path, env=quiet).stdout
    return repo.git("rev-parse", "--abbrev-ref", "HEAD"), status, repo.git("ls-files", "-s")


def test_merge_tree_of_a_clean_merge_holds_both_sides(repo: GitRepo) -> None:
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    repo.commit({"app/main_only.py": "M = 1\n"}, "main moves on")
    merged = git.merge_tree(repo.path, "main", "walnut/a")
    assert merged.conflicts == [] and merged.tree is not None
    assert merged.tree == repo.git("merge-tree", "--write-tree", "main", "walnut/a")
    listing = repo.git("ls-tree", "-r", "--name-only", merged.tree).splitlines()
    assert {"app/a.py", "app/main_only.py", "app/core.py"} <= set(listing)


def test_merge_tree_of_a_conflict_has_no_tree_and_names_the_paths(repo: GitRepo) -> None:
    repo.branch("walnut/x", {"app/core.py": "X = 1\n", "app/b.py": "B = 1\n",
                             "app/clean.py": "C = 1\n"})
    repo.commit({"app/core.py": "X = 2\n", "app/b.py": "B = 2\n"}, "main edits the same")
    before = untouched(repo)
    merged = git.merge_tree(repo.path, "main", "walnut/x")
    assert merged == git.MergeResult(None, ["app/b.py", "app/core.py"])
    assert untouched(repo) == before


def test_export_writes_a_tree_as_plain_files_and_leaves_the_checkout_alone(
        repo: GitRepo, tmp_path: Path) -> None:
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    repo.write({"app/core.py": "uncommitted edit\n", "scratch.txt": "untracked\n"})
    repo.git("add", "scratch.txt")
    before = untouched(repo)
    tree = git.merge_tree(repo.path, "main", "walnut/a").tree
    assert tree is not None
    dest = git.export(repo.path, tree, tmp_path / "out")
    assert files_in(dest) == {"app/__init__.py": "", "app/a.py": "A = 1\n",
                              "app/core.py": repo.git("show", "main:app/core.py") + "\n"}
    assert not (dest / ".git").exists()
    assert untouched(repo) == before


def test_export_of_some_paths_writes_only_those_that_exist(repo: GitRepo,
                                                           tmp_path: Path) -> None:
    repo.commit({"lib/one.py": "ONE = 1\n", "lib/two.py": "TWO = 2\n"}, "lib")
    dest = git.export(repo.path, "main", tmp_path / "some", ["lib/two.py", "lib/missing.py"])
    assert files_in(dest) == {"lib/two.py": "TWO = 2\n"}
    assert files_in(git.export(repo.path, "main", tmp_path / "none", [])) == {}


def test_export_blobs_writes_blobs_of_any_tree_under_new_names(repo: GitRepo,
                                                               tmp_path: Path) -> None:
    old = git.blob_ids(repo.path, "main", ["app/core.py"])["app/core.py"]
    repo.commit({"app/core.py": "NEW = 1\n"}, "rewrite")
    new = git.blob_ids(repo.path, "main", ["app/core.py"])["app/core.py"]
    dest = git.export_blobs(repo.path, {"0/app/core.py": new, "1/app/core.py": old},
                            tmp_path / "both")
    assert files_in(dest)["0/app/core.py"] == "NEW = 1\n"
    assert files_in(dest)["1/app/core.py"].startswith("import os")


def test_diff_names_added_modified_deleted_and_retyped_paths(repo: GitRepo) -> None:
    base = repo.commit({"app/gone.py": "G = 1\n", "app/old_name.py": "O = 1\n",
                        "app/link": "target\n"}, "base")
    repo.write({"app/core.py": "CHANGED = 1\n", "app/new.py": "N = 1\n"})
    (repo.path / "app" / "gone.py").unlink()
    (repo.path / "app" / "old_name.py").rename(repo.path / "app" / "new_name.py")
    (repo.path / "app" / "link").unlink()
    (repo.path / "app" / "link").symlink_to("core.py")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "all kinds")
    changes = {c.path: c for c in git.diff(repo.path, base, "HEAD")}
    assert {p: c.status for p, c in changes.items()} == {
        "app/core.py": "M", "app/new.py": "A", "app/gone.py": "D",
        "app/old_name.py": "D", "app/new_name.py": "A",  # no rename detection
        "app/link": "T"}
    assert changes["app/link"].mode == "120000" and not changes["app/link"].is_file
    assert changes["app/new.py"].is_file and changes["app/gone.py"].mode == "000000"
    assert git.diff(repo.path, base, base) == []


def test_blob_ids_and_show_file_never_follow_a_symlink(repo: GitRepo) -> None:
    (repo.path / "app" / "passwd").symlink_to("/etc/passwd")
    repo.git("add", "app/passwd")
    repo.commit({"big.txt": "x" * 2000}, "a link and a big file")
    assert "app/passwd" in git.blob_ids(repo.path, "main")
    assert "app/passwd" not in git.blob_ids(repo.path, "main", regular=True)
    assert git.show_file(repo.path, "main", "app/passwd") is None
    assert git.show_file(repo.path, "main", "app/core.py").startswith("import os")  # type: ignore[union-attr]
    for bad in ("", "/etc/passwd", "app/../app/core.py", "app", "nope.py"):
        assert git.show_file(repo.path, "main", bad) is None, bad
    assert git.show_file(repo.path, "main", "big.txt", max_bytes=1000) is None
    assert git.show_file(repo.path, "main", "big.txt") == "x" * 2000


def test_local_branches_come_before_origins(repo: GitRepo, tmp_path: Path) -> None:
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    origin_tip = git.rev(clone, "origin/walnut/a")
    assert git.resolve_branch(clone, "walnut/a") == ("refs/remotes/origin/walnut/a", origin_tip)
    subprocess.run(["git", "branch", "-q", "walnut/a", "origin/main"], cwd=clone, check=True)
    local = git.rev(clone, "refs/heads/walnut/a")
    assert local != origin_tip
    assert git.resolve_branch(clone, "walnut/a") == ("refs/heads/walnut/a", local)
    assert git.resolve_branch(clone, "walnut/nope") is None
    assert git.branches(clone) == ["main", "walnut/a"]  # deduplicated, no origin/HEAD


def test_rev_of_what_is_not_a_commit_is_none(repo: GitRepo) -> None:
    assert git.rev(repo.path, "main") == repo.git("rev-parse", "main")
    assert git.rev(repo.path, "no-such-branch") is None
    assert git.rev(repo.path, "main^{tree}") is None
    assert git.rev(repo.path, "--all") is None  # an option is never taken as one


def test_a_failing_command_is_one_line(repo: GitRepo, tmp_path: Path) -> None:
    with pytest.raises(git.GitError, match=r"^git cat-file failed: .*no-such-object") as e:
        git.out("cat-file", "-p", "no-such-object", cwd=repo.path)
    assert "\n" not in str(e.value)
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    with pytest.raises(git.GitError, match="not a git repository"):
        git.toplevel(lonely)


def test_a_hooks_git_variables_do_not_redirect_the_plumbing(repo: GitRepo, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    other = GitRepo(tmp_path / "other")
    other.commit({"other.py": "O = 1\n"}, "other")
    main = repo.git("rev-parse", "main")
    # what git sets for a hook in another repository's work tree
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other.path / ".git" / "index"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.path))
    assert git.rev(repo.path, "main") == main
    assert git.toplevel(repo.path / "app") == repo.path.resolve()
    assert "app/core.py" in git.blob_ids(repo.path, "main")


def test_write_tree_reads_the_index_without_writing_it(repo: GitRepo) -> None:
    repo.write({"staged.py": "S = 1\n"})
    repo.git("add", "staged.py")
    before = untouched(repo)
    tree = git.write_tree(repo.path)
    assert "staged.py" in repo.git("ls-tree", "--name-only", tree).splitlines()
    assert untouched(repo) == before


def test_commit_files_commits_exactly_those_paths(repo: GitRepo) -> None:
    repo.write({"STATUS.md": "status\n", "other.py": "staged, not ours\n"})
    repo.git("add", "other.py")
    sha = git.commit_files(repo.path, [repo.path / "STATUS.md"], "status")
    assert sha == repo.git("rev-parse", "HEAD")
    assert repo.git("show", "--name-only", "--format=", "HEAD") == "STATUS.md"
    assert repo.git("diff", "--cached", "--name-only") == "other.py"  # still staged
    assert git.commit_files(repo.path, [repo.path / "STATUS.md"], "again") is None  # no change


def _shallow_clone(repo: GitRepo, tmp_path: Path) -> Path:
    """A clone of depth 1 of main and walnut/x, whose history meets below that depth:
    the checkout most CI systems make by default."""
    for i in range(3):
        repo.commit({"app/core.py": f"V = {i}\n"}, f"main {i}")
    repo.git("branch", "walnut/x", "HEAD~2")
    repo.git("checkout", "-q", "walnut/x")
    repo.commit({"app/x.py": "X = 1\n"}, "walnut work")
    repo.git("checkout", "-q", "main")
    clone = tmp_path / "shallow"
    sh("git", "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo.path}",
       str(clone), cwd=tmp_path)
    return clone


def test_a_shallow_clone_is_named_with_its_fix_before_merge_tree(repo: GitRepo,
                                                                 tmp_path: Path) -> None:
    clone = _shallow_clone(repo, tmp_path)
    base, branch = (git.out("rev-parse", r, cwd=clone) for r in ("origin/main",
                                                                   "origin/walnut/x"))
    with pytest.raises(git.ShallowClone) as caught:
        git.merge_tree(clone, base, branch)
    assert "\n" not in str(caught.value)
    assert "shallow" in str(caught.value) and "git fetch --unshallow" in str(caught.value)
    assert "fetch-depth: 0" in str(caught.value)
    # once the history is there, the same merge works
    sh("git", "fetch", "-q", "--unshallow", cwd=clone)
    assert git.merge_tree(clone, base, branch).tree


def test_a_shallow_clone_whose_history_meets_merges(repo: GitRepo, tmp_path: Path) -> None:
    for i in range(3):
        repo.commit({"app/core.py": f"V = {i}\n"}, f"main {i}")
    repo.branch("walnut/y", {"app/y.py": "Y = 1\n"})
    clone = tmp_path / "deep-enough"
    sh("git", "clone", "-q", "--depth", "2", "--no-single-branch", f"file://{repo.path}",
       str(clone), cwd=tmp_path)
    assert git.out("rev-parse", "--is-shallow-repository", cwd=clone) == "true"
    base, branch = (git.out("rev-parse", r, cwd=clone) for r in ("origin/main",
                                                                   "origin/walnut/y"))
    assert git.merge_tree(clone, base, branch).tree
