"""The app runner (gates.apptest.app.start, what `ctx.app()` is) on the sample cluster: the
tool library started from the demo repo's config, for real — healthy, answering,
and stopped with its whole process group."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import AppProbe, GitRepo, demo_repo, gate_context, process_gone

pytestmark = pytest.mark.slow


class DemoRepo(GitRepo):
    """The repo `gates demo` built (already a repository: nothing to initialise)."""

    def __init__(self, path: Path) -> None:
        self.path = path


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, _ppid, pgrp = fields[:3]
        if int(pgrp) == pgid and state != "Z":
            found.append(int(entry.name))
    return found


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as resp:  # our own loopback app
        return resp.status, resp.read()


def test_the_sample_app_through_the_app_runner(tmp_path: Path) -> None:
    root, _ = demo_repo(tmp_path)  # the runner's scrubbed PATH has our venv first
    with gate_context(DemoRepo(root), "main", AppProbe()) as ctx:
        with ctx.app() as app:
            pid = app.process.pid
            assert app.base_url.startswith("http://127.0.0.1:")
            assert get(app.url("/health")) == (200, b'{"status":"ok"}')
            status, body = get(app.url("/api/tools?q=ladder&limit=5"))
            page = json.loads(body)
            assert status == 200 and len(page["items"]) == 5
            assert all("ladder" in t["name"].lower() or "ladder" in t["tags"]
                       for t in page["items"])
            assert (app.data_dir / "toollib.sqlite3").is_file()  # the fresh {tmp}
            assert group_members(pid) and app.alive()
        # stopped: the app and everything in its process group are gone
        assert process_gone(pid)
        assert group_members(pid) == []
        # its output is in the gate's artifacts, and it shut down on TERM (no KILL needed)
        log = (ctx.artifacts / "app.log").read_text()
        assert f"serving on {app.base_url}" in log, log
        assert "Finished server process" in log, log
