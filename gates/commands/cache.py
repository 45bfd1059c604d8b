"""`gates cache info|clear`: the content-addressed result cache of this repository."""

from __future__ import annotations

import argparse

from gates import git
from gates.cache import Cache
from gates.console import console


def main(args: argparse.Namespace) -> int:
    cache = Cache.for_repo(git.toplevel(args.repo))
    if args.action == "clear":
        cache.clear()
        console.print(f"cleared {cache.path}")
        return 0
    info = cache.info()
    console.print(f"{info['path']}: {info['entries']} entries, {info['bytes'] / 1024:.0f} KiB")
    for tool, n in sorted(info["tools"].items()):
        console.print(f"  {tool}: {n}")
    return 0
