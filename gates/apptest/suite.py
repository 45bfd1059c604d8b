"""A repo's own test suite, the one runner of the tests, e2e and auth gates: its paths
checked, its command run (pytest, or any command writing JUnit), its output kept, its
JUnit read, failing tests re-run once (flaky), the base's failures remembered per base
commit (existing debt) — and every way it can go wrong that is not a failing test ends
as `GateError`, never a pass."""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from gates import git, proc
from gates.apptest import junit as junit_parse
from gates.apptest.app import RunningApp
from gates.apptest.junit import TestCase
from gates.cache import Cache, key
from gates.gate import GateContext, GateError
from gates.model import Finding, Severity

OUTPUT_TAIL = 1500  # characters of a tool's output quoted in a reason
# a deleted test file this similar (lines) to a file the branch adds under the same
# test paths was moved, not deleted (git's default rename threshold)
MOVED_SIMILARITY = 0.5


# pytest plugins that already define --base-url
BASE_URL_PLUGINS = ("playwright", "base_url")


def base_url_args(url: str) -> list[str]:
    """`--base-url URL`, from pytest-playwright or pytest-base-url when one is installed,
    else from our small plugin `gates.apptest.pytest_baseurl`."""
    names = {ep.name for ep in entry_points(group="pytest11")}
    if names.intersection(BASE_URL_PLUGINS):
        return ["--base-url", url]
    return ["-p", "gates.apptest.pytest_baseurl", "--base-url", url]


def check_paths(root: Path, tests: Sequence[str], what: str) -> None:
    """Every configured path exists inside the tree under test."""
    root = root.resolve()
    missing = [t for t in tests
               if not (root / t).resolve().is_relative_to(root) or not (root / t).exists()]
    if missing:
        raise GateError(f"the configured {what} are not in the tree under test: "
                        + ", ".join(missing))


def _roots(tests: Sequence[str]) -> list[str]:
    roots = []
    for t in tests:
        r = Path(str(t).strip()).as_posix().strip("/")
        roots.append("" if r in ("", ".") else r)
    return roots


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(not r or path == r or path.startswith(r + "/") for r in roots)


def deleted_tests(ctx: GateContext, tests: Sequence[str], what: str) -> list[Finding]:
    """A blocking finding for each file under the configured test paths that the base
    has and the merge result deletes: a branch cannot pass by deleting tests. A file
    moved within the test paths is not deleted: its exact content is still there, or
    at least half its lines (git's default rename threshold) are in a file the branch
    adds there. A move out of the test paths is a deletion."""
    roots = _roots(tests)
    gone = sorted(p for p in ctx.deleted if roots and _under(p, roots))
    if not gone:
        return []
    repo, subj = ctx.workspace.repo, ctx.subject
    assert subj.tree is not None
    before = git.blob_ids(repo, subj.base_commit, gone)
    after = {p: oid for p, oid in git.blob_ids(repo, subj.tree, [r for r in roots if r] or None,
                                               regular=True).items() if _under(p, roots)}
    new_paths = {c.path for c in subj.changed if c.status == "A"}
    added = {oid for p, oid in after.items() if p in new_paths}
    present = set(after.values())
    gone = [p for p in gone if before.get(p) not in present]
    if gone and added:
        texts = git.blobs(repo, [*(before[p] for p in gone if p in before), *added])
        gone = [p for p in gone if not _similar(texts.get(before.get(p, ""), ""),
                                                [texts.get(o, "") for o in added])]
    return [Finding(gate=ctx.name, rule="tests-deleted", severity=Severity.HIGH, path=p,
                    tool="gates", fingerprint=hashlib.sha256(
                        f"{ctx.name}\0tests-deleted\0{p}".encode()).hexdigest()[:16],
                    message=f"the branch deletes {p}, one of the {what} "
                    f"(configured: {', '.join(tests)}); base {subj.base_commit[:8]} has it")
            for p in gone]


def _similar(text: str, candidates: Sequence[str]) -> bool:
    lines = text.splitlines()
    for c in candidates:
        m = difflib.SequenceMatcher(None, lines, c.splitlines(), autojunk=False)
        if (lines and m.real_quick_ratio() >= MOVED_SIMILARITY
                and m.quick_ratio() >= MOVED_SIMILARITY and m.ratio() >= MOVED_SIMILARITY):
            return True
    return False


@dataclass
class SuiteRun:
    """One run of a suite: its test cases, its output and its exit code."""

    cases: list[TestCase]
    output: str
    returncode: int

    def failed(self) -> list[TestCase]:
        return [c for c in self.cases if c.outcome in junit_parse.FAILED]


