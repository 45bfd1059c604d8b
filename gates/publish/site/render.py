"""The site's Jinja2 environment: templates from this package, autoescape on, strict
undefined, and the few filters the templates share (glyphs, times, numbers).

Escaping is the default: every value a template prints is escaped by Jinja2 unless it
is `Markup`, which only the SVG charts of `gates.svg` (escaped there) and the
stylesheet are.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from gates import svg
from gates.publish.site.paths import anchor_id

HERE = Path(__file__).parent
# glyphs every system font has (DejaVu included): no emoji font needed; text
# presentation forced (U+FE0E) so that no platform swaps in a colour emoji
GLYPH = {"pass": "✔", "blocked": "✘", "fail": "✘", "error": "⚠", "skipped": "↷",
         "none": "—", "stale": "↻"}
# a section's status marks (model.Mark), as the same glyphs
MARK = {"good": "✔", "bad": "✘", "warn": "⚠", "other": "◻"}


def glyph(name: str) -> str:
    return GLYPH[name] + "\ufe0e"


def mark(name: str) -> str:
    return MARK.get(name, MARK["other"]) + "\ufe0e"


def utc(iso: object) -> str | None:
    """'2026-11-25 10:00 UTC' from an ISO time; None when it is not one."""
    try:
        t = dt.datetime.fromisoformat(str(iso or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") + " UTC"


def num(v: object, unit: str = "") -> str:
    """A measured number, short; a dash when there is none."""
    return svg.fmt(float(v), unit) if isinstance(v, int | float) and not isinstance(
        v, bool) else "—"


def backticks(s: object) -> list[tuple[bool, str]]:
    """A tool's message as (is code, text) parts: paired backticks mark code."""
    parts = str(s).split("`")
    if len(parts) % 2 == 0:
        return [(False, str(s))]
    return [(bool(i % 2), p) for i, p in enumerate(parts)]


def kind(section: object) -> str:
    """The name of a section's type, lower case: 'table', 'paragraph' …"""
    return type(section).__name__.lower()


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(glyph=glyph, mark=mark, utc=utc, num=num, backticks=backticks,
                       kind=kind, anchor=anchor_id)
    # our own stylesheet, shipped in the package: nothing in it comes from a run
    css = Markup((HERE / "assets" / "dashboard.css").read_text("utf-8"))  # nosec B704
    env.globals.update(GLYPH=GLYPH, css=css)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
