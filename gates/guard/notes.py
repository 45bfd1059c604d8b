"""Verdict records: one JSON git note per tested tree, under `refs/notes/gates`.

The key is the tree object a run tested (the merge result), so whatever is
about to land — a merge commit, a fast-forward, a push, a pull request's merge —
is judged by looking up its own tree: tested state equals merged state, or
nothing carries a verdict. A record keeps, per gate, the status of the latest
run of that gate on that tree; runs of some gates (`--gate`, one CI matrix job
each) add up when they judged the same tree from the same base under the same
policy. Overrides of the merge guard are appended, never dropped.

This module is on the merge guard's path: it imports nothing heavy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from gates import git, store
from gates.errors import UserError
from gates.filelock import locked
from gates.model import Verdict

REF = "refs/notes/gates"
SCHEMA = 1


class NoteError(UserError):
    """A note that is not a verdict record (damaged, or written by something else)."""


# -- building and combining records ----------------------------------------------


def record_of(v: Verdict, required: Sequence[str], link: str = "") -> dict[str, Any]:
    """The record of one run (its tree must not be None)."""
    from gates import policy  # the run's side only: the guard never builds records

    gates: dict[str, Any] = {}
    for r in v.results:
        why = policy.decide([r])[1]
        gates[r.gate] = {
            "status": r.status.value,
            "blocking": r.blocking,
            "reason": r.reason,
            "findings": len(r.findings),
            "blocking_findings": sum(1 for f in r.findings if f.blocking),
            "why": why[0] if why else "",
            "started": v.started,
        }
    rec = {
        "schema": SCHEMA,
        "tree": v.tree,
        "branch": v.branch,
        "agent": v.agent,
        "base": v.base,
        "branch_commit": v.branch_commit,
        "base_commit": v.base_commit,
        "config_hash": v.config_hash,
        "tools": dict(v.tools),
        "started": v.started,
        "duration": round(v.duration, 3),
        "report": f"{v.report_dir}/summary.md" if v.report_dir else "",
        "link": link or ci_link(),
        "required": sorted(required),
        "gates": gates,
        "overrides": [],
    }
    return settle(rec)


def ci_link() -> str:
    """The CI run that wrote the record (GitHub Actions), else ""."""
    env = os.environ
    if all(env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")):
        return f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/" \
               f"{env['GITHUB_RUN_ID']}"
    return ""


def _blocks(entry: dict[str, Any]) -> bool:
    return bool(entry.get("blocking", True)) and entry.get("status") in ("fail", "error")


def missing(rec: dict[str, Any]) -> list[str]:
    """Gates the policy requires that never ran on this tree."""
    return sorted(set(rec.get("required", [])) - set(rec.get("gates", {})))


def settle(rec: dict[str, Any]) -> dict[str, Any]:
    """Derive `verdict`, `passed` and `reasons` from the per-gate entries."""
    gates = rec.get("gates", {})
    reasons = [e.get("why") or f"{name}: {e.get('status')}"
               for name, e in sorted(gates.items()) if _blocks(e)]
    rec["passed"] = bool(gates) and not reasons
    rec["reasons"] = reasons
    if not gates:
        rec["verdict"] = "none"
    elif reasons:
        rec["verdict"] = "blocked"
    else:
        rec["verdict"] = "incomplete" if missing(rec) else "pass"
    return rec


def passes(rec: dict[str, Any] | None) -> bool:
    return rec is not None and rec.get("verdict") == "pass"


def _same_question(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Did both judge the same tree from the same base under the same policy?"""
    return all(a.get(k) == b.get(k) for k in ("tree", "base_commit", "config_hash"))


