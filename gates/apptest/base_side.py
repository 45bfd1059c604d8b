"""The base's side of an app gate: what the same probe or fuzz run finds on the base's
app, so that the branch is judged on what it adds.

The base's app is started from the base commit (as the perf gate does) and tested the
same way (same config, seed, users and values); its findings are kept in the result
cache under the base commit, the config and the gate's code, so every branch against
that base reuses them ("base: reused"). A base that cannot be tested (no app there,
its login fails) counts as having no findings: everything the branch shows is new.
A branch whose merge result is the base's own tree is its own base; one that shows
nothing that could block (info notes at most) needs no base unless one is cached.

`judge` marks each branch finding new or existing by fingerprint (`gates.baseline`)
and returns the base's findings the branch no longer shows: fixed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gates import baseline, cache, git
from gates.apptest.app import AppNotConfigured, RunningApp
from gates.errors import UserError
from gates.gate import GateContext, GateError
from gates.model import Bullets, Finding, Paragraph, Section, Severity, Text, code, plain

STORE_TOOL = "app-base"


@dataclass
class BaseSide:
    commit: str
    state: str  # "reused" | "tested" | "same tree" | "not needed" | "not tested"
    detail: str  # when it was tested, or why it was not
    findings: list[Finding]


def run(ctx: GateContext, module: str, test: Callable[[RunningApp], list[Finding]],
        branch: list[Finding]) -> BaseSide:
    """The base's findings: from the cache, else `test(app)` on the base's app — unless
    none of the `branch`'s findings could block (info notes only): then the base's app
    is not started, and only a cached base says what the branch fixed."""
    ws = ctx.workspace
    commit = ws.subject.base_commit
    if ws.subject.tree is not None and git.tree_of(ws.repo, commit) == ws.subject.tree:
        return BaseSide(commit, "same tree", "the branch changes nothing", [])
    k = cache.base_key(ctx.name, module, ctx)
    store = cache.Cache.for_repo(ws.repo)
    stored = None if ws.fresh else store.get_many([k]).get(k)
    if isinstance(stored, dict) and isinstance(stored.get("findings"), list):
        try:
            found = [Finding.from_json(f) for f in stored["findings"]]
            return BaseSide(commit, "reused", f"tested {stored.get('at', '?')}", found)
        except (TypeError, KeyError, ValueError):
            pass  # damaged: test again
    if not any(f.severity > Severity.INFO for f in branch):
        return BaseSide(commit, "not needed", "the branch shows nothing that could block", [])
    try:
        with ctx.app(tree=ws.base_worktree(), label="base") as app:
            found = test(app)
    except AppNotConfigured:
        raise
    except (GateError, UserError) as e:  # the base has no working app, or not this one
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return BaseSide(commit, "not tested", reason, [])
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    store.put_many({k: {"findings": [f.to_json() for f in found], "at": at}}, STORE_TOOL)
    return BaseSide(commit, "tested", f"tested {at}", found)


def judge(branch: list[Finding], side: BaseSide) -> list[Finding]:
    """Mark `branch` new/existing against the base; the base's findings it fixed."""
    base = branch if side.state == "same tree" else side.findings
    baseline.mark_new(branch, base)
    shown = {f.fingerprint for f in branch}
    return [f for f in base if f.fingerprint not in shown]


def metrics(side: BaseSide, branch: list[Finding], fixed: list[Finding]) -> dict[str, object]:
    return {"state": side.state, "commit": side.commit, "detail": side.detail,
            "findings": len(side.findings) if side.state != "same tree" else len(branch),
            "new": sum(1 for f in branch if f.new),
            "existing": sum(1 for f in branch if not f.new),
            "fixed": [{"rule": f.rule, "message": f.message, "fingerprint": f.fingerprint}
                      for f in fixed]}


def sections(side: BaseSide, branch: list[Finding], fixed: list[Finding]) -> list[Section]:
    """"base: reused" (or tested, …), which side showed what, and what the branch fixed."""
    new = sum(1 for f in branch if f.new)
    on_base = len(side.findings) if side.state != "same tree" else len(branch)
    head = Paragraph([
        Text(f"base: {side.state}", strong=True),
        plain(f" ({side.commit[:8]}, {side.detail}). The base showed {on_base} finding(s); "
              f"the branch shows {len(branch)}: {new} new, {len(branch) - new} existing "
              f"(existing ones do not block under block_on = \"new\"); {len(fixed)} fixed."),
    ])
    out: list[Section] = [head]
    if fixed:
        out.append(Bullets([[plain("fixed: "), code(f.rule), plain(" " + f.message)]
                            for f in fixed]))
    return out
