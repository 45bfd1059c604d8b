"""Tool gates on a real TypeScript project with real ESLint and tsc (from npm)."""

from __future__ import annotations

import json

from tests.conftest import GitRepo, run_gates


def verdict_of(repo: GitRepo, branch: str) -> dict[str, dict]:
    index = json.loads(repo.read("reports/latest.json"))["branches"][branch]
    verdict = json.loads((repo.path / index["report_dir"] / "verdict.json").read_text())
    return {g["gate"]: g for g in verdict["gates"]}


LOG_LINE = """
router.get("/health", (_req, res) => {
  console.log("health asked");
  res.status(200).json({ ok: true });
});
"""


def test_a_new_eslint_error_blocks_at_its_line_and_an_existing_one_does_not(ts_repo: GitRepo
                                                                         ) -> None:
    server = ts_repo.read("src/server.ts")
    # debt on main: a loose comparison the base already has
    ts_repo.commit({"src/server.ts": server.replace("t.id === id", "t.id == id")}, "debt")
    debt = ts_repo.read("src/server.ts")
    ts_repo.branch("ironwood/health", {"src/server.ts": debt + LOG_LINE})
    res = run_gates("run", "--branch", "ironwood/health", "--no-status", cwd=ts_repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    gates = verdict_of(ts_repo, "ironwood/health")
    eslint = gates["eslint"]
    assert eslint["status"] == "fail", eslint
    found = {(f["rule"], f["path"], f["line"], f["new"], f["blocking"]) for f in eslint["findings"]}
    log_line = (debt + LOG_LINE).splitlines().index('  console.log("health asked");') + 1
    assert ("no-console", "src/server.ts", log_line, True, True) in found
    eqeqeq = [f for f in eslint["findings"] if f["rule"] == "eqeqeq"]
    assert len(eqeqeq) == 1 and not eqeqeq[0]["new"] and not eqeqeq[0]["blocking"]
    assert gates["tsc"]["status"] == "pass", gates["tsc"]
