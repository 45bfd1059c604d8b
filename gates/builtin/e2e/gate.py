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
environment. The browser is found by `gates.builtin.e2e.browser` and handed to
pytest-playwright by the `gates.builtin.e2e.pytest_browser` plugin. Each failing test keeps
its screenshot, trace and browser console log under the gate's artifacts; the
findings and the summary link them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import shlex
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from gates.apptest import junit as junit_parse
from gates.apptest import suite, tamper
from gates.apptest.app import RunningApp
from gates.apptest.junit import TestCase
from gates.builtin.e2e import node as node_runner
from gates.builtin.e2e import shapes
from gates.builtin.e2e.browser import find_chromium
from gates.builtin.e2e.shapes import Shape
from gates.config import GateSection
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

# what pytest-playwright attaches to a failed test, and what we call it
ARTIFACT_KINDS = {"playwright_screenshot": "screenshot", "playwright_trace": "trace",
                  "playwright_console": "console", "playwright_video": "video"}


class E2ESection(GateSection):
    """[gates.e2e]: the common keys and those of `E2E.defaults`."""

    tests: list[str]
    chromium: str
    args: list[str]
    flaky_blocks: bool
    runner: str


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
        runner: Runner | node_runner.NodeRunner
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
        result = self._result(ctx, first.cases, str(chromium.path), shape, flaky, on_base,
                              sec["flaky_blocks"], node=node)
        # what the branch did to the suite itself (gates.apptest.tamper, as the tests gate)
        tampered = tamper.scan(ctx, tests, only_roots=True) if tests else []
        result.findings = deleted + tampered + result.findings
        return result

    def _result(self, ctx: GateContext, cases: list[TestCase], chromium: str, shape: Shape,
                flaky: set[str], on_base: set[str], flaky_blocks: bool, *,
                node: bool = False) -> GateResult:
        report_dir = ctx.artifacts.parent

        def attached(case: TestCase) -> list[tuple[str, Path]]:
            if node:  # Playwright Test's JUnit: [[ATTACHMENT|path]] beside junit.xml
                return [(k, p) for k, p in
                        node_runner.attachments(case, ctx.artifacts).items()]
            return [(kind, Path(value) if Path(value).is_absolute() else ctx.worktree / value)
                    for prop, kind in ARTIFACT_KINDS.items() for value in case.props(prop)]

        def links(case: TestCase) -> dict[str, object]:
            found: dict[str, object] = {"node_id": suite.node_id(case)}
            for kind, path in attached(case):
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
                     "runner": node_runner.RUNNER if node else "pytest",
                     "tools": ({"@playwright/test": node_runner.version(ctx.workspace.repo)}
                               if node else
                               {"playwright": _version("playwright"),
                                "pytest-playwright": _version("pytest-playwright")})},
            sections=_sections(findings, counts, shape, node=node),
        )


# -- running the suite ----------------------------------------------------------------


