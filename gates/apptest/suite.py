"""A repo's own pytest suite run against the app a gate started (the e2e and auth
gates): its paths checked, its output kept, its JUnit read — and every way it can
go wrong that is not a failing test ends as `GateError`, never a pass."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from gates import git
from gates.apptest import junit as junit_parse
from gates.apptest.app import RunningApp
from gates.apptest.junit import TestCase
from gates.gate import GateContext, GateError
from gates.model import Finding, Severity

OUTPUT_TAIL = 1500  # characters of a tool's output quoted in a reason
# a deleted test file this similar (lines) to a file the branch adds under the same
# test paths was moved, not deleted (git's default rename threshold)
MOVED_SIMILARITY = 0.5


def check_paths(root: Path, tests: Sequence[str], what: str) -> None:
    """Every configured path exists inside the tree under test."""
    root = root.resolve()
    missing = [t for t in tests
               if not (root / t).resolve().is_relative_to(root) or not (root / t).exists()]
    if missing:
        raise GateError(f"the configured {what} are not in the tree under test: "
                        + ", ".join(missing))


def _roots(tests: Sequence[str]) -> list[str]:
    roots = []
    for t in tests:
        r = Path(str(t).strip()).as_posix().strip("/")
        roots.append("" if r in ("", ".") else r)
    return roots


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(not r or path == r or path.startswith(r + "/") for r in roots)


def deleted_tests(ctx: GateContext, tests: Sequence[str], what: str) -> list[Finding]:
    """A blocking finding for each file under the configured test paths that the base
    has and the merge result deletes: a branch cannot pass by deleting tests. A file
    moved within the test paths is not deleted: its exact content is still there, or
    at least half its lines (git's default rename threshold) are in a file the branch
    adds there. A move out of the test paths is a deletion."""
    roots = _roots(tests)
    gone = sorted(p for p in ctx.deleted if roots and _under(p, roots))
    if not gone:
        return []
    repo, subj = ctx.workspace.repo, ctx.subject
    assert subj.tree is not None
    before = git.blob_ids(repo, subj.base_commit, gone)
    after = {p: oid for p, oid in git.blob_ids(repo, subj.tree, [r for r in roots if r] or None,
                                               regular=True).items() if _under(p, roots)}
    new_paths = {c.path for c in subj.changed if c.status == "A"}
    added = {oid for p, oid in after.items() if p in new_paths}
    present = set(after.values())
    gone = [p for p in gone if before.get(p) not in present]
    if gone and added:
        texts = git.blobs(repo, [*(before[p] for p in gone if p in before), *added])
        gone = [p for p in gone if not _similar(texts.get(before.get(p, ""), ""),
                                                [texts.get(o, "") for o in added])]
    return [Finding(gate=ctx.name, rule="tests-deleted", severity=Severity.HIGH, path=p,
                    tool="gates", fingerprint=hashlib.sha256(
                        f"{ctx.name}\0tests-deleted\0{p}".encode()).hexdigest()[:16],
                    message=f"the branch deletes {p}, one of the {what} "
                    f"(configured: {', '.join(tests)}); base {subj.base_commit[:8]} has it")
            for p in gone]


def _similar(text: str, candidates: Sequence[str]) -> bool:
    lines = text.splitlines()
    for c in candidates:
        m = difflib.SequenceMatcher(None, lines, c.splitlines(), autojunk=False)
        if (lines and m.real_quick_ratio() >= MOVED_SIMILARITY
                and m.quick_ratio() >= MOVED_SIMILARITY and m.ratio() >= MOVED_SIMILARITY):
            return True
    return False


def run(ctx: GateContext, app: RunningApp, cmd: Sequence[str], *, junit: Path,
        env: Mapping[str, str], what: str, none_collected: str) -> tuple[list[TestCase], str]:
    """Run `cmd` (pytest writing `junit`) in the tree; its test cases and output.
    `pytest.log` goes to the gate's artifacts."""
    res = ctx.run(list(cmd), cwd=ctx.worktree, env=dict(env))
    output = res.output
    (ctx.artifacts / "pytest.log").write_text(output + "\n", encoding="utf-8")
    if res.returncode == 5:
        raise GateError(none_collected)
    if res.returncode not in (0, 1):
        raise GateError(f"pytest could not run the {what} (exit {res.returncode}):\n"
                        f"{output[-OUTPUT_TAIL:]}")
    if not app.alive():
        raise GateError(f"the app died during the {what} (exit {app.process.returncode}); "
                        f"last lines of its log:\n{app.log_tail()}")
    cases = junit_parse.parse_junit(junit)
    if res.returncode == 1 and not any(c.outcome in junit_parse.FAILED for c in cases):
        raise GateError(f"pytest failed without a failing test:\n{output[-OUTPUT_TAIL:]}")
    return cases, output
