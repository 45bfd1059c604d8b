"""The auth gate on real repos: a real app (tests/apps/auth_app.py) with one planted
authorization hole per branch, the real probe, the repo's own auth tests, the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gates.builtin.auth.gate import GATE
from gates.gate import GateError
from gates.model import GateResult, Severity, Status
from gates.publish.sections_md import render
from tests.conftest import GitRepo, run_gate, run_gates

APPS = Path(__file__).resolve().parents[2] / "apps"
APP = (APPS / "auth_app.py").read_text()
TESTS = (APPS / "auth_test_login.py").read_text()
SECRET = "notes-secret-for-the-gates-tests-only"

pytestmark = pytest.mark.slow

CONFIG = f"""
[app]
command = ["python", "app.py", "--port", "{{port}}"]
health = "/health"
env = {{ NOTES_JWT_SECRET = "{SECRET}" }}

[gates.auth]
login = {{ path = "/login" }}
jwt_secret = "${{NOTES_JWT_SECRET}}"
users = {{ ann = {{ password = "ann-pass", role = "member" }}, ben = {{ password = "ben-pass", role = "member" }}, root = {{ password = "root-pass", role = "admin" }} }}
"""
WITH_TESTS = CONFIG + 'tests = ["tests/auth"]\nmarker = "auth"\n'
PROTECTED = {"GET /api/me", "GET /api/admin/users", "GET /api/notes", "POST /api/notes",
             "GET /api/notes/{note_id}"}


def auth_repo(tmp_path: Path, config: str = CONFIG, hole: str = "") -> GitRepo:
    """main: the correct app; the branch `ironwood/notes` plants `hole` (or changes a doc)."""
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"app.py": APP, "tests/auth/test_login.py": TESTS, "gates.toml": config},
                "notes app")
    change = {"app.py": APP.replace('HOLE = ""', f'HOLE = "{hole}"')} if hole else {
        "NOTES.md": "# notes\n"}
    repo.branch("ironwood/notes", change)
    return repo


def holes(result: GateResult) -> set[tuple[str, str]]:
    return {(f.rule, f.extra["operation"]) for f in result.findings}


def report(root: Path, branch: str) -> Path:
    return next((root / "reports" / branch.replace("/", "__")).glob("*/verdict.json")).parent


def test_a_correct_app_passes_with_its_matrix_and_its_own_tests(tmp_path: Path) -> None:
    repo = auth_repo(tmp_path, WITH_TESTS)
    res = run_gates("run", "--branch", "ironwood/notes", "--gate", "auth", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    out = report(repo.path, "ironwood/notes")
    gate = json.loads((out / "verdict.json").read_text())["gates"][0]
    assert gate["status"] == "pass" and gate["findings"] == []
    # `-m auth` ran the two auth tests, with the app's URL (fixture and environment)
    assert gate["metrics"]["tests"] == {"passed": 2, "failed": 0, "error": 0, "skipped": 0}
    matrix = gate["metrics"]["matrix"]
    assert {c["operation"] for c in matrix} == {*PROTECTED, "POST /hooks/payment"}
    assert all(c["outcome"] == "ok" for c in matrix), [c for c in matrix if c["outcome"] != "ok"]
    probes = {(c["operation"], c["probe"]) for c in matrix}
    for probe in ("control", "no-token", "malformed", "stripped", "alg-none", "tampered",
                  "expired"):
        assert ("GET /api/me", probe) in probes
    assert ("GET /api/admin/users", "role") in probes
    assert ("GET /api/notes/{note_id}", "other-user") in probes
    assert ("POST /hooks/payment", "webhook") in probes
    summary = (out / "summary.md").read_text()
    assert "**Access matrix**: 6 operation(s)" in summary
    assert "| `GET /api/notes/{note_id}` | member, admin | ann 200 |" in summary
    assert "| `POST /hooks/payment` | signed webhook | — |" in summary
    assert "The repo's auth tests: 2 passed" in summary


@pytest.mark.parametrize(("hole", "expected"), [
    # one cause, one finding: the callers it let in are listed in it
    ("no-auth", {("auth-missing", "GET /api/admin/users")}),
    ("alg-none", {("jwt-alg-none", op) for op in PROTECTED}),
    ("ignore-signature", {("jwt-signature-stripped", op) for op in PROTECTED}),
    ("expired", {("jwt-expired", op) for op in PROTECTED}),
    ("member-admin", {("role-not-enforced", "GET /api/admin/users")}),
    ("bola", {("bola", "GET /api/notes/{note_id}")}),
    ("unsigned-webhook", {("webhook-signature-ignored", "POST /hooks/payment")}),
])
def test_the_probe_catches_each_hole_on_its_own(tmp_path: Path, hole: str,
                                                expected: set[tuple[str, str]]) -> None:
    result = run_gate(auth_repo(tmp_path, hole=hole), "ironwood/notes", GATE)
    assert result.status == Status.PASS  # the policy, not the gate, turns it into a fail
    assert holes(result) == expected
    for f in result.findings:
        assert f.severity == Severity.CRITICAL and f.fingerprint
        assert f.extra["curl"].startswith("curl -i -X ") and "eyJ" not in f.extra["curl"]
    # each caller let in is a cell of the matrix; its finding names them all
    assert result.metrics["holes"] == sum(len(f.extra.get("callers", [1]))
                                          for f in result.findings)


def test_bola_names_the_operation_the_callers_and_a_redacted_curl(tmp_path: Path) -> None:
    [finding] = run_gate(auth_repo(tmp_path, hole="bola"), "ironwood/notes", GATE).findings
    assert finding.message == ("GET /api/notes/{note_id} answers ben (member) asking for "
                               "ann's object (BOLA/IDOR): HTTP 200, expected 403/404 — "
                               "evidence: the body is the one ann gets from the same request: "
                               '{"id":1,"owner":1,"text":"gates-probe"}')
    assert finding.extra["curl"].startswith(
        "curl -i -X GET -H 'Authorization: Bearer <token of ben>' http://127.0.0.1:")
    assert finding.extra["curl"].endswith("/api/notes/1")


def test_a_hole_blocks_the_branch_and_becomes_a_critical_issue(tmp_path: Path) -> None:
    repo = auth_repo(tmp_path, WITH_TESTS, hole="no-auth")
    res = run_gates("run", "--branch", "ironwood/notes", "--gate", "auth", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    out = report(repo.path, "ironwood/notes")
    gate = json.loads((out / "verdict.json").read_text())["gates"][0]
    assert gate["status"] == "fail"
    failed = [f for f in gate["findings"] if f["rule"] == "test-failed"]
    assert [f["extra"]["test"] for f in failed] == [
        "tests/auth/test_login.py::test_admin_users_need_a_token"]
    missing = next(f for f in gate["findings"] if f["rule"] == "auth-missing")
    assert missing["blocking"] and missing["severity"] == "critical"
    issues = repo.read("CLUSTER_ISSUES.md")
    assert "GET /api/admin/users answers a request without credentials" in issues
    assert "curl -i -X GET http://127.0.0.1:" in issues
    written = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    assert not any("eyJ" in text for text in [*written, issues])  # no token anywhere


def test_without_users_the_probe_still_catches_a_route_with_no_auth_check(tmp_path: Path
                                                                          ) -> None:
    config = CONFIG.split("[gates.auth]")[0]
    result = run_gate(auth_repo(tmp_path, config, hole="no-auth"), "ironwood/notes", GATE)
    assert holes(result) == {("auth-missing", "GET /api/admin/users")}
    [finding] = result.findings
    assert finding.extra["callers"] == ["no token", "malformed bearer"]
    assert "no users in `[gates.auth]`" in render(result.sections)
    assert result.metrics["notes"] == [
        "no users in `[gates.auth]`: only requests without a valid token were tried (forged "
        "tokens, roles and other users' objects need users)"]


# -- the gate cannot do its job: error, never a pass ----------------------------------


@pytest.mark.parametrize(("change", "message"), [
    (('command = ["python", "app.py", "--port", "{port}"]',
      'command = ["python", "-c", "raise SystemExit(3)"]'), "the app exited with code 3"),
    (('login = { path = "/login" }', 'login = { path = "/login" }\nspec = "/nope.json"'),
     "no OpenAPI document at http://127.0.0.1:"),
    (('"ben-pass"', '"not-his-password"'),
     "login as ben failed: POST /login answered HTTP 401"),
    (('jwt_secret = "${NOTES_JWT_SECRET}"', 'jwt_secret = "not-the-secret"'),
     "[gates.auth] jwt_secret does not sign tokens the app accepts (GET /api/admin/users "
     "answered 401 to root's claims signed with it)"),
    (('login = { path = "/login" }', 'login = { path = "/login" }\ntests = ["tests/authz"]'),
     "the configured auth tests are not in the tree under test: tests/authz"),
    (('login = { path = "/login" }',
      'login = { path = "/login" }\ntests = ["tests/auth"]\nmarker = "nosuch"'),
     "pytest collected no auth tests from tests/auth with -m nosuch"),
])
def test_errors(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    repo = auth_repo(tmp_path, CONFIG.replace(*change))
    with pytest.raises(GateError, match="^" + re.escape(message)):
        run_gate(repo, "ironwood/notes", GATE)


def test_the_app_dying_mid_probe_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GateError, match=r"the app died during the auth probe \(exit 3\)"):
        run_gate(auth_repo(tmp_path, hole="die"), "ironwood/notes", GATE)


def test_no_app_skips(tmp_path: Path) -> None:
    repo = auth_repo(tmp_path, "[gates.auth]" + CONFIG.split("[gates.auth]")[1])
    result = run_gate(repo, "ironwood/notes", GATE)
    assert result.status == Status.SKIPPED and "[app] command" in result.reason


# -- a branch cannot pass by deleting the base's auth tests (issue 10) ----------------

MORE_TESTS = '''import httpx
import pytest


@pytest.mark.auth
def test_me_needs_a_token(base_url):
    assert httpx.get(f"{base_url}/api/me").status_code == 401
'''


def two_test_files(tmp_path: Path, *ops: tuple[str, ...], config: str = WITH_TESTS) -> GitRepo:
    """main: the app and two auth test files; `ironwood/tests` does the git `ops`."""
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"app.py": APP, "tests/auth/test_login.py": TESTS,
                 "tests/auth/test_me.py": MORE_TESTS, "gates.toml": config}, "notes app")
    repo.git("checkout", "-q", "-b", "ironwood/tests")
    for op in ops:
        repo.git(*op)
    repo.git("commit", "-q", "-m", "tests")
    repo.git("checkout", "-q", "main")
    return repo


# with `paths`, a branch that only deletes tests still meets the gate: a deletion is a change
@pytest.mark.parametrize("config", [WITH_TESTS, WITH_TESTS + 'paths = ["app.py", "tests/auth/**"]\n'],
                         ids=["all-changes", "with-paths"])
def test_deleting_one_of_two_auth_test_files_blocks(tmp_path: Path, config: str) -> None:
    repo = two_test_files(tmp_path, ("rm", "-q", "tests/auth/test_me.py"), config=config)
    res = run_gates("run", "--branch", "ironwood/tests", "--gate", "auth", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gate = json.loads((report(repo.path, "ironwood/tests") / "verdict.json").read_text()
                      )["gates"][0]
    assert gate["status"] == "fail"
    [f] = gate["findings"]  # the remaining test file passes, the probe finds no hole
    assert (f["rule"], f["path"], f["severity"], f["blocking"]) == (
        "tests-deleted", "tests/auth/test_me.py", "high", True)
    assert "one of the auth tests" in f["message"] and "base " in f["message"]
    assert gate["metrics"]["tests"]["passed"] == 2


def test_moving_an_auth_test_file_within_its_paths_is_not_a_deletion(tmp_path: Path) -> None:
    repo = two_test_files(tmp_path, ("mv", "tests/auth/test_me.py",
                                     "tests/auth/test_me_moved.py"))
    result = run_gate(repo, "ironwood/tests", GATE)
    assert result.findings == []
    assert result.metrics["tests"]["passed"] == 3
