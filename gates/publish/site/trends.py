"""The numbers the site draws over time: the trends the gates declare (`Gate.trends`,
read through the registry), taken from the runs of reports/history.jsonl."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from gates import registry, svg
from gates.model import Trend
from gates.publish import history

Run = Mapping[str, Any]


def charted(trends: Mapping[str, Sequence[Trend]] | None = None) -> list[Trend]:
    """The trends drawn on the pages, gates in registry order, one per metric."""
    declared = registry.load().trends if trends is None else trends
    seen: dict[str, Trend] = {}
    for series in declared.values():
        for t in series:
            if t.chart:
                seen.setdefault(t.metric, t)
    return list(seen.values())


def label(t: Trend) -> str:
    return t.label or t.metric


def value(run: Run, side: str, metric: str) -> float | None:
    """A run's measured value (history's `perf`: {side: {metric: number}})."""
    perf = run.get("perf")
    values = perf.get(side) if isinstance(perf, dict) else None
    return history.number(values.get(metric) if isinstance(values, dict) else None)


def runs_of(branch: str, runs: list[dict[str, Any]], entries: Mapping[str, Mapping[str, Any]]
            ) -> list[dict[str, Any]]:
    """The branch's runs, oldest first; the latest verdict stands in when the
    history has none (runs from before the history existed)."""
    mine = [r for r in runs if r["branch"] == branch]
    if not mine and branch in entries:
        mine = [{"branch": branch, **entries[branch], "perf": {}}]
    return sorted(mine, key=lambda r: str(r.get("started", "")))


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def base_trend(base: str, runs: list[dict[str, Any]], metrics: Sequence[str] | None = None
               ) -> tuple[list[str], dict[str, list[float | None]]]:
    """The base over its commits: each metric (by default the charted trends) as
    measured on the base side (the median of every run that measured that commit),
    and on the branch side of the base's own runs."""
    keys = list(metrics) if metrics is not None else [t.metric for t in charted()]
    order: list[str] = []
    measured: dict[str, dict[str, list[float]]] = {}
    for r in runs:
        if r.get("base") != base and r.get("branch") != base:
            continue
        own = r.get("branch") == base
        commit = str(r.get("branch_commit") if own else r.get("base_commit"))
        side = "branch" if own else "base"
        if commit not in measured:
            order.append(commit)
            measured[commit] = {k: [] for k in keys}
        for k in keys:
            v = value(r, side, k)
            if v is not None:
                measured[commit][k].append(v)
    order = [c for c in order if any(measured[c][k] for k in keys)]  # measured ones
    values = {k: [(_median(measured[c][k]) if measured[c][k] else None) for c in order]
              for k in keys}
    return order, values


def strip(title: str, runs: Sequence[Run], *, when: bool = True) -> Markup:
    """The verdict of each run, oldest first (hover: commit and time)."""
    return svg.verdict_strip(title, [
        (str(r.get("branch_commit", ""))[:8] + (" · " + str(r.get("started", "")) if when
                                               else ""), str(r.get("verdict")))
        for r in runs])


@dataclass
class Figure:
    chart: Markup
    caption: str


def figures(name: str, labels: list[str], series: Mapping[str, Mapping[str, list[Any]]],
            trends: Sequence[Trend]) -> list[Figure]:
    """One line chart per trend, a line per series ({series name: {metric: values}})."""
    return [Figure(svg.line_chart(
        f"{label(t)} of {name} by commit", labels,
        [svg.Series(f"{k} {t.metric}", list(v[t.metric])) for k, v in series.items()],
        y_label=t.axis or t.metric, unit=t.unit, x_label="commit"),
        f"{label(t)} of {name}, oldest commit first") for t in trends]


@dataclass
class Spark:
    svg: Markup
    last: str | None  # the latest value, None when nothing was measured


def spark(title: str, values: list[float | None], unit: str = "") -> Spark:
    last = next((v for v in reversed(values) if v is not None), None)
    return Spark(svg.sparkline(title, values, unit),
                 None if last is None else svg.fmt(last, unit))
