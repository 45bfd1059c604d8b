"""A gate's sections (`gates.model.Section`) as Markdown: what summary.md shows under
the gate's name. Every piece of text is escaped here, with the helpers of `md`:
a gate hands over data, never markup."""

from __future__ import annotations

import re
from collections.abc import Sequence

from gates.model import (
    Bullets,
    Chart,
    Commands,
    Heading,
    Inline,
    Mark,
    Paragraph,
    Section,
    Table,
    Text,
)
from gates.publish.md import block, code, esc

MARK_EMOJI: dict[Mark, str] = {"good": "✅", "bad": "❌", "warn": "⚠️", "other": "◻️"}
# a link target this renderer writes: a path inside the run's report folder, no scheme
_SAFE_HREF = re.compile(r"[A-Za-z0-9._~%/#?&=+-]+")


def render(sections: Sequence[Section]) -> str:
    """The sections as Markdown blocks, a blank line between them ('' for none)."""
    return "\n\n".join(_block(s) for s in sections)


def inline(parts: Inline) -> str:
    """A run of Text on one line (a paragraph, a list item, a table cell)."""
    return "".join(text(t) for t in parts)


def text(t: Text) -> str:
    s = code(t.text) if t.code else _esc_keep_spaces(t.text)
    if t.strong:
        s = f"**{s}**"
    if t.href is not None:
        s = link(s, t.href, t.text)
    if t.mark is not None:
        s = f"{MARK_EMOJI[t.mark]} {s}" if s else MARK_EMOJI[t.mark]
    return s


def link(label: str, href: str, raw: str) -> str:
    """`[label](href)` for a path of this run; any other target (a scheme, another
    host) is shown as escaped text, never as a link."""
    target = href.replace(" ", "%20")
    if _SAFE_HREF.fullmatch(target) and not target.startswith("//"):
        return f"[{label}]({target})"
    return _esc_keep_spaces(f"[{raw}]({href})")


def _esc_keep_spaces(s: str) -> str:
    """`esc`, keeping one space where `s` starts or ends with blanks: runs of text
    join into one line ("GET /x" + " as " + "alice")."""
    core = s.strip()
    if not core:
        return " " if s else ""
    lead = " " if s[:1].isspace() else ""
    trail = " " if s[-1:].isspace() else ""
    return f"{lead}{esc(core)}{trail}"


def _block(s: Section) -> str:
    if isinstance(s, Heading):
        return f"### {esc(s.text)}"
    if isinstance(s, Paragraph):
        return inline(s.parts)
    if isinstance(s, Bullets):
        return "\n".join(f"- {inline(item)}" for item in s.items)
    if isinstance(s, Table):
        return "\n".join(_table(s))
    if isinstance(s, Chart):
        return "!" + link(esc(s.alt), s.artifact, s.alt)
    if isinstance(s, Commands):
        return "\n".join(block("\n".join(s.lines)))
    raise TypeError(f"not a section: {s!r}")


def _table(t: Table) -> list[str]:
    numeric = [*t.numeric, *[False] * (len(t.headers) - len(t.numeric))]
    head = "|" + "".join(f" {esc(h)} |" if esc(h) else " |" for h in t.headers)
    rule = "|" + "".join("---:|" if n else "---|" for n in numeric[:len(t.headers)])
    return [head, rule, *("|" + "".join(f" {inline(cell)} |" for cell in row)
                          for row in t.rows)]
