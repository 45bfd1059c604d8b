"""The api gate on real repos: a real app (tests/apps/api_app.py) with one planted
spec violation per branch, real schemathesis, the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gates.builtin.api.gate import GATE
from gates.errors import ConfigError
from gates.gate import GateError
from gates.model import Severity, Status
from tests.conftest import GitRepo, run_gate, run_gates

APP = (Path(__file__).resolve().parents[2] / "apps" / "api_app.py").read_text()

pytestmark = pytest.mark.slow

CONFIG = """
[app]
command = ["python", "app.py", "--port", "{port}"]
health = "/health"

[gates.auth]
login = { path = "/login" }
users = { ann = { password = "ann-pass", role = "member" } }

[gates.api]
max_examples = 10
"""


def api_repo(tmp_path: Path, config: str = CONFIG, bug: str = "") -> GitRepo:
    """main: the correct app; the branch `acacia/items` plants `bug` (or changes a doc)."""
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"app.py": APP, "gates.toml": config}, "items app")
    change = {"app.py": APP.replace('BUG = ""', f'BUG = "{bug}"')} if bug else {
        "NOTES.md": "# notes\n"}
    repo.branch("acacia/items", change)
    return repo


def test_the_correct_app_passes(tmp_path: Path) -> None:
    repo = api_repo(tmp_path)
    res = run_gates("run", "--branch", "acacia/items", "--gate", "api", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    out = next((repo.path / "reports" / "acacia__items").glob("*/verdict.json")).parent
    gate = json.loads((out / "verdict.json").read_text())["gates"][0]
    assert gate["status"] == "pass" and gate["findings"] == []
    assert gate["metrics"]["user"] == "ann (member)" and gate["metrics"]["failures"] == 0
    assert "api/junit.xml" in gate["artifacts"]
    junit = (out / "api" / "junit.xml").read_text()
    assert 'name="POST /api/items"' in junit and "<failure" not in junit
    assert "schemathesis 4." in (out / "summary.md").read_text()


def test_a_500_on_an_edge_case_input_is_found(tmp_path: Path) -> None:
    result = run_gate(api_repo(tmp_path, bug="500"), "acacia/items", GATE)
    assert result.status == Status.PASS
    found = {(f.rule, f.extra["operation"]): f for f in result.findings}
    server_error = found[("not_a_server_error", "GET /api/items")]
    assert server_error.severity == Severity.HIGH
    assert server_error.message.startswith("GET /api/items: Server error (ST101)")
    assert re.search(r"^curl -i -X GET .*'http://127\.0\.0\.1:\d+/api/items\?limit=0'$",
                     server_error.extra["curl"]), server_error.extra["curl"]
    assert {op for _, op in found} == {"GET /api/items"}
    # tested as the configured user, whose token stays out of the report
    assert result.metrics["user"] == "ann (member)"
    assert "Bearer <token of ann>" in server_error.extra["curl"]
    assert "token-of-ann" not in json.dumps(result.to_json())


def test_a_response_field_missing_from_the_schema_is_found(tmp_path: Path) -> None:
    result = run_gate(api_repo(tmp_path, bug="missing-field"), "acacia/items", GATE)
    found = {(f.rule, f.extra["operation"]): f for f in result.findings}
    assert set(found) == {("response_schema_conformance", "GET /api/items/{item_id}")}
    [finding] = found.values()
    assert "Response violates schema" in finding.message and "price" in finding.message
    assert finding.extra["curl"].startswith("curl -i -X GET ")
    assert "/api/items/" in finding.extra["curl"]


# -- the gate cannot do its job: error, never a pass ----------------------------------


@pytest.mark.parametrize(("change", "message"), [
    (('command = ["python", "app.py", "--port", "{port}"]',
      'command = ["python", "-c", "raise SystemExit(4)"]'), "the app exited with code 4"),
    (("max_examples = 10", 'max_examples = 10\nspec = "/nope.json"'),
     "no OpenAPI document at http://127.0.0.1:"),
    (('"ann-pass"', '"wrong"'), "login as ann failed: POST /login answered HTTP 401"),
])
def test_errors(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(GateError, match="^" + re.escape(message)):
        run_gate(api_repo(tmp_path, CONFIG.replace(*change)), "acacia/items", GATE)


def test_an_unknown_user_is_a_config_mistake(tmp_path: Path) -> None:
    config = CONFIG.replace("max_examples = 10", 'max_examples = 10\nuser = "zed"')
    with pytest.raises(ConfigError, match="^" + re.escape(
            "[gates.api] user = 'zed' is not a user of [gates.auth] users")):
        run_gate(api_repo(tmp_path, config), "acacia/items", GATE)


def test_a_run_past_max_time_is_an_error(tmp_path: Path) -> None:
    result = run_gate(api_repo(tmp_path, CONFIG.replace("max_examples = 10",
                                                        "max_examples = 1000\nmax_time = 2")), "acacia/items", GATE)
    assert result.status == Status.ERROR
    assert result.reason.startswith("schemathesis did not finish within max_time = 2s")


def test_no_app_skips(tmp_path: Path) -> None:
    result = run_gate(api_repo(tmp_path, "[gates.api]\nmax_examples = 10\n"), "acacia/items", GATE)
    assert result.status == Status.SKIPPED and "[app] command" in result.reason
