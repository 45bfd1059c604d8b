"""The base's tests still hold: each test file the branch modified or deleted is run in
its base version against the merge result's code. A base test that fails there, while
the branch's version of it passes (or is gone) and it did not already fail on the base,
means the branch changed the test to fit the code: a `tamper-test-changed` finding with
the assertion diff. A legitimate behaviour change is accepted by a person, through an
audited `[[suppress]]` entry (reason, expiry) in the trusted config.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gates import git
from gates.apptest import junit as junit_parse
from gates.apptest import suite, tamper
from gates.gate import GateContext, GateError
from gates.model import Finding

if TYPE_CHECKING:
    from gates.builtin.tests.gate import Runner


def changed_test_files(ctx: GateContext, roots: Sequence[str]) -> list[str]:
    """Test modules (not conftest) the branch modifies or deletes."""
    subj = ctx.subject
    modified = [c.path for c in subj.changed if c.status == "M"]
    return sorted(p for p in {*modified, *ctx.deleted}
                  if tamper.is_test_file(p, roots) and p.rsplit("/", 1)[-1] != "conftest.py"
                  and p.endswith(".py"))


def base_tests_hold(ctx: GateContext, runner: Runner, branch: suite.SuiteRun,
                    roots: Sequence[str], on_base: Callable[[], set[str]]) -> list[Finding]:
    files = changed_test_files(ctx, roots)
    if not files or runner.kind != "pytest":
        return []
    subj, repo = ctx.subject, ctx.workspace.repo
    assert subj.tree is not None
    tree = ctx.workspace.scratch / f"{ctx.name}-base-tests"
    git.export(repo, subj.tree, tree)
    git.export(repo, subj.base_commit, tree, files)
    with runner.app(tree, label="base-tests-app") as app:
        try:
            run = runner.execute(tree, app, only=files, log="base-tests.log")
        except GateError as e:
            why = junit_parse.first_line(str(e))
            return [tamper.finding(ctx.name, tamper.Tamper(
                "test-changed", p, None,
                f"the base's {p} no longer runs against the branch's code ({why}); the "
                "branch changed its tests with the code")) for p in files]
    failing = run.failed()
    if not failing:
        return []
    debt = on_base()
    outcome = {c.test_id: c.outcome for c in branch.cases}
    out = []
    for case in failing:
        if case.test_id in debt or outcome.get(case.test_id) in junit_parse.FAILED:
            continue
        path = case.file or ""
        now = ("passes" if outcome.get(case.test_id) == "passed" else
               "is skipped" if outcome.get(case.test_id) == "skipped" else "is gone")
        diff = _diff(repo, subj.base_commit, subj.tree, path, case.name)
        why = junit_parse.first_line(case.message or case.text)
        out.append(tamper.finding(ctx.name, tamper.Tamper(
            "test-changed", path, case.line,
            f"{case.test_id} as the base has it fails against the branch's code ({why}); "
            f"the branch's version {now}: the test was changed to fit the code",
            detail=diff)))
    return out


def _diff(repo: Path, base: str, tree: str, path: str, name: str) -> str:
    old = _function(git.show_file(repo, base, path) or "", name)
    new = _function(git.show_file(repo, tree, path) or "", name)
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "base", "branch",
                                 lineterm="", n=1)
    return "\n".join(list(lines)[:60])


def _function(text: str, name: str) -> str:
    bare = name.split("[", 1)[0]
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ""
    for n in ast.walk(tree):
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == bare:
            return ast.get_source_segment(text, n) or ""
    return ""
