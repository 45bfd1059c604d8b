from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from gates import proc
from tests.conftest import process_gone, wait_gone, wait_until


def test_run_captures_output(tmp_path: Path) -> None:
    res = proc.run([sys.executable, "-c", "print('hi'); import sys; sys.exit(3)"],
                   cwd=tmp_path, timeout=30)
    assert res.returncode == 3 and res.stdout.strip() == "hi"


def test_missing_tool(tmp_path: Path) -> None:
    with pytest.raises(proc.ToolMissing, match="no-such-tool-xyz is not installed"):
        proc.run(["no-such-tool-xyz"], cwd=tmp_path, timeout=5)


def test_timeout_kills_grandchildren(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    # both asleep far past pytest-timeout: a run that waits for them is a hang, and fails
    code = ("import subprocess,sys,time;"
            "p=subprocess.Popen([sys.executable,'-c','import time; time.sleep(3600)']);"
            f"open({str(pidfile)!r},'w').write(str(p.pid)); time.sleep(3600)")
    with pytest.raises(proc.Timeout):
        proc.run([sys.executable, "-c", code], cwd=tmp_path, timeout=2)
    wait_gone(int(pidfile.read_text()))
    assert proc.live_pids() == []


def test_scrubbed_env_is_an_allow_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "nope")
    monkeypatch.setenv("GITHUB_TOKEN", "nope")
    monkeypatch.setenv("DATABASE_URL", "postgres://host-only")  # innocent-looking, not allowed
    monkeypatch.setenv("SOME_ALLOWED", "yes")
    env = proc.scrubbed_env(home=tmp_path, allow=["SOME_ALLOWED"])
    assert "AWS_SECRET_ACCESS_KEY" not in env and "GITHUB_TOKEN" not in env
    assert "DATABASE_URL" not in env
    assert env["SOME_ALLOWED"] == "yes" and env["HOME"] == str(tmp_path)
    res = proc.run([sys.executable, "-c", "import os; print('\\n'.join(sorted(os.environ)))"],
                   cwd=tmp_path, timeout=30, env=env)
    allowed = {*proc.ENV_ALLOW, "SOME_ALLOWED", "HOME"}
    assert set(res.stdout.split()) <= allowed, set(res.stdout.split()) - allowed


def test_deadline_bounds_timeout(tmp_path: Path) -> None:
    with proc.owned_by("t", time.monotonic() + 1), pytest.raises(proc.Timeout):
        proc.run([sys.executable, "-c", "import time; time.sleep(60)"], cwd=tmp_path,
                 timeout=600)


def test_commands_resolve_on_the_childs_path_with_our_venv_first(tmp_path: Path) -> None:
    import sys as _sys

    env = proc.scrubbed_env()
    res = proc.run(["python", "-c", "import sys; print(sys.executable)"], cwd=tmp_path,
                   timeout=30, env=env)
    assert Path(res.stdout.strip()).parent == Path(_sys.executable).parent


def test_a_group_is_recorded_in_the_run_folder_while_it_lives(tmp_path: Path) -> None:
    with proc.recording_in(tmp_path):
        p = proc.spawn([sys.executable, "-c", "import time; time.sleep(60)"], cwd=tmp_path,
                       env=proc.scrubbed_env())
    try:
        [record] = (tmp_path / proc.GROUPS).iterdir()
        assert record.name.split(".")[0] == str(p.pid)
    finally:
        proc.stop(p)
    assert list((tmp_path / proc.GROUPS).iterdir()) == []
    proc.run([sys.executable, "-c", "pass"], cwd=tmp_path, timeout=30)  # outside a run
    assert list((tmp_path / proc.GROUPS).iterdir()) == []


def test_a_group_that_cannot_be_recorded_is_not_left_running(tmp_path: Path) -> None:
    marker = f"gates-unrecorded-{time.time_ns()}"
    with proc.recording_in(tmp_path / "gone"), pytest.raises(FileNotFoundError):
        proc.run([sys.executable, "-c", "import time, sys; time.sleep(60)", marker],
                 cwd=tmp_path, timeout=60)
    assert proc.live_pids() == []
    wait_until(lambda: not [d for d in Path("/proc").iterdir() if d.name.isdigit()
                            and marker.encode() in _cmdline(d)
                            and not process_gone(int(d.name))])


def _cmdline(d: Path) -> bytes:
    try:
        return (d / "cmdline").read_bytes()
    except OSError:
        return b""
