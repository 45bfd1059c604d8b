"""The gate contract: every member declared, defaults from `BaseGate`, a plain plugin
object wrapped so that it has them too, and each built-in gate's typed config section."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from gates import registry, runner
from gates.config import GATE_COMMON, GateSection
from gates.gate import BaseGate, Gate, GateContext, Plugin, PluginGate, as_gate, code_module
from gates.model import GateResult, Status
from tests.conftest import GitRepo


class FourMembers:
    """A third-party gate as small as the contract allows."""

    name = "four"
    needs_app = False

    def applies(self, ctx: GateContext) -> bool:
        return True

    def run(self, ctx: GateContext) -> GateResult:
        return GateResult(gate=self.name, status=Status.PASS)


class Alone(FourMembers):
    name = "alone"
    needs_app = True
    exclusive = True
    reuse_results = False
    defaults = {"rounds": 3}  # noqa: RUF012 (a plugin writes it as it likes)


class Section(GateSection):
    rounds: int


class Derived(BaseGate[Section]):
    name = "derived"
    defaults = {"rounds": 2}  # noqa: RUF012

    def run(self, ctx: GateContext) -> GateResult:
        return GateResult(gate=self.name, status=Status.PASS,
                          metrics={"rounds": self.section(ctx)["rounds"]})


def test_a_base_gate_has_every_member_with_its_default() -> None:
    g = Derived()
    assert isinstance(g, Gate)
    assert as_gate(g) is g  # nothing to fill in: not wrapped
    assert (g.needs_app, g.exclusive, g.scans_per_file, g.reuse_results) == (
        False, False, False, True)
    assert g.defaults == {"rounds": 2}
    assert code_module(g) == __name__


def test_a_plain_object_with_the_four_members_is_wrapped_with_the_defaults() -> None:
    plain = FourMembers()
    assert isinstance(plain, PluginGate) and not isinstance(plain, Gate)
    g = as_gate(plain)
    assert isinstance(g, Plugin) and isinstance(g, Gate)
    assert (g.name, g.needs_app) == ("four", False)
    assert (g.defaults, g.exclusive, g.scans_per_file, g.reuse_results) == ({}, False, False,
                                                                          True)
    assert code_module(g) == __name__  # the plugin's own code, not the wrapper's


def test_the_optional_members_a_plugin_has_are_kept() -> None:
    g = as_gate(Alone())
    assert isinstance(g, Plugin)  # scans_per_file is missing: wrapped
    assert (g.needs_app, g.exclusive, g.scans_per_file, g.reuse_results) == (True, True,
                                                                            False, False)
    assert g.defaults == {"rounds": 3}


def test_the_runner_plans_and_orders_by_the_declared_members(repo: GitRepo) -> None:
    """An exclusive gate runs after the shared ones; a plain plugin's section gets the
    common defaults; a BaseGate reads its section typed."""
    from gates.commands.common import trusted_config

    reg = registry.Registry(gates={g.name: as_gate(g) for g in (Alone(), FourMembers())}
                            | {"derived": Derived()}, broken={})
    cfg = trusted_config(repo.path, reg, None)
    repo.branch("walnut/x", {"app/x.py": "X = 1\n"})
    v = runner.run_branch(repo.path, cfg, reg, "walnut/x", jobs=2)
    by_gate = {r.gate: r for r in v.results}
    assert {g: r.status for g, r in by_gate.items()} == {
        "alone": Status.PASS, "derived": Status.PASS, "four": Status.PASS}
    assert by_gate["derived"].metrics["rounds"] == 2
    p = runner.plan(cfg, reg, None)
    sections = {g.name: s for g, s in p.gates}
    assert sections["alone"]["rounds"] == 3 and sections["four"]["timeout"] == 600.0


BUILTINS = sorted(registry.load().gates.items())


@pytest.mark.parametrize(("name", "gate"), BUILTINS, ids=[n for n, _ in BUILTINS])
def test_each_builtin_gate_derives_from_the_base_and_types_its_section(name: str,
                                                                      gate: Gate) -> None:
    assert isinstance(gate, BaseGate), f"{name} does not derive from BaseGate"
    base = next(b for b in type(gate).__orig_bases__  # type: ignore[attr-defined]
                if typing.get_origin(b) is BaseGate)
    (section,) = typing.get_args(base)
    keys = set(typing.get_type_hints(section))
    # the TypedDict names exactly the keys the config accepts for this gate
    assert keys == set(GATE_COMMON) | set(gate.defaults), name


def test_gate_stays_importable_from_its_module() -> None:
    import gates.gate

    assert gates.gate.Gate is Gate
    assert Path(gates.gate.__file__).name == "gate.py"
