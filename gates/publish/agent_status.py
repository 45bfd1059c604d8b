"""AGENT_STATUS_<AGENT>.md: that agent's branches, verdicts, and what blocks each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gates.publish.blocks import Block
from gates.publish.md import code, esc, when

TEMPLATE = """# AGENT STATUS: {agent}

**Role**: {role}

## Current Task

## Progress

## Merge Gates

"""


def template(agent: str, role: str | None) -> str:
    return TEMPLATE.format(agent=agent, role=role or "(not set)")


def _grouped(blocking: list[Mapping[str, Any]]) -> dict[tuple[str, str, str], list[str]]:
    """One checkbox per problem: the same rule with the same message in several places
    (float money on two lines) is one item naming every place, in the given order."""
    out: dict[tuple[str, str, str], list[str]] = {}
    for f in blocking:
        places = out.setdefault((f["severity"], f["rule"], f["message"]), [])
        where = f["location"] or f["gate"]
        if where not in places:
            places.append(where)
    return out


def render(agent: str, branches: Mapping[str, Mapping[str, Any]], stale: set[str],
           now: str) -> Block:
    lines = [f"**Last Updated**: {when(now)} (by gates)", ""]
    mine = {b: e for b, e in branches.items() if e["agent"] == agent}
    for branch, e in sorted(mine.items()):
        verdict = "✅ may merge" if e["passed"] else "❌ blocked"
        if branch in stale:
            verdict += " (⏳ stale: re-run)"
        lines += [f"### {code(branch)}: {verdict}", "",
                  f"Tested {code(e['branch_commit'][:8])} merged onto {code(e['base'])}@"
                  f"{code(e['base_commit'][:8])} at {when(e['started'])}; "
                  f"report: {code(e['report_dir'] + '/summary.md')}", ""]
        if e["blocking"]:
            lines.append("What blocks it:")
            lines += [f"- [ ] **{esc(sev)}** {', '.join(code(w) for w in where)} "
                      f"{code(rule)}: {esc(message)}"
                      for (sev, rule, message), where in _grouped(e["blocking"]).items()]
            lines.append("")
        if e.get("worth_a_look"):
            lines.append("Worth a look (not blocking: the rule is less sure of these):")
            lines += [f"- **{esc(sev)}** {', '.join(code(w) for w in where)} "
                      f"{code(rule)}: {esc(message)}"
                      for (sev, rule, message), where in _grouped(e["worth_a_look"]).items()]
            lines.append("")
        lines += [f"- [ ] gate **{esc(x['gate'])}** could not run: {esc(x['reason'])}"
                  for x in e.get("errors", [])]
        if not e["passed"]:
            lines += ["", f"Fix, push, then: {code('gates run --branch ' + branch)}", ""]
    return Block("gates", "\n".join(lines), anchor=r"^##\s.*(Merge Gates|Gates)\b",
                 heading="## Merge Gates")
