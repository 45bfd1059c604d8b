"""The e2e gate on real repos: a real app (tests/apps/e2e_app.py), real Chromium, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gates.builtin.e2e.gate import GATE
from gates.gate import GateError
from gates.model import Severity, Status
from tests.conftest import (
    GitRepo,
    demo_repo,
    gate_context,
    need_chromium,
    run_gate,
    run_gates,
)
from tests.tampering import failure_hiding_conftest

APPS = Path(__file__).resolve().parents[2] / "apps"
APP = (APPS / "e2e_app.py").read_text()
TEST = (APPS / "e2e_test_search.py").read_text()

pytestmark = pytest.mark.slow

CONFIG = """
[app]
command = ["python", "app.py", "--port", "{port}"]
health = "/health"

[gates.e2e]
tests = ["tests/e2e"]
"""

# a repo's own conftest that extends pytest-playwright's launch args (the documented way)
CONFTEST = """
import pytest


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "timeout": 30000}
"""


def e2e_repo(tmp_path: Path, config: str = CONFIG) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"app.py": APP, "tests/e2e/test_search.py": TEST, "tests/e2e/conftest.py": CONFTEST,
                 "gates.toml": config}, "app with a search page")
    return repo


def report(root: Path, branch: str) -> Path:
    return next((root / "reports" / branch.replace("/", "__")).glob("*/verdict.json")).parent


def test_passes_on_an_unbroken_branch(tmp_path: Path) -> None:
    need_chromium()
    repo = e2e_repo(tmp_path)
    repo.branch("walnut/docs", {"NOTES.md": "# notes\n"})
    res = run_gates("run", "--branch", "walnut/docs", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    verdict = json.loads((report(repo.path, "walnut/docs") / "verdict.json").read_text())
    gate = verdict["gates"][0]
    assert gate["status"] == "pass" and gate["metrics"]["tests"]["passed"] == 2


def test_a_branch_that_breaks_the_page_is_blocked_with_a_screenshot(tmp_path: Path) -> None:
    need_chromium()
    repo = e2e_repo(tmp_path)
    repo.branch("acacia/redesign", {"app.py": APP.replace("SEARCH_BOX = True",
                                                          "SEARCH_BOX = False")})
    res = run_gates("run", "--branch", "acacia/redesign", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    out = report(repo.path, "acacia/redesign")
    verdict = json.loads((out / "verdict.json").read_text())
    gate = verdict["gates"][0]
    assert gate["status"] == "fail" and gate["metrics"]["tests"] == {
        "passed": 1, "failed": 1, "error": 0, "skipped": 0}
    [finding] = gate["findings"]
    assert finding["severity"] == "high" and finding["blocking"]
    assert finding["path"] == "tests/e2e/test_search.py"
    assert "test_search_finds_the_drill[chromium] failed" in finding["message"]
    for kind in ("screenshot", "trace", "console"):
        assert (out / finding["extra"][kind]).is_file(), kind
        assert finding["extra"][kind] in gate["artifacts"]
    assert finding["extra"]["screenshot"].endswith(".png")
    assert "search box missing" in (out / finding["extra"]["console"]).read_text()
    summary = (out / "summary.md").read_text()
    assert f"[screenshot]({finding['extra']['screenshot']})" in summary


def test_app_dying_during_the_tests_is_an_error_not_a_failure(tmp_path: Path) -> None:
    """A crash of the app under test is not the tests' verdict: `error`, with its log."""
    need_chromium()
    repo = e2e_repo(tmp_path)
    dies = APP.replace('        if url.path == "/api/search":\n',
                       '        if url.path == "/api/search":\n'
                       '            print("search backend lost", flush=True)\n'
                       '            import os; os._exit(3)\n')
    assert dies != APP
    repo.branch("acacia/crash", {"app.py": dies})
    res = run_gates("run", "--branch", "acacia/crash", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gate = json.loads((report(repo.path, "acacia/crash") / "verdict.json").read_text()
                      )["gates"][0]
    assert gate["status"] == "error" and gate["blocking"]
    assert "the app died during the e2e tests (exit 3)" in gate["reason"]
    assert "search backend lost" in gate["reason"]


def test_missing_browser_is_an_error_that_says_how_to_install(tmp_path: Path) -> None:
    repo = e2e_repo(tmp_path, CONFIG + 'chromium = "/nonexistent"\n')
    repo.branch("walnut/docs", {"NOTES.md": "# notes\n"})
    res = run_gates("run", "--branch", "walnut/docs", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1
    gate = json.loads((report(repo.path, "walnut/docs") / "verdict.json").read_text())["gates"][0]
    assert gate["status"] == "error"
    assert "no Chromium at /nonexistent" in gate["reason"]
    assert "apt-get install chromium" in gate["reason"]


def test_no_tests_configured_skips(tmp_path: Path) -> None:
    repo = e2e_repo(tmp_path, CONFIG.replace('tests = ["tests/e2e"]', ""))
    repo.branch("walnut/docs", {"NOTES.md": "# notes\n"})
    result = run_gate(repo, "walnut/docs", GATE)
    assert result.status == Status.SKIPPED and "[gates.e2e] tests" in result.reason


def test_no_app_and_no_server_of_its_own_is_an_error(tmp_path: Path) -> None:
    """Issue 26: a configured gate never skips; its suite needs [app] (it reads base_url)."""
    need_chromium()
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"tests/e2e/test_search.py": TEST,
                 "gates.toml": '[gates.e2e]\ntests = ["tests/e2e"]\n'}, "tests, no app")
    repo.branch("walnut/docs", {"NOTES.md": "# notes\n"})
    with gate_context(repo, "walnut/docs", GATE) as ctx, \
            pytest.raises(GateError, match=r"start no server .* set \[app\] command"):
        GATE.run(ctx)


