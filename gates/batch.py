"""Many branches at once: plan them all, scan each distinct (tool, blob) once, then judge.

`gates run --all` (or several `--branch`) first runs the gates that declare
`scans_per_file = True` on every branch in a collecting pass (gates.scan): they
only say which files each of their tools would scan on each side. Every file the
cache does not know yet is then scanned once, all branches together, one tool
invocation per tool (two when a path differs between a branch and its base, …).
Judging each branch afterwards reads those results from the cache.

This pass only fills the cache. Whatever goes wrong in it (an unknown branch, a
tool that fails) is left for the judging run, which reports it as usual.

`gates warm` (`warm`) pays the base's side ahead of every branch: the same
collecting pass on the base itself, as if a branch had changed every file the base
changed since `--since` (every file, without it; what the cache already knows
costs a look-up), so that a branch's run finds the base's version of its files
scanned and scans only its own.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path

from gates import git, proc, runner, scan, subject
from gates.config import Config, GateSection
from gates.gate import Gate, Workspace
from gates.git import GitError
from gates.registry import Registry


def prefetch(repo: Path, cfg: Config, registry: Registry, branches: Sequence[str], *,
             only: Sequence[str] | None = None, jobs: int = 2) -> scan.BatchStats:
    """Fill the cache for the per-file gates of all `branches` in one batch."""
    if len(branches) < 2:
        return scan.BatchStats()
    try:
        the_plan = runner.plan(cfg, registry, only)
    except Exception:  # a bad --gate: the judging run says so
        return scan.BatchStats()
    gates = [(g, s) for g, s in the_plan.gates if g.scans_per_file]
    if not gates:
        return scan.BatchStats()
    requests: list[scan.Request] = []
    try:
        with contextlib.ExitStack() as stack:
            for branch in branches:
                try:
                    subj = subject.resolve(repo, branch, cfg["base"], cfg.base_commit)
                except (subject.SubjectError, GitError):
                    continue
                if subj.tree is None:
                    continue
                worktree, scratch = stack.enter_context(subject.materialise(repo, subj,
                                                                            lazy=True))
                ws = Workspace(repo=repo, subject=subj, worktree=worktree, scratch=scratch,
                               exported=False)
                for gate, section in gates:
                    requests += _collect(gate, section, ws, cfg, scratch)
            return scan.run_batch(requests, jobs=jobs)
    except BaseException:
        proc.shut_down()
        raise


def _collect(gate: Gate, section: GateSection, ws: Workspace, cfg: Config,
             scratch: Path, failed: list[str] | None = None) -> list[scan.Request]:
    ctx = runner._context(gate, section, ws, cfg, scratch / "artifacts", None)
    ctx.deadline = time.monotonic() + float(section["timeout"])
    with scan.collecting() as found:
        try:
            if runner._path_filter(ctx) and gate.applies(ctx):
                gate.run(ctx)
        except Exception:  # the judging run meets it again, and reports it
            if failed is not None:
                failed.append(gate.name)
            return []
    return found


def warm(repo: Path, cfg: Config, registry: Registry, *, since: str | None = None,
         only: Sequence[str] | None = None, jobs: int = 0) -> scan.BatchStats:
    """Scan the base's files that the cache lacks, for every per-file gate: those the
    base changed since the commit `since`, else all of them. A tool that fails is
    counted in `failed` (a branch's run meets it again, and reports it)."""
    found = git.resolve_branch(repo, cfg["base"])
    base_commit = cfg.base_commit or (found[1] if found else "")
    if not base_commit:
        raise subject.SubjectError(f"base branch {cfg['base']!r} does not exist")
    tree = git.tree_of(repo, base_commit)
    old = git.EMPTY_TREE
    if since:
        since_commit = git.rev(repo, since)
        if since_commit is None:
            raise subject.SubjectError(f"--since: no commit {since!r}")
        old = since_commit
    changed = [c for c in git.diff(repo, old, tree) if c.status != "D"]
    subj = subject.Subject(branch=cfg["base"], ref=cfg["base"], agent="", base=cfg["base"],
                           base_commit=base_commit, branch_commit=base_commit,
                           merge_base=base_commit, tree=tree, changed=changed)
    the_plan = runner.plan(cfg, registry, only)
    gates = [(g, s) for g, s in the_plan.gates if g.scans_per_file]
    if not gates or not changed:
        return scan.BatchStats()
    try:
        with subject.materialise(repo, subj, lazy=True) as (worktree, scratch):
            ws = Workspace(repo=repo, subject=subj, worktree=worktree, scratch=scratch,
                           exported=False)
            failed: list[str] = []  # a gate that could not even say what it scans
            requests = [r for gate, section in gates
                        for r in _collect(gate, section, ws, cfg, scratch, failed)]
            stats = scan.run_batch(requests, jobs=jobs or scan.cores())
            stats.failed += len(failed)
            return stats
    except BaseException:
        proc.shut_down()
        raise
