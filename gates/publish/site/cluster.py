"""The cluster page (reports/index.html): agents × branches × gates, the latest verdict
of each (stale ones marked), why blocked branches are blocked, and the trends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from markupsafe import Markup

from gates.model import Trend
from gates.publish.site import trends as tr
from gates.publish.site.paths import Site, anchor_id, link
from gates.publish.site.render import glyph, num, render
from gates.subject import slug

HIDDEN_COLUMNS = ("merge", "policy")  # shown in the verdict cell, as in CLUSTER_STATUS.md
HERE = PurePosixPath(".")
Entries = Mapping[str, Mapping[str, Any]]


def gate_columns(entries: Entries, order: list[str]) -> list[str]:
    """The gates of the matrix: in `order` (the registry's), then unknown ones by name."""
    names = {g for en in entries.values() for g in en.get("gates", {})} - set(HIDDEN_COLUMNS)
    known = [g for g in order if g in names]
    return known + sorted(names - set(known))


def verdict_notes(en: Mapping[str, Any]) -> list[str]:
    gates = en.get("gates", {})
    notes = []
    if gates.get("merge") not in (None, "pass"):
        notes.append("merge conflict: rebase needed")
    if gates.get("policy") not in (None, "pass"):
        notes.append("changes the gates policy")
    return notes


@dataclass
class Cell:
    status: str | None  # None: the gate did not run
    href: str | None
    label: str


@dataclass
class Row:
    branch: str
    href: str | None  # the run's page
    history: str  # the branch's page
    verdict: str
    why: str
    notes: list[str]
    stale: bool
    cells: list[Cell]
    entry: Mapping[str, Any]


def _row(site: Site, b: str, en: Mapping[str, Any], gates: list[str], stale: bool) -> Row:
    target = site.run_page(en.get("report_dir"))
    cells = []
    for g in gates:
        st = en.get("gates", {}).get(g)
        cells.append(Cell(None if st is None else str(st),
                          link(HERE, target, anchor_id(g)) if target else None,
                          f"{g}: {st}" + (" (stale)" if stale else "")))
    return Row(b, link(HERE, target) if target else None,
               link(HERE, PurePosixPath(slug(b)) / "index.html"),
               str(en.get("verdict", "blocked")), "; ".join(str(r) for r in en.get("reasons", [])),
               verdict_notes(en), stale, cells, en)


@dataclass
class Base:
    name: str
    own: Markup | None  # the verdicts of its own runs
    figures: list[tr.Figure]
    heads: list[str]  # the numbers behind the charts
    rows: list[tuple[str, list[str]]]
    caption: str


@dataclass
class BranchTrend:
    branch: str
    history: str
    runs: int
    strip: Markup
    sparks: list[tr.Spark] = field(default_factory=list)


def _bases(entries: Entries, runs: list[dict[str, Any]], charted: list[Trend]) -> list[Base]:
    out = []
    for base in sorted({str(en.get("base", "main")) for en in entries.values()}):
        commits, values = tr.base_trend(base, runs, [t.metric for t in charted])
        labels = [c[:8] for c in commits]
        own = [r for r in runs if r.get("branch") == base]
        measured = any(v is not None for vs in values.values() for v in vs)
        heads = ["Commit"] + [f"{base} {t.metric}" + (f" ({t.unit})" if t.unit else "")
                              for t in charted]
        rows = [(lab, [num(values[t.metric][i]) for t in charted])
                for i, lab in enumerate(labels)]
        out.append(Base(
            base, tr.strip(f"verdicts of {base}", own, when=False) if own else None,
            tr.figures(base, labels, {base: values}, charted) if measured else [],
            heads, rows, f"{base}: {' and '.join(values)} by commit (the median of the "
            "runs that measured it)"))
    return out


def page(site: Site, entries: Entries, stale: set[str], runs: list[dict[str, Any]],
         generated: str, charted: list[Trend], order: list[str]) -> str:
    if not entries:
        return render("cluster.html.j2", title="gates · cluster", crumbs=[("Cluster", None)],
                      generated=generated, entries=False)
    n = len(entries)
    passed = sum(1 for en in entries.values() if en.get("passed"))
    errors = sum(1 for en in entries.values() if en.get("errors"))
    tiles = [(n, "branches"), (passed, f"{glyph('pass')} may merge"),
             (n - passed, f"{glyph('blocked')} blocked"),
             (len(stale & set(entries)), f"{glyph('stale')} stale (re-run)"),
             (errors, f"{glyph('error')} with gate errors")]
    gates = gate_columns(entries, order)
    by_agent: dict[str, list[Row]] = {}
    for b, en in sorted(entries.items(), key=lambda kv: (str(kv[1].get("agent")), kv[0])):
        by_agent.setdefault(str(en.get("agent", "")), []).append(
            _row(site, b, en, gates, b in stale))
    blocked = [(b, link(HERE, t) if (t := site.run_page(en.get("report_dir"))) else None,
                en.get("reasons", [])) for b, en in sorted(entries.items())
               if not en.get("passed")]
    branches = []
    for b in sorted(entries):
        mine = tr.runs_of(b, runs, entries)
        branches.append(BranchTrend(
            b, link(HERE, PurePosixPath(slug(b)) / "index.html"), len(mine),
            tr.strip(f"verdicts of {b}", mine),
            [tr.spark(f"{t.metric} of {b}", [tr.value(r, "branch", t.metric) for r in mine],
                      t.unit) for t in charted]))
    return render("cluster.html.j2", title="gates · cluster", crumbs=[("Cluster", None)],
                  generated=generated, entries=True, tiles=tiles, gates=gates,
                  by_agent=by_agent, blocked=blocked, bases=_bases(entries, runs, charted),
                  branches=branches, charted=charted,
                  trend_heads=[tr.label(t) for t in charted])
