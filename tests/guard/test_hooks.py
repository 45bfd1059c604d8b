from __future__ import annotations

import os
import sys

import pytest

from gates.guard import hooks
from tests.conftest import GitRepo, gates_env, sh


def test_scripts_are_marked_and_call_this_python(repo: GitRepo) -> None:
    for hook in hooks.HOOKS:
        text = hooks.script(hook)
        assert text.startswith("#!/bin/sh\n") and hooks.MARK in text
        assert f"gates_python={sys.executable}\n" in text
        assert f'"$gates_python" -m gates guard --hook {hook} -- "$@"' in text
        assert f"{hook}.gates-chained" in text
    # only reference-transaction (run on every ref update) filters before starting Python
    assert "prepared" in hooks.script("reference-transaction")
    assert "prepared" not in hooks.script("pre-push")
    assert "'/a b/python'" in hooks.script("pre-push", "/a b/python")


def test_install_into_an_empty_hooks_folder_and_uninstall(repo: GitRepo) -> None:
    changes = hooks.install(repo.path)
    assert [(c.hook, c.action) for c in changes] == [(h, "installed") for h in hooks.HOOKS]
    folder = repo.path / ".git" / "hooks"
    for h in hooks.HOOKS:
        assert hooks.is_ours(folder / h) and os.access(folder / h, os.X_OK)
    assert hooks.status(repo.path) == dict.fromkeys(hooks.HOOKS, True)
    assert [c.action for c in hooks.install(repo.path)] == ["updated"] * 3
    assert not list(folder.glob("*.gates-chained"))  # installing twice chains nothing
    assert [c.action for c in hooks.uninstall(repo.path)] == ["removed"] * 3
    assert not any((folder / h).exists() for h in hooks.HOOKS)
    assert [c.action for c in hooks.uninstall(repo.path)] == ["absent"] * 3


def test_core_hooks_path_is_honoured(tmp_path, repo: GitRepo) -> None:
    custom = tmp_path / "shared-hooks"
    repo.git("config", "core.hooksPath", str(custom))
    hooks.install(repo.path)
    assert hooks.is_ours(custom / "pre-push")
    assert not (repo.path / ".git/hooks/pre-push").exists()


def test_a_foreign_hook_is_kept_and_put_back(repo: GitRepo) -> None:
    folder = repo.path / ".git" / "hooks"
    mine = "#!/bin/sh\necho mine\n"
    (folder / "pre-push").write_text(mine)
    (folder / "pre-push").chmod(0o755)
    changes = {c.hook: c for c in hooks.install(repo.path)}
    assert changes["pre-push"].action == "installed"
    assert "pre-push.gates-chained" in changes["pre-push"].note
    assert (folder / "pre-push.gates-chained").read_text() == mine
    hooks.uninstall(repo.path)
    assert (folder / "pre-push").read_text() == mine
    assert not (folder / "pre-push.gates-chained").exists()


def test_refuses_when_both_a_hook_and_a_kept_one_are_foreign(repo: GitRepo) -> None:
    folder = repo.path / ".git" / "hooks"
    (folder / "pre-push").write_text("#!/bin/sh\n")
    (folder / "pre-push.gates-chained").write_text("#!/bin/sh\n")
    with pytest.raises(hooks.HookError, match="neither is ours"):
        hooks.install(repo.path)


def test_ours_kept_by_pre_commit_as_legacy_is_recognised(repo: GitRepo) -> None:
    folder = repo.path / ".git" / "hooks"
    hooks.install(repo.path)
    # what `pre-commit install` does with a hook it finds: keeps it as <hook>.legacy
    os.rename(folder / "pre-push", folder / "pre-push.legacy")
    (folder / "pre-push").write_text("#!/bin/sh\n# pre-commit's own\n")
    changes = {c.hook: c for c in hooks.install(repo.path)}
    assert changes["pre-push"].action == "updated" and "pre-commit" in changes["pre-push"].note
    assert hooks.status(repo.path)["pre-push"]
    hooks.uninstall(repo.path)
    assert not (folder / "pre-push.legacy").exists()
    assert (folder / "pre-push").read_text() == "#!/bin/sh\n# pre-commit's own\n"


def test_a_guard_that_cannot_start_refuses(repo: GitRepo) -> None:
    repo.branch("walnut/x", {"app/x.py": "X = 1\n"}, "x")
    hooks.install(repo.path, python="/nonexistent/python")
    before = repo.git("rev-parse", "HEAD")
    res = sh("git", "merge", "--no-ff", "-m", "m", "walnut/x", cwd=repo.path, check=False,
             env=gates_env())
    assert res.returncode != 0 and "the merge guard cannot run: refused" in res.stderr
    assert repo.git("rev-parse", "HEAD") == before
