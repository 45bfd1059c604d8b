from __future__ import annotations

import json
from pathlib import Path

from gates.model import GateResult, Status, Verdict
from gates.publish import history


def verdict(branch: str = "walnut/catalog", metrics: dict | None = None) -> Verdict:
    return Verdict(
        branch=branch, agent="WALNUT", base="main", branch_commit="b" * 40,
        base_commit="a" * 40, tree="c" * 40, passed=True, reasons=[],
        started="2026-11-25T10:00:00Z", report_dir="reports/walnut__catalog/bbbbbbbb",
        results=[GateResult("lint", Status.PASS),
                 GateResult("perf", Status.PASS, metrics=metrics or {})])


def test_one_line_per_run_with_perf(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    history.append(path, verdict(metrics={"overall": {
        "base": {"p95": 100.0, "rps": 50, "p50": None, "count": 10},
        "branch": {"p95": 120.5, "rps": 48.0, "failures": 1}}}))
    history.append(path, verdict("acacia/ui"))
    lines = history.read(path)
    assert [x["branch"] for x in lines] == ["walnut/catalog", "acacia/ui"]
    first = lines[0]
    assert first["perf"] == {"base": {"p95": 100.0, "rps": 50.0, "count": 10.0},
                             "branch": {"p95": 120.5, "rps": 48.0, "failures": 1.0}}
    assert first["gates"] == {"lint": "pass", "perf": "pass"}
    assert first["verdict"] == "pass" and first["base_commit"] == "a" * 40
    assert lines[1]["perf"] == {}


def test_perf_metrics_are_read_defensively() -> None:
    assert history.perf_of(None) == {}
    assert history.perf_of({"overall": "fast"}) == {}
    assert history.perf_of({"overall": {"branch": [1, 2]}}) == {}
    odd = {"overall": {"branch": {"p95": float("nan"), "rps": True, "p99": "12",
                                  "p50": float("inf")}, "base": {"p95": 3}}}
    assert history.perf_of(odd) == {"base": {"p95": 3.0}}


def test_a_line_cut_short_does_not_swallow_the_next(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    history.append(path, verdict())
    with path.open("a") as f:
        f.write('{"branch": "walnut/cat')  # a crash mid-write
    history.append(path, verdict("acacia/ui"))
    raw = path.read_text().splitlines()
    assert len(raw) == 3 and json.loads(raw[2])["branch"] == "acacia/ui"
    assert [x["branch"] for x in history.read(path)] == ["walnut/catalog", "acacia/ui"]


def test_missing_or_foreign_lines_read_as_nothing(tmp_path: Path) -> None:
    assert history.read(tmp_path / "none.jsonl") == []
    path = tmp_path / "h.jsonl"
    path.write_text('[1, 2]\n{"branch": 3, "started": "x"}\n\n{"branch": "a/b", "started": "t"}\n')
    assert history.read(path) == [{"branch": "a/b", "started": "t"}]
