"""Finds gates through the entry-point group `gates.gates` (built-ins included)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from gates.gate import Gate

GROUP = "gates.gates"


@dataclass
class Registry:
    gates: dict[str, Gate]
    broken: dict[str, str]  # name -> why it could not be loaded (a gate `error`)

    @property
    def defaults(self) -> dict[str, Mapping[str, Any]]:
        known: dict[str, Mapping[str, Any]] = {n: {} for n in self.broken}
        known.update({n: getattr(g, "defaults", {}) for n, g in self.gates.items()})
        return known

    @property
    def names(self) -> list[str]:
        return sorted({*self.gates, *self.broken})


def load() -> Registry:
    gates: dict[str, Gate] = {}
    broken: dict[str, str] = {}
    for ep in entry_points(group=GROUP):
        try:
            obj = ep.load()
        except Exception as e:  # a plugin that does not import is a failure, not absent
            broken[ep.name] = f"could not load gate {ep.name!r} ({ep.value}): {e}"
            continue
        if not isinstance(obj, Gate):
            broken[ep.name] = f"{ep.value} does not implement the Gate protocol"
            continue
        gates[ep.name] = obj
    return Registry(gates, broken)
