"""`gates guard`: may this land on the protected branch? Called by git hooks and CI.

  gates guard --hook pre-merge-commit          the merge being committed (its index)
  gates guard --hook reference-transaction S   any update of the branch (stdin: updates)
  gates guard --hook pre-push REMOTE URL       a push to the branch (stdin: updates)
  gates guard --pre-commit                     the same, run by the pre-commit framework
  gates guard [--ci] [REV …]                   a commit or tree, e.g. a pull request's merge

Exit 0: allowed; 1: refused (one paragraph says why); 2: usage or config error;
3: an override could not be recorded (so it is refused). Plain text, no rich:
this runs on every update of the protected branch.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gates import git
from gates.commands.common import trusted_config
from gates.config import Config, validate
from gates.errors import UsageError
from gates.guard import decide, notes
from gates.guard.decide import Landing
from gates.subject import SubjectError


class CannotRecord(Exception):
    """An override that cannot be recorded does not go through."""


def say(text: str) -> None:
    """One paragraph on stderr (git shows hooks' output). Names in it may come from notes
    fetched from elsewhere: no control character reaches the terminal."""
    clean = "".join(c if c.isprintable() else " " for c in text)
    print(textwrap.fill(" ".join(clean.split()), width=100, subsequent_indent="  "),
          file=sys.stderr)


def _config(root: Path, base: str | None) -> Config:
    try:
        return trusted_config(root, None, base)
    except SubjectError:
        if base:
            raise
        return validate({}, "defaults")  # no main yet: protect the default name


@dataclass(frozen=True)
class GuardOptions:
    """What the guard was called as: a git hook (with its arguments), pre-commit, or CI."""

    hook: str | None  # "pre-merge-commit", "reference-transaction", "pre-push", or None
    targets: list[str]  # REVs to check, or the hook's own arguments
    pre_commit: bool  # called by the pre-commit framework

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> GuardOptions:
        return cls(hook=args.hook, targets=list(args.targets), pre_commit=args.pre_commit)


def main(args: argparse.Namespace) -> int:
    if args.hook == "reference-transaction" and args.targets[:1] != ["prepared"]:
        return 0  # only a prepared transaction can still be refused
    root = git.toplevel(args.repo)
    ci = args.ci or (os.environ.get("GITHUB_ACTIONS") == "true" and not args.hook
                     and not args.pre_commit)
    base = args.base or (os.environ.get("GITHUB_BASE_REF") or None if ci else None)
    cfg = _config(root, base)
    protected = cfg["base"]
    hook = args.hook or ("pre-commit" if args.pre_commit else ("ci" if ci else "manual"))
    landings = _landings(root, protected, GuardOptions.from_args(args), ci)
    results = [_decide(root, cfg, land, hook, ci) for land in landings]
    if any(r == 3 for r in results):
        return 3
    return 1 if any(results) else 0


def _landings(root: Path, protected: str, opts: GuardOptions, ci: bool) -> list[Landing]:
    ref = f"refs/heads/{protected}"
    if opts.hook == "pre-merge-commit" or (opts.pre_commit and
                                           not os.environ.get("PRE_COMMIT_REMOTE_BRANCH")):
        return _merging(root, ref)
    if opts.hook == "reference-transaction":
        return _updates(root, ref, sys.stdin.read(), "update")
    if opts.hook == "pre-push":
        remote = opts.targets[0] if opts.targets else "origin"
        return _pushes(root, ref, sys.stdin.read(), remote)
    if opts.pre_commit:  # pre-push, as pre-commit hands it over
        return _pre_commit_push(root, ref, os.environ)
    targets = opts.targets or [os.environ.get("GITHUB_SHA") or "HEAD" if ci else "HEAD"]
    return [_explicit(root, ref, t, "pull request" if ci else "merge") for t in targets]


def _landing(root: Path, commit: str, old: str | None, how: str) -> Landing:
    return Landing(tree=git.tree_of(root, commit), commit=commit, old=old,
                   incoming=[commit, *git.parents(root, commit)[1:]], how=how)


def _merging(root: Path, ref: str) -> list[Landing]:
    if git.head_branch(root) != ref:
        return []  # a merge into another branch: not ours to guard
    index = os.environ.get("GIT_INDEX_FILE")
    tree = git.write_tree(root, os.path.abspath(index) if index else None)
    # MERGE_HEAD is written after this hook; git names what it merges in the reflog action
    names = os.environ.get("GIT_REFLOG_ACTION", "").split()[1:]
    heads = [sha for sha in (git.rev(root, n) for n in names if not n.startswith("-")) if sha]
    return [Landing(tree=tree, commit=None, old=git.rev(root, "HEAD"), incoming=heads)]


def _updates(root: Path, ref: str, stdin: str, how: str) -> list[Landing]:
    out = []
    for line in stdin.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[2] != ref or parts[1] == git.ZERO:
            continue  # another ref, or a deletion: nothing lands
        old, new = parts[0], parts[1]
        out.append(_landing(root, new, None if old == git.ZERO else old, how))
    return out


def _remote_tip(root: Path, sha: str | None) -> str | None:
    """The remote's tip before a push, when it is a commit this clone has; else None
    (the branch is new there — all zeros —, or it holds work this clone never saw, as
    before a force push), so that nothing is compared with it. One place for both the
    native pre-push hook and pre-commit's."""
    if not sha or sha.strip("0") == "" or git.object_type(root, sha) != "commit":
        return None
    return sha


def _pushes(root: Path, ref: str, stdin: str, remote: str) -> list[Landing]:
    out = []
    for line in stdin.splitlines():
        parts = line.split()
        if len(parts) != 4 or parts[2] != ref or parts[1] == git.ZERO:
            continue
        local, remote_sha = parts[1], parts[3]
        out.append(_landing(root, local, _remote_tip(root, remote_sha), f"push to {remote}"))
    return out


def _pre_commit_push(root: Path, ref: str, env: Mapping[str, str]) -> list[Landing]:
    """A push as pre-commit describes it in PRE_COMMIT_* variables. Its FROM_REF is the
    remote's tip only when pre-commit knew that tip; otherwise it is the parent of the
    first commit on no remote-tracking branch, which is not the remote's word: it counts
    only when it is where this clone last saw the remote's branch."""
    if env.get("PRE_COMMIT_REMOTE_BRANCH") != ref:
        return []
    local = env.get("PRE_COMMIT_TO_REF") or git.rev(root, env.get("PRE_COMMIT_LOCAL_BRANCH")
                                                    or "HEAD")
    if not local or local == git.ZERO:
        return []  # a deletion: nothing lands
    remote = env.get("PRE_COMMIT_REMOTE_NAME", "")
    old = _remote_tip(root, env.get("PRE_COMMIT_FROM_REF"))
    seen = git.rev(root, f"refs/remotes/{remote}/{ref.removeprefix('refs/heads/')}") \
        if remote else None  # (a remote given as a URL has no such ref: None)
    return [_landing(root, local, old if old == seen else None, f"push to {remote}")]


def _explicit(root: Path, ref: str, target: str, how: str) -> Landing:
    kind = git.object_type(root, target)
    if kind == "tree":
        return Landing(tree=git.object_id(root, target) or target, commit=None, old=None,
                       how=how)
    if kind not in ("commit", "tag"):
        raise UsageError(f"not a commit or a tree: {target!r}")
    commit = git.rev(root, target) or target
    ps = git.parents(root, commit)
    # a merge commit lands on its first parent; a plain commit on the branch's tip
    old = ps[0] if len(ps) > 1 else git.rev(root, ref)
    return Landing(tree=git.tree_of(root, commit), commit=commit, old=old,
                   incoming=[commit] if len(ps) < 2 else ps[1:], how=how)


def _what(land: Landing, branch: str, protected: str) -> str:
    label = branch or decide.short(land.commit or land.tree)
    if land.how == "update":
        return f"moving {protected} to {label}"
    if land.how.startswith("push to "):
        return f"pushing {label} to {land.how.removeprefix('push to ')}/{protected}"
    if land.how == "pull request":
        return f"the pull request of {label} into {protected}"
    return f"merging {label} into {protected}"


def _hint(hook: str) -> str:
    if hook in ("pre-merge-commit", "pre-commit") and \
            not os.environ.get("PRE_COMMIT_REMOTE_BRANCH"):
        return " (`git merge --abort` backs out.)"
    action = os.environ.get("GIT_REFLOG_ACTION", "")
    if hook == "reference-transaction" and action.startswith(("merge", "pull")):
        return (" Git has already put the merged files in your work tree: `git reset "
                "--merge` puts them back (your own uncommitted changes stay).")
    return ""


def _decide(root: Path, cfg: Config, land: Landing, hook: str, ci: bool) -> int:
    protected = cfg["base"]
    try:
        d = decide.check(root, protected, cfg["status_dir"], land)
    except git.GitError as e:  # refused, and an override can still let it through
        d = decide.Decision(False, f"the guard could not check it ({e})", "guard error")
    what = _what(land, d.branch, protected)
    if d.allowed:
        if land.commit is None or land.commit != land.old:  # a ref rewritten in place: quiet
            say(f"gates guard: {what}: allowed: {d.why}.")
        return 0
    reason = decide.override_reason()
    if reason is None:
        say(f"gates guard: {what} refused: {d.why}{_hint(hook)} In an emergency only, "
            f'GATES_OVERRIDE="reason" lets it through, and is recorded in '
            f"CLUSTER_ISSUES.md and in the verdict note.")
        if ci:
            _annotate(f"{what} refused: {d.why}")
        return 1
    try:
        entry, fresh = _record(root, cfg, land, d, reason, hook)
    except CannotRecord as e:
        say(f"gates guard: {what} refused: the override could not be recorded ({e}), and "
            f"an override is never silent.")
        return 3
    if not fresh:
        say(f"gates guard: {what}: through by the override already recorded for tree "
            f"{decide.short(land.tree)}.")
        return 0
    say(f"gates guard: OVERRIDE by {entry['who']}: {what} goes through although {d.why} "
        f"Reason given: “{reason}”. Recorded in CLUSTER_ISSUES.md (high priority) and in "
        f"the verdict note on tree {decide.short(land.tree)}.")
    if ci:
        _annotate(f"{what} went through by override ({reason}): {d.why}", level="warning")
    return 0


def _record(root: Path, cfg: Config, land: Landing, d: decide.Decision, reason: str,
            hook: str) -> tuple[dict[str, str], bool]:
    from gates import publish  # only an override pays for these imports
    from gates.model import Finding, Severity

    protected = cfg["base"]
    entry = decide.override_entry(root, protected, land, d, reason, hook)
    if decide.recorded(root, land.tree, entry["key"]):
        return entry, False
    try:
        label = d.branch or decide.short(land.commit or land.tree)
        finding = Finding(
            gate="guard", rule="merge-override", severity=Severity.HIGH, tool="gates guard",
            fingerprint=entry["key"],
            message=f"{entry['who']} overrode the merge guard ({hook}) at {entry['when']} "
                    f"with the reason “{reason}”. What the guard said: {d.why}",
            extra={"impact": f"{protected} takes {label} (tree {decide.short(land.tree)}) "
                             f"without a passing verdict ({d.failed})",
                   "assist": f"a person to review the override and what it let into "
                             f"{protected}; run `gates run --branch {label}` once it is fixed"},
        )
        # the issue first: an override whose note exists has its issue too
        publish.record_issue(root, cfg, finding, d.branch or protected, entry["when"])
        notes.add_override(root, land.tree, entry)
    except (OSError, git.GitError) as e:
        raise CannotRecord(str(e)) from None
    return entry, True


def _annotate(text: str, level: str = "error") -> None:
    """A GitHub Actions annotation and a job-summary line."""
    flat = " ".join(text.split()).replace("%", "%25").replace("\r", "").replace("\n", " ")
    print(f"::{level} title=gates guard::{flat}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        from gates.publish.md import esc

        with open(summary, "a", encoding="utf-8") as f:
            f.write(f"### gates guard\n\n{esc(text)}\n\n")
