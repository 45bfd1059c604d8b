"""A run's page (reports/<branch>/<sha>/index.html): the verdict and why, the gates,
findings by gate and severity with the code lines around them (read from the tested
tree in git, never from the file system), suppressions, each gate's sections, curl
lines, screenshots, base-vs-branch charts, and the branch over time."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from gates import git, svg
from gates.model import Chart, Finding, GateResult, Severity, Status, Trend, Verdict
from gates.publish.md import seconds
from gates.publish.site import trends as tr
from gates.publish.site.compare import Comparison, comparisons
from gates.publish.site.paths import Site, artifact, link
from gates.publish.site.render import render
from gates.publish.summary import gate_note
from gates.subject import slug

CONTEXT_LINES = 3
MAX_SNIPPETS = 200  # code excerpts per run page; later findings show their location only
# artifacts shown as pictures (an SVG in <img> runs no script and fetches nothing)
IMAGES = (".png", ".jpg", ".jpeg", ".svg")
RUN_FILES = ("summary.md", "verdict.json", "findings.sarif", "junit.xml")


def tree_present(repo: Path, tree: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{7,64}", tree)) and \
        git.object_id(repo, f"{tree}^{{tree}}") is not None


@dataclass
class Excerpt:
    label: str  # "app/core.py lines 1 to 5"
    lines: list[tuple[int, bool, str]]  # number, a line of the finding, text


class Source:
    """Files of the tested tree, read from git (never from disk), cached.

    A line that a finding marks `extra["sensitive"]` (it holds a secret) is never
    shown, in its own excerpt or in another finding's context; a sensitive finding
    without a line hides its whole file."""

    def __init__(self, repo: Path, tree: str | None, findings: Iterable[Finding] = ()) -> None:
        self.repo, self.tree = repo, tree
        self.present = bool(tree) and tree_present(repo, str(tree))
        self.files: dict[str, list[str] | None] = {}
        self.shown = 0
        self.secret_lines: dict[str, set[int]] = {}
        self.secret_files: set[str] = set()
        for f in findings:
            if not f.extra.get("sensitive") or not f.path:
                continue
            if f.line:
                last = max(f.end_line or f.line, f.line)
                self.secret_lines.setdefault(f.path, set()).update(range(f.line, last + 1))
            else:
                self.secret_files.add(f.path)

    def lines(self, path: str) -> list[str] | None:
        if not self.present or self.tree is None:
            return None
        if path not in self.files:
            text = git.show_file(self.repo, self.tree, path)
            self.files[path] = None if text is None or "\0" in text else text.splitlines()
        return self.files[path]

    def excerpt(self, f: Finding) -> Excerpt | None:
        if (not f.path or not f.line or self.shown >= MAX_SNIPPETS
                or f.extra.get("sensitive") or f.path in self.secret_files):
            return None
        lines = self.lines(f.path)
        if lines is None:  # not a regular file of the tree, or the tree is gone (said once)
            return None
        first, last = f.line, max(f.end_line or f.line, f.line)
        if first > len(lines):
            return None
        last = min(last, len(lines), first + 40)
        lo, hi = max(1, first - CONTEXT_LINES), min(len(lines), last + CONTEXT_LINES)
        self.shown += 1
        secret = self.secret_lines.get(f.path, set())
        return Excerpt(f"{f.path} lines {lo} to {hi}", [
            (n, first <= n <= last,
             "[hidden: this line holds a secret]" if n in secret else lines[n - 1][:400])
            for n in range(lo, hi + 1)])


@dataclass
class FindingView:
    f: Finding
    files: list[tuple[str, str]]  # trace, console, log: (name, href)
    screenshot: str | None
    excerpt: Excerpt | None


def _finding(f: Finding, src: Source, run_dir: Path) -> FindingView:
    files = [(k, q) for k in ("trace", "console", "log")
             if (q := artifact(run_dir, f.extra.get(k)))]
    return FindingView(f, files, artifact(run_dir, f.extra.get("screenshot")), src.excerpt(f))


def _by_severity(findings: list[Finding], src: Source, run_dir: Path
                 ) -> list[tuple[str, list[FindingView]]]:
    out = []
    for sev in sorted(Severity, reverse=True):
        fs = [f for f in findings if f.severity == sev]
        if fs:
            fs.sort(key=lambda f: (not f.blocking, not f.new, f.path or "", f.line or 0))
            out.append((sev.label, [_finding(f, src, run_dir) for f in fs]))
    return out


@dataclass
class GateView:
    r: GateResult
    comparisons: list[Comparison]
    pictures: list[tuple[str, str]]  # (artifact, href)
    blocking: list[tuple[str, list[FindingView]]]
    blocking_count: int
    rest: list[tuple[str, list[FindingView]]]
    rest_count: int
    others: list[tuple[str, str]]


def _gate(r: GateResult, src: Source, run_dir: Path) -> GateView:
    charted = {s.artifact for s in r.sections if isinstance(s, Chart)}
    blocking = [f for f in r.findings if f.blocking and r.blocking]
    rest = [f for f in r.findings if not (f.blocking and r.blocking)]
    return GateView(
        r, comparisons(r.metrics),
        [(a, q) for a in r.artifacts if a.lower().endswith(IMAGES) and a not in charted
         and (q := artifact(run_dir, a))],
        _by_severity(blocking, src, run_dir), len(blocking),
        _by_severity(rest, src, run_dir), len(rest),
        [(a, q) for a in r.artifacts if not a.lower().endswith(IMAGES)
         and (q := artifact(run_dir, a))])


def suppressions(results: Sequence[GateResult]) -> list[list[str]]:
    """One row per suppression in effect: gate, rule, where, reason, owner, until, by."""
    rows = []
    for r in results:
        records = r.metrics.get("suppressions")
        if isinstance(records, dict):
            records = [dict(v, id=k) if isinstance(v, dict) else {"id": k, "value": v}
                       for k, v in records.items()]
        if not isinstance(records, list):
            continue
        for rec in records:
            if not isinstance(rec, dict):
                rec = {"value": rec}
            where = rec.get("path") or ""
            if where and rec.get("line"):
                where = f"{where}:{rec['line']}"
            rows.append([r.gate, str(rec.get("rule", "—")), str(where),
                         str(rec.get("reason", "—")), str(rec.get("owner") or "—"),
                         str(rec.get("until") or rec.get("expires") or "—"),
                         str(rec.get("where") or rec.get("source") or "—")])
    return rows


def _over_time(v: Verdict, mine: list[dict[str, Any]], charted: list[Trend]
               ) -> tr.Figure | None:
    """The branch's first charted trend by run, base and branch."""
    for t in charted[:1]:
        values = [tr.value(r, "branch", t.metric) for r in mine]
        if all(x is None for x in values):
            return None
        labels = [str(r.get("branch_commit", ""))[:8] for r in mine]
        base = [tr.value(r, "base", t.metric) for r in mine]
        return tr.Figure(svg.line_chart(
            f"{tr.label(t)} of {v.branch} by run", labels,
            [svg.Series(f"base {t.metric}", base), svg.Series(f"branch {t.metric}", values)],
            y_label=t.axis or t.metric, unit=t.unit, x_label="commit"),
            f"{tr.label(t)}, oldest run first")
    return None


