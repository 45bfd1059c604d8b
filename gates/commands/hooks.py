"""`gates hooks install|uninstall`: the merge guard's git hooks in this repository."""

from __future__ import annotations

import argparse

from gates import git
from gates.console import console, err
from gates.guard import hooks


def main(args: argparse.Namespace) -> int:
    root = git.toplevel(args.repo)
    # a hook that cannot be installed safely is a HookError, a UserError: one line, exit 2
    changes = hooks.install(root) if args.action == "install" else hooks.uninstall(root)
    for c in changes:
        console.print(f"  {c}")
    console.print(f"[dim]{hooks.hooks_dir(root)}[/]")
    if args.action == "install":
        if git.version(root) < (2, 28):
            err.print("[yellow]gates: git older than 2.28 never runs reference-transaction: "
                      "fast-forwards of the protected branch are not guarded here[/]")
        console.print("The protected branch now takes only trees with a passing verdict "
                      "(`gates run --branch X` records one); GATES_OVERRIDE=\"reason\" is the "
                      "audited way around it.")
    return 0
