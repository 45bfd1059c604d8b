"""Benchmark: the perf gate's power and false-block rate on the sample app.

Builds the sample cluster (`gates.demo.cluster`, the tool library of `gates demo`)
in a scratch folder and, off its main, one branch per change to the service time
of one endpoint (`GET /api/tools?q=[words]`, the search): a no-op (a comment), and
+10 %, +20 %, +50 %, ×2 of that endpoint's service time, each as CPU work (a loop
that burns that much of the thread's CPU time) and as waiting (`time.sleep`). The
service time is the base's median of that endpoint, measured by the first no-op
run (or `--service-ms`). Every branch is judged `--n` times (`--n-noop` for the
no-op, `--n-20` for +20 %) by `gates run --branch X --gate perf --fresh`, the
branches interleaved so that the machine's other work hits all of them alike.

Printed: per change and kind, the runs, how many blocked on the changed endpoint
(detection), how many blocked where the gate's own measurement of the median shift
(the point estimate of branch / base p50) was at least the change, the median of
that measured shift, the median run time; and the false blocks (any block) of the
no-op. Every run is appended to `--results` (JSON lines), so a long run can be
stopped and printed (`--report-only`).

Usage:
    python bench/perf_power.py [--n-noop 20] [--n-20 10] [--n 5]
        [--changes 0,0.1,0.2,0.5,1] [--kinds cpu,sleep] [--results power.jsonl]
No timing is asserted; run it on a quiet machine for the README's numbers.
"""

from __future__ import annotations

import argparse
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
from gates.demo import cluster  # noqa: E402

ENDPOINT = "GET /api/tools?q=[words]"
TARGET = "toollib/catalog.py"
ANCHOR = '    """Tools whose name, description or tags contain every word of `q`."""\n'
WORK = {
    "sleep": "    time.sleep({s!r})  # bench: waiting\n",
    "cpu": ("    _t = time.thread_time()  # bench: CPU work\n"
            "    while time.thread_time() - _t < {s!r}:\n        pass\n"),
}


def branch_name(change: float, kind: str) -> str:
    return "bench/noop" if change == 0 else f"bench/{kind}-{round(change * 100)}"


def make_branch(repo: Path, change: float, kind: str, service_ms: float) -> str:
    name = branch_name(change, kind)
    git.git("checkout", "-q", "-B", name, "main", cwd=repo)
    path = repo / TARGET
    text = path.read_text(encoding="utf-8")
    assert ANCHOR in text, "the sample app's search changed: update ANCHOR"
    if change == 0:
        text = text.replace(ANCHOR, ANCHOR + "    # bench: a comment, nothing else\n")
    else:
        work = WORK[kind].format(s=round(change * service_ms / 1000, 6))
        future = "from __future__ import annotations\n"
        text = text.replace(future, future + "\nimport time\n", 1).replace(ANCHOR, ANCHOR + work)
    path.write_text(text, encoding="utf-8")
    git.git("-c", "user.name=bench", "-c", "user.email=bench@toollib.test", "commit", "-q",
            "-am", f"bench: {name}", cwd=repo)
    git.git("checkout", "-q", "main", cwd=repo)
    return name


def judge(repo: Path, branch: str, env: dict[str, str]) -> dict[str, Any]:
    t0 = time.monotonic()
    res = proc.run([sys.executable, "-m", "gates", "run", "--branch", branch, "--gate", "perf",
                    "--fresh", "--no-status"], cwd=repo, env=env, timeout=900)
    seconds = time.monotonic() - t0
    folder = repo / "reports" / branch.replace("/", "__")
    runs = sorted(folder.glob("*/perf/perf.json"), key=lambda p: p.stat().st_mtime)
    out: dict[str, Any] = {"branch": branch, "exit": res.returncode, "seconds": round(seconds, 1)}
    if res.returncode not in (0, 1) or not runs:
        out["error"] = (res.stdout + res.stderr)[-500:]
        return out
    report = json.loads(runs[-1].read_text(encoding="utf-8"))
    ep = report["endpoints"].get(ENDPOINT, {})
    shifts = ep.get("shifts", {})
    out.update({
        "blocked": res.returncode == 1, "detected": bool(ep.get("regression")),
        "decided_by": ep.get("decided_by", []),
        "p50_ratio": (shifts.get("p50") or {}).get("ratio"),
        "p50_ci": (shifts.get("p50") or {}).get("ci"),
        "p95_ratio": (shifts.get("p95") or {}).get("ratio"),
        "p95_verdict": (shifts.get("p95") or {}).get("verdict"),
        "base_p50_ms": (ep.get("base") or {}).get("p50"),
        "requests": min((ep.get("base") or {}).get("count", 0),
                        (ep.get("branch") or {}).get("count", 0)),
        "measured_seconds": report.get("measured_seconds"),
        "flagged": sorted(k for k, e in report["endpoints"].items() if e.get("regression")),
    })
    return out


