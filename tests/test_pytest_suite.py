"""A repo's pytest suite against the gate's app: where it may be. Whole runs, with the
app dying under them, are in tests/builtin/test_e2e.py and test_auth.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates import pytest_suite
from gates.gate import GateError


def test_paths_must_be_inside_the_tree(tmp_path: Path) -> None:
    (tmp_path / "tests" / "auth").mkdir(parents=True)
    pytest_suite.check_paths(tmp_path, ["tests/auth"], "auth tests")
    pytest_suite.check_paths(tmp_path, [], "auth tests")
    with pytest.raises(GateError, match=r"^the configured auth tests are not in the tree "
                       r"under test: tests/authz, \.\./x$"):
        pytest_suite.check_paths(tmp_path, ["tests/auth", "tests/authz", "../x"], "auth tests")
