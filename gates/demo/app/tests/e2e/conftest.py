"""Browser fixtures: which Chromium, and which server.

The server is `--base-url` (pytest-playwright's option) or GATES_BASE_URL; with
neither, the tests start `python -m toollib` themselves on a free port.

The browser is Playwright's own Chromium unless the machine has one of its own:
GATES_CHROMIUM_PATH (set by the e2e gate), GATES_CHROMIUM or
PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH, else `chromium` on PATH
(Debian's package), launched headless with the flags a sandboxed CI needs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import live_url

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    for var in ("GATES_CHROMIUM_PATH", "GATES_CHROMIUM", "PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH"):
        if os.environ.get(var):
            return os.environ[var]
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = dict(browser_type_launch_args)
    exe = chromium_path()
    if exe:
        args["executable_path"] = exe
    args["args"] = [*args.get("args", []), *CHROMIUM_ARGS]
    return args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def app_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[str]:
    url = live_url(request.config)
    if url:
        yield url
        return
    port = _free_port()
    env = {**os.environ, "TOOLLIB_JWT_SECRET": secrets.token_urlsafe(32),
           "TOOLLIB_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16)}
    data = tmp_path_factory.mktemp("e2e-data")
    server = subprocess.Popen(
        [sys.executable, "-m", "toollib", "--host", "127.0.0.1", "--port", str(port),
         "--data", str(data)],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the tool library did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)
