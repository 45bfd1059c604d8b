"""Mutants as a standing check: each promise of the README is broken on purpose by a
small patch (tests/mutants/NAME.patch), and the tests the promise names must then fail.

Each mutant is applied to a temporary copy of the repository; only the tests its
`Fails:` lines name run there, with a short per-test timeout (a mutant that makes a
test hang is caught by pytest-timeout, which fails that test). The copies run in
parallel, one per core; every test of this module waits for its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.promises import ROOT, Mutant, all_mutants, mutant

PER_TEST_TIMEOUT = 240  # seconds a test may take in a mutant copy before it counts as hung


@dataclass
class Outcome:
    error: str = ""  # the mutant could not be tried: it no longer applies, or pytest broke
    failed: frozenset[str] = frozenset()  # test functions (no parameters) with a failed case
    passed: frozenset[str] = frozenset()  # test functions all of whose cases passed/skipped
    log: str = ""


def _copy(dest: Path) -> None:
    """The working tree as git sees it (tracked and new files, nothing ignored)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file() and not src.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def apply(m: Mutant, tree: Path) -> str:
    """Apply the mutant to `tree`; '' or why it does not apply."""
    res = subprocess.run(["git", "apply", "--whitespace=nowarn", str(m.path)], cwd=tree,
                         capture_output=True, text=True)
    if res.returncode == 0:
        return ""
    return (f"tests/mutants/{m.name}.patch no longer applies to the code: what it mutates "
            f"moved or changed. Update the patch so that it breaks the promise "
            f"'{m.breaks}' again (edit the code the way the patch does, then "
            f"`git diff -U1 > tests/mutants/{m.name}.patch` and put its Breaks:/Fails: "
            f"lines back on top). git apply says: {res.stderr.strip()}")


def _results(junit: Path) -> tuple[frozenset[str], frozenset[str]]:
    failed: set[str] = set()
    seen: set[str] = set()
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        node = f"{module}.py::{case.get('name', '').split('[')[0]}"
        seen.add(node)
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(node)
    return frozenset(failed), frozenset(seen - failed)


def run_mutant(m: Mutant, scratch: Path) -> Outcome:
    tree = scratch / "repo"
    tree.mkdir(parents=True)
    _copy(tree)
    why = apply(m, tree)
    if why:
        return Outcome(error=why)
    junit = scratch / "junit.xml"
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         f"--timeout={PER_TEST_TIMEOUT}", f"--junitxml={junit}", "--rootdir", str(tree),
         *m.fails], cwd=tree, env=env, capture_output=True, text=True)
    log = (res.stdout + res.stderr)[-4000:]
    if res.returncode not in (0, 1) or not junit.is_file():
        return Outcome(error=f"pytest could not run the tests (exit {res.returncode})", log=log)
    failed, passed = _results(junit)
    return Outcome(failed=failed, passed=passed, log=log)


class Pool:
    """Mutant runs, `os.cpu_count()` at once. Under pytest-xdist each worker collects every
    test but runs only some: it starts a mutant when that mutant's test asks for it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.executor = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self.futures: dict[str, Future[Outcome]] = {}

    def start(self, name: str) -> Future[Outcome]:
        if name not in self.futures:
            self.futures[name] = self.executor.submit(run_mutant, mutant(name), self.base / name)
        return self.futures[name]


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Pool]:
    """Start every selected mutant at once (see Pool)."""
    pool = Pool(tmp_path_factory.mktemp("mutants"))
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        for item in request.session.items:
            if item.module is sys.modules[__name__] and hasattr(item, "callspec"):
                pool.start(item.callspec.params["name"])
    yield pool
    for f in pool.futures.values():
        f.cancel()
    pool.executor.shutdown(wait=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", all_mutants())
def test_mutant_is_killed(name: str, outcomes: Pool) -> None:
    m = mutant(name)
    assert m.fails, f"tests/mutants/{name}.patch names no test (Fails: lines)"
    got = outcomes.start(name).result()
    assert not got.error, f"{got.error}\n{got.log}"
    survivors = [t for t in m.fails if t not in got.failed]
    assert not survivors, (
        f"mutant {name} ({m.breaks}) survived: {', '.join(survivors)} still "
        f"{'pass' if set(survivors) <= got.passed else 'did not run'}\n{got.log}")
