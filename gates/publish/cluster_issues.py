"""CLUSTER_ISSUES.md: every blocking problem as one issue in the cluster's format.

One issue per problem (`gates.publish.problems`): the same rule and message on
three lines of a file is one issue naming the three lines, under a fingerprint
that names no line, so it survives a line joining or leaving it. The file itself
is the state: each issue carries its fingerprint and the branches that have it in
a hidden comment, so a clone, a person or another machine sees the same truth.
One issue per fingerprint, never duplicated; a problem that a later run of the
same gate on the same branch no longer sees leaves that branch, and an issue with
no branch left is RESOLVED and moves to the historical log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gates.model import Finding, Severity, Status, Verdict
from gates.publish import problems
from gates.publish.blocks import Block, read, section_level
from gates.publish.md import code, esc, when

TEMPLATE = """# CLUSTER ISSUES

**Overall Status**: (written by gates)

Problems that block an agent or the cluster. Newest first under each priority.
Issues written by gates are kept up to date by gates; add your own anywhere
outside the gates blocks.

## 🚨 Critical Issues

## ⚠️ High Priority

## 📋 Medium Priority

## 💡 Low Priority

## 📜 Historical Log

"""

# what a section of the resolved log is called; a priority heading never says it
_LOG = r"histor|resolved|closed|archive|📜"
_OPEN = rf"^(?!.*({_LOG}))"
# (bucket, emoji, anchor, heading written when missing, meaning: what its section says)
BUCKETS = [
    ("critical", "🚨", r"^##\s.*Critical", "## 🚨 Critical Issues", _OPEN + r".*(critical|🚨)"),
    ("high", "⚠️", r"^##\s.*High", "## ⚠️ High Priority", _OPEN + r".*(\bhigh\b|⚠)"),
    ("medium", "📋", r"^##\s.*Medium", "## 📋 Medium Priority",
     _OPEN + r".*(\bmedium\b|\bmoderate\b|📋)"),
    ("low", "💡", r"^##\s.*Low", "## 💡 Low Priority", _OPEN + r".*(\blow\b|💡)"),
]
RESOLVED = ("resolved", r"^##\s.*(Historical|Resolved)", "## 📜 Historical Log", _LOG)
# the blocks of CLUSTER_ISSUES.md, where adoption looks for their sections
SLOTS = [Block(f"issues-{name}", "", anchor=anchor, heading=heading, meaning=meaning)
         for name, _, anchor, heading, meaning in [*BUCKETS, (RESOLVED[0], "", *RESOLVED[1:])]]
KEEP_RESOLVED = 200
_META = re.compile(r"<!-- gates:issue (\{.*?\}) -->")


def bucket_of(sev: str) -> str:
    return {"info": "low"}.get(sev, sev)


@dataclass
class Issue:
    meta: dict[str, Any]

    @property
    def fp(self) -> str:
        return str(self.meta["fp"])


def parse(text: str) -> tuple[dict[str, Issue], list[Issue]]:
    """(open issues by fingerprint, resolved issues) from our own blocks."""
    open_: dict[str, Issue] = {}
    for name, *_ in BUCKETS:
        for meta in _metas(read(text, f"issues-{name}") or ""):
            open_.setdefault(meta["fp"], Issue(meta))
    resolved = [Issue(m) for m in _metas(read(text, "issues-resolved") or "")
                if m["fp"] not in open_]
    return open_, resolved


def _metas(body: str) -> Iterable[dict[str, Any]]:
    for m in _META.finditer(body):
        try:
            meta = json.loads(m.group(1))
        except ValueError:
            continue
        if isinstance(meta, dict) and isinstance(meta.get("fp"), str):
            meta.setdefault("branches", [])
            yield _regrouped(meta)


def _regrouped(meta: dict[str, Any]) -> dict[str, Any]:
    """An issue an older gates wrote, one per line, under the key of its problem: the
    next run brings its lines together instead of resolving it and opening another."""
    if "places" not in meta and meta.get("rule") != "gate-error" and meta.get("gate"):
        where = str(meta.get("location") or "")
        meta["fp"] = problems.key(str(meta["gate"]), str(meta.get("rule", "")), where,
                                  str(meta.get("message", "")))
        meta["places"] = [where] if where else []
    return meta


def _error_finding(gate: str, reason: str, branch: str) -> Finding:
    return Finding(gate=gate, rule="gate-error", severity=Severity.HIGH, tool="gates",
                   message=f"the {gate} gate could not run: {reason}",
                   fingerprint=problems.error_key(gate, branch))


def _where(f: Finding) -> str:
    """Where: file:line, or the operation of an app gate's finding, so that two issues
    of one rule never share a heading."""
    return f.location or str(f.extra.get("operation") or "")


def problems_of(v: Verdict) -> dict[str, list[Finding]]:
    """The verdict's blocking findings by problem (`gates.publish.problems`): one
    issue for the same rule and message on three lines of a file."""
    current: dict[str, list[Finding]] = {}
    for f in v.blocking_findings():
        current.setdefault(problems.key(f.gate, f.rule, _where(f), f.message), []).append(f)
    for r in v.results:
        if r.status == Status.ERROR and r.blocking:
            f = _error_finding(r.gate, r.reason, v.branch)
            current[f.fingerprint] = [f]
    return current


def update(open_: dict[str, Issue], resolved: list[Issue], v: Verdict,
           now: str) -> tuple[dict[str, Issue], list[Issue]]:
    current = problems_of(v)
    # gates whose silence means "fixed": they ran to the end on this branch
    judged = {r.gate for r in v.results if r.status in (Status.PASS, Status.FAIL)}
    ran = {r.gate for r in v.results}
    by_fp = {i.fp: i for i in resolved}
    for key, found in current.items():
        upsert(open_, by_fp, key, found, v.branch, now)
    for key, issue in list(open_.items()):
        if key in current or v.branch not in issue.meta["branches"]:
            continue
        # a finding is gone only if its gate judged the branch; a gate error is
        # gone once the gate ran again and did not error
        if issue.meta.get("gate") not in (ran if issue.meta.get("rule") == "gate-error"
                                          else judged):
            continue
        issue.meta["branches"].remove(v.branch)
        if not issue.meta["branches"]:
            issue.meta["resolved"] = now
            del open_[key]
            by_fp[key] = issue
    resolved_list = sorted(by_fp.values(), key=lambda i: i.meta.get("resolved", ""),
                           reverse=True)[:KEEP_RESOLVED]
    return open_, resolved_list


def upsert(open_: dict[str, Issue], resolved: dict[str, Issue], key: str,
           found: Sequence[Finding], branch: str, now: str) -> None:
    """Open the issue `key` for the findings of one problem on `branch`: new, reopened,
    or brought up to date (its places are the ones this run found). The first
    finding's `extra` may carry "impact" and "assist" to replace the lines it gets."""
    f = found[0]
    issue = open_.get(key) or resolved.pop(key, None)
    if issue is None:
        issue = Issue({"fp": key, "first": now, "branches": []})
    elif key not in open_:
        issue.meta["reopened"] = now
        issue.meta.pop("resolved", None)
    places = list(dict.fromkeys(_where(x) for x in found if _where(x)))
    issue.meta.update({
        "gate": f.gate, "rule": f.rule, "severity": f.severity.label, "tool": f.tool,
        # the file (or operation) in the heading; every line of it in `places`
        "location": problems.place(_where(f)) if len(places) > 1 else _where(f),
        "places": places,
        "message": f.message, "last": now,
        "curl": f.extra.get("curl", ""),
    })
    for k in ("impact", "assist"):
        if f.extra.get(k):
            issue.meta[k] = f.extra[k]
    if branch not in issue.meta["branches"]:
        issue.meta["branches"].append(branch)
    open_[key] = issue


