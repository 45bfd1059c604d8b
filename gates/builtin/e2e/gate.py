"""The e2e gate: the repo's Playwright tests (pytest + pytest-playwright) in Chromium,
against the merge result's app started on a loopback port.

The tests are code of the branch: they run in a subprocess with the scrubbed
environment. The browser is found by `gates.builtin.e2e.browser` and handed to
pytest-playwright by the `gates.builtin.e2e.pytest_browser` plugin. Each failing test keeps
its screenshot, trace and browser console log under the gate's artifacts; the
findings and the summary link them.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from gates.apptest import junit as junit_parse
from gates.apptest import suite, tamper
from gates.apptest.app import AppNotConfigured, RunningApp
from gates.apptest.junit import TestCase
from gates.builtin.e2e.browser import find_chromium
from gates.config import GateSection
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

# what pytest-playwright attaches to a failed test, and what we call it
ARTIFACT_KINDS = {"playwright_screenshot": "screenshot", "playwright_trace": "trace",
                  "playwright_console": "console", "playwright_video": "video"}


class E2ESection(GateSection):
    """[gates.e2e]: the common keys and those of `E2E.defaults`."""

    tests: list[str]
    chromium: str
    args: list[str]


class E2E(BaseGate[E2ESection]):
    name = "e2e"
    needs_app = True
    defaults: ClassVar[dict[str, Any]] = {
        "tests": [],  # files or folders of Playwright tests in the repo, e.g. ["tests/e2e"]
        "chromium": "",  # path of a Chromium; empty: GATES_CHROMIUM, Playwright's, PATH
        "args": [],  # extra pytest arguments
        "timeout": 600.0,
    }


    def run(self, ctx: GateContext) -> GateResult:
        tests = list(self.section(ctx)["tests"])
        if not tests:
            return GateResult.skipped(self.name, "no Playwright tests configured "
                                      '(set [gates.e2e] tests = ["tests/e2e"])')
        suite.check_paths(ctx.worktree, tests, "e2e tests")
        deleted = suite.deleted_tests(ctx, tests, "e2e tests")
        if importlib.util.find_spec("pytest_playwright") is None:
            raise GateError("pytest-playwright is not installed (pip install pytest-playwright)")
        try:
            with ctx.app() as app:
                chromium = find_chromium(self.section(ctx)["chromium"])
                cases, output = self._pytest(ctx, app, tests, chromium.path)
        except AppNotConfigured as e:
            return GateResult.skipped(self.name, str(e))
        result = self._result(ctx, cases, output, str(chromium.path))
        # what the branch did to the suite itself (gates.apptest.tamper, as the tests gate)
        result.findings = deleted + tamper.scan(ctx, tests, only_roots=True) + result.findings
        return result

    def _pytest(self, ctx: GateContext, app: RunningApp, tests: list[str], chromium: Path
                ) -> tuple[list[TestCase], str]:
        ctx.artifacts.mkdir(parents=True, exist_ok=True)
        junit = ctx.artifacts / "junit.xml"
        cmd = [
            sys.executable, "-m", "pytest", *tests,
            "-p", "gates.builtin.e2e.pytest_browser", "-p", "no:cacheprovider",
            "--browser", "chromium", "--base-url", app.base_url,
            "--junitxml", str(junit), "-o", "junit_family=xunit1",
            "--screenshot", "only-on-failure", "--tracing", "retain-on-failure",
            "--output", str(ctx.artifacts / "results"),
            "-q", "--color=no", *ctx.config["args"],
        ]
        env = {"GATES_CHROMIUM_PATH": str(chromium), "GATES_BASE_URL": app.base_url,
               "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
        cases, output = suite.run(
            ctx, app, cmd, junit=junit, env=env, what="e2e tests",
            none_collected=f"pytest collected no tests from {', '.join(tests)}")
        failed = [c for c in cases if c.outcome in junit_parse.FAILED]
        if failed and all("BrowserType.launch" in (c.message + c.text) for c in failed):
            why = junit_parse.first_line(failed[0].message or failed[0].text)
            raise GateError(f"Chromium at {chromium} did not start: {why}")
        return cases, output

    def _result(self, ctx: GateContext, cases: list[TestCase], output: str, chromium: str
                ) -> GateResult:
        report_dir = ctx.artifacts.parent

        def links(case: TestCase) -> dict[str, object]:
            found: dict[str, object] = {}
            for prop, kind in ARTIFACT_KINDS.items():
                for value in case.props(prop):
                    path = Path(value)
                    path = path if path.is_absolute() else ctx.worktree / path
                    if path.is_file() and path.resolve().is_relative_to(report_dir.resolve()):
                        found.setdefault(kind, path.resolve().relative_to(
                            report_dir.resolve()).as_posix())
            return found

        findings = junit_parse.findings_from_junit(cases, gate=self.name, severity=Severity.HIGH,
                                                   tool="playwright", more=links)
        artifacts = [f"{self.name}/{n}" for n in ("junit.xml", "pytest.log", "app.log")
                     if (ctx.artifacts / n).is_file()]
        for f in findings:
            artifacts += [str(f.extra[k]) for k in ("screenshot", "trace", "console")
                          if k in f.extra]
        counts = {o: sum(1 for c in cases if c.outcome == o)
                  for o in ("passed", "failed", "error", "skipped")}
        return GateResult(
            gate=self.name, status=Status.PASS, findings=findings, artifacts=artifacts,
            metrics={"tests": counts, "chromium": chromium,
                     "tools": {"playwright": _version("playwright"),
                               "pytest-playwright": _version("pytest-playwright")}},
            sections=_sections(findings, counts),
        )


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def _sections(findings: list[Finding], counts: dict[str, int]) -> list[Section]:
    total = sum(counts.values())
    head = Paragraph([plain(
        f"{total} Playwright test(s): {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['error']} errored, {counts['skipped']} skipped.")])
    if not findings:
        return [head]
    rows = []
    for f in findings:
        why = f.message.split(": ", 1)[1] if ": " in f.message else f.extra.get("outcome", "")
        links = [[Text(k, href=str(f.extra[k]))] if k in f.extra else [plain("—")]
                 for k in ("screenshot", "trace", "console")]
        rows.append([[code(f.extra.get("test", ""))], [plain(why)], *links])
    return [head, Table(["Test", "Why", "Screenshot", "Trace", "Console"], rows),
            Paragraph([plain("Open a trace with:")]),
            Commands(["playwright show-trace <trace.zip>"])]


GATE = E2E()
