"""The perf gate's chart: latency distributions of base and branch, as a standalone SVG.

One panel per endpoint (overall first): the cumulative distribution of response
times (x: milliseconds, log scale; y: share of requests at most that slow), base
solid blue, branch dashed orange, with the p50 and p95 guides. Drawn in plain
Python; every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

BASE_COLOUR, BRANCH_COLOUR = "#0072b2", "#d55e00"  # Okabe-Ito: colour-blind safe
WIDTH, PANEL_H, TOP, LEFT, RIGHT, BOTTOM = 720, 190, 34, 56, 16, 34
FONT = 'font-family="system-ui, sans-serif"'


@dataclass
class Panel:
    title: str  # "GET /api/tools?q= — p95 ×2.4"
    base: list[tuple[float, float]]  # (ms, cumulative share)
    branch: list[tuple[float, float]]
    flagged: bool = False


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _ticks(lo: float, hi: float) -> list[float]:
    out = []
    for exp in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** exp
            if lo <= v <= hi:
                out.append(v)
    return out or [lo, hi]


def _label(v: float) -> str:
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
    for t in _ticks(lo, hi):
        x = x_of(t)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base_y}" y2="{base_y + 4}" '
                   'stroke="#8c959f"/>')
        out.append(f'<text x="{x:.1f}" y="{base_y + 16}" {FONT} font-size="10" '
                   f'text-anchor="middle" fill="#57606a">{_label(t)}</text>')
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
