"""gates.runner: the plan, gates in parallel with deadlines, fail-closed results.

Tiny gates defined here run in-process on a real branch of a real repository. Covered
elsewhere through the CLI, with gates installed as plugins: a crash with what it left
behind, an import failure, a gate whose tool overruns its timeout (process group
killed), Ctrl-C, an unknown `--gate` (tests/commands/test_run.py); a conflict and a
policy edit as verdicts (same file).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gates import config, proc, runner
from gates.commands.common import trusted_config
from gates.config import ConfigError
from gates.gate import GateContext, GateError
from gates.model import GateResult, Status, Verdict
from gates.registry import Registry
from tests.conftest import GitRepo, process_gone

Work = Callable[[GateContext], Any]


class Tiny:
    """A gate whose work is a function of the test (every attribute of the contract)."""

    needs_app = False
    scans_per_file = False
    reuse_results = True

    def __init__(self, name: str, work: Work | None = None, *, exclusive: bool = False,
                 applies: bool = True, defaults: dict[str, Any] | None = None) -> None:
        self.name = name
        self.work = work
        self.exclusive = exclusive
        self.defaults = defaults or {}
        self._applies = applies
        self.runs = 0

    def applies(self, ctx: GateContext) -> bool:
        return self._applies

    def run(self, ctx: GateContext) -> GateResult:
        self.runs += 1
        if self.work is None:
            return GateResult(self.name, Status.PASS)
        return self.work(ctx)  # type: ignore[no-any-return]


def registry(*gates: Tiny, broken: dict[str, str] | None = None) -> Registry:
    return Registry(gates={g.name: g for g in gates}, broken=broken or {})


def run(repo: GitRepo, *gates: Tiny, branch: str = "walnut/a", jobs: int = 4,
        policy: dict[str, dict[str, Any]] | None = None, broken: dict[str, str] | None = None,
        only: list[str] | None = None) -> Verdict:
    """A run as `gates run` makes it: `policy` (gate -> its table) committed to main as
    gates.toml, and read back from there."""
    reg = registry(*gates, broken=broken)
    if policy:
        repo.commit({"gates.toml": "".join(
            f"[gates.{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())
            for name, table in policy.items())}, "policy")
    cfg = trusted_config(repo.path, reg, None)
    return runner.run_branch(repo.path, cfg, reg, branch, jobs=jobs, only=only)


def by_gate(v: Verdict) -> dict[str, GateResult]:
    return {r.gate: r for r in v.results}


@pytest.fixture
def branched(repo: GitRepo) -> GitRepo:
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    return repo


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of a test: what a hung gate waits for, so no thread outlives it."""
    event = threading.Event()
    yield event
    event.set()


# -- fail closed ---------------------------------------------------------------------------


def test_a_gate_that_cannot_do_its_job_is_an_error_that_blocks_and_the_rest_still_run(
        branched: GitRepo) -> None:
    def crash(ctx: GateContext) -> Any:
        raise RuntimeError("boom")

    def refuse(ctx: GateContext) -> Any:
        raise GateError("semgrep exited 2: bad rules")

    def missing(ctx: GateContext) -> Any:
        return ctx.run(["no-such-tool-of-gates-tests", "--version"])

    def junk(ctx: GateContext) -> Any:
        return {"status": "pass"}

    broken = {"plugin": "could not load gate 'plugin' (gp:GATE): No module named 'gp'"}
    gates = [Tiny("crash", crash), Tiny("refuse", refuse), Tiny("missing", missing),
             Tiny("junk", junk), Tiny("ok")]
    v = run(branched, *gates, broken=broken)
    results = by_gate(v)
    assert {g: r.status for g, r in results.items()} == {
        "plugin": Status.ERROR, "crash": Status.ERROR, "refuse": Status.ERROR,
        "missing": Status.ERROR, "junk": Status.ERROR, "ok": Status.PASS}
    assert results["crash"].reason == "gate crashed: RuntimeError: boom"
    assert "raise RuntimeError(\"boom\")" in results["crash"].metrics["traceback"]
    assert results["refuse"].reason == "semgrep exited 2: bad rules"
    assert results["missing"].reason.startswith(
        "tool missing: no-such-tool-of-gates-tests is not installed")
    assert results["junk"].reason == "gate returned dict, not a GateResult"
    assert not v.passed and set(v.reasons) == {
        f"{g}: error: {results[g].reason}" for g in ("plugin", "crash", "refuse", "missing",
                                                     "junk")}
    assert all(r.blocks for g, r in results.items() if g != "ok")


