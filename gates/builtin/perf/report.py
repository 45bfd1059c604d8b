"""What the perf gate reports, from the comparison of the two sides: the findings
(regressions against the base, budgets of the branch), perf.json, the metrics of
verdict.json, the latency chart, and the sections of summary.md and the run page."""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict
from typing import Any

import numpy as np

from gates.builtin.perf import stats
from gates.builtin.perf.stats import OVERALL, Comparison, Sample
from gates.model import Chart, Finding, Paragraph, Section, Severity, Table, Text, code, plain
from gates.svg import Panel, latency_svg

BUDGET_KEYS = ("p95_ms", "p99_ms", "fail_ratio", "min_rps")
CHART_PANELS = 6
CHART = "perf/latency.svg"  # the chart's artifact, relative to the run's report folder


def findings(comps: dict[str, Comparison], flags: dict[str, bool], cfg: dict[str, Any]
             ) -> list[Finding]:
    return _regressions(comps, flags) + _budgets(comps, cfg) + _inconclusive(comps, cfg)


STAT_NAMES = {"p50": "median", "p95": "p95"}


def remedy(c: Comparison, cfg: dict[str, Any]) -> str:
    """What run would give `c` a p95 verdict: its request rate so far, scaled."""
    need = max(int(cfg["p95_min_samples"]), int(cfg["min_samples"]))
    rate = min(c.base.rps * (1 - c.base.fail_ratio), c.branch.rps * (1 - c.branch.fail_ratio))
    if rate <= 0:
        return "no successful requests to size a run from"
    seconds = 2 * need / rate  # both targets' rounds
    return (f"at {rate:.1f} successful requests/s a side, {seconds:.0f} s of measured load "
            f"would judge it (max_duration ≥ {seconds:.0f}, within the timeout), or more "
            "users / less think time in the locustfile")


def _inconclusive(comps: dict[str, Comparison], cfg: dict[str, Any]) -> list[Finding]:
    """Endpoints whose p95 (or median) had too few requests: said, never passed silently.
    Info: it does not block — the tail of all requests together is judged (the gate
    is `error` if even that is inconclusive), and so is each endpoint's median."""
    out = []
    for k, c in comps.items():
        open_ = [n for n, sh in c.shifts.items() if sh.verdict == stats.INCONCLUSIVE]
        if not open_ or k == OVERALL:
            continue
        what = " and ".join(STAT_NAMES[n] for n in open_)
        out.append(Finding(
            gate="perf", rule="p95-inconclusive", severity=Severity.INFO, tool="locust",
            fingerprint=_fp("p95-inconclusive", k),
            message=(f"`{k}`: {what} inconclusive ({c.shifts[open_[0]].why}); "
                     f"{remedy(c, cfg)}"),
            extra={"endpoint": k, "statistics": open_, "requests": c.ok_counts},
        ))
    return out


def perf_json(comps: dict[str, Comparison], flags: dict[str, bool], info: dict[str, Any],
              config: dict[str, Any], changed: bool) -> dict[str, Any]:
    """perf.json: the whole comparison, JSON without NaN."""
    overall = comps[OVERALL]
    return clean({
        "schema": 1, "locust": info.get("locust"), "workers": info.get("workers", 0),
        "rounds": info["rounds"], "warmup_rounds": info["warmup_rounds"],
        "locustfile_changed": changed, "cpus": info.get("cpus"),
        "config": config,
        "rule": asdict(stats.Rule.from_config(config)),
        "measured_seconds": round(sum(r["seconds"] for r in
                                      info["rounds"][info["warmup_rounds"]:]), 3),
        "overall": {**overall.to_json(), "regression": flags[OVERALL]},
        "endpoints": {k: {**c.to_json(), "regression": flags[k]}
                      for k, c in comps.items() if k != OVERALL},
        "exceptions": info.get("exceptions", []),
    })


def metrics(comps: dict[str, Comparison], samples: list[Sample], info: dict[str, Any]
            ) -> dict[str, Any]:
    overall = comps[OVERALL]
    return {
        "overall": {"base": stats_json(overall, "base"),
                    "branch": stats_json(overall, "branch"),
                    "ratio": overall.ratio, "p_value": overall.p_value},
        "requests": len(samples),
        "tools": {"locust": str(info.get("locust", "?"))},
    }


def stats_json(c: Comparison, target: str) -> dict[str, Any]:
    s = getattr(c, target)
    return {"count": s.count, "failures": s.failures, "error_ratio": round(s.fail_ratio, 6),
            "rps": round(s.rps, 2), "p50": _r(s.p50), "p95": _r(s.p95), "p99": _r(s.p99)}


def _r(v: float) -> float | None:
    return None if math.isnan(v) else round(v, 3)


def clean(o: Any) -> Any:
    """JSON without NaN (a side with no successful request has no percentiles)."""
    if isinstance(o, float):
        return None if math.isnan(o) or math.isinf(o) else o
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [clean(v) for v in o]
    return o


def _fp(rule: str, endpoint: str) -> str:
    return hashlib.sha256(f"perf\0{rule}\0{endpoint}".encode()).hexdigest()[:16]


def _ms(v: float) -> str:
    return "—" if math.isnan(v) else (f"{v:.0f} ms" if v >= 100 else f"{v:.3g} ms")


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def _p(v: float | None) -> str:
    return "—" if v is None else (f"{v:.1e}" if v < 0.001 else f"{v:.3f}")


