"""Terminal output: live progress per gate while a run works, and the final tables."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.table import Table

from gates.model import STATUS_EMOJI, GateResult, Status, Verdict
from gates.runner import Progress

# a log or a pipe has no width: 80 columns would squeeze a table of nine gates into
# "waln…"; 140 fits one without truncating (COLUMNS still wins)
_LOG_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140
console = Console(stderr=False, highlight=False, soft_wrap=True, width=_LOG_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True)

STYLE = {Status.PASS: "green", Status.FAIL: "red", Status.ERROR: "bold red",
         Status.SKIPPED: "yellow"}


def status_text(status: Status) -> str:
    return f"[{STYLE[status]}]{STATUS_EMOJI[status]} {status.value}[/]"


def verdict_text(passed: bool) -> str:
    return "[green]✅ pass[/]" if passed else "[red]❌ blocked[/]"


class LiveProgress(Progress):
    """A live table on a terminal; plain lines elsewhere (CI logs, pipes)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.rows: dict[tuple[str, str], tuple[float, GateResult | None]] = {}
        self.lock = threading.Lock()
        self.live: Live | None = None
        if console.is_terminal and not quiet:
            self.live = Live(self._table(), console=console, refresh_per_second=8,
                             transient=True)
            self.live.start()

    def _table(self) -> Table:
        t = Table(box=None, show_header=False, pad_edge=False)
        with self.lock:
            rows = list(self.rows.items())
        for (branch, gate), (t0, res) in rows:
            if res is None:
                t.add_row(Spinner("dots"), escape(branch), gate,
                          f"[dim]{time.monotonic() - t0:.0f}s[/]")
            else:
                t.add_row(" ", escape(branch), gate, status_text(res.status),
                          f"[dim]{res.duration:.1f}s[/]")
        return t

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self._table())

    def started(self, branch: str, gate: str) -> None:
        with self.lock:
            self.rows[(branch, gate)] = (time.monotonic(), None)
        if self.live is None and not self.quiet:
            console.print(f"  {escape(branch)} · {gate} [dim]running…[/]")
        self._refresh()

    def finished(self, branch: str, result: GateResult) -> None:
        with self.lock:
            t0 = self.rows.get((branch, result.gate), (time.monotonic(), None))[0]
            self.rows[(branch, result.gate)] = (t0, result)
        if self.live is None and not self.quiet:
            reason = f" [dim]({escape(result.reason)})[/]" if result.reason else ""
            console.print(f"  {escape(branch)} · {result.gate} {status_text(result.status)} "
                          f"[dim]{result.duration:.1f}s[/]{reason}")
        self._refresh()

    def note(self, branch: str, message: str) -> None:
        if not self.quiet:
            console.print(f"[dim]{escape(branch)}: {escape(message)}[/]")

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def add_columns(t: Table, branches: list[str], gates: list[str]) -> None:
    """The branch, verdict and gate columns of a verdict table. The branch is what a
    reader looks for: the other columns squeeze before it does, and none wraps."""
    t.add_column("branch", no_wrap=True, min_width=max((len(b) for b in branches), default=6))
    t.add_column("verdict", no_wrap=True, min_width=10)  # "❌ blocked"
    for g in gates:
        t.add_column(g, no_wrap=True)


def verdict_table(verdicts: list[Verdict]) -> Table:
    gates = sorted({r.gate for v in verdicts for r in v.results})
    bases = sorted({v.base for v in verdicts})
    passed = sum(v.passed for v in verdicts)
    into = f" into {escape(bases[0])}" if len(bases) == 1 else ""
    t = Table(title=f"{passed} of {len(verdicts)} branch{'es' if len(verdicts) != 1 else ''} "
                    f"may merge{into}", title_justify="left", box=box.SIMPLE_HEAD)
    add_columns(t, [v.branch for v in verdicts], gates)
    t.add_column("time", justify="right", no_wrap=True)
    for v in verdicts:
        cells = {r.gate: status_text(r.status) for r in v.results}
        verdict = verdict_text(v.passed)
        skipped = sum(r.status == Status.SKIPPED for r in v.results)
        if v.passed and skipped:  # a pass over gates that did not run says so
            verdict += f" [yellow]({skipped} not run)[/]"
        t.add_row(escape(v.branch), verdict, *(cells.get(g, "[dim]—[/]") for g in gates),
                  f"{v.duration:.1f}s")
    return t


def print_reasons(v: Verdict) -> None:
    if v.passed:
        return
    console.print(f"[bold red]{escape(v.branch)} is blocked:[/]")
    blocking = v.blocking_findings()  # worst first
    for f in blocking[:15]:
        where = f" {escape(f.location)}" if f.location else ""
        console.print(f"  [red]{f.severity.label}[/]{where} [bold]{escape(f.rule)}[/] "
                      f"{escape(f.message)}")
    extra = len(blocking) - 15
    if extra > 0:
        console.print(f"  … and {extra} more (see the summary)")
    for r in v.results:
        if r.status == Status.ERROR and r.blocking:
            console.print(f"  [bold red]error[/] {r.gate}: {escape(r.reason)}")


def print_verdicts(verdicts: list[Verdict]) -> None:
    """The verdict table, why each blocked branch is blocked, and where its summary is."""
    console.print(verdict_table(verdicts))
    for v in verdicts:
        print_reasons(v)
        console.print(f"[dim]report: {Path(v.report_dir) / 'summary.md'}[/]")


def is_tty() -> bool:
    return sys.stdout.isatty()
