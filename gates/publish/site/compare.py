"""Base-vs-branch numbers of a gate's metrics, as charts and tables for the run page.

A gate that measures both sides of a run writes `{"base": {...}, "branch": {...}}`
tables into its metrics: `overall` (p50, p95, … in ms, rps), and any other
`{name: {base: {...}, branch: {...}}}` (per endpoint) charted by its p95. Read
defensively: whatever is not a number is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gates import svg
from gates.model import SIDES
from gates.publish.site.render import num
from gates.publish.site.trends import Figure


@dataclass
class Comparison:
    figure: Figure | None
    heads: list[str]
    rows: list[list[str]]  # the first cell names the row
    code: bool  # the row names are code (endpoints)
    caption: str


def _sides(value: object) -> dict[str, dict[str, float]] | None:
    if not isinstance(value, dict):
        return None
    out = {}
    for side in SIDES:
        nums = value.get(side)
        if isinstance(nums, dict):
            out[side] = {k: float(v) for k, v in nums.items()
                         if isinstance(v, int | float) and not isinstance(v, bool)}
    return out if any(out.values()) else None


def _pct(key: str) -> float | None:
    m = re.fullmatch(r"p(\d+(?:\.\d+)?)", key)
    return float(m.group(1)) if m else None


def _overall(overall: dict[str, dict[str, float]]) -> Comparison:
    keys = sorted({k for s in overall.values() for k in s if _pct(k) is not None},
                  key=lambda k: _pct(k) or 0)
    series = [svg.Series(side, [overall.get(side, {}).get(k) for k in keys])
              for side in SIDES if side in overall]
    figure = Figure(svg.bar_chart("latency percentiles, base vs branch", keys, series,
                                         y_label="latency", unit="ms"),
                    "Latency distribution (percentiles) of the base and the branch"
                    ) if keys else None
    names = sorted({k for s in overall.values() for k in s},
                   key=lambda k: (_pct(k) is None, _pct(k) or 0, k))
    rows = [[k] + [num(overall.get(side, {}).get(k)) for side in SIDES] for k in names]
    return Comparison(figure, ["Metric", "Base", "Branch"], rows, False,
                      "Overall (latencies in ms)")


def comparisons(metrics: Mapping[str, Any]) -> list[Comparison]:
    out = []
    overall = _sides(metrics.get("overall"))
    if overall:
        out.append(_overall(overall))
    for key, value in metrics.items():
        if key == "overall" or not isinstance(value, dict):
            continue
        per = {str(name): sides for name, v in value.items()
               if (sides := _sides(v)) and any("p95" in s for s in sides.values())}
        if not per:
            continue
        names = sorted(per)[:20]
        series = [svg.Series(side, [per[n].get(side, {}).get("p95") for n in names])
                  for side in SIDES]
        figure = Figure(svg.bar_chart(f"p95 by {key}, base vs branch", names, series,
                                             y_label="p95", unit="ms"),
                        f"p95 latency by {key} (base and branch)")
        rows = [[n] + [num(per[n].get(side, {}).get(k)) for k in ("p95", "rps") for side in SIDES]
                for n in names]
        out.append(Comparison(figure, [key, "p95 base", "p95 branch", "rps base", "rps branch"],
                              rows, True, f"By {key} (latencies in ms)"))
    return out
