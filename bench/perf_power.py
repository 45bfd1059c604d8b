"""Benchmark: the perf gate's power and false-block rate on the sample app, by rule.

Builds the sample cluster (`gates.demo.cluster`, the tool library of `gates demo`)
in a scratch folder and, off its main, one branch per change to the service time
of one endpoint (`GET /api/tools?q=[words]`, the search; the step runs only when
the request has search words, so browse and category, which share the function,
are untouched): a no-op (a comment), and +10 %, +20 %, +50 %, ×2, each as CPU
work (a loop that burns that much of the thread's CPU time) and as waiting
(`time.sleep`). Every branch is judged `--n*` times by `gates run --branch X --gate
perf --fresh`, interleaved (the branch furthest behind its count goes next), so the
machine's other work hits all of them alike and a run cut short is balanced.

**Sized at run time.** A change is a fraction of what users of the endpoint wait
*now*: each branch is rebuilt before each of its runs, its step sized from the
base's median of the endpoint in the run just before (the base side of that run's
perf.json; the first run is a no-op and calibrates). A step sized once from an
early measurement does not double what users wait an hour later on a shared
machine whose load swings: that is why an earlier version of this bench measured
×1.4 for "×2" (its step was sized from the first no-op run; later runs' base
medians were ~2.5× higher). Each row records the step (ms), the base median it was
sized from, this run's own base median, the change that step *is* against this
run's base ("intended at run" = step / base median of the same run), and the
gate's measured median shift, so the table shows both.

**Both rules on the same runs.** Each run's perf.json is judged again
(`stats.judge_report`) by the "strict" rule (the interval's lower end above
1 + threshold) and the "practical" one (the ratio at least 1 + threshold, the
interval's lower end above ×1), each with the paired-rounds test and Holm.

Printed: per change and kind, the runs, errors, median load average, base median,
step, intended change at run, measured shift and "realised" (measured shift − 1
over intended at run − 1: 100 % when the step adds exactly itself to the median);
per rule, the runs blocked on the changed endpoint, and among the runs whose
measured shift was at least the change, how many were blocked; for the no-op, the
false blocks (a block on any endpoint, or by a budget). Every run is appended to
`--results` (JSON lines) with the comparisons the gate judged, and a rerun resumes
(it runs only what is missing); `--report-only` prints what is there, judged again
by this tree's statistics (a changed rule is weighed on the same runs).

Usage:
    python bench/perf_power.py [--n-noop 20] [--n-sleep 10,5,5] [--n-cpu 3,3,3]
        [--changes 0.2,0.5,1] [--results power.jsonl] [--report-only]
Runs at normal priority (it measures latency). No timing is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gates import git, proc  # noqa: E402
from gates.builtin.perf import stats  # noqa: E402
from gates.demo import cluster  # noqa: E402

ENDPOINT = "GET /api/tools?q=[words]"
TARGET = "toollib/catalog.py"
ANCHOR = '    """Tools whose name, description or tags contain every word of `q`."""\n'
CPU = ("    if q:  # bench: CPU work, the search only\n"
       "        _t = time.thread_time()\n"
       "        while time.thread_time() - _t < {s!r}:\n            pass\n")
# waiting: in the app's outermost middleware, after the response is ready, the search
# waits `change` × the time the app has spent on this very request
MIDDLEWARE = "toollib/main.py"
CALL = "        response: Response = await call_next(request)  # type: ignore[operator]\n"
WAIT = ("        _t0 = time.perf_counter()  # bench: waiting, the search only\n" + CALL +
        "        if request.url.path == '/api/tools' and request.query_params.get('q'):\n"
        "            await asyncio.sleep({c!r} * (time.perf_counter() - _t0))\n")


def label(change: float, kind: str) -> str:
    return "noop" if change == 0 else f"{kind}-{round(change * 100)}"


def _edit(path: Path, anchor: str, new: str, imports: str = "") -> None:
    text = path.read_text(encoding="utf-8")
    assert anchor in text, f"the sample app changed: update the anchor in {path.name}"
    future = "from __future__ import annotations\n"
    text = text.replace(future, future + imports, 1).replace(anchor, new)
    path.write_text(text, encoding="utf-8")


def make_branch(repo: Path, change: float, kind: str, step_ms: float) -> str:
    name = "bench/" + label(change, kind)
    git.git("checkout", "-q", "-B", name, "main", cwd=repo)
    if change == 0:
        _edit(repo / TARGET, ANCHOR, ANCHOR + "    # bench: a comment, nothing else\n")
    elif kind == "sleep":
        _edit(repo / MIDDLEWARE, CALL, WAIT.format(c=change), "\nimport asyncio\nimport time\n")
    else:
        _edit(repo / TARGET, ANCHOR, ANCHOR + CPU.format(s=round(step_ms / 1000, 6)),
              "\nimport time\n")
    git.git("-c", "user.name=bench", "-c", "user.email=bench@toollib.test", "commit", "-q",
            "-am", f"bench: {name} ({step_ms:.2f} ms)", cwd=repo)
    git.git("checkout", "-q", "main", cwd=repo)
    return name


def verdicts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per rule: blocked on the endpoint, and every endpoint flagged."""
    out = {}
    for name in stats.RULES:
        rule = dataclasses.replace(stats.Rule(**report["rule"]), rule=name)
        flags = stats.judge_report(report, rule)
        out[name] = {"endpoint": bool(flags.get(ENDPOINT)),
                     "flagged": sorted(k for k, bad in flags.items() if bad)}
    return out


