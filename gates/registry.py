"""Finds gates through the entry-point group `gates.gates` (built-ins included)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from gates.gate import Gate, PluginGate, as_gate

GROUP = "gates.gates"


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
