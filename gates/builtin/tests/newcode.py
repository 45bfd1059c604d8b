"""Coverage on new code: which of the lines a branch adds or changes its suite runs.

The measurement comes from coverage.py's JSON report (branch coverage), or from the
LCOV or Cobertura file another stack's command writes (c8, istanbul, nyc, gcovr). The
denominator is the measurable lines (statements; and their branches, where the
report has them) among the lines the diff of the base tip to the merge result adds
or changes, test files left out; the numerator, those the suite ran. A line whose
statement ran but one of whose branches never did counts half covered and is listed
as uncovered: it is what to test next.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # nosec B405: a report our own run wrote
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gates.gate import GateError


@dataclass
class FileCoverage:
    """What a report says of one file: lines that ran, that did not, and lines with a
    branch that never ran (with how many branches each has and how many ran)."""

    executed: set[int] = field(default_factory=set)
    missing: set[int] = field(default_factory=set)
    branches: dict[int, tuple[int, int]] = field(default_factory=dict)  # line -> (taken, all)


Measured = dict[str, FileCoverage]


@dataclass
class NewFile:
    path: str
    lines: int  # measurable new lines
    covered: float  # lines ran, branches weighted in
    uncovered: list[int]  # new lines not run, or with a branch not taken

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.lines if self.lines else 100.0


@dataclass
class NewCode:
    files: list[NewFile]

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def covered(self) -> float:
        return sum(f.covered for f in self.files)

    @property
    def percent(self) -> float | None:
        """None: the branch adds no measurable line."""
        return 100.0 * self.covered / self.lines if self.lines else None


def ranges(lines: Iterable[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out: list[str] = []
    run: list[int] = []
    for n in sorted(set(lines)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out)


def measure(added: Mapping[str, set[int]], measured: Measured,
            is_test: Iterable[str] = ()) -> NewCode:
    """New-code coverage of the files in `added` (path -> new line numbers) that the
    report measured, except the test files named in `is_test`."""
    tests = set(is_test)
    files = []
    for path, new in sorted(added.items()):
        cov = measured.get(path)
        if cov is None or path in tests:
            continue
        lines = sorted(n for n in new if n in cov.executed or n in cov.missing)
        if not lines:
            continue
        covered, uncovered = 0.0, []
        for n in lines:
            if n in cov.missing:
                uncovered.append(n)
                continue
            taken, arcs = cov.branches.get(n, (0, 0))  # branch arcs: taken of all
            if arcs and taken < arcs:
                covered += 0.5 + 0.5 * taken / arcs
                uncovered.append(n)
            else:
                covered += 1
        files.append(NewFile(path, len(lines), covered, uncovered))
    return NewCode(files)


# -- reading reports ----------------------------------------------------------------


def read(path: Path, root: Path) -> Measured:
    """A coverage report by its content: coverage.py JSON, LCOV or Cobertura XML. Paths
    are made relative to `root` (the tree the suite ran in)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise GateError(f"the test command wrote no coverage report at {path.name}") from None
    head = text.lstrip()[:200]
    if head.startswith("{"):
        return coverage_json(text, root)
    if head.startswith("<"):
        return cobertura(text, root)
    if "SF:" in text and "end_of_record" in text:
        return lcov(text, root)
    raise GateError(f"{path.name} is neither coverage.py JSON, LCOV nor Cobertura XML")


def _rel(name: str, root: Path, base: Path | None = None) -> str:
    p = Path(name)
    if not p.is_absolute():
        p = (base or root) / p
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(name).as_posix()


def coverage_json(text: str, root: Path) -> Measured:
    try:
        data = json.loads(text)
        files = data["files"]
    except (ValueError, KeyError, TypeError):
        raise GateError("the coverage.py JSON report has no 'files'") from None
    out: Measured = {}
    for name, f in files.items():
        cov = FileCoverage(set(f.get("executed_lines", [])), set(f.get("missing_lines", [])))
        arcs: dict[int, list[int]] = {}
        for src, _dst in f.get("executed_branches", []):
            arcs.setdefault(src, [0, 0])[0] += 1
            arcs[src][1] += 1
        for src, _dst in f.get("missing_branches", []):
            arcs.setdefault(src, [0, 0])[1] += 1
        cov.branches = {n: (t, a) for n, (t, a) in arcs.items() if n > 0}
        out[_rel(name, root)] = cov
    return out


def lcov(text: str, root: Path) -> Measured:
    out: Measured = {}
    cov: FileCoverage | None = None
    arcs: dict[int, list[int]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("SF:"):
            cov, arcs = FileCoverage(), {}
            out[_rel(line[3:], root)] = cov
        elif cov is None:
            continue
        elif line.startswith("DA:"):
            parts = line[3:].split(",")
            if len(parts) >= 2 and parts[0].isdigit():
                (cov.executed if _hits(parts[1]) else cov.missing).add(int(parts[0]))
        elif line.startswith("BRDA:"):
            parts = line[5:].split(",")
            if len(parts) == 4 and parts[0].isdigit():
                a = arcs.setdefault(int(parts[0]), [0, 0])
                a[1] += 1
                a[0] += 1 if parts[3] not in ("-", "0") else 0
        elif line == "end_of_record":
            cov.branches = {n: (t, a) for n, (t, a) in arcs.items()}
            cov = None
    return out


def _hits(value: str) -> bool:
    try:
        return float(value) > 0
    except ValueError:
        return False


def cobertura(text: str, root: Path) -> Measured:
    try:
        top = ET.fromstring(text)  # nosec B314
    except ET.ParseError as e:
        raise GateError(f"the Cobertura report is not valid XML: {e}") from None
    sources = [Path(s.text.strip()) for s in top.iter("source") if s.text and s.text.strip()]
    out: Measured = {}
    for cls in top.iter("class"):
        name = cls.get("filename") or ""
        if not name:
            continue
        base = next((s for s in sources if (s / name).exists()), None)
        cov = out.setdefault(_rel(name, root, base), FileCoverage())
        for ln in cls.iter("line"):
            num = ln.get("number", "")
            if not num.isdigit():
                continue
            n = int(num)
            (cov.executed if _hits(ln.get("hits", "0")) else cov.missing).add(n)
            cond = ln.get("condition-coverage", "")  # "50% (1/2)"
            if ln.get("branch") == "true" and "(" in cond:
                taken, _, total = cond.split("(", 1)[1].rstrip(")").partition("/")
                if taken.isdigit() and total.isdigit():
                    cov.branches[n] = (int(taken), int(total))
    return out
