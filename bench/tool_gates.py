"""Benchmark: the ESLint tool gate against running ESLint by hand, cold and warm.

Builds the TypeScript project of the tests (tests/builtin/tool/tsproject, ESLint and
TypeScript from npm into the tests' cache) as a repository with a branch that
changes two files, then measures, alternating (so the machine's other load hits
each alike), medians over several repetitions:

1. cold: `gates run --branch X --gate eslint` with an empty result cache (the
   branch's two files and the base's two, scanned) vs `npx eslint` by hand on the
   branch's two files only;
2. warm: the same run again (every file's result from the cache) vs the same
   `npx eslint` by hand.

Printed as ratios "through gates / by hand". Usage: python bench/tool_gates.py [--reps 3]
No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.builtin.tool.conftest import install_node_modules, only_tool_gates, project_files  # noqa: E402


def sh(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, text=True, capture_output=True, timeout=600)


def build(where: Path) -> Path:
    repo = where / "ts"
    repo.mkdir()
    for name, text in {**project_files(), ".gitignore": "node_modules/\nreports/\n",
                       "gates.toml": only_tool_gates()}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    (repo / "node_modules").symlink_to(install_node_modules(), target_is_directory=True)
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                ["git", "-c", "user.email=b@b", "-c", "user.name=b", "commit", "-qm", "ts"],
                ["git", "checkout", "-q", "-b", "ironwood/x"]):
        sh(*cmd, cwd=repo)
    for name in ("src/server.ts", "src/http.ts"):
        (repo / name).write_text((repo / name).read_text() + "\n// touched\n")
    sh("git", "-c", "user.email=b@b", "-c", "user.name=b", "commit", "-qam", "x", cwd=repo)
    sh("git", "checkout", "-q", "main", cwd=repo)
    return repo


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    reps = ap.parse_args().reps
    where = Path(tempfile.mkdtemp(prefix="bench-tool-"))
    try:
        repo = build(where)
        gates = [sys.executable, "-m", "gates", "run", "--branch", "ironwood/x", "--gate",
                 "eslint", "--no-status", "--quiet"]

        def by_hand() -> None:
            sh("npx", "--no-install", "eslint", "--format", "json", "src/server.ts",
               "src/http.ts", cwd=repo)

        def cold() -> None:
            sh(sys.executable, "-m", "gates", "cache", "clear", "--repo", str(repo), cwd=repo)
            res = sh(*gates, cwd=repo)
            assert res.returncode == 0, res.stdout + res.stderr

        def warm() -> None:
            res = sh(*gates, cwd=repo)
            assert res.returncode == 0, res.stdout + res.stderr

        rows: dict[str, list[float]] = {"cold": [], "warm": [], "hand": []}
        warm()  # the first run of all pays Python's and node's own start-up caches
        for _ in range(reps):
            rows["hand"].append(timed(by_hand))
            rows["cold"].append(timed(cold))
            rows["warm"].append(timed(warm))
        med = {k: statistics.median(v) for k, v in rows.items()}
        print(f"{'':24}{'median s':>10}")
        print(f"{'npx eslint by hand':24}{med['hand']:10.2f}")
        print(f"{'gates, cache empty':24}{med['cold']:10.2f}  ratio {med['cold'] / med['hand']:.2f}")
        print(f"{'gates, cache warm':24}{med['warm']:10.2f}  ratio {med['warm'] / med['hand']:.2f}")
    finally:
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