def table(rows: list[dict[str, Any]]) -> str:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["branch"]].append(r)

    def key(b: str) -> tuple[int, str]:
        return (0, "") if b == "bench/noop" else (int(b.rsplit("-", 1)[1]), b)

    lines = [f"{'change':<14}{'runs':>5}{'errors':>7}{'blocked':>9}{'rate':>7}"
             f"{'shift≥change':>14}{'blocked there':>15}{'median shift':>14}{'run time':>10}"]
    for b in sorted(groups, key=key):
        rs = groups[b]
        ok = [r for r in rs if "error" not in r]
        change = 0.0 if b == "bench/noop" else int(b.rsplit("-", 1)[1]) / 100
        hit = [r for r in ok if (r["blocked"] if change == 0 else r["detected"])]
        big = [r for r in ok if change and (r["p50_ratio"] or 0) >= 1 + change]
        big_hit = [r for r in big if r["detected"]]
        shift = statistics.median(r["p50_ratio"] for r in ok if r["p50_ratio"]) if ok else 0
        label = "no-op" if change == 0 else f"{b.split('/')[1].split('-')[0]} +{change:.0%}"
        rate = f"{len(hit) / len(ok):.0%}" if ok else "—"
        lines.append(
            f"{label:<14}{len(rs):>5}{len(rs) - len(ok):>7}{len(hit):>9}{rate:>7}"
            f"{len(big) if change else '':>14}{len(big_hit) if change else '':>15}"
            f"{'×' + format(shift, '.2f'):>14}"
            f"{statistics.median(r['seconds'] for r in rs):>9.0f}s")
    lines.append("no-op: blocked = false blocks (any endpoint); others: blocked on "
                 f"{ENDPOINT}; shift = the gate's p50 ratio of that endpoint")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-noop", type=int, default=20)
    ap.add_argument("--n-20", type=int, default=10, help="runs of each +20 %% branch")
    ap.add_argument("--n", type=int, default=5, help="runs of every other branch")
    ap.add_argument("--changes", default="0,0.1,0.2,0.5,1",
                    help="service-time changes, fractions (1 = ×2)")
    ap.add_argument("--kinds", default="cpu,sleep")
    ap.add_argument("--service-ms", type=float, default=0.0,
                    help="the endpoint's service time (default: the first no-op run's base p50)")
    ap.add_argument("--results", type=Path, default=Path("perf_power.jsonl"))
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args()
    if args.report_only:
        rows = [json.loads(x) for x in args.results.read_text().splitlines() if x.strip()]
        print(table(rows))
        return 0
    changes = [float(x) for x in args.changes.split(",")]
    kinds = args.kinds.split(",")
    env = proc.scrubbed_env()
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    scratch = Path(tempfile.mkdtemp(prefix="perf-power-"))
    repo = scratch / "demo"
    cluster.build(repo, say=lambda _: None)
    results = args.results.open("a", encoding="utf-8")

    def record(row: dict[str, Any]) -> None:
        results.write(json.dumps(row) + "\n")
        results.flush()
        print(json.dumps(row), flush=True)

    plan: list[tuple[str, int]] = []
    service = args.service_ms
    noop = make_branch(repo, 0, "", 0)
    if not service:  # calibrate: the first no-op run's base median of the endpoint
        first = judge(repo, noop, env)
        record(first)
        service = float(first.get("base_p50_ms") or 0)
        if service <= 0:
            print(f"could not measure the service time: {first}", file=sys.stderr)
            return 2
        plan.append((noop, args.n_noop - 1))
    else:
        plan.append((noop, args.n_noop))
    print(f"service time of {ENDPOINT}: {service:.2f} ms", flush=True)
    for change in changes:
        if change == 0:
            continue
        for kind in kinds:
            n = args.n_20 if abs(change - 0.2) < 1e-9 else args.n
            plan.append((make_branch(repo, change, kind, service), n))
    if 0 not in changes:
        plan = plan[1:]
    left = dict(plan)
    while any(left.values()):  # interleaved: one run of each branch that has runs left
        for branch, n in list(left.items()):
            if n:
                record(judge(repo, branch, env))
                left[branch] = n - 1
    results.close()
    rows = [json.loads(x) for x in args.results.read_text().splitlines() if x.strip()]
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