def test_a_gate_that_overruns_its_deadline_is_abandoned_as_an_error(
        branched: GitRepo, release: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "TIMEOUT_GRACE", 0.5)

    def hang(ctx: GateContext) -> Any:  # stuck in Python: no subprocess to time out
        release.wait()  # until the test ends: a run that waits for it hangs (pytest-timeout)
        return GateResult("hang", Status.PASS)

    v = run(branched, Tiny("hang", hang), Tiny("ok"), policy={"hang": {"timeout": 1}})
    results = by_gate(v)
    assert results["hang"].status == Status.ERROR and results["hang"].blocks
    assert results["hang"].reason == "timed out after 1s"
    assert results["ok"].status == Status.PASS
    assert not v.passed and v.reasons == ["hang: error: timed out after 1s"]


def test_a_timed_out_gates_process_groups_are_killed_before_the_run_goes_on(
        branched: GitRepo, release: threading.Event, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "TIMEOUT_GRACE", 0.5)
    pids: dict[str, int] = {}
    code = ("import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(300)']); print(p.pid, flush=True); time.sleep(300)")

    def spawn_and_hang(ctx: GateContext) -> Any:
        p = proc.spawn([sys.executable, "-c", code], cwd=ctx.workspace.scratch, env=ctx.env())
        assert p.stdout is not None
        pids["child"], pids["grandchild"] = p.pid, int(p.stdout.readline())
        release.wait(120)
        return GateResult("spawner", Status.PASS)

    def witness(ctx: GateContext) -> Any:  # exclusive: runs once the others are done
        gone = {name: process_gone(pid) for name, pid in pids.items()}
        return GateResult("witness", Status.PASS, metrics={"gone": gone})

    v = run(branched, Tiny("spawner", spawn_and_hang), Tiny("witness", witness, exclusive=True),
            policy={"spawner": {"timeout": 2}})
    results = by_gate(v)
    assert results["spawner"].status == Status.ERROR
    assert results["witness"].metrics["gone"] == {"child": True, "grandchild": True}


# -- scheduling ----------------------------------------------------------------------------


class Meter:
    """Counts the gates running at once; logs (event, gate) in order."""

    def __init__(self, parties: int) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.log: list[tuple[str, str]] = []
        self.barrier = threading.Barrier(parties, timeout=30)

    def work(self, wait_for_others: bool) -> Work:
        def run(ctx: GateContext) -> Any:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
                self.log.append(("start", ctx.name))
            if wait_for_others:
                self.barrier.wait()  # proves `parties` gates run at once
            time.sleep(0.2)
            with self.lock:
                self.now -= 1
                self.log.append(("end", ctx.name))
            return GateResult(ctx.name, Status.PASS)
        return run


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_gates_run_in_parallel_up_to_jobs(branched: GitRepo, jobs: int) -> None:
    meter = Meter(parties=jobs)
    gates = [Tiny(f"g{i}", meter.work(True)) for i in range(4)]
    v = run(branched, *gates, jobs=jobs)
    assert v.passed, v.reasons
    assert meter.most == jobs


def test_exclusive_gates_run_alone_after_the_others(branched: GitRepo) -> None:
    meter = Meter(parties=2)
    gates = [Tiny("a-load", meter.work(False), exclusive=True),
             Tiny("b-lint", meter.work(True)), Tiny("c-perf", meter.work(False), exclusive=True),
             Tiny("d-secrets", meter.work(True))]
    v = run(branched, *gates, jobs=4)
    assert v.passed, v.reasons
    # results in the plan's order, whatever order they ran in
    assert [r.gate for r in v.results] == ["a-load", "b-lint", "c-perf", "d-secrets"]
    shared = {("start", "b-lint"), ("start", "d-secrets"), ("end", "b-lint"),
              ("end", "d-secrets")}
    assert set(meter.log[:4]) == shared
    alone = meter.log[4:]
    assert [e for e, _ in alone] == ["start", "end", "start", "end"]
    assert {g for _, g in alone} == {"a-load", "c-perf"} and alone[0][1] == alone[1][1]


