from __future__ import annotations

import json
import os
import urllib.request

import pytest

from gates.apptest.app import AppNotConfigured, app_keeps_data_in_tmp
from gates.gate import GateError
from tests.conftest import AppProbe, GitRepo, gate_context, process_gone

SERVER = """
import http.server, json, os, sys

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "env": sorted(os.environ),
                           "data": sys.argv[2]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        print("request", *a, flush=True)

print("serving on", sys.argv[1], flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def configure(repo: GitRepo, command: str, ready: float = 10) -> None:
    repo.commit({
        "server.py": SERVER,
        "gates.toml": f"""
            [app]
            command = {command}
            health = "/health"
            ready_timeout = {ready}
            env = {{ APP_MODE = "test" }}
            """,
    }, "app")
    repo.branch("walnut/app", {"notes.txt": "x\n"})


def test_start_request_stop(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATES_TEST_SECRET_TOKEN", "s3cret")
    configure(repo, '["python", "server.py", "{port}", "{tmp}"]')
    with gate_context(repo, "walnut/app", AppProbe()) as ctx, ctx.app() as app:
        assert app.base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(app.url("/api/x")) as r:
            seen = json.load(r)
        pid = app.process.pid
        assert seen["path"] == "/api/x"
        assert "APP_MODE" in seen["env"] and "GATES_TEST_SECRET_TOKEN" not in seen["env"]
        assert seen["data"] == str(app.data_dir)
    assert process_gone(pid)
    log = (ctx.artifacts / "app.log").read_text()
    assert "serving on" in log and "request" in log


def test_app_that_crashes_at_start(repo: GitRepo) -> None:
    configure(repo, '["python", "-c", "import sys; print(\'no database\'); sys.exit(3)"]')
    with gate_context(repo, "walnut/app", AppProbe()) as ctx:
        with pytest.raises(GateError, match=r"exited with code 3(.|\n)*no database"):
            with ctx.app():
                pass


def test_app_that_never_gets_healthy(repo: GitRepo) -> None:
    configure(repo, '["python", "-c", "import time; print(\'stuck\', flush=True); '
                    'time.sleep(300)"]', ready=2)
    with gate_context(repo, "walnut/app", AppProbe()) as ctx:
        with pytest.raises(GateError, match=r"not healthy at /health after 2s(.|\n)*stuck"):
            with ctx.app():
                pass
        # the stuck process was stopped
        assert not [p for p in os.listdir("/proc") if p.isdigit() and _cmd(p).count("stuck")]


def _cmd(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def test_no_app_configured(repo: GitRepo) -> None:
    repo.branch("walnut/none", {"x.txt": "x\n"})
    with gate_context(repo, "walnut/none", AppProbe()) as ctx:
        with pytest.raises(AppNotConfigured):
            with ctx.app():
                pass


def test_an_app_keeps_its_data_in_tmp_only_when_its_command_names_it() -> None:
    assert app_keeps_data_in_tmp({"command": ["python", "app.py", "--data", "{tmp}"], "env": {}})
    assert app_keeps_data_in_tmp({"command": ["app", "--db=sqlite:///{tmp}/a.db"], "env": {}})
    assert not app_keeps_data_in_tmp({"command": ["python", "app.py", "{port}"], "env": {}})