def page(repo: Path, site: Site, v: Verdict, mine: list[dict[str, Any]], generated: str,
         charted: list[Trend]) -> str:
    run_dir = repo / v.report_dir
    target = site.run_page(v.report_dir) or PurePosixPath(slug(v.branch), "run", "index.html")
    here = target.parent
    crumbs = [("Cluster", link(here, PurePosixPath("index.html"))),
              (v.branch, link(here, PurePosixPath(slug(v.branch)) / "index.html")),
              (v.branch_commit[:8], None)]
    src = Source(repo, v.tree, (f for r in v.results for f in r.findings))
    rows = [(r, sum(1 for f in r.findings if f.blocking and r.blocking),
             sum(1 for f in r.findings if f.new), seconds(r.duration), gate_note(r))
            for r in v.results]
    gates = [_gate(r, src, run_dir) for r in v.results]  # reads the excerpts: before `src`
    return render(
        "run.html.j2", title=f"gates · {v.label} · {v.branch}", crumbs=crumbs,
        generated=generated, v=v, duration=seconds(v.duration), rows=rows,
        suppressions=suppressions(v.results), gates=gates, Status=Status,
        tree_gone=not src.present and bool(v.tree),
        files=[n for n in RUN_FILES if (run_dir / n).is_file()],
        mine=mine, strip=tr.strip(f"verdicts of {v.branch}", mine) if mine else None,
        over_time=_over_time(v, mine, charted) if mine else None, history=crumbs[1][1],
        artifact=partial(artifact, run_dir))
