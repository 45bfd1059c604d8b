"""The repo's own auth tests (pytest), run against the app the gate started.

The tests are code of the branch: they run in a subprocess with the scrubbed
environment plus `[app] env` (a test may forge tokens with the test app's
secret), from the tree's root. The app's URL reaches them as GATES_BASE_URL and
as `--base-url` — the option of pytest-playwright or pytest-base-url when one is
installed, else of our small plugin `gates.apptest.pytest_baseurl`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from gates.apptest import suite
from gates.apptest.app import RunningApp
from gates.apptest.junit import TestCase
from gates.apptest.suite import base_url_args
from gates.gate import GateContext


def run(ctx: GateContext, app: RunningApp, tests: Sequence[str], marker: str,
        args: Sequence[str], env: Mapping[str, str]) -> tuple[list[TestCase], str]:
    """Run them; their test cases and output. GateError when pytest could not run them."""
    ctx.artifacts.mkdir(parents=True, exist_ok=True)
    junit = ctx.artifacts / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", *tests, "-p", "no:cacheprovider",
           *base_url_args(app.base_url), "--junitxml", str(junit), "-o", "junit_family=xunit1",
           "-q", "--color=no", *(["-m", marker] if marker else []), *args]
    where = ", ".join(tests) or "the repo"
    return suite.run(
        ctx, app, cmd, junit=junit, env={**env, "GATES_BASE_URL": app.base_url},
        what="auth tests", none_collected=f"pytest collected no auth tests from {where}"
        + (f" with -m {marker}" if marker else ""))


def counts(cases: Sequence[TestCase]) -> dict[str, int]:
    return {o: sum(1 for c in cases if c.outcome == o)
            for o in ("passed", "failed", "error", "skipped")}
