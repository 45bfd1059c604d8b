"""The perf gate: Locust against the base's app and the merge result's app, side by side.

Both apps run at once on loopback ports; the load alternates between them in
short rounds (base, branch, branch, base, …) after a short warm-up of each, so
the machine's noise hits both alike. The run is sized for the tail it judges:
after `duration`, the driver adds round pairs while all requests together, or an
endpoint that would get there within `max_duration`, still lack `p95_min_samples`
requests a side (up to `max_duration` and `max_requests`). The repo's locustfile (of the merge result,
the same one for both) runs in a subprocess, `gates.builtin.perf.driver`, which uses Locust
as a library and records every request. This gate then compares the two
distributions (`gates.builtin.perf.stats`) per endpoint and overall, and reports
(`gates.builtin.perf.report`: findings, perf.json, the chart, the summary's table):

- `latency-regression`: the branch is slower than the base at the median or at
  p95 (`rule = "practical"`, the default: the ratio above `median_regression` /
  `p95_regression` and the ratio's 95 % interval above ×1; `"strict"`: the
  interval's lower end above them; either way the round pairs agree, Holm-corrected: see
  `gates.builtin.perf.stats`);
- `p95-inconclusive` (info, does not block): an endpoint with too few requests for
  a p95 verdict, and the run length that would give it one. A run too small to
  judge the tail of all requests together is `error`, never a pass (unless it
  found a regression anyway: then that blocks);
- budgets on the branch alone, overall or per endpoint (`endpoints` table):
  `p95_ms`, `p99_ms`, `fail_ratio`, `min_rps` (0 = no budget). A budget the base
  misses as well is existing debt (`new = false`).

With `workers = N`, Locust's own master/worker mode on 127.0.0.1 generates the
load (N worker processes), for apps that one load process cannot saturate.
An app that dies under load, a locustfile that does not load, a run in which a
target answers nothing is `error`; the driver stops at the first hopeless round.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from subprocess import Popen
from typing import Any, ClassVar

from gates import git, proc
from gates.apptest.app import AppNotConfigured, free_port
from gates.apptest.app import tail as app_tail
from gates.builtin.perf import harness, report, stats
from gates.builtin.perf.report import BUDGET_KEYS
from gates.builtin.perf.stats import Sample
from gates.config import GateSection
from gates.errors import ConfigError
from gates.gate import BaseGate, GateContext, GateError
from gates.model import GateResult, Status, Trend

OUTPUT_TAIL = 1500
STARTUP_ALLOWANCE = 60.0  # seconds of a run that are not load: apps, Locust, report


class PerfSection(GateSection):
    """[gates.perf]: the common keys and those of `Perf.defaults`."""

    locustfile: str
    users: int
    spawn_rate: float
    duration: float
    rounds: int
    warmup: float
    max_requests: int
    workers: int
    max_duration: float
    median_regression: float
    p95_regression: float
    rule: str
    p95_min_samples: int
    alpha: float
    min_delta_ms: float
    min_samples: int
    p95_ms: float
    p99_ms: float
    fail_ratio: float
    min_rps: float
    endpoints: dict[str, Any]


class Perf(BaseGate[PerfSection]):
    name = "perf"
    needs_app = True
    exclusive = True  # a load test runs alone, after the other gates
    # what history.jsonl records of every run, from metrics["overall"][side]; the site
    # charts p95 and rps
    trends: ClassVar[tuple[Trend, ...]] = (
        Trend("p95", "p95 latency", "ms"), Trend("rps", "requests per second", axis="requests/s"),
        *(Trend(k, chart=False) for k in ("p50", "p99", "count", "failures", "error_ratio")))
    defaults: ClassVar[dict[str, Any]] = {
        "locustfile": "locustfile.py",
        "users": 10,  # concurrent Locust users against one target
        "spawn_rate": 50.0,  # users started per second
        "duration": 12.0,  # seconds of measured load, both targets together (at least)
        "max_duration": 60.0,  # … at most, when more rounds are needed for p95 verdicts
        "rounds": 12,  # alternating rounds (even): each target gets rounds/2 of them
        "warmup": 1.0,  # seconds of unmeasured load per target before the rounds
        "max_requests": 50000,  # cap over the whole run (0: none)
        "workers": 0,  # >0: Locust master + this many worker processes
        "median_regression": 0.2,  # the ratio's interval above 1 + this at p50 …
        "p95_regression": 0.2,  # … or at p95,
        "rule": "practical",  # the ratio above them and the interval above ×1;
        #                       "strict": the interval above them (see stats.py)
        "alpha": 0.01,  # … the round pairs agreeing at this level (Holm),
        "min_delta_ms": 0.5,  # … and at least this many ms slower: a regression
        "min_samples": 30,  # fewer successful requests per target: median inconclusive
        "p95_min_samples": 300,  # … p95 inconclusive (15 requests above the p95)
        "p95_ms": 0.0,  # budgets of the branch, overall (0: none)
        "p99_ms": 0.0,
        "fail_ratio": 0.01,
        "min_rps": 0.0,
        "endpoints": {},  # "GET /api/x" or "/api/x" -> {p95_ms, p99_ms, fail_ratio, min_rps}
        "timeout": 300.0,
    }


    def run(self, ctx: GateContext) -> GateResult:
        _check_config(ctx.config)
        rel = ctx.config["locustfile"]
        locustfile = (ctx.worktree / rel).resolve()
        if not locustfile.is_relative_to(ctx.worktree.resolve()):
            raise GateError(f"[gates.perf] locustfile {rel!r} is outside the tree")
        if not locustfile.is_file():
            ws = ctx.workspace
            if git.show(ws.repo, ws.subject.base_commit, rel) is not None:
                raise GateError(f"the branch deletes {rel}, the load test of the perf gate")
            return GateResult.skipped(self.name, f"no {rel} in the tree (set [gates.perf] "
                                      "locustfile)")
        cfg = self.section(ctx)
        schedule = _schedule(cfg)
        spec_path = ctx.workspace.scratch / "perf-spec.json"
        go = ctx.workspace.scratch / "perf-go.json"
        spec = {
            "locustfile": str(locustfile), "out": str(ctx.artifacts), "go": str(go),
            "schedule": schedule, "users": cfg["users"], "spawn_rate": cfg["spawn_rate"],
            "max_requests_per_round": cfg["max_requests"] // len(schedule)
            if cfg["max_requests"] else 0,
            "extend": {"round_seconds": cfg["duration"] / cfg["rounds"],
                       "budget": max(cfg["max_duration"], cfg["duration"]),
                       "tail": cfg["p95_min_samples"], "max_requests": cfg["max_requests"],
                       "measured_from": 2 if cfg["warmup"] > 0 else 0},
            "workers": cfg["workers"], "master_port": free_port() if cfg["workers"] else 0,
        }
        ctx.artifacts.mkdir(parents=True, exist_ok=True)
        spec_path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
        log = ctx.artifacts / "locust.log"
        # the driver imports Locust and the locustfile while the apps start
        with log.open("wb") as out:
            driver = proc.spawn([sys.executable, "-m", "gates.builtin.perf.driver", "run", str(spec_path)],
                                cwd=locustfile.parent, env=ctx.env(), stdout=out, stderr=out)
        cpus = _app_cpus()
        try:
            with ctx.app(tree=ctx.workspace.base_worktree(), label="base") as base, \
                    ctx.app(label="branch") as branch:
                apps = {"base": base, "branch": branch}
                targets: dict[str, Any] = {
                    "targets": [{"label": k, "host": a.base_url} for k, a in apps.items()]}
                if cpus:
                    for app in apps.values():
                        _pin_group(app.process.pid, cpus)
                tmp = go.with_suffix(".tmp")
                tmp.write_text(json.dumps(targets), encoding="utf-8")
                tmp.replace(go)
                code = _wait(driver, ctx)
                for label, app in apps.items():
                    if not app.alive():
                        raise GateError(f"the {label}'s app died under load (exit code "
                                        f"{app.process.returncode}); last lines of its log:\n"
                                        f"{app.log_tail()}")
        except AppNotConfigured as e:
            return GateResult.skipped(self.name, str(e))
        finally:
            proc.stop(driver, grace=1.0)
        info = _driver_result(ctx, code, log)
        info["warmup_rounds"] = 2 if cfg["warmup"] > 0 else 0
        info["cpus"] = cpus
        result = self._judge(ctx, info, changed=rel in ctx.changed)
        if rel in ctx.changed:
            result.findings += harness.dropped(ctx, rel)
        return result

    # -- the verdict --------------------------------------------------------------

    def _judge(self, ctx: GateContext, info: dict[str, Any], changed: bool) -> GateResult:
        cfg = ctx.config
        rounds = info["rounds"][info["warmup_rounds"]:]
        samples = stats.read_samples(ctx.artifacts / "samples.csv")
        measured = {r["round"] for r in rounds}
        _check_completed(samples, info)
        if info.get("stopped_early"):
            raise GateError(f"the load test stopped early: {info['stopped_early']}")
        comps = stats.compare(samples, rounds)
        flags = stats.judge(comps, stats.Rule.from_config(cfg))
        overall = comps[stats.OVERALL].shifts["p95"]
        if overall.verdict == stats.INCONCLUSIVE and not any(flags.values()):
            # a slower median is a verdict of its own; without one, a run that cannot
            # judge any tail is not a pass
            raise GateError("too few requests to judge the tail at all: overall p95 "
                            f"{overall.why}; {report.remedy(comps[stats.OVERALL], cfg)}")
        config = {k: cfg[k] for k in Perf.defaults if k != "timeout"}
        (ctx.artifacts / "perf.json").write_text(json.dumps(
            report.perf_json(comps, flags, info, config, changed), indent=2, allow_nan=False),
            encoding="utf-8")
        (ctx.artifacts / "latency.svg").write_text(
            report.chart(samples, measured, comps, flags), encoding="utf-8")
        artifacts = [f"{self.name}/{n}" for n in
                     ("perf.json", "latency.svg", "samples.csv", "locust.log", "base.log",
                      "branch.log") if (ctx.artifacts / n).is_file()]
        return GateResult(gate=self.name, status=Status.PASS,
                          findings=report.findings(comps, flags, cfg),
                          metrics=report.metrics(comps, samples, info), artifacts=artifacts,
                          sections=report.sections(comps, flags, changed, info))


def _wait(driver: Popen[bytes], ctx: GateContext) -> int:
    deadline = ctx.deadline or time.monotonic() + float(ctx.config["timeout"])
    try:
        return driver.wait(max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise GateError(f"the load test did not finish within the gate's timeout "
                        f"({ctx.config['timeout']:.0f}s)") from None


def _driver_result(ctx: GateContext, code: int, log: Path) -> dict[str, Any]:
    try:
        info = json.loads((ctx.artifacts / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise GateError(f"the Locust driver failed (exit {code}):\n{app_tail(log, 30)}"
                        ) from None
    if info.get("error"):
        raise GateError(str(info["error"]))
    if code != 0:
        raise GateError(f"the Locust driver failed (exit {code}):\n{app_tail(log, 30)}")
    return dict(info)


def _app_cpus() -> list[int] | None:
    """The CPUs both apps are pinned to: the same ones, so that neither shares a core
    with the load generator more than the other does (a process that does is slower
    for the whole run, which alternating rounds cannot cancel). Locust itself is not
    pinned. None where affinity cannot be set (not Linux, a single CPU)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return cpus[: len(cpus) // 2]


def _pin_group(pgid: int, cpus: list[int]) -> None:
    """Every thread of every process in the process group `pgid` (the app and its
    children) onto `cpus`; threads they start later inherit it."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if os.getpgid(int(entry.name)) != pgid:
                continue
            for task in (entry / "task").iterdir():
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(int(task.name), cpus)


def _check_config(cfg: dict[str, Any]) -> None:
    if cfg["rule"] not in stats.RULES:
        raise ConfigError(f'[gates.perf] rule = {cfg["rule"]!r}: use "strict" or "practical"')
    if cfg["rounds"] < 2 or cfg["rounds"] % 2:
        raise GateError("[gates.perf] rounds must be an even number ≥ 2")
    if cfg["median_regression"] <= 0 or cfg["p95_regression"] <= 0 or not 0 < cfg["alpha"] < 1:
        raise GateError("[gates.perf] median_regression and p95_regression must be > 0, "
                        "alpha between 0 and 1")
    if cfg["p95_min_samples"] < 20 or cfg["min_samples"] < 2:
        raise GateError("[gates.perf] p95_min_samples must be ≥ 20, min_samples ≥ 2")
    budget = max(cfg["max_duration"], cfg["duration"]) + 2 * cfg["warmup"]
    if budget + STARTUP_ALLOWANCE > cfg["timeout"]:
        raise GateError(f"[gates.perf] max_duration {cfg['max_duration']:g}s (+ warm-up) does "
                        f"not fit the gate's timeout of {cfg['timeout']:g}s with "
                        f"{STARTUP_ALLOWANCE:.0f}s to start the apps: raise timeout")
    if cfg["users"] < 1 or cfg["duration"] <= 0 or cfg["spawn_rate"] <= 0 or cfg["workers"] < 0:
        raise GateError("[gates.perf] users, spawn_rate and duration must be > 0, workers ≥ 0")
    for name, budget in cfg["endpoints"].items():
        if not isinstance(budget, dict) or set(budget) - set(BUDGET_KEYS):
            raise GateError(f"[gates.perf] endpoints.{name!r} must be a table of "
                            f"{', '.join(BUDGET_KEYS)}")


def _schedule(cfg: PerfSection) -> list[tuple[str, float]]:
    """Warm-up of each target, then pairs in ABBA order (base, branch, branch, base, …)."""
    seconds = float(cfg["duration"]) / cfg["rounds"]
    out = [("base", cfg["warmup"]), ("branch", cfg["warmup"])] if cfg["warmup"] > 0 else []
    for k in range(cfg["rounds"] // 2):
        pair = ("base", "branch") if k % 2 == 0 else ("branch", "base")
        out += [(t, seconds) for t in pair]
    return out


def _check_completed(samples: list[Sample], info: dict[str, Any]) -> None:
    for target in stats.TARGETS:
        mine = [s for s in samples if s.target == target]  # warm-up included
        ok = sum(1 for s in mine if s.ok)
        if ok:
            continue
        if not mine:
            why = ""
            if info.get("exceptions"):
                why = f"; the locustfile raised: {info['exceptions'][0]['msg']}"
            raise GateError(f"no request completed against the {target}'s app{why}")
        raise GateError(f"every request to the {target}'s app failed ({len(mine)}), e.g. "
                        f"{mine[0].endpoint}: {mine[0].error}")



GATE = Perf()
