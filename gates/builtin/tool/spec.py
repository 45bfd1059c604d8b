"""What a `[gates.<name>] kind = "tool"` section says, checked, with its preset filled in.

The keys (`KIND_DEFAULTS`): `command` (argv; `{files}` stands for the files to
check, `{output}` for a file the tool writes its report to instead of stdout),
`format` (how to read the output: gates.formats), `files` (globs of the files it
checks; a change to one of them runs it), `per_file` (true: each file is judged on
its own, cached per blob and batched across branches; false: the tool judges the
whole tree, on the branch and on the base), `config_files` (files taken from the
base commit and put beside what the tool checks: its config, a lockfile),
`link` (folders of the repository's checkout the tool needs, such as
`node_modules`, linked beside them), `version` (the command that prints the tool's
version; default: the command's program with `--version`), `ok_exit` (exit codes
of a run that did its job; default: the format's), `env` (variables set for the
tool, on top of the scrubbed environment). `preset` fills in any of those
the section leaves out (gates.builtin.tool.presets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gates.errors import ConfigError
from gates.formats import FORMATS

FILES = "{files}"
OUTPUT = "{output}"

KIND_DEFAULTS: dict[str, Any] = {
    "preset": "",
    "command": [],
    "format": "",
    "files": [],
    "per_file": True,
    "config_files": [],
    "link": [],
    "version": [],
    "ok_exit": [],
    "env": {},  # variables for the tool (its own switches: no update check, no telemetry)
}

# exit codes of a run that did its job, per format (found something or not)
OK_EXIT = {"eslint": [0, 1], "tsc": [0, 1, 2], "mypy": [0, 1], "ruff": [0, 1],
           "sarif": [0, 1], "junit": [0, 1]}
# programs that run another program: the version is asked of the one they run
RUNNERS = {"npx", "bunx", "pnpx", "uvx", "pipx"}


@dataclass(frozen=True)
class Spec:
    name: str
    command: tuple[str, ...]
    format: str
    files: tuple[str, ...]
    per_file: bool
    config_files: tuple[str, ...]
    link: tuple[str, ...]
    version: tuple[str, ...]
    ok_exit: tuple[int, ...]
    env: tuple[tuple[str, str], ...] = ()

    @property
    def program(self) -> str:
        """What a reader calls the tool: `eslint` of `npx --no-install eslint …`."""
        return Path(self.version[-2] if len(self.version) > 1 else self.command[0]).name


def default_version(command: list[str]) -> list[str]:
    """`ruff --version`; `npx --no-install eslint --version` for `npx … eslint …`."""
    head = [command[0]]
    if Path(command[0]).name in RUNNERS:
        for arg in command[1:]:
            head.append(arg)
            if not arg.startswith("-"):
                break
    return [*head, "--version"]


def resolve(name: str, section: Mapping[str, Any], where: str = "gates.toml") -> Spec:
    """The spec of section `gates.<name>`; `ConfigError` (one line) when it cannot work."""
    from gates.builtin.tool.presets import PRESETS

    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{where}: 'gates.{name}.{key}' {why}")

    preset_name = section.get("preset", "")
    if preset_name and preset_name not in PRESETS:
        raise bad("preset", f"is {preset_name!r} (presets: {', '.join(sorted(PRESETS))})")
    values = {**KIND_DEFAULTS, **(PRESETS[preset_name] if preset_name else {}),
              **{k: v for k, v in section.items() if k in KIND_DEFAULTS}}
    command = values["command"]
    if not command or not all(isinstance(a, str) and a for a in command):
        raise bad("command", "must be a non-empty list of strings (the tool's argv; "
                  "`{files}` for the files)" + (" — the preset needs one" if preset_name else ""))
    fmt = values["format"]
    if fmt not in FORMATS:
        raise bad("format", f"is {fmt!r} (one of: {', '.join(FORMATS)})")
    if not values["files"]:
        raise bad("files", "is empty: the globs of the files the tool checks, e.g. [\"**/*.ts\"]")
    if values["per_file"] and FILES not in command:
        raise bad("command", f"has no {FILES!r}: a per-file tool is handed the files to check "
                  "(or set per_file = false for a tool that judges the whole tree)")
    if not values["per_file"] and FILES in command:
        raise bad("command", f"has {FILES!r}, but per_file = false: a whole-tree tool "
                  "finds its files itself")
    ok_exit = values["ok_exit"] or OK_EXIT[fmt]
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in ok_exit):
        raise bad("ok_exit", "must be a list of integers (exit codes)")
    for key in ("files", "config_files", "link", "version"):
        if not all(isinstance(v, str) and v for v in values[key]):
            raise bad(key, "must be a list of non-empty strings")
    env = values["env"]
    if not all(isinstance(v, str) for v in env.values()):
        raise bad("env", "must be a table of strings")
    for key in ("config_files", "link"):
        for p in values[key]:
            if p.startswith("/") or ".." in p.split("/"):
                raise bad(key, f"names {p!r}: a path inside the repository")
    return Spec(name=name, command=tuple(command), format=fmt, files=tuple(values["files"]),
                per_file=bool(values["per_file"]), config_files=tuple(values["config_files"]),
                link=tuple(values["link"]),
                version=tuple(values["version"] or default_version(command)),
                ok_exit=tuple(ok_exit), env=tuple(sorted(env.items())))
