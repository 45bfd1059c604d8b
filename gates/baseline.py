"""Finding fingerprints, and the split of findings into new and existing.

A fingerprint survives line shifts: it hashes the rule, the path, the finding's
source line with white space folded, and the occurrence index of that same
(rule, path, line text) in the file. A finding is *new* when the base tree has
no finding with its fingerprint.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from gates.model import Finding


def _line_text(root: Path, path: str | None, line: int | None, cache: dict[str, list[str]]) -> str:
    if path is None or not line:
        return ""
    if path not in cache:
        f = root / path
        try:
            # never follow a link out of the tree
            if f.is_symlink() or not f.resolve().is_relative_to(root.resolve()):
                cache[path] = []
            else:
                cache[path] = f.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    return folded(lines[line - 1]) if 0 < line <= len(lines) else ""


def folded(text: str) -> str:
    """A source line as a fingerprint holds it: white space folded."""
    return " ".join(text.split())


def fingerprint(findings: Iterable[Finding], root: Path) -> list[Finding]:
    """Set `fingerprint` on each finding (those that already have one keep it)."""
    cache: dict[str, list[str]] = {}
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for f in sorted(findings, key=lambda f: (f.path or "", f.line or 0, f.rule)):
        if not f.fingerprint:
            text = _line_text(root, f.path, f.line, cache)
            key = (f.rule, f.path or "", text or f.message)
            seen[key] += 1
            raw = "\0".join((*key, str(seen[key])))
            f.fingerprint = hashlib.sha256(raw.encode()).hexdigest()[:20]
        out.append(f)
    return out


def mark_new(branch: list[Finding], base: Iterable[Finding]) -> list[Finding]:
    """Set `new` on each branch finding: its fingerprint is not among the base's."""
    known = {f.fingerprint for f in base}
    for f in branch:
        f.new = f.fingerprint not in known
    return branch
