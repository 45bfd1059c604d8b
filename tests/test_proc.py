from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gates import proc
from tests.conftest import gates_env, process_gone, wait_gone, wait_until


def test_run_captures_output(tmp_path: Path) -> None:
    res = proc.run([sys.executable, "-c", "print('hi'); import sys; sys.exit(3)"],
                   cwd=tmp_path, timeout=30)
    assert res.returncode == 3 and res.stdout.strip() == "hi"


def test_missing_tool(tmp_path: Path) -> None:
    with pytest.raises(proc.ToolMissing,
                       match=r"^no-such-tool-xyz is not installed \(not found on PATH\)$"):
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
    # the child outlives the deadline but ends by itself: a run that ignored the deadline
    # returns instead of raising (and does not hang the test)
    with proc.owned_by("t", time.monotonic() + 1), pytest.raises(proc.Timeout):
        proc.run([sys.executable, "-c", "import time; time.sleep(10)"], cwd=tmp_path,
                 timeout=600)


def test_a_passed_deadline_leaves_a_tenth_of_a_second(tmp_path: Path) -> None:
    with proc.owned_by("t", time.monotonic() - 5), \
            pytest.raises(proc.Timeout, match=r"timed out after 0s$"):
        proc.run([sys.executable, "-c", "import time; time.sleep(10)"], cwd=tmp_path,
                 timeout=600)
    assert proc._effective_timeout(7) == 7  # outside a gate: the timeout asked for
    with proc.owned_by("t", time.monotonic() + 3600):
        assert proc._effective_timeout(7) == 7
        assert 7 < proc._effective_timeout(7200) <= 3600


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


# -- found by mutmut (bench/mutation_spine.py): each pins a line a mutant changed ---------

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_a_timeout_names_the_program_and_keeps_its_output(tmp_path: Path) -> None:
    code = ("import sys, time; print('out', flush=True); print('err', file=sys.stderr, "
            "flush=True); time.sleep(60)")
    with pytest.raises(proc.Timeout) as e:
        proc.run([sys.executable, "-c", code], cwd=tmp_path, timeout=1)
    assert str(e.value) == f"{Path(sys.executable).name} timed out after 1s"
    assert e.value.output == "out\nerr\n"
    with pytest.raises(proc.Timeout) as e:
        proc.run([sys.executable, "-c", "import time; time.sleep(60)"], cwd=tmp_path, timeout=1)
    assert e.value.output == ""


def test_output_is_stdout_then_stderr_stripped(tmp_path: Path) -> None:
    code = "import sys; print(' out'); print('err ', file=sys.stderr)"
    res = proc.run([sys.executable, "-c", code], cwd=tmp_path, timeout=30)
    assert (res.stdout, res.stderr) == (" out\n", "err \n")
    assert res.output == "out\nerr"


