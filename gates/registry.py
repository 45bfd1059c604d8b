"""Finds gates through the entry-point group `gates.gates` (built-ins included), and
the kinds of gates a config declares itself through `gates.kinds`.

A kind (`tool`: any command whose output is read as SARIF, ESLint's JSON …) is a
factory: `kind.defaults` are the keys of a section that declares it, and
`kind.declare(name, section)` the gate for that section, which raises `ConfigError`
when the section cannot work. `Registry.declare(config)` adds the config's declared
gates to the installed ones: from there on they run, report and show on the
dashboard like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from gates.config import Installed
from gates.gate import Gate, PluginGate, as_gate
from gates.model import Trend

if TYPE_CHECKING:
    from gates.config import Config

GROUP = "gates.gates"
KINDS = "gates.kinds"


@runtime_checkable
class Kind(Protocol):
    """A kind of gate a config declares (`kind = "<name>"`)."""

    @property
    def defaults(self) -> Mapping[str, Any]: ...

    def declare(self, name: str, section: Mapping[str, Any]) -> Gate: ...

# where the built-ins stand in a list of gates (the dashboard's columns): static ones
# first, perf last. A gate may declare its own `order` (a number: its index here);
# undeclared others follow, by name. (setuptools sorts entry points by name, so their
# order in pyproject.toml cannot say it.)
BUILTIN_ORDER = ("lint", "security", "secrets", "tests", "auth", "api", "e2e", "perf")


@dataclass
class Registry:
    gates: dict[str, Gate]
    broken: dict[str, str]  # name -> why it could not be loaded (a gate `error`)
    kinds: dict[str, Kind] = field(default_factory=dict)
    declared: tuple[str, ...] = ()  # the gates of `gates` a config declared

    @property
    def defaults(self) -> Installed:
        known: dict[str, Mapping[str, Any]] = {n: {} for n in self.broken}
        known.update({n: {**g.defaults, "kind": ""} if n in self.declared else g.defaults
                      for n, g in self.gates.items()})
        return Installed(known, {k: {"kind": "", **kind.defaults}
                                 for k, kind in self.kinds.items()})

    def declare(self, cfg: Config) -> Registry:
        """This registry and the gates `cfg` declares (`[gates.<name>] kind = ...`);
        a section that cannot work raises `ConfigError` (one line, exit 2)."""
        from gates.errors import ConfigError

        gates = dict(self.gates)
        declared = list(self.declared)
        for name, section in cfg["gates"].items():
            kind = section.get("kind")
            if kind is None or name in self.declared:
                continue
            if kind not in self.kinds:
                raise ConfigError(f"{cfg.source}: 'gates.{name}.kind' is {kind!r} (known "
                                  f"kinds: {', '.join(sorted(self.kinds)) or 'none'})")
            gates[name] = self.kinds[kind].declare(name, section)
            declared.append(name)
        return Registry(gates, dict(self.broken), dict(self.kinds), tuple(declared))

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
    kinds: dict[str, Kind] = {}
    for ep in entry_points(group=KINDS):
        try:
            kind = ep.load()
        except Exception:  # a config declaring it: an unknown kind, exit 2
            continue
        if isinstance(kind, Kind):
            kinds[ep.name] = kind
    return Registry(gates, broken, kinds)


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
