"""The e2e gate with Node's Playwright Test (`runner = "playwright-test"`) on a Node project of
our own (tests/builtin/e2e/pwproject: a page with a button served by a small node http
server that the config's `webServer` starts), real @playwright/test from npm (installed
once into a cache outside the repo, as the tool tests install ESLint) and Debian's
Chromium, through the real CLI. Each test's copy of the project has its webServer on a free
port of its own, so that the tests run side by side (pytest-xdist)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gates.apptest.app import free_port
from tests.builtin.tool.conftest import install_node_modules
from tests.conftest import GitRepo, need_chromium, run_gates

PROJECT = Path(__file__).parent / "pwproject"
SPEC = "tests/greet.spec.ts"
CONFIG = '[gates.e2e]\nrunner = "playwright-test"\n'
PORT_LINE = "const PORT = 47391;"  # in playwright.config.ts: each repo gets a free port
DOCS = {"README.md": "# greeter\n"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def node_modules() -> Path:
    return install_node_modules(PROJECT)


@dataclass
class Greeter:
    """The Node project in a repo, its config's webServer on a port of its own (tests
    run side by side under pytest-xdist: a fixed port would be taken by the other's)."""

    repo: GitRepo
    port: int
    files: dict[str, str]

    def judge(self, branch: str, code: int) -> tuple[dict[str, object], Path]:
        """`gates run --branch` with the e2e gate alone: its exit code must be `code`;
        the gate's entry of verdict.json, and the run's report folder."""
        res = run_gates("run", "--branch", branch, "--gate", "e2e", "--no-status",
                        cwd=self.repo.path)
        assert res.returncode == code, res.stdout + res.stderr
        out = next((self.repo.path / "reports" / branch.replace("/", "__"))
                   .glob("*/verdict.json")).parent
        return json.loads((out / "verdict.json").read_text())["gates"][0], out


@pytest.fixture
def greeter(tmp_path: Path) -> Callable[..., Greeter]:
    """Make the Node project on main (with `config` as gates.toml unless None, `extra`
    files over it) and its node_modules (untracked) linked into the checkout."""

    def make(node_modules: Path | None, config: str | None = CONFIG,
             extra: dict[str, str] | None = None) -> Greeter:
        port = free_port()
        files = {p.relative_to(PROJECT).as_posix(): p.read_text(encoding="utf-8")
                 for p in sorted(PROJECT.rglob("*")) if p.is_file()}
        assert PORT_LINE in files["playwright.config.ts"]
        files["playwright.config.ts"] = files["playwright.config.ts"].replace(
            PORT_LINE, f"const PORT = {port};")
        repo = GitRepo(tmp_path / "repo")
        repo.commit({**files, ".gitignore": "node_modules/\nreports/\n",
                     **({"gates.toml": config} if config is not None else {}),
                     **(extra or {})}, "a greeter page with its browser tests")
        if node_modules is not None:
            (repo.path / "node_modules").symlink_to(node_modules, target_is_directory=True)
        return Greeter(repo, port, files)

    return make


def test_a_ui_break_blocks_naming_the_test_and_a_readme_branch_passes(
        greeter: Callable[..., Greeter], node_modules: Path) -> None:
    need_chromium()
    g = greeter(node_modules)
    page = g.files["public/index.html"]
    g.repo.branch("acacia/rename", {"public/index.html": page.replace("Say hello", "Greet")})
    g.repo.branch("walnut/docs", DOCS)

    gate, _ = g.judge("walnut/docs", 0)
    metrics = gate["metrics"]
    assert isinstance(metrics, dict)
    assert gate["status"] == "pass", gate
    assert metrics["tests"] == {"passed": 2, "failed": 0, "error": 0, "skipped": 0}
    assert metrics["runner"] == "playwright-test" and metrics["server"] == \
        "playwright.config webServer"
    assert metrics["tools"] == {"@playwright/test": "1.65.2"}
    # nothing of the repository was edited: the wrapper lives in the exported tree only
    assert not (g.repo.path / "playwright.gates.config.ts").exists()

    gate, out = g.judge("acacia/rename", 1)
    assert gate["status"] == "fail", gate
    findings = gate["findings"]
    assert isinstance(findings, list)
    [finding] = findings
    assert finding["blocking"] and finding["severity"] == "high" and finding["new"]
    assert finding["extra"]["test"] == "greet.spec.ts::greeter › the button says hello"
    assert "Say hello" in finding["message"] or "timeout" in finding["message"].lower()
    for kind in ("screenshot", "trace"):
        assert (out / finding["extra"][kind]).is_file(), kind
        assert finding["extra"][kind] in gate["artifacts"]
    assert finding["extra"]["screenshot"].endswith(".png")
    assert finding["extra"]["trace"].endswith("trace.zip")
    summary = (out / "summary.md").read_text()
    assert "the button says hello" in summary
    assert f"[screenshot]({finding['extra']['screenshot']})" in summary
    assert "npx playwright test --grep" in summary


