"""`gates collect DIR …`: per-gate results of CI jobs into one verdict per branch.

Each DIR holds the reports of some jobs (their verdict.json files and the gates'
artifact folders). Per branch: one verdict, published like `gates run` does
(reports, the note on the tested tree, the coordination files); exit 1 when any
is blocked. A required gate that no job reported is an error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gates import matrix
from gates.commands.common import open_repo
from gates.commands.run import publish_verdict, required_gates
from gates.console import print_verdicts
from gates.errors import UsageError


def main(args: argparse.Namespace) -> int:
    repo = open_repo(args.repo, args.base)
    parts = matrix.find_parts(Path(d) for d in args.parts)  # PartError: a UserError
    if not parts:
        raise UsageError(f"no verdict.json under {', '.join(args.parts)}")
    required = required_gates(repo)
    verdicts = []
    for group in matrix.by_branch(parts).values():
        v = matrix.combine(group, required, repo.config)
        matrix.stage(repo.root, v, group)
        publish_verdict(repo, v, status_files=not args.no_status)
        verdicts.append(v)
    print_verdicts(verdicts)
    return 0 if all(v.passed for v in verdicts) else 1
