from __future__ import annotations

from pathlib import Path

import yaml

from gates import scaffold


def test_languages_and_agents() -> None:
    assert scaffold.languages(["a.py", "web/x.tsx", "README.md"]) == ["python", "typescript"]
    assert scaffold.languages(["README.md"]) == []
    names = ["main", "walnut/catalog", "Walnut/more", "IRONWOOD/pay", "dependabot/pip/x",
             "release/1.0", "feature", "-bad/x"]
    assert scaffold.agents(names) == ["ironwood", "walnut"]


def write(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return sorted(files)


def test_guess_app(tmp_path: Path) -> None:
    files = write(tmp_path, {"svc/main.py": "from fastapi import FastAPI\napp = FastAPI()\n"})
    app = scaffold.guess_app(tmp_path, files)
    assert app is not None and app.command[:4] == ["python", "-m", "uvicorn", "svc.main:app"]
    assert app.spec == "/openapi.json" and app.health == "/openapi.json"

    flask = tmp_path / "f"
    files = write(flask, {"web.py": "from flask import Flask\napp = Flask(__name__)\n",
                          "routes.py": "@app.get('/health')\n"})
    app = scaffold.guess_app(flask, files)
    assert app is not None and app.command[:5] == ["python", "-m", "flask", "--app", "web"]
    assert app.health == "/health" and app.spec == ""

    lib = tmp_path / "lib"
    assert scaffold.guess_app(lib, write(lib, {"lib/__init__.py": "X = 1\n"})) is None


def test_gates_toml_quotes_what_it_writes() -> None:
    app = scaffold.App(['python', '-m', 'x"y', '--port', '{port}'], "/", "")
    text = scaffold.gates_toml("main", ["python"], app, ["walnut"], {})
    assert 'command = ["python", "-m", "x\\"y", "--port", "{port}"]' in text


def test_append_to_a_pre_commit_config() -> None:
    base = "default_stages: [pre-commit]\nrepos:\n- repo: local\n  hooks:\n  - id: a\n" \
           "    name: a\n    entry: a\n    language: system\n"
    new = scaffold._append_pre_commit(base)
    assert new is not None and new.startswith(base)
    repos = yaml.safe_load(new)["repos"]
    assert [h["id"] for r in repos for h in r["hooks"]] == ["a", "gates-static", "gates-guard"]
    # repos: not last, or no repos at all: not touched
    assert scaffold._append_pre_commit("repos: []\nminimum_pre_commit_version: '3'\n") is None
    assert scaffold._append_pre_commit("ci:\n  autofix: true\n") is None
    assert scaffold._append_pre_commit("repos: [\n") is None
