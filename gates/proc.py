"""The one way `gates` starts a process: own process group, timeout, scrubbed env.

Every child is registered while it lives, tagged with the gate that started it
(a context variable set by the runner), so that a gate's timeout or a Ctrl-C
kills the whole process group of each child — grandchildren included.

A SIGKILLed `gates` can do none of that, so each group is also recorded on disk
while it lives: an empty file `<pgid>.<start time>.<boot id>` in the `.groups`
folder of the run's scratch folder (a context variable set by
`subject.materialise`). The next run's `subject.sweep` kills the groups recorded
in the folders of dead runs (`kill_recorded`); the start time (field 22 of
/proc/<pid>/stat) and the boot id make sure a reused pid is never killed.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# The environment a child sees is an allow-list: no tokens, keys or host config.
ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "SSL_CERT_FILE")
KILL_GRACE = 3.0

_owner: contextvars.ContextVar[str] = contextvars.ContextVar("gates_owner", default="")
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "gates_deadline", default=None
)
_records: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "gates_records", default=None
)
_live: dict[int, tuple[subprocess.Popen[bytes], str, Path | None]] = {}
GROUPS = ".groups"
_lock = threading.Lock()
_stopping = threading.Event()  # set by shut_down(): no process starts after it


class ToolMissing(Exception):
    """The program to run is not installed."""


class Stopping(Exception):
    """The run is being stopped (Ctrl-C, SIGTERM, a fatal error): no process starts."""


class Timeout(Exception):
    def __init__(self, cmd: Sequence[str], seconds: float, output: str = "") -> None:
        super().__init__(f"{Path(cmd[0]).name} timed out after {seconds:.0f}s")
        self.output = output


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    duration: float

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()


def scrubbed_env(
    extra: Mapping[str, str] | None = None,
    *,
    home: str | os.PathLike[str] | None = None,
    allow: Sequence[str] = (),
) -> dict[str, str]:
    env = {k: os.environ[k] for k in (*ENV_ALLOW, *allow) if k in os.environ}
    env.setdefault("PATH", os.defpath)
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in env["PATH"].split(os.pathsep):
        env["PATH"] = venv_bin + os.pathsep + env["PATH"]
    env.setdefault("LANG", "C.UTF-8")
    if home is not None:
        env["HOME"] = str(home)
    env.update(extra or {})
    return env


@contextlib.contextmanager
def owned_by(owner: str, deadline: float | None = None) -> Iterator[None]:
    """Tag the processes started in this block (this thread) with `owner`."""
    t1 = _owner.set(owner)
    t2 = _deadline.set(deadline)
    try:
        yield
    finally:
        _owner.reset(t1)
        _deadline.reset(t2)


@contextlib.contextmanager
def recording_in(scratch: Path) -> Iterator[None]:
    """Record the process groups started in this block (this context) in `scratch`."""
    token = _records.set(scratch)
    try:
        yield
    finally:
        _records.reset(token)


def resolve(cmd: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """`cmd` with its program as the absolute path a child with `env` runs; raises
    ToolMissing."""
    exe = cmd[0]
    if os.sep not in exe:
        # the child's own PATH (ours puts our venv's bin/ first), then that bin/ itself
        found = (shutil.which(exe, path=env.get("PATH", os.defpath))
                 or shutil.which(exe, path=str(Path(sys.executable).parent)))
        if found is None:
            raise ToolMissing(f"{exe} is not installed (not found on PATH)")
        exe = found
    elif not os.access(exe, os.X_OK):
        raise ToolMissing(f"{exe} is not installed (not executable)")
    return [exe, *cmd[1:]]


def _effective_timeout(timeout: float) -> float:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    return max(0.1, min(timeout, deadline - time.monotonic()))


# what a child's stdin, stdout or stderr may be: subprocess.PIPE / DEVNULL, a descriptor,
# or an open file
Stream = int | IO[bytes] | IO[str] | None


def spawn(
    cmd: Sequence[str],
    *,
    cwd: str | os.PathLike[str],
    env: Mapping[str, str],
    stdout: Stream = subprocess.PIPE,
    stderr: Stream = subprocess.PIPE,
    stdin: Stream = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """Start a long-running child in its own process group; `stop()` it later.
    Raises Stopping once `shut_down()` was called (a gate's thread that goes on after
    the run was interrupted starts nothing the run would leave behind)."""
    if _stopping.is_set():
        raise Stopping(f"not starting {Path(cmd[0]).name}: the run is stopping")
    argv = resolve(cmd, env)
    p = subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )
    try:
        record = _record(p.pid)
    except BaseException:  # fail closed: never a group that a killed run would leave behind
        stop(p, grace=0.5)
        raise
    with _lock:
        late = _stopping.is_set()  # shut_down() came while it started: it missed this one
        if not late:
            _live[p.pid] = (p, _owner.get(), record)
    if late:
        stop(p, grace=0.5)
        raise Stopping(f"{Path(cmd[0]).name} stopped: the run is stopping")
    return p


def _stat(pid: int) -> list[str] | None:
    """Fields 3… of /proc/<pid>/stat (state, ppid, pgrp, session, …), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].decode().split()
    except (OSError, IndexError):
        return None


