"""The data of a run: a gate's sections survive verdict.json, old records still load."""

from __future__ import annotations

import json

from gates.model import (
    Bullets,
    Chart,
    Commands,
    GateResult,
    Heading,
    Paragraph,
    Section,
    Status,
    Table,
    Text,
    Verdict,
    code,
    plain,
    section_from_json,
    section_to_json,
)

SECTIONS: list[Section] = [
    Heading("Access <matrix>"),
    Paragraph([Text("Access matrix", strong=True), plain(": 2 operation(s) "),
               Text("refused", mark="good"), plain(" · "), Text("log", href="auth/app.log")]),
    Bullets([[plain("a note")], [code("GET /x"), plain(" has no link")]]),
    Table(["Operation", "p95 ms", ""],
          [[[code("GET /a|b")], [plain("1.2 → 3.4")], [Text("slower", mark="warn")]],
           [[Text("overall", strong=True)], [plain("—")], []]],
          numeric=[False, True, False]),
    Chart("perf/latency.svg", "response times, base vs branch"),
    Commands(["playwright show-trace <trace.zip>", "echo '```'"]),
]


def result(**kw: object) -> GateResult:
    return GateResult(gate="auth", status=Status.FAIL, reason="r", **kw)  # type: ignore[arg-type]


def test_every_section_kind_survives_json() -> None:
    data = json.loads(json.dumps(result(sections=SECTIONS).to_json()))
    assert [s["type"] for s in data["sections"]] == [
        "heading", "paragraph", "bullets", "table", "chart", "commands"]
    assert GateResult.from_json(data).sections == SECTIONS
    assert [section_from_json(section_to_json(s)) for s in SECTIONS] == SECTIONS


def test_text_json_leaves_out_what_is_not_set() -> None:
    para = section_to_json(Paragraph([plain("x"), Text("y", code=True, mark="bad")]))
    assert para == {"type": "paragraph",
                    "parts": [{"text": "x"}, {"text": "y", "code": True, "mark": "bad"}]}


def test_a_result_has_sections_and_no_markdown() -> None:
    data = result(sections=SECTIONS[:1]).to_json()
    assert "details" not in data
    assert data["sections"] == [{"type": "heading", "text": "Access <matrix>"}]
    assert result().to_json()["sections"] == []


def test_an_old_record_with_details_loads_as_one_plain_paragraph() -> None:
    old = {"gate": "auth", "status": "pass", "details": "| a | b |\n|---|---|\n| `x` | ✅ 1 |"}
    loaded = GateResult.from_json(old)
    assert loaded.sections == [Paragraph([Text("| a | b |\n|---|---|\n| `x` | ✅ 1 |")])]
    assert "details" not in loaded.to_json()
    assert GateResult.from_json({**old, "details": ""}).sections == []
    assert GateResult.from_json({"gate": "auth", "status": "pass"}).sections == []
    # a record that has sections keeps them, whatever else it carries
    both = {**old, "sections": [section_to_json(SECTIONS[4])]}
    assert GateResult.from_json(both).sections == [SECTIONS[4]]


def test_a_verdict_round_trips_its_gates_sections() -> None:
    v = Verdict(branch="ironwood/x", agent="IRONWOOD", base="main", branch_commit="a" * 40,
                base_commit="b" * 40, tree="c" * 40, results=[result(sections=SECTIONS)],
                passed=False, reasons=["auth failed"], started="2026-12-04T13:00:00Z")
    again = Verdict.from_json(json.loads(json.dumps(v.to_json())))
    assert again.results[0].sections == SECTIONS
