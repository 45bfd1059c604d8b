"""reports/history.jsonl: one line per run, appended, never rewritten.

The site draws its trends from it: the verdict over commits, and the numbers the
gates declare as trends (`trends` on a gate, read through the registry), kept under
`perf` as {side: {metric: value}}. Lines are written under the publish lock; a
damaged line is skipped on reading.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gates import registry
from gates.model import SIDES, Trend, Verdict

Trends = Mapping[str, Sequence[Trend]]  # gate name -> the trends it declares


def number(value: object) -> float | None:
    """`value` as a finite float, or None (not a number, a bool, NaN, ±inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _at(metrics: object, path: Sequence[str]) -> object:
    for key in path:
        metrics = metrics.get(key) if isinstance(metrics, dict) else None
    return metrics


def perf_of(metrics: object, trends: Sequence[Trend] | None = None
            ) -> dict[str, dict[str, float]]:
    """{"branch": {"p95": …, "rps": …}, "base": {…}}: the values of `trends` (by
    default every trend the registered gates declare) in a gate's metrics; whatever
    is missing or not a number is left out."""
    if trends is None:
        trends = [t for ts in registry.load().trends.values() for t in ts]
    out: dict[str, dict[str, float]] = {}
    for side in SIDES:
        for t in trends:
            n = number(_at(_at(metrics, t.path), (side, t.metric)))
            if n is not None:
                out.setdefault(side, {}).setdefault(t.metric, n)
    return out


def line(v: Verdict, trends: Trends | None = None) -> dict[str, Any]:
    """The run's line; `perf` holds the trends of the first gate that measured any."""
    declared = registry.load().trends if trends is None else trends
    perf: dict[str, dict[str, float]] = {}
    for r in v.results:
        perf = perf_of(r.metrics, declared.get(r.gate, ()))
        if perf:
            break
    return {
        "branch": v.branch,
        "agent": v.agent,
        "started": v.started,
        "verdict": v.label,
        "passed": v.passed,
        "base": v.base,
        "base_commit": v.base_commit,
        "branch_commit": v.branch_commit,
        "tree": v.tree,
        "report_dir": v.report_dir,
        "gates": {r.gate: r.status.value for r in v.results},
        "perf": perf,
    }


def append(path: Path, v: Verdict) -> None:
    """Add the run's line; the caller holds the publish lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(line(v), ensure_ascii=False, sort_keys=True) + "\n"
    with path.open("a+b") as f:
        f.seek(0, os.SEEK_END)
        if f.tell():  # a line cut short by a crash must not swallow this one
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                text = "\n" + text
        f.write(text.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def read(path: Path) -> list[dict[str, Any]]:
    """Every readable line, oldest first; damaged lines are skipped."""
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for text in raw.splitlines():
        try:
            item = json.loads(text)
        except ValueError:
            continue
        if (isinstance(item, dict) and isinstance(item.get("branch"), str)
                and isinstance(item.get("started"), str)):
            out.append(item)
    return out
