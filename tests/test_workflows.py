"""The GitHub Actions templates in gates/ci/: they parse, call commands that exist, keep the
untrusted run apart from the trusted poster, and never put ${{ }} inside a script."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gates.cli import parser
from tests.conftest import ROOT

CI = ROOT / "gates" / "ci"
TEMPLATES = sorted(CI.glob("*.yml"))


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((CI / name).read_text())


def triggers(doc: dict[str, Any]) -> dict[str, Any]:
    return doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in job["steps"]]


def gates_commands(doc: dict[str, Any]) -> list[list[str]]:
    """Every `gates …` command line of the workflow's scripts, as argv."""
    out = []
    for step in steps(doc):
        for line in step.get("run", "").splitlines():
            line = line.split(" #", 1)[0].split("||", 1)[0].strip()
            if line.startswith("gates "):
                out.append(shlex.split(line))
    return out


def test_there_are_templates() -> None:
    assert {p.name for p in TEMPLATES} >= {"gates.yml", "gates-publish.yml", "gates-matrix.yml"}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_gates_command_in_a_template_exists_and_parses(path: Path) -> None:
    doc = load(path.name)
    commands = gates_commands(doc)
    known = set(parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for argv in commands:
        assert argv[1] in known, argv
        parser().parse_args(argv[1:])  # SystemExit on an unknown option
    if path.name != "gates-publish.yml":
        assert commands, "the workflow runs gates"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_expression_inside_a_script(path: Path) -> None:
    """`${{ github.head_ref }}` inside `run:` is script injection; values go through env."""
    for step in steps(load(path.name)):
        assert "${{" not in step.get("run", ""), step


def test_the_gates_workflow() -> None:
    doc = load("gates.yml")
    on = triggers(doc)
    assert on["push"]["branches"] == ["*/*", "main"] and "pull_request" in on
    assert doc["permissions"] == {"contents": "read"}  # no write token for branch code
    text = (CI / "gates.yml").read_text()
    assert "secrets." not in text and "pull_request_target" not in text
    assert set(doc["jobs"]) == {"warm", "gates"}
    job = doc["jobs"]["gates"]
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0 and checkout["with"]["persist-credentials"] is False
    runs = [s.get("run", "") for s in job["steps"]]
    assert any('gates run --branch "$BRANCH"' in r for r in runs)
    guard = next(s for s in job["steps"] if "gates guard --ci" in s.get("run", ""))
    assert guard["if"] == "github.event_name == 'pull_request'"
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith(
        "actions/upload-artifact@"))
    assert upload["with"]["name"] == "gates-reports" and upload["with"]["path"] == "reports/"
    assert upload["if"] == "${{ !cancelled() }}"  # the reports of a blocked run too


def test_the_trusted_publisher_runs_no_branch_code() -> None:
    doc = load("gates-publish.yml")
    on = triggers(doc)
    assert on == {"workflow_run": {"workflows": ["gates"], "types": ["completed"]}}
    assert doc["permissions"]["security-events"] == "write"
    uses = [s.get("uses", "") for s in steps(doc)]
    assert not any(u.startswith("actions/checkout") for u in uses)
    download = next(s for s in steps(doc) if s.get("uses", "").startswith(
        "actions/download-artifact@"))
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    sarif = next(s for s in steps(doc) if "upload-sarif" in s.get("uses", ""))
    assert sarif["with"]["sha"] == "${{ github.event.workflow_run.head_sha }}"
    # the pull request number from the artifact is checked against GitHub's own record
    script = next(s["run"] for s in steps(doc) if s.get("id") == "event")
    assert '"$actual" != "$HEAD_SHA"' in script and "*[!0-9]*" in script


def test_the_matrix_workflow_feeds_plan_into_collect() -> None:
    doc = load("gates-matrix.yml")
    jobs = doc["jobs"]
    assert jobs["plan"]["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert jobs["gate"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert jobs["gate"]["needs"] == "plan" and jobs["collect"]["needs"] == ["plan", "gate"]
    assert jobs["collect"]["if"] == "${{ !cancelled() }}"  # collect also when a gate job broke
    names = {argv[1] for argv in gates_commands(doc)}
    assert names == {"plan", "run", "collect", "guard"}
    run_line = next(s["run"] for s in jobs["gate"]["steps"] if "gates run" in s.get("run", ""))
    assert re.search(r'--gate "\$GATE" --no-status \|\| \[ \$\? -eq 1 \]', run_line)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_checkout_fetches_the_whole_history(path: Path) -> None:
    # a shallow clone cannot compute the merge of a branch and its base (gates stops
    # with "this clone is shallow …"): every checkout of a job that judges a branch
    # fetches all of it (`gates warm` scans the base's own files: its tip is enough)
    judging = 0
    for job in load(path.name)["jobs"].values():
        runs = " ".join(s.get("run", "") for s in job["steps"])
        if "gates warm" in runs and "gates run" not in runs:
            continue
        judging += 1
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout"):
                assert step.get("with", {}).get("fetch-depth") == 0, (path.name, step)
    assert judging


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def test_the_base_warms_the_cache_and_only_the_base_saves_it() -> None:
    """A push to the base restores the result cache, runs `gates warm`, saves it; a
    branch's run restores it before `gates run` and never saves it (its results could
    be planted). The cached path is where gates keeps its cache (gates.store)."""
    from gates import store

    doc = load("gates.yml")
    warm, gates = doc["jobs"]["warm"], doc["jobs"]["gates"]
    base_only = "github.event_name == 'push' && github.ref_name == " \
                "github.event.repository.default_branch"
    assert warm["if"] == base_only
    assert "github.ref_name != github.event.repository.default_branch" in gates["if"]
    names = [s.get("uses", "").split("@")[0] or s.get("run", "").split()[:2] for s in
             warm["steps"]]
    order = [names.index("actions/cache/restore"), names.index(["gates", "warm"]),
             names.index("actions/cache/save")]
    assert order == sorted(order), names
    [restore], [save] = _uses(warm, "actions/cache/restore"), _uses(warm, "actions/cache/save")
    assert restore["with"]["path"] == save["with"]["path"]
    assert save["with"]["key"] == "gates-cache-${{ github.sha }}"
    assert restore["with"]["restore-keys"] == "gates-cache-"
    # the branch's job: restore, before the run; never a save, nor the saving actions/cache
    [branch_restore] = _uses(gates, "actions/cache/restore")
    assert not _uses(gates, "actions/cache/save") and not _uses(gates, "actions/cache")
    assert branch_restore["with"]["path"] == restore["with"]["path"]
    assert branch_restore["with"]["restore-keys"] == "gates-cache-"
    steps_ = gates["steps"]
    run_at = next(i for i, s in enumerate(steps_) if "gates run" in s.get("run", ""))
    assert steps_.index(branch_restore) < run_at
    # the path is the cache's: <git dir>/gates/cache.sqlite (and its -wal, -shm)
    rel = store.cache_db(ROOT).relative_to(store.folder(ROOT).parent)
    assert restore["with"]["path"] == f".git/{rel.as_posix()}*"


def test_zizmor_finds_nothing_in_the_templates() -> None:
    """zizmor (GitHub Actions' security linter) over every template, offline, with the
    policy of tests/zizmor.yml: no finding (exit 0)."""
    exe = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    res = subprocess.run([exe, "--offline", "--no-progress", "--config",
                          str(ROOT / "tests" / "zizmor.yml"), *map(str, TEMPLATES)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "No findings" in res.stdout + res.stderr
