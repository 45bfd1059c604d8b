"""Loading gates from the entry-point group `gates.gates`: built-ins, a third-party gate
with only the four required members, and entries that are not usable gates."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates import registry
from gates.gate import BaseGate, Plugin
from tests.conftest import GitRepo, lint_only, plugin_env, plugin_path, run_gates

FOUR = """
from gates.model import GateResult, Status


class Four:
    name = "four"
    needs_app = False

    def applies(self, ctx):
        return True

    def run(self, ctx):
        return GateResult(gate="four", status=Status.PASS,
                          metrics={"tools": {"four": "1.0"}, "seen": sorted(ctx.changed)})


GATE = Four()
"""

NO_RUN = """
class NoRun:
    name = "norun"
    needs_app = False

    def applies(self, ctx):
        return True


GATE = NoRun()
"""

NO_IMPORT = """
import a_module_that_is_not_installed

GATE = None
"""


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    sites = [plugin_path(tmp_path, "four", FOUR), plugin_path(tmp_path, "norun", NO_RUN),
             plugin_path(tmp_path, "noimport", NO_IMPORT)]
    for site in sites:
        monkeypatch.syspath_prepend(str(site))
    return sites


def test_builtin_gates_load_as_themselves() -> None:
    reg = registry.load()
    assert {"lint", "security", "secrets", "auth", "api", "e2e", "perf"} <= set(reg.gates)
    assert all(isinstance(reg.gates[n], BaseGate) for n in ("lint", "security", "perf"))
    assert reg.gates["perf"].exclusive and reg.gates["lint"].scans_per_file
    assert reg.defaults["lint"]["command"] == "ruff"


def test_a_plugin_with_only_the_four_members_loads(plugins: list[Path]) -> None:
    reg = registry.load()
    four = reg.gates["four"]
    assert isinstance(four, Plugin)
    assert (four.defaults, four.exclusive, four.scans_per_file, four.reuse_results) == (
        {}, False, False, True)
    assert reg.defaults["four"] == {}
    assert "four" in reg.names


def test_a_gate_missing_run_is_broken_with_a_clear_reason(plugins: list[Path]) -> None:
    reg = registry.load()
    assert "norun" not in reg.gates
    assert reg.broken["norun"] == ("gatesplugin_norun:GATE does not implement the Gate "
                                   "protocol (missing: run)")
    assert "norun" in reg.names  # a broken gate is known, and its run says `error`


def test_a_plugin_that_does_not_import_is_broken(plugins: list[Path]) -> None:
    reg = registry.load()
    assert reg.broken["noimport"].startswith(
        "could not load gate 'noimport' (gatesplugin_noimport:GATE): No module named")


def test_a_run_uses_a_four_member_plugin_and_reports_a_broken_one(
        tmp_path: Path, repo: GitRepo) -> None:
    lint_only(repo)  # the plugins are not installed there: they stay enabled
    four = plugin_path(tmp_path, "four", FOUR)
    norun = plugin_path(tmp_path, "norun", NO_RUN)
    env = plugin_env(four)
    env["PYTHONPATH"] = f"{norun}:{env['PYTHONPATH']}"
    repo.branch("walnut/x", {"app/x.py": "X = 1\n"})
    res = run_gates("run", "--branch", "walnut/x", "--no-status", cwd=repo.path, env=env)
    assert res.returncode == 1, res.stdout + res.stderr  # the broken gate blocks
    summary = next((repo.path / "reports").rglob("summary.md")).read_text()
    assert "does not implement the Gate protocol (missing: run)" in summary
    verdict = next((repo.path / "reports").rglob("verdict.json")).read_text()
    assert '"four"' in verdict and '"app/x.py"' in verdict


GOOD = """
from gates.model import GateResult, Status


class Good:
    name = "good"
    needs_app = False
    defaults = {"level": 3}
    exclusive = False
    scans_per_file = False
    reuse_results = True

    def applies(self, ctx):
        return True

    def run(self, ctx):
        return GateResult(self.name, Status.PASS)


GATE = Good()
"""


def test_installed_gates_load_and_the_broken_ones_say_why(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    sites = [plugin_path(tmp_path, "good", GOOD),
             plugin_path(tmp_path, "notagate", "GATE = 'a string is not a gate'\n"),
             plugin_path(tmp_path, "noimport", "import no_such_module_of_gates_tests\n")]
    for site in sites:
        monkeypatch.syspath_prepend(str(site))
    reg = registry.load()
    assert {"lint", "security", "secrets", "good"} <= set(reg.gates)  # built-ins: same door
    assert reg.gates["good"].name == "good"
    assert set(reg.broken) == {"notagate", "noimport"}
    assert reg.broken["notagate"].startswith("gatesplugin_notagate:GATE does not implement "
                                             "the Gate protocol")
    assert reg.broken["noimport"].startswith(
        "could not load gate 'noimport' (gatesplugin_noimport:GATE): ")
    assert "no_such_module_of_gates_tests" in reg.broken["noimport"]
    # broken gates are still known by name: the config may name them, a run reports them
    assert {"good", "notagate", "noimport", "lint"} <= set(reg.names)
    assert reg.names == sorted(reg.names)
    assert reg.defaults["good"] == {"level": 3} and reg.defaults["notagate"] == {}
