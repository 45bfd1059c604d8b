"""The perf gate: Locust against the base's app and the merge result's app, side by side.

Both apps run at once on loopback ports; the load alternates between them in
short rounds (base, branch, branch, base, …) after a short warm-up of each, so
the machine's noise hits both alike. The repo's locustfile (of the merge result,
the same one for both) runs in a subprocess, `gates.builtin.perf.driver`, which uses Locust
as a library and records every request. This gate then compares the two
distributions (`gates.builtin.perf.stats`) per endpoint and overall, and reports:

- `latency-regression`: the branch is slower than the base (p95 ratio over
  `p95_regression`, and significant both over the requests and over the round
  pairs, Holm-corrected over the endpoints: see `gates.builtin.perf.stats`);
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
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from subprocess import Popen
from typing import Any, ClassVar

import numpy as np

from gates import git, proc
from gates.apptest.app import AppNotConfigured, free_port
from gates.apptest.app import tail as app_tail
from gates.builtin.perf import stats
from gates.builtin.perf.chart import Panel, latency_svg
from gates.builtin.perf.stats import OVERALL, Comparison, Sample
from gates.config import GateSection
from gates.gate import BaseGate, GateContext, GateError
from gates.model import Finding, GateResult, Severity, Status
from gates.publish.md import code, esc

BUDGET_KEYS = ("p95_ms", "p99_ms", "fail_ratio", "min_rps")
CHART_PANELS = 6
OUTPUT_TAIL = 1500


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
    p95_regression: float
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
    defaults: ClassVar[dict[str, Any]] = {
        "locustfile": "locustfile.py",
        "users": 10,  # concurrent Locust users against one target
        "spawn_rate": 50.0,  # users started per second
        "duration": 12.0,  # seconds of measured load, both targets together
        "rounds": 12,  # alternating rounds (even): each target gets rounds/2 of them
        "warmup": 1.0,  # seconds of unmeasured load per target before the rounds
        "max_requests": 50000,  # cap over the whole run (0: none)
        "workers": 0,  # >0: Locust master + this many worker processes
        "p95_regression": 0.2,  # branch p95 / base p95 - 1 above this … (and below:)
        "alpha": 0.01,  # … with a Mann–Whitney p-value under this, is a regression
        "min_delta_ms": 2.0,  # … and at least this many ms slower at p95
        "min_samples": 30,  # fewer successful requests per target: not compared
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
        return self._judge(ctx, info, changed=rel in ctx.changed)

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
        flags = stats.regressions(
            comps, p95_regression=cfg["p95_regression"], alpha=cfg["alpha"],
            min_delta_ms=cfg["min_delta_ms"], min_samples=cfg["min_samples"])
        findings = _regressions(comps, flags) + _budgets(comps, cfg)
        overall = comps[OVERALL]
        report = {
            "schema": 1, "locust": info.get("locust"), "workers": info.get("workers", 0),
            "rounds": info["rounds"], "warmup_rounds": info["warmup_rounds"],
            "locustfile_changed": changed, "cpus": info.get("cpus"),
            "config": {k: cfg[k] for k in Perf.defaults if k != "timeout"},
            "overall": {**overall.to_json(), "regression": flags[OVERALL]},
            "endpoints": {k: {**c.to_json(), "regression": flags[k]}
                          for k, c in comps.items() if k != OVERALL},
            "exceptions": info.get("exceptions", []),
        }
        (ctx.artifacts / "perf.json").write_text(
            json.dumps(_clean(report), indent=2, allow_nan=False), encoding="utf-8")
        (ctx.artifacts / "latency.svg").write_text(_chart(samples, measured, comps, flags),
                                                   encoding="utf-8")
        artifacts = [f"{self.name}/{n}" for n in
                     ("perf.json", "latency.svg", "samples.csv", "locust.log", "base.log",
                      "branch.log") if (ctx.artifacts / n).is_file()]
        metrics = {
            "overall": {"base": _stats_json(overall, "base"),
                        "branch": _stats_json(overall, "branch"),
                        "ratio": overall.ratio, "p_value": overall.p_value},
            "requests": len(samples),
            "tools": {"locust": str(info.get("locust", "?"))},
        }
        return GateResult(gate=self.name, status=Status.PASS, findings=findings,
                          metrics=metrics, artifacts=artifacts,
                          details=_details(comps, flags, changed, info))


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
    if cfg["rounds"] < 2 or cfg["rounds"] % 2:
        raise GateError("[gates.perf] rounds must be an even number ≥ 2")
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


def _stats_json(c: Comparison, target: str) -> dict[str, Any]:
    s = getattr(c, target)
    return {"count": s.count, "failures": s.failures, "error_ratio": round(s.fail_ratio, 6),
            "rps": round(s.rps, 2), "p50": _r(s.p50), "p95": _r(s.p95), "p99": _r(s.p99)}


def _r(v: float) -> float | None:
    return None if math.isnan(v) else round(v, 3)


def _clean(o: Any) -> Any:
    """JSON without NaN (a side with no successful request has no percentiles)."""
    if isinstance(o, float):
        return None if math.isnan(o) or math.isinf(o) else o
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    return o


def _fp(rule: str, endpoint: str) -> str:
    import hashlib

    return hashlib.sha256(f"perf\0{rule}\0{endpoint}".encode()).hexdigest()[:16]


def _ms(v: float) -> str:
    return "—" if math.isnan(v) else (f"{v:.0f} ms" if v >= 100 else f"{v:.3g} ms")


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def _p(v: float | None) -> str:
    return "—" if v is None else (f"{v:.1e}" if v < 0.001 else f"{v:.3f}")


def _regressions(comps: dict[str, Comparison], flags: dict[str, bool]) -> list[Finding]:
    keys = [k for k, bad in flags.items() if bad and k != OVERALL]
    if not keys and flags[OVERALL]:
        keys = [OVERALL]
    out = []
    for k in keys:
        c = comps[k]
        what = "overall" if k == OVERALL else f"`{k}`"
        out.append(Finding(
            gate="perf", rule="latency-regression", severity=Severity.HIGH, tool="locust",
            fingerprint=_fp("latency-regression", k),
            message=(f"{what} is slower than on the base: p95 {_ms(c.base.p95)} → "
                     f"{_ms(c.branch.p95)} (×{_x(c.ratio['p95'])}), p50 ×{_x(c.ratio['p50'])}; "
                     f"Mann–Whitney p = {_p(c.p_value)} over {c.base.count} vs "
                     f"{c.branch.count} requests, p = {_p(c.p_rounds)} over "
                     f"{c.pairs} round pairs"),
            extra={"endpoint": k, "ratio": c.ratio, "p_value": c.p_value,
                   "p_rounds": c.p_rounds,
                   "base_p95_ms": _r(c.base.p95), "branch_p95_ms": _r(c.branch.p95)},
        ))
    return out


def _budget_for(endpoint: str, cfg: dict[str, Any]) -> dict[str, float]:
    if endpoint == OVERALL:
        return {k: float(cfg[k]) for k in BUDGET_KEYS}
    path = endpoint.split(" ", 1)[1]
    for key in (endpoint, path):
        if key in cfg["endpoints"]:
            return {k: float(v) for k, v in cfg["endpoints"][key].items()}
    return {}


def _budget_message(rule: str, what: str, v: float, b: float) -> str:
    if rule == "fail-ratio":
        return f"{v:.1%} of the requests to {what} failed (budget {b:.1%})"
    if rule == "min-rps":
        return f"{what} served {v:.1f} requests/s, under its budget of {b:g}"
    return f"{rule[:3]} of {what} is {_ms(v)}, over its budget of {_ms(b)}"


# rule, budget key, the value of a target's stats, and whether a value above the budget is bad
BUDGETS = (("p95-budget", "p95_ms", "p95", True), ("p99-budget", "p99_ms", "p99", True),
           ("fail-ratio", "fail_ratio", "fail_ratio", True), ("min-rps", "min_rps", "rps", False))


def _budgets(comps: dict[str, Comparison], cfg: dict[str, Any]) -> list[Finding]:
    """Budgets of the branch. 0 means "no budget", except fail_ratio (0: no failure at all)."""
    out = []
    for k, c in comps.items():
        budget = _budget_for(k, cfg)
        what = "overall" if k == OVERALL else f"`{k}`"
        for rule, key, attr, above in BUDGETS:
            if key not in budget or (not budget[key] and key != "fail_ratio"):
                continue
            limit = budget[key]

            def bad(v: float, limit: float = limit, above: bool = above) -> bool:
                return not math.isnan(v) and (v > limit if above else v < limit)

            value, base_value = getattr(c.branch, attr), getattr(c.base, attr)
            if not bad(value):
                continue
            message = _budget_message(rule, what, value, limit)
            if rule == "fail-ratio" and c.first_error.get("branch"):
                message += f"; first error: {c.first_error['branch']}"
            out.append(Finding(
                gate="perf", rule=rule, severity=Severity.HIGH, tool="locust",
                fingerprint=_fp(rule, k), message=message, new=not bad(base_value),
                extra={"endpoint": k, "value": _r(value), "budget": limit,
                       "base_value": _r(base_value)},
            ))
    return out


def _chart(samples: list[Sample], measured: set[int], comps: dict[str, Comparison],
           flags: dict[str, bool]) -> str:
    rest = sorted((k for k in comps if k != OVERALL),
                  key=lambda k: (not flags[k], -comps[k].branch.count))
    keys = [OVERALL, *rest]
    panels = []
    for k in keys[:CHART_PANELS]:
        lat = {t: np.array([s.ms for s in samples if s.ok and s.round in measured
                            and s.target == t and (k == OVERALL or s.endpoint == k)])
               for t in stats.TARGETS}
        c = comps[k]
        ratio = f" — p95 ×{c.ratio['p95']:.2f}" if c.ratio["p95"] is not None else ""
        panels.append(Panel(title=f"{'all requests' if k == OVERALL else k}{ratio}",
                            base=stats.ecdf(lat["base"]),
                            branch=stats.ecdf(lat["branch"]), flagged=flags[k]))
    return latency_svg(panels)


def _details(comps: dict[str, Comparison], flags: dict[str, bool], changed: bool,
             info: dict[str, Any]) -> str:
    head = ("| Endpoint | Requests base / branch | Failures | p50 ms | p95 ms | p99 ms | "
            "rps | p95 × | p requests / rounds | |")
    rows = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]

    def cell(c: Comparison, attr: str) -> str:
        b, r = getattr(c.base, attr), getattr(c.branch, attr)
        fmt = (lambda v: "—" if math.isnan(v) else f"{v:.3g}") if attr != "rps" else (
            lambda v: f"{v:.1f}")
        return f"{fmt(b)} → {fmt(r)}"

    for k, c in comps.items():
        name = "**overall**" if k == OVERALL else code(k)
        ratio = "—" if c.ratio["p95"] is None else f"{c.ratio['p95']:.2f}"
        rows.append(
            f"| {name} | {c.base.count} / {c.branch.count} | {c.base.failures} / "
            f"{c.branch.failures} | {cell(c, 'p50')} | {cell(c, 'p95')} | {cell(c, 'p99')} | "
            f"{cell(c, 'rps')} | {ratio} | {_p(c.p_value)} / {_p(c.p_rounds)} | "
            f"{'⚠️ slower' if flags[k] else ''} |")
    n = len(info["rounds"]) - info["warmup_rounds"]
    notes = [f"Base and branch side by side: {n} alternating rounds"
             + (f" after a warm-up of each, {info.get('workers')} Locust workers"
                if info.get("workers") else " after a warm-up of each")
             + f" (Locust {esc(info.get('locust', '?'))}). Latencies of successful requests.",
             "", *rows, "", "![response times, base vs branch](perf/latency.svg)"]
    if changed:
        notes += ["", "Note: this branch changes the locustfile; both sides ran the "
                  "branch's version."]
    if info.get("exceptions"):
        notes += ["", f"The locustfile raised {len(info['exceptions'])} kind(s) of exception, "
                  f"e.g. {code(info['exceptions'][0]['msg'])}."]
    return "\n".join(notes)


GATE = Perf()
