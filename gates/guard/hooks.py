"""Git hooks that call the merge guard, installed straight into a repository.

Three hooks: pre-merge-commit (the tree of a merge being committed),
reference-transaction (git >= 2.28: every update of the protected branch,
fast-forwards included) and pre-push. Each is a small shell script marked as
ours. A hook that was already there is kept as `<hook>.gates-chained` and runs
first, with the same arguments and input; uninstalling removes only our script
and puts the kept one back. When pre-commit later installs its own hook over
ours, it keeps ours as `<hook>.legacy` and runs it: we recognise it there too.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from gates import git
from gates.errors import UserError

HOOKS = ("pre-merge-commit", "reference-transaction", "pre-push")
MARK = "# gates-hook: the merge guard"
CHAINED = ".gates-chained"
LEGACY = ".legacy"  # where pre-commit keeps a hook it replaced

TEMPLATE = """#!/bin/sh
{mark} (written by `gates hooks install`; `gates hooks uninstall` removes it).
# A hook that was here before is kept as {hook}{chained} and runs first.
gates_python={python}
hook_dir=$(dirname "$0")
input=$(mktemp "${{TMPDIR:-/tmp}}/gates-hook.XXXXXX") || exit 1
trap 'rm -f "$input"' EXIT
cat >"$input"
if [ -x "$hook_dir/{hook}{chained}" ]; then
    "$hook_dir/{hook}{chained}" "$@" <"$input" || exit $?
fi
{filter}if [ ! -x "$gates_python" ]; then
    echo "gates guard: $gates_python is gone, so the merge guard cannot run: refused." \\
         "Run \\`gates hooks install\\` again." >&2
    exit 1
fi
"$gates_python" -m gates guard --hook {hook} -- "$@" <"$input"
"""

# reference-transaction runs on every ref update: leave at once unless a branch moves
FILTERS = {
    "reference-transaction": '[ "$1" = prepared ] || exit 0\n'
                             "grep -q ' refs/heads/' \"$input\" || exit 0\n",
}


class HookError(UserError):
    """A hook cannot be installed or removed safely: one line for the user."""


@dataclass
class Change:
    hook: str
    action: str  # "installed", "updated", "kept", "removed", "restored", "absent"
    note: str = ""

    def __str__(self) -> str:
        return f"{self.hook}: {self.action}" + (f" ({self.note})" if self.note else "")


def hooks_dir(repo: Path) -> Path:
    return git.git_path(repo, "hooks")


def script(hook: str, python: str | None = None) -> str:
    return TEMPLATE.format(mark=MARK, hook=hook, chained=CHAINED,
                           python=shlex.quote(python or sys.executable),
                           filter=FILTERS.get(hook, ""))


def is_ours(path: Path) -> bool:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as f:
            head = f.read(400)
    except OSError:
        return False
    return MARK in head


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.gates-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o755)
    os.replace(tmp, path)


def install(repo: Path, python: str | None = None) -> list[Change]:
    folder = hooks_dir(repo)
    folder.mkdir(parents=True, exist_ok=True)
    changes = []
    for hook in HOOKS:
        path, kept, legacy = folder / hook, folder / f"{hook}{CHAINED}", folder / f"{hook}{LEGACY}"
        text = script(hook, python)
        if path.is_symlink() or path.exists():
            if is_ours(path):
                _write(path, text)
                changes.append(Change(hook, "updated"))
                continue
            if legacy.exists() and is_ours(legacy):
                _write(legacy, text)
                changes.append(Change(hook, "updated", "run by pre-commit's hook"))
                continue
            if kept.exists() or kept.is_symlink():
                raise HookError(f"{hook}: both {path.name} and {kept.name} exist and neither "
                                f"is ours; move one of them away first")
            os.rename(path, kept)
            _write(path, text)
            changes.append(Change(hook, "installed", f"your hook runs first: {kept.name}"))
            continue
        _write(path, text)
        changes.append(Change(hook, "installed"))
    return changes


def uninstall(repo: Path) -> list[Change]:
    folder = hooks_dir(repo)
    changes = []
    for hook in HOOKS:
        path, kept, legacy = folder / hook, folder / f"{hook}{CHAINED}", folder / f"{hook}{LEGACY}"
        if path.exists() and is_ours(path):
            changes.append(Change(hook, "removed", f"{kept.name} is back as {hook}")
                           if _remove(path, kept) else Change(hook, "removed"))
        elif legacy.exists() and is_ours(legacy):
            _remove(legacy, kept)
            changes.append(Change(hook, "removed", f"from pre-commit's {legacy.name}"))
        else:
            changes.append(Change(hook, "absent", "not ours, left alone" if path.exists()
                                  else "nothing installed"))
    return changes


def _remove(ours: Path, kept: Path) -> bool:
    """Delete our hook file and put the one it kept back in its place (True if any)."""
    ours.unlink()
    if kept.exists() or kept.is_symlink():
        os.rename(kept, ours)
        return True
    return False


def status(repo: Path) -> dict[str, bool]:
    folder = hooks_dir(repo)
    return {h: is_ours(folder / h) or is_ours(folder / f"{h}{LEGACY}") for h in HOOKS}
