"""The merge guard: may this tree land on the protected branch?

Whatever is about to land — the tree of a merge being committed, the new tip of
a fast-forward, a pushed commit, a pull request's merge commit — is allowed only
when that exact tree carries a passing verdict record (gates.guard.notes), from a run
of every gate the policy requires. Nothing else lets it in, except updates that
land nothing new (the same commit, an older one, one already on a remote's copy
of the branch, a change of the coordination files only, or a tested tree plus such a
change, as `gates run --commit` leaves on the branch), and an audited
emergency override (`GATES_OVERRIDE="reason"`).

This runs inside git hooks on every update of the protected branch: it imports
nothing heavy, and the common case costs one or two git calls.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gates import git
from gates.clock import now_iso
from gates.config import is_status_file
from gates.guard import notes

OVERRIDE_VAR = "GATES_OVERRIDE"
WALK = 20  # first-parent commits looked at below a tip for a tested tree (status commits)


@dataclass
class Landing:
    """What is about to land on the protected branch."""

    tree: str
    commit: str | None  # None while a merge is being committed (pre-merge-commit)
    old: str | None  # the branch's tip before (None: it is being created)
    incoming: list[str] = field(default_factory=list)  # commits it brings in
    how: str = "merge"  # "merge", "update", "push to origin", "pull request"


@dataclass
class Decision:
    allowed: bool
    why: str  # one short paragraph
    failed: str = ""  # what did not pass, for the audit record of an override
    branch: str = ""  # the branch that lands, when known
    record: dict[str, Any] | None = None


def short(sha: str | None) -> str:
    return (sha or "")[:8] or "nothing"


def _lands_nothing_new(repo: Path, protected: str, status_dir: str, land: Landing) -> str:
    """Why this update brings nothing untested onto the branch, or ""."""
    if land.commit is not None and land.old is not None and \
            git.is_ancestor(repo, land.commit, land.old):
        return "it moves the branch back to a commit it already had"
    if land.commit is not None and land.how == "update":  # a pull, a reset to origin/main …
        # (not for a push: what the remote has is the remote's word, not our copy of it)
        for ref, tip in git.refs(repo, "refs/remotes").items():
            if ref.endswith(f"/{protected}") and git.is_ancestor(repo, land.commit, tip):
                return f"the commit is already on {ref.removeprefix('refs/remotes/')}"
    if land.old is not None:
        changes = git.diff(repo, land.old, land.tree)
        if all(is_status_file(c.path, status_dir) for c in changes):
            return "only the coordination files change"
    return _tested_below(repo, status_dir, land)


def _first_parent_trees(repo: Path, start: str, count: int) -> list[str]:
    """The trees of `start` and its first-parent ancestors, newest first."""
    raw = git.out("rev-list", "--first-parent", f"--max-count={count}", "--format=%T",
                  "--end-of-options", start, cwd=repo)
    return [line for line in raw.splitlines() if line and not line.startswith("commit ")]


def _tested_below(repo: Path, status_dir: str, land: Landing) -> str:
    """Why the tree is a tested tree plus changes of the coordination files, or "".

    `gates run --commit` on the protected branch commits the coordination files on top
    of a tested merge: walk the first parents (at most WALK commits) while only those
    files differ, and allow the tree when one of them passed. Anything else fails closed.
    """
    start = land.commit or land.old
    if start is None:
        return ""
    try:
        trees = _first_parent_trees(repo, start, WALK + 1)
    except git.GitError:
        return ""
    for tree in trees[1:] if land.commit else trees:
        if tree == land.tree:
            continue  # the same tree: its note was read already
        if not all(is_status_file(c.path, status_dir) for c in git.diff(repo, tree, land.tree)):
            return ""
        try:
            rec = notes.read(repo, tree)
        except notes.NoteError:
            continue
        if notes.passes(rec):
            assert rec is not None
            return (f"only the coordination files change since tree {short(tree)}, which "
                    f"passed the gates ({rec.get('branch', '?')}, tested "
                    f"{rec.get('started', '?')})")
    return ""


def branch_name(repo: Path, protected: str, commits: Sequence[str]) -> str:
    """A branch name for the first of `commits` that one points at, else ""."""
    for sha in commits:
        for ref in git.refs_at(repo, sha, "refs/heads", "refs/remotes"):
            name = ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")
            if name.startswith("origin/"):
                name = name.removeprefix("origin/")
            if name not in (protected, "HEAD") and not name.endswith("/HEAD"):
                return name
    return ""


def check(repo: Path, protected: str, status_dir: str, land: Landing) -> Decision:
    if land.commit is not None and land.commit == land.old:
        return Decision(True, "the branch does not move")
    try:
        rec = notes.read(repo, land.tree)
    except notes.NoteError as e:
        rec, damaged = None, str(e)
    else:
        damaged = ""
    if notes.passes(rec):
        assert rec is not None
        return Decision(True, f"tree {short(land.tree)} passed the gates "
                              f"({rec.get('branch', '?')}, tested {rec.get('started', '?')})",
                        branch=str(rec.get("branch", "")), record=rec)
    exempt = _lands_nothing_new(repo, protected, status_dir, land)
    if exempt:
        return Decision(True, exempt)
    return _refusal(repo, protected, land, rec, damaged)


def _refusal(repo: Path, protected: str, land: Landing, rec: dict[str, Any] | None,
             damaged: str) -> Decision:
    what = f"tree {short(land.tree)}"
    if rec is not None and rec.get("gates"):
        branch = str(rec.get("branch") or "")
        rerun = _rerun(branch)
        if rec["verdict"] == "blocked":
            failed = "; ".join(rec["reasons"])
            report = f" Report: {rec['report']}." if rec.get("report") else ""
            why = (f"the gates blocked {branch or what}: {failed}.{report} Fix it on the "
                   f"branch, then run {rerun} again.")
        else:
            ran = ", ".join(sorted(rec["gates"])) or "none"
            failed = f"never ran: {', '.join(notes.missing(rec))}"
            why = (f"{branch or what} was tested by some gates only ({ran}); "
                   f"{failed}. Run {rerun} (all gates).")
        return Decision(False, why, failed, branch, rec)
    earlier = notes.of_commits(repo, land.incoming) if land.incoming else []
    branch = branch_name(repo, protected, land.incoming) or \
        (str(earlier[0].get("branch") or "") if earlier else "")
    rerun = _rerun(branch)
    label = branch or (short(land.incoming[0]) if land.incoming else what)
    if damaged:
        return Decision(False, f"{damaged}. Run {rerun} again to replace it.",
                        "damaged verdict note", branch)
    if earlier:
        e = earlier[0]
        found = git.resolve_branch(repo, protected)
        tip = found[1] if found else land.old
        if e.get("base_commit") != tip:
            why = (f"{label} was tested against an older {protected} "
                   f"({short(e.get('base_commit'))}; {protected} is now {short(tip)}), so "
                   f"this {land.how} would land a tree nobody tested. Re-run {rerun}.")
            return Decision(False, why, f"tested against an older {protected}", branch, e)
        why = (f"this {land.how} is not the merge the gates tested ({what}; they tested "
               f"{short(e.get('tree'))}): it was changed or resolved by hand. Land the "
               f"tested merge, or run {rerun} on what you want to land.")
        return Decision(False, why, "not the tested merge", branch, e)
    if branch:
        why = f"{label} was never tested ({what} has no verdict): run {rerun}, then try again."
    else:
        why = (f"{label} was never tested ({what} has no verdict), and no branch points at "
               f"it: put the work on a branch of its own, run {rerun}, merge that branch "
               f"into {protected}, then try again.")
    return Decision(False, why, "never tested", branch)


def _rerun(branch: str) -> str:
    """The command to run, without a placeholder a person would have to guess."""
    if branch:
        return f"`gates run --branch {branch}`"
    return "`gates run --branch` with the name of the branch that holds this work"


# -- the emergency override ----------------------------------------------------------


def override_reason() -> str | None:
    """The reason given in GATES_OVERRIDE; None when there is no override."""
    raw = os.environ.get(OVERRIDE_VAR)
    return None if raw is None or not raw.strip() else " ".join(raw.split())[:500]


def who(repo: Path) -> str:
    name = git.config_value(repo, "user.name")
    email = git.config_value(repo, "user.email")
    person = f"{name} <{email}>" if name and email else (name or email or "")
    if not person:
        try:
            person = getpass.getuser()
        except (KeyError, OSError):
            person = "unknown"
    actor = os.environ.get("GITHUB_ACTOR")
    return f"{person} (GitHub: {actor})" if actor else person


def override_entry(repo: Path, protected: str, land: Landing, decision: Decision, reason: str,
                   hook: str) -> dict[str, Any]:
    """The audit record of an override: who, when, why, what had not passed. Its `key`
    is the same for the same person, reason and tree (one merge passes two hooks)."""
    person = who(repo)
    key = hashlib.sha256(f"{land.tree}\0{protected}\0{person}\0{reason}".encode()).hexdigest()
    return {
        "key": key[:20], "who": person, "when": now_iso(), "reason": reason,
        "failed": decision.failed, "why": decision.why, "branch": decision.branch,
        "target": protected, "commit": land.commit or "", "hook": hook,
    }


def recorded(repo: Path, tree: str, key: str) -> bool:
    """Is this override in the note on `tree` already?"""
    try:
        rec = notes.read(repo, tree)
    except notes.NoteError:
        return False
    return any(o.get("key") == key for o in (rec or {}).get("overrides", []))
