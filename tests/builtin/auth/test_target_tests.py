"""Running a repo's auth tests: where they may be, how the app's URL reaches them.
A whole run against a live app is in tests/builtin/auth/test_gate.py."""

from __future__ import annotations

from gates.apptest import junit
from gates.builtin.auth import target_tests


def test_base_url_uses_an_installed_plugin_when_there_is_one() -> None:
    # pytest-playwright is installed here and defines --base-url itself
    assert target_tests.base_url_args("http://127.0.0.1:9") == ["--base-url", "http://127.0.0.1:9"]


def test_counts() -> None:
    cases = [junit.TestCase("c", n, None, None, 0.0, o) for n, o in
             [("a", "passed"), ("b", "failed"), ("c", "passed"), ("d", "skipped")]]
    assert target_tests.counts(cases) == {"passed": 2, "failed": 1, "error": 0, "skipped": 1}
