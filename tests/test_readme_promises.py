"""The README's promises name their tests: each named test must exist, or a promise
would point at nothing."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_a_promise_names_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Promises"):]
    section = section[:section.index("\n## ", 1)]
    named = 0
    current: Path | None = None
    for m in re.finditer(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`", section):
        if m.group(1):
            current = ROOT / m.group(1)
            assert current.is_file(), m.group(1)
            name = m.group(2)
        else:
            name = m.group(3)
        assert current is not None
        if name:
            assert f"def {name}(" in current.read_text(), f"{current.name}::{name}"
            named += 1
    assert named >= 30  # the tables were found and read


def test_security_md_holds_the_same_promises() -> None:
    readme = (ROOT / "README.md").read_text()
    security = (ROOT / "SECURITY.md").read_text()
    tables = readme[readme.index("### It never says"):]
    tables = tables[:tables.index("\n## ")].strip()
    assert tables.replace("### It", "## It") in security


def test_every_promise_is_broken_by_a_mutant_that_applies() -> None:
    """Each promise row names at least one mutant (tests/mutants/NAME.patch) that applies
    to the code as it is, and whose `Fails:` tests are tests that row names; every
    mutant belongs to a row. test_mutants runs them."""
    import subprocess

    from tests import promises

    table = promises.rows()
    assert len(table) >= 20  # the tables were found and read
    named: list[str] = []
    for row in table:
        assert row.mutants, f"no mutant breaks this promise: {row.promise}"
        for name in row.mutants:
            path = promises.MUTANTS / f"{name}.patch"
            assert path.is_file(), f"{row.promise}: tests/mutants/{name}.patch does not exist"
            m = promises.mutant(name)
            assert m.breaks and m.fails, f"{name}.patch needs Breaks: and Fails: lines"
            for node in m.fails:
                assert any(promises.covers(t, node) for t in row.tests), (
                    f"{name}.patch: {node} is not a test of its promise ({row.promise})")
            res = subprocess.run(["git", "apply", "--check", str(path)], cwd=ROOT,
                                 capture_output=True, text=True)
            assert res.returncode == 0, (
                f"tests/mutants/{name}.patch no longer applies: the code it mutates moved "
                f"or changed; update the patch ({res.stderr.strip()})")
        named += row.mutants
    assert sorted(named) == promises.all_mutants(), "each mutant breaks exactly one promise row"
