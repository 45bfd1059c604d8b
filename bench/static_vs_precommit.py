"""Benchmark: gates' static gates against pre-commit running the same tools.

Measures, side by side in this one script run, medians over several alternated
repetitions, with the CPU each side used (cores busy: CPU seconds / wall seconds):

1. one branch, cold: `gates run --branch X --gate lint,security,secrets` vs
   `pre-commit run --from-ref BASE --to-ref X` with hooks for the same tools and rules;
1b. the same branch with the base already scanned (`gates warm`, as the Actions
   template runs on each push to the base: the cache restored from that);
2. the same branch again, warm (gates' cache);
3. all branches: `gates run --all` vs N × the single-branch cold run;
3w. the same with the base already scanned (the cache `gates warm` left);
4. a full scan of the whole repo (pre-commit --all-files) vs gates' incremental run.

On a generated repository (default: Python and TypeScript files of 20 lines, a main
and agent branches changing 1–5 files each), on any git repository (`--repo PATH`:
its branches `<agent>/<topic>` against `--base`; cloned, never touched), or on real
code (`--real`: SQLAlchemy's sdist, pinned by version and sha256, downloaded once
with pip into ~/.cache/gates-bench/realcode/, with agent branches editing its
biggest modules).

Usage: python bench/static_vs_precommit.py [--py 2000] [--ts 500] [--branches 10] [--reps 5]
       python bench/static_vs_precommit.py --real [--rows 1,1b,2,3] [--reps 3 --reps-all 1]
       python bench/static_vs_precommit.py --repo PATH [--base main]
No timing is asserted anywhere; this prints a table and the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
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
        entry: {bin}/semgrep scan --config {rules} --disable-version-check --metrics=off --error --quiet --timeout {timeout}
        language: system
        types_or: [python, ts, javascript]
      - id: detect-secrets
        name: detect-secrets
        entry: {bin}/detect-secrets-hook
        language: system
"""


# -- real code: a pinned sdist, downloaded once, outside the repository ------------------

REAL_PACKAGE = "sqlalchemy==2.0.36"
REAL_SHA256 = "7f2767680b6d2398aea7082e45a774b2b0767b5c8d8ffb9c8b683088ea9b29c5"
REAL_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gates-bench" \
    / "realcode"
REAL_SKIP = ("doc",)  # the rendered documentation: not code
RULE_TIMEOUT_REAL = 300  # semgrep's limit per rule and file (s), gates and pre-commit alike


def fetch_real() -> Path:
    """The sdist, from the cache or downloaded with pip; its sha256 checked."""
    name, version = REAL_PACKAGE.split("==")
    tarball = REAL_CACHE / f"{name}-{version}.tar.gz"
    if not tarball.exists():
        REAL_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--no-binary", ":all:", "-d", str(REAL_CACHE), REAL_PACKAGE],
                       check=True, timeout=1800)
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != REAL_SHA256:
        raise SystemExit(f"{tarball}: sha256 {digest}, expected {REAL_SHA256}")
    return tarball


