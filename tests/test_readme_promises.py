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
