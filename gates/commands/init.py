"""`gates init`: a starter gates.toml, the pre-commit hooks and the CI workflows."""

from __future__ import annotations

import argparse

from gates import config, git, publish, registry, scaffold
from gates.console import console


def main(args: argparse.Namespace) -> int:
    root = git.toplevel(args.repo)
    defaults = registry.load().defaults
    written = scaffold.write(root, force=args.force, gate_defaults=defaults)
    for w in written:
        rel = w.path.relative_to(root)
        console.print(f"  {w.action:9} {rel}" + (f"  [dim]({w.note})[/]" if w.note else ""))
    # the coordination files the cluster already keeps: gates' blocks go into their
    # own sections (the config on disk: the one just written or the user's)
    for line in publish.adopt_files(root, config.load_dir(root, defaults)):
        console.print(line, markup=False, highlight=False)
    if any(w.path.name == ".pre-commit-config.yaml" and w.action == "kept" for w in written):
        console.print("\nThe hooks for .pre-commit-config.yaml (under `repos:`):")
        console.print(scaffold.PRE_COMMIT_HOOKS, markup=False, highlight=False)
    console.print("\nNext: review gates.toml and commit it to the base branch; then "
                  "`gates hooks install` (or `pre-commit install --hook-type pre-commit "
                  "--hook-type pre-merge-commit --hook-type pre-push`) and `gates run --all`.")
    return 0
