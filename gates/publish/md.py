"""Markdown helpers: text from branches and tools is data, never markup."""

from __future__ import annotations

import re

from gates import clock

_SPECIAL = re.compile(r"([\\`*_\[\]|<>])")


def _plain(s: str) -> str:
    return _SPECIAL.sub(r"\\\1", s)


def esc(text: object) -> str:
    """Text from a tool or a branch, safe in a paragraph or a table cell: no HTML,
    no links, no emphasis. Paired backticks stay code spans (tools write `name`)."""
    s = " ".join(str(text).split())
    parts = s.split("`")
    if len(parts) % 2 == 0:  # unpaired: escape every backtick
        out = _plain(s)
    else:
        out = "".join(_plain(p) if i % 2 == 0 else code(p) for i, p in enumerate(parts))
    return "\\" + out if out[:1] in ("#", "+", "-", "!", "=") else out


def code(text: object) -> str:
    """Inline code that no backtick in `text` can close early; safe in a table cell."""
    s = " ".join(str(text).split()).replace("|", "¦")
    s = s.replace("<", "‹").replace(">", "›") if "<!--" in s or "-->" in s else s
    run = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (run + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def block(text: str, indent: str = "") -> list[str]:
    """A fenced block of verbatim lines (a log tail) no line of `text` can close early."""
    lines = text.splitlines()
    run = max((len(m) for line in lines for m in re.findall(r"^\s*(`{3,}|~{3,})", line)),
              default=2)
    fence = "`" * max(3, run + 1)
    return [f"{indent}{fence}text", *(f"{indent}{line}" for line in lines), f"{indent}{fence}"]


def when(iso: str) -> str:
    """'2026-11-25T10:00:00Z' -> '2026-11-25 10:00 UTC'; a value that is not a time is
    text from a file, escaped."""
    return clock.when(iso, bad=esc)


def seconds(s: float) -> str:
    return f"{s:.1f}s" if s < 60 else f"{int(s // 60)}m{int(s % 60):02d}s"