def add(text: str, f: Finding, branch: str, now: str, reporter: str) -> list[Block]:
    """The blocks of `text` with one more issue (nothing else opened or resolved):
    for what is found outside a run, such as an override of the merge guard."""
    open_, resolved = parse(text)
    by_fp = {i.fp: i for i in resolved}
    upsert(open_, by_fp, f.fingerprint, [f], branch, now)
    return render(open_, list(by_fp.values()), reporter, text)


def _meta_comment(meta: dict[str, Any]) -> str:
    raw = json.dumps(meta, sort_keys=True, ensure_ascii=False)
    return "<!-- gates:issue " + raw.replace("<", "\\u003c").replace(">", "\\u003e") + " -->"


def _render_open(issue: Issue, reporter: str, emoji: str, level: int = 3) -> str:
    m = issue.meta
    where = f" in {code(m['location'])}" if m.get("location") else ""
    branches = ", ".join(code(b) for b in m["branches"])
    agents = sorted({b.split("/", 1)[0].upper() for b in m["branches"] if "/" in b})
    first = m["branches"][0]
    seen = when(m["first"]) + (f" (last seen {when(m['last'])})" if m.get("last") != m["first"]
                              else "")
    lines = [
        f"{'#' * level} {emoji} {esc(m.get('gate', ''))}: {code(m.get('rule', ''))}{where}",
        _meta_comment(m),
        "",
        f"- **Reported By**: {esc(reporter)}" + ("" if reporter == "gates" else " (gates)"),
        f"- **Timestamp**: {seen}",
        f"- **Category**: {esc(m.get('gate', ''))}"
        + (f" ({esc(m['tool'])})" if m.get("tool") else ""),
        f"- **Impact**: {esc(m['impact']) if m.get('impact') else 'blocks the merge of ' + branches}",
        f"- **Details**: {esc(m.get('message', ''))}",
    ]
    if len(m.get("places") or []) > 1:
        lines.append(f"- **Lines**: {', '.join(code(p) for p in m['places'])}")
    if m.get("curl"):
        lines.append(f"- **Reproduce**: {code(m['curl'])}")
    lines += [
        "- **Attempted Solutions**: none yet (found by an automated gate)",
        f"- **Assistance Needed**: {esc(m['assist'])}" if m.get("assist") else
        f"- **Assistance Needed**: {esc(', '.join(agents) or 'the branch owner')} to fix it, "
        f"then re-run {code('gates run --branch ' + first)}",
        "- **Status**: 🔴 OPEN" + (f" (reopened {when(m['reopened'])})" if m.get("reopened")
                                  else ""),
        "",
    ]
    return "\n".join(lines)


