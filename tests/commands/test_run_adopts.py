"""A cluster that kept its coordination files before gates arrived: the first `gates run`
adopts them (each block in the section that means the same, placeholders and headline
status lines taken in, every other byte as it was), later runs touch only the blocks,
and CLUSTER_ISSUES.md has one issue per problem. The files are our own, in the shape
real clusters keep."""

from __future__ import annotations

import re
from pathlib import Path

from gates.publish import cluster_issues
from gates.publish.blocks import names, read
from tests.conftest import GitRepo, run_gates

ISSUES = """\
# Distributed AI Cluster Issues & Blockers
**Last Updated**: 2025-06-20 14:30:00 UTC
**Overall Status**: 🔄 MONITORING - No critical blockers

## Current Issues

### 🚨 Critical Issues (Block Development)
*None currently reported*

### ⚠️ High Priority Issues
*None currently reported*

### 📋 Medium Priority Issues
*None currently reported*

### 💡 Low Priority Issues
*None currently reported*

## Issue Reporting Template

```markdown
### 🚨 [CRITICAL] Short title
**Reported By**: AGENT_NAME
**Status**: 🔴 OPEN
```

## Historical Issues Log
*No issues yet - cluster just initialized*

## Quick Reference
- Critical: blocks development, fix first — ü ✓
- Resolved issues move to the log above.

**Cluster Health**: ✅ HEALTHY - No blocking issues
"""

STATUS = """\
# Cluster Status — tool library

**Last Updated**: 2025-06-20 14:30 UTC

## Agents

| Agent | Role | Focus |
|---|---|---|
| IRONWOOD | payments | checkout |

## Decisions
- Money is integer cents.

**Coordination Health**: ✅ GOOD
"""

AGENT = """\
# Agent Status: IRONWOOD
**Role**: payments

## Current Task
Checkout totals with GST.

#### Blockers
- None

## Notes
Hand-written; keep me.
"""

ADOPTED_ISSUES = ["**Last Updated**: 2025-06-20 14:30:00 UTC",
                  "**Overall Status**: 🔄 MONITORING - No critical blockers",
                  *["*None currently reported*"] * 4,
                  "*No issues yet - cluster just initialized*",
                  "**Cluster Health**: ✅ HEALTHY - No blocking issues"]

PAY = """\
def total(items, gst):
    if items == None:
        return 0
    if gst == None:
        gst = 0
    if items[0] == None:
        return 0
    return sum(items) + gst
"""

_BLOCK = re.compile(r"<!-- gates:begin (\S+) -->\n.*?<!-- gates:end \1 -->\n", re.DOTALL)
_HEADING = re.compile(r"^#{1,6} .*$", re.MULTILINE)


def without_blocks(text: str) -> str:
    """The file with every gates block (markers, body, its line end) cut out."""
    return _BLOCK.sub("", text)


def without_lines(text: str, lines: list[str]) -> str:
    for line in lines:
        assert line + "\n" in text, line
        text = text.replace(line + "\n", "", 1)
    return text


def section_of(text: str, name: str) -> str:
    """The heading line above block `name`, outside every block."""
    before = without_blocks(text[:text.index(f"<!-- gates:begin {name} -->")])
    return _HEADING.findall(before)[-1]


def _cluster(repo: GitRepo, **more: str) -> None:
    repo.commit({"CLUSTER_ISSUES.md": ISSUES, "CLUSTER_STATUS.md": STATUS,
                 "AGENT_STATUS_IRONWOOD.md": AGENT}, "coordination files of the cluster")
    repo.branch("ironwood/payments", {"app/pay.py": PAY, **more}, "IRONWOOD: totals")


def _fix(repo: GitRepo, source: str) -> None:
    repo.git("checkout", "-q", "ironwood/payments")
    repo.commit({"app/pay.py": source}, "IRONWOOD: fix")
    repo.git("checkout", "-q", "main")


