"""A gate's sections as the Markdown of summary.md: every kind, and hostile text kept
as text (no table cell split, no code span closed early, no HTML, no link out)."""

from __future__ import annotations

from gates.model import (
    Bullets,
    Chart,
    Commands,
    GateResult,
    Heading,
    Paragraph,
    Status,
    Table,
    Text,
    Verdict,
    code,
    plain,
)
from gates.publish import summary
from gates.publish.sections_md import render

HOSTILE = "a|b `x <script>alert(1)</script> [l](javascript:alert(2))"
HOSTILE_MD = "a\\|b \\`x \\<script\\>alert(1)\\</script\\> \\[l\\](javascript:alert(2))"


def test_no_sections_no_text() -> None:
    assert render([]) == ""


def test_blocks_are_separated_by_a_blank_line() -> None:
    assert render([Heading("Matrix"), Paragraph([plain("one")]),
                   Bullets([[plain("a")], [plain("b")]])]) == "### Matrix\n\none\n\n- a\n- b"


def test_runs_join_on_one_line_keeping_their_spaces() -> None:
    para = Paragraph([plain("schemathesis "), plain("3.9"), plain(" as "),
                      plain("alice  (member)\n"), plain(": checks "), code("x y"), plain(".")])
    assert render([para]) == "schemathesis 3.9 as alice (member) : checks `x y`."


def test_strong_code_marks_and_links() -> None:
    para = Paragraph([Text("Access matrix", strong=True), plain(" "),
                      Text("refused", mark="good"), plain(" · "), Text("401", mark="bad"),
                      plain(" · "), Text("500", mark="warn"), plain(" · "),
                      Text("409", mark="other"), plain(" "), Text("", mark="good"), plain(" "),
                      Text("trace", href="e2e/results/a b/trace.zip")])
    assert render([para]) == ("**Access matrix** ✅ refused · ❌ 401 · ⚠️ 500 · ◻️ 409 ✅ "
                              "[trace](e2e/results/a%20b/trace.zip)")


def test_hostile_text_stays_text() -> None:
    assert render([Paragraph([plain(HOSTILE)])]) == HOSTILE_MD
    assert render([Heading(HOSTILE)]) == "### " + HOSTILE_MD
    assert render([Bullets([[plain(HOSTILE)]])]) == "- " + HOSTILE_MD
    # text that would start a heading, a list or a quote at the start of a line
    assert render([Paragraph([plain("# not a heading")])]) == "\\# not a heading"
    assert render([Bullets([[plain("- not nested")]])]) == "- \\- not nested"


def test_code_cannot_be_closed_early_or_split_a_table() -> None:
    assert render([Paragraph([code("a`b|c")])]) == "``a`b¦c``"
    assert render([Paragraph([code("`x`")])]) == "`` `x` ``"


def test_a_link_goes_only_to_a_file_of_the_run() -> None:
    for href in ("javascript:alert(1)", "http://evil.test/x", "//evil.test/x",
                 "a.png) [x](javascript:y"):
        shown = render([Paragraph([Text("log", href=href)])])
        assert shown.startswith("\\[log\\](") and "](" not in shown.replace("\\](", ""), href
    assert render([Paragraph([Text("log", href="auth/app.log", strong=True)])]) == (
        "[**log**](auth/app.log)")


def test_table_cells_headers_and_numeric_columns() -> None:
    table = Table(["Endpoint", "p95 ms", ""],
                  [[[code("GET /a|b")], [plain("1.2 → 3.4")], [Text("slower", mark="warn")]],
                   [[Text("overall", strong=True)], [plain(HOSTILE)], []]],
                  numeric=[False, True])
    assert render([table]).splitlines() == [
        "| Endpoint | p95 ms | |",
        "|---|---:|---|",
        "| `GET /a¦b` | 1.2 → 3.4 | ⚠️ slower |",
        f"| **overall** | {HOSTILE_MD} |  |",
    ]
    assert render([Table(["a|b", "<i>"], [])]).splitlines()[0] == "| a\\|b | \\<i\\> |"


def test_a_chart_is_an_image_of_its_artifact() -> None:
    assert render([Chart("perf/latency.svg", "response times, base vs branch")]) == (
        "![response times, base vs branch](perf/latency.svg)")
    evil = render([Chart("perf/latency.svg", "x](javascript:alert(1))")])
    assert evil == "![x\\](javascript:alert(1))](perf/latency.svg)"
    assert render([Chart("javascript:alert(1)", "chart")]) == (
        "!\\[chart\\](javascript:alert(1))")


def test_commands_are_a_fenced_block_no_line_can_close() -> None:
    assert render([Commands(["playwright show-trace <trace.zip>"])]).splitlines() == [
        "```text", "playwright show-trace <trace.zip>", "```"]
    lines = render([Commands(["echo hi", "```", "rm -rf /"])]).splitlines()
    assert lines[0] == "````text" and lines[-1] == "````" and lines[1:-1] == [
        "echo hi", "```", "rm -rf /"]


def _verdict(*results: GateResult) -> Verdict:
    return Verdict(branch="ironwood/x", agent="IRONWOOD", base="main", branch_commit="a" * 40,
                   base_commit="b" * 40, tree="c" * 40, results=list(results), passed=True,
                   reasons=[], started="2026-12-04T13:00:00Z")


def test_summary_shows_a_gates_sections_under_its_name() -> None:
    shown = GateResult(gate="perf", status=Status.PASS, sections=[
        Paragraph([plain("Base and branch side by side.")]),
        Chart("perf/latency.svg", "response times, base vs branch")])
    quiet = GateResult(gate="lint", status=Status.PASS)
    text = summary.render(_verdict(shown, quiet))
    assert ("## perf\n\nBase and branch side by side.\n\n"
            "![response times, base vs branch](perf/latency.svg)\n") in text
    assert "## lint" not in text


def test_summary_of_an_old_record_shows_its_details_as_text() -> None:
    old = {"gate": "auth", "status": "pass", "details": "| a |\n|---|\n| <b>x</b> |"}
    text = summary.render(_verdict(GateResult.from_json(old)))
    assert "## auth\n\n\\| a \\| \\|---\\| \\| \\<b\\>x\\</b\\> \\|\n" in text
