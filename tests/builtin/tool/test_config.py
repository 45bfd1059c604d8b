"""Tool gates declared in the config: mistakes are one line and exit 2; a declared gate
runs, reports and shows like a built-in one; mypy through its preset, for real."""

from __future__ import annotations

import json

import pytest

from gates.gate import GateError
from tests.builtin.tool.conftest import run_tool
from tests.conftest import GitRepo, run_gates

OFF = "".join(f"\n[gates.{g}]\nenabled = false\n"
              for g in ("lint", "security", "secrets", "auth", "api", "e2e", "perf"))


@pytest.mark.parametrize(("section", "message"), [
    ('kind = "tool"\ncommand = ["x", "{files}"]\nformat = "pylint"\nfiles = ["*.py"]',
     "'gates.t.format' is 'pylint' (one of: sarif, eslint, tsc, mypy, ruff, junit)"),
    ('kind = "tool"\ncommand = ["x"]\nformat = "sarif"\nfiles = ["*.py"]',
     "'gates.t.command' has no '{files}'"),
    ('kind = "tool"\ncommand = ["x", "{files}"]\nformat = "sarif"\nfiles = ["*.py"]\n'
     'per_file = false', "'gates.t.command' has '{files}', but per_file = false"),
    ('kind = "tool"\npreset = "sarif"\nfiles = ["*.py"]', "'gates.t.command' must be a "
     "non-empty list"),
    ('kind = "tool"\npreset = "pylint"', "'gates.t.preset' is 'pylint' (presets: eslint, "
     "mypy, sarif, tsc)"),
    ('kind = "linter"', "'gates.t.kind' is 'linter' (known kinds: tool)"),
    ('kind = "tool"\npreset = "tsc"\nfirst = 1', "unknown key 'gates.t.first'"),
])
def test_a_config_mistake_is_one_line_and_exit_2(repo: GitRepo, section: str,
                                                  message: str) -> None:
    repo.commit({"gates.toml": f"[gates.t]\n{section}\n"}, "config")
    res = run_gates("run", "--branch", "main", "--no-status", cwd=repo.path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert message in res.stderr, res.stderr


def test_a_builtin_name_cannot_be_declared(repo: GitRepo) -> None:
    repo.commit({"gates.toml": '[gates.lint]\nkind = "tool"\npreset = "mypy"\n'}, "config")
    res = run_gates("run", "--branch", "main", "--no-status", cwd=repo.path)
    assert res.returncode == 2 and "'gates.lint' is an installed gate" in res.stderr


def test_mypy_preset_judges_the_whole_tree_new_against_the_base(repo: GitRepo) -> None:
    repo.commit({"gates.toml": '[gates.types]\nkind = "tool"\npreset = "mypy"\n' + OFF,
                 "app/old.py": "def f() -> int:\n    return 'x'\n"}, "debt")
    repo.branch("ironwood/typed", {"app/new.py": "from app.core import answer\n\n"
                                                 "def g() -> str:\n    return answer()\n"})
    res = run_gates("run", "--branch", "ironwood/typed", "--no-status", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    index = json.loads(repo.read("reports/latest.json"))["branches"]["ironwood/typed"]
    verdict = json.loads((repo.path / index["report_dir"] / "verdict.json").read_text())
    types = {g["gate"]: g for g in verdict["gates"]}["types"]
    found = {(f["rule"], f["path"], f["line"], f["new"]) for f in types["findings"]}
    assert found == {("return-value", "app/new.py", 4, True),
                     ("return-value", "app/old.py", 2, False)}, found
    # the declared gate is in the run's reports like a built-in one
    summary = (repo.path / index["report_dir"] / "summary.md").read_text()
    assert "types" in summary


def test_a_non_zero_exit_with_nothing_reported_is_an_error(repo: GitRepo) -> None:
    repo.commit({"gates.toml": '[gates.t]\nkind = "tool"\nformat = "ruff"\nfiles = ["*.py"]\n'
                               'command = ["python3", "-c", "import sys; sys.exit(1)", "{files}"]\n'
                               'version = ["python3", "--version"]\n' + OFF}, "config")
    repo.branch("ironwood/x", {"app/x.py": "X = 1\n"})
    with pytest.raises(GateError, match="exited 1 but reported nothing"):
        run_tool(repo, "ironwood/x", "t")


def test_a_junit_report_written_to_output_is_read_new_against_the_base(repo: GitRepo) -> None:
    tests = ('[gates.unit]\nkind = "tool"\nformat = "junit"\nper_file = false\n'
             'files = ["**/*.py"]\ncommand = ["python", "-m", "pytest", "-q", "-p", '
             '"no:cacheprovider", "--junitxml={output}", "tests"]\n')
    repo.commit({"gates.toml": tests + OFF, "tests/__init__.py": "",
                 "tests/test_core.py": "from app.core import answer\n\n\n"
                                       "def test_answer():\n    assert answer() == 42\n\n\n"
                                       "def test_known_bug():\n    assert answer() == 41\n"},
                "tests, one failing already")
    repo.branch("ironwood/answer", {"app/core.py": "def answer() -> int:\n    return 43\n"})
    res = run_tool(repo, "ironwood/answer", "unit")
    found = {(f.extra["test"].rsplit("::", 1)[-1], f.new) for f in res.findings}
    assert found == {("test_answer", True), ("test_known_bug", False)}, found
