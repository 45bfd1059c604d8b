"""`gates init`: what a repository needs to be gated, guessed from what it holds.

A starter gates.toml (the languages found, the app's start command and OpenAPI
spec when they can be guessed, the agents from existing branch prefixes), a
pre-commit entry and the GitHub Actions workflows. Nothing that exists is
overwritten without `force`; an existing .pre-commit-config.yaml is only ever
appended to (with `force`), never replaced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from gates import config as config_mod
from gates import git, init_detect
from gates.filelock import atomic_write

LANGUAGES = {
    "python": (".py", ".pyi"),
    "javascript": (".js", ".jsx", ".mjs", ".cjs"),
    "typescript": (".ts", ".tsx"),
}
NOT_AGENTS = {"dependabot", "renovate", "origin", "release", "releases", "hotfix", "HEAD"}
WORKFLOWS = ("gates.yml", "gates-publish.yml")  # gates-matrix.yml ships too, for big clusters

PRE_COMMIT_HOOKS = """\
  # gates (written by `gates init`): install with
  #   pre-commit install --hook-type pre-commit --hook-type pre-merge-commit --hook-type pre-push
  - repo: local
    hooks:
      - id: gates-static
        name: gates static (lint, security, secrets on the staged files)
        entry: gates static
        language: system
        require_serial: true
        stages: [pre-commit]
      - id: gates-guard
        name: gates merge guard
        entry: gates guard --pre-commit
        language: system
        pass_filenames: false
        always_run: true
        stages: [pre-merge-commit, pre-push]
