"""A branch's page (reports/<branch>/index.html): its verdicts over its commits, the
trends of the branch and its base, and every run, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from gates.model import Trend
from gates.publish.site import trends as tr
from gates.publish.site.paths import Site, link
from gates.publish.site.render import num, render
from gates.subject import slug


@dataclass
class RunRow:
    run: dict[str, Any]
    href: str | None  # the run's page, while its report is kept
    gates: list[tuple[str, str]]
    values: list[str]  # the charted trends of the branch side


def page(site: Site, branch: str, mine: list[dict[str, Any]], generated: str,
         charted: list[Trend]) -> str:
    here = PurePosixPath(slug(branch))
    crumbs = [("Cluster", link(here, PurePosixPath("index.html"))), (branch, None)]
    labels = [str(r.get("branch_commit", ""))[:8] for r in mine]
    values = {side: {t.metric: [tr.value(r, side, t.metric) for r in mine] for t in charted}
              for side in ("branch", "base")}
    measured = any(v is not None for s in values.values() for vs in s.values() for v in vs)
    rows = []
    for r in reversed(mine):
        target = site.run_page(r.get("report_dir"))
        exists = target is not None and (site.root / target).is_file()
        rows.append(RunRow(
            r, link(here, target) if exists and target is not None else None,
            [(str(g), str(st)) for g, st in sorted(dict(r.get("gates") or {}).items())],
            [num(tr.value(r, "branch", t.metric), t.unit) for t in charted]))
    return render("branch.html.j2", title=f"gates · {branch}", crumbs=crumbs,
                  generated=generated, branch=branch, runs=mine,
                  strip=tr.strip(f"verdicts of {branch}", mine),
                  figures=tr.figures(branch, labels, values, charted) if measured else [],
                  rows=rows, metrics=[t.metric for t in charted])
