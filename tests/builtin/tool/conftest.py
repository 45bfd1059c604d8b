"""A TypeScript project of our own (an Express-style API, a React-style component) with
real ESLint and TypeScript from the npm registry, installed once into a cache outside
the repository (~/.cache/gates-tests/npm/<digest of package.json>), keyed by the exact
versions its package.json pins. CI starts without that cache: the first test installs."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gates.filelock import locked
from gates.gate import Gate, GateContext
from gates.model import GateResult
from tests.conftest import GitRepo

PROJECT = Path(__file__).parent / "tsproject"
NPM_CACHE = Path(os.environ.get("GATES_TEST_NPM_CACHE",
                                Path.home() / ".cache" / "gates-tests" / "npm"))


def project_files() -> dict[str, str]:
    return {p.relative_to(PROJECT).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(PROJECT.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def node_modules() -> Path:
    return install_node_modules()


def install_node_modules(project: Path = PROJECT) -> Path:
    """The packages `project`'s package.json pins (ESLint and tsc; the e2e tests'
    @playwright/test) installed from npm (exact pins, no scripts, no browser downloads),
    once per pin set."""
    if shutil.which("npm") is None:
        pytest.fail("npm is needed for the Node tests (apt-get install npm)")
    manifest = (project / "package.json").read_bytes()
    where = NPM_CACHE / hashlib.sha256(manifest).hexdigest()[:16]
    done = where / "node_modules" / ".gates-installed"
    where.mkdir(parents=True, exist_ok=True)
    with locked(where / ".lock"):
        if not done.exists():
            (where / "package.json").write_bytes(manifest)
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
                            "--no-package-lock"],
                           cwd=where, check=True, capture_output=True, timeout=600,
                           env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"})
            done.write_text("ok\n")
    return where / "node_modules"


TOOL_GATES = """
[gates.eslint]
kind = "tool"
preset = "eslint"

[gates.tsc]
kind = "tool"
preset = "tsc"
"""


def only_tool_gates(extra: str = "") -> str:
    """A gates.toml with the eslint and tsc gates and every built-in gate off."""
    off = "".join(f"\n[gates.{g}]\nenabled = false\n"
                  for g in ("lint", "security", "secrets", "auth", "api", "e2e", "perf"))
    return TOOL_GATES + off + extra


@pytest.fixture
def ts_repo(tmp_path: Path, node_modules: Path) -> Iterator[GitRepo]:
    """The TypeScript project on main, with its node_modules (untracked) beside it."""
    repo = GitRepo(tmp_path / "ts")
    repo.commit({**project_files(), ".gitignore": "node_modules/\nreports/\n",
                 "gates.toml": only_tool_gates()}, "the tool library, in TypeScript")
    (repo.path / "node_modules").symlink_to(node_modules, target_is_directory=True)
    yield repo


def run_tool(repo: GitRepo, branch: str, name: str) -> GateResult:
    """Run the declared gate `name` on `branch` as a run would (trusted config from
    main, the config's declared gates in the registry), and return its result."""
    with tool_context(repo, branch, name) as (gate, ctx):
        return gate.run(ctx)


@contextlib.contextmanager
def tool_context(repo: GitRepo, branch: str, name: str) -> Iterator[tuple[Gate, GateContext]]:
    from gates import runner, subject
    from gates.apptest.app import start
    from gates.commands.common import open_repo
    from gates.gate import Workspace

    r = open_repo(repo.path)
    gate = r.gates.gates[name]
    subj = subject.resolve(repo.path, branch, r.config["base"], r.config.base_commit)
    section = r.config.gate(name, gate.defaults)
    with subject.materialise(repo.path, subj) as (worktree, scratch):
        ws = Workspace(repo=repo.path, subject=subj, worktree=worktree, scratch=scratch)
        ctx = runner._context(gate, section, ws, r.config, repo.path / "reports" / "t", start)
        ctx.deadline = time.monotonic() + float(section["timeout"])
        yield gate, ctx
