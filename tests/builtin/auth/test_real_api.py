"""The auth gate on a real API of our own (tests/apps/accounts_app.py: JWT logins,
password and email changes, an admin who deletes users, a secure and a vulnerable
mode): judged against the base's app, BOLA only with evidence, destructive probes
kept off what the probe did not make, one finding per cause, config mistakes exit 2."""

from __future__ import annotations

import pytest

from gates.builtin.auth.gate import GATE
from gates.model import Severity, Status
from tests.apps import accounts
from tests.conftest import GitRepo, run_gate, run_gates

pytestmark = pytest.mark.slow

README = {"README.md": "# accounts\n"}


@pytest.fixture(scope="module")
def open_admin(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """main already has an admin endpoint open to anyone; two README-only branches and
    one that fixes it, judged in one run."""
    repo = accounts.repo(tmp_path_factory.mktemp("open-admin") / "repo",
                         accounts.app(holes="admin-open"),
                         {"walnut/readme": README, "acacia/readme": {"README.md": "# b\n"},
                          "ironwood/fix": {"app.py": accounts.app()}})
    res = run_gates("run", "--branch", "walnut/readme", "--branch", "acacia/readme",
                    "--branch", "ironwood/fix", "--gate", "auth", "--no-status", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    return repo


def test_a_problem_the_base_has_is_existing_and_does_not_block_a_readme_branch(
        open_admin: GitRepo) -> None:
    gate, out = accounts.verdict(open_admin.path, "walnut/readme")
    assert gate["status"] == "pass"
    [open_op] = [f for f in gate["findings"] if f["rule"] == "auth-missing"]
    assert open_op["extra"]["operation"] == "GET /admin/stats"
    assert not open_op["new"] and not open_op["blocking"] and open_op["severity"] == "critical"
    assert gate["metrics"]["base"]["state"] == "tested"
    summary = (out / "summary.md").read_text()
    assert "**base: tested** (" in summary
    assert "existing ones do not block" in summary


def test_the_second_branch_against_the_same_base_reuses_the_base_probe(open_admin: GitRepo
                                                                       ) -> None:
    first, first_out = accounts.verdict(open_admin.path, "walnut/readme")
    second, out = accounts.verdict(open_admin.path, "acacia/readme")
    assert second["metrics"]["base"]["state"] == "reused"
    assert "**base: reused** (" in (out / "summary.md").read_text()
    # the base's app never started for the second branch: no log of it
    assert (first_out / "auth" / "base.log").is_file()
    assert not (out / "auth" / "base.log").exists()
    assert [f["new"] for f in second["findings"]] == [f["new"] for f in first["findings"]]


def test_a_finding_the_branch_removes_is_reported_fixed(open_admin: GitRepo) -> None:
    gate, out = accounts.verdict(open_admin.path, "ironwood/fix")
    assert gate["status"] == "pass"
    assert not any(f["rule"] == "auth-missing" for f in gate["findings"])
    [fixed] = gate["metrics"]["base"]["fixed"]
    assert fixed["rule"] == "auth-missing" and "GET /admin/stats" in fixed["message"]
    assert "- fixed: `auth-missing` GET /admin/stats answers a request without credentials" \
        in (out / "summary.md").read_text()


def test_the_same_problem_brought_by_a_branch_blocks_as_one_finding(tmp_path) -> None:
    repo = accounts.repo(tmp_path / "repo", accounts.app(),
                         {"ironwood/stats": {"app.py": accounts.app(holes="admin-open")}})
    res = run_gates("run", "--branch", "ironwood/stats", "--gate", "auth", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gate, _ = accounts.verdict(repo.path, "ironwood/stats")
    [open_op] = [f for f in gate["findings"] if f["blocking"]]
    assert (open_op["rule"], open_op["new"]) == ("auth-missing", True)
    # one cause, every caller who got in named in it (the matrix keeps the detail)
    assert open_op["extra"]["callers"][0] == "no token"
    assert {"malformed bearer", "alice (member)"} <= set(open_op["extra"]["callers"])
    assert len([c for c in gate["metrics"]["matrix"] if c["outcome"] == "hole"]) >= 5


@pytest.mark.parametrize(("holes", "bola"), [
    ("", {}),  # secure: the changes ignore the path and act on the caller
    ("bola-read", {"GET /users/{username}": "the body is the one alice gets from the same "
                                            "request: {\"admin\":false,\"email\":"
                                            "\"alice@accounts.test\",\"username\":\"alice\"}"}),
    ("bola-write", {"PUT /users/{username}/email": "alice's object changed, read back by "
                                                   "alice through GET /users/alice: before",
                    "PUT /users/{username}/password": "alice can no longer log in with their "
                                                      "password (login as alice failed: POST "
                                                      "/login answered HTTP 401"}),
])
def test_bola_only_with_evidence(tmp_path, holes: str, bola: dict[str, str]) -> None:
    repo = accounts.repo(tmp_path / "repo", accounts.app(),
                         {"ironwood/users": {"app.py": accounts.app(holes=holes)}
                          if holes else README})
    result = run_gate(repo, "ironwood/users", GATE)
    assert result.status == Status.PASS  # every configured user still logs in at the end
    found = {f.extra["operation"]: f for f in result.findings if f.rule == "bola"}
    assert set(found) == set(bola)
    for op, evidence in bola.items():
        assert found[op].extra["evidence"].startswith(evidence)
        assert f"— evidence: {evidence}" in found[op].message and found[op].new
    notes = {f.extra["operation"] for f in result.findings if f.rule == "suspicious-access"}
    assert notes == {"PUT /users/{username}/email", "PUT /users/{username}/password"} - set(bola)
    assert all(f.severity == Severity.INFO for f in result.findings
               if f.rule == "suspicious-access")
    # destructive probes never touched a configured user: the delete went to a name nobody has
    asked = accounts.requests(repo.path / "reports" / "test" / "auth" / "app.log")
    deletes = {r for r in asked if r.startswith("DELETE ")}
    assert deletes == {"DELETE /users/gates-probe-unheld"}


def test_an_excluded_operation_is_never_called(tmp_path) -> None:
    config = accounts.CONFIG.replace('exclude = ["GET /createdb"]',
                                     'exclude = ["GET /createdb", "DELETE /users/{username}"]')
    # main's open admin endpoint is a finding that could block: the base is probed too
    repo = accounts.repo(tmp_path / "repo", accounts.app(holes="admin-open"),
                         {"ironwood/x": README}, config)
    result = run_gate(repo, "ironwood/x", GATE)
    assert result.status == Status.PASS and result.metrics["base"]["state"] == "tested"
    assert "DELETE /users/{username}" not in {c["operation"] for c in result.metrics["matrix"]}
    for log in ("app.log", "base.log"):
        asked = accounts.requests(repo.path / "reports" / "test" / "auth" / log)
        assert asked and not any(r.startswith("DELETE ") for r in asked), log


@pytest.mark.parametrize(("change", "message"), [
    (('roles = { "/admin/*" = ["admin"], "DELETE /users/*" = ["admin"] }',
      'roles = "admin"'), "'gates.auth.roles' must be a table, not a string"),
    (('roles = { "/admin/*" = ["admin"], "DELETE /users/*" = ["admin"] }',
      'roles = { "/admin/*" = "admin" }'),
     "[gates.auth] roles.'/admin/*' must be a list of role names (write [\"admin\"])"),
    (('"GET /users/{username}" = ""', '"GET /user/{username}" = ""'),
     "[gates.auth] owned names 'GET /user/{username}', which the OpenAPI document does not "
     "have"),
])
def test_config_mistakes_exit_2_with_one_line(tmp_path, change: tuple[str, str],
                                              message: str) -> None:
    repo = accounts.repo(tmp_path / "repo", accounts.app(), {"ironwood/x": README},
                         accounts.CONFIG.replace(*change))
    res = run_gates("run", "--branch", "ironwood/x", "--gate", "auth", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 2, res.stdout + res.stderr
    [line] = res.stderr.strip().splitlines()
    assert line.startswith("gates: error: ") and message in line


@pytest.fixture(scope="module")
def modes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GitRepo]:
    """The auth gate on the secure app and on its vulnerable mode (a branch flips it)."""
    repo = accounts.repo(tmp_path_factory.mktemp("modes") / "repo", accounts.app(),
                         {"ironwood/vulnerable": {"app.py": accounts.app("vulnerable")},
                          "walnut/secure": README})
    return {branch: run_gate(repo, branch, GATE)  # type: ignore[misc]
            for branch in ("ironwood/vulnerable", "walnut/secure")}


@pytest.mark.parametrize(("rule", "operation", "evidence"), [
    ("injection", "GET /users/{username}",
     "username = \"alice'\" answered 500, the same request with 'alicex' 404"),
    ("mass-assignment", "POST /register",
     "the object it answered carries admin = true, which the same create without them does "
     "not"),
    ("cors-permissive", "GET /health",  # the first GET that answers: one finding per app
     "Access-Control-Allow-Origin: https://gates-probe.invalid with "
     "Access-Control-Allow-Credentials: true"),
    ("security-headers-missing", "GET /",
     "the HTML answer has no X-Content-Type-Options, Content-Security-Policy, X-Frame-Options"),
    ("jwt-weak-key", "GET /users/{username}",
     "alice's claims re-signed with 'm****y' (a key of the built-in weak list, 6 characters) "
     "were accepted"),
])
def test_holes_real_apis_have_are_found_on_the_vulnerable_mode_only(
        modes: dict, rule: str, operation: str, evidence: str) -> None:
    vulnerable = [f for f in modes["ironwood/vulnerable"].findings if f.rule == rule]
    assert [f.extra["operation"] for f in vulnerable] == [operation]
    [found] = vulnerable
    assert found.new and found.extra["evidence"].startswith(evidence)
    assert found.extra["curl"].startswith("curl -i -X ") and "eyJ" not in found.extra["curl"]
    assert not [f for f in modes["walnut/secure"].findings if f.rule == rule]


def test_the_secure_mode_shows_only_notes_and_the_vulnerable_one_real_bola(modes: dict
                                                                          ) -> None:
    secure = modes["walnut/secure"]
    assert {f.rule for f in secure.findings} == {"suspicious-access"}
    vulnerable = {(f.rule, f.extra["operation"]) for f in modes["ironwood/vulnerable"].findings}
    assert {("bola", "GET /users/{username}"), ("bola", "PUT /users/{username}/email"),
            ("bola", "PUT /users/{username}/password"),
            ("auth-missing", "GET /admin/stats")} <= vulnerable


SEED_TEST = '''import httpx


def test_alice_still_has_her_seed_email(base_url):
    login = {"username": "alice", "password": "alice-pass-1"}
    token = httpx.post(f"{base_url}/login", json=login).json()["access_token"]
    me = httpx.get(f"{base_url}/users/alice", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "alice@accounts.test"
'''


def test_the_writing_probes_and_the_repo_s_tests_meet_fresh_data(tmp_path) -> None:
    config = accounts.CONFIG.replace('login = { path = "/login" }',
                                     'login = { path = "/login" }\ntests = ["tests/auth"]')
    repo = accounts.repo(tmp_path / "repo", accounts.app(), {"ironwood/x": README}, config)
    repo.commit({"tests/auth/test_seed.py": SEED_TEST}, "a test of the seed data")
    repo.branch("ironwood/y", README)
    result = run_gate(repo, "ironwood/y", GATE)
    # the probe changed alice's email as alice (the control of PUT …/email) …
    asked = accounts.requests(repo.path / "reports" / "test" / "auth" / "app.log")
    assert "PUT /users/alice/email" in asked
    # … and the repo's test, on a fresh start of the app, still sees her own
    assert result.metrics["tests"] == {"passed": 1, "failed": 0, "error": 0, "skipped": 0}
    assert "auth/tests-app.log" in result.artifacts
    # so do the probes that may write (injection, mass assignment): a start of their own
    logs = repo.path / "reports" / "test" / "auth"
    first, holes = ((logs / n).read_text().splitlines() for n in ("app.log", "holes-app.log"))
    assert "auth/holes-app.log" in result.artifacts
    assert first[0].startswith("data new ") and holes[0].startswith("data new ")
    assert first[0] != holes[0]  # another {tmp}
    assert "request POST /register" in holes  # the mass-assignment probe ran there …
    assert "POST /register" not in asked  # … not on the app the access matrix wrote to