def _render_resolved(issue: Issue) -> str:
    m = issue.meta
    where = f" in {code(m['location'])}" if m.get("location") else ""
    return (f"- ✅ **RESOLVED** {when(m['resolved'])}: {esc(m.get('gate', ''))} "
            f"{code(m.get('rule', ''))}{where}, first reported {when(m['first'])}\n"
            f"  {_meta_comment(m)}")


def render(open_: dict[str, Issue], resolved: list[Issue], reporter: str,
           text: str = "") -> list[Block]:
    """The blocks of CLUSTER_ISSUES.md; `text` (the file) sets the level of each issue's
    heading: one below its section's (`### 🚨 Critical` holds `#### 🚨 …` issues)."""
    blocks = []
    for slot, (name, emoji, *_) in zip(SLOTS, BUCKETS, strict=False):
        mine = [i for i in open_.values() if bucket_of(i.meta.get("severity", "low")) == name]
        mine.sort(key=lambda i: i.meta.get("first", ""), reverse=True)
        level = min(6, (section_level(text, slot.name) or 2) + 1)
        body = "\n".join(_render_open(i, reporter, emoji, level) for i in mine) or \
            "_No open issues from gates._"
        blocks.append(replace(slot, body=body))
    body = "\n".join(_render_resolved(i) for i in resolved) or "_Nothing resolved yet._"
    blocks.append(replace(SLOTS[-1], body=body))
    return blocks
