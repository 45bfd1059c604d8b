"""A path as a tool prints it, made relative to the folder the tool ran in."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse


def relative(path: str, root: Path) -> str:
    """`path` (absolute, relative to `root`, or a `file:` URI) relative to `root`; a path
    outside `root` comes back as it is (the caller refuses findings it did not ask for)."""
    if path.startswith("file:"):
        path = unquote(urlparse(path).path)
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix().removeprefix("./")
    for base in (root, root.resolve()):
        try:
            return p.relative_to(base).as_posix()
        except ValueError:
            continue
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return p.as_posix()


def tail(text: str, lines: int = 5) -> str:
    """The last non-empty `lines` of `text`, for an error message (without the frames of
    a JavaScript stack trace, which say where, not what)."""
    kept = [line.rstrip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("at ")]
    return " | ".join(kept[-lines:])[-600:]
