"""A changed file as a line-by-line tool needs to read it: only what the base lacks.

Some tools judge each line of a file alone: detect-secrets on source code reads a
line, runs its plugins and filters on that line and the file's name, and nothing
else decides. For such a tool a finding on a line that the base's version of the
file also has is existing by definition (gates.baseline: a fingerprint is the rule,
the path, the line's text with white space folded, and the how-manieth of that text
it is), so the branch's side need not read those lines at all, and the base's side
need not be scanned: what is left of the branch's file holds exactly its new
findings.

`write` puts, in place of the branch's file, only its lines the base does not
already have (as many times as the base has a text, its first copies are left
out: the last copies are the new ones, as the fingerprint counts), after one
filler line that no plugin matches; `place` moves a finding back to its line in
the branch's file. The filler keeps the file from parsing as an INI file
(detect-secrets tries that on every file): a first line with no section header
and no `=` is an error.

A further copy of a text the base has is new as the fingerprint would call it, but
numbered among the copies read (its fingerprint is not the one a scan of the whole
file gives it); a text the base lacks keeps its fingerprint.

The unit's id names both blobs (`id_of`), so the cache keeps it apart from the
branch's whole file.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from gates import git
from gates.baseline import folded
from gates.model import Finding

PREFIX = "lines-added:"
FILLER = "-"


def id_of(branch_blob: str, base_blob: str) -> str:
    """The id of the lines `branch_blob` adds to `base_blob`."""
    return f"{PREFIX}{branch_blob}:{base_blob}"


def is_id(blob: str) -> bool:
    return blob.startswith(PREFIX)


def blobs_of(unit: str) -> tuple[str, str]:
    """(branch blob, base blob) of an `id_of` id."""
    branch, base = unit.removeprefix(PREFIX).split(":", 1)
    return branch, base


def _lines(data: bytes) -> list[str] | None:
    """The lines as a text-mode reader sees them (universal newlines), or None for a
    file that is not UTF-8 (a tool reading text skips it)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return io.StringIO(text, newline=None).readlines()


Lines = list[int]  # the original line number of each line written (index 0: line 1)


def added(branch: bytes, base: bytes) -> tuple[bytes, Lines | None]:
    """(what to scan, where each of its lines was in `branch`): the filler, then the
    lines of `branch` that `base` lacks; None where nothing was left out (a file that
    is not text, which the tool skips as it skips the original)."""
    lines = _lines(branch)
    if lines is None:
        return branch, None
    before = _lines(base)
    known = Counter(folded(x) for x in before or [])  # not text: the base had nothing
    seen: Counter[str] = Counter()
    out, where = [FILLER + "\n"], [0]
    for number, line in enumerate(lines, 1):
        text = folded(line)
        seen[text] += 1
        if text and seen[text] > known[text]:
            out.append(line if line.endswith("\n") else line + "\n")
            where.append(number)
    return "".join(out).encode("utf-8"), where


def write(repo: Path, units: Mapping[str, str], dest: Path, scratch: Path
          ) -> dict[str, Lines]:
    """Write each unit (name -> `id_of` id) under `dest` (the blobs read through
    `scratch`, a folder of the caller's); name -> where its lines were (`added`)."""
    if not units:
        return {}
    sides = {}
    for i, unit in enumerate(units.values()):
        branch, base = blobs_of(unit)
        sides[f"{i}/branch"], sides[f"{i}/base"] = branch, base
    raw = Path(tempfile.mkdtemp(prefix="line-delta-", dir=scratch))
    maps = {}
    try:
        git.export_blobs(repo, sides, raw)
        for i, name in enumerate(units):
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            text, where = added((raw / str(i) / "branch").read_bytes(),
                                (raw / str(i) / "base").read_bytes())
            target.write_bytes(text)
            if where is not None:
                maps[name] = where
    finally:
        shutil.rmtree(raw, ignore_errors=True)
    return maps


def place(finding: Finding, where: Lines) -> None:
    """Move a finding on a written unit to its line in the branch's file."""
    for attr in ("line", "end_line"):
        n = getattr(finding, attr)
        if n:
            setattr(finding, attr, where[n - 1] if 0 < n <= len(where) else None)
