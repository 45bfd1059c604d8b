"""Per-file tools on both sides of a merge, through the content-addressed cache.

The pattern every static gate shares: scan the changed files of the merge result
and the base's version of the same files, fingerprint both, mark the branch's
findings new or existing. Each side scans only what the cache does not already
know, in one tool invocation; the base's files are exported only when needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gates import baseline, git
from gates.cache import Cache, per_file
from gates.gate import GateContext
from gates.model import Finding

Scan = Callable[[Path, list[str]], list[Finding]]


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def both_sides(ctx: GateContext, tool: str, salt: str, files: list[str], scan: Scan
               ) -> tuple[list[Finding], dict[str, Any]]:
    """(branch findings with `new` set, cache stats). `scan(root, paths)` runs the tool
    once over `paths` under `root` and returns findings with paths relative to root."""
    ws = ctx.workspace
    assert ws.subject.tree is not None
    cache = Cache.for_repo(ws.repo)

    def scan_branch(paths: list[str]) -> list[Finding]:
        return baseline.fingerprint(scan(ctx.worktree, paths), ctx.worktree)

    def scan_base(paths: list[str]) -> list[Finding]:
        root = ws.base_files(paths, ws.scratch / f"base-{tool}-{ctx.name}")
        present = [p for p in paths if (root / p).is_file()]
        return baseline.fingerprint(scan(root, present), root) if present else []

    branch, s1 = per_file(cache, tool, salt, git.blob_ids(ws.repo, ws.subject.tree, files),
                          scan_branch)
    base, s2 = per_file(cache, tool, salt,
                        git.blob_ids(ws.repo, ws.subject.base_commit, files), scan_base)
    baseline.mark_new(branch, base)
    stats = {"hits": s1["hits"] + s2["hits"], "misses": s1["misses"] + s2["misses"]}
    return branch, stats