def make_real_repo(dest: Path, n_branches: int) -> list[str]:
    """The sdist's code as a repo on main; agent branches each editing 1–4 real modules,
    one of the ten biggest among them (a line changed inside, a function appended), from
    a base whose last commit changed the same modules."""
    import tarfile

    rng = random.Random(42)
    with tarfile.open(fetch_real()) as tar:
        tar.extractall(dest.parent / "sdist", filter="data")
    [top] = (dest.parent / "sdist").iterdir()
    for p in top.iterdir():
        if p.name not in REAL_SKIP:
            shutil.move(str(p), dest / p.name)
    sh("git", "init", "-q", "-b", "main", cwd=dest)
    sh("git", "config", "user.email", "bench@x", cwd=dest)
    sh("git", "config", "user.name", "bench", cwd=dest)
    # semgrep's per-rule, per-file time limit: a rule that runs out is an error in gates
    # (a skipped check), so give the biggest modules room on a busy machine
    (dest / "gates.toml").write_text('[gates.lint]\nselect = ["E4", "E7", "E9", "F"]\n'
                                     f'[gates.security]\nrule_timeout = {RULE_TIMEOUT_REAL}\n')
    sh("git", "add", "-A", cwd=dest)
    sh("git", "commit", "-q", "-m", "init", cwd=dest)
    modules = sorted((p for p in dest.rglob("*.py") if ".git" not in p.parts),
                     key=lambda p: (-p.stat().st_size, str(p)))
    biggest, rest = modules[:10], modules[10:200]
    agents = ["walnut", "ironwood", "acacia", "oak", "birch"]
    edits = [[biggest[b % len(biggest)], *rng.sample(rest, rng.randint(1, 3))]
             for b in range(n_branches)]
    # the base's last push changed those modules too (what `gates warm --since main~1`,
    # as the Actions template runs it, scans); the branches start from it
    for p in {p for files in edits for p in files}:
        p.write_text(p.read_text() + "\n# the base's latest change\n")
    sh("git", "commit", "-q", "-am", "base: the latest push", cwd=dest)
    branches = []
    for b, files in enumerate(edits):
        name = f"{agents[b % len(agents)]}/topic{b}"
        sh("git", "checkout", "-q", "-b", name, "main", cwd=dest)
        for p in files:
            lines = p.read_text().splitlines(keepends=True)
            at = next((i for i in range(len(lines) // 2, len(lines))
                       if lines[i].startswith(("def ", "class "))), len(lines))
            lines.insert(at, f"# {name}: reviewed\n")
            p.write_text("".join(lines) + f"\n\ndef _extra_{b}(x: float) -> float:\n"
                         f"    return x * 0.1  # change by {name}\n")
        sh("git", "commit", "-q", "-am", f"{name}: work", cwd=dest)
        branches.append(name)
    sh("git", "checkout", "-q", "main", cwd=dest)
    return branches


def clone_repo(src: Path, dest: Path, base: str) -> list[str]:
    """A clone of `src` (never touched) with its branches `<agent>/<topic>` as local ones."""
    sh("git", "clone", "-q", "--no-local", str(src), str(dest), cwd=dest.parent)
    heads = subprocess.run(["git", "for-each-ref", "--format=%(refname:short)",
                            "refs/remotes/origin/"], cwd=dest, check=True, text=True,
                           capture_output=True).stdout.split()
    branches = []
    for ref in heads:
        name = ref.removeprefix("origin/")
        if "/" in name and name != base:
            sh("git", "branch", "-q", "-f", name, ref, cwd=dest)
            branches.append(name)
    sh("git", "checkout", "-q", "-B", base, f"origin/{base}", cwd=dest)
    if not branches:
        raise SystemExit(f"{src}: no branch <agent>/<topic> to judge")
    return sorted(branches)


# -- timing ----------------------------------------------------------------------------


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(fn: Callable[[], object], setup: Callable[[], object] | None = None
          ) -> tuple[float, float]:
    """(wall seconds, cores busy) of `fn` (after `setup`, not timed)."""
    if setup:
        setup()
    c0, t0 = _children_cpu(), time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    return wall, (_children_cpu() - c0) / wall if wall else 0.0


Side = Callable[[], object] | tuple[Callable[[], object], Callable[[], object]]


def median_pair(a: Side, b: Side, reps: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """((median seconds, median cores busy) of `a`, … of `b`), run alternately (their
    order too), so that the load of the machine's other users falls on both alike. A
    side is a callable, or (setup, callable) with the setup not timed."""
    ta: list[tuple[float, float]] = []
    tb: list[tuple[float, float]] = []
    for i in range(reps):
        for side, out in ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta)):
            out.append(timed(side[1], side[0]) if isinstance(side, tuple) else timed(side))

    def med(xs: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(x[0] for x in xs), statistics.median(x[1] for x in xs)

    return med(ta), med(tb)


ROWS = ("1", "1b", "2", "3", "3w", "3b", "3c", "4")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--py", type=int, default=2000)
    ap.add_argument("--ts", type=int, default=500)
    ap.add_argument("--branches", type=int, default=10)
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--repo", type=Path, metavar="PATH",
                       help="any git repository: its branches <agent>/<topic> against --base")
    where.add_argument("--real", action="store_true",
                       help=f"real code: {REAL_PACKAGE}'s sdist, agent branches editing its "
                            "biggest modules")
    ap.add_argument("--base", default="main", help="the base branch (with --repo)")
    ap.add_argument("--warm-since", metavar="REV",
                    help="row 1b: `gates warm --since REV` (what the base's last push "
                         "changed; --real: main~1); default: the whole base")
    ap.add_argument("--rows", default=",".join(ROWS),
                    help=f"which rows ({','.join(ROWS)}; default: all)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions of the one-branch rows")
    ap.add_argument("--reps-all", type=int, default=3,
                    help="repetitions of the all-branches and full-scan rows")
    ap.add_argument("--keep", action="store_true", help="keep the repository")
    args = ap.parse_args()
    wanted = set(args.rows.split(","))
    if wanted - set(ROWS):
        ap.error(f"--rows: unknown {sorted(wanted - set(ROWS))}")
    tmp = Path(tempfile.mkdtemp(prefix="gates-bench-"))
    repo = tmp / "repo"
    repo.mkdir()
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off",
               HOME=str(tmp / "home"), PRE_COMMIT_HOME=str(tmp / "pre-commit-home"),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    (tmp / "home").mkdir()
    base = args.base if args.repo else "main"
    if args.repo:
        print(f"cloning {args.repo}…")
        repo.rmdir()
        branches = clone_repo(args.repo.resolve(), repo, base)
        what = f"{args.repo}"
    elif args.real:
        print(f"building a repository of {REAL_PACKAGE}, {args.branches} branches…")
        branches = make_real_repo(repo, args.branches)
        what = f"{REAL_PACKAGE} (sdist, without doc/)"
    else:
        print(f"generating {args.py} Python + {args.ts} TypeScript files, "
              f"{args.branches} branches…")
        branches = make_repo(repo, args.py, args.ts, args.branches)
        what = f"generated: {args.py} .py + {args.ts} .ts files of ~15 lines"
    config = tmp / "pre-commit.yaml"  # outside the repo: the repo stays as it is
    # semgrep's per-rule, per-file time limit as gates has it (semgrep's own default, 5 s,
    # would skip the slow rules on big files: less work than gates does)
    timeout = RULE_TIMEOUT_REAL if args.real else 30
    config.write_text(PRECOMMIT.format(bin=BIN, rules=RULES, timeout=timeout))
    cache_db = Path(subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=repo,
                                   text=True, capture_output=True, check=True).stdout.strip())
    cache_db = (repo / cache_db / "gates" / "cache.sqlite").resolve()
    warmed = tmp / "warmed.sqlite"
    gates = [str(BIN / "gates")]
    only = ["--gate", "lint,security,secrets", "-q", "--no-status"]
    x = branches[0]
    load0 = os.getloadavg()

    def run(*cmd: str) -> int:
        res = subprocess.run(cmd, cwd=repo, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, timeout=7200)
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

    def gates_again() -> None:
        gates_run("--branch", x)

    def restore_warmed() -> None:
        """What the Actions template does: the cache `gates warm` saved, restored."""
        for suffix in ("-wal", "-shm"):
            Path(str(cache_db) + suffix).unlink(missing_ok=True)
        shutil.copyfile(warmed, cache_db)

    def precommit(name: str) -> None:
        sh("git", "checkout", "-q", name, cwd=repo)
        run(str(BIN / "pre-commit"), "run", "-c", str(config), "--from-ref", base,
            "--to-ref", name)
        sh("git", "checkout", "-q", base, cwd=repo)

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
        run(str(BIN / "pre-commit"), "run", "-c", str(config), "--all-files")

    def changed_kb(branch: str) -> float:
        names = subprocess.run(["git", "diff", "--name-only", f"{base}...{branch}"], cwd=repo,
                               text=True, capture_output=True, check=True).stdout.split()
        return sum(len(subprocess.run(["git", "show", f"{branch}:{n}"], cwd=repo,
                                      capture_output=True).stdout) for n in names) / 1024

    n_py = sum(1 for f in subprocess.run(["git", "ls-files", "*.py"], cwd=repo, text=True,
                                         capture_output=True).stdout.splitlines())
    # warm-up: pre-commit builds its (system) hook environment; check that gates works
    precommit(x)
    gates_cold()
    verdict = json.loads((repo / "reports" / "latest.json").read_text())["branches"][x]
    errors = [g for g, s in verdict.get("gates", {}).items() if s == "error"]
    if errors:
        raise SystemExit(f"gates reported errors on {x}: {errors}; see {repo / 'reports'}")
    n, m = args.reps, args.reps_all
    k = len(branches)
    print(f"measuring rows {','.join(r for r in ROWS if r in wanted)} (one-branch rows × {n}, "
          f"all-branches and full-scan rows × {m})…")
    rows: list[tuple[str, str, tuple[float, float], tuple[float, float]]] = []

    def line(name: str, peer: str, g: tuple[float, float], p: tuple[float, float]) -> str:
        return (f"{name:28} {g[0]:7.2f}s {g[1]:4.1f}  {peer:34} {p[0]:7.2f}s {p[1]:4.1f} "
                f"{g[0] / p[0]:5.2f}×")

    def add(name: str, peer: str, g: tuple[float, float], p: tuple[float, float]) -> None:
        rows.append((name, peer, g, p))
        print("  " + line(name, peer, g, p), flush=True)  # as soon as measured

    if {"1", "2"} & wanted:
        cold, peer1 = median_pair(gates_cold, lambda: precommit(x), n)
        add("1. one branch, cold", "pre-commit --from-ref/--to-ref", cold, peer1)
    since = args.warm_since or ("main~1" if args.real else None)
    if {"1b", "3w"} & wanted:
        clear()
        t0 = time.perf_counter()
        sh(*gates, "warm", "-q", *(["--since", since] if since else []), cwd=repo, env=env)
        warm_took = time.perf_counter() - t0
        shutil.copyfile(cache_db, warmed)
        print(f"  (gates warm{' --since ' + since if since else ', the whole base'}, from an "
              f"empty cache, once: {warm_took:.1f} s)", flush=True)
    if "1b" in wanted:
        based, peer1b = median_pair((restore_warmed, gates_again), lambda: precommit(x), n)
        add("1b. base already scanned", "pre-commit --from-ref/--to-ref", based, peer1b)
    if "2" in wanted:
        gates_cold()
        again, _ = median_pair(gates_again, lambda: None, n)
        add("2. same branch again, warm", "pre-commit (no result cache)", again, peer1)
        add("2b. warm vs cold", "gates, cold", again, cold)
    every = None
    if "3" in wanted:
        every, peer_all = median_pair(gates_all, precommit_all, m)
        add(f"3. all {k} branches: --all", f"{k} × pre-commit", every, peer_all)
    if "3w" in wanted:
        every_warm, peer_all_w = median_pair((restore_warmed, lambda: gates_run("--all")),
                                             precommit_all, m)
        add(f"3w. all {k}, base scanned", f"{k} × pre-commit", every_warm, peer_all_w)
    if {"3b", "3c"} & wanted:
        every = every or median_pair(gates_all, lambda: None, m)[0]
        each_cold, each_shared = median_pair(gates_each_cold, gates_each_shared, m)
        add("3b. --all", f"{k} × gates cold (cache cleared)", every, each_cold)
        add("3c. --all", f"{k} × gates, one shared cache", every, each_shared)
    if "4" in wanted:
        incremental, full = median_pair(gates_cold, precommit_full, m)
        add("4. incremental (cold)", "full scan: pre-commit --all-files", incremental, full)
    load1 = os.getloadavg()
    print(f"\nmachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {load0[0]:.1f} → {load1[0]:.1f} (shared with other work)\n"
          f"repository: {what}; {n_py} .py files; {k} branches; {x} changes "
          f"{changed_kb(x):.1f} KB of files\n"
          f"medians of {n} (rows 1–2) and {m} (rows 3–4) alternated runs; cpu: cores busy "
          f"(CPU s / wall s) of the run\n")
    print(f"{'case':28} {'gates':>8} {'cpu':>4}  {'compared with':34} {'time':>8} {'cpu':>4} "
          f"{'ratio':>6}")
    for row in rows:
        print(line(*row))
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