def _interval(ci: tuple[float, float] | None) -> str:
    return "—" if ci is None else f"[×{ci[0]:.2f}, ×{ci[1]:.2f}]"


def _regressions(comps: dict[str, Comparison], flags: dict[str, bool]) -> list[Finding]:
    keys = [k for k, bad in flags.items() if bad and k != OVERALL]
    if not keys and flags[OVERALL]:
        keys = [OVERALL]
    out = []
    for k in keys:
        c = comps[k]
        what = "overall" if k == OVERALL else f"`{k}`"
        moved = "; ".join(
            f"{STAT_NAMES[n]} {_ms(getattr(c.base, n))} → {_ms(getattr(c.branch, n))} "
            f"(×{_x(sh.ratio)}, 95 % interval {_interval(sh.ci)}, p = {_p(sh.p_rounds)} over "
            f"{sh.pairs} round pairs)" for n, sh in c.shifts.items() if n in c.decided_by)
        out.append(Finding(
            gate="perf", rule="latency-regression", severity=Severity.HIGH, tool="locust",
            fingerprint=_fp("latency-regression", k),
            message=(f"{what} is slower than on the base: {moved}; over {c.base.count} vs "
                     f"{c.branch.count} requests (Mann–Whitney p = {_p(c.p_value)})"),
            extra={"endpoint": k, "decided_by": c.decided_by, "ratio": c.ratio,
                   "p_value": c.p_value,
                   "shifts": {n: sh.to_json() for n, sh in c.shifts.items()},
                   "base_p50_ms": _r(c.base.p50), "branch_p50_ms": _r(c.branch.p50),
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


def chart(samples: list[Sample], measured: set[int], comps: dict[str, Comparison],
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
        ratio = " — " + ", ".join(f"{STAT_NAMES[n]} ×{sh.ratio:.2f}" for n, sh in
                                  c.shifts.items() if sh.ratio is not None)
        panels.append(Panel(title=f"{'all requests' if k == OVERALL else k}{ratio}",
                            base=stats.ecdf(lat["base"]),
                            branch=stats.ecdf(lat["branch"]), flagged=flags[k]))
    return latency_svg(panels)


def sections(comps: dict[str, Comparison], flags: dict[str, bool], changed: bool,
             info: dict[str, Any]) -> list[Section]:
    n = len(info["rounds"]) - info["warmup_rounds"]
    seconds = sum(r["seconds"] for r in info["rounds"][info["warmup_rounds"]:])
    workers = (f" after a warm-up of each, {info.get('workers')} Locust workers"
               if info.get("workers") else " after a warm-up of each")
    out: list[Section] = [
        Paragraph([plain(f"Base and branch side by side: {n} alternating rounds{workers} "
                         f"({seconds:.0f} s of measured load; Locust "),
                   plain(info.get("locust", "?")),
                   plain("). Latencies of successful requests. An endpoint is slower when "
                         "its median or p95 ratio clears the threshold by the gate's rule "
                         "(strict: the lower end of the 95 % interval above it; practical: "
                         "the ratio above it and the interval above ×1) and the round pairs "
                         "agree (p); inconclusive: too few requests for that statistic.")]),
        _table(comps, flags),
        Chart(CHART, "response times, base vs branch"),
    ]
    if changed:
        out.append(Paragraph([plain("Note: this branch changes the locustfile; both sides "
                                    "ran the branch's version.")]))
    if info.get("exceptions"):
        out.append(Paragraph([
            plain(f"The locustfile raised {len(info['exceptions'])} kind(s) of exception, "
                  "e.g. "), code(info["exceptions"][0]["msg"]), plain(".")]))
    return out


def _table(comps: dict[str, Comparison], flags: dict[str, bool]) -> Table:
    def cell(c: Comparison, attr: str) -> list[Text]:
        b, r = getattr(c.base, attr), getattr(c.branch, attr)
        fmt = (lambda v: "—" if math.isnan(v) else f"{v:.3g}") if attr != "rps" else (
            lambda v: f"{v:.1f}")
        return [plain(f"{fmt(b)} → {fmt(r)}")]

    def shift(c: Comparison, stat: str) -> list[Text]:
        sh = c.shifts[stat]
        if sh.verdict == stats.INCONCLUSIVE:
            return [Text("inconclusive", mark="warn"), plain(f" ({sh.why})")]
        text = f"×{_x(sh.ratio)} {_interval(sh.ci)} p={_p(sh.p_rounds)}"
        return [Text(text, strong=True)] if sh.verdict == stats.SLOWER else [plain(text)]

    rows = []
    for k, c in comps.items():
        name = Text("overall", strong=True) if k == OVERALL else code(k)
        decided = " + ".join(STAT_NAMES[n] for n in c.decided_by)
        rows.append([
            [name], [plain(f"{c.base.count} / {c.branch.count}")],
            [plain(f"{c.base.failures} / {c.branch.failures}")],
            cell(c, "p50"), shift(c, "p50"), cell(c, "p95"), shift(c, "p95"), cell(c, "p99"),
            cell(c, "rps"),
            [Text(f"slower ({decided})", mark="warn")] if flags[k] else [],
        ])
    return Table(["Endpoint", "Requests base / branch", "Failures", "p50 ms",
                  "median × [95 % interval] p pairs", "p95 ms", "p95 × [95 % interval] p pairs",
                  "p99 ms", "rps", "verdict"], rows,
                 numeric=[False, True, True, True, False, True, False, True, True, False])
