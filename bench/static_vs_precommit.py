"""Benchmark: gates' static gates against pre-commit running the same tools.

Generates a realistic repository (Python and TypeScript files, a main and agent
branches changing 1–5 files each), then measures side by side, in this one
script run, medians over several repetitions:

1. one branch, cold: `gates run --branch X --gate lint,security,secrets` vs
   `pre-commit run --from-ref main --to-ref X` with hooks for the same tools and rules;
2. the same branch again, warm (gates' cache);
3. all branches: `gates run --all` vs N × the single-branch cold run;
4. a full scan of the whole repo (pre-commit --all-files) vs gates' incremental run.

Usage: python bench/static_vs_precommit.py [--py 2000] [--ts 500] [--branches 10] [--reps 5]
No timing is asserted anywhere; this prints a table and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "gates" / "builtin" / "security" / "rules"
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


def median_pair(a: Callable[[], object], b: Callable[[], object], reps: int
                ) -> tuple[float, float]:
    """Medians of `a` and `b`, run alternately (their order too), so that the load of
    the machine's other users falls on both alike."""
    ta: list[float] = []
    tb: list[float] = []
    for i in range(reps):
        for fn, out in ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return statistics.median(ta), statistics.median(tb)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--py", type=int, default=2000)
    ap.add_argument("--ts", type=int, default=500)
    ap.add_argument("--branches", type=int, default=10)
    ap.add_argument("--reps", type=int, default=5, help="repetitions of the one-branch rows")
    ap.add_argument("--reps-all", type=int, default=3,
                    help="repetitions of the all-branches and full-scan rows")
    ap.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gates-bench-"))
    repo = tmp / "repo"
    repo.mkdir()
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off",
               HOME=str(tmp / "home"), PRE_COMMIT_HOME=str(tmp / "pre-commit-home"),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    (tmp / "home").mkdir()
    print(f"generating {args.py} Python + {args.ts} TypeScript files, {args.branches} branches…")
    branches = make_repo(repo, args.py, args.ts, args.branches)
    gates = [str(BIN / "gates")]
    only = ["--gate", "lint,security,secrets", "-q", "--no-status"]
    x = branches[0]
    load0 = os.getloadavg()

    def run(*cmd: str) -> int:
        res = subprocess.run(cmd, cwd=repo, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, timeout=3600)
        return res.returncode

    def gates_run(*what: str) -> None:
        code = run(*gates, "run", *what, *only)
        if code not in (0, 1):
            raise SystemExit(f"gates run {' '.join(what)} failed (exit {code})")

    def clear() -> None:
        sh(*gates, "cache", "clear", cwd=repo, env=env)

    def gates_cold(branch: str = x) -> None:
        clear()
        gates_run("--branch", branch)

    def gates_warm() -> None:
        gates_run("--branch", x)

    def precommit(name: str) -> None:
        sh("git", "checkout", "-q", name, cwd=repo)
        run(str(BIN / "pre-commit"), "run", "--from-ref", "main", "--to-ref", name)
        sh("git", "checkout", "-q", "main", cwd=repo)

    def gates_all() -> None:
        clear()
        gates_run("--all")

    def gates_each_cold() -> None:
        for b in branches:
            gates_cold(b)

    def gates_each_shared() -> None:
        clear()
        for b in branches:
            gates_run("--branch", b)

    def precommit_all() -> None:
        for b in branches:
            precommit(b)

    def precommit_full() -> None:
        run(str(BIN / "pre-commit"), "run", "--all-files")

    # warm-up: pre-commit builds its (system) hook environment; check that gates works
    precommit(x)
    gates_cold()
    verdict = json.loads((repo / "reports" / "latest.json").read_text())["branches"][x]
    errors = [g for g, s in verdict.get("gates", {}).items() if s == "error"]
    if errors:
        raise SystemExit(f"gates reported errors on {x}: {errors}; see {repo / 'reports'}")
    n, m = args.reps, args.reps_all
    print(f"measuring (one-branch rows × {n}, all-branches and full-scan rows × {m})…")
    cold, peer1 = median_pair(gates_cold, lambda: precommit(x), n)
    gates_cold()
    warm, _ = median_pair(gates_warm, lambda: None, n)
    every, peer_all = median_pair(gates_all, precommit_all, m)
    each_cold, each_shared = median_pair(gates_each_cold, gates_each_shared, m)
    incremental, full = median_pair(gates_cold, precommit_full, m)
    load1 = os.getloadavg()
    k = len(branches)
    rows = [
        ("1. one branch, cold", "pre-commit --from-ref/--to-ref", cold, peer1),
        ("2. same branch again, warm", "pre-commit (no result cache)", warm, peer1),
        ("2b. warm vs cold", "gates, cold", warm, cold),
        (f"3. all {k} branches: --all", f"{k} × pre-commit", every, peer_all),
        ("3b. --all", f"{k} × gates cold (cache cleared)", every, each_cold),
        ("3c. --all", f"{k} × gates, one shared cache", every, each_shared),
        ("4. incremental (cold)", "full scan: pre-commit --all-files", incremental, full),
    ]
    print(f"\nmachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {load0[0]:.1f} → {load1[0]:.1f} (shared with other work); "
          f"{args.py} .py + {args.ts} .ts files, {k} branches changing 1–5 files; "
          f"medians of {n} (rows 1–2) and {m} (rows 3–4) alternated runs\n")
    print(f"{'case':30} {'gates':>9}  {'compared with':34} {'time':>9} {'ratio':>7}")
    for name, peer, g, p in rows:
        print(f"{name:30} {g:8.2f}s  {peer:34} {p:8.2f}s {g / p:6.2f}×")
    print("\npre-commit runs local hooks with the same tools and rules: ruff (same select), "
          "bandit,\nsemgrep with gates' bundled rules, detect-secrets. gates also scans "
          "the base's version\nof each changed file (new vs existing findings) and "
          "writes its reports.")
    if args.keep:
        print(f"repository kept: {repo}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
