"""The sample cluster's content: the tool-library app (gates/demo/app) and the agent
branches (gates/demo/branches), checked the way `gates demo` uses them.

Every tree is materialised in tmp_path exactly as the demo repo gets it (main's
files, then each commit overlay in order), and the sample's own test suite runs
on it in a subprocess: the agents' tests pass on every branch (their bugs are
for the gates to find). The app is also started for real, as the app runner
starts it, and stopped with its whole process group.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gates import proc
from gates.apptest.app import free_port
from gates.demo.cluster import (
    APP,
    BRANCHES,
    apply_step,
    branch_folders,
    branch_name,
    copy_tree,
    steps,
)
from tests.conftest import process_gone, wait_until

BRANCH_FOLDERS = [p.name for p in branch_folders()]
TREES = ["main", *BRANCH_FOLDERS]
CONFIG = tomllib.loads((APP / "gates.toml").read_text(encoding="utf-8"))
APP_ENV: dict[str, str] = CONFIG["app"]["env"]
SUITE_TIMEOUT = 300


def materialise(dest: Path, tree: str) -> Path:
    """main's files, then the branch's commits in order (as gates.demo.cluster does)."""
    dest.mkdir(parents=True)
    copy_tree(APP, dest)
    if tree != "main":
        for step in steps(BRANCHES / tree):
            apply_step(step, dest)
    return dest


def sample_env(**extra: str) -> dict[str, str]:
    """Our environment minus anything that would point the sample's tests elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GATES_", "PYTEST_", "TOOLLIB_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # `python` in the app command is our interpreter, as for the app runner
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra)
    return env


def pytest_in(tree: Path, *args: str, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no", *args],
        cwd=tree, env=env or sample_env(), text=True, capture_output=True,
        timeout=SUITE_TIMEOUT)


def tail(res: subprocess.CompletedProcess[str]) -> str:
    return (res.stdout[-4000:] + "\n" + res.stderr[-2000:]).strip()


class Server:
    """`python -m toollib` as the app runner starts it: own process group, free port."""

    def __init__(self, tree: Path, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = data
        self.log = data.parent / f"app-{self.port}.log"
        argv = [part.format(host="127.0.0.1", port=self.port, tmp=data)
                for part in CONFIG["app"]["command"]]
        if argv[0] == "python":  # our interpreter, whatever `python` is on PATH
            argv[0] = sys.executable
        with self.log.open("wb") as out:
            self.process = proc.spawn(argv, cwd=tree, env=sample_env(**APP_ENV),
                                      stdout=out, stderr=out)

    def healthy(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()
        try:
            with urllib.request.urlopen(self.url + CONFIG["app"]["health"], timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self) -> None:
        """Poll until the app answers (a hang is pytest-timeout's to fail)."""
        wait_until(self.healthy, poll=0.1)

    def get(self, path: str) -> tuple[int, bytes]:
        with urllib.request.urlopen(self.url + path, timeout=10) as resp:
            return resp.status, resp.read()

    def stop(self) -> None:
        proc.stop(self.process)


Start = Callable[..., Server]


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Start]:
    started: list[Server] = []

    def start(tree: Path, name: str = "data") -> Server:
        s = Server(tree, tmp_path / name)
        started.append(s)
        s.wait_ready()
        return s

    yield start
    for s in started:
        s.stop()
        assert process_gone(s.process.pid)
        assert not _processes_mentioning(str(s.data)), "something of the app is still running"


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and not process_gone(int(entry.name)):
            found.append(int(entry.name))
    return found


# --- layout ----------------------------------------------------------------------


def test_every_branch_is_an_agent_of_the_config() -> None:
    agents = set(CONFIG["agents"])
    assert {branch_name(f).split("/")[0] for f in BRANCH_FOLDERS} == agents
    assert {branch_name(f) for f in BRANCH_FOLDERS} == {
        "walnut/catalog", "ironwood/payments", "acacia/search"}


@pytest.mark.parametrize("folder", BRANCH_FOLDERS)
def test_branch_commits_are_well_formed(folder: str) -> None:
    agent = folder.split("__")[0].upper()
    commits = steps(BRANCHES / folder)
    assert 2 <= len(commits) <= 4
    for n, step in enumerate(commits, 1):
        assert re.fullmatch(rf"0{n}-[a-z0-9-]+", step.name), step.name
        message = (step / "COMMIT_MSG").read_text(encoding="utf-8")
        subject, _, body = message.partition("\n\n")
        assert subject.startswith(f"{agent}: ") and len(subject) <= 72, subject
        assert "Tests:" in body, f"{step.name}: the message names no tests"
        assert sorted(p.name for p in step.iterdir()) == ["COMMIT_MSG", "change.patch"]
        patch = (step / "change.patch").read_text(encoding="utf-8")
        assert patch.startswith("diff --git "), f"{step.name} changes nothing"


def test_config_is_what_the_loader_accepts() -> None:
    from gates import config

    cfg = config.parse((APP / "gates.toml").read_text(encoding="utf-8"), "gates.toml")
    assert cfg["app"]["command"][:3] == ["python", "-m", "toollib"]
    assert cfg.gate("e2e")["tests"] == ["tests/e2e"]
    assert cfg.gate("auth")["login"]["username_field"] == "email"
    assert len(APP_ENV["TOOLLIB_JWT_SECRET"].encode()) >= 32


@pytest.mark.parametrize("tree", TREES)
def test_lint_is_clean(tmp_path: Path, tree: str) -> None:
    root = materialise(tmp_path / "repo", tree)
    select = ",".join(CONFIG["gates"]["lint"]["select"])
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select",
                          select, "."], cwd=root, text=True, capture_output=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


