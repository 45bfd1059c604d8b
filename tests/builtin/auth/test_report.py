"""The access matrix as findings and as sections (rendered as in summary.md)."""

from __future__ import annotations

from gates.builtin.auth import report
from gates.builtin.auth.probe import Cell, Matrix
from gates.model import Severity
from gates.publish.sections_md import render

CURL = "curl -i -X GET -H 'Authorization: Bearer <token of ben>' http://127.0.0.1:9/api/n/1"


def matrix() -> Matrix:
    op, admin = "GET /api/n/{id}", "GET /api/a|b"
    return Matrix(operations=[(op, "member, admin"), (admin, "admin")], cells=[
        Cell(op, "control", "ann (member)", "allowed", 200, "ok", "c"),
        Cell(op, "no-token", "no token", "401/403", 401, "ok", "c"),
        Cell(op, "other-user", "ben (member) asking for ann's object", "403/404", 200, "hole",
             CURL),
        Cell(admin, "control", "root (admin)", "allowed", 409, "inconclusive", "c"),
        Cell(admin, "no-token", "no token", "401/403", 500, "server-error", "c"),
        Cell(admin, "role", "ann (member)", "401/403", 422, "other", "c"),
    ], notes=["GET /x: another user's object not tried: no link"])


def test_a_hole_is_a_critical_finding_with_its_curl() -> None:
    bola, crash = report.findings(matrix())
    assert (bola.rule, bola.severity, bola.gate) == ("bola", Severity.CRITICAL, "auth")
    assert bola.message == ("GET /api/n/{id} answers ben (member) asking for ann's object "
                            "(BOLA/IDOR): HTTP 200, expected 403/404")
    assert bola.extra == {"operation": "GET /api/n/{id}", "probe": "other-user",
                          "caller": "ben (member) asking for ann's object",
                          "expected": "403/404", "got": 200, "curl": CURL}
    assert (crash.rule, crash.severity) == ("auth-server-error", Severity.HIGH)
    assert crash.message == ("GET /api/a|b answers a server error instead of refusing no "
                             "token: HTTP 500, expected 401/403")


def test_fingerprints_are_stable_and_distinct() -> None:
    first = [f.fingerprint for f in report.findings(matrix())]
    assert first == [f.fingerprint for f in report.findings(matrix())]
    assert len(set(first)) == 2 and all(len(fp) == 16 for fp in first)


def test_sections_show_the_matrix_and_the_notes() -> None:
    text = render(report.sections(matrix(), "The repo's auth tests: 3 passed."))
    tests, head, table, notes = text.split("\n\n")
    assert tests == "The repo's auth tests: 3 passed."
    assert head.startswith("**Access matrix**: 2 operation(s), 6 request(s), 1 let")
    lines = table.splitlines()
    # only the columns some probe used, in the probe order
    assert lines[0] == ("| Operation | Who may | Allowed user | No token | Other roles "
                        "| Other user's object |")
    assert lines[2] == "| `GET /api/n/{id}` | member, admin | ann 200 | ✅ 401 | — | ❌ 200 |"
    assert lines[3] == "| `GET /api/a¦b` | admin | ◻️ root 409 | ⚠️ 500 | ◻️ 422 | — |"
    assert notes == "- GET /x: another user's object not tried: no link"


def test_sections_without_protected_operations_are_the_notes() -> None:
    empty = Matrix(operations=[], notes=["the OpenAPI document has no protected operation"])
    assert render(report.sections(empty)) == "- the OpenAPI document has no protected operation"


def test_one_operation_open_to_many_callers_is_one_finding_naming_them() -> None:
    op = "GET /admin/stats"
    cells = [Cell(op, p, who, "401/403", 200, "hole", f"curl {p}") for p, who in (
        ("role", "ann (member)"), ("no-token", "no token"), ("alg-none", "ann, alg none"))]
    [f] = report.findings(Matrix(operations=[(op, "admin")], cells=cells))
    assert (f.rule, f.severity) == ("auth-missing", Severity.CRITICAL)
    assert f.message == ("GET /admin/stats answers a request without credentials; let in: "
                         "no token (200), ann, alg none (200), ann (member) (200): HTTP 200, "
                         "expected 401/403")
    assert f.extra["callers"] == ["no token", "ann, alg none", "ann (member)"]
    assert f.extra["curl"] == "curl no-token"
    # the same cause with fewer callers let in is the same finding (new vs existing)
    [alone] = report.findings(Matrix(operations=[(op, "admin")], cells=cells[1:2]))
    assert alone.fingerprint == f.fingerprint


def test_a_2xx_without_evidence_is_an_info_note_and_with_evidence_quotes_it() -> None:
    op = "PUT /u/{username}/email"
    seen = "answered 200, but ann's object read back through GET /u/ann did not change"
    proof = "ann's object changed, read back by ann through GET /u/ann: before {}, after {}"
    caller = "ben (member) asking for ann's object"
    note = Cell(op, "other-user", caller, "403/404", 200, "suspicious", "c", seen)
    hole = Cell(op, "other-user", caller, "403/404", 200, "hole", "c", proof)
    [n] = report.findings(Matrix(operations=[(op, "member")], cells=[note]))
    assert (n.rule, n.severity, n.extra["evidence"]) == ("suspicious-access", Severity.INFO, seen)
    assert n.message.endswith(f"HTTP 200, expected 403/404 — {seen}")
    [b] = report.findings(Matrix(operations=[(op, "member")], cells=[hole]))
    assert (b.rule, b.severity) == ("bola", Severity.CRITICAL)
    assert b.message.endswith(f"(BOLA/IDOR): HTTP 200, expected 403/404 — evidence: {proof}")
