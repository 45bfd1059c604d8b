"""gates.clock: the one stamp gates writes, and the one form people read it in."""

from __future__ import annotations

import datetime as dt

from gates import clock
from gates.publish import md


def test_now_iso_is_utc_to_the_second() -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = clock.now_iso()
    after = dt.datetime.now(dt.UTC)
    assert len(stamp) == len("2026-11-25T10:00:00Z") and stamp.endswith("Z")
    assert before <= dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) <= after


def test_when_shows_a_stamp_in_utc_to_the_minute() -> None:
    assert clock.when("2026-11-25T10:00:00Z") == "2026-11-25 10:00 UTC"
    assert clock.when("2026-11-25T10:00:59Z") == "2026-11-25 10:00 UTC"
    assert clock.when("2026-11-25T21:30:00+11:00") == "2026-11-25 10:30 UTC"
    stamp = clock.now_iso()
    assert clock.when(stamp) == f"{stamp[:10]} {stamp[11:16]} UTC"


def test_when_shows_what_is_not_a_time_through_bad() -> None:
    assert clock.when("soon_ish") == "soon_ish"
    assert clock.when("") == ""
    assert clock.when("soon_ish", bad=str.upper) == "SOON_ISH"


def test_markdown_when_escapes_what_is_not_a_time() -> None:
    assert md.when("2026-11-25T10:00:00Z") == "2026-11-25 10:00 UTC"
    assert md.when("<b>soon_ish</b>") == r"\<b\>soon\_ish\</b\>"
