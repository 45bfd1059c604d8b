"""Bench: mutation testing of the spine modules that hold the README's promises (mutmut).

Not part of CI (tests/test_mutants.py is the standing check: one hand-written mutant per
promise). This is the wider look: mutmut mutates every line of each module below, in a
scratch copy of the repository (mutmut 2 edits files in place), and runs only the tests
that cover that module, stopping at the first failure. Prints, per module, how many
mutants were killed, survived or timed out, and the score (killed / tested); the diff of
every survivor goes to <scratch>/survivors.txt. bench/mutation_survivors.md says, for
each survivor, which test now kills it or why it is an equivalent mutant.

    .venv/bin/pip install 'mutmut==2.5.1'     # the bench only; not in the test extra
    .venv/bin/python bench/mutation_spine.py [--only blocks,policy] [--scratch DIR]

Each module has its own scratch copy (<scratch>/<module>), so two modules can run at
once (`--only blocks` and `--only proc` in two shells, under `nice -n 10`). mutmut keeps
its results in that copy's .mutmut-cache and, run again, keeps its kills and tests again
only the untested mutants and, when tests/ changed, the survivors: each run copies the
repository's current files (tests/ included) over the scratch copy first. A run that was
killed may leave that cache unusable (mutmut 2.5.1 then stops with "Attribute
Mutant.line is required"): --fresh starts over.

Each mutant costs one pytest start-up plus the module's tests until the first failure.
pytest's plugins are not auto-loaded (the browser, Django and Flask plugins take seconds
to import and these tests use none of them); pytest-timeout is loaded by name, so a
mutant that hangs fails its test. mutmut counts only exit code 1 as a kill, so the tests
run through `--tests MODULE`, which turns any failure (a collection error too) into 1.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
# module -> the tests that cover it (fast ones: each mutant runs them until one fails)
SPINE: dict[str, tuple[str, list[str]]] = {
    # the four-writers test (the lock) is left out: tests/mutants/ holds its mutant
    "blocks": ("gates/publish/blocks.py", ["tests/publish/test_blocks.py", "-k",
                                           "not writers_at_once"]),
    "policy": ("gates/policy.py", ["tests/test_policy.py"]),
    # the cache's unit tests: the end-to-end ones (a real run of every gate) take 5-30 s
    # each; what they pin of this module has unit tests of its own
    "cache": ("gates/cache.py", ["tests/test_cache.py", "-k",
                                 "salt_and or busy or clear or not_asked or unit_"]),
    "subject": ("gates/subject.py", ["tests/test_subject.py"]),
    # kill_recorded is the sweep's: its tests are in test_subject.py
    "proc": ("gates/proc.py", ["tests/test_proc.py", *(
        f"tests/test_subject.py::test_{t}" for t in (
            "sweep_kills_the_groups_of_a_killed_run_then_removes_its_folder",
            "leaving_a_run_kills_what_was_never_stopped", "a_reused_pid_is_never_killed",
            "a_group_whose_leader_is_gone_is_killed"))]),
}


def copy_repo(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file() and not src.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def run_tests(key: str) -> int:
    """mutmut's runner: the module's tests, stopping at the first failure; 1 on any
    failure (mutmut 2 counts only exit code 1 as a kill, and a mutant that breaks the
    import makes pytest exit 2)."""
    _, tests = SPINE[key]
    res = subprocess.run([PY, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                          "-p", "pytest_timeout", "--timeout", "60", *tests],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if res.returncode == 5:  # no test ran: not a kill
        return 2
    return 0 if res.returncode == 0 else 1


def statuses(scratch: Path, module: str) -> dict[str, int]:
    """Counts of mutmut's statuses for `module`, read from its cache."""
    db = scratch / ".mutmut-cache"
    if not db.is_file():
        return {}
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT m.status, COUNT(*) FROM Mutant m JOIN Line l ON m.line = l.id "
        "JOIN SourceFile s ON l.sourcefile = s.id WHERE s.filename = ? GROUP BY m.status",
        (module,)).fetchall()
    con.close()
    return dict(rows)


def survivors(scratch: Path, module: str) -> list[tuple[int, int]]:
    con = sqlite3.connect(scratch / ".mutmut-cache")
    rows = con.execute(
        "SELECT m.id, l.line_number FROM Mutant m JOIN Line l ON m.line = l.id "
        "JOIN SourceFile s ON l.sourcefile = s.id WHERE s.filename = ? "
        "AND m.status IN ('bad_survived', 'bad_timeout') ORDER BY m.id",
        (module,)).fetchall()
    con.close()
    return [(i, n + 1) for i, n in rows]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(SPINE), help="modules, comma-separated")
    ap.add_argument("--scratch", type=Path,
                    default=Path(tempfile.gettempdir()) / "gates-bench-mutmut")
    ap.add_argument("--fresh", action="store_true", help="forget earlier results")
    ap.add_argument("--tests", metavar="MODULE", help=argparse.SUPPRESS)  # mutmut's runner
    args = ap.parse_args()
    if args.tests:
        return run_tests(args.tests)
    mutmut = Path(PY).parent / "mutmut"
    if not mutmut.exists():
        sys.exit("mutmut is not installed: .venv/bin/pip install 'mutmut==2.5.1'")
    env = {"PATH": f"{Path(PY).parent}:/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "LANG": "C.UTF-8"}
    report = []
    print(f"{'module':<24} {'mutants':>7} {'killed':>6} {'survived':>8} {'timeout':>7} "
          f"{'score':>6} {'time':>7}")
    for key in args.only.split(","):
        module, _ = SPINE[key]
        scratch: Path = args.scratch / key
        if args.fresh and scratch.exists():
            shutil.rmtree(scratch)
        scratch.mkdir(parents=True, exist_ok=True)
        copy_repo(scratch)  # the current tests (and a module a killed run left mutated)
        env |= {"PYTHONPATH": str(scratch), "HOME": str(scratch / ".home")}
        runner = f"{PY} bench/mutation_spine.py --tests {key}"
        t0 = time.monotonic()
        subprocess.run([str(mutmut), "run", "--paths-to-mutate", module, "--runner", runner,
                        "--tests-dir", "tests", "--simple-output", "--no-progress"],
                       cwd=scratch, env=env, stdout=subprocess.DEVNULL)
        took = time.monotonic() - t0
        s = statuses(scratch, module)
        # ok_suspicious: killed, but the tests took long (a busy machine does that)
        killed = s.get("ok_killed", 0) + s.get("ok_suspicious", 0)
        tested = killed + s.get("bad_survived", 0) + s.get("bad_timeout", 0)
        score = f"{100 * killed / tested:.0f}%" if tested else "-"
        print(f"{module:<24} {sum(s.values()):>7} {killed:>6} {s.get('bad_survived', 0):>8} "
              f"{s.get('bad_timeout', 0):>7} {score:>6} {took:>6.0f}s", flush=True)
        for mid, line in survivors(scratch, module):
            diff = subprocess.run([str(mutmut), "show", str(mid)], cwd=scratch, env=env,
                                  capture_output=True, text=True).stdout
            report.append(f"## {module}:{line} (mutant {mid})\n{diff}")
        (scratch / "survivors.txt").write_text("\n".join(report))
        print(f"survivors' diffs: {scratch / 'survivors.txt'}", flush=True)
        report = []
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
