"""The blocks `gates` owns inside files that people also edit.

`gates` writes only between `<!-- gates:begin NAME -->` and `<!-- gates:end NAME -->`
and keeps every other byte as it was (undecodable bytes included, CRLF kept).
Damaged markers are repaired without deleting text: a `begin` with no `end`
becomes the block, closed right there (the text that followed stays after it,
untouched); a duplicated block or a stray `end` loses its markers, not its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gates.filelock import atomic_write, locked
from gates.store import lock_for

MARK = re.compile(r"<!-- gates:(begin|end) ([A-Za-z0-9_.-]+) -->")


def begin(name: str) -> str:
    return f"<!-- gates:begin {name} -->"


def end(name: str) -> str:
    return f"<!-- gates:end {name} -->"


# what adopts a file with no gates blocks: None when there is nothing to adopt, else
# (the text with the blocks placed, what to tell given (file name, before, after))
Adopter = Callable[[str], tuple[str, Callable[[str, str, str], list[str]]] | None]


@dataclass
class Block:
    name: str
    body: str  # Markdown, "\n" line endings
    anchor: str | None = None  # regex of the line after which a missing block goes
    heading: str | None = None  # heading written before a missing block at the end
    # regex of the text of the heading (any level, any suffix) whose section holds the
    # block: "critical|🚨" finds `### 🚨 Critical Issues (Block Development)`
    meaning: str | None = None


def newline(text: str) -> str:
    return "\r\n" if text.count("\r\n") > text.count("\n") / 2 and "\r\n" in text else "\n"


def _spans(text: str, name: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Well-formed (start, end) spans of block `name`, after repairing damage."""
    warnings: list[str] = []
    spans: list[tuple[int, int]] = []
    open_at: int | None = None
    for m in MARK.finditer(text):
        if m.group(2) != name:
            continue
        if m.group(1) == "begin":
            if open_at is not None:
                warnings.append(f"block {name!r}: 'begin' without 'end' (repaired)")
                spans.append((open_at, -1))
            open_at = m.start()
        elif open_at is None:
            warnings.append(f"block {name!r}: 'end' without 'begin' (marker removed)")
            spans.append((-1, m.end()))
        else:
            spans.append((open_at, m.end()))
            open_at = None
    if open_at is not None:
        warnings.append(f"block {name!r}: 'begin' without 'end' (repaired)")
        spans.append((open_at, -1))
    return spans, warnings


def names(text: str) -> list[str]:
    """The names of the blocks `text` holds, in order, each once."""
    return list(dict.fromkeys(m.group(2) for m in MARK.finditer(text) if m.group(1) == "begin"))


_INSIDE = re.compile(r"<!-- gates:begin ([A-Za-z0-9_.-]+) -->.*?<!-- gates:end \1 -->", re.DOTALL)


def section_level(text: str, name: str) -> int | None:
    """The level of the heading whose section holds block `name` (the last heading
    before it outside every block), or None."""
    at = text.find(begin(name))
    if at < 0:
        return None
    found = re.findall(r"^ {0,3}(#{1,6})[ \t]", _INSIDE.sub("", text[:at]), flags=re.MULTILINE)
    return len(found[-1]) if found else None


def read(text: str, name: str) -> str | None:
    """The body of the first well-formed block `name`, or None."""
    spans, _ = _spans(text, name)
    for s, e in spans:
        if s >= 0 and e >= 0:
            inner = text[s + len(begin(name)):e - len(end(name))]
            return inner.replace("\r\n", "\n").strip("\n")
    return None


def apply(text: str, block: Block) -> tuple[str, list[str]]:
    """`text` with `block` written in; returns (new text, warnings about damage)."""
    nl = newline(text) if text else "\n"
    body = block.body.strip("\n").replace("\n", nl)
    fresh = f"{begin(block.name)}{nl}{body}{nl}{end(block.name)}"
    spans, warnings = _spans(text, block.name)
    good = [(s, e) for s, e in spans if s >= 0 and e >= 0]
    if len(good) > 1:
        warnings.append(f"block {block.name!r} appears {len(good)} times (extra markers removed)")
    # Work from the end so earlier offsets stay valid.
    placed = False
    orphans = [(s, e) for s, e in spans if e < 0]
    chosen = good[0] if good else (orphans[0] if orphans else None)
    for s, e in sorted(spans, key=lambda p: max(p), reverse=True):
        if (s, e) == chosen:
            stop = e if e >= 0 else s + len(begin(block.name))
            text = text[:s] + fresh + text[stop:]
            placed = True
        elif s >= 0 and e >= 0:  # a duplicate: drop its markers, keep its text
            inner = text[s + len(begin(block.name)):e - len(end(block.name))]
            text = text[:s] + inner + text[e:]
        elif s >= 0:  # begin without end: drop the marker, keep what follows
            text = text[:s] + text[s + len(begin(block.name)):]
        else:  # end without begin
            text = text[:e - len(end(block.name))] + text[e:]
    if not placed:
        text = _insert(text, fresh, block, nl)
    return text, warnings


def _heading_line(text: str, meaning: str) -> int | None:
    """Where the line after the first heading whose text matches `meaning` starts."""
    for m in re.finditer(r"^ {0,3}#{1,6}[ \t]+(.*)$", text, flags=re.MULTILINE):
        if re.search(meaning, m.group(1), re.IGNORECASE):
            eol = text.find("\n", m.end())
            return len(text) if eol < 0 else eol + 1
    return None


def _insert(text: str, fresh: str, block: Block, nl: str) -> str:
    at = _heading_line(text, block.meaning) if block.meaning else None
    if at is not None:  # right after its section's heading, as adoption places it
        prefix = "" if text[:at].endswith("\n") else nl
        return text[:at] + prefix + fresh + nl + text[at:]
    if block.anchor:
        m = re.search(block.anchor, text, flags=re.MULTILINE)
        if m:
            eol = text.find("\n", m.end())
            at = len(text) if eol < 0 else eol + 1
            prefix = "" if text[:at].endswith("\n") else nl
            return text[:at] + prefix + nl + fresh + nl + text[at:]
    sep = "" if not text or text.endswith("\n") else nl
    heading = f"{nl}{block.heading}{nl}{nl}" if block.heading else nl
    return text + sep + heading + fresh + nl


def update_file(
    path: Path,
    blocks: Sequence[Block] | Callable[[str], Sequence[Block]],
    template: str = "",
    *,
    adopt: Adopter | None = None,
    told: list[str] | None = None,
) -> list[str]:
    """Write `blocks` into `path` under a lock, atomically; create it from `template`.

    `blocks` may be a function of the file's current text (for blocks that carry
    state, read and rewritten under the same lock). `adopt` (see
    `gates.publish.adopt.adopter`) first places the blocks in a file that has none
    yet; what it did to a file that existed is appended to `told`. Returns warnings
    about damaged markers that were repaired, each naming the file."""
    with locked(lock_for(path)):
        existed = path.exists()
        text = (path.read_bytes().decode("utf-8", errors="surrogateescape") if existed
                else template)
        old = text
        adopted = adopt(text) if adopt else None
        if adopted:
            text = adopted[0]
        warnings: list[str] = []
        for b in blocks(text) if callable(blocks) else blocks:
            text, w = apply(text, b)
            warnings += [f"{path.name}: {x}" for x in w]
        if text != old or not existed:
            atomic_write(path, text.encode("utf-8", errors="surrogateescape"))
        if adopted and existed and told is not None:
            told += adopted[1](path.name, old, text)
    return warnings
