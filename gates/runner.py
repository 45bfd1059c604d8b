"""One run: subject → plan → gates (in parallel, with deadlines) → policy → verdict.

Fail closed: a gate that raises, times out, cannot be loaded or whose tool is
missing ends as `error`, and `error` blocks. A timed-out gate's processes are
killed with their whole process group; a Ctrl-C kills every child and removes
the run's folders before it propagates.
"""

from __future__ import annotations

import contextvars
import json
import os
import queue
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gates import cache, git, policy, proc, subject, suppress
from gates import config as config_mod
from gates.clock import now_iso
from gates.config import Config, ConfigError, GateSection
from gates.gate import Gate, GateContext, GateError, PluginGate, Workspace, glob_match
from gates.model import Finding, GateResult, Severity, Status, Verdict
from gates.registry import Registry

CONFIG_ERROR = "config_error"  # metrics key: the gate's error is a config mistake

TIMEOUT_GRACE = 5.0  # after a gate's deadline, how long before it is abandoned


class Progress:
    """What the runner tells whoever watches (the CLI draws it)."""

    def started(self, branch: str, gate: str) -> None: ...

    def finished(self, branch: str, result: GateResult) -> None: ...

    def note(self, branch: str, message: str) -> None: ...


@dataclass
class Plan:
    gates: list[tuple[Gate, GateSection]] = field(default_factory=list)
    unusable: list[GateResult] = field(default_factory=list)  # broken or unknown gates


def plan(cfg: Config, registry: Registry, only: Sequence[str] | None) -> Plan:
    p = Plan()
    names = list(only) if only else registry.names
    for name in names:
        if name in registry.broken:
            p.unusable.append(GateResult.error(name, registry.broken[name]))
            continue
        gate = registry.gates.get(name)
        if gate is None:
            known = ", ".join(registry.names)
            raise ConfigError(f"unknown gate {name!r} (installed: {known})")
        section = cfg.gate(name, gate.defaults)
        if section["enabled"] or only:
            p.gates.append((gate, section))
    return p


def report_dir(repo: Path, cfg: Config, subj: subject.Subject) -> Path:
    return repo / str(cfg["reports_dir"]) / subject.slug(subj.branch) / subj.short


def run_branch(
    repo: Path,
    cfg: Config,
    registry: Registry,
    branch: str,
    *,
    only: Sequence[str] | None = None,
    jobs: int = 0,
    progress: Progress | None = None,
    app_factory: Callable[..., object] | None = None,
    fresh: bool = False,
) -> Verdict:
    started, t0 = now_iso(), time.monotonic()
    subj = subject.resolve(repo, branch, cfg["base"], cfg.base_commit)
    return run_subject(repo, cfg, registry, subj, only=only, jobs=jobs, progress=progress,
                       app_factory=app_factory, started=(started, t0), fresh=fresh)


def run_subject(
    repo: Path,
    cfg: Config,
    registry: Registry,
    subj: subject.Subject,
    *,
    only: Sequence[str] | None = None,
    jobs: int = 0,
    progress: Progress | None = None,
    app_factory: Callable[..., object] | None = None,
    started: tuple[str, float] | None = None,
    policy_check: bool = True,
    fresh: bool = False,
) -> Verdict:
    """Run the gates on a resolved subject (a branch's merge result, or the staged tree
    of `gates static`, which has no policy of its own to check)."""
    progress = progress or Progress()
    started_at, t0 = started or (now_iso(), time.monotonic())
    branch = subj.branch
    the_plan = plan(cfg, registry, only)
    final = report_dir(repo, cfg, subj)
    # each run writes into its own folder; publishing promotes it to `final`, so runs
    # of the same commit at once never write into each other's reports
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        _sweep_staging(final.parent)
        out_dir: Path | None = Path(tempfile.mkdtemp(prefix=f".{final.name}.run-",
                                                     dir=final.parent))
    except OSError as e:  # nothing a gate found could be kept: run none, say why
        out_dir = None
        unwritable = unwritable_reports(e)

    # results that are not a gate's own: an unusable gate, a policy edit, a conflict
    results: list[GateResult]
    if out_dir is None:
        results = [unwritable]
    elif subj.tree is None:
        results = [conflict_result(subj)]
    else:
        results = [*the_plan.unusable]
        changed_policy = policy_change(repo, cfg, subj, registry) if policy_check else None
        if changed_policy is not None:
            results.append(changed_policy)
    for r in results:
        policy.judge(r, cfg.gate(r.gate))
    if subj.tree is not None and out_dir is not None:
        # nothing is exported until a gate needs it: a run answered by the cache exports nothing
        with subject.materialise(repo, subj, lazy=True) as (worktree, scratch):
            ws = Workspace(repo=repo, subject=subj, worktree=worktree, scratch=scratch,
                           exported=False, fresh=fresh)
            contexts = [
                (gate, _context(gate, section, ws, cfg, out_dir, app_factory))
                for gate, section in the_plan.gates
            ]
            results += run_gates(contexts, jobs=jobs or os.cpu_count() or 1,
                                 progress=progress, branch=branch)
    passed, reasons = policy.decide(results)
    return Verdict(
        branch=branch, agent=subj.agent, base=subj.base, branch_commit=subj.branch_commit,
        base_commit=subj.base_commit, tree=subj.tree, results=results, passed=passed,
        reasons=reasons, started=started_at, duration=time.monotonic() - t0,
        config_hash=cfg.digest, tools=_tools(results),
        report_dir=str(final.relative_to(repo)),
        staging=str(out_dir.relative_to(repo)) if out_dir else "",
    )


