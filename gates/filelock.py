"""Advisory file locks (flock), as pre-commit's file_lock does, plus atomic writes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive lock on `path` (created if missing). Yields False when
    `blocking` is off and someone else holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fd:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def new_locked(folder: Path, prefix: str, suffix: str = ".lock") -> Iterator[Path]:
    """A new file `folder/<prefix><random><suffix>`, exclusively locked from the first
    moment its name exists (it is locked under a temporary name, then linked into
    place); unlinked, then unlocked, when the block ends. A temporary file left by a
    killed process is free: `if_free` finds it so."""
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{prefix}", suffix=".tmp", dir=folder)
        path = folder / (Path(tmp).name[1:-len(".tmp")] + suffix)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.link(tmp, path)
        except (FileNotFoundError, FileExistsError):  # a sweep removed the temp file first
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        break
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


@contextlib.contextmanager
def if_free(path: Path) -> Iterator[bool]:
    """Hold the lock of the existing file `path` if nobody does (never creates it).
    Yields False when it is held, or gone, or no longer the file that was locked."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            same = os.path.samestat(os.stat(path, follow_symlinks=False), os.fstat(fd))
        except OSError:
            same = False
        yield same
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that a reader sees either the old or the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, path.stat().st_mode & 0o777)
        if not path.exists():
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        _sweep_temps(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _sweep_temps(path: Path, age: float = 60.0) -> None:
    """Remove temp files that a killed writer of `path` left behind."""
    now = time.time()
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > age:
                stale.unlink()
