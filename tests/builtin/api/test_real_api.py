"""The api gate on a real API of our own (tests/apps/accounts_app.py): schemathesis
against the base's app as well as the branch's, once per base commit; excluded
operations never called; an unknown user is a config mistake (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apps import accounts
from tests.conftest import GitRepo, run_gates

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_branches(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """main's admin endpoint answers without a token (schemathesis: ignored_auth)."""
    repo = accounts.repo(tmp_path_factory.mktemp("api") / "repo",
                         accounts.app(holes="admin-open"),
                         {"walnut/readme": {"README.md": "# a\n"},
                          "acacia/readme": {"README.md": "# b\n"}})
    res = run_gates("run", "--branch", "walnut/readme", "--branch", "acacia/readme",
                    "--gate", "api", "--no-status", cwd=repo.path, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return repo


def test_the_base_is_fuzzed_once_and_reused_by_the_next_branch(two_branches: GitRepo
                                                               ) -> None:
    first, first_out = accounts.verdict(two_branches.path, "walnut/readme")
    second, out = accounts.verdict(two_branches.path, "acacia/readme")
    assert first["metrics"]["base"]["state"] == "tested"
    assert second["metrics"]["base"]["state"] == "reused"
    assert "**base: reused** (" in (out / "summary.md").read_text()
    assert (first_out / "api" / "base.log").is_file() and not (out / "api" / "base.log").exists()
    # what the base already shows is existing on both branches, and blocks neither
    for gate in (first, second):
        assert ("ignored_auth", "GET /admin/stats") in {
            (f["rule"], f["extra"]["operation"]) for f in gate["findings"]}
        assert all(not f["new"] and not f["blocking"] for f in gate["findings"])
    assert first["metrics"]["base"]["existing"] == len(first["findings"])


def test_an_excluded_operation_is_never_called(two_branches: GitRepo) -> None:
    _, out = accounts.verdict(two_branches.path, "walnut/readme")
    for log in ("app.log", "base.log"):
        asked = accounts.requests(out / "api" / log)
        assert "POST /register" in asked, log  # schemathesis did call the others
        assert "GET /createdb" not in asked, log


def test_an_unknown_api_user_exits_2_with_one_line(tmp_path: Path) -> None:
    config = accounts.CONFIG.replace("max_examples = 5", 'max_examples = 5\nuser = "carol"')
    repo = accounts.repo(tmp_path / "repo", accounts.app(), {"walnut/x": {"README.md": "x"}},
                         config)
    res = run_gates("run", "--branch", "walnut/x", "--gate", "api", "--no-status",
                    cwd=repo.path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.strip().splitlines() == [
        "gates: error: [gates.api] user = 'carol' is not a user of [gates.auth] users"]


def test_the_fuzz_never_writes_to_a_configured_user(tmp_path: Path) -> None:
    """DELETE /users/{username} lets anyone in and its document's examples are alice and
    bob: schemathesis's deletes go to a name nobody holds, and every user still logs in
    after the run (the gate checks it: an error otherwise)."""
    repo = accounts.repo(tmp_path / "repo", accounts.app(holes="delete-open"),
                         {"walnut/x": {"README.md": "x"}})
    res = run_gates("run", "--branch", "walnut/x", "--gate", "api", "--no-status",
                    cwd=repo.path, timeout=600)
    gate, out = accounts.verdict(repo.path, "walnut/x")
    assert gate["status"] != "error", res.stdout + res.stderr + str(gate)
    asked = accounts.requests(out / "api" / "app.log")
    deletes = {r for r in asked if r.startswith("DELETE /users/")}
    assert "DELETE /users/gates-probe-unheld" in deletes  # the examples, replaced
    assert not deletes & {"DELETE /users/alice", "DELETE /users/bob", "DELETE /users/root"}


def test_a_user_the_fuzz_locked_out_is_an_error_naming_the_operation(tmp_path: Path) -> None:
    repo = accounts.repo(tmp_path / "repo", accounts.app(holes="lockout"),
                         {"walnut/x": {"README.md": "x"}})
    res = run_gates("run", "--branch", "walnut/x", "--gate", "api", "--no-status",
                    cwd=repo.path, timeout=600)
    gate, _ = accounts.verdict(repo.path, "walnut/x")
    assert gate["status"] == "error", res.stdout + res.stderr
    # bob: alice, the caller, set her own password back through PUT …/password
    assert gate["reason"].startswith("bob can no longer log in after the schemathesis run")
    assert "POST /lockout" in gate["reason"].split("unsafe operations sent")[1]
