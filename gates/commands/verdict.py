"""`gates verdict <tree-or-commit>`: the verdict record on a tree (refs/notes/gates).

A commit stands for its tree; `--branch X` for the tree that merging X into the
base would produce now. Exit 0 when the tree carries a passing verdict of every
required gate, 1 otherwise (blocked, incomplete, or never tested).
"""

from __future__ import annotations

import argparse

from rich.markup import escape

from gates import git
from gates.clock import when
from gates.commands.common import trusted_config
from gates.console import console, status_text, verdict_text
from gates.errors import UsageError
from gates.guard import notes
from gates.model import Status


def main(args: argparse.Namespace) -> int:
    root = git.toplevel(args.repo)
    if args.branch:
        base = trusted_config(root, None, args.base)["base"]
        found, tip = git.resolve_branch(root, args.branch), git.resolve_branch(root, base)
        if found is None or tip is None:
            raise UsageError(f"unknown branch {(args.branch if found is None else base)!r}")
        tree = git.merge_tree(root, tip[1], found[1]).tree
        if tree is None:
            console.print(f"{escape(args.branch)} conflicts with {escape(base)}: "
                          "no merge result, so no verdict")
            return 1
        label = f"the merge of {args.branch} into {base}"
    elif args.target:
        kind = git.object_type(root, args.target)
        if kind not in ("tree", "commit", "tag"):
            raise UsageError(f"not a commit or a tree: {args.target!r}")
        tree = git.object_id(root, f"{args.target}^{{tree}}") or ""
        label = args.target
    else:
        raise UsageError("name a tree or commit, or --branch AGENT/TOPIC")
    rec = notes.read(root, tree)  # a damaged note is a NoteError, a UserError
    if args.json:
        print(notes.dump(rec) if rec else "null")
        return 0 if notes.passes(rec) else 1
    if rec is None:
        console.print(f"no verdict on tree {tree[:12]} ({escape(label)}): never tested here "
                      f"(`gates notes fetch` gets the records of other machines)")
        return 1
    show(rec, label)
    return 0 if notes.passes(rec) else 1


LABELS = {"pass": verdict_text(True), "blocked": verdict_text(False),
          "incomplete": "[yellow]◐ incomplete[/]", "none": "[dim]— no verdict[/]"}


def show(rec: dict, label: str) -> None:
    console.print(f"tree {rec['tree'][:12]} ({escape(label)}): {LABELS[rec['verdict']]}")
    if rec.get("gates"):
        console.print(f"  branch {escape(str(rec.get('branch')))} at "
                      f"{str(rec.get('branch_commit'))[:8]}, base {escape(str(rec.get('base')))} "
                      f"at {str(rec.get('base_commit'))[:8]}, tested {when(rec.get('started', ''), bad=escape)}"
                      f", policy {rec.get('config_hash', '')}")
    for name, g in sorted(rec.get("gates", {}).items()):
        status = Status(g["status"])
        extra = f" ({escape(g['why'] or g['reason'])})" if g.get("why") or g.get("reason") else ""
        console.print(f"  {name}: {status_text(status)}{extra}")
    for name in notes.missing(rec):
        console.print(f"  {name}: [yellow]never ran[/]")
    if rec.get("report"):
        console.print(f"  report: {escape(rec['report'])}")
    if rec.get("link"):
        console.print(f"  run: {escape(rec['link'])}")
    for o in rec.get("overrides", []):
        console.print(f"  [bold red]override[/] by {escape(o.get('who', '?'))} at "
                      f"{when(o.get('when', ''), bad=escape)}: “{escape(o.get('reason', ''))}”")
    if rec.get("tools"):
        tools = ", ".join(f"{k} {v}" for k, v in sorted(rec["tools"].items()))
        console.print(f"  [dim]tools: {escape(tools)}[/]")
