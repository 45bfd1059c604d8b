"""The typed contracts hold: mypy, configured in pyproject.toml (strict on the spine),
reports no error on `gates/`."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_mypy_is_clean() -> None:
    res = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT,
                         text=True, capture_output=True, timeout=540)
    assert res.returncode == 0, res.stdout + res.stderr
