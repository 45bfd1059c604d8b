"""A changed file as a line-by-line tool needs to read it first: what the base lacks.

Some tools judge each line of a file alone: detect-secrets on source code reads a
line, runs its plugins and filters on that line and the file's name, and nothing
else decides. For such a tool a finding on a line that the base's version of the
file also has (gates.baseline: a fingerprint is the rule, the path, the line's text
with white space folded, and the how-manieth of that text it is) cannot be new, so
where the lines the base lacks hold nothing, the file holds nothing new. A unit is
only that probe: gates.scan reads the whole file and its base wherever a unit finds
something, and reports those findings, never the unit's (whose line numbers are
the unit's own).

`added` keeps, of the branch's file, only its lines the base does not already have
(as many times as the base has a text, its first copies are left out: the last
copies are the new ones, as the fingerprint counts), after one filler line that no
plugin matches. The filler keeps the file from parsing as an INI file
(detect-secrets tries that on every file): a first line with no section header and
no `=` is an error.

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


def added(branch: bytes, base: bytes) -> bytes:
    """The filler, then the lines of `branch` that `base` lacks; `branch` itself when
    it is not text (the tool skips it, as it skips the original)."""
    lines = _lines(branch)
    if lines is None:
        return branch
    before = _lines(base)
    known = Counter(folded(x) for x in before or [])  # not text: the base had nothing
    seen: Counter[str] = Counter()
    out = [FILLER + "\n"]
    for line in lines:
        text = folded(line)
        seen[text] += 1
        if text and seen[text] > known[text]:
            out.append(line if line.endswith("\n") else line + "\n")
    return "".join(out).encode("utf-8")


def write(repo: Path, units: Mapping[str, str], dest: Path, scratch: Path) -> None:
    """Write each unit (name -> `id_of` id) under `dest` (the blobs read through
    `scratch`, a folder of the caller's)."""
    if not units:
        return
    sides = {}
    for i, unit in enumerate(units.values()):
        branch, base = blobs_of(unit)
        sides[f"{i}/branch"], sides[f"{i}/base"] = branch, base
    raw = Path(tempfile.mkdtemp(prefix="line-delta-", dir=scratch))
    try:
        git.export_blobs(repo, sides, raw)
        for i, name in enumerate(units):
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(added((raw / str(i) / "branch").read_bytes(),
                                     (raw / str(i) / "base").read_bytes()))
    finally:
        shutil.rmtree(raw, ignore_errors=True)