# -- the plan ------------------------------------------------------------------------------


def test_the_plan_follows_the_policy_and_only_names_known_gates(branched: GitRepo) -> None:
    on, off = Tiny("on"), Tiny("off")
    reg = registry(on, off, broken={"bad": "could not load gate 'bad'"})
    cfg = config.validate({"gates": {"off": {"enabled": False}}}, "gates.toml@main",
                          reg.defaults)
    planned = runner.plan(cfg, reg, None)
    assert [g.name for g, _ in planned.gates] == ["on"]
    assert [(r.gate, r.status) for r in planned.unusable] == [("bad", Status.ERROR)]
    # asked for by name, a gate the policy turned off runs all the same
    assert [g.name for g, _ in runner.plan(cfg, reg, ["off"]).gates] == ["off"]
    with pytest.raises(ConfigError, match=r"^unknown gate 'nope' \(installed: bad, off, on\)$"):
        runner.plan(cfg, reg, ["on", "nope"])


def test_a_gate_sees_the_regular_files_the_branch_changed_minus_its_excludes(
        repo: GitRepo) -> None:
    repo.commit({"docs/old.md": "old\n", "app/gen/x.py": "X = 0\n"}, "docs")
    repo.git("checkout", "-q", "-b", "walnut/a")
    repo.git("rm", "-q", "docs/old.md")
    (repo.path / "app" / "link.py").symlink_to("core.py")
    repo.git("add", "app/link.py")
    repo.commit({"app/a.py": "A = 1\n", "app/gen/x.py": "X = 1\n"}, "work")
    repo.git("checkout", "-q", "main")
    seen: dict[str, list[str]] = {}

    def look(ctx: GateContext) -> Any:
        seen.update(changed=ctx.changed, deleted=ctx.deleted)
        return GateResult("look", Status.PASS)

    v = run(repo, Tiny("look", look), policy={"look": {"exclude": ["app/gen/**"]}})
    assert v.passed, v.reasons
    assert seen == {"changed": ["app/a.py"], "deleted": ["docs/old.md"]}


def test_a_gate_outside_its_paths_or_that_does_not_apply_is_skipped_and_does_not_block(
        branched: GitRepo) -> None:
    docs, never, runs = Tiny("docs"), Tiny("never", applies=False), Tiny("runs")
    policy = {"docs": {"paths": ["docs/**"]}, "runs": {"paths": ["app/**"]}}
    v = run(branched, docs, never, runs, policy=policy)
    results = by_gate(v)
    assert results["docs"].status == Status.SKIPPED and docs.runs == 0
    assert results["docs"].reason == "no changed file matches its paths"
    assert results["never"].status == Status.SKIPPED and never.runs == 0
    assert results["never"].reason == "does not apply to this change"
    assert results["runs"].status == Status.PASS and runs.runs == 1
    assert v.passed and v.reasons == []
    # unless the policy says a skip blocks
    v = run(branched, Tiny("docs"), policy={"docs": {"paths": ["docs/**"], "skip_blocks": True}})
    assert not v.passed and by_gate(v)["docs"].status == Status.FAIL


def test_a_branch_that_only_deletes_in_a_gates_paths_still_meets_it(repo: GitRepo) -> None:
    repo.commit({"tests/test_pay.py": "def test_pay():\n    pass\n"}, "a test")
    repo.git("checkout", "-q", "-b", "walnut/cut")
    repo.git("rm", "-q", "tests/test_pay.py")
    repo.git("commit", "-q", "-m", "remove a test")
    repo.git("checkout", "-q", "main")
    watcher = Tiny("tests")
    v = run(repo, watcher, branch="walnut/cut", policy={"tests": {"paths": ["tests/**"]}})
    assert by_gate(v)["tests"].status == Status.PASS and watcher.runs == 1


def test_a_conflict_runs_no_gate(repo: GitRepo) -> None:
    repo.branch("walnut/x", {"app/core.py": "X = 1\n"})
    repo.commit({"app/core.py": "X = 2\n"}, "main moves")
    gate = Tiny("lint")
    v = run(repo, gate, branch="walnut/x")
    assert gate.runs == 0 and v.tree is None and not v.passed
    assert [(r.gate, r.status) for r in v.results] == [("merge", Status.FAIL)]
    assert v.reasons == ["merge: 1 blocking finding"]
