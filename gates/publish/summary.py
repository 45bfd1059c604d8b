"""summary.md: what a person reads first. Also the GitHub job summary."""

from __future__ import annotations

from gates.model import STATUS_EMOJI, Finding, GateResult, Severity, Status, Verdict, worst_first
from gates.publish.md import block, code, esc, seconds, when
from gates.publish.sections_md import render as render_sections

SEV_EMOJI = {Severity.CRITICAL: "🚨", Severity.HIGH: "⚠️", Severity.MEDIUM: "📋",
             Severity.LOW: "💡", Severity.INFO: "ℹ️"}


def verdict_line(v: Verdict) -> str:
    """`✅ pass`, `❌ blocked`; a pass over gates that did not run says how many, so that
    nobody reads a pass over a gate that tested nothing."""
    if not v.passed:
        return "❌ blocked"
    skipped = not_run(v)
    return "✅ pass" + (f" ({STATUS_EMOJI[Status.SKIPPED]} {len(skipped)} gate"
                       f"{'s' if len(skipped) != 1 else ''} not run)" if skipped else "")


def not_run(v: Verdict) -> list[GateResult]:
    """The gates of a verdict that were skipped."""
    return [r for r in v.results if r.status == Status.SKIPPED]


def _finding(f: Finding) -> str:
    where = code(f.location) if f.location else "—"
    line = f"- {SEV_EMOJI[f.severity]} **{f.severity.label}** {where} {code(f.rule)} — {esc(f.message)}"
    if f.extra.get("worth_a_look"):
        line += f" _(worth a look: {esc(str(f.extra.get('confidence', 'low')))} confidence)_"
    if f.extra.get("curl"):
        line += f"\n  <br>reproduce: {code(f.extra['curl'])}"
    return line


def gate_note(r: GateResult) -> str:
    """The one-line note of a gate's row (summary.md and the run page): why it errored
    or skipped, that it fails without blocking, or that its pass was reused."""
    note = r.reason if r.status in (Status.ERROR, Status.SKIPPED) else ""
    if r.status == Status.FAIL and not r.blocking:
        note = "fails, but does not block"
    cached = r.metrics.get("cached")
    if isinstance(cached, dict) and not note:  # a pass of this exact tree, reused
        note = f"reused: this tree passed at {cached.get('tested', '?')}"
    return note


def _gate_row(r: GateResult) -> str:
    new = sum(1 for f in r.findings if f.new)
    old = len(r.findings) - new
    return (f"| {r.gate} | {STATUS_EMOJI[r.status]} {r.status.value} | {new} | {old} | "
            f"{seconds(r.duration)} | {esc(gate_note(r))} |")


def render(v: Verdict, links: dict[str, str] | None = None) -> str:
    tree = f" → tree {code(v.tree[:10])}" if v.tree else " → **conflict**"
    out = [
        f"# {verdict_line(v)}: {code(v.branch)}",
        "",
        f"{code(v.branch)} @ {code(v.branch_commit[:8])} merged onto {code(v.base)} @ "
        f"{code(v.base_commit[:8])}{tree} · {when(v.started)} · {seconds(v.duration)}",
        "",
    ]
    if v.reasons:
        out += ["**Why it is blocked**", ""] + [f"- {esc(r)}" for r in v.reasons] + [""]
    skipped = not_run(v)
    if skipped:
        out += ["**Not run** (skipped: this verdict says nothing about them)", ""]
        out += [f"- {STATUS_EMOJI[Status.SKIPPED]} **{esc(r.gate)}**: {esc(r.reason)}"
                for r in skipped] + [""]
    out += ["| Gate | Status | New | Existing | Time | Note |",
            "|---|---|---:|---:|---:|---|"]
    out += [_gate_row(r) for r in v.results]
    out.append("")
    blocking = [(r, [f for f in r.findings if f.blocking]) for r in v.results if r.blocking]
    if any(fs for _, fs in blocking):
        out += ["## What blocks the merge", ""]
        for r, fs in blocking:
            if fs:
                out += [f"### {esc(r.gate)} — {len(fs)} blocking", ""]
                out += [_finding(f) for f in worst_first(fs)] + [""]
    errors = [r for r in v.results if r.status == Status.ERROR]
    if errors:
        out += ["## Gates that could not run (they block: fail closed)", ""]
        for r in errors:
            first, _, tail = r.reason.strip().partition("\n")
            out.append(f"- **{esc(r.gate)}**: {esc(first)}")
            if tail.strip():  # a tool's or an app's last lines: verbatim, not run together
                out += ["", *block(tail.rstrip(), indent="  ")]
        out.append("")
    for r in v.results:
        shown = render_sections(r.sections).rstrip()
        if shown:
            out += [f"## {esc(r.gate)}", "", shown, ""]
        arts = [a for a in r.artifacts]
        if arts:
            out += [f"Artifacts of {esc(r.gate)}: " + " · ".join(
                f"[{esc(a)}]({a.replace(' ', '%20')})" for a in arts), ""]
    rest = [f for r in v.results for f in r.findings if not f.blocking]
    if rest:
        out += ["<details><summary>Not blocking: "
                f"{len(rest)} finding(s) (existing debt, below threshold, rules less sure "
                "of themselves, or non-blocking gates)"
                "</summary>", ""]
        out += [_finding(f) for f in worst_first(rest)] + ["", "</details>", ""]
    if links:
        out += ["---", " · ".join(f"[{esc(k)}]({u})" for k, u in links.items()), ""]
    return "\n".join(out)
