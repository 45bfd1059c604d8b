"""What tools print, read into findings: one module per output format.

A tool gate declared in the config (`kind = "tool"`, gates.builtin.tool) names one
of `FORMATS`; the lint gate reads ruff's JSON through `ruff`. Each parser takes the
tool's output and the folder it ran in, and returns findings with paths relative to
that folder. Output that does not parse, or in which the tool reports its own
failure, is a `GateError`: a tool that did not do its job never passes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gates.formats import eslint, junit, mypy, ruff, sarif, tsc
from gates.model import Finding

Parser = Callable[[str, Path, str], list[Finding]]  # (output, root, gate name)

FORMATS: dict[str, Parser] = {
    "sarif": sarif.parse,
    "eslint": eslint.parse,
    "tsc": tsc.parse,
    "mypy": mypy.parse,
    "ruff": ruff.parse,
    "junit": junit.parse,
}


def parse(fmt: str, output: str, root: Path, gate: str) -> list[Finding]:
    return FORMATS[fmt](output, root, gate)
