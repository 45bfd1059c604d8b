"""The access matrix of the auth probe as findings and as Markdown.

Every caller let in where it must be refused is a CRITICAL finding carrying a
`curl` line that reproduces it (tokens shown as placeholders); a server error
instead of a refusal is HIGH. The matrix itself — operation × caller, what was
expected and what came back — goes to summary.md as a table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from gates.builtin.auth.probe import PROBES, Cell, Matrix
from gates.model import Finding, Severity
from gates.publish.md import code, esc

GATE = "auth"
# what a hole means, in a finding's words
HOLE_TEXT = {
    "no-token": "{op} answers a request without credentials",
    "malformed": "{op} accepts a malformed bearer token",
    "stripped": "{op} accepts a token whose signature was stripped ({who})",
    "alg-none": "{op} accepts a token re-encoded with alg none ({who})",
    "tampered": "{op} accepts a token whose payload was edited under its old signature ({who})",
    "expired": "{op} accepts an expired token ({who})",
    "role": "{op} lets in {who}, a role it does not allow",
    "other-user": "{op} answers {who} (BOLA/IDOR)",
    "webhook": "{op} processes {who}: anyone can send it events",
}
MARK = {"ok": "✅", "hole": "❌", "server-error": "⚠️", "other": "◻️", "inconclusive": "◻️"}


def findings(matrix: Matrix) -> list[Finding]:
    out = []
    for cell in matrix.holes():
        hole = cell.outcome == "hole"
        rule = PROBES[cell.probe][1] if hole else "auth-server-error"
        what = (HOLE_TEXT[cell.probe] if hole else
                "{op} answers a server error instead of refusing {who}").format(
            op=cell.operation, who=cell.caller)
        fp = hashlib.sha256(
            f"{GATE}\0{rule}\0{cell.operation}\0{cell.caller}".encode()).hexdigest()[:16]
        out.append(Finding(
            gate=GATE, rule=rule, tool="gates-authprobe",
            severity=Severity.CRITICAL if hole else Severity.HIGH, fingerprint=fp,
            message=f"{what}: HTTP {cell.got}, expected {cell.expected}",
            extra={"operation": cell.operation, "probe": cell.probe, "caller": cell.caller,
                   "expected": cell.expected, "got": cell.got, "curl": cell.curl},
        ))
    return out


def details(matrix: Matrix, tests: str = "") -> str:
    blocks = [b for b in (tests, table(matrix) if matrix.operations else "") if b]
    if matrix.notes:
        blocks.append("\n".join(f"- {esc(n)}" for n in matrix.notes))
    return "\n\n".join(blocks)


def table(matrix: Matrix) -> str:
    columns = [p for p in PROBES if any(c.probe == p for c in matrix.cells)]
    holes = len([c for c in matrix.cells if c.outcome == "hole"])
    head = (f"**Access matrix**: {len(matrix.operations)} operation(s), "
            f"{len(matrix.cells)} request(s), {holes} let in where they must be refused. "
            "Expected: the allowed user gets in; everyone else 401/403 (another user's "
            "object: 403/404; a forged webhook signature: 400/401/403). ✅ refused · ❌ let in "
            "· ⚠️ server error · ◻️ other answer.")
    rows = ["| Operation | Who may | " + " | ".join(PROBES[p][0] for p in columns) + " |",
            "|---|---|" + "---|" * len(columns)]
    for op, who in matrix.operations:
        cells = [c for c in matrix.cells if c.operation == op]
        shown = [_cell([c for c in cells if c.probe == p]) for p in columns]
        rows.append(f"| {code(op)} | {esc(who)} | " + " | ".join(shown) + " |")
    return "\n".join([head, "", *rows])


def _cell(cells: Sequence[Cell]) -> str:
    if not cells:
        return "—"
    out = []
    for c in cells:
        if c.probe == "control":
            who = esc(c.caller.split(" (")[0])
            out.append(f"{who} {c.got}" if c.outcome == "ok" else f"◻️ {who} {c.got}")
        else:
            out.append(f"{MARK[c.outcome]} {c.got}")
    return " ".join(out)