def execute(ctx: GateContext, cmd: Sequence[str], *, junit: Path, env: Mapping[str, str],
            what: str, none_collected: str, cwd: Path | None = None, log: str = "pytest.log",
            alive: Callable[[], str | None] | None = None, pytest: bool = True) -> SuiteRun:
    """Run a suite's command (`pytest`: pytest's exit codes; else any command writing
    JUnit to `junit`) in `cwd` (default: the merge result); its cases and output. Every
    way it can go wrong that is not a failing test is a `GateError`: a timeout, exit 5
    or no test case ("no tests ran"), a collection error or crash (another exit code), a
    failure exit without a failing test, no or bad JUnit; `alive()` returns why the
    app the suite ran against is gone (None: it is not)."""
    ctx.artifacts.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)
    try:
        res = ctx.run(list(cmd), cwd=cwd or ctx.worktree, env=dict(env))
    except proc.Timeout as e:
        (ctx.artifacts / log).write_text(e.output + "\n", encoding="utf-8")
        raise GateError(f"the {what} did not finish: {e} (raise [gates.{ctx.name}] timeout "
                        f"if the suite needs longer):\n{e.output[-OUTPUT_TAIL:]}") from None
    output = res.output
    (ctx.artifacts / log).write_text(output + "\n", encoding="utf-8")
    if pytest and res.returncode == 5:
        raise GateError(none_collected)
    if pytest and res.returncode not in (0, 1):
        raise GateError(f"pytest could not run the {what} (exit {res.returncode}):\n"
                        f"{output[-OUTPUT_TAIL:]}")
    gone = alive() if alive else None
    if gone:
        raise GateError(gone)
    cases = junit_parse.parse_junit(junit)
    run = SuiteRun(cases, output, res.returncode)
    if not cases:
        raise GateError(none_collected)
    if res.returncode != 0 and not run.failed():
        who = "pytest" if pytest else Path(cmd[0]).name
        raise GateError(f"{who} failed (exit {res.returncode}) without a failing test:\n"
                        f"{output[-OUTPUT_TAIL:]}")
    return run  # a runner that exits 0 on failures: its JUnit decides


def run(ctx: GateContext, app: RunningApp, cmd: Sequence[str], *, junit: Path,
        env: Mapping[str, str], what: str, none_collected: str) -> tuple[list[TestCase], str]:
    """Run `cmd` (pytest writing `junit`) in the tree against `app`; its test cases and
    output. `pytest.log` goes to the gate's artifacts."""
    def gone() -> str | None:
        if app.alive():
            return None
        return (f"the app died during the {what} (exit {app.process.returncode}); "
                f"last lines of its log:\n{app.log_tail()}")

    result = execute(ctx, cmd, junit=junit, env=env, what=what, none_collected=none_collected,
                     alive=gone)
    return result.cases, result.output


# -- fail, then pass on one re-run: flaky -------------------------------------------


def node_id(case: TestCase) -> str:
    """pytest's node id of a case from its JUnit (xunit1: file, classname, name):
    `tests/test_a.py::TestX::test_y[1]`."""
    if not case.file:
        return case.test_id
    module = case.file.removesuffix(".py").replace("/", ".")
    cls = case.classname.removeprefix(module).lstrip(".") if case.classname else ""
    return "::".join(p for p in (case.file, cls.replace(".", "::"), case.name) if p)


def flaky(ctx: GateContext, failed: Sequence[TestCase],
          rerun: Callable[[list[str]], SuiteRun]) -> set[str]:
    """The test ids of `failed` that pass when run once more (`rerun(node ids)`)."""
    if not failed:
        return set()
    again = rerun([node_id(c) for c in failed])
    passed = {c.test_id for c in again.cases if c.outcome == "passed"}
    return {c.test_id for c in failed if c.test_id in passed}


# -- what already fails on the base: existing debt, cached per base commit --------


def base_failures(ctx: GateContext, salt: Sequence[str],
                  run_base: Callable[[], SuiteRun]) -> set[str]:
    """The test ids that fail (or error) on the base commit, by `run_base()`, remembered
    in the result cache per base commit, gate code and `salt` (the suite's config)."""
    k = key("base-failures", ctx.name, ctx.subject.base_commit, *salt)
    store = Cache.for_repo(ctx.workspace.repo)
    known = store.get_many([k]).get(k)
    if isinstance(known, list) and all(isinstance(t, str) for t in known):
        return set(known)
    failing = sorted(c.test_id for c in run_base().failed())
    store.put_many({k: failing}, "base-failures")
    return set(failing)


# -- a failing test's state: new, flaky or existing debt (tests and e2e gates) --------


def judge_failures(findings: Sequence[Finding], flaky_ids: set[str], on_base: set[str], *,
                   flaky_blocks: bool) -> list[Finding]:
    """Findings of failing tests (`junit.findings_from_junit`, `extra["test"]` the test
    id) marked: one that passed when run again is `flaky` (info unless `flaky_blocks`),
    one that also fails on the base is existing debt (`new = False`)."""
    for f in findings:
        test = str(f.extra.get("test", ""))
        if test in flaky_ids:
            f.rule = "flaky"
            f.severity = Severity.HIGH if flaky_blocks else Severity.INFO
            f.message += " — then passed when run again: flaky"
            f.fingerprint = hashlib.sha256(
                "\0".join((f.gate, "flaky", test)).encode()).hexdigest()[:16]
        elif test in on_base:
            f.new = False
            f.message += " (already fails on the base: existing debt)"
    return list(findings)


def import_path(tree: Path) -> dict[str, str]:
    """The environment that puts the tree's code first on a suite's import path (the
    tree, and its `src/` when it has one), ahead of anything installed."""
    paths = [tree, *([tree / "src"] if (tree / "src").is_dir() else [])]
    return {"PYTHONPATH": os.pathsep.join(str(p) for p in paths)}
