"""CLUSTER_ISSUES.md: each blocking finding one issue, under a heading that tells it
from its neighbours (file:line, or the operation an app gate found it on)."""

from __future__ import annotations

import re

from gates.model import Finding, GateResult, Severity, Status, Verdict
from gates.publish import cluster_issues


def _bola(op: str) -> Finding:
    return Finding(gate="auth", rule="bola", severity=Severity.CRITICAL, tool="gates-authprobe",
                   message=f"{op} answers bob asking for alice's object", blocking=True,
                   fingerprint="fp-" + op, extra={"operation": op, "curl": "curl -i x"})


def _verdict(*findings: Finding) -> Verdict:
    return Verdict(branch="ironwood/payments", agent="IRONWOOD", base="main",
                   branch_commit="b" * 40, base_commit="a" * 40, tree="c" * 40,
                   results=[GateResult("auth", Status.FAIL if findings else Status.PASS,
                                       findings=list(findings))],
                   passed=not findings, reasons=[], started="2026-12-01T10:00:00Z")


def test_issues_of_one_rule_on_two_operations_have_their_own_headings() -> None:
    ops = ("GET /api/invoices/{invoice_id}", "GET /api/invoices/{invoice_id}/print")
    open_, resolved = cluster_issues.update({}, [], _verdict(*map(_bola, ops)),
                                            "2026-12-01T10:00:00Z")
    body = cluster_issues.render(open_, resolved, "gates")[0].body
    headings = re.findall(r"^### .*$", body, flags=re.M)
    assert sorted(headings) == sorted(f"### 🚨 auth: `bola` in `{op}`" for op in ops), body
    # the later run that no longer sees one resolves that one only, by its operation
    open_, resolved = cluster_issues.update(open_, resolved, _verdict(_bola(ops[0])),
                                            "2026-12-01T11:00:00Z")
    assert [i.meta["location"] for i in open_.values()] == [ops[0]]
    log = cluster_issues.render(open_, resolved, "gates")[-1].body
    assert f"auth `bola` in `{ops[1]}`" in log


def _float_gst(*lines: int) -> Verdict:
    found = [Finding(gate="security", rule="money-float-arithmetic", severity=Severity.HIGH,
                     tool="semgrep", message="GST computed with a float", path="src/payments.ts",
                     line=n, blocking=True, fingerprint=f"fp-line-{n}") for n in lines]
    return Verdict(branch="ironwood/payments", agent="IRONWOOD", base="main",
                   branch_commit="b" * 40, base_commit="a" * 40, tree="c" * 40,
                   results=[GateResult("security", Status.FAIL if found else Status.PASS,
                                       findings=found)],
                   passed=not found, reasons=[], started="2026-12-01T10:00:00Z")


def test_one_rule_on_three_lines_of_a_file_is_one_issue_until_all_are_fixed() -> None:
    open_, resolved = cluster_issues.update({}, [], _float_gst(38, 39, 40), "t1")
    assert len(open_) == 1
    (fp,) = open_
    body = cluster_issues.render(open_, resolved, "gates")[1].body  # high priority
    assert body.count("### ") == 1
    assert "- **Lines**: `src/payments.ts:38`, `src/payments.ts:39`, `src/payments.ts:40`" \
        in body, body
    assert "in `src/payments.ts`" in body.splitlines()[0]
    # a line leaves and another joins: the same issue, its lines brought up to date
    open_, resolved = cluster_issues.update(open_, resolved, _float_gst(38, 41), "t2")
    assert list(open_) == [fp] and resolved == []
    assert open_[fp].meta["places"] == ["src/payments.ts:38", "src/payments.ts:41"]
    assert open_[fp].meta["first"] == "t1"
    # one line left: still the same issue, named by its line
    open_, resolved = cluster_issues.update(open_, resolved, _float_gst(41), "t3")
    assert list(open_) == [fp] and open_[fp].meta["location"] == "src/payments.ts:41"
    # all fixed: resolved, once
    open_, resolved = cluster_issues.update(open_, resolved, _float_gst(), "t4")
    assert open_ == {} and [i.fp for i in resolved] == [fp]
    assert resolved[0].meta["resolved"] == "t4"


def test_the_same_rule_in_two_files_or_with_two_messages_is_two_issues() -> None:
    v = _float_gst(3, 4)
    other = Finding(gate="security", rule="money-float-arithmetic", severity=Severity.HIGH,
                    message="GST computed with a float", path="src/refunds.ts", line=3,
                    blocking=True)
    worded = Finding(gate="security", rule="money-float-arithmetic", severity=Severity.HIGH,
                     message="refund computed with a float", path="src/payments.ts", line=9,
                     blocking=True)
    v.results[0].findings += [other, worded]
    open_, _ = cluster_issues.update({}, [], v, "t1")
    assert sorted(len(i.meta["places"]) for i in open_.values()) == [1, 1, 2]


def test_issues_an_older_gates_wrote_per_line_become_the_one_issue_of_their_problem() -> None:
    # what gates wrote before issues were grouped: one issue per line, keyed per finding
    old = _float_gst(38, 39)
    blocks = []
    for f in old.results[0].findings:
        issue = cluster_issues.Issue({"fp": f.fingerprint, "first": "t0", "last": "t0",
                                      "branches": [old.branch],
                                      "gate": f.gate, "rule": f.rule, "severity": "high",
                                      "location": f.location, "message": f.message})
        blocks.append(cluster_issues._render_open(issue, "gates", "⚠️"))
    text = "<!-- gates:begin issues-high -->\n" + "\n".join(blocks) + \
        "\n<!-- gates:end issues-high -->\n"
    open_, resolved = cluster_issues.parse(text)
    open_, resolved = cluster_issues.update(open_, resolved, _float_gst(38, 39, 40), "t1")
    assert resolved == [] and len(open_) == 1
    (issue,) = open_.values()
    assert issue.meta["first"] == "t0"
    assert issue.meta["places"] == [f"src/payments.ts:{n}" for n in (38, 39, 40)]
