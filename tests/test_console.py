"""The terminal output: the verdict table and the reasons a branch is blocked."""

from __future__ import annotations

from rich.console import Console

from gates import console as con
from gates.model import Finding, GateResult, Severity, Status, Verdict


def _verdict(branch: str, findings: list[Finding], passed: bool = False) -> Verdict:
    result = GateResult(gate="security", status=Status.FAIL if findings else Status.PASS,
                        findings=findings)
    return Verdict(branch=branch, agent=branch.split("/")[0], base="main",
                   branch_commit="b" * 40, base_commit="a" * 40, tree="c" * 40,
                   results=[result], passed=passed, reasons=[], started="2026-01-01T00:00:00Z")


def _blocking(rule: str, severity: Severity, line: int) -> Finding:
    return Finding(gate="security", rule=rule, message=f"{rule} here", severity=severity,
                   path="app.py", line=line, blocking=True)


def test_reasons_list_the_worst_finding_first(monkeypatch) -> None:
    out = Console(width=200, record=True, color_system=None)
    monkeypatch.setattr(con, "console", out)
    findings = [_blocking("low-one", Severity.LOW, 1), _blocking("critical-one", Severity.CRITICAL, 2),
                _blocking("medium-one", Severity.MEDIUM, 3)]
    con.print_reasons(_verdict("ironwood/payments", findings))
    text = out.export_text()
    assert "ironwood/payments is blocked" in text
    order = [text.index(r) for r in ("critical-one", "medium-one", "low-one")]
    assert order == sorted(order), text


def test_a_passing_verdict_prints_no_reasons(monkeypatch) -> None:
    out = Console(width=200, record=True, color_system=None)
    monkeypatch.setattr(con, "console", out)
    con.print_reasons(_verdict("walnut/catalog", [], passed=True))
    assert out.export_text() == ""


def test_the_table_never_truncates_a_branch_name() -> None:
    # nine gates in 100 columns: cells may squeeze, branch names must stay whole
    results = [GateResult(gate=f"gate{i}", status=Status.PASS) for i in range(9)]
    v = _verdict("ironwood/payments-and-invoices", [], passed=True)
    v.results = results
    out = Console(width=100, record=True, color_system=None)
    out.print(con.verdict_table([v]))
    assert "ironwood/payments-and-invoices" in out.export_text()


def test_the_table_says_how_many_branches_may_merge_and_into_what() -> None:
    out = Console(width=160, record=True, color_system=None)
    out.print(con.verdict_table([_verdict("walnut/catalog", [], passed=True),
                                 _verdict("ironwood/payments", [_blocking("x", Severity.HIGH, 1)])]))
    assert out.export_text().lstrip().startswith("1 of 2 branches may merge into main")


def test_a_pass_over_a_skipped_gate_says_so_in_the_table_and_the_summary() -> None:
    """Issue 26: nobody reads a bare "✅ pass" over a gate that did not run."""
    from gates.publish import summary

    v = _verdict("walnut/rename", [], passed=True)
    v.results.append(GateResult.skipped("e2e", "no Playwright tests configured"))
    out = Console(width=160, record=True, color_system=None)
    out.print(con.verdict_table([v]))
    row = next(line for line in out.export_text().splitlines() if "walnut/rename" in line)
    assert "✅ pass (1 not run)" in row and "⏭️ skipped" in row
    text = summary.render(v)
    assert text.startswith("# ✅ pass (⏭️ 1 gate not run): `walnut/rename`")
    assert "**Not run**" in text and "- ⏭️ **e2e**: no Playwright tests configured" in text
    # a pass with every gate run reads as before
    assert summary.render(_verdict("walnut/docs", [], passed=True)).startswith("# ✅ pass: ")
