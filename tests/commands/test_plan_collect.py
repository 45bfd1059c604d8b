"""`gates plan` and `gates collect`, run the way gates/ci/gates-matrix.yml runs them: the
template's own command lines, with the GITHUB_* variables Actions sets, each gate's
job in a clone of its own (a runner), their reports gathered into one verdict."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gates.guard import notes
from tests.conftest import ROOT, GitRepo, lint_only, plugin_env, plugin_path, run_gates

PROBE = """
from gates.model import Finding, GateResult, Severity, Status


class Probe:
    name = "probe"
    needs_app = False

    def applies(self, ctx):
        return True

    def run(self, ctx):
        findings = []
        if (ctx.worktree / "PROBE_FAIL").exists():
            findings.append(Finding(gate="probe", rule="probe-says-no", path="PROBE_FAIL",
                                    message="the probe says no", severity=Severity.HIGH))
        return GateResult(gate="probe", status=Status.PASS, findings=findings,
                          metrics={"tools": {"probe": "1.0"}})


GATE = Probe()
"""
CLEAN = "def tools() -> list[str]:\n    return []\n"


def template_line(job: str, marker: str) -> list[str]:
    """The command of gates/ci/gates-matrix.yml's job that contains `marker`, as argv."""
    doc = yaml.safe_load((ROOT / "gates" / "ci" / "gates-matrix.yml").read_text())
    for step in doc["jobs"][job]["steps"]:
        for line in step.get("run", "").splitlines():
            if marker in line:
                return shlex.split(line.split(" #", 1)[0].split("||", 1)[0])
    raise AssertionError(f"{marker} not in job {job}")


def expand(argv: list[str], values: dict[str, str]) -> list[str]:
    return [values.get(a[1:], a) if a.startswith("$") else a for a in argv]


@pytest.fixture
def cluster(tmp_path: Path, repo: GitRepo) -> tuple[GitRepo, dict[str, str]]:
    lint_only(repo)  # the probe plugin is not installed here, so it stays enabled
    site = plugin_path(tmp_path, "probe", PROBE)
    env = plugin_env(site)
    repo.branch("walnut/catalog", {"app/catalog.py": CLEAN}, "WALNUT: catalog")
    repo.branch("ironwood/payments", {"app/pay.py": CLEAN, "PROBE_FAIL": "x\n"}, "IRONWOOD")
    return repo, env


