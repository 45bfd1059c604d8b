"""The README's promise tables, read as data: each row's promise, the tests that hold us
to it, and the mutants (tests/mutants/NAME.patch) that break it. test_readme_promises
checks that the tables and the mutants agree; test_mutants runs the mutants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "tests" / "mutants"
_REF = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`")
_NAME = re.compile(r"`([\w-]+)`")


@dataclass(frozen=True)
class Row:
    promise: str
    tests: tuple[str, ...]  # node ids; a bare `tests/x.py` names every test of the file
    mutants: tuple[str, ...]  # names of tests/mutants/NAME.patch


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: str  # the promise it breaks, in a few words
    fails: tuple[str, ...]  # the node ids that must fail with the patch applied

    @property
    def path(self) -> Path:
        return MUTANTS / f"{self.name}.patch"


def promises_section(readme: str | None = None) -> str:
    text = (ROOT / "README.md").read_text() if readme is None else readme
    section = text[text.index("## Promises"):]
    return section[:section.index("\n## ", 1)]


def rows(section: str | None = None) -> list[Row]:
    """Every row of the promise tables (header and rule lines left out)."""
    found = []
    for line in (promises_section() if section is None else section).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] in ("promise", "") or set(cells[0]) <= {"-"}:
            continue
        assert len(cells) == 3, f"a promise row has promise | tested by | broken by: {line}"
        tests: list[str] = []
        current = ""
        for m in _REF.finditer(cells[1]):
            current = m.group(1) or current
            name = m.group(2) if m.group(1) else m.group(3)
            tests.append(f"{current}::{name}" if name else current)
        found.append(Row(cells[0], tuple(tests), tuple(_NAME.findall(cells[2]))))
    return found


def mutant(name: str) -> Mutant:
    """Read tests/mutants/NAME.patch: `Breaks:` and `Fails:` lines, then the diff
    (git apply skips the lines before the first `diff --git`)."""
    text = (MUTANTS / f"{name}.patch").read_text()
    head = text[:text.find("\ndiff --git ")]
    breaks = [line[7:].strip() for line in head.splitlines() if line.startswith("Breaks:")]
    fails = [line[6:].strip() for line in head.splitlines() if line.startswith("Fails:")]
    return Mutant(name, " ".join(breaks), tuple(fails))


def all_mutants() -> list[str]:
    return sorted(p.stem for p in MUTANTS.glob("*.patch"))


def covers(named: str, node: str) -> bool:
    """`node` is the test `named` names (or one of the tests of a file it names)."""
    return node == named or ("::" not in named and node.startswith(named + "::"))
