"""The published .pre-commit-hooks.yaml: pre-commit accepts it, its entries are commands
our CLI parses, and it says what `gates init` writes into a .pre-commit-config.yaml."""

from __future__ import annotations

import re
import shlex
import tomllib
from typing import Any

import pytest
import yaml
from pre_commit import clientlib

from gates import scaffold
from gates.cli import parser
from tests.conftest import ROOT, GitRepo, run_gates

MANIFEST = ROOT / ".pre-commit-hooks.yaml"
SAME = ("entry", "stages", "pass_filenames", "always_run", "require_serial")
INSTALL = "pre-commit install --hook-type pre-commit --hook-type pre-merge-commit " \
          "--hook-type pre-push"


def published() -> dict[str, dict[str, Any]]:
    hooks = clientlib.load_manifest(str(MANIFEST))  # pre-commit's own schema: raises if bad
    assert [h["id"] for h in hooks] == [h["id"] for h in yaml.safe_load(MANIFEST.read_text())]
    return {h["id"]: h for h in hooks}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The hooks `gates init` writes, as pre-commit reads the config (defaults applied)."""
    repo = GitRepo(tmp_path_factory.mktemp("init") / "target")
    repo.commit({"app.py": "X = 1\n"}, "init")
    res = run_gates("init", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    cfg = clientlib.load_config(str(repo.path / ".pre-commit-config.yaml"))
    return {h["id"]: h for r in cfg["repos"] for h in r["hooks"]}


def test_the_manifest_is_valid_and_has_our_two_hooks() -> None:
    hooks = published()
    assert set(hooks) == {"gates-guard", "gates-static"}
    for h in hooks.values():
        assert h["language"] == "python"  # pre-commit installs this repository
        assert set(h["stages"]) <= set(clientlib.STAGES)


def test_init_writes_the_same_hooks(written: dict[str, dict[str, Any]]) -> None:
    hooks = published()
    assert set(written) == set(hooks)
    for hook_id, h in hooks.items():
        mine = written[hook_id]
        # a `repo: local` entry, gates already installed ("system"; pre-commit >= 4.4
        # reads it as its new name, "unsupported")
        assert mine["language"] in ("system", "unsupported")
        for key in SAME:
            assert mine[key] == h[key], (hook_id, key)


def test_the_entries_are_commands_our_cli_parses() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    hooks = published()
    for h in hooks.values():
        argv = shlex.split(h["entry"])
        assert argv[0] in scripts  # the console script pre-commit's python env installs
        files = ["app/a.py", "b.py"] if h["pass_filenames"] else []
        args = parser().parse_args([*argv[1:], *files])  # SystemExit on an unknown option
        if h["id"] == "gates-guard":
            assert args.func == "guard" and args.pre_commit and not args.targets
        else:
            assert args.func == "static" and args.files == files


def test_the_guards_stages_are_the_ones_it_handles() -> None:
    guard = published()["gates-guard"]
    assert set(guard["stages"]) == {"pre-merge-commit", "pre-push"}
    assert guard["pass_filenames"] is False and guard["always_run"] is True
    assert published()["gates-static"]["stages"] == ["pre-commit"]


def test_the_static_hooks_extra_tools_are_the_ones_gates_names() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["all"]
    deps = published()["gates-static"]["additional_dependencies"]
    assert deps and set(deps) <= set(extras)


def test_the_install_command_covers_every_stage() -> None:
    """The command both files tell people to run installs a hook type for each stage."""
    text = MANIFEST.read_text()
    for source in (text, scaffold.PRE_COMMIT_HOOKS):
        assert INSTALL in " ".join(source.split())
    types = set(re.findall(r"--hook-type ([\w-]+)", INSTALL))
    assert {s for h in published().values() for s in h["stages"]} <= types


def test_this_repo_passes_its_own_pre_commit_config(tmp_path) -> None:
    """We gate ourselves: every hook of our .pre-commit-config.yaml (ruff, mypy,
    import-linter, bandit, semgrep with our rules, gates static) runs on every file of this
    checkout and passes."""
    import os
    import subprocess
    import sys

    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: pre-commit needs one")
    hooks = [h["id"] for r in clientlib.load_config(str(ROOT / ".pre-commit-config.yaml"))["repos"]
             for h in r["hooks"]]
    bin_dir = os.path.dirname(sys.executable)  # the hooks are `language: system`: our venv
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"), "HOME": str(tmp_path),
           "SEMGREP_ENABLE_VERSION_CHECK": "0",
           # a scratch HOME has no safe.directory: trust this checkout, whoever owns it
           "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory",
           "GIT_CONFIG_VALUE_0": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color",
                          "never"], cwd=ROOT, env=env, text=True, capture_output=True,
                         timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    passed = re.findall(r"^(.+?)\.{3,}Passed$", res.stdout, flags=re.M)
    assert len(passed) == len(hooks), out  # each hook ran on files (none "Skipped")
    assert {"ruff", "mypy", "lint-imports", "bandit", "semgrep", "gates-static"} <= set(hooks)