def test_the_first_run_adopts_the_files_and_later_runs_touch_only_blocks(repo: GitRepo) -> None:
    # problems of two priorities: an undefined name (medium), `== None` on three lines (low)
    _cluster(repo, **{"app/notes.py": "print(total_due)\n"})
    res = run_gates("run", "--branch", "ironwood/payments", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    # it says so, and shows what it did: the placeholder taken into the block
    assert "CLUSTER_ISSUES.md: adopted" in res.stderr, res.stderr
    assert "-*None currently reported*" in res.stderr
    assert "+<!-- gates:begin issues-medium -->" in res.stderr
    issues = repo.read("CLUSTER_ISSUES.md")

    # every block inside the section that means the same; no priority heading added
    assert section_of(issues, "issues-critical") == "### 🚨 Critical Issues (Block Development)"
    assert section_of(issues, "issues-high") == "### ⚠️ High Priority Issues"
    assert section_of(issues, "issues-medium") == "### 📋 Medium Priority Issues"
    assert section_of(issues, "issues-low") == "### 💡 Low Priority Issues"
    assert section_of(issues, "issues-resolved") == "## Historical Issues Log"
    assert _HEADING.findall(without_blocks(issues)) == _HEADING.findall(ISSUES)
    # every byte outside the adopted lines as it was
    assert without_blocks(issues) == without_lines(ISSUES, ADOPTED_ISSUES)

    # nothing outside the blocks says "none" or "healthy"; the headline says what gates knows
    outside = without_blocks(issues)
    for contradiction in ("None currently reported", "No issues yet", "HEALTHY",
                          "No critical blockers"):
        assert contradiction not in outside
    open_, _ = cluster_issues.parse(issues)
    assert "**Overall Status**: 🔴 1 branch blocked by " \
        f"{len(open_)} problem{'s' if len(open_) != 1 else ''} (gates)" in issues
    assert "**Cluster Health**: 🔴 1 branch blocked" in issues
    assert len(open_) == 2
    for bucket, where in (("medium", "app/notes.py:1"), ("low", "app/pay.py")):
        body = read(issues, f"issues-{bucket}") or ""
        assert "lint: `" in body and f"in `{where}" in body, (bucket, body)
    for bucket in ("critical", "high"):
        assert read(issues, f"issues-{bucket}") == "_No open issues from gates._"

    # three lines of one rule and message in one file: one issue naming the three
    e711 = [i for i in open_.values() if i.meta["rule"] == "E711"]
    assert len(e711) == 1, [i.meta for i in open_.values()]
    assert e711[0].meta["places"] == ["app/pay.py:2", "app/pay.py:4", "app/pay.py:6"]
    assert issues.count("#### 💡 lint: `E711`") == 1  # one level below its section
    assert "`app/pay.py:2`, `app/pay.py:4`, `app/pay.py:6`" in issues

    # CLUSTER_STATUS.md has no gates section: the block goes at the end, and it says so
    status = repo.read("CLUSTER_STATUS.md")
    assert "CLUSTER_STATUS.md: no section of its own for status" in res.stderr
    assert "**Coordination Health**: 🔴 1 branch blocked" in status and "GOOD" not in status
    assert status.count("## Merge Gates") == 1
    assert without_blocks(status) == without_lines(
        STATUS, ["**Last Updated**: 2025-06-20 14:30 UTC", "**Coordination Health**: ✅ GOOD"]
    ) + "\n## Merge Gates\n\n"
    # AGENT_STATUS: what blocks the branch, in its own "Blockers" section, for "- None"
    agent = repo.read("AGENT_STATUS_IRONWOOD.md")
    assert section_of(agent, "gates") == "#### Blockers"
    assert "##### `ironwood/payments`: ❌ blocked" in agent  # one level below it
    assert without_blocks(agent) == without_lines(AGENT, ["- None"])

    # a second run changes only the blocks, and adopts nothing
    before = {n: repo.read(n) for n in ("CLUSTER_ISSUES.md", "CLUSTER_STATUS.md",
                                         "AGENT_STATUS_IRONWOOD.md")}
    res = run_gates("run", "--branch", "ironwood/payments", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 1 and "adopted" not in res.stderr, res.stderr
    for name, text in before.items():
        after = repo.read(name)
        assert without_blocks(after) == without_blocks(text), name
        assert names(after) == names(text), name


def test_one_issue_per_problem_stays_until_its_last_line_is_fixed(repo: GitRepo) -> None:
    _cluster(repo)
    assert run_gates("run", "--branch", "ironwood/payments", "--gate", "lint",
                     cwd=repo.path).returncode == 1
    open_, _ = cluster_issues.parse(repo.read("CLUSTER_ISSUES.md"))
    (fp,) = [k for k, i in open_.items() if i.meta["rule"] == "E711"]
    # one line fixed: the same issue, naming the two lines left
    _fix(repo, PAY.replace("if gst == None:", "if gst is None:"))
    assert run_gates("run", "--branch", "ironwood/payments", "--gate", "lint",
                     cwd=repo.path).returncode == 1
    issues = repo.read("CLUSTER_ISSUES.md")
    open_, resolved = cluster_issues.parse(issues)
    assert open_[fp].meta["places"] == ["app/pay.py:2", "app/pay.py:6"]
    assert "RESOLVED" not in issues and resolved == []
    # all three fixed: resolved, in the historical log
    _fix(repo, PAY.replace("== None", "is None"))
    assert run_gates("run", "--branch", "ironwood/payments", "--gate", "lint",
                     cwd=repo.path).returncode == 0
    issues = repo.read("CLUSTER_ISSUES.md")
    open_, resolved = cluster_issues.parse(issues)
    assert open_ == {} and [i.fp for i in resolved] == [fp]
    assert section_of(issues, "issues-resolved") == "## Historical Issues Log"
    assert "✅ **RESOLVED**" in issues and "`E711` in `app/pay.py`," in issues
    assert "**Overall Status**: ✅ 1 branch judged by gates, none blocked" in issues


def test_gates_init_adopts_the_files_without_a_run(repo: GitRepo, tmp_path: Path) -> None:
    _cluster(repo)
    res = run_gates("init", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "CLUSTER_ISSUES.md: adopted" in res.stdout
    issues = repo.read("CLUSTER_ISSUES.md")
    # the blocks are placed and hold the lines they took in, until a run writes them
    assert without_blocks(issues) == without_lines(
        ISSUES, ADOPTED_ISSUES)
    assert "<!-- gates:begin issues-critical -->\n*None currently reported*\n" in issues
    again = run_gates("init", cwd=repo.path)
    assert "adopted" not in again.stdout and repo.read("CLUSTER_ISSUES.md") == issues
    res = run_gates("run", "--branch", "ironwood/payments", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 1 and "adopted" not in res.stderr
    assert without_blocks(repo.read("CLUSTER_ISSUES.md")) == without_blocks(issues)
