from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from gates import config as config_mod
from gates import registry
from tests.conftest import ROOT, GitRepo, run_gates


def sample_app(tmp_path: Path) -> GitRepo:
    """The demo's tool-library app without its gates.toml, with two agents' branches."""
    repo = GitRepo(tmp_path / "toollib")
    shutil.copytree(ROOT / "gates" / "demo" / "app", repo.path, dirs_exist_ok=True)
    (repo.path / "gates.toml").unlink()
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "toollib")
    for b in ("walnut/catalog", "ironwood/payments", "dependabot/pip/x"):
        repo.git("branch", b)
    return repo


def test_init_writes_a_starter_setup_that_works(tmp_path: Path) -> None:
    repo = sample_app(tmp_path)
    res = run_gates("init", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    for name in ("gates.toml", ".pre-commit-config.yaml", ".github/workflows/gates.yml",
                 ".github/workflows/gates-publish.yml"):
        assert f"wrote     {name}" in res.stdout

    cfg = config_mod.load_dir(repo.path, registry.load().defaults)  # it loads
    assert cfg["base"] == "main"
    assert sorted(cfg["agents"]) == ["ironwood", "walnut"]  # not dependabot
    assert cfg["app"]["command"] == ["python", "-m", "toollib", "--host", "{host}", "--port",
                                     "{port}", "--data", "{tmp}"]
    assert cfg["app"]["health"] == "/health"
    assert cfg.gate("api")["spec"] == "/openapi.json"
    assert "Languages found: python" in repo.read("gates.toml")

    hooks = yaml.safe_load(repo.read(".pre-commit-config.yaml"))["repos"][0]["hooks"]
    assert {h["id"]: h["entry"] for h in hooks} == {"gates-static": "gates static",
                                                     "gates-guard": "gates guard --pre-commit"}
    assert repo.read(".github/workflows/gates.yml") == (ROOT / "gates/ci/gates.yml").read_text()

    # the starter policy judges a branch
    repo.git("add", "gates.toml")
    repo.git("commit", "-q", "-m", "gates")
    res = run_gates("plan", "--json", "--branch", "walnut/catalog", cwd=repo.path)
    assert res.returncode == 0 and '"gate":"lint"' in res.stdout


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    repo = sample_app(tmp_path)
    mine = {"gates.toml": 'base = "main"\nreporter = "ACACIA"\n',
            ".github/workflows/gates.yml": "name: mine\n",
            ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks:\n"
                                       "      - id: mine\n        name: mine\n"
                                       "        entry: true\n        language: system\n"}
    repo.write(mine)
    res = run_gates("init", cwd=repo.path)
    assert res.returncode == 0
    for name, text in mine.items():
        assert repo.read(name) == text, name
        assert f"kept      {name}" in res.stdout
    assert "- id: gates-guard" in res.stdout  # the hooks to add by hand are printed

    res = run_gates("init", "--force", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "reporter" not in repo.read("gates.toml")
    assert repo.read(".github/workflows/gates.yml") == (ROOT / "gates/ci/gates.yml").read_text()
    # the pre-commit config is appended to, never replaced
    assert "appended  .pre-commit-config.yaml" in res.stdout
    ids = [h["id"] for r in yaml.safe_load(repo.read(".pre-commit-config.yaml"))["repos"]
           for h in r["hooks"]]
    assert ids == ["mine", "gates-static", "gates-guard"]
    res = run_gates("init", "--force", cwd=repo.path)
    assert "has gates .pre-commit-config.yaml" in " ".join(res.stdout.split())


def test_init_in_an_empty_repository(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "empty")
    res = run_gates("init", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    text = repo.read("gates.toml")
    assert "# [app]" in text and "Languages found: none" in text
    assert config_mod.parse(text, "gates.toml", registry.load().defaults)["base"] == "main"
