from __future__ import annotations

from pathlib import Path

from gates import matrix
from gates.config import validate
from gates.model import GateResult, Status, Verdict


def part(tmp_path: Path, gate: str, started: str, *, branch_commit: str = "c" * 40,
         status: Status = Status.PASS) -> matrix.Part:
    v = Verdict(branch="walnut/catalog", agent="WALNUT", base="main",
                branch_commit=branch_commit, base_commit="b" * 40, tree="t" * 40,
                results=[GateResult(gate=gate, status=status)], passed=True, reasons=[],
                started=started, duration=2.0, config_hash="p", tools={gate: "1"})
    folder = tmp_path / gate
    (folder / gate).mkdir(parents=True)
    (folder / gate / "log.txt").write_text(gate)
    return matrix.Part(v, folder)


def test_event_branches() -> None:
    assert matrix.event_branches({"GITHUB_EVENT_NAME": "pull_request",
                                  "GITHUB_HEAD_REF": "walnut/x"}) == ["walnut/x"]
    assert matrix.event_branches({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/a/b",
                                  "GITHUB_REF_NAME": "a/b"}) == ["a/b"]
    assert matrix.event_branches({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1",
                                  "GITHUB_REF_NAME": "v1"}) == []
    assert matrix.event_branches({}) == []


def test_jobs_has_only_include() -> None:
    assert matrix.jobs(["a/b"], ["lint"]) == {
        "include": [{"branch": "a/b", "gate": "lint", "agent": "A"}]}


def test_combine_and_stage(tmp_path: Path) -> None:
    cfg = validate({}, "defaults")
    parts = [part(tmp_path, "probe", "2026-01-01T10:01:00Z"),
             part(tmp_path, "lint", "2026-01-01T10:00:00Z")]
    v = matrix.combine(parts, ["lint", "probe"], cfg)
    assert v.passed and [r.gate for r in v.results] == ["lint", "probe"]
    assert v.started == "2026-01-01T10:00:00Z" and v.duration == 2.0
    assert v.tools == {"lint": "1", "probe": "1"}
    assert v.report_dir == "reports/walnut__catalog/cccccccc"
    repo = tmp_path / "repo"
    repo.mkdir()
    (parts[0].folder / "probe" / "link").symlink_to("/etc/passwd")
    matrix.stage(repo, v, parts)
    staged = repo / v.staging
    assert (staged / "lint/log.txt").read_text() == "lint"
    assert not (staged / "probe/link").exists()  # a part is data: its symlinks stay out

    missing = matrix.combine(parts[:1], ["lint", "probe"], cfg)
    assert not missing.passed and missing.reasons[0].startswith("lint: error: no result")

    odd = part(tmp_path / "odd", "lint", "2026-01-01T11:00:00Z", branch_commit="d" * 40)
    mixed = matrix.combine([parts[0], odd], ["lint", "probe"], cfg)
    assert not mixed.passed and any(r.startswith("collect: error") for r in mixed.reasons)
