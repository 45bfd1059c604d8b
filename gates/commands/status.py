"""`gates status`: the latest verdict of every agent branch, as a table."""

from __future__ import annotations

import argparse
import json

from rich import box
from rich.markup import escape
from rich.table import Table

from gates import subject
from gates.clock import when
from gates.commands.common import open_repo
from gates.console import add_columns, console, status_text, verdict_text
from gates.model import Status
from gates.publish import index


def main(args: argparse.Namespace) -> int:
    repo = open_repo(args.repo, args.base)
    entries = index.read(repo.root / repo.config["reports_dir"] / "latest.json")
    stale = subject.stale(repo.root, entries) if entries else set()
    if args.json:
        for b, e in entries.items():
            e["stale"] = b in stale
        console.print_json(json.dumps({"branches": entries}))
        return 0
    if not entries:
        console.print("no verdicts yet: run `gates run --all`")
        return 0
    gates = sorted({g for e in entries.values() for g in e["gates"]})
    t = Table(title="latest verdicts (times in UTC)", title_justify="left", box=box.SIMPLE_HEAD,
              pad_edge=False)
    t.add_column("agent", no_wrap=True)
    add_columns(t, list(entries), gates)
    t.add_column("tested", no_wrap=True)
    t.add_column("when", no_wrap=True)
    for branch, e in sorted(entries.items(), key=lambda kv: (kv[1]["agent"], kv[0])):
        verdict = verdict_text(e["passed"])
        if branch in stale:
            verdict += " [yellow]⏳ stale[/]"
        cells = [status_text(Status(e["gates"][g])) if g in e["gates"] else "[dim]—[/]"
                 for g in gates]
        t.add_row(escape(e["agent"]), escape(branch), verdict, *cells,
                  e["branch_commit"][:8], when(e["started"], bad=escape)[5:16])  # "12-02 20:21"
    console.print(t)
    return 0
