"""Tool gates on a real TypeScript project with real ESLint and tsc (from npm)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gates.gate import GateError
from tests.builtin.tool.conftest import run_tool
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


def test_a_new_type_error_blocks_and_the_bases_own_does_not(ts_repo: GitRepo) -> None:
    card = ts_repo.read("src/components/ToolCard.tsx")
    # the base already has one type error
    ts_repo.commit({"src/debt.ts": "export const count: number = \"three\";\n"}, "debt")
    broken = card.replace("const status = lentTo",
                          "const size: number = name;\n  const status = lentTo")
    ts_repo.branch("ironwood/types", {"src/components/ToolCard.tsx": broken})
    res = run_tool(ts_repo, "ironwood/types", "tsc")
    found = {(f.rule, f.path, f.line, f.new) for f in res.findings}
    line = broken.splitlines().index("  const size: number = name;") + 1
    assert found == {("TS2322", "src/components/ToolCard.tsx", line, True),
                     ("TS2322", "src/debt.ts", 1, False)}, found
    assert res.metrics["tools"] == {"tsc": "Version 5.9.3"}
    # the base's result is kept per tree: the next branch type-checks only its own
    ts_repo.branch("ironwood/types2", {"src/extra.ts": "export const n: number = 1;\n"})
    again = run_tool(ts_repo, "ironwood/types2", "tsc")
    assert again.metrics["cache"] == {"hits": 1, "misses": 1}
    assert [(f.path, f.new) for f in again.findings] == [("src/debt.ts", False)]


def test_an_unchanged_files_eslint_results_come_from_the_cache_on_the_second_branch(
        ts_repo: GitRepo) -> None:
    http = ts_repo.read("src/http.ts").replace("return false;", "return false; // no route")
    ts_repo.branch("ironwood/a", {"src/http.ts": http,
                                  "src/server.ts": ts_repo.read("src/server.ts") + "\n"})
    ts_repo.branch("ironwood/b", {"src/http.ts": http,
                                  "src/components/ToolCard.tsx":
                                  ts_repo.read("src/components/ToolCard.tsx") + "\n"})
    first = run_tool(ts_repo, "ironwood/a", "eslint")
    assert first.metrics["cache"] == {"hits": 0, "misses": 4}
    second = run_tool(ts_repo, "ironwood/b", "eslint")
    # src/http.ts: the same blob on both branches, and the same base: from the cache
    assert second.metrics["cache"] == {"hits": 2, "misses": 2}
    assert first.findings == [] and second.findings == []


def test_an_eslint_crash_is_an_error_not_a_pass(ts_repo: GitRepo) -> None:
    config = ts_repo.read("eslint.config.js")
    ts_repo.commit({"eslint.config.js": config.replace('eqeqeq: "error"',
                                                       '"no-such-rule": "error"')}, "bad config")
    ts_repo.branch("ironwood/x", {"src/server.ts": ts_repo.read("src/server.ts") + "\n"})
    res = run_gates("run", "--branch", "ironwood/x", "--no-status", cwd=ts_repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    eslint = verdict_of(ts_repo, "ironwood/x")["eslint"]
    assert eslint["status"] == "error"
    assert "eslint failed (exit 2)" in eslint["reason"] and "no-such-rule" in eslint["reason"]


def test_a_missing_npx_is_an_error(ts_repo: GitRepo, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"  # git, and nothing of node
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    ts_repo.branch("ironwood/x", {"src/server.ts": ts_repo.read("src/server.ts") + "\n"})
    res = run_gates("run", "--branch", "ironwood/x", "--no-status", cwd=ts_repo.path,
                    env={"PATH": str(bin_dir)})
    assert res.returncode == 1, res.stdout + res.stderr
    gates = verdict_of(ts_repo, "ironwood/x")
    for name in ("eslint", "tsc"):
        assert gates[name]["status"] == "error", gates[name]
        assert "npx is not installed" in gates[name]["reason"]


def test_run_all_batches_the_per_file_tool_across_branches(ts_repo: GitRepo) -> None:
    http = ts_repo.read("src/http.ts").replace("return false;", "return false; // no route")
    ts_repo.branch("ironwood/a", {"src/http.ts": http})
    ts_repo.branch("walnut/b", {"src/http.ts": http,
                                "src/server.ts": ts_repo.read("src/server.ts") + "\n"})
    res = run_gates("run", "--all", "--gate", "eslint", "--no-status", cwd=ts_repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    # the batch scanned each distinct file once (http.ts and server.ts, each branch's
    # and the base's: 4), before judging; judging read every one from the cache
    for branch in ("ironwood/a", "walnut/b"):
        eslint = verdict_of(ts_repo, branch)["eslint"]
        assert eslint["status"] == "pass"
        assert eslint["metrics"]["cache"]["misses"] == 0, eslint["metrics"]
    assert "4 files scanned in" in res.stdout + res.stderr


def test_a_compiler_that_fails_on_its_own_config_is_an_error(ts_repo: GitRepo) -> None:
    ts_repo.commit({"tsconfig.json": ts_repo.read("tsconfig.json").replace(
        '"include": ["src"]', '"include": ["source"]')}, "a tsconfig that includes nothing")
    ts_repo.branch("ironwood/x", {"src/server.ts": ts_repo.read("src/server.ts") + "\n"})
    with pytest.raises(GateError, match="tsc: TS18003: No inputs were found"):
        run_tool(ts_repo, "ironwood/x", "tsc")


def test_a_file_named_like_an_option_is_linted_as_a_file(ts_repo: GitRepo) -> None:
    ts_repo.branch("ironwood/sneaky", {"--config=evil.ts": "const unused = 1;\n",
                                       "evil.ts": "export default [];\n"})
    res = run_tool(ts_repo, "ironwood/sneaky", "eslint")
    assert {(f.rule, f.path) for f in res.findings} == {
        ("@typescript-eslint/no-unused-vars", "--config=evil.ts")}
