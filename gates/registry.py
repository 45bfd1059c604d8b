"""Finds gates through the entry-point group `gates.gates` (built-ins included)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from gates.gate import Gate, PluginGate, as_gate
from gates.model import Trend

GROUP = "gates.gates"
# where the built-ins stand in a list of gates (the dashboard's columns): static ones
# first, perf last. A gate may declare its own `order` (a number: its index here);
# undeclared others follow, by name. (setuptools sorts entry points by name, so their
# order in pyproject.toml cannot say it.)
BUILTIN_ORDER = ("lint", "security", "secrets", "tests", "auth", "api", "e2e", "perf")


@dataclass
class Registry:
    gates: dict[str, Gate]
    broken: dict[str, str]  # name -> why it could not be loaded (a gate `error`)

    @property
    def defaults(self) -> dict[str, Mapping[str, Any]]:
        known: dict[str, Mapping[str, Any]] = {n: {} for n in self.broken}
        known.update({n: g.defaults for n, g in self.gates.items()})
        return known

    @property
    def names(self) -> list[str]:
        return sorted({*self.gates, *self.broken})

    @property
    def order(self) -> list[str]:
        """Every gate, in the order a reader meets them (see BUILTIN_ORDER)."""
        def rank(name: str) -> tuple[float, str]:
            gate = self.gates.get(name)
            if gate is not None and gate.order is not None:
                return float(gate.order), name
            if name in BUILTIN_ORDER:
                return float(BUILTIN_ORDER.index(name)), name
            return float("inf"), name
        return sorted({*self.gates, *self.broken}, key=rank)

    @property
    def trends(self) -> dict[str, tuple[Trend, ...]]:
        """The trend series each gate declares (`trends`), gates in `order`."""
        return {n: self.gates[n].trends for n in self.order if n in self.gates}


def load() -> Registry:
    gates: dict[str, Gate] = {}
    broken: dict[str, str] = {}
    for ep in entry_points(group=GROUP):
        try:
            gates[ep.name] = load_entry(ep)
        except BrokenGate as e:
            broken[ep.name] = str(e)
    return Registry(gates, broken)


class BrokenGate(Exception):
    """An entry point that is not a usable gate: the run records `error` with this reason."""


def load_entry(ep: EntryPoint) -> Gate:
    """The gate behind `ep`, its missing optional members filled in (`gates.gate.Plugin`)."""
    try:
        obj = ep.load()
    except Exception as e:  # a plugin that does not import is a failure, not absent
        raise BrokenGate(f"could not load gate {ep.name!r} ({ep.value}): {e}") from e
    if not isinstance(obj, PluginGate):
        missing = [m for m in ("name", "needs_app", "applies", "run") if not hasattr(obj, m)]
        raise BrokenGate(f"{ep.value} does not implement the Gate protocol (missing: "
                         f"{', '.join(missing)})")
    return as_gate(obj)
