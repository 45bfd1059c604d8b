"""The policy: `gates.toml` or `[tool.gates]` in `pyproject.toml`, read from a git ref.

The config that judges a branch is always the *base* branch's: a branch cannot
weaken its own gates. Every key is declared here with its default; its type is
the default's type. Unknown keys and wrong types end in one line naming the file,
the key and the problem (`ConfigError`).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, cast

from gates.errors import ConfigError

CONFIG_FILES = ("gates.toml", "pyproject.toml")
# the coordination files gates writes into `status_dir` (besides AGENT_STATUS_<AGENT>.md)
STATUS_FILES = ("CLUSTER_STATUS.md", "CLUSTER_ISSUES.md")
ANY = object()  # a default that accepts any type


class GateSection(TypedDict):
    """The keys of `GATE_COMMON`, as a gate's section holds them (its own keys besides:
    each built-in gate describes its section in a TypedDict derived from this one)."""

    enabled: bool
    blocking: bool
    timeout: float
    paths: list[str]
    exclude: list[str]
    block_on: str
    threshold: str
    path_thresholds: dict[str, str]
    skip_blocks: bool


# Gate keys every gate understands; a gate adds its own through `Gate.defaults`.
# A key's type is its default's type; `{}` is a free-form table, a table with keys
# is checked key by key (missing keys take their defaults); None accepts anything.
GATE_COMMON: dict[str, Any] = {
    "enabled": True,
    "blocking": True,
    "timeout": 600.0,
    "paths": [],  # globs; the gate applies only when a changed file matches (empty: always)
    "exclude": [],  # globs never handed to the gate
    "block_on": "new",  # "new" | "all"
    "threshold": "low",  # lowest severity that blocks
    "path_thresholds": {},  # glob -> severity, stricter thresholds for some paths
    "skip_blocks": False,  # does a skipped gate block?
}

# The top level. Nested tables are dicts of their own keys and defaults; a value of
# `dict` means a table whose keys are free-form (names chosen by the user).
TOP: dict[str, Any] = {
    "base": "main",
    "agents": dict,  # name -> role
    "reporter": "gates",  # who "Reported By" names in CLUSTER_ISSUES.md
    "status_dir": ".",
    "reports_dir": "reports",
    "jobs": 0,  # 0: the number of CPUs
    "policy_change_blocks": True,
    "env_allow": [],  # extra environment variables handed to tools and the app
    "app": {
        "command": [],
        "health": "/health",
        "ready_timeout": 30.0,
        "env": dict,
        "cwd": ".",
    },
    "gates": dict,  # gate name -> its table, checked against the installed gates
    "suppress": ANY,  # [[suppress]] entries, checked by the suppression module
}


class Installed(dict[str, Mapping[str, Any]]):
    """Installed gate -> its defaults (what gate sections are checked against), and
    `kinds`: kind -> the defaults of the gates a config declares itself
    (`[gates.<name>] kind = "tool"`, see gates.registry)."""

    def __init__(self, gates: Mapping[str, Mapping[str, Any]],
                 kinds: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        super().__init__(gates)
        self.kinds: dict[str, Mapping[str, Any]] = dict(kinds or {})


@dataclass
class Config:
    raw: dict[str, Any]
    source: str  # "gates.toml@main", "defaults", …
    values: dict[str, Any] = field(default_factory=dict)
    # the base commit the policy was read from: every branch of a run is judged against
    # this commit, so a base that moves during a long `--all` changes neither policy nor base
    base_commit: str = ""

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def gate(self, name: str, defaults: Mapping[str, Any] | None = None) -> GateSection:
        """A gate's section: common defaults, then the gate's, then the user's."""
        merged = {**GATE_COMMON, **(defaults or {})}
        merged.update(self.values["gates"].get(name, {}))
        return cast(GateSection, merged)  # validated against GATE_COMMON by `validate`

    @property
    def digest(self) -> str:
        blob = json.dumps(self.raw, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _type_name(v: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(v), type(v).__name__)


def _check(value: Any, default: Any, where: str, key: str) -> Any:
    if default is ANY:
        return value
    if default is dict or (isinstance(default, dict) and not default):  # free-form table
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: '{key}' must be a table, not {_type_name(value)}")
        return value
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: '{key}' must be a table, not {_type_name(value)}")
        return _check_table(value, default, where, f"{key}.")
    if isinstance(default, bool) or isinstance(value, bool):
        if type(value) is not type(default):
            raise ConfigError(
                f"{where}: '{key}' must be {_type_name(default)}, not {_type_name(value)}")
        return value
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if isinstance(default, list) and isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a list, not a string (write [\"{value}\"])")
    if default is not None and not isinstance(value, type(default)):
        raise ConfigError(
            f"{where}: '{key}' must be {_type_name(default)}, not {_type_name(value)}")
    return value


def _check_table(table: Mapping[str, Any], schema: Mapping[str, Any], where: str,
                 prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise ConfigError(f"{where}: unknown key '{prefix}{key}' (known: {known})")
        out[key] = _check(value, schema[key], where, prefix + key)
    for key, default in schema.items():
        if key not in out:
            out[key] = {} if default is dict else (
                None if default is ANY else _default_copy(default))
    return out


def _default_copy(default: Any) -> Any:
    if isinstance(default, dict):
        return _check_table({}, default, "")
    return list(default) if isinstance(default, list) else default


def parse(
    text: str,
    filename: str,
    gate_defaults: Mapping[str, Mapping[str, Any]] | None = None,
    where: str | None = None,
) -> Config:
    """Parse and validate one config text. `gate_defaults`: installed gate -> its defaults;
    `where` names the file in messages ("gates.toml@main")."""
    where = where or filename
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{where}: not valid TOML: {e}") from None
    if Path(filename).name == "pyproject.toml":
        doc = doc.get("tool", {}).get("gates", {})
        if not isinstance(doc, dict):
            raise ConfigError(f"{where}: [tool.gates] must be a table")
    return validate(doc, where, gate_defaults, where)


def validate(
    doc: dict[str, Any],
    where: str,
    gate_defaults: Mapping[str, Mapping[str, Any]] | None = None,
    source: str = "",
) -> Config:
    values = _check_table(doc, TOP, where)
    gates: dict[str, Any] = {}
    kinds = gate_defaults.kinds if isinstance(gate_defaults, Installed) else {}
    for name, section in values["gates"].items():
        if not isinstance(section, dict):
            raise ConfigError(f"{where}: 'gates.{name}' must be a table")
        declared = _declared_kind(name, section, gate_defaults, kinds, where)
        if gate_defaults is not None and name not in gate_defaults and declared is None:
            known = ", ".join(sorted(gate_defaults))
            raise ConfigError(f"{where}: unknown gate 'gates.{name}' (installed: {known}; "
                              f"or declare one with kind = \"tool\")")
        schema = {**GATE_COMMON, **(declared if declared is not None else
                                    (gate_defaults or {}).get(name) or {})}
        schema["path_thresholds"] = dict  # globs are free-form keys, even when a gate has some
        if gate_defaults is None:  # gates not known yet: accept their keys as they are
            schema.update({k: ANY for k in section if k not in schema})
        checked = _check_table(section, schema, where, f"gates.{name}.")
        # keep only what the user wrote; defaults are merged at use (Config.gate)
        gates[name] = {k: checked[k] for k in section}
        _check_gate_values(gates[name], where, f"gates.{name}.")
    values["gates"] = gates
    from gates import suppress  # [[suppress]] entries: one clear line on a bad one

    suppress.from_config(values["suppress"], where)
    for key, role in values["agents"].items():
        if not isinstance(role, str):
            raise ConfigError(f"{where}: 'agents.{key}' must be a string (the agent's role)")
    return Config(raw=doc, source=source or where, values=values)


def _declared_kind(name: str, section: Mapping[str, Any],
                   gate_defaults: Mapping[str, Mapping[str, Any]] | None,
                   kinds: Mapping[str, Mapping[str, Any]], where: str) -> Mapping[str, Any] | None:
    """The defaults of the kind a section declares (`kind = "tool"`), None when it
    declares none (an installed gate's section)."""
    kind = section.get("kind")
    if kind is None:
        return None
    if gate_defaults is None:  # gates not known yet: accept any kind
        return None
    if gate_defaults.get(name) is not None and "kind" not in gate_defaults[name]:
        raise ConfigError(f"{where}: 'gates.{name}' is an installed gate; a declared gate "
                          f"(kind = {kind!r}) needs a name of its own")
    if not isinstance(kind, str) or kind not in kinds:
        known = ", ".join(sorted(kinds)) or "none installed"
        raise ConfigError(f"{where}: 'gates.{name}.kind' is {kind!r} (known kinds: {known})")
    return kinds[kind]


def _check_gate_values(section: Mapping[str, Any], where: str, prefix: str) -> None:
    from gates.model import Severity

    if section.get("block_on", "new") not in ("new", "all"):
        raise ConfigError(f"{where}: '{prefix}block_on' must be \"new\" or \"all\"")
    try:
        Severity.parse(section.get("threshold", "low"))
        for sev in section.get("path_thresholds", {}).values():
            Severity.parse(sev)
        Severity.parse(section.get("payment_threshold") or "low")
    except ValueError as e:
        raise ConfigError(f"{where}: '{prefix}threshold': {e}") from None
    if section.get("block_confidence", "low") not in ("high", "medium", "low"):
        raise ConfigError(f"{where}: '{prefix}block_confidence' must be \"high\", \"medium\" "
                          "or \"low\"")
    if section.get("semgrep_cli", "osemgrep") not in ("osemgrep", "pysemgrep"):
        raise ConfigError(f"{where}: '{prefix}semgrep_cli' must be \"osemgrep\" or "
                          "\"pysemgrep\"")
    timeout = section.get("timeout", 1.0)
    if timeout <= 0:
        raise ConfigError(f"{where}: '{prefix}timeout' must be greater than 0")


def load(
    read: Callable[[str], str | None],
    label: str,
    gate_defaults: Mapping[str, Mapping[str, Any]] | None = None,
) -> Config:
    """Load from whatever `read(path)` returns (a file at a git ref, or on disk)."""
    for name in CONFIG_FILES:
        text = read(name)
        if text is None:
            continue
        if name == "pyproject.toml" and "[tool.gates" not in text:
            continue
        return parse(text, name, gate_defaults, f"{name}@{label}" if label else name)
    return validate({}, "defaults", gate_defaults, "defaults")


def load_dir(root: Path, gate_defaults: Mapping[str, Mapping[str, Any]] | None = None) -> Config:
    def read(name: str) -> str | None:
        p = root / name
        return p.read_text(encoding="utf-8") if p.is_file() else None

    return load(read, "", gate_defaults)


def is_status_file(path: str, status_dir: str) -> bool:
    """Is `path` one of the coordination files in `status_dir`?"""
    folder = "" if status_dir in ("", ".") else status_dir.strip("/") + "/"
    if not path.startswith(folder):
        return False
    name = path[len(folder):]
    return name in STATUS_FILES or (name.startswith("AGENT_STATUS_") and name.endswith(".md")
                                    and "/" not in name)
