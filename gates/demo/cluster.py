"""Build the sample cluster: a git repo whose main holds the tool-library app and
one branch per agent, each made of the commit overlays in `branches/`."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from gates import git

HERE = Path(__file__).parent
APP = HERE / "app"
BRANCHES = HERE / "branches"
MARKER = ".gates-demo"
MAINTAINER = "Cluster Lead <lead@toollib.test>"


class DemoError(Exception):
    """The demo folder cannot be used (one line for the user)."""


def branch_name(folder: str) -> str:
    """`ironwood__payments` -> `ironwood/payments`."""
    return folder.replace("__", "/", 1)


def _copy_tree(src: Path, dest: Path) -> None:
    for item in src.rglob("*"):
        if "__pycache__" in item.parts or item.name == "COMMIT_MSG" or item.name == "DELETE":
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
    _copy_tree(APP, dest)
    git.commit_all(dest, "Tool library: catalog, members, loans, memberships with GST\n",
                   MAINTAINER, "2026-11-20T09:00:00+10:00")
    say("main: the tool-library app")
    branches = []
    for folder in sorted(p for p in BRANCHES.iterdir() if p.is_dir()):
        name = branch_name(folder.name)
        agent = name.split("/", 1)[0]
        git.switch(dest, name, create_from="main")
        commits = sorted(p for p in folder.iterdir() if p.is_dir())
        for n, step in enumerate(commits, 1):
            _copy_tree(step, dest)
            delete = step / "DELETE"
            if delete.is_file():
                for rel in delete.read_text().split():
                    (dest / rel).unlink(missing_ok=True)
            message = (step / "COMMIT_MSG").read_text(encoding="utf-8")
            author = f"{agent.upper()} <{agent}@agents.toollib.test>"
            git.commit_all(dest, message, author, f"2026-11-2{n}T1{n}:00:00+10:00")
        git.switch(dest, "main")
        say(f"{name}: {len(commits)} commit{'s' if len(commits) != 1 else ''} by {agent.upper()}")
        branches.append(name)
    return branches