# --- the sample's own tests ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("tree", TREES)
def test_sample_suite_passes(tmp_path: Path, tree: str) -> None:
    """tests/test_api.py, tests/auth and the branch's new tests (not the browser ones)."""
    root = materialise(tmp_path / "repo", tree)
    res = pytest_in(root, "tests", "--ignore=tests/e2e")
    assert res.returncode == 0, tail(res)
    passed = int(re.search(r"(\d+) passed", res.stdout).group(1))  # type: ignore[union-attr]
    assert passed >= 50 and "skipped" not in res.stdout, tail(res)


# --- the app for real -------------------------------------------------------------------


def test_app_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    root = materialise(tmp_path / "repo", "main")
    res = subprocess.run([sys.executable, "-m", "toollib", "--port", str(free_port()),
                          "--data", str(tmp_path / "data")], cwd=root, env=sample_env(),
                         text=True, capture_output=True, timeout=60)
    assert res.returncode != 0
    assert "TOOLLIB_JWT_SECRET" in res.stderr
    short = sample_env(TOOLLIB_JWT_SECRET="short", TOOLLIB_WEBHOOK_SECRET="whsec_x")
    res = subprocess.run([sys.executable, "-m", "toollib", "--data", str(tmp_path / "d2")],
                         cwd=root, env=short, text=True, capture_output=True, timeout=60)
    assert res.returncode != 0 and "32 bytes" in res.stderr


