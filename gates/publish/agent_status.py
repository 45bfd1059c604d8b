"""AGENT_STATUS_<AGENT>.md: that agent's branches, verdicts, and what blocks each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from gates.publish import problems
from gates.publish.blocks import Block, section_level
from gates.publish.md import code, esc, when

TEMPLATE = """# AGENT STATUS: {agent}

**Role**: {role}

## Current Task

## Progress

## Merge Gates

"""


# the block of AGENT_STATUS_<AGENT>.md, and where adoption looks for its section
SLOT = Block("gates", "", anchor=r"^##\s.*(Merge Gates|Gates)\b", heading="## Merge Gates",
             meaning=r"\bgates?\b|\bmerge\b|\bbranch(es)?\b|\bblock(ers?|ed|ing)?\b")


def template(agent: str, role: str | None) -> str:
    return TEMPLATE.format(agent=agent, role=role or "(not set)")


def render(agent: str, branches: Mapping[str, Mapping[str, Any]], stale: set[str],
           now: str, text: str = "") -> Block:
    """The agent's block; `text` (the file) sets the level of each branch's heading:
    one below its section's."""
    level = min(6, (section_level(text, SLOT.name) or 2) + 1)
    lines = [f"**Last Updated**: {when(now)} (by gates)", ""]
    mine = {b: e for b, e in branches.items() if e["agent"] == agent}
    for branch, e in sorted(mine.items()):
        verdict = "✅ may merge" if e["passed"] else "❌ blocked"
        if branch in stale:
            verdict += " (⏳ stale: re-run)"
        lines += [f"{'#' * level} {code(branch)}: {verdict}", "",
                  f"Tested {code(e['branch_commit'][:8])} merged onto {code(e['base'])}@"
                  f"{code(e['base_commit'][:8])} at {when(e['started'])}; "
                  f"report: {code(e['report_dir'] + '/summary.md')}", ""]
        if e["blocking"]:
            lines.append("What blocks it:")
            # one checkbox per problem: the same rule and message on several lines of
            # a file (float money on two lines) is one item naming every place
            lines += [f"- [ ] **{esc(f['severity'])}** {', '.join(code(w) for w in where)} "
                      f"{code(f['rule'])}: {esc(f['message'])}"
                      for f, where in problems.grouped(e["blocking"]).values()]
            lines.append("")
        if e.get("worth_a_look"):
            lines.append("Worth a look (not blocking: the rule is less sure of these):")
            lines += [f"- **{esc(f['severity'])}** {', '.join(code(w) for w in where)} "
                      f"{code(f['rule'])}: {esc(f['message'])}"
                      for f, where in problems.grouped(e["worth_a_look"]).values()]
            lines.append("")
        lines += [f"- [ ] gate **{esc(x['gate'])}** could not run: {esc(x['reason'])}"
                  for x in e.get("errors", [])]
        if not e["passed"]:
            lines += ["", f"Fix, push, then: {code('gates run --branch ' + branch)}", ""]
    return replace(SLOT, body="\n".join(lines))