def judge(repo: Path, branch: str, env: dict[str, str]) -> dict[str, Any]:
    t0 = time.monotonic()
    load0 = os.getloadavg()[0]
    res = proc.run([sys.executable, "-m", "gates", "run", "--branch", branch, "--gate", "perf",
                    "--fresh", "--no-status"], cwd=repo, env=env, timeout=900)
    seconds = time.monotonic() - t0
    folder = repo / "reports" / branch.replace("/", "__")
    runs = sorted(folder.glob("*/perf/perf.json"), key=lambda p: p.stat().st_mtime)
    out: dict[str, Any] = {"branch": branch, "exit": res.returncode, "seconds": round(seconds, 1),
                           "load": round((load0 + os.getloadavg()[0]) / 2, 2)}
    if res.returncode not in (0, 1) or not runs or runs[-1].stat().st_mtime < time.time() - seconds:
        out["error"] = (res.stdout + res.stderr)[-500:]
        return out
    report = json.loads(runs[-1].read_text(encoding="utf-8"))
    ep = report["endpoints"].get(ENDPOINT, {})
    shifts = ep.get("shifts", {})
    rules = verdicts(report)
    gate_rule = report["rule"].get("rule", "strict")
    out.update({
        "p50_ratio": (shifts.get("p50") or {}).get("ratio"),
        "p50_ci": (shifts.get("p50") or {}).get("ci"),
        "p50_p": (shifts.get("p50") or {}).get("p_rounds"),
        "p95_ratio": (shifts.get("p95") or {}).get("ratio"),
        "p95_verdict": (shifts.get("p95") or {}).get("verdict"),
        "base_p50_ms": (ep.get("base") or {}).get("p50"),
        "branch_p50_ms": (ep.get("branch") or {}).get("p50"),
        "requests": min((ep.get("base") or {}).get("count", 0),
                        (ep.get("branch") or {}).get("count", 0)),
        "measured_seconds": report.get("measured_seconds"),
        "gate_rule": gate_rule, "rules": rules,
        # what `judge` reads, so that a later rule or default can judge these runs again
        "report": {k: report[k] for k in ("rule", "overall", "endpoints")},
        # a block the rules did not make (a budget of the branch): counts against both
        "other_block": res.returncode == 1 and not rules[gate_rule]["flagged"],
    })
    return out


