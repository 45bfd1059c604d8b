"""Where gates keeps its state: the one module that knows those paths.

Under the repository's git common dir (one for all its worktrees), in `gates/`:

- `cache.sqlite`   the content-addressed result cache (`gates.cache`)
- `publish.lock`   serialises the writers of reports and coordination files
- `notes.lock`     serialises the writers of verdict notes (`gates.guard.notes`)
- temporary index files of `gates.git` (export, write-tree): `gates.git.trees`
  names this folder itself, as git sits below this module (this module asks git
  where the common dir is), and `tests/test_store.py` keeps the two equal

Outside the repository, in this user's temp folder `gates-<uid>/`:

- `<key>/runs/`    where runs export their trees, one folder per repository (`key`
                   hashes its common dir), so that code of a branch under test finds
                   no `.git` of the host's around it, not even through `../..`
- `locks/`         the lock files of files that others may track (`lock_for`)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from gates import git

NAME = "gates"  # the folder under the git common dir


def folder(repo: Path) -> Path:
    """The state folder of `repo` (not created): `<git common dir>/gates`."""
    return git.common_dir(repo) / NAME


def cache_db(repo: Path) -> Path:
    return folder(repo) / "cache.sqlite"


def publish_lock(repo: Path) -> Path:
    return folder(repo) / "publish.lock"


def notes_lock(repo: Path) -> Path:
    return folder(repo) / "notes.lock"


def user_temp() -> Path:
    """This user's folder in the system's temp folder (not created)."""
    return Path(tempfile.gettempdir()) / f"gates-{os.getuid()}"


def runs_dir(repo: Path) -> Path:
    """Where the runs of `repo` export their trees: outside the repository, so that
    code of the branch under test finds no `.git` of the host's around it (not even
    through `../..`), one folder per repository."""
    key = hashlib.sha256(str(git.common_dir(repo)).encode()).hexdigest()[:12]
    return user_temp() / key / "runs"


def lock_for(path: Path) -> Path:
    """The lock file guarding `path`, outside its folder (a lock file beside a tracked
    file would show up in `git status` and in `git add -A`): one per absolute path, in
    this user's temp folder."""
    key = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:32]
    return user_temp() / "locks" / f"{key}.lock"
