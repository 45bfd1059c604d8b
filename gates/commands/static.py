"""`gates static [FILE …]`: the static gates on what is staged, before each commit.

The subject is the index's tree (what the commit will hold) against HEAD (what
it already holds), so only findings the commit introduces block; the policy is
the base branch's, as for every run. Nothing is published: no reports, no
coordination files, no note. The pre-commit framework calls it as `gates-static`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from pathlib import Path

from gates import git, runner
from gates.commands.common import open_repo
from gates.console import LiveProgress, console, print_reasons, verdict_table
from gates.subject import Subject, agent_of


def _relative(root: Path, names: list[str]) -> set[str]:
    out = set()
    for name in names:
        p = (Path.cwd() / name).resolve()
        try:
            out.add(p.relative_to(root.resolve()).as_posix())
        except ValueError:
            continue  # outside the repository
    return out


def main(args: argparse.Namespace) -> int:
    repo = open_repo(args.repo, args.base)
    root = repo.root
    names = [g.strip() for g in args.gate.split(",") if g.strip()]
    only = [n for n in names if repo.config.gate(n)["enabled"]]
    index = os.environ.get("GIT_INDEX_FILE")
    tree = git.write_tree(root, os.path.abspath(index) if index else None)
    head = git.rev(root, "HEAD")
    changes = git.diff(root, head or git.EMPTY_TREE, tree)
    if args.files:
        wanted = _relative(root, args.files)
        changes = [c for c in changes if c.path in wanted]
    if not only or not any(c.status != "D" for c in changes):
        console.print("gates static: nothing to check")
        return 0
    label = (git.head_branch(root) or "HEAD").removeprefix("refs/heads/")
    subj = Subject(branch="staged", ref="", agent=agent_of(label), base=label,
                   base_commit=head or git.EMPTY_TREE, branch_commit=tree, merge_base=head,
                   tree=tree, changed=changes)
    progress = LiveProgress(quiet=True)
    try:
        v = runner.run_subject(root, repo.config, repo.gates, subj, only=only,
                               jobs=repo.config["jobs"], progress=progress,
                               policy_check=False)
    finally:
        progress.stop()
    if v.staging:  # nothing is published: the folders the run made go again, if empty
        staging = root / v.staging
        shutil.rmtree(staging, ignore_errors=True)
        folder = staging.parent
        with contextlib.suppress(OSError):
            while folder != root:
                folder.rmdir()
                folder = folder.parent
    console.print(verdict_table([v]))
    print_reasons(v)
    return 0 if v.passed else 1
