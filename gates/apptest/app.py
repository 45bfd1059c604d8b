"""Start and stop the application under test.

From the trusted config's `[app]` table: a command with `{host}`, `{port}` and
`{tmp}` placeholders, a health path, a ready timeout and env additions. The app
runs from a tree under test (the merge result, or the base for A/B runs) on a
free 127.0.0.1 port, with the scrubbed environment and a fresh data folder; its
output goes to a log in the gate's artifacts. It is stopped with its whole
process group (TERM, then KILL) when the block ends — also on a failure, a
timeout or Ctrl-C. An app that exits early or never gets healthy is a
`GateError` carrying the last lines of its log.
"""

from __future__ import annotations

import contextlib
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

from gates import proc
from gates.gate import GateContext, GateError

HOST = "127.0.0.1"
LOG_TAIL = 20


class AppNotConfigured(GateError):
    """No `[app] command` in the config: gates that need an app skip."""


@dataclass
class RunningApp:
    base_url: str
    port: int
    log: Path
    process: Popen[bytes]
    data_dir: Path

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, n: int = LOG_TAIL) -> str:
        return tail(self.log, n)


def tail(path: Path, n: int = LOG_TAIL) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def app_keeps_data_in_tmp(cfg: Mapping[str, Any]) -> bool:
    """Whether `[app] command` names `{tmp}` (the only place it is filled in): then a new
    start, in a new folder, begins from the app's initial data."""
    return any("{tmp}" in str(part) for part in cfg.get("command") or [])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        # the URL is ours: http://127.0.0.1:<port><health>
        with urllib.request.urlopen(url, timeout=2) as resp:  # nosec B310
            return 200 <= resp.status < 400
    except (urllib.error.URLError, OSError, ValueError):
        return False


@contextlib.contextmanager
def start(ctx: GateContext, tree: Path | None = None, label: str = "app") -> Iterator[RunningApp]:
    """`with ctx.app() as app:` — the app of `tree` (default: the merge result)."""
    cfg = ctx.settings["app"]
    if not cfg["command"]:
        raise AppNotConfigured("no application configured: set [app] command in gates.toml")
    tree = tree or ctx.worktree
    cwd = (tree / cfg["cwd"]).resolve()
    if not cwd.is_relative_to(tree.resolve()) or not cwd.is_dir():
        raise GateError(f"[app] cwd {cfg['cwd']!r} is not a folder of the tree")
    data_dir = ctx.workspace.scratch / f"{ctx.name}-{label}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    ctx.artifacts.mkdir(parents=True, exist_ok=True)
    log = ctx.artifacts / f"{label}.log"
    port = free_port()
    values = {"host": HOST, "port": str(port), "tmp": str(data_dir)}
    try:
        argv = [part.format(**values) for part in cfg["command"]]
    except (KeyError, IndexError, ValueError) as e:
        raise GateError(f"[app] command has a bad placeholder: {e}") from None
    env = ctx.env({k: str(v) for k, v in cfg["env"].items()})
    with log.open("wb") as out:
        p = proc.spawn(argv, cwd=cwd, env=env, stdout=out, stderr=out)
    app = RunningApp(base_url=f"http://{HOST}:{port}", port=port, log=log, process=p,
                     data_dir=data_dir)
    try:
        _wait_ready(app, cfg["health"], float(cfg["ready_timeout"]), ctx.deadline)
        yield app
    finally:
        proc.stop(p)


def _wait_ready(app: RunningApp, health: str, timeout: float, deadline: float) -> None:
    t0 = time.monotonic()
    limit = min(t0 + timeout, deadline) if deadline else t0 + timeout
    while time.monotonic() < limit:
        if not app.alive():
            raise GateError(f"the app exited with code {app.process.returncode} before it was "
                            f"healthy; last lines of its log:\n{app.log_tail()}")
        if _healthy(app.url(health)):
            return
        time.sleep(0.1)
    raise GateError(f"the app was not healthy at {health} after {timeout:.0f}s; "
                    f"last lines of its log:\n{app.log_tail()}")
