"""`gates run`: judge branches, publish, exit 0 (all pass) or 1 (any blocked)."""

from __future__ import annotations

import argparse
import contextlib
import os
from dataclasses import dataclass
from functools import partial

from gates import batch, doctor, git, policy, publish, runner, subject
from gates.apptest import app
from gates.commands.common import Repo, open_repo
from gates.console import LiveProgress, console, err, print_verdicts
from gates.errors import ConfigError
from gates.guard import notes
from gates.model import Verdict
from gates.publish import site


def agent_branches(repo: Repo) -> list[str]:
    """Branches `<agent>/<topic>` of the configured agents (any prefix if none)."""
    agents = {a.lower() for a in repo.config["agents"]}
    base = repo.config["base"]
    out = []
    for name in git.branches(repo.root):
        if name == base or "/" not in name:
            continue
        prefix = name.split("/", 1)[0].lower()
        if not agents or prefix in agents:
            out.append(name)
    return out


def gate_names(flag: str | None) -> list[str] | None:
    """`--gate a,b`: the named gates (None when the flag is not given)."""
    return [g.strip() for g in flag.split(",") if g.strip()] if flag else None


@dataclass(frozen=True)
class RunOptions:
    """How to judge branches: `gates run`'s flags (`gates demo` takes the defaults and --gate)."""

    only: list[str] | None = None  # --gate: only these gates (None: the policy's)
    jobs: int = 0  # gates at once (0: the config's, else the CPU count)
    quiet: bool = False
    fresh: bool = False  # reuse no stored pass of an app gate
    status_files: bool = True  # write the coordination files
    warn: bool = True  # say up front which gates will be `error` (gates doctor's cheap part)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunOptions:
        return cls(only=gate_names(args.gate), jobs=args.jobs, quiet=args.quiet, fresh=args.fresh,
                   status_files=not args.no_status)


def warn_up_front(repo: Repo, only: list[str] | None) -> list[doctor.Check]:
    """The cheap part of `gates doctor`, said before any branch is judged: which gates
    will be `error` on every branch, why, and the fix."""
    bad = [c for c in doctor.cheap(repo.root, repo.config, repo.gates, only) if not c.ok]
    for c in bad:
        err.print(f"gates: {c.gate} will be error on every branch: {c.said} (fix: {c.fix})",
                  markup=False, highlight=False)
    return bad


def judge(repo: Repo, branches: list[str], opts: RunOptions) -> list[Verdict]:
    only = opts.only
    if opts.warn:
        warn_up_front(repo, only)
    progress = LiveProgress(quiet=opts.quiet)
    verdicts = []
    try:
        # several branches: scan each distinct file once for all of them, then judge each
        planned = batch.prefetch(repo.root, repo.config, repo.gates, branches, only=only,
                                 jobs=opts.jobs or repo.config["jobs"] or os.cpu_count() or 1)
        if planned.scanned:
            progress.note(f"{len(branches)} branches",
                          f"{planned.scanned} files scanned in {planned.invocations} tool "
                          f"runs, {planned.hits} already in the cache")
        for branch in branches:
            v = runner.run_branch(repo.root, repo.config, repo.gates, branch, only=only,
                                  jobs=opts.jobs or repo.config["jobs"], progress=progress,
                                  app_factory=app.start, fresh=opts.fresh)
            publish_verdict(repo, v, status_files=opts.status_files)
            verdicts.append(v)
    finally:
        progress.stop()
    return verdicts


def required_gates(repo: Repo) -> list[str]:
    """The gates the policy runs on every branch: a verdict needs all of them."""
    p = runner.plan(repo.config, repo.gates, None)
    return [g.name for g, _ in p.gates] + [r.gate for r in p.unusable]


def publish_verdict(repo: Repo, v: Verdict, *, status_files: bool) -> None:
    """Reports, the verdict note on the tested tree, the coordination files, the dashboard.
    Reports that cannot be written fail the verdict, and the coordination files say so
    before the error ends the command: a "pass" of an earlier run must not stand."""
    try:
        publish.write_reports(repo.root, v)
    except OSError as e:
        failed = runner.unwritable_reports(e)
        if not any(r.gate == failed.gate for r in v.results):
            v.results.append(failed)
        v.passed, v.reasons = policy.decide(v.results)
        with contextlib.suppress(OSError, git.GitError):
            notes.record(repo.root, v, required_gates(repo))
        if status_files:
            publish.update_cluster(repo.root, repo.config, v, status_files=True,
                                   stale=partial(subject.stale, repo.root))
        raise
    try:
        notes.record(repo.root, v, required_gates(repo))
    except git.GitError as e:  # fail closed: without its note the merge guard refuses
        err.print(f"[yellow]gates: the verdict note was not written ({e}); the merge guard "
                  f"will not see this run[/]")
    told: list[str] = []
    _, warnings = publish.update_cluster(
        repo.root, repo.config, v, status_files=status_files,
        stale=partial(subject.stale, repo.root), told=told)
    for w in warnings:
        err.print(f"[yellow]gates: repaired {w}[/]")
    for line in told:  # the first run on a file with no gates blocks adopted it
        err.print(line, markup=False, highlight=False)
    site.update(repo.root, repo.config, v, stale=partial(subject.stale, repo.root))


def main(args: argparse.Namespace) -> int:
    repo = open_repo(args.repo, args.base)
    subject.sweep(repo.root)
    if args.all:
        branches = agent_branches(repo)
        if not branches:
            err.print("gates: no agent branches (<agent>/<topic>) to run")
            return 0
    else:
        branches = args.branch
    verdicts = judge(repo, branches, RunOptions.from_args(args))
    print_verdicts(verdicts)
    config_error(verdicts)
    if args.commit and not args.no_status:
        files = [repo.root / repo.config["status_dir"] / n for n in status_files(repo)]
        sha = git.commit_files(repo.root, files, "gates: update coordination files")
        if sha:
            console.print(f"[dim]committed the coordination files as {sha[:8]}[/]")
    return 0 if all(v.passed for v in verdicts) else 1


def config_error(verdicts: list[Verdict]) -> None:
    """A gate that found a config mistake only while running (an operation the document
    does not have): the run is not a verdict on the branch, so exit 2, not 1."""
    for v in verdicts:
        for r in v.results:
            if r.metrics.get(runner.CONFIG_ERROR):
                raise ConfigError(r.reason)


def status_files(repo: Repo) -> list[str]:
    folder = repo.root / repo.config["status_dir"]
    names = ["CLUSTER_STATUS.md", "CLUSTER_ISSUES.md"]
    names += sorted(p.name for p in folder.glob("AGENT_STATUS_*.md"))
    return names
