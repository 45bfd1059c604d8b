"""The sample cluster judged once per test session, by every installed gate, as
`gates demo` judges it; tests that read its reports share it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import demo_repo, run_gates


@dataclass(frozen=True)
class Judged:
    repo: Path
    env: dict[str, str]
    output: str

    @property
    def reports(self) -> Path:
        return self.repo / "reports"

    def entry(self, branch: str) -> dict:
        """The branch's line in reports/latest.json."""
        latest = json.loads((self.reports / "latest.json").read_text(encoding="utf-8"))
        return latest["branches"][branch]

    def verdict(self, branch: str) -> dict:
        return json.loads((self.repo / self.entry(branch)["report_dir"] / "verdict.json"
                           ).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def judged_demo(tmp_path_factory: pytest.TempPathFactory) -> Judged:
    repo, env = demo_repo(tmp_path_factory.mktemp("judged"))
    res = run_gates("run", "--all", cwd=repo, env=env, timeout=1500)
    judged = Judged(repo, env, res.stdout + res.stderr)
    assert res.returncode == 1, judged.output  # blocked branches are the point of the demo
    return judged


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test that first asks for the judged cluster pays for `gates run --all` (app
    gates on both sides of every branch): it gets that run's own timeout. Under
    pytest-xdist (`--dist loadgroup`) every test that reads it runs on one worker, so
    the cluster is judged once, not once per worker."""
    for item in items:
        if "judged_demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(1500))
            item.add_marker(pytest.mark.xdist_group("judged-demo"))
