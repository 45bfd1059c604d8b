"""`gates doctor`: one line per enabled gate — can it run here, and if not, the fix."""

from __future__ import annotations

import argparse

from gates import doctor
from gates.commands.common import open_repo
from gates.console import console


def main(args: argparse.Namespace) -> int:
    repo = open_repo(args.repo, args.base)
    only = [g.strip() for g in args.gate.split(",") if g.strip()] if args.gate else None
    checks = doctor.full(repo.root, repo.config, repo.gates, only)
    for c in checks:
        console.print(c.line(), markup=False, highlight=False)
    bad = [c.gate for c in checks if not c.ok]
    if bad:
        console.print(f"{len(bad)} of {len(checks)} gates cannot run here: {', '.join(bad)}",
                      markup=False, highlight=False)
        return 1
    console.print(f"all {len(checks)} enabled gates can run here", markup=False,
                  highlight=False)
    return 0
