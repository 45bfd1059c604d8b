"""A repo's own pytest suite run against the app a gate started (the e2e and auth
gates): its paths checked, its output kept, its JUnit read — and every way it can
go wrong that is not a failing test ends as `GateError`, never a pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from gates import junit_parse
from gates.app import RunningApp
from gates.gate import GateContext, GateError
from gates.junit_parse import TestCase

OUTPUT_TAIL = 1500  # characters of a tool's output quoted in a reason


def check_paths(root: Path, tests: Sequence[str], what: str) -> None:
    """Every configured path exists inside the tree under test."""
    root = root.resolve()
    missing = [t for t in tests
               if not (root / t).resolve().is_relative_to(root) or not (root / t).exists()]
    if missing:
        raise GateError(f"the configured {what} are not in the tree under test: "
                        + ", ".join(missing))


def run(ctx: GateContext, app: RunningApp, cmd: Sequence[str], *, junit: Path,
        env: Mapping[str, str], what: str, none_collected: str) -> tuple[list[TestCase], str]:
    """Run `cmd` (pytest writing `junit`) in the tree; its test cases and output.
    `pytest.log` goes to the gate's artifacts."""
    res = ctx.run(list(cmd), cwd=ctx.worktree, env=dict(env))
    output = res.output
    (ctx.artifacts / "pytest.log").write_text(output + "\n", encoding="utf-8")
    if res.returncode == 5:
        raise GateError(none_collected)
    if res.returncode not in (0, 1):
        raise GateError(f"pytest could not run the {what} (exit {res.returncode}):\n"
                        f"{output[-OUTPUT_TAIL:]}")
    if not app.alive():
        raise GateError(f"the app died during the {what} (exit {app.process.returncode}); "
                        f"last lines of its log:\n{app.log_tail()}")
    cases = junit_parse.parse_junit(junit)
    if res.returncode == 1 and not any(c.outcome in junit_parse.FAILED for c in cases):
        raise GateError(f"pytest failed without a failing test:\n{output[-OUTPUT_TAIL:]}")
    return cases, output
