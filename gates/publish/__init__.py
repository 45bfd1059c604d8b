"""Sinks of a verdict: reports of one run, and the cluster's shared files.

Publishers only write; they never run a tool. Everything shared between runs
(the index and the coordination files) is written under one lock, so runs at
once on different branches lose nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from gates import store
from gates.config import Config
from gates.filelock import atomic_write, locked
from gates.model import Finding, Verdict
from gates.publish import (
    agent_status,
    cluster_issues,
    cluster_status,
    history,
    index,
    junit,
    sarif,
    summary,
)
from gates.publish.blocks import Block, update_file

REPORT_FILES = ("summary.md", "verdict.json", "findings.sarif", "junit.xml")


def write_reports(repo: Path, verdict: Verdict) -> Path:
    """Write the run's reports, then promote its folder to `report_dir` in one rename."""
    out = repo / (verdict.staging or verdict.report_dir)
    links = {name: name for name in REPORT_FILES[1:]}
    md = summary.render(verdict, links)
    files: dict[str, str] = {
        "verdict.json": json.dumps(verdict.to_json(), indent=2, ensure_ascii=False) + "\n",
        "findings.sarif": sarif.render(verdict),
        "junit.xml": junit.render(verdict),
        "summary.md": md,
    }
    for name, text in files.items():
        atomic_write(out / name, text)
    if verdict.staging:
        _promote(repo, out, repo / verdict.report_dir)
        verdict.staging = ""
        out = repo / verdict.report_dir
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(md + "\n")
    return out / "summary.md"


def _promote(repo: Path, staging: Path, final: Path) -> None:
    with locked(store.publish_lock(repo)):
        old = None
        if final.exists():
            old = final.with_name(f".{final.name}.old-{os.getpid()}-{id(staging)}")
            os.rename(final, old)
        os.rename(staging, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def update_cluster(
    repo: Path,
    cfg: Config,
    verdict: Verdict,
    *,
    status_files: bool = True,
    stale: Callable[[dict[str, dict[str, object]]], set[str]] | None = None,
) -> tuple[list[Path], list[str]]:
    """Record the verdict in reports/latest.json and the coordination files.

    Returns (files written, warnings about damaged markers that were repaired)."""
    reports = repo / cfg["reports_dir"]
    written: list[Path] = []
    warnings: list[str] = []
    unwritable: OSError | None = None
    with locked(store.publish_lock(repo)):
        try:
            ignore = reports / ".gitignore"
            if not ignore.exists():
                atomic_write(ignore, "# written by gates: reports are build output\n*\n")
            entries = index.update(reports / "latest.json", verdict)
            history.append(reports / "history.jsonl", verdict)
        except OSError as e:
            # the coordination files are still told (from what the index held), then it fails
            unwritable = e
            entries = index.read(reports / "latest.json")
            entries[verdict.branch] = index.entry(verdict)
        if not status_files:
            if unwritable:
                raise unwritable
            return written, warnings
        stale_set = stale(entries) if stale else set()
        folder = repo / cfg["status_dir"]
        roles = {k.lower(): v for k, v in cfg["agents"].items()}

        path = folder / "CLUSTER_STATUS.md"
        warnings += update_file(path, [cluster_status.render(entries, roles, stale_set,
                                                             verdict.started)],
                                cluster_status.TEMPLATE)
        written.append(path)

        if verdict.agent != "UNASSIGNED":
            path = folder / f"AGENT_STATUS_{verdict.agent}.md"
            block = agent_status.render(verdict.agent, entries, stale_set, verdict.started)
            warnings += update_file(
                path, [block],
                agent_status.template(verdict.agent, roles.get(verdict.agent.lower())))
            written.append(path)

        path = folder / "CLUSTER_ISSUES.md"

        def issues_blocks(text: str) -> list[Block]:
            open_, resolved = cluster_issues.parse(text)
            open_, resolved = cluster_issues.update(open_, resolved, verdict, verdict.started)
            return cluster_issues.render(open_, resolved, cfg["reporter"])

        warnings += update_file(path, issues_blocks, cluster_issues.TEMPLATE)
        written.append(path)
    if unwritable:
        raise unwritable
    return written, warnings


def record_issue(repo: Path, cfg: Config, finding: Finding, branch: str, now: str) -> Path:
    """Open one issue in CLUSTER_ISSUES.md outside a run (an override of the merge guard)."""
    path = repo / cfg["status_dir"] / "CLUSTER_ISSUES.md"
    with locked(store.publish_lock(repo)):
        update_file(path, lambda text: cluster_issues.add(text, finding, branch, now,
                                                          cfg["reporter"]),
                    cluster_issues.TEMPLATE)
    return path