@pytest.mark.slow
def test_app_serves_its_contract_and_stops(tmp_path: Path, server_factory: Start) -> None:
    root = materialise(tmp_path / "repo", "main")
    app = server_factory(root)
    assert app.get("/health") == (200, b'{"status":"ok"}')
    status, body = app.get("/openapi.json")
    doc = json.loads(body)
    protected = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            if "security" in op:
                protected += 1
                assert op["security"] == [{"HTTPBearer": []}], where
                assert op["x-roles"] and set(op["x-roles"]) <= {"member", "admin"}, where
                assert "401" in op["responses"], where
                if op["x-roles"] == ["admin"]:
                    assert "403" in op["responses"], where
            else:
                assert "x-roles" not in op, where
            if "{" in path and path.startswith(("/api/reservations", "/api/loans")):
                assert op.get("x-owner") is True, where
                assert op["x-owner-list"] in doc["paths"], where
    assert protected >= 15
    assert doc["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "`POST /api/auth/login` returns the token"}
    links = doc["paths"]["/api/reservations"]["post"]["responses"]["201"]["links"]
    assert {"GetReservation", "CancelReservation"} <= set(links)
    assert doc["paths"]["/api/webhooks/stripe"]["post"]["x-webhook"]["signature_header"] \
        == "Stripe-Signature"
    status, page = app.get("/?q=drill")
    assert status == 200 and b'id="search"' in page and b"drill" in page
    # the auth tests against the live server, as the auth gate runs them
    res = pytest_in(root, "tests/auth", "-m", CONFIG["gates"]["auth"]["marker"],
                    "--base-url", app.url,
                    env=sample_env(TOOLLIB_JWT_SECRET=APP_ENV["TOOLLIB_JWT_SECRET"]))
    assert res.returncode == 0 and "skipped" not in res.stdout, tail(res)
    assert app.process.poll() is None
    # server_factory stops it and checks that nothing of it is left


# one search in the tree's own code, on its seeded database: the work it does (Python calls,
# SQLite VM steps), counted, not timed
SEARCH_WORK = """
import json, sys, tempfile
from pathlib import Path
from toollib import db
from toollib.catalog import search_tools
path = Path(tempfile.mkdtemp()) / db.DB_NAME
db.init(path)
conn = db.connect(path)
search_tools(conn, "drill", None, None, 20, 0)  # warm: lazy imports, statement cache
calls = steps = 0
def call(frame, event, arg):
    global calls
    calls += event in ("call", "c_call")
def step():
    global steps
    steps += 1
    return 0
sys.setprofile(call)
found = search_tools(conn, "drill", None, None, 20, 0)
sys.setprofile(None)
conn.set_progress_handler(step, 1)
search_tools(conn, "drill", None, None, 20, 0)
conn.set_progress_handler(None, 1)
print(json.dumps({"calls": calls, "steps": steps, "found": [t.name for t in found]}))
"""


def test_acacia_search_does_far_more_work(tmp_path: Path) -> None:
    """The perf gate's premise, without a clock: the same search on acacia/search reads
    every tool from SQLite and runs an edit distance over each in Python, where main
    lets SQL filter and page (bench/ measures what that costs in time)."""
    work = {}
    for tree in ("main", "acacia__search"):
        root = materialise(tmp_path / tree, tree)
        res = subprocess.run([sys.executable, "-c", SEARCH_WORK], cwd=root, text=True,
                             capture_output=True, env=sample_env(PYTHONPATH=str(root)))
        assert res.returncode == 0, tail(res)
        work[tree] = json.loads(res.stdout)
    main, acacia = work["main"], work["acacia__search"]
    assert main["found"] and acacia["found"] == main["found"]  # same answer…
    assert acacia["calls"] >= 20 * main["calls"], work  # … for ~300x the Python calls
    assert acacia["steps"] >= 2 * main["steps"], work  # and ~5x the SQLite VM steps


# --- the browser tests ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("tree", TREES)
def test_sample_browser_tests_pass(tmp_path: Path, tree: str) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("GATES_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    root = materialise(tmp_path / "repo", tree)
    # no --base-url: the sample's e2e conftest starts the app itself
    res = pytest_in(root, "tests/e2e", "--browser", "chromium",
                    "--output", str(tmp_path / "results"),
                    env=sample_env(GATES_CHROMIUM=chromium, HOME=str(tmp_path)))
    assert res.returncode == 0, tail(res)
    assert "passed" in res.stdout and "skipped" not in res.stdout, tail(res)
