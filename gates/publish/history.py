"""reports/history.jsonl: one line per run, appended, never rewritten.

The dashboard draws its trends from it (verdict over commits, p95 and rps).
Lines are written under the publish lock; a damaged line is skipped on reading.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gates.model import Verdict

PERF_KEYS = ("p50", "p95", "p99", "rps", "count", "failures", "error_ratio")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def perf_of(metrics: object) -> dict[str, dict[str, float]]:
    """{"branch": {"p95": …, "rps": …}, "base": {…}} from a perf gate's
    `metrics["overall"]`; whatever is missing or not a number is left out."""
    overall = metrics.get("overall") if isinstance(metrics, dict) else None
    if not isinstance(overall, dict):
        return {}
    out: dict[str, dict[str, float]] = {}
    for side in ("branch", "base"):
        values = overall.get(side)
        if not isinstance(values, dict):
            continue
        nums = {k: n for k in PERF_KEYS if (n := _number(values.get(k))) is not None}
        if nums:
            out[side] = nums
    return out


def line(v: Verdict) -> dict[str, Any]:
    perf: dict[str, dict[str, float]] = {}
    for r in sorted(v.results, key=lambda r: r.gate != "perf"):  # the perf gate first
        perf = perf_of(r.metrics)
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
