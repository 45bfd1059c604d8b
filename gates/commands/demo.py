"""`gates demo [DIR]`: build the sample cluster and judge every agent branch."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gates.commands import browser, run
from gates.commands.common import open_repo
from gates.console import console, err, print_reasons, verdict_table
from gates.demo.cluster import build


def main(args: argparse.Namespace) -> int:
    dest = Path(args.dir).resolve()
    t0 = time.monotonic()
    only = run.gate_names(args.gate)
    console.print(f"[bold]gates demo[/]: building the sample cluster in {dest}")
    warning = None
    if only is None or "e2e" in only:  # a browser first: the e2e gate needs one
        warning = browser.ensure_chromium(
            lambda line: console.print(f"  {line}", markup=False),
            browser.ask_tty if sys.stdin.isatty() else None)
    build(dest, say=lambda line: console.print(f"  {line}"))  # DemoError: a UserError
    repo = open_repo(dest)
    branches = run.agent_branches(repo)
    bad = run.warn_up_front(repo, only)
    if warning and not any(c.gate == "e2e" for c in bad):
        err.print(f"gates: {warning}", markup=False, highlight=False)
    console.print(f"[bold]judging {len(branches)} branches[/] with the gates "
                  f"{', '.join(only or repo.gates.names)} (this takes a few minutes on 2 cores)")
    verdicts = run.judge(repo, branches, run.RunOptions(only=only, warn=False))
    console.print(verdict_table(verdicts))
    for v in verdicts:
        print_reasons(v)
    console.print()
    console.print(f"Done in {time.monotonic() - t0:.0f}s. Look at:")
    console.print(f"  {dest / 'CLUSTER_STATUS.md'}   the cluster at a glance")
    console.print(f"  {dest / 'CLUSTER_ISSUES.md'}   one issue per blocking finding")
    for v in verdicts:
        console.print(f"  {dest / v.report_dir / 'summary.md'}")
    index = dest / repo.config["reports_dir"] / "index.html"
    if index.exists():
        console.print(f"  {index}   the dashboard")
    console.print(f"Try: cd {dest} && gates status")
    # blocked branches are the point of the demo; a gate that could not run is not
    broken = [f"{v.branch}: {r.gate}" for v in verdicts for r in v.results
              if r.status.value == "error"]
    if broken:
        console.print(f"[bold red]some gates could not run:[/] {', '.join(broken)}")
    return 1 if broken else 0
