"""Repos of the accounts app (tests/apps/accounts_app.py) as the real-API tests of the
auth and api gates build them: main in one mode, branches that flip holes on or only
touch the README."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import GitRepo

APP = (Path(__file__).resolve().parent / "accounts_app.py").read_text()
USERS = ('{ alice = { password = "alice-pass-1", role = "member" }, '
         'bob = { password = "bob-pass-1", role = "member" }, '
         'root = { password = "root-pass-1", role = "admin" } }')
CONFIG = f"""
[app]
command = ["python", "app.py", "--port", "{{port}}", "--data", "{{tmp}}"]
health = "/health"
env = {{ ACCOUNTS_JWT_SECRET = "accounts-secret-for-the-gates-tests-only" }}

[gates.auth]
login = {{ path = "/login" }}
exclude = ["GET /createdb"]
roles = {{ "/admin/*" = ["admin"], "DELETE /users/*" = ["admin"] }}
owned = {{ "GET /users/{{username}}" = "", "PUT /users/{{username}}/password" = "", "PUT /users/{{username}}/email" = "" }}
users = {USERS}

[gates.api]
max_examples = 5
phases = ["examples", "coverage", "fuzzing"]
"""


def app(mode: str = "secure", holes: str = "") -> str:
    return APP.replace('MODE = "secure"', f'MODE = "{mode}"').replace(
        'HOLES = ""', f'HOLES = "{holes}"')


def repo(root: Path, main: str, branches: dict[str, dict[str, str]],
         config: str = CONFIG) -> GitRepo:
    """main with the app source `main`; each branch with its files (from main)."""
    r = GitRepo(root)
    r.commit({"app.py": main, "gates.toml": config}, "accounts app")
    for name, files in branches.items():
        r.branch(name, files)
    return r


def verdict(root: Path, branch: str) -> tuple[dict[str, Any], Path]:
    """The branch's single gate record from its last verdict.json, and its report folder."""
    out = sorted((root / "reports" / branch.replace("/", "__")).glob("*/verdict.json"))[-1].parent
    return json.loads((out / "verdict.json").read_text())["gates"][0], out


def requests(log: Path) -> list[str]:
    """What the app was asked ("GET /users/alice"), from the lines it logs."""
    if not log.is_file():
        return []
    return [line.split(" ", 1)[1] for line in log.read_text().splitlines()
            if line.startswith("request ")]