def push_event(branch: str, out: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push",
            "GITHUB_REF": f"refs/heads/{branch}", "GITHUB_REF_NAME": branch,
            "GITHUB_OUTPUT": str(out), "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "cluster/toollib", "GITHUB_RUN_ID": "4242"}


def run_matrix(tmp_path: Path, repo: GitRepo, env: dict[str, str], branch: str,
               skip: tuple[str, ...] = ()) -> tuple[list[dict[str, str]], Path]:
    """plan, then every job of the matrix on a runner of its own; returns the jobs and
    the folder their reports were downloaded into."""
    out = tmp_path / f"output-{branch.replace('/', '_')}"
    ci = {**env, **push_event(branch, out)}
    res = run_gates(*template_line("plan", "gates plan")[1:], cwd=repo.path, env=ci)
    assert res.returncode == 0, res.stderr
    jobs = json.loads(res.stdout)["include"]
    assert out.read_text() == f"matrix={res.stdout.strip()}\n"
    parts = repo.path / "parts"  # where the collect job downloads the artifacts
    shutil.rmtree(parts, ignore_errors=True)
    for i, job in enumerate(jobs):
        if job["gate"] in skip:
            continue  # a runner that died before uploading
        runner = tmp_path / f"runner-{branch.replace('/', '_')}-{i}"
        subprocess.run(["git", "clone", "-q", str(repo.path), str(runner)], check=True)
        argv = expand(template_line("gate", "gates run"), {"BRANCH": job["branch"],
                                                         "GATE": job["gate"]})
        res = run_gates(*argv[1:], cwd=runner, env=ci)
        assert res.returncode in (0, 1), res.stdout + res.stderr
        shutil.copytree(runner / "reports", parts / f"gates-part-{i}")
    return jobs, parts


def test_plan_prints_the_matrix(cluster: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    repo, env = cluster
    res = run_gates("plan", "--json", "--branch", "walnut/catalog", cwd=repo.path, env=env)
    assert json.loads(res.stdout) == {"include": [
        {"branch": "walnut/catalog", "gate": "lint", "agent": "WALNUT"},
        {"branch": "walnut/catalog", "gate": "probe", "agent": "WALNUT"}]}
    res = run_gates("plan", "--json", "--all", "--gate", "lint", cwd=repo.path, env=env)
    assert [(j["branch"], j["gate"]) for j in json.loads(res.stdout)["include"]] == \
        [("ironwood/payments", "lint"), ("walnut/catalog", "lint")]
    pr = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_HEAD_REF": "ironwood/payments",
          "GITHUB_BASE_REF": "main"}
    res = run_gates("plan", "--json", cwd=repo.path, env={**env, **pr})
    assert {j["branch"] for j in json.loads(res.stdout)["include"]} == {"ironwood/payments"}
    res = run_gates("plan", "--branch", "walnut/catalog", cwd=repo.path, env=env)
    assert res.stdout.split("\n")[:2] == ["walnut/catalog  lint", "walnut/catalog  probe"]
    res = run_gates("plan", "--json", cwd=repo.path, env={"GITHUB_EVENT_NAME": ""})
    assert res.returncode == 2 and "which branches?" in res.stderr
    res = run_gates("plan", "--gate", "nope", "--all", cwd=repo.path)
    assert res.returncode == 2 and "unknown gate 'nope'" in res.stderr


def test_jobs_on_separate_runners_collect_into_one_verdict(
        cluster: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    repo, env = cluster
    jobs, _ = run_matrix(tmp_path, repo, env, "walnut/catalog")
    assert [j["gate"] for j in jobs] == ["lint", "probe"]
    res = run_gates(*template_line("collect", "gates collect")[1:], cwd=repo.path, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    index = json.loads((repo.path / "reports/latest.json").read_text())
    entry = index["branches"]["walnut/catalog"]
    v = json.loads((repo.path / entry["report_dir"] / "verdict.json").read_text())
    assert v["verdict"] == "pass" and sorted(g["gate"] for g in v["gates"]) == ["lint", "probe"]
    assert v["tools"]["probe"] == "1.0" and "ruff" in v["tools"]
    assert v["tree"] == repo.git("merge-tree", "--write-tree", "main", "walnut/catalog")
    # the collected verdict is recorded on the tested tree: the merge guard takes it
    rec = notes.read(repo.path, v["tree"])
    assert rec is not None and rec["verdict"] == "pass"
    assert sorted(rec["gates"]) == ["lint", "probe"]
    assert run_gates("guard", "walnut/catalog", cwd=repo.path, env=env).returncode == 0


def test_a_failing_gate_job_blocks_the_collected_verdict(
        cluster: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    repo, env = cluster
    _, parts = run_matrix(tmp_path, repo, env, "ironwood/payments")
    res = run_gates("collect", str(parts), "--no-status", cwd=repo.path, env=env)
    assert res.returncode == 1
    assert "probe-says-no" in res.stdout


def test_a_job_that_never_reported_is_an_error(
        cluster: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    repo, env = cluster
    _, parts = run_matrix(tmp_path, repo, env, "walnut/catalog", skip=("probe",))
    res = run_gates("collect", str(parts), "--no-status", cwd=repo.path, env=env)
    assert res.returncode == 1
    assert "error probe: no result was collected" in " ".join(res.stdout.split())


def test_parts_of_different_commits_do_not_make_one_verdict(
        cluster: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    repo, env = cluster
    parts = tmp_path / "parts"
    assert run_gates("run", "--branch", "walnut/catalog", "--gate", "lint", "--no-status", "-q",
                     cwd=repo.path, env=env).returncode == 0
    shutil.copytree(repo.path / "reports", parts / "lint")
    repo.git("checkout", "-q", "walnut/catalog")
    repo.commit({"app/more.py": CLEAN}, "more")
    repo.git("checkout", "-q", "main")
    assert run_gates("run", "--branch", "walnut/catalog", "--gate", "probe", "--no-status", "-q",
                     cwd=repo.path, env=env).returncode == 0
    shutil.copytree(repo.path / "reports", parts / "probe")
    res = run_gates("collect", str(parts / "lint"), str(parts / "probe"), "--no-status",
                    cwd=repo.path, env=env)
    assert res.returncode == 1
    assert "the parts tested different commits or policies" in " ".join(res.stdout.split())


def test_collect_bad_input_is_one_line(tmp_path: Path, repo: GitRepo) -> None:
    res = run_gates("collect", str(tmp_path), cwd=repo.path)
    assert res.returncode == 2 and res.stderr.startswith("gates: error: no verdict.json under")
    (tmp_path / "verdict.json").write_text("{}")
    res = run_gates("collect", str(tmp_path), cwd=repo.path)
    assert res.returncode == 2 and "not a verdict.json of gates" in res.stderr
