"""`gates notes push|fetch [REMOTE]`: share verdict records (refs/notes/gates).

fetch: the remote's records land in refs/notes/remotes/REMOTE/gates and are merged
into ours (a tree both sides tested keeps the later run of each gate, and every
override). push: fetch first, then push refs/notes/gates.
"""

from __future__ import annotations

import argparse

from gates import git
from gates.console import console
from gates.guard import notes


def main(args: argparse.Namespace) -> int:
    root = git.toplevel(args.repo)
    remote = args.remote
    if args.action == "fetch":
        new, combined = notes.fetch(root, remote)
        console.print(f"fetched {notes.REF} from {remote}: {new} new record(s), "
                      f"{combined} combined with ours")
        return 0
    count = notes.push(root, remote)
    if count == 0:
        console.print("no verdict records to push yet: run `gates run` first")
    else:
        console.print(f"pushed {notes.REF} to {remote} ({count} record(s))")
    return 0
