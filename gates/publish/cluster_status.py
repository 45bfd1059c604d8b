"""CLUSTER_STATUS.md: agents × branches × gates, the latest verdict of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from gates.model import STATUS_EMOJI, Status
from gates.publish.blocks import Block
from gates.publish.md import code, esc, when

TEMPLATE = """# CLUSTER STATUS

**Project**: (describe the project here)

**Overall Status**: (written by gates)

## Agents

| Agent | Role | Current focus |
|---|---|---|

## Merge Gates

"""

STALE = "⏳"
# the block of CLUSTER_STATUS.md, and where adoption looks for its section
SLOT = Block("status", "", anchor=r"^##\s.*(Merge Gates|Gates)\b", heading="## Merge Gates",
             meaning=r"\bgates?\b|\bmerge\b|\bbranch(es)?\b")


def cell(status: str | None) -> str:
    if status is None:
        return "—"
    return f"{STATUS_EMOJI[Status(status)]} {status}"


def render(branches: Mapping[str, Mapping[str, Any]], roles: Mapping[str, str],
           stale: set[str], now: str) -> Block:
    gate_names = sorted({g for e in branches.values() for g in e["gates"]}
                        - {"merge", "policy"})
    head = ["Agent", "Branch", "Verdict", *gate_names, "Tested", "When"]
    rows = [f"**Last Updated**: {when(now)} (by gates)", "",
            "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for branch, e in sorted(branches.items(), key=lambda kv: (kv[1]["agent"], kv[0])):
        verdict = "✅ pass" if e["passed"] else "❌ blocked"
        if branch in stale:
            verdict += f" {STALE} stale"
        role = roles.get(e["agent"].lower())
        agent = f"{esc(e['agent'])}" + (f" ({esc(role)})" if role else "")
        gates = [cell(e["gates"].get(g)) for g in gate_names]
        if "merge" in e["gates"] and e["gates"]["merge"] != "pass":
            verdict += " (conflict)"
        tested = f"{code(e['branch_commit'][:8])} on {code(e['base'])}@{code(e['base_commit'][:8])}"
        rows.append(f"| {agent} | {code(branch)} | {verdict} | " + " | ".join(gates)
                    + f" | {tested} | {when(e['started'])} |")
    n_pass = sum(1 for e in branches.values() if e["passed"])
    rows += ["", f"{n_pass} of {len(branches)} branches may merge."]
    if stale:
        rows[-1] += f" {STALE} stale: the branch or its base moved since its run; re-run it."
    return replace(SLOT, body="\n".join(rows))
