"""Many branches at once: plan them all, scan each distinct (tool, blob) once, then judge.

`gates run --all` (or several `--branch`) first runs the gates that declare
`scans_per_file = True` on every branch in a collecting pass (gates.scan): they
only say which files each of their tools would scan on each side. Every file the
cache does not know yet is then scanned once, all branches together, one tool
invocation per tool (two when a path differs between a branch and its base, …).
Judging each branch afterwards reads those results from the cache.

This pass only fills the cache. Whatever goes wrong in it (an unknown branch, a
tool that fails) is left for the judging run, which reports it as usual.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path

from gates import proc, runner, scan, subject
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
        proc.kill_all()
        raise


def _collect(gate: Gate, section: GateSection, ws: Workspace, cfg: Config,
             scratch: Path) -> list[scan.Request]:
    ctx = runner._context(gate, section, ws, cfg, scratch / "artifacts", None)
    ctx.deadline = time.monotonic() + float(section["timeout"])
    with scan.collecting() as found:
        try:
            if runner._path_filter(ctx) and gate.applies(ctx):
                gate.run(ctx)
        except Exception:  # the judging run meets it again, and reports it
            return []
    return found
