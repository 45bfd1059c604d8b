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
from typing import Any

from gates import store
from gates.config import Config
from gates.filelock import atomic_write, locked
from gates.model import Finding, Verdict
from gates.publish import (
    agent_status,
    cluster_issues,
    cluster_status,
    headline,
    history,
    index,
    junit,
    sarif,
    summary,
)
from gates.publish.adopt import adopter
from gates.publish.blocks import Block, update_file
from gates.publish.problems import count as count_problems

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
    told: list[str] | None = None,
) -> tuple[list[Path], list[str]]:
    """Record the verdict in reports/latest.json and the coordination files.

    Returns (files written, warnings about damaged markers that were repaired); what
    adoption did to a file that had no gates blocks yet is appended to `told`."""
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
        now = verdict.started

        def state(of: dict[str, dict[str, Any]], problems: int | None = None) -> str:
            blocked, found = count_problems(of)
            return headline.phrase(blocked, found if problems is None else problems, len(of))

        path = folder / "CLUSTER_STATUS.md"
        warnings += update_file(
            path, lambda text: [cluster_status.render(entries, roles, stale_set, now),
                                *headline.render(text, state(entries), now)],
            cluster_status.TEMPLATE, adopt=adopter([cluster_status.SLOT]), told=told)
        written.append(path)

        if verdict.agent != "UNASSIGNED":
            path = folder / f"AGENT_STATUS_{verdict.agent}.md"
            mine = {b: e for b, e in entries.items() if e["agent"] == verdict.agent}
            warnings += update_file(
                path, lambda text: [agent_status.render(verdict.agent, entries, stale_set, now,
                                                        text),
                                    *headline.render(text, state(mine), now)],
                agent_status.template(verdict.agent, roles.get(verdict.agent.lower())),
                adopt=adopter([agent_status.SLOT]), told=told)
            written.append(path)

        path = folder / "CLUSTER_ISSUES.md"

        def issues_blocks(text: str) -> list[Block]:
            open_, resolved = cluster_issues.parse(text)
            open_, resolved = cluster_issues.update(open_, resolved, verdict, now)
            return [*cluster_issues.render(open_, resolved, cfg["reporter"], text),
                    *headline.render(text, state(entries, len(open_)), now)]

        warnings += update_file(path, issues_blocks, cluster_issues.TEMPLATE,
                                adopt=adopter(cluster_issues.SLOTS), told=told)
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
                    cluster_issues.TEMPLATE, adopt=adopter(cluster_issues.SLOTS))
    return path


def adopt_files(repo: Path, cfg: Config) -> list[str]:
    """`gates init`: place the gates blocks in the coordination files that exist and
    have none yet (their own sections, placeholder and headline lines; see
    `gates.publish.adopt`), writing nothing else. Returns what it did, per file."""
    folder = repo / cfg["status_dir"]
    files: list[tuple[Path, list[Block]]] = [
        (folder / "CLUSTER_STATUS.md", [cluster_status.SLOT]),
        (folder / "CLUSTER_ISSUES.md", cluster_issues.SLOTS),
        *((p, [agent_status.SLOT]) for p in sorted(folder.glob("AGENT_STATUS_*.md"))),
    ]
    told: list[str] = []
    with locked(store.publish_lock(repo)):
        for path, slots in files:
            if path.is_file():
                # the blocks keep what adoption took in until the first run writes them
                update_file(path, [], adopt=adopter(slots), told=told)
    return told
