"""Finds gates through the entry-point group `gates.gates` (built-ins included)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from gates.gate import Gate
from gates.model import Trend

GROUP = "gates.gates"
# where the built-ins stand in a list of gates (the dashboard's columns): static ones
# first, perf last. A gate may declare its own `order` (a number: its index here);
# undeclared others follow, by name. (setuptools sorts entry points by name, so their
# order in pyproject.toml cannot say it.)
BUILTIN_ORDER = ("lint", "security", "secrets", "auth", "api", "e2e", "perf")


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

    @property
    def order(self) -> list[str]:
        """Every gate, in the order a reader meets them (see BUILTIN_ORDER)."""
        def rank(name: str) -> tuple[float, str]:
            declared = getattr(self.gates.get(name), "order", None)
            if isinstance(declared, int | float) and not isinstance(declared, bool):
                return float(declared), name
            if name in BUILTIN_ORDER:
                return float(BUILTIN_ORDER.index(name)), name
            return float("inf"), name
        return sorted({*self.gates, *self.broken}, key=rank)

    @property
    def trends(self) -> dict[str, tuple[Trend, ...]]:
        """The trend series each gate declares (`trends`, optional: none by default),
        gates in `order`."""
        return {n: tuple(getattr(self.gates[n], "trends", ())) for n in self.order
                if n in self.gates}


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
