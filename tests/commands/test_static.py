"""`gates static`: the staged version of files, new findings against HEAD."""

from __future__ import annotations

from tests.conftest import GitRepo, run_gates


def stage(repo: GitRepo, files: dict[str, str]) -> None:
    repo.write(files)
    repo.git("add", "--", *files)


def test_a_new_finding_in_what_is_staged_blocks(repo: GitRepo) -> None:
    stage(repo, {"app/new.py": "import sys\n"})
    res = run_gates("static", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "app/new.py:1 F401" in res.stdout
    # app/core.py's unused `import os` is in HEAD already: existing, not blocking
    assert "app/core.py" not in res.stdout
    # nothing was published: no reports, no coordination files, no note
    assert not (repo.path / "reports").exists() and not (repo.path / "CLUSTER_STATUS.md").exists()
    assert repo.git("notes", "--ref=gates", "list") == ""


def test_the_staged_version_counts_not_the_work_tree(repo: GitRepo) -> None:
    stage(repo, {"app/new.py": "X = 1\n"})
    (repo.path / "app/new.py").write_text("import sys\n")  # unstaged: not in the commit
    assert run_gates("static", "--gate", "lint", cwd=repo.path).returncode == 0
    stage(repo, {"app/new.py": "import sys\n"})
    (repo.path / "app/new.py").write_text("X = 1\n")  # the fix is not staged yet
    assert run_gates("static", "--gate", "lint", cwd=repo.path).returncode == 1


def test_only_the_files_named_are_checked(repo: GitRepo) -> None:
    stage(repo, {"app/bad.py": "import sys\n", "app/good.py": "X = 1\n"})
    assert run_gates("static", "--gate", "lint", "app/good.py", cwd=repo.path).returncode == 0
    assert run_gates("static", "--gate", "lint", "app/bad.py", cwd=repo.path).returncode == 1
    # from a subfolder, names are relative to it (as pre-commit passes them from the top)
    assert run_gates("static", "--gate", "lint", "bad.py", cwd=repo.path / "app").returncode == 1


def test_nothing_staged_is_a_pass(repo: GitRepo) -> None:
    res = run_gates("static", cwd=repo.path)
    assert res.returncode == 0 and "nothing to check" in res.stdout


def test_the_default_gates_include_secrets(repo: GitRepo) -> None:
    repo.commit({"gates.toml": "[gates.security]\nenabled = false\n"}, "no security here")
    stage(repo, {".env": "STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dcXyZ\n"})
    res = run_gates("static", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "secrets" in res.stdout and "security" not in res.stdout  # disabled stays off


def test_a_first_commit_has_no_head_to_compare_with(tmp_path) -> None:
    fresh = GitRepo(tmp_path / "fresh")
    stage(fresh, {"a.py": "import os\n"})
    res = run_gates("static", "--gate", "lint", cwd=fresh.path)
    # no main yet: the policy cannot be read; one clear line
    assert res.returncode == 2 and "no commits yet" in res.stderr
