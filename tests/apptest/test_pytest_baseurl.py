"""Our `--base-url` for pytest runs without pytest-playwright or pytest-base-url: the real
pytest in a subprocess, with plugin autoloading off so that none of them is there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TEST = """
def test_url(base_url, pytestconfig):
    assert base_url == "{expected}"
    assert pytestconfig.getoption("base_url") == "{expected}"
"""


def run(tmp_path: Path, expected: str, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_url.py").write_text(TEST.format(expected=expected))
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GATES_", "PYTEST_"))}
    environ.update({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **(env or {})})
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "gates.apptest.pytest_baseurl", *args, "test_url.py"],
                          cwd=tmp_path, env=environ, text=True, capture_output=True, timeout=60)


def test_the_option_and_the_fixture(tmp_path: Path) -> None:
    res = run(tmp_path, "http://127.0.0.1:9", "--base-url", "http://127.0.0.1:9")
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_environment_when_no_option_is_given(tmp_path: Path) -> None:
    res = run(tmp_path, "http://127.0.0.1:8", env={"GATES_BASE_URL": "http://127.0.0.1:8"})
    assert res.returncode == 0, res.stdout + res.stderr
