"""Build the sample cluster: a git repo whose main holds the tool-library app and
one branch per agent, each made of the commit overlays in `branches/`."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from gates import git
from gates.errors import UserError

HERE = Path(__file__).parent
APP = HERE / "app"
BRANCHES = HERE / "branches"
MARKER = ".gates-demo"
MAINTAINER = "Cluster Lead <lead@toollib.test>"


class DemoError(UserError):
    """The demo folder cannot be used (one line for the user)."""


def branch_name(folder: str) -> str:
    """`ironwood__payments` -> `ironwood/payments`."""
    return folder.replace("__", "/", 1)


PATCH = "change.patch"  # one commit of an agent branch, as `git diff` writes it

# caches a developer's tools leave beside the sources; never part of the sample
SKIP = frozenset({"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"})


def branch_folders() -> list[Path]:
    """One folder per agent branch, `<agent>__<topic>`, in name order."""
    return sorted(p for p in BRANCHES.iterdir() if p.is_dir() and "__" in p.name
                  and not p.name.startswith("."))


def steps(folder: Path) -> list[Path]:
    """A branch's commits, in order: `NN-slug/` folders."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def apply_step(step: Path, dest: Path) -> None:
    """One commit: its `change.patch` applied to the files in `dest`."""
    git.apply(dest, step / PATCH)


def copy_tree(src: Path, dest: Path) -> None:
    """`main`'s files (the sample app) into `dest`, without tool caches."""
    for item in src.rglob("*"):
        if SKIP.intersection(item.relative_to(src).parts):
            continue
        target = dest / item.relative_to(src)
        if item.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item, target)


def prepare(dest: Path) -> None:
    """Refuse a non-demo folder; clear an old demo."""
    if dest.exists() and any(dest.iterdir()):
        if not (dest / ".git" / MARKER).exists():
            raise DemoError(f"{dest} exists and is not a gates demo: refusing to overwrite it")
        shutil.rmtree(dest)
    dest.mkdir(parents=True, exist_ok=True)


def build(dest: Path, say: Callable[[str], None] = print) -> list[str]:
    """Create the sample repo in `dest`; returns the agent branches."""
    if not APP.is_dir():
        raise DemoError(f"the sample app is missing from the package ({APP})")
    prepare(dest)
    git.init(dest)
    (dest / ".git" / MARKER).write_text("made by `gates demo`; safe to delete\n")
    copy_tree(APP, dest)
    git.commit_all(dest, "Tool library: catalog, members, loans, memberships with GST\n",
                   MAINTAINER, "2026-11-20T09:00:00+10:00")
    say("main: the tool-library app")
    branches = []
    for folder in branch_folders():
        name = branch_name(folder.name)
        agent = name.split("/", 1)[0]
        git.switch(dest, name, create_from="main")
        commits = steps(folder)
        for n, step in enumerate(commits, 1):
            apply_step(step, dest)
            message = (step / "COMMIT_MSG").read_text(encoding="utf-8")
            author = f"{agent.upper()} <{agent}@agents.toollib.test>"
            git.commit_all(dest, message, author, f"2026-11-2{n}T1{n}:00:00+10:00")
        git.switch(dest, "main")
        say(f"{name}: {len(commits)} commit{'s' if len(commits) != 1 else ''} by {agent.upper()}")
        branches.append(name)
    return branches
