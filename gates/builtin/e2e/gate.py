"""The e2e gate: the repo's Playwright tests (pytest + pytest-playwright) in Chromium,
against the merge result's `[app]` started on a loopback port, or the server the suite
starts itself (pytest-flask's or pytest-django's `live_server`, Django's
`StaticLiveServerTestCase`, a conftest server thread: `gates.builtin.e2e.shapes`).

A configured gate never skips: no browser, no pytest-playwright, nothing to serve the
pages, no test that ran — each is `error` with what to do. A failing test that passes
when run once more is `flaky` (reported, not blocking unless `flaky_blocks`); one that
fails on the base too is existing debt (the base's suite runs only when the branch has
failures, remembered per base commit) — the tests gate's mechanism, `gates.apptest.suite`.

The tests are code of the branch: they run in a subprocess with the scrubbed
environment (`gates.builtin.e2e.runner`; Node's Playwright Test: `gates.builtin.e2e.node`). The browser is found by `gates.builtin.e2e.browser` and handed to
pytest-playwright by the `gates.builtin.e2e.pytest_browser` plugin. Each failing test keeps
its screenshot, trace and browser console log under the gate's artifacts; the
findings and the summary link them.
"""

from __future__ import annotations

import importlib.util
from typing import Any, ClassVar

from gates.apptest import junit as junit_parse
from gates.apptest import suite, tamper
from gates.apptest.junit import TestCase
from gates.builtin.e2e import node as node_runner
from gates.builtin.e2e.browser import find_chromium
from gates.builtin.e2e.runner import E2ESection, Runner
from gates.builtin.e2e.shapes import Shape
from gates.errors import ConfigError
from gates.gate import BaseGate, GateContext, GateError
from gates.model import (
    Commands,
    Finding,
    GateResult,
    Paragraph,
    Section,
    Severity,
    Status,
    Table,
    Text,
    code,
    plain,
)


class E2E(BaseGate[E2ESection]):
    name = "e2e"
    needs_app = True
    defaults: ClassVar[dict[str, Any]] = {
        "tests": [],  # files or folders of Playwright tests in the repo, e.g. ["tests/e2e"]
        "chromium": "",  # path of a Chromium; empty: GATES_CHROMIUM, Playwright's, PATH
        "args": [],  # extra pytest arguments
        "flaky_blocks": False,  # a test that fails, then passes on a re-run, blocks
        "runner": "pytest",  # or "playwright-test": Node's `npx playwright test`
        "timeout": 600.0,
    }

    def run(self, ctx: GateContext) -> GateResult:
        sec = self.section(ctx)
        tests = list(sec["tests"])
        node = sec["runner"] == node_runner.RUNNER
        if sec["runner"] not in ("pytest", node_runner.RUNNER):
            raise ConfigError(f'[gates.e2e] runner = "{sec["runner"]}": use "pytest" or '
                              f'"{node_runner.RUNNER}"')
        if not tests and not node:
            return GateResult.skipped(self.name, "no Playwright tests configured "
                                      '(set [gates.e2e] tests = ["tests/e2e"])')
        # from here on the gate is configured: whatever keeps it from running is an error
        suite.check_paths(ctx.worktree, tests, "e2e tests")
        deleted = suite.deleted_tests(ctx, tests, "e2e tests") if tests else []
        runner: Runner
        if node:
            chromium = find_chromium(sec["chromium"])
            runner = node_runner.NodeRunner(ctx, sec, chromium.path)
            runner.check()
        else:
            if importlib.util.find_spec("pytest_playwright") is None:
                raise GateError("pytest-playwright is not installed "
                                "(pip install pytest-playwright)")
            chromium = find_chromium(sec["chromium"])
            runner = Runner(ctx, sec, chromium.path)
        shape = runner.shape(ctx.worktree)
        with runner.app(ctx.worktree, shape) as app:
            first = runner.execute(ctx.worktree, shape, app)
            failed = first.failed()
            flaky = suite.flaky(ctx, failed, lambda ids: runner.execute(
                ctx.worktree, shape, app, only=ids, log="rerun"))
        stuck = [c for c in failed if c.test_id not in flaky]
        on_base = suite.base_failures(ctx, runner.salt(), runner.base_run) if stuck else set()
        result = self._result(ctx, runner, first.cases, str(chromium.path), shape, flaky,
                              on_base, sec["flaky_blocks"])
        # what the branch did to the suite itself (gates.apptest.tamper, as the tests gate)
        tampered = tamper.scan(ctx, tests, only_roots=True) if tests else []
        result.findings = deleted + tampered + result.findings
        return result

    def _result(self, ctx: GateContext, runner: Runner, cases: list[TestCase], chromium: str,
                shape: Shape, flaky: set[str], on_base: set[str], flaky_blocks: bool
                ) -> GateResult:
        report_dir = ctx.artifacts.parent

        def links(case: TestCase) -> dict[str, object]:
            found: dict[str, object] = {"node_id": suite.node_id(case)}
            for kind, path in runner.attached(case):
                if path.is_file() and path.resolve().is_relative_to(report_dir.resolve()):
                    found.setdefault(kind, path.resolve().relative_to(
                        report_dir.resolve()).as_posix())
            return found

        findings = suite.judge_failures(
            junit_parse.findings_from_junit(cases, gate=self.name, severity=Severity.HIGH,
                                            tool="playwright", more=links),
            flaky, on_base, flaky_blocks=flaky_blocks)
        artifacts = [f"{self.name}/{n}" for n in ("junit.xml", "pytest.log", "playwright.log",
                                                  "rerun.log", "app.log")
                     if (ctx.artifacts / n).is_file()]
        for f in findings:
            artifacts += [str(f.extra[k]) for k in ("screenshot", "trace", "console")
                          if k in f.extra]
        counts = {o: sum(1 for c in cases if c.outcome == o)
                  for o in ("passed", "failed", "error", "skipped")}
        return GateResult(
            gate=self.name, status=Status.PASS, findings=findings, artifacts=artifacts,
            metrics={"tests": counts, "chromium": chromium, "server": shape.name,
                     "server_evidence": shape.evidence, "flaky": sorted(flaky),
                     "failing_on_base": sorted(on_base),
                     "runner": runner.name, "tools": runner.tools()},
            sections=_sections(findings, counts, shape, runner),
        )


def _sections(findings: list[Finding], counts: dict[str, int], shape: Shape,
              runner: Runner) -> list[Section]:
    total = sum(counts.values())
    head = Paragraph([plain(
        f"{total} Playwright test(s): {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['error']} errored, {counts['skipped']} skipped.")])
    served = Paragraph([Text("Served by", strong=True), plain(" " + shape.describe() + ".")])
    tests = [f for f in findings if f.rule in ("test-failed", "flaky")]
    if not tests:
        return [head, served]
    rows = []
    for f in tests:
        why = f.message.split(": ", 1)[1] if ": " in f.message else f.extra.get("outcome", "")
        state = ("flaky" if f.rule == "flaky" else "fails on the base too" if not f.new
                 else "new failure")
        links = [[Text(k, href=str(f.extra[k]))] if k in f.extra else [plain("—")]
                 for k in ("screenshot", "trace", "console")]
        rows.append([[code(str(f.extra.get("test", "")))], [plain(state)], [plain(str(why))],
                     *links])
    ids = [str(f.extra["node_id"]) for f in tests if f.extra.get("node_id")]
    return [head, served, Table(["Test", "State", "Why", "Screenshot", "Trace", "Console"], rows),
            Paragraph([plain("Run them again with, and open a trace with:")]),
            Commands(runner.again(ids))]


GATE = E2E()
