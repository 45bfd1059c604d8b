"""The lint gate on real repos: `# noqa` does not silence ruff (suppressions are audited:
`gates.suppress`), on the branch and on the base alike, so noqa'd debt stays existing."""

from __future__ import annotations

import json

from gates.builtin.lint import GATE
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


def test_ignore_noqa_is_part_of_the_cache_salt(repo: GitRepo) -> None:
    repo.branch("ironwood/x", {"app/x.py": "X = 1\n"})
    with gate_context(repo, "ironwood/x", GATE) as ctx:
        args, _ = GATE._args(ctx)
    # `Lint.run` salts the cache with every argument but a `--config` path
    assert args[0] == "--isolated" and "--ignore-noqa" in args
