from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

import pytest

from gates import svg as charts
from gates.svg import Series


def parse(svg: str) -> ET.Element:
    """Every chart is well-formed XML (inline SVG needs no namespace)."""
    root = ET.fromstring(svg)
    assert root.tag == "svg"
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find("title") is not None and root.find("title").text == root.get("aria-label")
    assert "viewBox" in root.attrib and "://" not in svg
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("text")]


@pytest.mark.parametrize(("lo", "hi"), [(0, 1), (0, 97.3), (0, 0.004), (12, 12), (-3, 250),
                                        (0, 123456)])
def test_ticks_are_round_and_cover_the_range(lo: float, hi: float) -> None:
    ticks = charts.nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and 2 <= len(ticks) <= 8
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 2.5, 5, 10)


def test_line_chart_has_axes_markers_legend_and_gaps() -> None:
    svg = charts.line_chart("p95 of main", ["a1", "b2", "c3", "d4"],
                            [Series("base", [100, 110, None, 120]),
                             Series("branch", [130, 90, 95, 100])],
                            y_label="p95", unit="ms", x_label="commit")
    root = parse(svg)
    # the gap splits base into two runs; only runs of 2+ points are lines
    assert len(root.findall("polyline")) == 2
    circles = root.findall("circle")  # base's markers are circles, branch's squares
    assert len(circles) == 3 + 1  # three points + the legend
    tips = ["".join(t.itertext()) for c in circles for t in c.iter("title")]
    assert "base · d4: 120 ms" in tips
    labels = texts(root)
    assert {"a1", "d4", "base", "branch", "commit", "p95 (ms)"} <= set(labels)
    assert any(t.isdigit() for t in labels)  # y tick labels


def test_bar_chart_groups_series_per_category() -> None:
    root = parse(charts.bar_chart("latency", ["p50", "p95", "p99"],
                                  [Series("base", [10, 40, 80]),
                                   Series("branch", [12, 55, None])],
                                  y_label="latency", unit="ms"))
    bars = [r for r in root.iter("rect") if r.find("title") is not None
            and "·" in r.find("title").text]
    assert len(bars) == 5  # the missing value draws nothing
    assert {"p50", "p95", "p99"} <= set(texts(root))
    assert all(float(b.get("height")) > 0 for b in bars)
    tall = {b.find("title").text: float(b.get("height")) for b in bars}
    assert tall["branch · p95: 55 ms"] > tall["base · p95: 40 ms"]


def test_everything_from_outside_is_escaped() -> None:
    evil = '<script>alert("x")</script>&'
    for svg in (
        charts.line_chart(evil, [evil], [Series(evil, [1.0])], y_label=evil),
        charts.bar_chart(evil, [evil], [Series(evil, [1.0])], y_label=evil),
        charts.sparkline(evil, [1.0, 2.0]),
        charts.verdict_strip(evil, [(evil, "pass"), (evil, "blocked")]),
    ):
        root = parse(svg)  # would not parse if a tag or a bare & got through
        assert "<script" not in svg
        assert not list(root.iter("script"))
        assert evil in str(svg).replace("&lt;", "<").replace("&gt;", ">").replace(
            "&quot;", '"').replace("&amp;", "&")


def test_no_data_says_so() -> None:
    root = parse(charts.line_chart("p95", [], [], y_label="p95"))
    assert "no data" in " ".join(texts(root))
    root = parse(charts.line_chart("p95", ["a"], [Series("x", [None])], y_label="p95"))
    assert "no data" in root.get("aria-label")
    assert "no data" in parse(charts.sparkline("p95", [None, None])).get("aria-label")


def test_sparkline_and_single_points() -> None:
    root = parse(charts.sparkline("p95 of walnut/catalog", [100, None, 120.5], "ms"))
    assert root.get("aria-label") == "p95 of walnut/catalog: 100 ms → 120.5 ms over 2 run(s)"
    assert len(root.findall("polyline")) == 1
    one = parse(charts.sparkline("p95", [7]))
    assert not one.findall("polyline") and len(one.findall("circle")) == 1
    flat = parse(charts.line_chart("flat", ["a", "b"], [Series("s", [5, 5])], y_label="y"))
    ys = {c.get("cy") for c in flat.findall("circle")[:2]}
    assert len(ys) == 1


def test_verdict_strip_shows_shape_and_text_for_each_run() -> None:
    runs = [(f"c{i}", "pass" if i % 3 else "blocked") for i in range(50)]
    root = parse(charts.verdict_strip("walnut/catalog", runs, limit=40))
    groups = root.findall("g")
    assert len(groups) == 40  # the latest 40
    titles = [g.find("title").text for g in groups]
    assert titles[-1] == "c49: pass" and titles[0] == "c10: pass"
    passed = sum(1 for t in titles if t.endswith(": pass"))
    assert root.get("aria-label") == f"walnut/catalog: {passed} of 40 run(s) passed"
    # the mark differs by verdict, not only the colour
    marks = {g.find("title").text.split(": ")[1]: g.find("path").get("d") for g in groups}
    assert "l3 3l6 -6" in marks["pass"] and "l8 8" in marks["blocked"]


def test_numbers_are_short() -> None:
    assert charts.fmt(12) == "12"
    assert charts.fmt(12.345, "ms") == "12.3 ms"
    assert charts.fmt(0.01234) == "0.0123"
    assert charts.fmt(123456.7) == "123,457"


def test_latency_distributions_are_a_standalone_escaped_svg() -> None:
    """The perf gate's perf/latency.svg: one panel per endpoint, base and branch."""
    panels = [charts.Panel("overall — p95 ×1.2", [(10.0, 0.5), (20.0, 0.95), (30.0, 1.0)],
                           [(12.0, 0.5), (24.0, 0.95), (36.0, 1.0)]),
              charts.Panel("GET /api/<script>", [(5.0, 1.0)], [(50.0, 1.0)], flagged=True),
              charts.Panel("GET /down", [], [])]
    svg = charts.latency_svg(panels, title="Response <times>")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"  # a file of its own: namespaced
    assert root.get("aria-label") == "Response <times>" and "<script>" not in svg
    ns = "{http://www.w3.org/2000/svg}"
    text = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    assert "GET /api/<script>" in text and "GET /down: no successful requests" in text
    assert len(list(root.iter(f"{ns}path"))) == 4  # base and branch of the two panels with requests
    assert int(root.get("height")) == 40 + 190 * 3
