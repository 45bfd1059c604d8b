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
    "injection": "{op} breaks on {who} (injection)",
    "mass-assignment": "{op} takes properties a caller must not set ({who})",
    "weak-key": "{op} accepts {who}",
    "cors": "{op} lets any site read its answers with the user's credentials",
    "headers": "{op} serves {who} without security headers",
}
# the severity of a hole, when not critical
SEVERITY = {"injection": Severity.HIGH, "mass-assignment": Severity.HIGH,
            "cors": Severity.LOW, "headers": Severity.LOW}
# a cell's status: ✅ refused · ❌ let in · ⚠️ server error · ◻️ other answer
MARK: dict[str, Mark] = {"ok": "good", "hole": "bad", "server-error": "warn", "other": "other",
                         "inconclusive": "other", "suspicious": "other"}


def findings(matrix: Matrix) -> list[Finding]:
    """One finding per cause: the callers an operation must refuse and lets in are one
    finding (named by the most basic of them: no token before a forged one before a
    wrong role), as are its server errors; another user's object and a forged webhook
    are causes of their own; a 2xx on another user's object without evidence is an
    INFO `suspicious-access` note."""
    out = []
    by_op: dict[tuple[str, str], list[Cell]] = {}
    for cell in matrix.cells:
        if cell.outcome in ("hole", "server-error") and cell.probe in REFUSED_CALLERS:
            by_op.setdefault((cell.operation, cell.outcome), []).append(cell)
        elif cell.outcome in ("hole", "server-error", "suspicious"):
            out.append(_single(cell))
    for (op, outcome), cells in by_op.items():
        cells.sort(key=lambda c: REFUSED_CALLERS.index(c.probe))
        out.append(_grouped(op, outcome, cells))
    return sorted(out, key=lambda f: (-f.severity, f.extra["operation"], f.rule))


REFUSED_CALLERS = ("no-token", "malformed", "stripped", "alg-none", "tampered", "expired",
                   "role")


def _fingerprint(rule: str, operation: str, caller: str) -> str:
    return hashlib.sha256(f"{GATE}\0{rule}\0{operation}\0{caller}".encode()).hexdigest()[:16]


def _grouped(op: str, outcome: str, cells: list[Cell]) -> Finding:
    first = cells[0]
    hole = outcome == "hole"
    rule = PROBES[first.probe][1] if hole else "auth-server-error"
    callers = ", ".join(f"{c.caller} ({c.got})" for c in cells)
    what = (HOLE_TEXT[first.probe] if hole else
            "{op} answers a server error instead of refusing {who}").format(op=op,
                                                                           who=first.caller)
    if len(cells) > 1:
        what += f"; {'let in' if hole else 'server errors'}: {callers}"
    return Finding(
        gate=GATE, rule=rule, tool="gates-authprobe",
        severity=Severity.CRITICAL if hole else Severity.HIGH,
        fingerprint=_fingerprint(rule, op, "callers that must be refused"),
        message=f"{what}: HTTP {first.got}, expected {first.expected}",
        extra={"operation": op, "probe": first.probe, "caller": first.caller,
               "callers": [c.caller for c in cells], "expected": first.expected,
               "got": first.got, "curl": first.curl})


def _single(cell: Cell) -> Finding:
    if cell.outcome == "suspicious":
        rule, severity = "suspicious-access", Severity.INFO
        what = (f"{cell.operation} answers {cell.caller} with a 2xx, but nothing shows it "
                "reached that object")
    elif cell.outcome == "hole":
        rule, severity = PROBES[cell.probe][1], SEVERITY.get(cell.probe, Severity.CRITICAL)
        what = HOLE_TEXT[cell.probe].format(op=cell.operation, who=cell.caller)
    else:
        rule, severity = "auth-server-error", Severity.HIGH
        what = f"{cell.operation} answers a server error instead of refusing {cell.caller}"
    message = (f"{what}: HTTP {cell.got}" if cell.probe in SEVERITY else
               f"{what}: HTTP {cell.got}, expected {cell.expected}")
    if cell.evidence:
        message += f" — {'evidence: ' if cell.outcome == 'hole' else ''}{cell.evidence}"
    extra = {"operation": cell.operation, "probe": cell.probe, "caller": cell.caller,
             "expected": cell.expected, "got": cell.got, "curl": cell.curl}
    if cell.evidence:
        extra["evidence"] = cell.evidence
    return Finding(gate=GATE, rule=rule, tool="gates-authprobe", severity=severity,
                   fingerprint=_fingerprint(rule, cell.operation, cell.caller),
                   message=message, extra=extra)


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