def unwritable_reports(e: OSError) -> GateResult:
    """The result that fails a verdict whose reports cannot be written."""
    where = f" to {e.filename}" if e.filename else ""
    return GateResult.error("publish", f"the reports could not be written{where} "
                                       f"({e.strerror or e}); fix the reports folder and "
                                       "run again")


def _sweep_staging(folder: Path, age: float = 3600.0) -> None:
    """Remove report folders that killed runs left half-written."""
    now = time.time()
    for d in [*folder.glob(".*.run-*"), *folder.glob(".*.old-*")]:
        try:
            if now - d.stat().st_mtime > age:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def _context(gate: PluginGate, section: GateSection, ws: Workspace, cfg: Config, out_dir: Path,
             app_factory: Callable[..., object] | None) -> GateContext:
    exclude = list(section.get("exclude") or [])
    # gates see regular files only: a symlink could point anywhere on the host
    changed = [c.path for c in ws.subject.changed if c.status != "D" and c.is_file]
    return GateContext(
        name=gate.name, workspace=ws, config=dict(section), settings=cfg,
        changed=[p for p in changed if not glob_match(p, exclude)],
        deleted=[c.path for c in ws.subject.changed if c.status == "D"],
        artifacts=out_dir / gate.name, deadline=0.0, app_factory=app_factory,
    )


def _tools(results: list[GateResult]) -> dict[str, str]:
    tools: dict[str, str] = {}
    for r in results:
        tools.update(r.metrics.get("tools", {}))
    return tools


def conflict_result(subj: subject.Subject) -> GateResult:
    findings = [
        Finding(gate="merge", rule="merge-conflict", severity=Severity.HIGH, path=p,
                message=f"{p} conflicts with {subj.base}: rebase {subj.branch} onto {subj.base}",
                tool="git")
        for p in subj.conflicts
    ]
    return GateResult(gate="merge", status=Status.PASS, findings=findings,
                      reason=f"merge conflict with {subj.base}: rebase needed")


def policy_change(repo: Path, cfg: Config, subj: subject.Subject,
                  registry: Registry) -> GateResult | None:
    """A finding when the branch edits the policy: it applies only after merge."""
    assert subj.tree is not None
    tree = subj.tree
    try:
        branch_cfg = config_mod.load(lambda p: git.show(repo, tree, p), "", registry.defaults)
        differs, why = branch_cfg.raw != cfg.raw, "changes the gates policy"
    except ConfigError as e:
        differs, why = True, f"makes the gates policy invalid ({e})"
    if not differs:
        return None
    path = next((c.path for c in subj.changed if c.path in config_mod.CONFIG_FILES), None)
    finding = Finding(
        gate="policy", rule="policy-changed", path=path,
        severity=Severity.HIGH if cfg["policy_change_blocks"] else Severity.INFO,
        message=f"this branch {why}; it applies after merge, and this run used "
                f"{subj.base}'s policy. A person must review the change.",
        tool="gates",
    )
    result = GateResult(gate="policy", status=Status.PASS, findings=[finding])
    return result


# -- running gates --------------------------------------------------------------


def _guarded(gate: Gate, ctx: GateContext) -> GateResult:
    t0 = time.monotonic()
    try:
        with proc.owned_by(_owner(ctx), ctx.deadline):
            if not _path_filter(ctx):
                result = GateResult.skipped(gate.name, "no changed file matches its paths")
            elif not gate.applies(ctx):
                result = GateResult.skipped(gate.name, "does not apply to this change")
            else:
                result = gate.run(ctx)
        if not isinstance(result, GateResult):
            result = GateResult.error(gate.name, f"gate returned {type(result).__name__}, "
                                      "not a GateResult")
    except proc.ToolMissing as e:
        result = GateResult.error(gate.name, f"tool missing: {e}")
    except proc.Timeout as e:
        result = GateResult.error(gate.name, str(e))
    except GateError as e:
        result = GateResult.error(gate.name, str(e))
    except ConfigError as e:  # a config mistake only the running gate could see: exit 2
        result = GateResult.error(gate.name, str(e), metrics={CONFIG_ERROR: True})
    except Exception as e:
        tb = traceback.format_exc(limit=8)
        result = GateResult.error(gate.name, f"gate crashed: {type(e).__name__}: {e}",
                                  metrics={"traceback": tb})
    result.gate = gate.name
    result.duration = time.monotonic() - t0
    if result.status == Status.ERROR and not result.artifacts:
        result.artifacts = left_behind(ctx.artifacts)
    return result


