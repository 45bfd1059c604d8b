"""One problem, however many lines it is found on: the same gate, rule and message in one
file (or on one operation of an app gate). AGENT_STATUS lists one item per problem,
CLUSTER_ISSUES.md one issue per problem, and the headline status lines count problems:
all of them group here, by the same key.

A problem's key names no line, so it stays the same while lines join or leave it
(a fourth float on line 41, or the fix of line 39)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

_LINE = re.compile(r":\d+(?::\d+)?$")


def place(location: str) -> str:
    """The file of `file:line` (the location itself when it names no line)."""
    return _LINE.sub("", location)


def key(gate: str, rule: str, where: str, message: str) -> str:
    """The key of a problem: `where` is its file or operation (see `place`)."""
    return hashlib.sha256(
        f"problem\0{gate}\0{rule}\0{place(where)}\0{message}".encode()).hexdigest()[:20]


def error_key(gate: str, branch: str) -> str:
    """The key of 'the gate could not run on this branch' (one problem per branch)."""
    return hashlib.sha256(f"gate-error\0{gate}\0{branch}".encode()).hexdigest()[:20]


def grouped(blocking: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Mapping[str, Any], list[str]]]:
    """Findings as index entries hold them (gate, rule, severity, location, message),
    one per problem: {key: (its first finding, every place in the given order)}."""
    out: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
    for f in blocking:
        k = key(f["gate"], f["rule"], f["location"], f["message"])
        places = out.setdefault(k, (f, []))[1]
        where = f["location"] or f["gate"]
        if where not in places:
            places.append(where)
    return out


def count(entries: Mapping[str, Mapping[str, Any]]) -> tuple[int, int]:
    """(branches blocked, problems blocking them) over index entries; a problem on two
    branches is one problem, a gate that could not run is one per branch."""
    keys: set[str] = set()
    blocked = 0
    for branch, e in entries.items():
        if e.get("passed"):
            continue
        blocked += 1
        keys |= set(grouped(e.get("blocking", [])))
        keys |= {error_key(x["gate"], branch) for x in e.get("errors", [])}
    return blocked, len(keys)