"""


@dataclass
class App:
    command: list[str]
    health: str
    spec: str = ""  # the OpenAPI spec's path, when known


@dataclass
class Written:
    path: Path
    action: str  # "wrote", "kept", "appended", "has gates"
    note: str = ""


def languages(files: Sequence[str]) -> list[str]:
    return [lang for lang, exts in LANGUAGES.items() if any(f.endswith(exts) for f in files)]


def agents(branches: Sequence[str]) -> list[str]:
    prefixes = {b.split("/", 1)[0] for b in branches if "/" in b}
    return sorted({p.lower() for p in prefixes
                   if p not in NOT_AGENTS and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", p)})


def _read(root: Path, path: str) -> str:
    try:
        return (root / path).read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return ""


def guess_app(root: Path, files: Sequence[str]) -> App | None:
    """A Python app's start command: a package run with `-m` that takes --port, else a
    module-level FastAPI or Flask `app` (through uvicorn / flask)."""
    py = [f for f in files if f.endswith(".py") and "/tests/" not in f"/{f}"
          and not f.split("/")[-1].startswith("test_")]
    health_route = any('"/health"' in _read(root, f) or "'/health'" in _read(root, f)
                       for f in py[:400])
    for f in py:
        parts = f.split("/")
        if len(parts) == 2 and parts[1] == "__main__.py":
            text = _read(root, f)
            if "--port" in text:
                cmd = ["python", "-m", parts[0], "--host", "{host}", "--port", "{port}"]
                if "--data" in text:
                    cmd += ["--data", "{tmp}"]
                fastapi = any("FastAPI(" in _read(root, g) for g in py if g.startswith(parts[0]))
                return App(cmd, "/health" if health_route else "/",
                           "/openapi.json" if fastapi else "")
    for f in py:
        text = _read(root, f)
        module = f.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        if re.search(r"^app\s*=\s*FastAPI\(", text, re.MULTILINE):
            return App(["python", "-m", "uvicorn", f"{module}:app", "--host", "{host}",
                        "--port", "{port}"], "/health" if health_route else "/openapi.json",
                       "/openapi.json")
        if re.search(r"^app\s*=\s*Flask\(", text, re.MULTILINE):
            return App(["python", "-m", "flask", "--app", module, "run", "--host", "{host}",
                        "--port", "{port}"], "/health" if health_route else "/")
    return None


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(_toml_str(i) for i in items) + "]"


def gates_toml(base: str, langs: Sequence[str], app: App | None, agent_names: Sequence[str],
               gate_defaults: Mapping[str, Mapping[str, Any]],
               root: Path | None = None, files: Sequence[str] = ()) -> str:
    lines = [
        "# The gates policy, written by `gates init`: edit it. It is read from the base",
        "# branch, never from the branch under test. Languages found: "
        + (", ".join(langs) or "none") + ".",
        f"base = {_toml_str(base)}",
        "",
        "[agents]  # agents push <agent>/<topic> branches; name = role",
    ]
    lines += [f"{a} = {_toml_str('agent')}" for a in agent_names] or \
        ['# walnut = "frontend"']
    lines.append("")
    if app is not None:
        lines += [
            "[app]  # the application under test (auth, api, e2e and perf gates): guessed",
            f"command = {_toml_list(app.command)}",
            f"health = {_toml_str(app.health)}",
        ]
        if root is not None and len(app.command) > 2 and app.command[1] == "-m":
            env, where = init_detect.app_env(root, files, app.command[2].split(".")[0])
            if env:
                lines += [f"# found {', '.join(env)} read from the environment in "
                          f"{', '.join(where[:3])}: test-only values, made up here",
                          "env = { " + ", ".join(f"{k} = {_toml_str(v)}" for k, v in env.items())
                          + " }"]
    else:
        lines += [
            "# [app]  # the application under test (auth, api, e2e and perf gates)",
            '# command = ["python", "-m", "myapp", "--host", "{host}", "--port", "{port}"]',
            '# health = "/health"',
        ]
    if root is not None:  # the gates that fit what the repository holds
        lines += init_detect.render(init_detect.sections(
            root, files, app=app is not None, spec=app.spec if app else "",
            installed=gate_defaults))
    elif app is not None and app.spec:
        for name in sorted(gate_defaults):
            if "spec" in gate_defaults[name]:
                lines += ["", f"[gates.{name}]", f"spec = {_toml_str(app.spec)}"]
    return "\n".join(lines) + "\n"


def _append_pre_commit(text: str) -> str | None:
    """`text` with our hooks appended to its `repos:` list, or None when that cannot
    be done safely (repos: is not the last top-level key, or the YAML does not agree)."""
    try:
        import yaml
    except ImportError:  # pyyaml comes with gates[all]; without it, do not guess
        return None
    try:
        before = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return None
    top = [m.group(1) for m in re.finditer(r"^([A-Za-z_][\w-]*):", text, re.MULTILINE)]
    if not isinstance(before, dict) or not top or top[-1] != "repos":
        return None
    # the list's own indentation (`- repo:` at column 0 or indented)
    item = re.search(r"^repos:[^\n]*\n(?:\s*#[^\n]*\n)*( *)- ", text, re.MULTILINE)
    indent = item.group(1) if item else "  "
    hooks = "".join(indent + line[2:] if line.strip() else line
                    for line in PRE_COMMIT_HOOKS.splitlines(keepends=True))
    new = (text if text.endswith("\n") else text + "\n") + hooks
    try:
        after = yaml.safe_load(new)
    except yaml.YAMLError:
        return None
    repos = after.get("repos") if isinstance(after, dict) else None
    if not isinstance(repos, list) or repos[:-1] != (before.get("repos") or []):
        return None
    return new


def write(root: Path, *, force: bool, gate_defaults: Mapping[str, Mapping[str, Any]]
          ) -> list[Written]:
    files = git.files(root)
    branch_names = git.branches(root)
    base = next((b for b in ("main", "master") if b in branch_names), "main")
    out: list[Written] = []

    text = gates_toml(base, languages(files), guess_app(root, files),
                      agents([b for b in branch_names if b != base]), gate_defaults,
                      root, files)
    config_mod.parse(text, "gates.toml", gate_defaults)  # what we write must load
    out.append(_put(root / "gates.toml", text, force))

    path = root / ".pre-commit-config.yaml"
    if not path.exists():
        atomic_write(path, "repos:\n" + PRE_COMMIT_HOOKS)
        out.append(Written(path, "wrote"))
    else:
        current = path.read_text(encoding="utf-8", errors="replace")
        if "gates guard" in current or "gates-guard" in current:
            out.append(Written(path, "has gates"))
        elif not force:
            out.append(Written(path, "kept", "exists: --force appends our hooks to it"))
        else:
            new = _append_pre_commit(current)
            if new is None:
                out.append(Written(path, "kept", "cannot append safely: add the hooks "
                                                 "printed below under `repos:`"))
            else:
                atomic_write(path, new)
                out.append(Written(path, "appended"))

    for name in WORKFLOWS:
        template = workflow_template(name)
        if template is None:
            out.append(Written(root / ".github/workflows" / name, "kept",
                               f"no template gates/ci/{name} in this installation of gates"))
            continue
        out.append(_put(root / ".github" / "workflows" / name, template, force))
    return out


def workflow_template(name: str) -> str | None:
    """A GitHub Actions template shipped in the package (gates/ci/, package data)."""
    found = resources.files("gates").joinpath("ci").joinpath(name)
    return found.read_text(encoding="utf-8") if found.is_file() else None


def _put(path: Path, text: str, force: bool) -> Written:
    if path.exists() and not force:
        return Written(path, "kept", "exists: --force overwrites it")
    existed = path.exists()
    atomic_write(path, text)
    return Written(path, "overwrote" if existed else "wrote")