def merge(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """`new` on top of `old`: gate entries add up (the later run of a gate wins) when
    both asked the same question; otherwise the later record wins. Overrides stay."""
    if old is None or not old.get("gates"):
        merged = dict(new)
    elif not new.get("gates"):
        merged = dict(old)
    else:
        later, earlier = (new, old) if new.get("started", "") >= old.get("started", "") \
            else (old, new)
        merged = dict(later)
        if _same_question(old, new):
            gates = dict(earlier.get("gates", {}))
            for name, entry in later.get("gates", {}).items():
                mine = gates.get(name)
                if mine is None or entry.get("started", "") >= mine.get("started", ""):
                    gates[name] = entry
            merged["gates"] = gates
            merged["tools"] = {**earlier.get("tools", {}), **later.get("tools", {})}
    overrides = list((old or {}).get("overrides", []))
    keys = {o.get("key") for o in overrides}
    overrides += [o for o in new.get("overrides", []) if o.get("key") not in keys]
    merged["overrides"] = overrides
    merged["tree"] = new.get("tree") or (old or {}).get("tree")
    return settle(merged)


# -- reading and writing ------------------------------------------------------------


def parse(text: str, tree: str) -> dict[str, Any]:
    try:
        rec = json.loads(text)
    except ValueError:
        raise NoteError(f"the gates note on tree {tree[:12]} is not JSON (damaged)") from None
    if not isinstance(rec, dict) or rec.get("schema") != SCHEMA or \
            not isinstance(rec.get("gates", {}), dict):
        raise NoteError(f"the gates note on tree {tree[:12]} is not a verdict record")
    return rec


def read(repo: Path, tree: str, ref: str = REF) -> dict[str, Any] | None:
    """The record on `tree`, None when there is none; NoteError when it is damaged."""
    text = git.note(repo, ref, tree)
    return None if text is None else parse(text, tree)


def dump(rec: dict[str, Any]) -> str:
    return json.dumps(rec, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def _lock(repo: Path) -> Path:
    return store.notes_lock(repo)


def _read_or_none(repo: Path, tree: str) -> dict[str, Any] | None:
    try:
        return read(repo, tree)
    except NoteError:
        return None  # a damaged note is replaced by a good one


def record(repo: Path, v: Verdict, required: Sequence[str]) -> dict[str, Any] | None:
    """Attach the run's record to its tested tree (None: a conflict has no tree)."""
    if v.tree is None:
        return None
    with locked(_lock(repo)):
        rec = merge(_read_or_none(repo, v.tree), record_of(v, required))
        git.add_note(repo, REF, v.tree, dump(rec))
    return rec


def add_override(repo: Path, tree: str, override: dict[str, Any]) -> bool:
    """Append an override to the record on `tree` (a bare record if it has none);
    False when the same override (its `key`) is there already."""
    with locked(_lock(repo)):
        old = _read_or_none(repo, tree)
        if any(o.get("key") == override["key"] for o in (old or {}).get("overrides", [])):
            return False
        new = {"schema": SCHEMA, "tree": tree, "gates": {}, "required": [],
               "overrides": [override]}
        git.add_note(repo, REF, tree, dump(merge(old, new)))
    return True


def records(repo: Path, ref: str = REF) -> list[dict[str, Any]]:
    """Every readable record under `ref` (damaged notes are left out)."""
    listing = git.notes(repo, ref)
    texts = git.blobs(repo, listing.values())
    out = []
    for obj, blob in listing.items():
        try:
            out.append(parse(texts.get(blob, ""), obj))
        except NoteError:
            continue
    return out


def of_commits(repo: Path, commits: Iterable[str]) -> list[dict[str, Any]]:
    """Records of runs that tested any of `commits` as the branch, newest first."""
    wanted = set(commits)
    found = [r for r in records(repo) if r.get("branch_commit") in wanted and r.get("gates")]
    return sorted(found, key=lambda r: r.get("started", ""), reverse=True)


# -- sharing between machines ------------------------------------------------------------


def remote_ref(remote: str) -> str:
    return f"refs/notes/remotes/{remote}/gates"


def fetch(repo: Path, remote: str) -> tuple[int, int]:
    """Fetch the remote's records and merge them into ours: (new, combined)."""
    theirs_ref = remote_ref(remote)
    if not git.fetch_ref(repo, remote, f"+{REF}:{theirs_ref}"):
        return 0, 0
    with locked(_lock(repo)):
        ours = git.notes(repo, REF)
        theirs = git.notes(repo, theirs_ref)
        both = [o for o in theirs if o in ours and theirs[o] != ours[o]]
        texts = git.blobs(repo, [*(ours[o] for o in both), *(theirs[o] for o in both)])
        git.merge_notes(repo, REF, theirs_ref)  # adds theirs; ours kept where both have one
        combined = 0
        for obj in both:
            try:
                mine = parse(texts[ours[obj]], obj)
            except NoteError:
                mine = None
            try:
                other = parse(texts[theirs[obj]], obj)
            except NoteError:
                continue
            rec = merge(mine, other) if mine is not None else other
            if mine is None or dump(rec) != dump(mine):
                git.add_note(repo, REF, obj, dump(rec))
                combined += 1
    return sum(1 for o in theirs if o not in ours), combined


def push(repo: Path, remote: str) -> int:
    """Merge the remote's records first, then push ours; how many records were pushed."""
    fetch(repo, remote)
    count = len(git.notes(repo, REF))
    if count:
        git.push_ref(repo, remote, f"{REF}:{REF}")
    return count