def _started(fields: list[str]) -> int:
    return int(fields[22 - 3])  # field 22: start time, in clock ticks after boot


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _record(pgid: int) -> Path | None:
    """Record the new group `pgid` in the current run's folder (none outside a run)."""
    scratch = _records.get()
    fields = _stat(pgid)
    if scratch is None or fields is None:
        return None
    path = scratch / GROUPS / f"{pgid}.{_started(fields)}.{_boot_id()}"
    path.parent.mkdir(exist_ok=True)
    path.touch()
    return path


def kill_recorded(scratch: Path) -> int:
    """SIGKILL the process groups recorded in a run's folder that still run, and forget
    them; returns how many were killed. Only for a folder no live run uses."""
    killed = 0
    folder = scratch / GROUPS
    for record in sorted(folder.iterdir()) if folder.is_dir() else []:
        pgid, start, boot = [*record.name.split("."), "", ""][:3]
        # another boot: the recorded group died with the machine
        if pgid.isdigit() and start.isdigit() and boot == _boot_id():
            killed += _kill_group(int(pgid), int(start))
        with contextlib.suppress(OSError):
            record.unlink()
    return killed


def _kill_group(pgid: int, start: int) -> int:
    leader = _stat(pgid)
    if leader is not None:
        if _started(leader) != start:
            return 0  # the pid was reused: the recorded group is long gone
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pgid, signal.SIGKILL)  # even if it left its group
    elif not _members(pgid, start):
        return 0
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    return 1


def _members(pgid: int, start: int) -> list[int]:
    """Processes of the group (and session) `pgid` whose leader has exited: started
    after it; the pid of a group's leader is not reused while the group lives."""
    return [pid for pid, fields in _processes()
            if fields[2] == fields[3] == str(pgid) and _started(fields) >= start]


def _processes() -> Iterator[tuple[int, list[str]]]:
    """Every process of the machine, with its `_stat` fields."""
    for d in os.listdir("/proc"):
        fields = _stat(int(d)) if d.isdigit() else None
        if fields:
            yield int(d), fields


def _group_runs(pgid: int) -> bool:
    """Some process of group `pgid` still runs (a zombie waiting for its reaper does not)."""
    return any(fields[2] == str(pgid) and fields[0] not in ("Z", "X")
               for _, fields in _processes())


def _killpg(p: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, sig)


def stop(p: subprocess.Popen[bytes], grace: float = KILL_GRACE) -> None:
    """TERM the child's whole group, then KILL what is left after `grace`."""
    try:
        if p.poll() is None:
            _killpg(p, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(grace)
        # the leader may be gone while its children live on in the group
        _killpg(p, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(grace)
        # a signal is delivered, not yet acted on, when kill() returns: on a busy machine
        # a killed grandchild may still run for a moment; the caller goes on once it is gone
        deadline = time.monotonic() + grace
        while _group_runs(p.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        with _lock:
            entry = _live.pop(p.pid, None)
        if entry and entry[2] and p.returncode is not None:  # reaped: forget the record
            with contextlib.suppress(OSError):
                entry[2].unlink()


def run(
    cmd: Sequence[str],
    *,
    cwd: str | os.PathLike[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
) -> Result:
    """Run to completion. Raises ToolMissing or Timeout; never leaves a child behind."""
    env = scrubbed_env() if env is None else env
    timeout = _effective_timeout(timeout)
    start = time.monotonic()
    p = spawn(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL)
    try:
        out, err = p.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(p, grace=1.0)
        out, err = _drain(p)
        raise Timeout(cmd, timeout, (out + err).decode(errors="replace")[-2000:]) from None
    except BaseException:
        stop(p, grace=1.0)
        raise
    stop(p, grace=0.5)  # reap anything the child left in its group
    return Result(
        returncode=p.returncode,
        stdout=out.decode(errors="replace"),
        stderr=err.decode(errors="replace"),
        duration=time.monotonic() - start,
    )


def _drain(p: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    try:
        out, err = p.communicate(timeout=2)
    except (subprocess.TimeoutExpired, ValueError):
        return b"", b""
    return out or b"", err or b""


def kill_owned(owner: str) -> int:
    """Kill every live process group started under `owner`; returns how many."""
    with _lock:
        victims = [p for p, o, _ in _live.values() if o == owner]
    for p in victims:
        stop(p, grace=1.0)
    return len(victims)


def kill_all() -> None:
    with _lock:
        victims = [p for p, _, _ in _live.values()]
    for p in victims:
        stop(p, grace=1.0)


def shut_down() -> None:
    """The end of this process's runs: every live group killed, and no process starts
    from now on (`spawn` raises Stopping), whatever thread asks."""
    with _lock:
        _stopping.set()
    kill_all()


def live_pids() -> list[int]:
    with _lock:
        return list(_live)