def _median(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _f(x: float | None, spec: str, prefix: str = "", suffix: str = "") -> str:
    return "—" if x is None else f"{prefix}{format(x, spec)}{suffix}"


def blocked(r: dict[str, Any], rule: str, change: float) -> bool:
    """No-op: any block (a false one); a change: blocked on the changed endpoint."""
    if change == 0:
        return bool(r["rules"][rule]["flagged"]) or bool(r.get("other_block"))
    return bool(r["rules"][rule]["endpoint"])


def lost_to_pairs(r: dict[str, Any], rule: str) -> bool:
    """Not blocked, although the median's ratio and interval met `rule` (at the gate's
    threshold, 20 %): the round-pairs test (Holm) or min_delta_ms said no."""
    ratio, ci = r.get("p50_ratio"), r.get("p50_ci")
    if r["rules"][rule]["endpoint"] or ratio is None or not ci:
        return False
    rule_ = stats.Rule(rule=rule)
    return not rule_.too_small("p50", ratio, (ci[0], ci[1]))


def table(rows: list[dict[str, Any]]) -> str:
    groups: dict[tuple[float, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r.get("change", 0.0), r.get("kind", ""))].append(r)
    head = (f"{'change':<12}{'runs':>5}{'err':>4}{'load':>6}{'base p50':>9}{'step':>8}"
            f"{'at run':>8}{'shift':>7}{'realised':>9}"
            f"{'strict':>8}{'practical':>10}{'shift≥chg':>10}{'strict':>7}{'pract.':>7}"
            f"{'strict':>7}{'pract.':>7}{'time':>6}")
    lines = [head, f"{'':<46}{'(median)':>8}{'':<9}{'blocked (rate)':>18}"
                   f"{'runs':>10}{'blocked there':>14}{'pairs test':>14}"]
    for (change, kind) in sorted(groups, key=lambda g: (g[0], g[1])):
        rs = groups[(change, kind)]
        ok = [r for r in rs if "error" not in r]
        name = "no-op" if change == 0 else f"{kind} +{change:.0%}"
        cells = []
        for rule in stats.RULES:
            n = sum(blocked(r, rule, change) for r in ok)
            cells.append(f"{n}/{len(ok)} ({n / len(ok):.0%})" if ok else "—")
        big = [r for r in ok if change and (r["p50_ratio"] or 0) >= 1 + change]
        there = [f"{sum(blocked(r, rule, change) for r in big)}" if change else ""
                 for rule in stats.RULES]
        lost = [f"{sum(lost_to_pairs(r, rule) for r in ok)}" if change else ""
                for rule in stats.RULES]
        at_run = _median([r.get("intended_at_run") for r in ok]) if change else None
        realised = _median([(r["p50_ratio"] - 1) / r["intended_at_run"] for r in ok
                            if change and r.get("intended_at_run") and r["p50_ratio"]])
        lines.append(
            f"{name:<12}{len(rs):>5}{len(rs) - len(ok):>4}"
            f"{_f(_median([r['load'] for r in rs]), '.1f'):>6}"
            f"{_f(_median([r.get('base_p50_ms') for r in ok]), '.1f', suffix='ms'):>9}"
            f"{'∝' if kind == 'sleep' else _f(_median([r.get('step_ms') for r in ok]) if change else None, '.1f', suffix='ms'):>8}"
            f"{_f(at_run, '.0%', '+'):>8}"
            f"{_f(_median([r.get('p50_ratio') for r in ok]), '.2f', '×'):>7}"
            f"{_f(realised, '.0%'):>9}"
            f"{cells[0]:>12}{cells[1]:>12}{len(big) if change else '':>6}"
            f"{there[0]:>7}{there[1]:>7}{lost[0]:>7}{lost[1]:>7}"
            f"{_f(_median([r['seconds'] for r in rs]), '.0f', suffix='s'):>6}")
    lines.append(
        "no-op: blocked = false blocks (any endpoint, or a budget); a change: blocked on "
        f"{ENDPOINT}. step: CPU work, sized from the last three runs' base medians; ∝: the "
        "search waits the change × its own time in the app; at run: the change against this "
        "run's base median; shift: the gate's median ratio; realised: (shift − 1) / at run; "
        "shift≥chg: runs whose shift was ≥ 1 + change; pairs test: runs not blocked although "
        "the median's ratio and interval met the rule (the Holm-corrected round-pairs test "
        "said no).")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-noop", type=int, default=20)
    ap.add_argument("--changes", default="0.2,0.5,1",
                    help="service-time changes, fractions (1 = ×2; 0.1 for +10 %%)")
    ap.add_argument("--n-sleep", default="10,5,5", help="runs of each sleep change, in order")
    ap.add_argument("--n-cpu", default="3,3,3", help="runs of each CPU change, in order")
    ap.add_argument("--results", type=Path, default=Path("perf_power.jsonl"))
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args()

    def rows() -> list[dict[str, Any]]:
        """The runs so far, judged again by this tree's statistics where the run kept
        its comparisons (the gate's rule as it was configured, both rules)."""
        if not args.results.is_file():
            return []
        out = [json.loads(x) for x in args.results.read_text().splitlines() if x.strip()]
        for r in out:
            if "report" in r:
                r["rules"] = verdicts(r["report"])
        return out

    if args.report_only:
        print(table(rows()))
        return 0
    changes = [float(x) for x in args.changes.split(",")]
    want: dict[tuple[float, str], int] = {(0.0, ""): args.n_noop}
    for kind, counts in (("sleep", args.n_sleep), ("cpu", args.n_cpu)):
        for change, n in zip(changes, [int(x) for x in counts.split(",")], strict=True):
            if n:
                want[(change, kind)] = n
    done: dict[tuple[float, str], int] = defaultdict(int)
    for r in rows():
        done[(r.get("change", 0.0), r.get("kind", ""))] += 1
    env = proc.scrubbed_env()
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT)  # the gates of this tree judge
    repo = Path(tempfile.mkdtemp(prefix="perf-power-")) / "demo"
    cluster.build(repo, say=lambda _: None)
    recent = [r["base_p50_ms"] for r in rows() if r.get("base_p50_ms")]
    base_ms = statistics.median(recent[-3:]) if recent else None
    with args.results.open("a", encoding="utf-8") as results:
        while True:
            left = [g for g in want if done[g] < want[g]]
            if not left:
                break
            # the no-op first until there is a base median to size from; then the group
            # furthest behind its count
            group = (0.0, "") if base_ms is None else min(
                left, key=lambda g: (done[g] / want[g], -want[g]))
            change, kind = group
            # CPU work: a fixed amount, sized from the base medians of the last runs
            step = change * base_ms if base_ms and kind == "cpu" else 0.0
            branch = make_branch(repo, change, kind, step)
            row = {"change": change, "kind": kind, "step_ms": round(step, 3),
                   "sized_from_ms": base_ms, **judge(repo, branch, env)}
            if row.get("base_p50_ms"):
                recent.append(row["base_p50_ms"])
                base_ms = statistics.median(recent[-3:])
                row["intended_at_run"] = round(step / row["base_p50_ms"], 4) if step else change
            results.write(json.dumps(row) + "\n")
            results.flush()
            done[group] += 1
            what = (f"CPU {step:.2f} ms (+{change:.0%} of {row['sized_from_ms']:.1f} ms)" if step
                    else f"waits +{change:.0%} of its time in the app")
            print(f"{label(change, kind)}: {what}; this run: base "
                  f"{row.get('base_p50_ms') or 0:.1f} ms, intended "
                  f"+{row.get('intended_at_run', 0):.0%}, measured ×{row.get('p50_ratio') or 0:.2f} "
                  f"{row.get('p50_ci')}, strict {row.get('rules', {}).get('strict')}, "
                  f"practical {row.get('rules', {}).get('practical')}, exit {row['exit']}, "
                  f"{row['seconds']:.0f} s, load {row['load']}", flush=True)
    print(table(rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