class Runner:
    """The browser suite of one gate run: what serves it, and how to run it on a tree."""

    def __init__(self, ctx: GateContext, sec: E2ESection, chromium: Path) -> None:
        self.ctx, self.sec, self.chromium = ctx, sec, chromium
        self.tests = list(sec["tests"])
        self.with_app = bool(ctx.settings["app"]["command"])
        self.own: Shape | None = None

    def shape(self, tree: Path) -> Shape:
        """What serves the suite in `tree`: `[app]` when configured (as always), else the
        server the suite starts itself; neither is an error saying what to set."""
        self.own = shapes.detect(tree, self.tests)
        if self.with_app:
            also = [f"the suite also starts its own: {self.own.describe()}"] if self.own else []
            return Shape(shapes.APP, ["the [app] command, started by gates", *also])
        if self.own is None:
            raise GateError(
                f"the e2e tests in {', '.join(self.tests)} start no server of their own (no "
                "live_server fixture, LiveServerTestCase or conftest server thread found) and "
                "no application is configured: set [app] command in gates.toml")
        return self.own

    def salt(self) -> list[str]:
        """What the base's failures depend on besides the base commit."""
        sec = dict(self.sec)
        return [json.dumps({k: sec[k] for k in ("tests", "args")}, sort_keys=True),
                json.dumps(self.ctx.settings["app"]["command"]), self.ctx.settings.digest]

    @contextlib.contextmanager
    def app(self, tree: Path, shape: Shape, label: str = "app"
            ) -> Iterator[RunningApp | None]:
        if shape.name != shapes.APP:
            yield None
            return
        with self.ctx.app(tree=tree, label=label) as app:
            yield app

    def execute(self, tree: Path, shape: Shape, app: RunningApp | None, *,
                only: Sequence[str] | None = None, log: str = "pytest") -> suite.SuiteRun:
        ctx, first = self.ctx, log == "pytest"
        ctx.artifacts.mkdir(parents=True, exist_ok=True)
        junit = ctx.artifacts / ("junit.xml" if first else f"{log}.xml")
        results = ctx.artifacts / ("results" if first else f"{log}-results")
        # pytest-flask and pytest-django both define live_server: only the suite's is on
        plugin = self.own.plugin if self.own else None
        blocked = [a for p in sorted(set(shapes.PLUGIN.values()) - {plugin}) if plugin
                   for a in ("-p", f"no:{p}")]
        cmd = [
            sys.executable, "-m", "pytest", *(only or self.tests),
            "-p", "gates.builtin.e2e.pytest_browser", "-p", "no:cacheprovider",
            *blocked,
            "--browser", "chromium", *(["--base-url", app.base_url] if app else []),
            "--junitxml", str(junit), "-o", "junit_family=xunit1",
            "--screenshot", "only-on-failure", "--tracing", "retain-on-failure",
            "--output", str(results), "-q", "--color=no", *self.sec["args"],
        ]
        env = {"GATES_CHROMIUM_PATH": str(self.chromium), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
               **suite.import_path(tree)}
        if app:
            env["GATES_BASE_URL"] = app.base_url
        if self.own and self.own.plugin == "django":
            # the sync Playwright API runs an event loop in the test's thread: Django's
            # ORM refuses it unless told (Playwright's documented setting for Django)
            env["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        running = app

        def gone() -> str | None:
            if running is None or running.alive():
                return None
            return (f"the app died during the e2e tests (exit {running.process.returncode}); "
                    f"last lines of its log:\n{running.log_tail()}")

        res = suite.execute(ctx, cmd, junit=junit, env=env, what="e2e tests", cwd=tree,
                            log=f"{log}.log", alive=gone, none_collected=(
                                "no tests ran: pytest collected no tests from "
                                f"{', '.join(only or self.tests)}"))
        failed = res.failed()
        if failed and all("BrowserType.launch" in (c.message + c.text) for c in failed):
            why = junit_parse.first_line(failed[0].message or failed[0].text)
            raise GateError(f"Chromium at {self.chromium} did not start: {why}")
        if all(c.outcome == "skipped" for c in res.cases):
            why = junit_parse.first_line(res.cases[0].message or res.cases[0].text)
            raise GateError(f"no tests ran: all {len(res.cases)} e2e test(s) were skipped "
                            f"({why}); a browser suite that runs nothing tests nothing")
        return res

    def base_run(self) -> suite.SuiteRun:
        """The base's suite, as configured, on the base commit; none when the base has
        no such suite yet (every failure is then new)."""
        tree = self.ctx.workspace.base_worktree()
        if not all((tree / t).exists() for t in self.tests):
            return suite.SuiteRun([], "", 0)
        own = self.own
        try:
            shape = self.shape(tree)
            with self.app(tree, shape, label="base-app") as app:
                return self.execute(tree, shape, app, log="base")
        except GateError as e:
            raise GateError(f"the base's e2e tests could not be run to tell existing "
                            f"failures from new ones: {e}") from None
        finally:
            self.own = own


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def _sections(findings: list[Finding], counts: dict[str, int], shape: Shape, *,
              node: bool = False) -> list[Section]:
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
    again = ([f"npx playwright test --grep {shlex.quote(node_runner.grep_for(ids))}",
              "npx playwright show-trace <trace.zip>"] if node else
             [f"python -m pytest {' '.join(ids)}", "playwright show-trace <trace.zip>"])
    return [head, served, Table(["Test", "State", "Why", "Screenshot", "Trace", "Console"], rows),
            Paragraph([plain("Run them again with, and open a trace with:")]),
            Commands(again)]


GATE = E2E()
