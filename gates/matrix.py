"""A run spread over CI runners: the matrix of jobs (branch × gate), and the
collection of their per-gate results into one verdict per branch.

Collecting fails closed: a gate the policy requires whose job never reported is
`error`, and parts that tested different commits or policies are an `error` too —
one verdict only ever speaks for one merge result.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gates import policy, subject
from gates.config import Config
from gates.errors import UserError
from gates.model import GateResult, Verdict


class PartError(UserError):
    """A part that is not a verdict: one line naming the file."""


def event_branches(env: Mapping[str, str]) -> list[str]:
    """The branch a GitHub Actions event is about (a pull request's head, a pushed branch)."""
    event = env.get("GITHUB_EVENT_NAME", "")
    if event.startswith("pull_request") and env.get("GITHUB_HEAD_REF"):
        return [env["GITHUB_HEAD_REF"]]
    if event == "push" and env.get("GITHUB_REF", "").startswith("refs/heads/") and \
            env.get("GITHUB_REF_NAME"):
        return [env["GITHUB_REF_NAME"]]
    return []


def jobs(branches: Sequence[str], gates: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    """GitHub Actions' `strategy.matrix` (only `include`: any other key would be an axis)."""
    return {"include": [{"branch": b, "gate": g, "agent": subject.agent_of(b)}
                        for b in branches for g in gates]}


@dataclass
class Part:
    verdict: Verdict
    folder: Path  # where its verdict.json is: the gates' artifact folders are beside it


def find_parts(dirs: Iterable[Path]) -> list[Part]:
    parts = []
    for d in dirs:
        found = [d] if d.is_file() else sorted(d.rglob("verdict.json"))
        for path in found:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                v = Verdict.from_json(data)
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise PartError(f"{path}: not a verdict.json of gates ({e})") from None
            parts.append(Part(v, path.parent))
    return parts


def by_branch(parts: Iterable[Part]) -> dict[str, list[Part]]:
    groups: dict[str, list[Part]] = {}
    for p in parts:
        groups.setdefault(p.verdict.branch, []).append(p)
    return groups


def combine(parts: Sequence[Part], required: Sequence[str], cfg: Config) -> Verdict:
    """One verdict from the parts of one branch (the later result of a gate wins)."""
    ordered = sorted(parts, key=lambda p: p.verdict.started)
    last = ordered[-1].verdict
    results: dict[str, GateResult] = {}
    for p in ordered:
        for r in p.verdict.results:
            results[r.gate] = r
    questions = {(p.verdict.branch_commit, p.verdict.base_commit, p.verdict.tree,
                  p.verdict.config_hash) for p in ordered}
    added: list[GateResult] = []
    if len(questions) > 1:
        shorts = sorted({f"{b[:8]} onto {base[:8]}" for b, base, _, _ in questions})
        added.append(GateResult.error(
            "collect", f"the parts tested different commits or policies ({', '.join(shorts)}): "
                       f"re-run every job on the same commit"))
    if last.tree is not None:
        for name in required:
            if name not in results:
                added.append(GateResult.error(name, "no result was collected: its job did "
                                                    "not finish or did not upload its report"))
    for r in added:
        results[r.gate] = policy.judge(r, cfg.gate(r.gate))
    final = list(results.values())
    passed, reasons = policy.decide(final)
    tools: dict[str, str] = {}
    for p in ordered:
        tools.update(p.verdict.tools)
    return Verdict(
        branch=last.branch, agent=last.agent, base=last.base,
        branch_commit=last.branch_commit, base_commit=last.base_commit, tree=last.tree,
        results=final, passed=passed, reasons=reasons, started=ordered[0].verdict.started,
        duration=max(p.verdict.duration for p in ordered), config_hash=last.config_hash,
        tools=tools,
        report_dir=(Path(cfg["reports_dir"]) / subject.slug(last.branch)
                    / last.branch_commit[:8]).as_posix(),
    )


def stage(repo: Path, v: Verdict, parts: Sequence[Part]) -> None:
    """Gather the gates' artifact folders of the parts into the verdict's staging folder
    (symlinks are left out: a part is data from another machine)."""
    final = repo / v.report_dir
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.run-", dir=final.parent))
    for p in sorted(parts, key=lambda p: p.verdict.started):
        for r in p.verdict.results:
            src = p.folder / r.gate
            if src.is_dir() and not src.is_symlink():
                dest = staging / r.gate
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(src, dest, ignore=_symlinks)
    v.staging = staging.relative_to(repo).as_posix()


def _symlinks(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if Path(folder, n).is_symlink()]

