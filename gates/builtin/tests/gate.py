"""The tests gate: the repo's own test suite on the merge result, and coverage on the
lines the branch adds.

pytest by default where a Python suite exists (under coverage.py, branch coverage),
or the configured `command`, anything that writes JUnit XML (and, for coverage, an
LCOV or Cobertura file). The suite is code of the branch: it runs in a subprocess
with the scrubbed environment, from the merge result's root; with `app = true` the
`[app]` is started first and its URL handed over (GATES_BASE_URL, `--base-url`).

Each failing test is a finding; one that passes when run once more is `flaky` (info,
not blocking unless `flaky_blocks`); one that also fails on the base is existing
debt (the base's suite runs only when the branch has failures, remembered per base
commit). A collection error, a crash, a timeout or no test at all is `error`.
The uncovered new lines are a finding per file, blocking when the new code's
coverage is below `new_code_coverage`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from gates import git
from gates.apptest import junit as junit_parse
from gates.apptest import suite, tamper
from gates.apptest.app import AppNotConfigured, RunningApp
from gates.apptest.junit import TestCase
from gates.builtin.tests import integrity, newcode
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

# files that say "this repo has a pytest suite"
PYTEST_MARKERS = ("pytest.ini", "conftest.py", "tox.ini", "setup.cfg", "pyproject.toml")
TEST_FOLDERS = ("tests", "test")
# coverage.py's settings: ours, never the repo's (a branch cannot exclude its own lines)
RCFILE = """\
[run]
branch = True
relative_files = True
source = {source}
omit =
    */site-packages/*
    */.venv/*
[report]
exclude_lines =
    (?!x)x
"""


class TestsSection(GateSection):
    """[gates.tests]: the common keys and those of `Tests.defaults`."""

    command: list[str]
    tests: list[str]
    args: list[str]
    junit: str
    coverage_report: str
    source: list[str]
    new_code_coverage: float
    app: bool
    flaky_blocks: bool


class Tests(BaseGate[TestsSection]):
    name = "tests"
    # it may start [app]; like the app gates, a pass of the same tree is reused
    needs_app = True
    defaults: ClassVar[dict[str, Any]] = {
        "command": [],  # empty: pytest; else argv writing JUnit ({junit}, {coverage}, {base_url})
        "tests": [],  # pytest's paths (empty: its own testpaths)
        "args": [],  # extra pytest arguments
        "junit": "",  # where `command` writes JUnit, relative to the tree ("": {junit})
        "coverage_report": "",  # where `command` writes LCOV/Cobertura ("": {coverage} or none)
        "source": [],  # what coverage.py measures (empty: the whole tree)
        "new_code_coverage": 80.0,  # percent of the new lines the suite must run; 0: off
        "app": False,  # start [app] first and hand its URL to the suite
        "flaky_blocks": False,  # a test that fails, then passes on a re-run, blocks
        "timeout": 900.0,
    }

    def run(self, ctx: GateContext) -> GateResult:
        sec = self.section(ctx)
        runner = Runner(ctx, sec)
        if not runner.has_suite():
            return GateResult.skipped(self.name, "no test suite found (no tests/ folder or pytest "
                                      "config; set [gates.tests] command for another runner)")
        tests = list(sec["tests"])
        suite.check_paths(ctx.worktree, tests, "tests")
        roots = tests or [d for d in TEST_FOLDERS if (ctx.worktree / d).is_dir()]
        deleted = suite.deleted_tests(ctx, roots, "tests") if roots else []
        with runner.app(ctx.worktree) as app:
            first = runner.execute(ctx.worktree, app, coverage=True)
            failed = first.failed()
            flaky = suite.flaky(ctx, failed, lambda ids: runner.execute(
                ctx.worktree, app, only=ids, log="rerun.log"))
        stuck = [c for c in failed if c.test_id not in flaky]

        def base_debt() -> set[str]:
            return suite.base_failures(ctx, runner.salt(), runner.base_run)

        on_base = base_debt() if stuck else set()
        findings = deleted + self._test_findings(failed, flaky, on_base, sec["flaky_blocks"])
        held = integrity.base_tests_hold(ctx, runner, first, roots, base_debt)
        rerun_files = set(integrity.changed_test_files(ctx, roots))
        # an edited expectation in a file whose base version was run: that run decides
        findings += held + [f for f in tamper.scan(ctx, roots)
                            if not (f.rule == tamper.PREFIX + "expected-edited"
                                    and f.path in rerun_files)]
        measured = runner.coverage()
        new_code = None
        if measured is not None:
            assert ctx.subject.tree is not None
            added = git.added_lines(ctx.workspace.repo, ctx.subject.base_commit,
                                    ctx.subject.tree)
            new_code = newcode.measure(added, measured, is_test=[
                p for p in added if tamper.is_test_file(p, roots) or p.endswith(
                    (".test.ts", ".test.js", ".spec.ts", ".spec.js"))])
            findings += _coverage_findings(self.name, new_code, float(sec["new_code_coverage"]))
        return self._result(ctx, runner, first.cases, findings, flaky, on_base, new_code,
                            float(sec["new_code_coverage"]))

    def _test_findings(self, failed: list[TestCase], flaky: set[str], on_base: set[str],
                       flaky_blocks: bool) -> list[Finding]:
        return suite.judge_failures(junit_parse.findings_from_junit(
            failed, gate=self.name, more=lambda c: {"node_id": suite.node_id(c)}),
            flaky, on_base, flaky_blocks=flaky_blocks)

    def _result(self, ctx: GateContext, runner: Runner, cases: list[TestCase],
                findings: list[Finding], flaky: set[str], on_base: set[str],
                new_code: newcode.NewCode | None, threshold: float) -> GateResult:
        counts = {o: sum(1 for c in cases if c.outcome == o)
                  for o in ("passed", "failed", "error", "skipped")}
        metrics: dict[str, Any] = {"tests": counts, "flaky": sorted(flaky),
                                   "failing_on_base": sorted(on_base), "runner": runner.kind,
                                   "tools": runner.tools()}
        if new_code is not None:
            metrics["new_code"] = {
                "percent": None if new_code.percent is None else round(new_code.percent, 1),
                "lines": new_code.lines, "covered": round(new_code.covered, 1),
                "threshold": threshold,
                "uncovered": {f.path: newcode.ranges(f.uncovered)
                              for f in new_code.files if f.uncovered}}
        artifacts = [f"{self.name}/{n}" for n in ("junit.xml", "pytest.log", "rerun.log",
                                                  "coverage.json", "app.log")
                     if (ctx.artifacts / n).is_file()]
        return GateResult(gate=self.name, status=Status.PASS, findings=findings,
                          metrics=metrics, artifacts=artifacts,
                          sections=_sections(ctx, runner, counts, findings, new_code, threshold))


def _fp(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


# -- running the suite ----------------------------------------------------------------


class Runner:
    """The suite of one gate run: how to run it on a tree, with or without coverage."""

    def __init__(self, ctx: GateContext, sec: TestsSection) -> None:
        self.ctx, self.sec = ctx, sec
        self.kind = "command" if sec["command"] else "pytest"
        self.junit = ctx.artifacts / "junit.xml"
        self.cov_data = ctx.workspace.scratch / f"{ctx.name}-coverage" / ".coverage"
        self.cov_report: Path | None = None

    def has_suite(self) -> bool:
        if self.kind == "command":
            return True
        root = self.ctx.worktree
        if self.sec["tests"] or any((root / d).is_dir() for d in TEST_FOLDERS):
            return True
        if (root / "pytest.ini").is_file() or (root / "conftest.py").is_file():
            return True
        text = (root / "pyproject.toml").read_text(encoding="utf-8", errors="replace") \
            if (root / "pyproject.toml").is_file() else ""
        return "[tool.pytest" in text

    def salt(self) -> list[str]:
        """What the base's failures depend on besides the base commit."""
        sec = dict(self.sec)
        return [json.dumps({k: sec[k] for k in ("command", "tests", "args", "junit", "app")},
                           sort_keys=True), self.ctx.settings.digest]

    @contextlib.contextmanager
    def app(self, tree: Path, label: str = "app") -> Iterator[RunningApp | None]:
        if not self.sec["app"]:
            yield None
            return
        try:
            with self.ctx.app(tree=tree, label=label) as app:
                yield app
        except AppNotConfigured:
            raise GateError("[gates.tests] app = true, but no application is configured: "
                            "set [app] command in gates.toml") from None

    def execute(self, tree: Path, app: RunningApp | None, *, coverage: bool = False,
                only: Sequence[str] | None = None, log: str = "pytest.log",
                junit: Path | None = None) -> suite.SuiteRun:
        ctx, sec = self.ctx, self.sec
        junit = junit or (self.junit if log == "pytest.log" else ctx.artifacts / f"{log}.xml")
        env: dict[str, str] = {k: str(v) for k, v in ctx.settings["app"]["env"].items()} \
            if app else {}
        if app:
            env["GATES_BASE_URL"] = app.base_url
        where = ", ".join(sec["tests"]) or "the repo"
        alive = None
        if app is not None:
            running = app

            def alive() -> str | None:
                return None if running.alive() else (
                    f"the app died during the tests (exit {running.process.returncode}); "
                    f"last lines of its log:\n{running.log_tail()}")

        if self.kind == "command":
            cmd, junit_at = self._command(tree, app, junit, coverage)
            return suite.execute(ctx, cmd, junit=junit_at, env=env, what="tests", cwd=tree,
                                 none_collected=f"no tests ran: `{' '.join(sec['command'])}` "
                                 "reported no test case", log=log, alive=alive, pytest=False)
        cmd = [sys.executable, "-m"]
        if coverage:
            rc = self._rcfile(tree)
            cmd += ["coverage", "run", "--rcfile", str(rc), "--data-file", str(self.cov_data)]
        cmd += ["-m", "pytest"] if coverage else ["pytest"]
        cmd += [*(only or sec["tests"]), "-p", "no:cacheprovider", "--junitxml", str(junit),
                "-o", "junit_family=xunit1", "-q", "--color=no",
                *(suite.base_url_args(app.base_url) if app else []), *sec["args"]]
        res = suite.execute(ctx, cmd, junit=junit, env=env, what="tests", cwd=tree, log=log,
                            alive=alive, none_collected=f"no tests ran: pytest collected no "
                            f"tests from {where}")
        if coverage:
            self._coverage_json(tree)
        return res

    def _command(self, tree: Path, app: RunningApp | None, junit: Path, coverage: bool
                 ) -> tuple[list[str], Path]:
        sec = self.sec
        cov = self.ctx.artifacts / "coverage.report"
        values = {"junit": str(junit), "coverage": str(cov),
                  "base_url": app.base_url if app else ""}
        try:
            cmd = [part.format(**values) for part in sec["command"]]
        except (KeyError, IndexError, ValueError) as e:
            raise GateError(f"[gates.tests] command has a bad placeholder: {e}") from None
        junit_at = (tree / sec["junit"]) if sec["junit"] else junit
        if coverage:
            if sec["coverage_report"]:
                self.cov_report = tree / sec["coverage_report"]
            elif any("{coverage}" in p for p in sec["command"]):
                self.cov_report = cov
        return cmd, junit_at

    def _rcfile(self, tree: Path) -> Path:
        self.cov_data.parent.mkdir(parents=True, exist_ok=True)
        self.cov_data.unlink(missing_ok=True)
        sources = [str((tree / s).resolve()) for s in self.sec["source"]] or [str(tree)]
        for s in self.sec["source"]:
            if not (tree / s).resolve().is_relative_to(tree.resolve()):
                raise GateError(f"[gates.tests] source {s!r} is not in the tree")
        rc = self.cov_data.parent / "coveragerc"
        rc.write_text(RCFILE.format(source=", ".join(sources)), encoding="utf-8")
        return rc

    def _coverage_json(self, tree: Path) -> None:
        out = self.ctx.artifacts / "coverage.json"
        rc = self.cov_data.parent / "coveragerc"
        res = self.ctx.run([sys.executable, "-m", "coverage", "json", "--rcfile", str(rc),
                            "--data-file", str(self.cov_data), "-o", str(out), "-q"], cwd=tree)
        if res.returncode != 0 or not out.is_file():
            raise GateError(f"coverage.py could not report (exit {res.returncode}): "
                            f"{res.output[-suite.OUTPUT_TAIL:]}")
        self.cov_report = out

    def coverage(self) -> newcode.Measured | None:
        if self.cov_report is None:
            return None
        return newcode.read(self.cov_report, self.ctx.worktree)

    def base_run(self) -> suite.SuiteRun:
        """The base's suite, as configured, on the base commit (no coverage)."""
        tree = self.ctx.workspace.base_worktree()
        with self.app(tree, label="base-app") as app:
            try:
                return self.execute(tree, app, log="base.log")
            except GateError as e:
                raise GateError(f"the base's suite could not be run to tell existing "
                                f"failures from new ones: {e}") from None

    def tools(self) -> dict[str, str]:
        if self.kind == "command":
            return {}
        return {d: _version(d) for d in ("pytest", "coverage")}


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


# -- coverage on new code -------------------------------------------------------------


def _coverage_findings(gate: str, new_code: newcode.NewCode, threshold: float
                       ) -> list[Finding]:
    percent = new_code.percent
    below = percent is not None and threshold > 0 and percent < threshold
    out = []
    for f in new_code.files:
        if not f.uncovered:
            continue
        where = newcode.ranges(f.uncovered)
        overall = (f"new code {percent:.1f} % covered, below new_code_coverage {threshold:g} %"
                   if below else f"new code {percent:.1f} % covered")
        out.append(Finding(
            gate=gate, rule="new-code-uncovered", tool="coverage",
            severity=Severity.HIGH if below else Severity.INFO,
            path=f.path, line=f.uncovered[0], end_line=f.uncovered[-1],
            fingerprint=_fp(gate, "new-code-uncovered", f.path),
            message=f"no test runs new lines {where} of {f.path} ({f.percent:.0f} % of its "
                    f"{f.lines} new lines covered; {overall}): test these next",
            extra={"ranges": where, "uncovered": f.uncovered, "percent": round(f.percent, 1)}))
    return out


def _sections(ctx: GateContext, runner: Runner, counts: dict[str, int],
              findings: list[Finding], new_code: newcode.NewCode | None, threshold: float
              ) -> list[Section]:
    total = sum(counts.values())
    out: list[Section] = [Paragraph([plain(
        f"{total} test(s): {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['error']} errored, {counts['skipped']} skipped.")])]
    tests = [f for f in findings if f.rule in ("test-failed", "flaky")]
    if tests:
        rows = []
        for f in tests:
            why = f.message.split(": ", 1)[1] if ": " in f.message else ""
            state = ("flaky" if f.rule == "flaky" else "fails on the base too" if not f.new
                     else "new failure")
            rows.append([[code(str(f.extra.get("test", "")))], [plain(state)], [plain(why)],
                         [code(f.location) if f.location else plain("—")]])
        out += [Table(["Test", "State", "Why", "Where"], rows),
                Paragraph([plain("Run them again with:")])]
        if runner.kind == "pytest":
            ids = " ".join(str(f.extra["node_id"]) for f in tests)
            out.append(Commands([f"python -m pytest {ids}"]))
        else:
            out.append(Commands([" ".join(runner.sec["command"])]))
    if new_code is not None:
        pct = new_code.percent
        text = ("The branch adds no line the coverage report measures." if pct is None else
                f"New code: {pct:.1f} % covered ({new_code.covered:g} of {new_code.lines} new "
                f"measurable lines; branch coverage counted in), threshold {threshold:g} %.")
        out.append(Paragraph([Text("Coverage on new code", strong=True), plain(" — " + text)]))
        rows = [[[code(f.path)], [plain(newcode.ranges(f.uncovered) or "—")],
                 [plain(f"{f.percent:.0f} % of {f.lines}")]] for f in new_code.files]
        if rows:
            out.append(Table(["File", "Uncovered new lines (test these next)", "Covered"], rows))
    return out


GATE = Tests()
