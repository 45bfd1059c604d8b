"""`gates warm`: scan the base's files ahead of the branches (the base side paid once).

Run on each push to the base (the Actions template does, between restoring and
saving the cache): the per-file gates scan what the base changed since `--since`
(every file without it; what the cache knows already is only looked up), so that
every branch's run against this base finds the base's side in the cache.
Exit 0, or 2 when a tool failed (nothing of it is cached; a branch run reports it).
"""

from __future__ import annotations

import argparse
import time

from gates import batch
from gates.commands.common import open_repo
from gates.console import console, err


def main(args: argparse.Namespace) -> int:
    repo = open_repo(args.repo, args.base)
    only = [g.strip() for g in args.gate.split(",") if g.strip()] if args.gate else None
    t0 = time.monotonic()
    stats = batch.warm(repo.root, repo.config, repo.gates, since=args.since, only=only,
                       jobs=args.jobs or repo.config["jobs"])
    took = time.monotonic() - t0
    if not args.quiet:
        console.print(f"warm {repo.config['base']}: {stats.scanned} files scanned in "
                      f"{stats.invocations} tool runs, {stats.hits} already in the cache "
                      f"({took:.1f} s)")
    if stats.failed:
        err.print(f"warm: {stats.failed} tool run(s) failed; a branch's run scans those files "
            "again and reports the error")
        return 2
    return 0
