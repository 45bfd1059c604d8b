"""`gates report`: rebuild the HTML dashboard from the reports on disk."""

from __future__ import annotations

import argparse
from functools import partial

from gates import subject
from gates.commands.common import open_repo
from gates.console import console
from gates.publish import site


def main(args: argparse.Namespace) -> int:
    repo = open_repo(args.repo, args.base)
    page, runs = site.rebuild(repo.root, repo.config,
                                   stale=partial(subject.stale, repo.root))
    console.print(f"dashboard: {page} ({runs} run page(s) written)")
    return 0
