"""The browser suite of one e2e gate run, and how to run it on a tree: `Runner` runs the
repo's pytest + pytest-playwright tests; `gates.builtin.e2e.node.NodeRunner` (Node's
Playwright Test) subclasses it and overrides what differs (what serves the suite, the
command, what a failed test attaches), so the gate judges both alike: the app and its
death, the artifact paths, the base's run, a Chromium that did not start, a suite that
skipped everything."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

from gates.apptest import junit as junit_parse
from gates.apptest import suite
from gates.apptest.app import RunningApp
from gates.apptest.junit import TestCase
from gates.builtin.e2e import shapes
from gates.builtin.e2e.shapes import Shape
from gates.config import GateSection
from gates.gate import GateContext, GateError

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


class Runner:
    """The pytest browser suite of one gate run: what serves it, and how to run it on a tree."""

    name = "pytest"  # [gates.e2e] runner
    log = "pytest.log"  # the first run's output, in the gate's artifacts
    launch = "BrowserType.launch"  # in every failure when Chromium did not start

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

    def has_suite(self, tree: Path) -> bool:
        """Whether `tree` (the base's) holds the suite as configured."""
        return all((tree / t).exists() for t in self.tests)

    @contextlib.contextmanager
    def app(self, tree: Path, shape: Shape, label: str = "app"
            ) -> Iterator[RunningApp | None]:
        if shape.name != shapes.APP:
            yield None
            return
        with self.ctx.app(tree=tree, label=label) as app:
            yield app

    def command(self, tree: Path, only: Sequence[str] | None, junit: Path, results: Path,
                app: RunningApp | None) -> tuple[list[str], dict[str, str]]:
        """The suite's command in `tree` (`only`: these test ids), writing JUnit to
        `junit` and failure artifacts under `results`; and its own environment."""
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
        env = suite.import_path(tree)
        if self.own and self.own.plugin == "django":
            # the sync Playwright API runs an event loop in the test's thread: Django's
            # ORM refuses it unless told (Playwright's documented setting for Django)
            env["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        return cmd, env

    def none_collected(self, only: Sequence[str] | None) -> str:
        return f"no tests ran: pytest collected no tests from {', '.join(only or self.tests)}"

    def launch_failure(self, case: TestCase) -> str:
        """Why Chromium did not start, from a test that failed on it."""
        return junit_parse.first_line(case.message or case.text)

    def execute(self, tree: Path, shape: Shape, app: RunningApp | None, *,
                only: Sequence[str] | None = None, log: str = "pytest") -> suite.SuiteRun:
        ctx, first = self.ctx, log == "pytest"
        ctx.artifacts.mkdir(parents=True, exist_ok=True)
        junit = ctx.artifacts / ("junit.xml" if first else f"{log}.xml")
        results = ctx.artifacts / ("results" if first else f"{log}-results")
        cmd, own_env = self.command(tree, only, junit, results, app)
        env = {"GATES_CHROMIUM_PATH": str(self.chromium), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
               **own_env}
        if app:
            env["GATES_BASE_URL"] = app.base_url

        def gone() -> str | None:
            if app is None or app.alive():
                return None
            return (f"the app died during the e2e tests (exit {app.process.returncode}); "
                    f"last lines of its log:\n{app.log_tail()}")

        res = suite.execute(ctx, cmd, junit=junit, env=env, what="e2e tests", cwd=tree,
                            log=self.log if first else f"{log}.log", alive=gone,
                            pytest=self.name == "pytest",
                            none_collected=self.none_collected(only))
        failed = res.failed()
        if failed and all(self.launch in (c.message + c.text) for c in failed):
            raise GateError(f"Chromium at {self.chromium} did not start: "
                            f"{self.launch_failure(failed[0])}")
        if all(c.outcome == "skipped" for c in res.cases):
            why = junit_parse.first_line(res.cases[0].message or res.cases[0].text)
            raise GateError(f"no tests ran: all {len(res.cases)} e2e test(s) were skipped"
                            f"{f' ({why})' if why else ''}; a browser suite that runs "
                            "nothing tests nothing")
        return res

    def base_run(self) -> suite.SuiteRun:
        """The base's suite, as configured, on the base commit; none when the base has
        no such suite yet (every failure is then new)."""
        tree = self.ctx.workspace.base_worktree()
        if not self.has_suite(tree):
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

    # -- what the gate's result says of this runner

    def attached(self, case: TestCase) -> list[tuple[str, Path]]:
        """What the runner attached to a failed test (screenshot, trace, …), by kind."""
        tree = self.ctx.worktree
        return [(kind, Path(value) if Path(value).is_absolute() else tree / value)
                for prop, kind in ARTIFACT_KINDS.items() for value in case.props(prop)]

    def tools(self) -> dict[str, str]:
        return {"playwright": _version("playwright"),
                "pytest-playwright": _version("pytest-playwright")}

    def again(self, ids: Sequence[str]) -> list[str]:
        """The commands that run these failed tests again, and open a trace."""
        return [f"python -m pytest {' '.join(ids)}", "playwright show-trace <trace.zip>"]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"
