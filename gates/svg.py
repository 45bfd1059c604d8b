"""Every SVG chart of gates, drawn in Python: pure functions from data to an SVG string.

- for the site's pages (inline SVG, no namespace or external reference needed, sized by
  its viewBox so it scales with the page): line, grouped bars, sparkline, verdict strip.
  Every chart has role="img", an aria-label and a <title>; series differ by marker shape
  as well as colour, and every point carries its value in a <title> (a tooltip). The
  site puts a table of the same numbers next to each chart.
- for the perf gate's artifact (a standalone file, perf/latency.svg): `latency_svg`, the
  latency distributions of base and branch, one panel per endpoint.

A leaf module: it imports nothing of gates. All text is escaped here (`_e`), the only
HTML escaping outside the site's Jinja2 autoescape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
VERDICT_COLOUR = {"pass": "#1a7f37", "blocked": "#cf222e", "error": "#8250df"}
FONT = 'font-family="system-ui, sans-serif"'


@dataclass
class Series:
    name: str
    values: list[float | None]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def fmt(v: float, unit: str = "") -> str:
    if abs(v) >= 1000:
        s = f"{v:,.0f}"
    elif v == int(v):
        s = str(int(v))
    elif abs(v) >= 100:
        s = f"{v:.1f}".removesuffix(".0")
    else:
        s = f"{v:.3g}"
    return f"{s} {unit}".rstrip() if unit else s


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 5 × 10^n steps)."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks if len(ticks) > 1 else [start, start + step]


def _svg(width: int, height: int, label: str, body: list[str], cls: str) -> Markup:
    # safe in a page as it is: every text in it went through _e, the rest is numbers
    return Markup(f'<svg class="chart {cls}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{_e(label)}" {FONT} font-size="12" preserveAspectRatio="xMidYMid meet">'
            f"<title>{_e(label)}</title>" + "".join(body) + "</svg>")  # nosec B704


def _no_data(width: int, title: str) -> Markup:
    return _svg(width, 60, f"{title}: no data", [
        f'<text x="{width / 2}" y="34" text-anchor="middle" fill="currentColor">'
        f"{_e(title)}: no data yet</text>"], "empty")


def _marker(i: int, x: float, y: float, colour: str, tip: str) -> str:
    """Series 0: circle, 1: square, 2: triangle, 3: diamond …"""
    title = f"<title>{_e(tip)}</title>"
    shape = i % 4
    if shape == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{title}</circle>'
    if shape == 1:
        return (f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
                f'fill="{colour}">{title}</rect>')
    if shape == 2:
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
    else:
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
    return f'<polygon points="{pts}" fill="{colour}">{title}</polygon>'


def _legend(series: Sequence[Series], x0: float, y: float) -> list[str]:
    out, x = [], x0
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 22:.1f}" y2="{y:.1f}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(_marker(i, x + 11, y, colour, s.name))
        out.append(f'<text x="{x + 28:.1f}" y="{y + 4:.1f}" fill="currentColor">{_e(s.name)}</text>')
        x += 40 + 7 * len(s.name)
    return out


def _y_axis(ticks: list[float], y_of: object, left: float, right: float, unit: str,
            label: str, top: float, bottom: float) -> list[str]:
    out = []
    for t in ticks:
        y = y_of(t)  # type: ignore[operator]
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
                   f'stroke="currentColor" stroke-opacity="0.15"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'fill="currentColor">{_e(fmt(t))}</text>')
    mid = (top + bottom) / 2
    axis = f"{label} ({unit})" if unit else label
    out.append(f'<text x="14" y="{mid:.1f}" text-anchor="middle" fill="currentColor" '
               f'transform="rotate(-90 14 {mid:.1f})">{_e(axis)}</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" '
               f'stroke="currentColor" stroke-opacity="0.5"/>')
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" '
               f'stroke="currentColor" stroke-opacity="0.5"/>')
    return out


def _scale(values: list[float]) -> tuple[list[float], float, float]:
    lo = min([0.0, *values])
    hi = max([*values, lo + 1e-9])
    ticks = nice_ticks(lo, hi)
    return ticks, ticks[0], ticks[-1]


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[Series], *,
               y_label: str, unit: str = "", x_label: str = "") -> Markup:
    """Lines over x_labels (commits, runs); None leaves a gap."""
    width, height = 560, 280
    left, right, top, bottom = 62.0, width - 16.0, 40.0, height - 62.0
    n = len(x_labels)
    values = [v for s in series for v in s.values if v is not None]
    if not values or n == 0:
        return _no_data(width, title)
    ticks, lo, hi = _scale(values)

    def y_of(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    def x_of(i: int) -> float:
        return (left + right) / 2 if n == 1 else left + 12 + i * (right - left - 24) / (n - 1)

    body = _y_axis(ticks, y_of, left, right, unit, y_label, top, bottom)
    every = max(1, math.ceil(n / 12))
    for i, lab in enumerate(x_labels):
        if i % every and i != n - 1:
            continue
        x = x_of(i)
        body.append(f'<text x="{x:.1f}" y="{bottom + 14:.1f}" text-anchor="end" '
                    f'fill="currentColor" transform="rotate(-30 {x:.1f} {bottom + 14:.1f})">'
                    f"{_e(lab)}</text>")
    if x_label:
        body.append(f'<text x="{(left + right) / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                    f'fill="currentColor">{_e(x_label)}</text>')
    for si, s in enumerate(series):
        colour = PALETTE[si % len(PALETTE)]
        run: list[str] = []
        segments: list[list[str]] = [run]
        for i, v in enumerate(s.values[:n]):
            if v is None:
                run = []
                segments.append(run)
                continue
            run.append(f"{x_of(i):.1f},{y_of(v):.1f}")
        for seg in segments:
            if len(seg) > 1:
                body.append(f'<polyline points="{" ".join(seg)}" fill="none" '
                            f'stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(s.values[:n]):
            if v is not None:
                body.append(_marker(si, x_of(i), y_of(v), colour,
                                    f"{s.name} · {x_labels[i]}: {fmt(v, unit)}"))
    body += _legend(series, left, 18)
    return _svg(width, height, title, body, "line")


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], *,
              y_label: str, unit: str = "") -> Markup:
    """Grouped bars: one group per category, one bar per series."""
    width, height = 560, 280
    left, right, top, bottom = 62.0, width - 16.0, 40.0, height - 40.0
    values = [v for s in series for v in s.values if v is not None]
    if not values or not categories:
        return _no_data(width, title)
    ticks, lo, hi = _scale(values)

    def y_of(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    body = _y_axis(ticks, y_of, left, right, unit, y_label, top, bottom)
    group = (right - left) / len(categories)
    bar = min(40.0, group * 0.8 / max(len(series), 1))
    for ci, cat in enumerate(categories):
        gx = left + ci * group + (group - bar * len(series)) / 2
        for si, s in enumerate(series):
            v = s.values[ci] if ci < len(s.values) else None
            if v is None:
                continue
            colour = PALETTE[si % len(PALETTE)]
            y0, y1 = y_of(max(v, lo)), y_of(lo if v >= 0 else v)
            x = gx + si * bar
            pattern = ' stroke="currentColor" stroke-dasharray="3 2"' if si % 2 else ""
            body.append(f'<rect x="{x:.1f}" y="{min(y0, y1):.1f}" width="{bar - 2:.1f}" '
                        f'height="{max(abs(y1 - y0), 1):.1f}" fill="{colour}"{pattern}>'
                        f"<title>{_e(f'{s.name} · {cat}: {fmt(v, unit)}')}</title></rect>")
            if len(categories) * len(series) <= 16:
                body.append(f'<text x="{x + bar / 2 - 1:.1f}" y="{min(y0, y1) - 4:.1f}" '
                            f'text-anchor="middle" font-size="10" fill="currentColor">'
                            f"{_e(fmt(v))}</text>")
        body.append(f'<text x="{left + ci * group + group / 2:.1f}" y="{bottom + 16:.1f}" '
                    f'text-anchor="middle" fill="currentColor">{_e(cat)}</text>')
    body += _legend(series, left, 18)
    return _svg(width, height, title, body, "bars")


def sparkline(title: str, values: Sequence[float | None], unit: str = "") -> Markup:
    """A small trend line; the label says first → last."""
    width, height, pad = 120, 32, 4.0
    nums = [(i, v) for i, v in enumerate(values) if v is not None]
    if not nums:
        return _svg(width, height, f"{title}: no data", [
            f'<text x="{width / 2}" y="20" text-anchor="middle" fill="currentColor" '
            f'font-size="11">no data</text>'], "spark")
    lo, hi = min(v for _, v in nums), max(v for _, v in nums)
    span = (hi - lo) or 1.0
    n = len(values)

    def pt(i: int, v: float) -> str:
        x = pad if n == 1 else pad + i * (width - 2 * pad) / (n - 1)
        y = height - pad - (v - lo) / span * (height - 2 * pad) if hi > lo else height / 2
        return f"{x:.1f},{y:.1f}"

    first, last = nums[0][1], nums[-1][1]
    label = f"{title}: {fmt(first, unit)} → {fmt(last, unit)} over {len(nums)} run(s)"
    body = []
    points = " ".join(pt(i, v) for i, v in nums)
    if len(nums) > 1:
        body.append(f'<polyline points="{points}" fill="none" stroke="{PALETTE[0]}" '
                    f'stroke-width="1.5"/>')
    x, y = pt(*nums[-1]).split(",")
    body.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{PALETTE[1]}">'
                f"<title>{_e(fmt(last, unit))}</title></circle>")
    return _svg(width, height, label, body, "spark")


def verdict_strip(title: str, items: Sequence[tuple[str, str]], limit: int = 40) -> Markup:
    """One square per run, oldest first: ✓ on green for pass, ✗ on red for blocked."""
    items = list(items)[-limit:]
    size, gap = 16, 4
    width = max(len(items), 1) * (size + gap)
    height = size + 4
    body = []
    for i, (label, verdict) in enumerate(items):
        x = i * (size + gap) + 2
        colour = VERDICT_COLOUR.get(verdict, "#6e7781")
        mark = f"M{x + 4} 10l3 3l6 -6" if verdict == "pass" else f"M{x + 4} 5l8 8M{x + 12} 5l-8 8"
        body.append(f'<g><title>{_e(f"{label}: {verdict}")}</title>'
                    f'<rect x="{x}" y="1" width="{size}" height="{size}" rx="3" '
                    f'fill="{colour}"/><path d="{mark}" stroke="#fff" stroke-width="2" '
                    f'fill="none"/></g>')
    passed = sum(1 for _, v in items if v == "pass")
    label = f"{title}: {passed} of {len(items)} run(s) passed"
    return _svg(width, height, label, body, "strip")


# -- the perf gate's latency distributions (a standalone file) ----------------------
# One panel per endpoint (overall first): the cumulative distribution of response
# times (x: milliseconds, log scale; y: share of requests at most that slow), base
# solid blue, branch dashed orange, with the p50 and p95 guides.

BASE_COLOUR, BRANCH_COLOUR = PALETTE[0], PALETTE[1]
WIDTH, PANEL_H, TOP, LEFT, RIGHT, BOTTOM = 720, 190, 34, 56, 16, 34


@dataclass
class Panel:
    title: str  # "GET /api/tools?q= — p95 ×2.4"
    base: list[tuple[float, float]]  # (ms, cumulative share)
    branch: list[tuple[float, float]]
    flagged: bool = False


def _log_ticks(lo: float, hi: float) -> list[float]:
    out = []
    for exp in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** exp
            if lo <= v <= hi:
                out.append(v)
    return out or [lo, hi]


def _ms_label(v: float) -> str:
    return f"{v:g}" if v >= 1 else f"{v:.2g}"


def _panel(p: Panel, y0: float) -> list[str]:
    pts = [x for x, _ in p.base + p.branch if x > 0]
    if not pts:
        return [f'<text x="{LEFT}" y="{y0 + 20}" {FONT} font-size="12">{_e(p.title)}: '
                "no successful requests</text>"]
    # the x range ends a little after the slower p99: a few outliers do not squash the rest
    p99s = [next((x for x, share in series if share >= 0.99), series[-1][0])
            for series in (p.base, p.branch) if series]
    lo, hi = max(min(pts), 0.01) * 0.9, max(p99s) * 1.25
    lo = min(lo, hi / 10)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, PANEL_H - TOP - BOTTOM

    def x_of(v: float) -> float:
        return LEFT + (math.log10(min(max(v, lo), hi)) - math.log10(lo)) / (
            math.log10(hi) - math.log10(lo)) * plot_w

    def y_of(share: float) -> float:
        return y0 + TOP + (1 - share) * plot_h

    colour = "#cf222e" if p.flagged else "#24292f"
    out = [f'<text x="{LEFT}" y="{y0 + 20}" {FONT} font-size="13" font-weight="600" '
           f'fill="{colour}">{_e(p.title)}</text>']
    for share, name in ((0.5, "p50"), (0.95, "p95")):
        y = y_of(share)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   'stroke="#d0d7de" stroke-dasharray="2 3"/>')
        out.append(f'<text x="{WIDTH - RIGHT}" y="{y - 3:.1f}" {FONT} font-size="10" '
                   f'text-anchor="end" fill="#57606a">{name}</text>')
    for share in (0.0, 1.0):
        out.append(f'<text x="{LEFT - 6}" y="{y_of(share) + 4:.1f}" {FONT} font-size="10" '
                   f'text-anchor="end" fill="#57606a">{share:.0%}</text>')
    base_y = y0 + TOP + plot_h
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base_y}" y2="{base_y}" '
               'stroke="#8c959f"/>')
    for t in _log_ticks(lo, hi):
        x = x_of(t)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base_y}" y2="{base_y + 4}" '
                   'stroke="#8c959f"/>')
        out.append(f'<text x="{x:.1f}" y="{base_y + 16}" {FONT} font-size="10" '
                   f'text-anchor="middle" fill="#57606a">{_ms_label(t)}</text>')
    out.append(f'<text x="{WIDTH - RIGHT}" y="{base_y + 28}" {FONT} font-size="10" '
               'text-anchor="end" fill="#57606a">response time, ms (log scale)</text>')
    for series, col, dash, name in ((p.base, BASE_COLOUR, "", "base"),
                                    (p.branch, BRANCH_COLOUR, ' stroke-dasharray="6 3"',
                                     "branch")):
        if not series:
            continue
        d = " ".join(f"{'M' if i == 0 else 'L'}{x_of(x):.1f},{y_of(s):.1f}"
                     for i, (x, s) in enumerate(series))
        out.append(f'<path d="{d}" fill="none" stroke="{col}" stroke-width="2"{dash}>'
                   f"<title>{name}</title></path>")
    return out


def latency_svg(panels: Sequence[Panel], title: str = "Response times: base vs branch") -> str:
    height = 40 + PANEL_H * len(panels)
    body = [f'<text x="{LEFT}" y="22" {FONT} font-size="15" font-weight="700">{_e(title)}'
            "</text>"]
    lx = WIDTH - RIGHT - 190
    for i, (name, col, dash) in enumerate((("base", BASE_COLOUR, ""),
                                           ("branch", BRANCH_COLOUR, ' stroke-dasharray="6 3"'))):
        x = lx + i * 95
        body.append(f'<line x1="{x}" x2="{x + 26}" y1="17" y2="17" stroke="{col}" '
                    f'stroke-width="2"{dash}/>')
        body.append(f'<text x="{x + 32}" y="21" {FONT} font-size="12">{name}</text>')
    for i, p in enumerate(panels):
        body += _panel(p, 30 + i * PANEL_H)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{_e(title)}">'
            f"<title>{_e(title)}</title>"
            f'<rect width="100%" height="100%" fill="#ffffff"/>'
            + "".join(body) + "</svg>\n")
