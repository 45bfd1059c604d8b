"""The lint gate on real repos: `# noqa` does not silence ruff (suppressions are audited:
`gates.suppress`), on the branch and on the base alike, so noqa'd debt stays existing."""

from __future__ import annotations

import json

import pytest

from gates.builtin.lint import GATE, Lint
from gates.gate import GateContext
from gates.model import Severity
from tests.conftest import GitRepo, gate_context, lint_only, run_gates


def lint_of(repo: GitRepo, branch: str) -> dict:
    index = json.loads(repo.read("reports/latest.json"))["branches"][branch]
    verdict = json.loads((repo.path / index["report_dir"] / "verdict.json").read_text())
    return {g["gate"]: g for g in verdict["gates"]}["lint"]


def test_noqa_does_not_silence_a_new_finding_and_noqad_debt_stays_existing(repo: GitRepo
                                                                           ) -> None:
    lint_only(repo)
    repo.commit({"app/old.py": "import sys  # noqa: F401\n"}, "debt, silenced in code")
    repo.branch("ironwood/quiet", {
        "app/new.py": "import os  # noqa: F401\n",
        "app/old.py": "import sys  # noqa: F401\n\nVALUE = 1\n",  # touched: scanned again
    })
    res = run_gates("run", "--branch", "ironwood/quiet", "--no-status", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    lint = lint_of(repo, "ironwood/quiet")
    assert lint["status"] == "fail"
    by_path = {f["path"]: f for f in lint["findings"]}
    assert set(by_path) == {"app/new.py", "app/old.py"}
    assert by_path["app/new.py"]["rule"] == "F401"
    assert by_path["app/new.py"]["new"] and by_path["app/new.py"]["blocking"]
    assert not by_path["app/old.py"]["new"] and not by_path["app/old.py"]["blocking"]


def test_ignore_noqa_is_part_of_the_cache_salt(repo: GitRepo,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo.branch("ironwood/x", {"app/x.py": "import os  # noqa: F401\n"})
    with gate_context(repo, "ironwood/x", GATE) as ctx:
        args, _ = GATE._args(ctx)
    assert args[0] == "--isolated" and "--ignore-noqa" in args
    # a cache entry written by a ruff that honoured noqa comments (no flag) …
    honouring = Lint._args

    def without_flag(self: Lint, ctx: GateContext) -> tuple[list[str], str]:
        args, text = honouring(self, ctx)
        return [a for a in args if a != "--ignore-noqa"], text

    with monkeypatch.context() as m:
        m.setattr(Lint, "_args", without_flag)
        with gate_context(repo, "ironwood/x", GATE) as ctx:
            assert GATE.run(ctx).findings == []
    # … is not what a run with the flag reads: the salt differs, ruff runs again
    with gate_context(repo, "ironwood/x", GATE) as ctx:
        res = GATE.run(ctx)
    assert [(f.rule, f.path) for f in res.findings] == [("F401", "app/x.py")]
    assert res.metrics["cache"]["hits"] == 0


def test_a_file_that_does_not_parse_is_a_high_finding(repo: GitRepo) -> None:
    """ruff ≥ 0.12 names a syntax error `invalid-syntax` (before: E999 or no code): the
    file cannot even be imported, so it is high whatever name ruff gives it."""
    repo.branch("ironwood/broken", {"app/broken.py": "def total(:\n    return 1\n"})
    with gate_context(repo, "ironwood/broken", GATE) as ctx:
        res = GATE.run(ctx)
    found = [f for f in res.findings if f.path == "app/broken.py"]
    assert found and all(f.severity == Severity.HIGH for f in found), found
