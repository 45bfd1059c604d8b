"""Time as gates writes and shows it: UTC, to the second.

`now_iso()` is the stamp every record carries ('2026-11-25T10:00:00Z': run
starts, verdict notes, overrides, the dashboard's footer); `when()` turns such a
stamp into the form people read ('2026-11-25 10:00 UTC'). A leaf: it imports
nothing of gates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable


def now_iso() -> str:
    """Now, in UTC, to the second: '2026-11-25T10:00:00Z'."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def when(iso: str, bad: Callable[[str], str] = str) -> str:
    """'2026-11-25T10:00:00Z' -> '2026-11-25 10:00 UTC' (any offset is shown in UTC).
    A value that is not an ISO time is shown as `bad(value)` (a publisher escapes it)."""
    try:
        t = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return bad(iso)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
