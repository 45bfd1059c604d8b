"""Coverage on new code: the reports other stacks hand in, and the arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates import git
from gates.builtin.tests import newcode
from gates.gate import GateError
from tests.conftest import GitRepo

LCOV = """TN:
SF:{root}/src/calc.js
DA:1,4
DA:2,0
DA:3,2
BRDA:3,0,0,2
BRDA:3,0,1,-
end_of_record
"""
COBERTURA = """<?xml version="1.0" ?>
<coverage line-rate="0.5" branch-rate="0.5" version="1">
  <sources><source>{root}</source></sources>
  <packages><package name="src"><classes>
    <class name="calc.js" filename="src/calc.js" line-rate="0.5">
      <lines>
        <line number="1" hits="4"/>
        <line number="2" hits="0"/>
        <line number="3" hits="2" branch="true" condition-coverage="50% (1/2)"/>
      </lines>
    </class>
  </classes></package></packages>
</coverage>
"""


@pytest.mark.parametrize("template", [LCOV, COBERTURA])
def test_lcov_and_cobertura_read_alike(tmp_path: Path, template: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "calc.js").write_text("a\nb\nc\n")
    report = tmp_path / "cov.out"
    report.write_text(template.format(root=tmp_path))
    measured = newcode.read(report, tmp_path)
    cov = measured["src/calc.js"]
    assert (cov.executed, cov.missing, cov.branches) == ({1, 3}, {2}, {3: (1, 2)})
    nc = newcode.measure({"src/calc.js": {2, 3, 9}}, measured)
    [f] = nc.files
    # line 2 not run, line 3 run with one of two branches: 0.75 of 2 lines
    assert (f.lines, f.covered, f.uncovered) == (2, 0.75, [2, 3])
    assert nc.percent == pytest.approx(37.5)


def test_a_report_of_no_known_shape_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("hello\n")
    with pytest.raises(GateError, match=r"neither coverage\.py JSON, LCOV nor Cobertura"):
        newcode.read(tmp_path / "x", tmp_path)
    with pytest.raises(GateError, match="wrote no coverage report"):
        newcode.read(tmp_path / "missing", tmp_path)


def test_ranges() -> None:
    assert newcode.ranges([9, 3, 4, 5, 12, 11]) == "3-5, 9, 11-12"
    assert newcode.ranges([]) == ""


def test_added_lines_are_those_the_diff_adds_or_changes(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit({"a.py": "one\ntwo\nthree\n", "gone.py": "x\n"})
    head = repo.commit({"a.py": "one\nTWO\nthree\nfour\n", "b.py": "new\nfile\n"})
    repo.git("rm", "-q", "gone.py")
    repo.git("commit", "-qm", "rm")
    tip = repo.git("rev-parse", "HEAD")
    assert git.added_lines(repo.path, base, head) == {"a.py": {2, 4}, "b.py": {1, 2}}
    assert git.added_lines(repo.path, base, tip) == {"a.py": {2, 4}, "b.py": {1, 2}}
