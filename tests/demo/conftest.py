"""The sample cluster judged once per test session, by every installed gate, as
`gates demo` judges it; tests that read its reports share it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from gates.filelock import atomic_write, locked
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
    """Judged once per run: under pytest-xdist the first worker that asks judges the
    cluster in the run's shared temporary folder while the others wait on its lock, then
    they all read it (xdist_group alone does not keep them on one worker: with
    pytest 9.2, pytest-xdist 3.8's `--dist loadgroup` no longer groups)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's popen-gwN
    done = root / "judged-demo.json"
    with locked(root / "judged-demo.lock"):
        if not done.exists():
            repo, env = demo_repo(root / "judged-demo")
            res = run_gates("run", "--all", cwd=repo, env=env, timeout=1500)
            atomic_write(done, json.dumps({"repo": str(repo), "env": env, "code": res.returncode,
                                           "output": res.stdout + res.stderr}))
    saved = json.loads(done.read_text(encoding="utf-8"))
    judged = Judged(Path(saved["repo"]), saved["env"], saved["output"])
    assert saved["code"] == 1, judged.output  # blocked branches are the point of the demo
    return judged


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test that first asks for the judged cluster pays for `gates run --all` (app
    gates on both sides of every branch): it gets that run's own timeout, and so does
    every test that reads it (under pytest-xdist another worker's test may wait for it).
    With `--dist loadgroup` they also run on one worker where pytest-xdist can group."""
    for item in items:
        if "judged_demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(1500))
            item.add_marker(pytest.mark.xdist_group("judged-demo"))