def test_a_branch_that_deletes_the_tests_is_an_error(tmp_path: Path) -> None:
    repo = e2e_repo(tmp_path)
    repo.git("checkout", "-q", "-b", "acacia/cleanup")
    repo.git("rm", "-q", "-r", "tests/e2e")
    repo.git("commit", "-q", "-m", "drop the browser tests")
    repo.git("checkout", "-q", "main")
    with gate_context(repo, "acacia/cleanup", GATE) as ctx, \
            pytest.raises(GateError, match="not in the tree under test: tests/e2e"):
        GATE.run(ctx)


def test_a_branch_that_deletes_part_of_the_tests_gets_a_finding(tmp_path: Path) -> None:
    """The rest still runs and passes; the deleted file (the suite's conftest) is a
    high finding (gates.apptest.suite.deleted_tests, shared with the auth gate)."""
    need_chromium()
    repo = e2e_repo(tmp_path)
    repo.git("checkout", "-q", "-b", "acacia/trim")
    repo.git("rm", "-q", "tests/e2e/conftest.py")
    repo.git("commit", "-q", "-m", "drop the conftest")
    repo.git("checkout", "-q", "main")
    result = run_gate(repo, "acacia/trim", GATE)
    assert result.metrics["tests"]["passed"] == 2
    [f] = result.findings
    assert (f.rule, f.path, f.severity, f.gate) == (
        "tests-deleted", "tests/e2e/conftest.py", Severity.HIGH, "e2e")
    assert "one of the e2e tests" in f.message


def test_tests_that_cannot_be_collected_are_an_error(tmp_path: Path) -> None:
    need_chromium()
    repo = e2e_repo(tmp_path)
    repo.branch("acacia/typo", {"tests/e2e/test_search.py": TEST + "\nimport nonexistent_mod\n"})
    with gate_context(repo, "acacia/typo", GATE) as ctx, \
            pytest.raises(GateError, match=r"(?s)could not run the e2e tests.*nonexistent_mod"):
        GATE.run(ctx)


# -- the sample cluster (gates/demo) --------------------------------------------------


def test_the_demo_playwright_tests_pass_through_the_gate(tmp_path: Path) -> None:
    need_chromium()
    demo, env = demo_repo(tmp_path)
    res = run_gates("run", "--branch", "walnut/catalog", "--gate", "e2e", "--no-status",
                    cwd=demo, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    gate = json.loads((report(demo, "walnut/catalog") / "verdict.json").read_text()
                      )["gates"][0]
    assert gate["status"] == "pass" and gate["metrics"]["tests"]["passed"] >= 3
    assert gate["metrics"]["tests"]["failed"] == gate["metrics"]["tests"]["error"] == 0


def test_a_hook_that_turns_the_broken_page_green_is_caught(tmp_path: Path) -> None:
    """Issue 20: the same UI break plus a conftest hookwrapper that rewrites failures into
    passes: the suite goes green, the shared tamper scan blocks the branch."""
    need_chromium()
    repo = e2e_repo(tmp_path)
    hook = failure_hiding_conftest(CONFTEST)
    repo.branch("acacia/redesign", {"app.py": APP.replace("SEARCH_BOX = True", "SEARCH_BOX = False"),
                                    "tests/e2e/conftest.py": hook})
    res = run_gates("run", "--branch", "acacia/redesign", "--gate", "e2e", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gate = json.loads((report(repo.path, "acacia/redesign") / "verdict.json").read_text()
                      )["gates"][0]
    assert gate["metrics"]["tests"]["failed"] == 0  # the hook hid the failure …
    [finding] = [f for f in gate["findings"] if f["blocking"]]
    assert finding["rule"] == "tamper-harness"  # … and is named for it
    assert "pytest_runtest_makereport" in finding["message"]
    assert finding["path"] == "tests/e2e/conftest.py"