def test_the_allowed_host_variables_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    # what a tool needs of the host: its locale, time zone, terminal and CA bundle
    host = {"PATH": "/usr/bin:/bin", "LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8",
            "LC_CTYPE": "de_DE.UTF-8", "TZ": "Europe/Berlin", "TERM": "xterm",
            "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}
    for k, v in host.items():
        monkeypatch.setenv(k, v)
    env = proc.scrubbed_env()
    venv_bin = str(Path(sys.executable).parent)
    assert env == {**host, "PATH": f"{venv_bin}:/usr/bin:/bin"}


def test_the_path_gains_our_venv_once_and_a_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    venv_bin = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", f"/bin:{venv_bin}")
    monkeypatch.delenv("LANG", raising=False)
    env = proc.scrubbed_env()
    assert env["PATH"] == f"/bin:{venv_bin}" and env["LANG"] == "C.UTF-8"
    monkeypatch.delenv("PATH")
    assert proc.scrubbed_env()["PATH"] == f"{venv_bin}:{os.defpath}"
    assert proc.scrubbed_env({"LANG": "fr_FR.UTF-8"})["LANG"] == "fr_FR.UTF-8"


def test_kill_owned_kills_only_that_owners_groups(tmp_path: Path) -> None:
    with proc.owned_by("gate-a"):
        a = proc.spawn(SLEEP, cwd=tmp_path, env=proc.scrubbed_env())
    with proc.owned_by("gate-b"):
        b = proc.spawn(SLEEP, cwd=tmp_path, env=proc.scrubbed_env())
    try:
        assert sorted(proc.live_pids()) == sorted([a.pid, b.pid])
        assert proc.kill_owned("gate-a") == 1
        assert a.returncode is not None and b.poll() is None
        assert proc.live_pids() == [b.pid]
    finally:
        proc.kill_all()
    assert b.returncode is not None and proc.live_pids() == []


def test_a_command_is_found_on_the_childs_own_path(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    tool = tools / "gates-test-tool"
    tool.write_text("#!/bin/sh\necho found me\n")
    tool.chmod(0o755)
    env = proc.scrubbed_env({"PATH": f"{tools}{os.pathsep}{os.defpath}"})
    assert proc.resolve(["gates-test-tool", "-x"], env) == [str(tool), "-x"]
    assert proc.run(["gates-test-tool"], cwd=tmp_path, timeout=30, env=env).stdout == "found me\n"
    absent = tools / "absent"
    with pytest.raises(proc.ToolMissing,
                       match=rf"^{re.escape(str(absent))} is not installed \(not executable\)$"):
        proc.resolve([str(absent)], env)


def test_a_timeouts_output_is_its_last_2000_characters_decoded(tmp_path: Path) -> None:
    code = ("import sys, time; sys.stdout.buffer.write(b'\\xff' + b'x' * 2999 + b'\\n');"
            "sys.stdout.flush(); time.sleep(60)")
    with pytest.raises(proc.Timeout) as e:
        proc.run([sys.executable, "-c", code], cwd=tmp_path, timeout=1)
    assert e.value.output == "x" * 1999 + "\n"
    code = "import sys; sys.stdout.buffer.write(b'a\\xffb'); sys.stderr.buffer.write(b'\\xfe')"
    res = proc.run([sys.executable, "-c", code], cwd=tmp_path, timeout=30)
    assert (res.stdout, res.stderr) == ("a\ufffdb", "\ufffd")


def test_every_group_of_a_run_is_recorded(tmp_path: Path) -> None:
    with proc.recording_in(tmp_path):
        ps = [proc.spawn(SLEEP, cwd=tmp_path, env=proc.scrubbed_env()) for _ in range(2)]
    try:
        recorded = sorted(int(r.name.split(".")[0]) for r in (tmp_path / proc.GROUPS).iterdir())
        assert recorded == sorted(p.pid for p in ps)
        assert proc.kill_recorded(tmp_path) == 2
    finally:
        proc.kill_all()
    assert list((tmp_path / proc.GROUPS).iterdir()) == []


def test_kill_recorded_forgets_what_it_cannot_read(tmp_path: Path) -> None:
    assert proc.kill_recorded(tmp_path) == 0  # no records folder
    groups = tmp_path / proc.GROUPS
    groups.mkdir()
    for name in ("junk", "12.x.y", "x.12.y", "999999999.1"):
        (groups / name).touch()
    assert proc.kill_recorded(tmp_path) == 0 and list(groups.iterdir()) == []
    # a group that ended by itself: nothing to kill
    gone = proc.spawn(SLEEP, cwd=tmp_path, env=proc.scrubbed_env())
    start = proc._started(proc._stat(gone.pid) or [])
    proc.stop(gone)
    (groups / f"{gone.pid}.{start}.{proc._boot_id()}").touch()
    assert proc.kill_recorded(tmp_path) == 0 and list(groups.iterdir()) == []


def test_a_backgrounded_child_of_a_leader_that_exited_is_killed(tmp_path: Path) -> None:
    """A shell that starts a server in the background and exits at once: the server may
    start within the leader's own clock tick, and is still its group's member."""
    with proc.recording_in(tmp_path):
        p = proc.spawn(["sh", "-c", "sleep 300 & echo $!"], cwd=tmp_path,
                       env=proc.scrubbed_env())
    assert p.stdout is not None
    child = int(p.stdout.readline())
    try:
        p.wait(timeout=30)
        # the boundary, whatever the scheduler did: a member started in the very tick
        # the record holds is a member
        fields = proc._stat(child)
        assert fields is not None and child in proc._members(p.pid, proc._started(fields))
        assert proc.kill_recorded(tmp_path) == 1
        wait_gone(child)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
        proc.stop(p)


def test_stop_asks_with_sigterm_first(tmp_path: Path) -> None:
    marker = tmp_path / "cleaned-up"
    code = ("import pathlib, signal, sys, time\n"
            f"def bye(*_): pathlib.Path({str(marker)!r}).write_text('bye'); sys.exit(0)\n"
            "signal.signal(signal.SIGTERM, bye)\nprint('ready', flush=True)\ntime.sleep(60)\n")
    p = proc.spawn([sys.executable, "-c", code], cwd=tmp_path, env=proc.scrubbed_env())
    assert p.stdout is not None and p.stdout.readline() == b"ready\n"
    proc.stop(p)
    assert p.returncode == 0 and marker.read_text() == "bye"


def test_a_group_whose_leader_renamed_itself_with_a_parenthesis_is_killed(
        tmp_path: Path) -> None:
    # /proc/<pid>/stat shows the name in parentheses: a ")" in it must not shift the fields
    code = ("import ctypes, time; ctypes.CDLL(None).prctl(15, b'srv) (x) y', 0, 0, 0);"
            "print('ready', flush=True); time.sleep(60)")
    with proc.recording_in(tmp_path):
        p = proc.spawn([sys.executable, "-c", code], cwd=tmp_path, env=proc.scrubbed_env())
    try:
        assert p.stdout is not None and p.stdout.readline() == b"ready\n"
        assert Path(f"/proc/{p.pid}/comm").read_text() == "srv) (x) y\n"
        assert proc.kill_recorded(tmp_path) == 1
        wait_gone(p.pid)
    finally:
        proc.stop(p)


def test_input_reaches_the_child_and_the_duration_is_the_runs(tmp_path: Path) -> None:
    code = "import sys; print(sys.stdin.read().upper())"
    t0 = time.monotonic()
    res = proc.run([sys.executable, "-c", code], cwd=tmp_path, timeout=30, input=b"hello")
    took = time.monotonic() - t0
    assert res.stdout == "HELLO\n"
    assert 0 < res.duration <= took  # measured, not a clock reading
    no_input = proc.run([sys.executable, "-c", code], cwd=tmp_path, timeout=30)
    assert no_input.stdout == "\n"  # stdin is empty, never our terminal


def test_a_timeout_whose_escaped_grandchild_holds_the_output_still_returns(
        tmp_path: Path) -> None:
    """A grandchild that left the group (its own session) keeps the pipes open: the
    output is given up on after a short wait, and the run still raises Timeout."""
    pidfile = tmp_path / "escaped.pid"
    code = ("import subprocess, sys, time;"
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'],"
            " start_new_session=True);"
            f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(300)")
    try:
        with pytest.raises(proc.Timeout) as e:
            proc.run([sys.executable, "-c", code], cwd=tmp_path, timeout=1)
        assert e.value.output == ""
    finally:
        wait_until(pidfile.exists)
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_a_process_that_left_the_recorded_group_is_not_counted(tmp_path: Path) -> None:
    """The leader exited; its child moved to a group of its own in the same session:
    nothing of the recorded group is left to kill."""
    code = ("import subprocess, sys; subprocess.Popen([sys.executable, '-c',"
            " 'import os, time; os.setpgid(0, 0); print(os.getpid(), flush=True);"
            " time.sleep(300)'])")
    with proc.recording_in(tmp_path):
        p = proc.spawn([sys.executable, "-c", code], cwd=tmp_path, env=proc.scrubbed_env())
    assert p.stdout is not None
    child = int(p.stdout.readline())
    try:
        p.wait(timeout=30)
        wait_until(lambda: proc._stat(child) is not None
                   and (proc._stat(child) or [""] * 4)[2] == str(child))
        assert proc.kill_recorded(tmp_path) == 0
        assert not process_gone(child)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
        proc.stop(p)


def test_nothing_starts_after_shut_down(tmp_path: Path) -> None:
    """After Ctrl-C (or a fatal error) the run shuts down: every live group is killed,
    and a gate's thread that goes on starts nothing the run would leave behind."""
    code = ("import sys; from gates import proc\n"
            "env = proc.scrubbed_env()\n"
            "p = proc.spawn([sys.executable, '-c', 'import time; time.sleep(60)'], cwd='.',"
            " env=env)\n"
            "proc.shut_down()\n"
            "print('killed' if p.poll() is not None else 'alive')\n"
            "try:\n"
            "    proc.run([sys.executable, '-c', 'print(1)'], cwd='.', timeout=30, env=env)\n"
            "except proc.Stopping as e:\n"
            "    print(e)\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, env=gates_env())
    lines = res.stdout.splitlines()
    assert lines[0] == "killed" and lines[1].endswith(": the run is stopping"), res.stderr
    assert lines[1].startswith("not starting python"), lines