def test_a_test_already_failing_on_the_base_does_not_block(
        greeter: Callable[..., Greeter], node_modules: Path) -> None:
    need_chromium()
    spec = (PROJECT / SPEC).read_text(encoding="utf-8")
    broken = spec.replace('toHaveTitle("Greeter")', 'toHaveTitle("Greeter app")')
    assert broken != spec
    g = greeter(node_modules, extra={SPEC: broken})
    g.repo.branch("walnut/docs", DOCS)
    gate, _ = g.judge("walnut/docs", 0)
    assert gate["status"] == "pass", gate
    findings = gate["findings"]
    assert isinstance(findings, list)
    [finding] = findings
    assert not finding["new"] and not finding["blocking"]
    assert "already fails on the base" in finding["message"]
    metrics = gate["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["failing_on_base"] == ["greet.spec.ts::greeter › the page has a title"]


@pytest.mark.parametrize(("chromium", "says"), [
    ("/nonexistent", ["no Chromium at /nonexistent", "apt-get install chromium"]),
    ("/bin/false", ["Chromium at /bin/false did not start"]),
], ids=["no-browser", "browser-does-not-start"])
def test_a_missing_or_broken_chromium_is_an_error_that_says_what_to_do(
        greeter: Callable[..., Greeter], node_modules: Path, chromium: str,
        says: list[str]) -> None:
    """Not failing tests: the gate is `error`, blocking, with what to do."""
    g = greeter(node_modules, CONFIG + f'chromium = "{chromium}"\n')
    g.repo.branch("walnut/docs", DOCS)
    gate, _ = g.judge("walnut/docs", 1)
    assert gate["status"] == "error" and gate["blocking"], gate
    for text in says:
        assert text in str(gate["reason"])


def test_without_playwright_test_installed_it_is_an_error_with_the_fix(
        greeter: Callable[..., Greeter]) -> None:
    need_chromium()
    g = greeter(None)
    g.repo.branch("walnut/docs", DOCS)
    gate, _ = g.judge("walnut/docs", 1)
    assert gate["status"] == "error" and gate["blocking"]
    assert "@playwright/test is not installed" in str(gate["reason"])
    assert "npm install --save-dev @playwright/test" in str(gate["reason"])


def test_init_detects_the_playwright_config_and_its_setup_runs(
        greeter: Callable[..., Greeter], node_modules: Path) -> None:
    """What a new user does: `gates init` in a Node project with playwright.config.ts, then
    `gates run` with the gates.toml it wrote."""
    need_chromium()
    g = greeter(node_modules, config=None)
    res = run_gates("init", cwd=g.repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    written = g.repo.read("gates.toml")
    e2e = written.split("[gates.e2e]", 1)[1].split("\n[", 1)[0]
    assert 'runner = "playwright-test"' in e2e and "enabled = false" not in e2e, written
    assert "found playwright.config.ts: Node's Playwright Test" in written
    g.repo.git("add", "gates.toml")
    g.repo.git("commit", "-q", "-m", "gates")
    g.repo.branch("walnut/docs", DOCS, start="main")
    gate, _ = g.judge("walnut/docs", 0)
    assert gate["status"] == "pass", gate


def test_with_app_the_config_webserver_is_replaced_by_the_app(
        greeter: Callable[..., Greeter], node_modules: Path) -> None:
    """[app] starts the page (on a port gates picks); the config's webServer, whose port
    is held by another server here, is not started: its URL would fail the tests."""
    need_chromium()
    g = greeter(node_modules,
                '[app]\ncommand = ["node", "server.js", "{port}"]\nhealth = "/"\n\n' + CONFIG)
    page = g.files["public/index.html"]
    g.repo.branch("acacia/rename", {"public/index.html": page.replace("Say hello", "Greet")})
    g.repo.branch("walnut/docs", DOCS)
    with socket.socket() as held:  # the config's webServer port, taken
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", g.port))
        held.listen()
        gate, out = g.judge("walnut/docs", 0)
    metrics = gate["metrics"]
    assert isinstance(metrics, dict)
    assert gate["status"] == "pass" and metrics["server"] == "[app]", gate
    assert metrics["tests"]["passed"] == 2
    assert "webServer is not started" in (out / "summary.md").read_text()
    gate, _ = g.judge("acacia/rename", 1)
    findings = gate["findings"]
    assert isinstance(findings, list)
    assert [f["extra"]["test"] for f in findings] == [
        "greet.spec.ts::greeter › the button says hello"]
