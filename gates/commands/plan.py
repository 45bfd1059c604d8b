"""`gates plan`: the jobs of a run spread over CI runners, one per branch and gate.

`--json` prints GitHub Actions' matrix ({"include": [{"branch", "gate", "agent"}]});
under Actions it is also written to $GITHUB_OUTPUT as `matrix`. Without --branch
or --all, the branch of the event (a pull request's head, a pushed branch).
"""

from __future__ import annotations

import argparse
import json
import os

from gates import matrix, runner
from gates.commands.common import open_repo
from gates.commands.run import agent_branches
from gates.console import console
from gates.errors import UsageError


def main(args: argparse.Namespace) -> int:
    repo = open_repo(args.repo, args.base or os.environ.get("GITHUB_BASE_REF") or None)
    if args.all:
        branches = agent_branches(repo)
    else:
        branches = args.branch or matrix.event_branches(os.environ)
        if not branches:
            raise UsageError("which branches? --branch AGENT/TOPIC or --all (under GitHub "
                             "Actions, a push or pull_request event names one)")
    only = [g.strip() for g in args.gate.split(",") if g.strip()] if args.gate else None
    p = runner.plan(repo.config, repo.gates, only)
    gates = [g.name for g, _ in p.gates] + [r.gate for r in p.unusable]
    jobs = matrix.jobs(branches, gates)
    text = json.dumps(jobs, separators=(",", ":"))
    out = os.environ.get("GITHUB_OUTPUT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(f"matrix={text}\n")
    if args.json:
        print(text)
    else:
        for job in jobs["include"]:
            console.print(f"{job['branch']}  {job['gate']}", markup=False)
    return 0
