"""The layering of pyproject.toml's [tool.importlinter] holds: the real `lint-imports`
checks every contract (commands -> runner -> gates -> spine -> leaf helpers, the built-in
gates independent of each other, no gate importing a publisher, no publisher running a
tool), as CI and the pre-commit hook do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent  # the venv's bin: lint-imports is installed beside python


def lint_imports() -> subprocess.CompletedProcess[str]:
    tool = shutil.which("lint-imports", path=str(BIN))
    if tool is None:
        pytest.fail(f"lint-imports is not installed in {BIN} (pip install -e '.[test]')")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           # the gates of this checkout, whichever checkout the venv was installed from
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([tool, "--no-cache"], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=300)


def test_every_import_contract_holds() -> None:
    res = lint_imports()
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "0 broken" in out and " kept" in out, out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(m: str) -> None:
        index[m] = low[m] = len(index)
        stack.append(m)
        on_stack.add(m)
        for n in graph.get(m, ()):
            if n not in index:
                visit(n)
                low[m] = min(low[m], low[n])
            elif n in on_stack:
                low[m] = min(low[m], index[n])
        if low[m] == index[m]:
            group = []
            while True:
                n = stack.pop()
                on_stack.discard(n)
                group.append(n)
                if n == m:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return found


def test_cycles_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_at_run_time() -> None:
    """No module of gates imports itself through others when it runs (imports for the
    type checker only are left out: the gate contract names Config, which validates the
    suppressions, which name the gate context)."""
    grimp = pytest.importorskip("grimp")
    g = grimp.build_graph("gates", exclude_type_checking_imports=True)
    graph = {m: set(g.find_modules_directly_imported_by(m)) for m in g.modules}
    assert cycles(graph) == []
