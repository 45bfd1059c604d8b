"""The access matrix of the auth probe as findings and as sections of the result.

Every caller let in where it must be refused is a CRITICAL finding carrying a
`curl` line that reproduces it (tokens shown as placeholders); a server error
instead of a refusal is HIGH. The matrix itself — operation × caller, what was
expected and what came back — goes to summary.md and the run page as a table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from gates.builtin.auth.probe import PROBES, Cell, Matrix
from gates.model import (
    Bullets,
    Finding,
    Mark,
    Paragraph,
    Section,
    Severity,
    Table,
    Text,
    code,
    plain,
)

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
# a cell's status: ✅ refused · ❌ let in · ⚠️ server error · ◻️ other answer
MARK: dict[str, Mark] = {"ok": "good", "hole": "bad", "server-error": "warn", "other": "other",
                         "inconclusive": "other"}


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


def sections(matrix: Matrix, tests: str = "") -> list[Section]:
    """What summary.md shows: the repo's auth-test line, the matrix, the notes."""
    out: list[Section] = [Paragraph([plain(tests)])] if tests else []
    if matrix.operations:
        out += [legend(matrix), table(matrix)]
    if matrix.notes:
        out.append(Bullets([[plain(n)] for n in matrix.notes]))
    return out


def legend(matrix: Matrix) -> Paragraph:
    holes = len([c for c in matrix.cells if c.outcome == "hole"])
    return Paragraph([
        Text("Access matrix", strong=True),
        plain(f": {len(matrix.operations)} operation(s), {len(matrix.cells)} request(s), "
              f"{holes} let in where they must be refused. Expected: the allowed user gets "
              "in; everyone else 401/403 (another user's object: 403/404; a forged webhook "
              "signature: 400/401/403). "),
        Text("refused", mark="good"), plain(" · "), Text("let in", mark="bad"), plain(" · "),
        Text("server error", mark="warn"), plain(" · "), Text("other answer.", mark="other"),
    ])


def table(matrix: Matrix) -> Table:
    columns = [p for p in PROBES if any(c.probe == p for c in matrix.cells)]
    rows = []
    for op, who in matrix.operations:
        cells = [c for c in matrix.cells if c.operation == op]
        rows.append([[code(op)], [plain(who)],
                     *(_cell([c for c in cells if c.probe == p]) for p in columns)])
    return Table(["Operation", "Who may", *(PROBES[p][0] for p in columns)], rows)


def _cell(cells: Sequence[Cell]) -> list[Text]:
    if not cells:
        return [plain("—")]
    out: list[Text] = []
    for c in cells:
        if out:
            out.append(plain(" "))
        if c.probe == "control":
            who = c.caller.split(" (")[0]
            out.append(Text(f"{who} {c.got}", mark=None if c.outcome == "ok" else "other"))
        else:
            out.append(Text(str(c.got), mark=MARK[c.outcome]))
    return out
