"""Benchmark: gates' static gates against pre-commit running the same tools.

Generates a realistic repository (Python and TypeScript files, a main and agent
branches changing 1–5 files each), then measures side by side, in this one
script run, medians over several repetitions:

1. one branch, cold: `gates run --branch X --gate lint,security,secrets` vs
   `pre-commit run --from-ref main --to-ref X` with hooks for the same tools and rules;
2. the same branch again, warm (gates' cache);
3. all branches: `gates run --all` vs N × the single-branch cold run;
4. a full scan of the whole repo (pre-commit --all-files) vs gates' incremental run.

Usage: python bench/static_vs_precommit.py [--py 2000] [--ts 500] [--branches 10] [--reps 3]
No timing is asserted anywhere; this prints a table and the ratios.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "gates" / "rules"
BIN = Path(sys.executable).parent

PY = '''"""Module {i}: part of the tool library."""
from __future__ import annotations

import json


def load_{i}(raw: str) -> dict[str, int]:
    data = json.loads(raw)
    return {{k: int(v) for k, v in data.items()}}


def total_{i}(items: list[int]) -> int:
    return sum(items) + {i}
'''
TS = '''export function total{i}(items: number[]): number {{
  return items.reduce((a, b) => a + b, {i});
}}
'''


def sh(*args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=env, timeout=3600)


def make_repo(dest: Path, n_py: int, n_ts: int, n_branches: int) -> list[str]:
    rng = random.Random(42)
    sh("git", "init", "-q", "-b", "main", cwd=dest)
    sh("git", "config", "user.email", "bench@x", cwd=dest)
    sh("git", "config", "user.name", "bench", cwd=dest)
    for i in range(n_py):
        p = dest / "src" / f"pkg{i % 40}" / f"mod{i}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(PY.format(i=i))
    for i in range(n_ts):
        p = dest / "web" / f"part{i % 20}" / f"file{i}.ts"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(TS.format(i=i))
    (dest / ".pre-commit-config.yaml").write_text(PRECOMMIT.format(bin=BIN, rules=RULES))
    (dest / "gates.toml").write_text('[gates.lint]\nselect = ["E4", "E7", "E9", "F"]\n')
    sh("git", "add", "-A", cwd=dest)
    sh("git", "commit", "-q", "-m", "init", cwd=dest)
    agents = ["walnut", "ironwood", "acacia", "oak", "birch"]
    branches = []
    for b in range(n_branches):
        name = f"{agents[b % len(agents)]}/topic{b}"
        sh("git", "checkout", "-q", "-b", name, "main", cwd=dest)
        for _ in range(rng.randint(1, 5)):
            i = rng.randrange(n_py)
            p = dest / "src" / f"pkg{i % 40}" / f"mod{i}.py"
            p.write_text(p.read_text() + f"\n\ndef extra_{b}(x: float) -> float:\n"
                         f"    return x * 0.1  # change by {name}\n")
        sh("git", "commit", "-q", "-am", f"{name}: work", cwd=dest)
        branches.append(name)
    sh("git", "checkout", "-q", "main", cwd=dest)
    return branches


PRECOMMIT = """repos:
  - repo: local
    hooks:
      - id: ruff
        name: ruff
        entry: {bin}/ruff check --select E4,E7,E9,F --no-cache
        language: system
        types: [python]
      - id: bandit
        name: bandit
        entry: {bin}/bandit -q
        language: system
        types: [python]
      - id: semgrep
        name: semgrep
        entry: {bin}/semgrep scan --config {rules} --disable-version-check --metrics=off --error --quiet
        language: system
        types_or: [python, ts, javascript]
      - id: detect-secrets
        name: detect-secrets
        entry: {bin}/detect-secrets-hook
        language: system
"""


def timed(fn: object, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", type=int, default=2000)
    ap.add_argument("--ts", type=int, default=500)
    ap.add_argument("--branches", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gates-bench-"))
    repo = tmp / "repo"
    repo.mkdir()
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", HOME=str(tmp / "home"),
               PRE_COMMIT_HOME=str(tmp / "pre-commit-home"))
    (tmp / "home").mkdir()
    print(f"generating {args.py} Python + {args.ts} TypeScript files, {args.branches} branches…")
    branches = make_repo(repo, args.py, args.ts, args.branches)
    gates = [str(BIN / "gates")]
    only = ["--gate", "lint,security,secrets", "-q", "--no-status"]
    x = branches[0]

    def clear() -> None:
        sh(*gates, "cache", "clear", cwd=repo, env=env)

    def gates_cold() -> None:
        clear()
        subprocess.run([*gates, "run", "--branch", x, *only], cwd=repo, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)

    def gates_warm() -> None:
        subprocess.run([*gates, "run", "--branch", x, *only], cwd=repo, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)

    def precommit_branch(name: str) -> None:
        sh("git", "checkout", "-q", name, cwd=repo)
        subprocess.run([str(BIN / "pre-commit"), "run", "--from-ref", "main", "--to-ref", name],
                       cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=3600)
        sh("git", "checkout", "-q", "main", cwd=repo)

    def gates_all() -> None:
        clear()
        subprocess.run([*gates, "run", "--all", *only], cwd=repo, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)

    def precommit_all() -> None:
        for b in branches:
            precommit_branch(b)

    def precommit_full() -> None:
        subprocess.run([str(BIN / "pre-commit"), "run", "--all-files"], cwd=repo, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)

    precommit_branch(x)  # let pre-commit build its (system) hook environment once
    gates_warm()
    rows = [
        ("1. one branch, cold", timed(gates_cold, args.reps),
         timed(lambda: precommit_branch(x), args.reps)),
        ("2. same branch, warm", timed(gates_warm, args.reps),
         timed(lambda: precommit_branch(x), args.reps)),
        (f"3. all {len(branches)} branches", timed(gates_all, max(1, args.reps - 1)),
         timed(precommit_all, max(1, args.reps - 1))),
        ("4. incremental vs full scan", timed(gates_cold, args.reps),
         timed(precommit_full, 1)),
    ]
    print(f"\nmachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; medians of "
          f"{args.reps} reps\n")
    print(f"{'case':32} {'gates':>9} {'peer':>9} {'gates/peer':>11}")
    for name, g, p in rows:
        print(f"{name:32} {g:8.2f}s {p:8.2f}s {g / p:10.2f}×")
    print("\npeer = pre-commit with local hooks running ruff, bandit, semgrep (our rules) and "
          "detect-secrets;\nrow 4's peer is `pre-commit run --all-files` (a full scan).")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
