"""The pytest plugin of the e2e gate, run the way the gate runs it (a pytest subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gates.apptest.junit import parse_junit
from tests.conftest import need_chromium

pytestmark = pytest.mark.slow

TESTS = """
def test_page(page):
    page.set_content("<script>console.log('hello from the page')</script><input id=q>")
    assert page.locator("#q").count() == 1
"""

FAILING = """
def test_broken(page):
    page.set_content("<script>console.warn('careful'); throw new Error('kaput')</script><p>x</p>")
    assert page.locator("#q").count() == 1, "the search box is gone"
"""


def run(folder: Path, files: dict[str, str], plugin: bool = True
        ) -> tuple[subprocess.CompletedProcess[str], Path]:
    chromium = need_chromium()
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    junit = folder / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", str(folder), "-q", "-p", "no:cacheprovider",
           "--browser", "chromium", "--junitxml", str(junit), "-o", "junit_family=xunit1",
           "--screenshot", "only-on-failure", "--output", str(folder / "results")]
    if plugin:
        cmd[3:3] = ["-p", "gates.builtin.e2e.pytest_browser"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "GATES_CHROMIUM_PATH": str(chromium.path)}
    res = subprocess.run(cmd, cwd=folder, env=env, text=True, capture_output=True, timeout=180)
    return res, junit


def test_a_conftest_that_extends_the_launch_args_keeps_ours(tmp_path: Path) -> None:
    res, _ = run(tmp_path, {"test_a.py": TESTS, "conftest.py": """
        import pytest

        @pytest.fixture(scope="session")
        def browser_type_launch_args(browser_type_launch_args):
            assert browser_type_launch_args["executable_path"]
            assert "--no-sandbox" in browser_type_launch_args["args"]
            return {**browser_type_launch_args, "slow_mo": 1}
        """})
    assert res.returncode == 0, res.stdout + res.stderr


def test_a_conftest_that_replaces_the_launch_args_still_gets_our_browser(tmp_path: Path) -> None:
    res, _ = run(tmp_path, {"test_a.py": TESTS, "conftest.py": """
        import pytest

        @pytest.fixture(scope="session")
        def browser_type_launch_args():
            return {"slow_mo": 1}
        """})
    assert res.returncode == 0, res.stdout + res.stderr


def test_a_failing_test_keeps_its_console_log_and_screenshot(tmp_path: Path) -> None:
    res, junit = run(tmp_path, {"test_a.py": TESTS, "test_b.py": FAILING})
    assert res.returncode == 1, res.stdout + res.stderr
    cases = {c.name: c for c in parse_junit(junit)}
    assert cases["test_page[chromium]"].outcome == "passed"
    assert cases["test_page[chromium]"].props("playwright_console") == []
    broken = cases["test_broken[chromium]"]
    assert broken.outcome == "failed" and "the search box is gone" in broken.message
    console = Path(broken.props("playwright_console")[0])
    text = console.read_text()
    assert "[warning] careful" in text and "[pageerror]" in text and "kaput" in text
    shot = broken.props("playwright_screenshot")[0]
    assert (tmp_path / shot).is_file() or Path(shot).is_file()


def test_without_the_plugin_there_is_no_browser(tmp_path: Path) -> None:
    from gates.builtin.e2e.browser import playwright_managed

    if playwright_managed() is not None:
        pytest.skip("Playwright's own Chromium is installed here")
    res, _ = run(tmp_path, {"test_a.py": TESTS}, plugin=False)
    assert res.returncode != 0 and "Executable doesn't exist" in res.stdout