def left_behind(folder: Path, limit: int = 20) -> list[str]:
    """The logs a gate wrote before it failed (relative to the report dir): the first
    place a person looks for why it could not run."""
    try:
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    except OSError:
        return []
    return [p.relative_to(folder.parent).as_posix() for p in files[:limit]]


def _judged(gate: Gate, ctx: GateContext) -> GateResult:
    """Run the gate, apply suppressions, judge. A gate that tests the app reuses its pass
    on this exact tree, base and config (marked `metrics["cached"]`); a failure or an
    error is never reused."""
    t0 = time.monotonic()
    repo = ctx.workspace.repo
    k = cache.result_key(gate, ctx)
    store = cache.Cache.for_repo(repo) if k else None
    raw = (cache.reuse_result(store, k, ctx, repo)
           if store and k and not ctx.workspace.fresh else None)
    reused = raw is not None
    if raw is None:
        raw = _guarded(gate, ctx)
    else:
        raw.gate, raw.duration = gate.name, time.monotonic() - t0
    # the raw result (before suppressions and policy), kept only if it turns out a pass
    snapshot = (json.loads(json.dumps(raw.to_json(), default=str))
                if store and not reused and raw.status == Status.PASS else None)
    result = policy.judge(suppress.apply(raw, ctx), ctx.config)
    if store and k and snapshot is not None and result.status == Status.PASS:
        folder = report_dir(repo, ctx.settings, ctx.subject).relative_to(repo)
        cache.keep_result(store, k, snapshot, folder.as_posix())
    return result


def _owner(ctx: GateContext) -> str:
    return f"{ctx.subject.branch}\0{ctx.name}\0{id(ctx)}"


def _path_filter(ctx: GateContext) -> bool:
    """Does the change touch the gate's `paths`? A deletion counts: a branch that only
    deletes tests must still meet the gate that checks for deleted tests."""
    patterns = list(ctx.config.get("paths") or [])
    return (not patterns or bool(ctx.changed_matching(patterns))
            or any(glob_match(p, patterns) for p in ctx.deleted))


def run_gates(
    contexts: list[tuple[Gate, GateContext]], *, jobs: int, progress: Progress, branch: str
) -> list[GateResult]:
    shared = [(g, c) for g, c in contexts if not g.exclusive]
    alone = [(g, c) for g, c in contexts if g.exclusive]
    results = _pool(shared, jobs, progress, branch)
    results.update(_pool(alone, 1, progress, branch))
    return [results[c.name] for _, c in contexts]


def _pool(contexts: list[tuple[Gate, GateContext]], jobs: int, progress: Progress,
          branch: str) -> dict[str, GateResult]:
    """Run gates on daemon threads (a hung gate is abandoned, never waited for)."""
    todo: queue.Queue[tuple[Gate, GateContext]] = queue.Queue()
    for item in contexts:
        todo.put(item)
    done: dict[str, GateResult] = {}
    running: dict[str, tuple[GateContext, float]] = {}
    lock = threading.Condition()

    def worker() -> None:
        while True:
            try:
                gate, ctx = todo.get_nowait()
            except queue.Empty:
                return
            timeout = float(ctx.config["timeout"])
            ctx.deadline = time.monotonic() + timeout
            with lock:
                running[ctx.name] = (ctx, timeout)
            progress.started(branch, ctx.name)
            result = _judged(gate, ctx)
            with lock:
                if ctx.name not in done:  # not already given up on
                    done[ctx.name] = result
                    running.pop(ctx.name, None)
                    progress.finished(branch, result)
                lock.notify_all()

    # each worker in a copy of this context: its processes are recorded in the run's folder
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(worker,),
                                daemon=True, name=f"gate-{i}")
               for i in range(max(1, min(jobs, len(contexts))))]
    for t in threads:
        t.start()
    try:
        with lock:
            while len(done) < len(contexts):
                lock.wait(0.2)
                now = time.monotonic()
                for name, (ctx, timeout) in list(running.items()):
                    if now > ctx.deadline + TIMEOUT_GRACE:
                        proc.kill_owned(_owner(ctx))
                        running.pop(name)
                        result = GateResult.error(name, f"timed out after {timeout:.0f}s")
                        done[name] = policy.judge(result, ctx.config)
                        progress.finished(branch, result)
                if not any(t.is_alive() for t in threads) and len(done) < len(contexts):
                    break  # every worker gone: nothing more will finish
    except BaseException:
        proc.shut_down()
        raise
    for _, ctx in contexts:
        if ctx.name not in done:
            done[ctx.name] = GateResult.error(ctx.name, "gate never ran")
    return done
