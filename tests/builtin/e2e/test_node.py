"""The e2e gate with Node's Playwright Test (`runner = "playwright-test"`) on a Node project of
our own (tests/builtin/e2e/pwproject: a page with a button served by a small node http
server that the config's `webServer` starts), real @playwright/test from npm (installed
once into a cache outside the repo, as the tool tests install ESLint) and Debian's
Chromium, through the real CLI."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.builtin.tool.conftest import install_node_modules
from tests.conftest import GitRepo, need_chromium, run_gates

PROJECT = Path(__file__).parent / "pwproject"
SPEC = "tests/greet.spec.ts"
CONFIG = '[gates.e2e]\nrunner = "playwright-test"\n'

# one worker under pytest-xdist. Even so, under `-n 2` these runs found no tests while
# other browser tests ran beside them (the project's webServer has a fixed port, 47391:
# the first suspect); the README's test command runs the suite serially
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("node-playwright")]


def project_files() -> dict[str, str]:
    return {p.relative_to(PROJECT).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(PROJECT.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def node_modules() -> Path:
    return install_node_modules(PROJECT)


def node_repo(tmp_path: Path, node_modules: Path | None, config: str = CONFIG,
              extra: dict[str, str] | None = None) -> GitRepo:
    """The Node project on main, with its node_modules (untracked) in the checkout."""
    repo = GitRepo(tmp_path / "repo")
    repo.commit({**project_files(), ".gitignore": "node_modules/\nreports/\n",
                 "gates.toml": config, **(extra or {})}, "a greeter page with its browser tests")
    if node_modules is not None:
        (repo.path / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return repo


def gate_of(repo: GitRepo, branch: str) -> tuple[dict[str, object], Path]:
    out = next((repo.path / "reports" / branch.replace("/", "__")).glob("*/verdict.json")).parent
    return json.loads((out / "verdict.json").read_text())["gates"][0], out


def test_a_ui_break_blocks_naming_the_test_and_a_readme_branch_passes(
        tmp_path: Path, node_modules: Path) -> None:
    need_chromium()
    repo = node_repo(tmp_path, node_modules)
    page = project_files()["public/index.html"]
    repo.branch("acacia/rename", {"public/index.html": page.replace("Say hello", "Greet")})
    repo.branch("walnut/docs", {"README.md": "# greeter\n"})

    res = run_gates("run", "--branch", "walnut/docs", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    gate, _ = gate_of(repo, "walnut/docs")
    metrics = gate["metrics"]
    assert isinstance(metrics, dict)
    assert gate["status"] == "pass", gate
    assert metrics["tests"] == {"passed": 2, "failed": 0, "error": 0, "skipped": 0}
    assert metrics["runner"] == "playwright-test" and metrics["server"] == \
        "playwright.config webServer"
    assert metrics["tools"] == {"@playwright/test": "1.65.2"}
    # nothing of the repository was edited: the wrapper lives in the exported tree only
    assert not (repo.path / "playwright.gates.config.ts").exists()

    res = run_gates("run", "--branch", "acacia/rename", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gate, out = gate_of(repo, "acacia/rename")
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
        tmp_path: Path, node_modules: Path) -> None:
    need_chromium()
    spec = project_files()[SPEC]
    broken = spec.replace('toHaveTitle("Greeter")', 'toHaveTitle("Greeter app")')
    assert broken != spec
    repo = node_repo(tmp_path, node_modules, extra={SPEC: broken})
    repo.branch("walnut/docs", {"README.md": "# greeter\n"})
    res = run_gates("run", "--branch", "walnut/docs", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    gate, _ = gate_of(repo, "walnut/docs")
    assert gate["status"] == "pass", gate
    findings = gate["findings"]
    assert isinstance(findings, list)
    [finding] = findings
    assert not finding["new"] and not finding["blocking"]
    assert "already fails on the base" in finding["message"]
    metrics = gate["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["failing_on_base"] == ["greet.spec.ts::greeter › the page has a title"]


def test_no_browser_is_an_error_that_says_how_to_install(
        tmp_path: Path, node_modules: Path) -> None:
    repo = node_repo(tmp_path, node_modules, CONFIG + 'chromium = "/nonexistent"\n')
    repo.branch("walnut/docs", {"README.md": "# greeter\n"})
    res = run_gates("run", "--branch", "walnut/docs", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gate, _ = gate_of(repo, "walnut/docs")
    assert gate["status"] == "error" and gate["blocking"]
    assert "no Chromium at /nonexistent" in str(gate["reason"])
    assert "apt-get install chromium" in str(gate["reason"])


def test_without_playwright_test_installed_it_is_an_error_with_the_fix(tmp_path: Path) -> None:
    need_chromium()
    repo = node_repo(tmp_path, None)
    repo.branch("walnut/docs", {"README.md": "# greeter\n"})
    res = run_gates("run", "--branch", "walnut/docs", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gate, _ = gate_of(repo, "walnut/docs")
    assert gate["status"] == "error" and gate["blocking"]
    assert "@playwright/test is not installed" in str(gate["reason"])
    assert "npm install --save-dev @playwright/test" in str(gate["reason"])


def test_init_detects_the_playwright_config_and_its_setup_runs(
        tmp_path: Path, node_modules: Path) -> None:
    """What a new user does: `gates init` in a Node project with playwright.config.ts, then
    `gates run` with the gates.toml it wrote."""
    need_chromium()
    repo = GitRepo(tmp_path / "repo")
    repo.commit({**project_files(), ".gitignore": "node_modules/\nreports/\n"}, "greeter")
    (repo.path / "node_modules").symlink_to(node_modules, target_is_directory=True)
    res = run_gates("init", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    written = repo.read("gates.toml")
    e2e = written.split("[gates.e2e]", 1)[1].split("\n[", 1)[0]
    assert 'runner = "playwright-test"' in e2e and "enabled = false" not in e2e, written
    assert "found playwright.config.ts: Node's Playwright Test" in written
    repo.git("add", "gates.toml")
    repo.git("commit", "-q", "-m", "gates")
    repo.branch("walnut/docs", {"README.md": "# greeter\n"}, start="main")
    res = run_gates("run", "--branch", "walnut/docs", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    gate, _ = gate_of(repo, "walnut/docs")
    assert gate["status"] == "pass", gate


def test_a_chromium_that_does_not_start_is_an_error_not_failing_tests(
        tmp_path: Path, node_modules: Path) -> None:
    repo = node_repo(tmp_path, node_modules, CONFIG + 'chromium = "/bin/false"\n')
    repo.branch("walnut/docs", {"README.md": "# greeter\n"})
    res = run_gates("run", "--branch", "walnut/docs", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gate, _ = gate_of(repo, "walnut/docs")
    assert gate["status"] == "error" and gate["blocking"], gate
    assert "Chromium at /bin/false did not start" in str(gate["reason"])


def test_with_app_the_config_webserver_is_replaced_by_the_app(
        tmp_path: Path, node_modules: Path) -> None:
    """[app] starts the page (on a port gates picks); the config's webServer, whose port
    is held by another server here, is not started: its URL would fail the tests."""
    need_chromium()
    app = ('[app]\ncommand = ["node", "server.js", "{port}"]\nhealth = "/"\n\n' + CONFIG)
    repo = node_repo(tmp_path, node_modules, app)
    page = project_files()["public/index.html"]
    repo.branch("acacia/rename", {"public/index.html": page.replace("Say hello", "Greet")})
    repo.branch("walnut/docs", {"README.md": "# greeter\n"})
    with socket.socket() as held:  # the config's webServer port, taken
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", 47391))
        held.listen()
        res = run_gates("run", "--branch", "walnut/docs", "--gate", "e2e", "--no-status",
                        cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    gate, out = gate_of(repo, "walnut/docs")
    metrics = gate["metrics"]
    assert isinstance(metrics, dict)
    assert gate["status"] == "pass" and metrics["server"] == "[app]", gate
    assert metrics["tests"]["passed"] == 2
    assert "webServer is not started" in (out / "summary.md").read_text()
    res = run_gates("run", "--branch", "acacia/rename", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gate, _ = gate_of(repo, "acacia/rename")
    findings = gate["findings"]
    assert isinstance(findings, list)
    assert [f["extra"]["test"] for f in findings] == [
        "greet.spec.ts::greeter › the button says hello"]
