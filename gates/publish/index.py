"""reports/latest.json: the latest verdict of every branch (what `gates status` shows)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gates.filelock import atomic_write
from gates.model import Verdict


def entry(v: Verdict) -> dict[str, Any]:
    return {
        "agent": v.agent,
        "verdict": v.label,
        "passed": v.passed,
        "reasons": v.reasons,
        "branch_commit": v.branch_commit,
        "base": v.base,
        "base_commit": v.base_commit,
        "tree": v.tree,
        "started": v.started,
        "duration": round(v.duration, 2),
        "report_dir": v.report_dir,
        "gates": {r.gate: r.status.value for r in v.results},
        "errors": [{"gate": r.gate, "reason": r.reason} for r in v.results
                   if r.status.value == "error" and r.blocking],
        "blocking": [
            {"gate": f.gate, "rule": f.rule, "severity": f.severity.label,
             "location": f.location, "message": f.message}
            for f in v.blocking_findings()
        ],
        # new findings of rules less sure of themselves: shown, never blocking
        "worth_a_look": [
            {"gate": f.gate, "rule": f.rule, "severity": f.severity.label,
             "location": f.location, "message": f.message}
            for r in v.results for f in r.findings if f.extra.get("worth_a_look")
        ],
    }


def read(path: Path) -> dict[str, dict[str, Any]]:
    """The index; an unreadable one counts as empty (it is rebuilt by the next runs)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        branches = data.get("branches", {})
        return branches if isinstance(branches, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def update(path: Path, v: Verdict) -> dict[str, dict[str, Any]]:
    """Record `v`; the caller holds the publish lock."""
    branches = read(path)
    branches[v.branch] = entry(v)
    doc = {"schema": 1, "branches": dict(sorted(branches.items()))}
    atomic_write(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return branches
