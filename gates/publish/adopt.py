"""Adoption: the first time gates writes into a coordination file people already keep.

A cluster's CLUSTER_ISSUES.md has its own sections (`### 🚨 Critical Issues (Block
Development)`, `## Historical Issues Log`), its own placeholders (`*None currently
reported*`) and its own headline status lines (`**Overall Status**: ✅ …`). Adoption
places each gates block inside the section that means the same, found by meaning at
any heading level and with any suffix (a block's `meaning`, a regular expression
matched against heading text), and takes into gates blocks:

- the section's placeholder line, which becomes the block (so the section no longer
  says "none" above gates' issues);
- every headline status line (`headline.LINE`), which becomes a small block of its
  own saying what gates knows.

Nothing else changes: a block goes in right after its heading line, an adopted line
is replaced by its block, every other byte stays where it was. After adoption the
file has gates markers, so it is never adopted again: gates writes only its blocks.
A block whose section cannot be found is not placed here; `blocks.apply` then puts
it at the end under its own heading, as for any file, and `told` says so.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gates.publish import headline
from gates.publish.blocks import MARK, Adopter, Block, begin, end, newline

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# a template's "nothing here yet" line: emphasised (`*None currently reported*`,
# `_No issues yet - cluster just initialized_`) or a bare `None`/`N/A`/`TBD`
_PLACEHOLDER = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:(\*{1,2}|_{1,2})[ \t]*(?:none|no|nothing|n/a|tbd)\b[^\r\n]{0,120}?\1"
    r"|(?:none|n/a|tbd|nothing yet)\.?)[ \t]*\r?\n?$", re.IGNORECASE)


@dataclass
class Adoption:
    text: str
    placed: dict[str, str] = field(default_factory=dict)  # block name -> heading text
    taken: dict[str, str] = field(default_factory=dict)  # block name -> line taken in
    unmatched: list[Block] = field(default_factory=list)


def _lines(text: str) -> list[str]:
    """Lines with their endings (split at "\\n" only: every byte is kept)."""
    return re.split(r"(?<=\n)", text) if text else []


def _headings(lines: Sequence[str]) -> list[tuple[int, str]]:
    """(line index, heading text) of every ATX heading outside fenced code; the title
    (a first heading of level 1 with every other heading below it) is not a section."""
    out: list[tuple[int, int, str]] = []
    fence: str | None = None
    for i, line in enumerate(lines):
        f = _FENCE.match(line)
        if fence is not None:
            if f and f.group(1)[0] == fence[0] and len(f.group(1)) >= len(fence):
                fence = None
            continue
        if f:
            fence = f.group(1)
            continue
        m = _HEADING.match(line.rstrip("\r\n"))
        if m:
            out.append((i, len(m.group(1)), m.group(2)))
    if out and out[0][1] == 1 and all(level > 1 for _, level, _ in out[1:]):
        out = out[1:]  # the document's title (when every section is below it)
    return [(i, t) for i, _, t in out]


def _fenced(lines: Sequence[str]) -> set[int]:
    inside: set[int] = set()
    fence: str | None = None
    for i, line in enumerate(lines):
        f = _FENCE.match(line)
        if fence is not None:
            inside.add(i)
            if f and f.group(1)[0] == fence[0] and len(f.group(1)) >= len(fence):
                fence = None
        elif f:
            fence = f.group(1)
            inside.add(i)
    return inside


def adopt(text: str, slots: Sequence[Block]) -> Adoption:
    """`text` with (empty) gates blocks placed in its own sections and its placeholder
    and headline status lines taken into gates blocks. Only for a file with no gates
    markers (`needed`)."""
    nl = newline(text) if text else "\n"
    lines = _lines(text)
    heads = _headings(lines)
    fenced = _fenced(lines)
    result = Adoption(text)
    after: dict[int, list[str]] = {}  # heading line -> blocks right after it
    wrap: dict[int, str] = {}  # line -> the block it becomes
    claimed: set[int] = set()
    for slot in slots:
        if not slot.meaning:
            continue
        found = next(((k, i, t) for k, (i, t) in enumerate(heads)
                      if i not in claimed and re.search(slot.meaning, t, re.IGNORECASE)),
                     None)
        if found is None:
            result.unmatched.append(slot)
            continue
        k, i, title = found
        claimed.add(i)
        result.placed[slot.name] = title
        stop = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        spot = next((j for j in range(i + 1, stop)
                     if j not in fenced and j not in wrap and _PLACEHOLDER.match(lines[j])), None)
        if spot is None:
            after.setdefault(i, []).append(slot.name)
        else:
            wrap[spot] = slot.name
            result.taken[slot.name] = lines[spot].rstrip("\r\n")
    used: set[str] = set()
    for j, line in enumerate(lines):
        if j in fenced or j in wrap:
            continue
        name = headline.block_name(line, used)
        if name:
            used.add(name)
            wrap[j] = name
            result.taken[name] = line.rstrip("\r\n")
    out: list[str] = []
    for j, line in enumerate(lines):
        if j in wrap:
            ending = line[len(line.rstrip("\r\n")):]
            out.append(f"{begin(wrap[j])}{nl}{line.rstrip(chr(13) + chr(10))}{nl}{end(wrap[j])}"
                       f"{ending}")
            continue
        out.append(line)
        if j in after:
            if not line.endswith("\n"):
                out.append(nl)
            out += [f"{begin(name)}{nl}{end(name)}{nl}" for name in after[j]]
    result.text = "".join(out)
    return result


def adopter(slots: Sequence[Block]) -> Adopter:
    """For `blocks.update_file`: adopt a file that has no gates blocks yet."""
    def run(text: str) -> tuple[str, Callable[[str, str, str], list[str]]] | None:
        if not needed(text):
            return None
        a = adopt(text, slots)
        return a.text, lambda name, before, after: told(name, before, after, a)
    return run


def needed(text: str) -> bool:
    """A file with no gates markers at all has not been adopted yet."""
    return MARK.search(text) is None


_BODY = re.compile(r"(<!-- gates:begin ([A-Za-z0-9_.-]+) -->\r?\n)(.*?)(\r?\n<!-- gates:end \2 -->)",
                   re.DOTALL)


def _shown(text: str) -> str:
    """`text` with each long block body folded into one line (for the diff)."""
    def fold(m: re.Match[str]) -> str:
        body = m.group(3)
        n = body.count("\n") + 1
        return m.group(1) + (body if n <= 3 else f"… {n} lines written by gates …") + m.group(4)
    return _BODY.sub(fold, text)


def told(name: str, before: str, after: str, adoption: Adoption) -> list[str]:
    """What adoption did, for the person who runs it: one line, the unmatched sections
    (one line), and the diff of the file (long block bodies folded)."""
    placed = ", ".join(f"{b} → {t!r}" for b, t in adoption.placed.items())
    out = [f"{name}: adopted (it had no gates blocks): " + (placed or "no section matched")
           + (f"; {len(adoption.taken)} line(s) taken into gates blocks" if adoption.taken
              else "")]
    if adoption.unmatched:
        out.append(f"{name}: no section of its own for "
                   + ", ".join(f"{b.name} (wanted a heading like {b.heading!r})"
                               for b in adoption.unmatched)
                   + ": those blocks go at the end of the file")
    diff = difflib.unified_diff(_shown(before).splitlines(), _shown(after).splitlines(),
                                f"{name} (before)", f"{name} (adopted by gates)", n=1,
                                lineterm="")
    out.append("\n".join(diff))
    return out
