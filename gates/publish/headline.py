"""The status lines people read first (`**Overall Status**`, `**Cluster Health**`,
`**Coordination Health**`, `**Last Updated**`): adopted into small gates blocks
(`line-…`) that say what gates knows, e.g. "🔴 2 branches blocked by 5 problems",
so a page never says "healthy" above the issues that block it.

A block keeps the label as the file wrote it (`**Overall Status**:`, `- **Cluster
Health:**`); only what follows the label is gates'."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gates.publish.blocks import Block, names, read
from gates.publish.md import when

LINE = re.compile(
    r"^(?P<label>[ \t]*(?:[-*+][ \t]+)?\*\*[ \t]*(?P<name>Overall Status|Cluster Health|"
    r"Coordination Health|Last Updated)[ \t]*(?::[ \t]*\*\*|\*\*[ \t]*:))", re.IGNORECASE)
PREFIX = "line-"


def block_name(line: str, used: Iterable[str]) -> str | None:
    """The block a headline status line becomes (`line-overall-status`, a second one
    `line-overall-status-2`), or None for any other line."""
    m = LINE.match(line)
    if not m:
        return None
    base = PREFIX + "-".join(m.group("name").lower().split())
    taken = set(used)
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def phrase(blocked: int, problems: int, judged: int) -> str:
    """What gates knows, in the words of a status line."""
    if blocked:
        s = f"🔴 {blocked} branch{'es' if blocked != 1 else ''} blocked"
        if problems:
            s += f" by {problems} problem{'s' if problems != 1 else ''}"
        return s + " (gates)"
    if judged:
        return f"✅ {judged} branch{'es' if judged != 1 else ''} judged by gates, none blocked"
    return "⏳ no branch judged by gates yet"


def render(text: str, state: str, now: str) -> list[Block]:
    """The headline blocks `text` holds, each with its own label and gates' words:
    the time of this write for `Last Updated`, `state` (see `phrase`) for the rest."""
    out = []
    for name in names(text):
        if not name.startswith(PREFIX):
            continue
        m = LINE.match(read(text, name) or "")
        label = m.group("label") if m else f"**{name[len(PREFIX):].replace('-', ' ').title()}**:"
        updated = (m.group("name") if m else name).lower().replace("-", " ").endswith(
            "last updated")
        out.append(Block(name, f"{label} {when(now) + ' (by gates)' if updated else state}"))
    return out
