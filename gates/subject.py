"""What one run judges: a branch, its base, and the tree their merge would produce."""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gates import git, proc
from gates.errors import UserError
from gates.filelock import if_free, new_locked
from gates.store import runs_dir


class SubjectError(UserError):
    """Unknown branch, missing base …: one line for the user."""


@dataclass
class Subject:
    branch: str
    ref: str
    agent: str
    base: str
    base_commit: str
    branch_commit: str
    merge_base: str | None
    tree: str | None  # None when the merge conflicts
    conflicts: list[str] = field(default_factory=list)
    changed: list[git.Change] = field(default_factory=list)

    @property
    def short(self) -> str:
        return self.branch_commit[:8]


def agent_of(branch: str) -> str:
    return branch.split("/", 1)[0].upper() if "/" in branch else "UNASSIGNED"


def slug(branch: str) -> str:
    """A folder name for a branch that can never leave the reports folder."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", branch.replace("/", "__"))
    s = s.lstrip(".-_") or "branch"
    if "." in s and s.rsplit(".", 1)[1].lower() in ("html", "json", "jsonl", "md", "css"):
        s += "_"  # never the name of a file that reports/ itself holds (index.html …)
    return s[:120]


def resolve(repo: Path, branch: str, base: str, base_commit: str = "") -> Subject:
    """What merging `branch` into `base` would produce; `base_commit` pins the base (the
    commit the run read its policy from), else the base branch's tip is taken now."""
    if not branch or branch.startswith("-") or not git.check_ref_name(repo, branch):
        raise SubjectError(f"not a valid branch name: {branch!r}")
    found = git.resolve_branch(repo, branch)
    if found is None:
        raise SubjectError(f"unknown branch {branch!r} (no local or origin/ branch of that name)")
    ref, branch_commit = found
    if not base_commit:
        base_found = git.resolve_branch(repo, base)
        if base_found is None:
            raise SubjectError(f"base branch {base!r} does not exist")
        base_commit = base_found[1]
    mb = git.merge_base(repo, base_commit, branch_commit)
    merged = git.merge_tree(repo, base_commit, branch_commit)
    changed = git.diff(repo, base_commit, merged.tree) if merged.tree else []
    return Subject(
        branch=branch, ref=ref, agent=agent_of(branch), base=base, base_commit=base_commit,
        branch_commit=branch_commit, merge_base=mb, tree=merged.tree,
        conflicts=merged.conflicts, changed=changed,
    )


LOCK = ".lock"  # runs/<name>.lock guards the folder runs/<name>/


@contextlib.contextmanager
def materialise(repo: Path, subject: Subject, *, lazy: bool = False
                ) -> Iterator[tuple[Path, Path]]:
    """(worktree, scratch): the merge result as plain files in a throw-away folder;
    removed afterwards with every process group started in it, whatever happens (a
    killed run's folder by the next run's `sweep`). `lazy`: nothing is exported yet
    (a `gate.Workspace` exports on first need).

    The folder `runs/<name>/` is created only once its lock `runs/<name>.lock` is
    held, and the lock is held from the moment its name exists: a folder whose lock
    is free belongs to no live run."""
    assert subject.tree is not None
    root = runs_dir(repo)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    with new_locked(root, f"{slug(subject.branch)}-") as lock:
        scratch = lock.with_name(lock.name.removesuffix(LOCK))
        try:
            scratch.mkdir(mode=0o700)
            with proc.recording_in(scratch):
                worktree = scratch / "tree"
                if not lazy:
                    git.export(repo, subject.tree, worktree)
                yield worktree, scratch
        finally:
            _remove(scratch)


def _remove(scratch: Path) -> None:
    """Remove a run's folder, and first every process group recorded in it."""
    proc.kill_recorded(scratch)
    shutil.rmtree(scratch, ignore_errors=True)


def sweep(repo: Path) -> None:
    """Remove what killed runs left behind: the folders whose lock is free (whatever
    their age: a live run holds its lock from before its folder exists), after killing
    the process groups recorded in them; lock files a killed run had not linked yet."""
    root = runs_dir(repo)
    if not root.is_dir():
        return
    for entry in sorted(root.iterdir()):
        if entry.name.endswith((LOCK, ".tmp")) and entry.is_file():
            with if_free(entry) as free:
                if free:
                    if entry.name.endswith(LOCK):
                        _remove(entry.with_name(entry.name.removesuffix(LOCK)))
                    entry.unlink(missing_ok=True)
        elif entry.is_dir() and not entry.is_symlink() \
                and not entry.with_name(entry.name + LOCK).exists():
            _remove(entry)  # its lock is gone (removed by its run or a sweep): no run uses it


def stale(repo: Path, entries: dict[str, dict[str, object]]) -> set[str]:
    """Branches whose recorded run no longer matches their tip or their base's tip."""
    out = set()
    tips: dict[str, str | None] = {}
    for branch, e in entries.items():
        for name in (branch, str(e["base"])):
            if name not in tips:
                found = git.resolve_branch(repo, name)
                tips[name] = found[1] if found else None
        if tips[branch] != e["branch_commit"] or tips[str(e["base"])] != e["base_commit"]:
            out.add(branch)
    return out
