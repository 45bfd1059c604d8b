"""Real git repositories in tmp_path, and the real `gates` CLI run in a subprocess."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gates.builtin.e2e.browser import BrowserMissing, Chromium, find_chromium
from gates.gate import GateContext
from gates.model import GateResult

# A suite started as a background job of a script (`cmd &` in a non-interactive shell)
# inherits SIGINT ignored, and so would every `gates` it starts: the tests of Ctrl-C
# are about a terminal's, so the suite and its children get Python's own handler back.
signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parents[1]


def sh(*args: str, cwd: Path, check: bool = True, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, check=check, text=True, capture_output=True,
                          timeout=120, env=env)


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "agent@cluster.test")
        self.git("config", "user.name", "Agent")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        return sh("git", *args, cwd=self.path).stdout.strip()

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            p = self.path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        self.write(files)
        self.git("add", "-A", "--", *files)
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, files: dict[str, str], message: str = "work",
               start: str = "main") -> str:
        self.git("checkout", "-q", "-b", name, start)
        sha = self.commit(files, message)
        self.git("checkout", "-q", "main")
        return sha

    def read(self, name: str) -> str:
        return (self.path / name).read_text(encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.commit({"app/__init__.py": "", "app/core.py": """
        import os


        def answer() -> int:
            return 42
        """}, "init")
    return r


def gates_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("GITHUB_STEP_SUMMARY", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env["COLUMNS"] = "200"
    env.update(extra or {})
    return env


def run_gates(*args: str, cwd: Path, env: dict[str, str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The real CLI, as a user types it."""
    return subprocess.run([sys.executable, "-m", "gates", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=timeout, env=gates_env(env))


@pytest.fixture
def gates_cli() -> Iterator[object]:
    yield run_gates


def plugin_path(tmp_path: Path, name: str, module_source: str) -> Path:
    """A third-party gate, installed the way pip would (a dist-info with an entry point)."""
    site = tmp_path / f"plugin-{name}"
    site.mkdir(parents=True, exist_ok=True)
    (site / f"gatesplugin_{name}.py").write_text(textwrap.dedent(module_source))
    dist = site / f"gatesplugin_{name}-0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: gatesplugin-{name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[gates.gates]\n{name} = gatesplugin_{name}:GATE\n")
    return site


def plugin_env(site: Path) -> dict[str, str]:
    """The variables that put a `plugin_path` site on a `gates` run's import path."""
    return {"PYTHONPATH": os.pathsep.join([str(site), gates_env()["PYTHONPATH"]])}


@contextlib.contextmanager
def gate_context(repo: GitRepo, branch: str, gate: object, *, reports: Path | None = None
                 ) -> Iterator[GateContext]:
    """A real GateContext for `gate` on `branch` of `repo`: the trusted config from
    main, the merge result exported, artifacts under `reports` — as a run makes it."""
    from gates import registry, runner, subject
    from gates.apptest.app import start
    from gates.commands.common import trusted_config
    from gates.gate import Workspace, as_gate

    reg = registry.load()
    name = gate.name  # type: ignore[attr-defined]
    reg.gates.setdefault(name, as_gate(gate))  # type: ignore[arg-type]
    cfg = trusted_config(repo.path, reg, None)
    subj = subject.resolve(repo.path, branch, cfg["base"])
    section = cfg.gate(name, reg.gates[name].defaults)
    out = reports or repo.path / "reports" / "test"
    with subject.materialise(repo.path, subj) as (worktree, scratch):
        ws = Workspace(repo=repo.path, subject=subj, worktree=worktree, scratch=scratch)
        ctx = runner._context(gate, section, ws, cfg, out, start)  # type: ignore[arg-type]
        ctx.deadline = time.monotonic() + float(section["timeout"])
        yield ctx


def run_gate(repo: GitRepo, branch: str, gate: Any) -> GateResult:
    """Run one gate on `branch` of `repo` as a run would, and return its result."""
    with gate_context(repo, branch, gate) as ctx:
        return gate.run(ctx)


def wait_until(condition: Callable[[], object], poll: float = 0.05) -> None:
    """Poll until `condition()` holds. No deadline of its own: a wait that never ends is
    a hang, and pytest-timeout fails it (slowness is the perf gate's business)."""
    while not condition():
        time.sleep(poll)


def wait_gone(pid: int) -> None:
    """Poll until `pid` no longer runs (see `process_gone`)."""
    wait_until(lambda: process_gone(pid))


def process_gone(pid: int) -> bool:
    """True when `pid` no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class AppProbe:
    """A gate that only needs the app started: for tests of the app runner itself."""

    name = "probe"
    needs_app = True

    def applies(self, ctx: object) -> bool:
        return True

    def run(self, ctx: object) -> object:
        raise NotImplementedError


def need_chromium() -> Chromium:
    """For tests that drive a browser: skip without one, unless CI requires it."""
    try:
        return find_chromium()
    except BrowserMissing as e:
        if os.environ.get("GATES_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GATES_REQUIRE_BROWSER=1 but {e}")
        pytest.skip(str(e))


def need_playwright() -> Any:
    """playwright.sync_api: skip without it, unless CI requires the browser tests (then a
    broken import is a failure, never a silent skip)."""
    try:
        import playwright.sync_api as sync_api
    except ImportError as e:
        if os.environ.get("GATES_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GATES_REQUIRE_BROWSER=1 but playwright does not import: {e}")
        pytest.skip(f"playwright does not import: {e}")
    return sync_api


BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class PageLog:
    """What a page did that a person would not see: console errors, failed loads, and
    every URL it fetched."""
    problems: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)


@contextlib.contextmanager
def chromium_page(width: int = 1280, height: int = 900) -> Iterator[tuple[Any, PageLog]]:
    """A page in the Chromium `need_chromium` finds, with its `PageLog`."""
    sync_api = need_playwright()
    exe = str(need_chromium().path)
    log = PageLog()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: log.problems.append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: log.problems.append(str(e)))
            page.on("requestfailed", lambda r: log.problems.append(f"failed: {r.url}"))
            page.on("request", lambda r: log.fetched.append(r.url))
            yield page, log
        finally:
            browser.close()


def demo_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The sample cluster as `gates demo` builds it, and the env to run gates in it (the
    sample app's `python` is the one with fastapi and uvicorn: ours)."""
    from gates.demo import cluster

    dest = tmp_path / "demo"
    cluster.build(dest, say=lambda _: None)
    venv_bin = str(Path(sys.executable).parent)
    return dest, {"PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}


def lint_only(repo: GitRepo) -> str:
    """Commit a gates.toml to main that enables the lint gate alone (every other installed
    gate off), so that a plain `gates run --branch X` is a complete, cheap verdict."""
    from gates import registry

    off = [n for n in registry.load().names if n != "lint"]
    text = "".join(f"[gates.{n}]\nenabled = false\n\n" for n in off)
    return repo.commit({"gates.toml": text}, "gates: lint only")
