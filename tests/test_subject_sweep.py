"""A killed run's folder and process groups are removed by the next run's sweep; a live
run's never, however young."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gates import proc, subject
from gates.filelock import if_free, new_locked
from tests.conftest import GitRepo, gates_env, process_gone

SLEEP = [sys.executable, "-c", "import time; time.sleep(300)"]

# a stand-in for a `gates run` that is SIGKILLed while its app runs: it materialises the
# branch, starts a child that starts a grandchild (same group), says their pids, sleeps
FAKE_RUN = """
import subprocess, sys, time
from pathlib import Path
from gates import proc, subject
repo = Path(sys.argv[1])
subj = subject.resolve(repo, "walnut/k", "main")
code = "import subprocess,sys,time; p=subprocess.Popen([sys.executable,'-c','import time; time.sleep(300)']); print(p.pid, flush=True); time.sleep(300)"
with subject.materialise(repo, subj, lazy=True) as (tree, scratch):
    p = proc.spawn([sys.executable, "-c", code], cwd=scratch, env=proc.scrubbed_env())
    assert p.stdout is not None
    grandchild = p.stdout.readline().decode().strip()
    print(p.pid, grandchild, flush=True)
    time.sleep(300)
"""


@pytest.fixture
def branched(repo: GitRepo) -> GitRepo:
    repo.branch("walnut/k", {"app/k.py": "K = 1\n"})
    return repo


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if process_gone(pid):
            return True
        time.sleep(0.05)
    return process_gone(pid)


def _kill(*pids: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_sweep_kills_the_groups_of_a_killed_run_then_removes_its_folder(
        branched: GitRepo) -> None:
    fake = subprocess.Popen([sys.executable, "-c", FAKE_RUN, str(branched.path)],
                            env=gates_env(), stdout=subprocess.PIPE, text=True)
    assert fake.stdout is not None
    leader, grandchild = (int(x) for x in fake.stdout.readline().split())
    try:
        runs = subject.runs_dir(branched.path)
        records = list(runs.glob(f"*/{proc.GROUPS}/*"))
        assert [r.name.split(".")[0] for r in records] == [str(leader)]
        fake.send_signal(signal.SIGKILL)  # the run only: its children are in their own group
        fake.wait(timeout=30)
        time.sleep(0.2)
        assert not process_gone(leader) and not process_gone(grandchild)
        subject.sweep(branched.path)  # at once: no age needed, the lock is free
        assert _wait_gone(leader) and _wait_gone(grandchild)
        assert list(runs.iterdir()) == []
    finally:
        _kill(fake.pid, leader, grandchild)


def test_sweep_leaves_a_live_run_alone_however_young(branched: GitRepo) -> None:
    subj = subject.resolve(branched.path, "walnut/k", "main")
    with subject.materialise(branched.path, subj) as (tree, scratch):
        p = proc.spawn(SLEEP, cwd=scratch, env=proc.scrubbed_env())
        try:
            subject.sweep(branched.path)
            assert (tree / "app" / "k.py").is_file() and p.poll() is None
            assert len(list((scratch / proc.GROUPS).iterdir())) == 1
        finally:
            proc.stop(p)
        assert list((scratch / proc.GROUPS).iterdir()) == []  # reaped: record gone
    assert list(subject.runs_dir(branched.path).iterdir()) == []


def test_leaving_a_run_kills_what_was_never_stopped(branched: GitRepo) -> None:
    subj = subject.resolve(branched.path, "walnut/k", "main")
    with subject.materialise(branched.path, subj, lazy=True) as (_, scratch):
        p = proc.spawn(SLEEP, cwd=scratch, env=proc.scrubbed_env())
    try:
        assert _wait_gone(p.pid)
    finally:
        proc.stop(p)
    assert not scratch.exists()


def test_sweep_removes_leftovers_without_a_lock(branched: GitRepo) -> None:
    runs = subject.runs_dir(branched.path)
    runs.mkdir(parents=True, exist_ok=True)
    (runs / "walnut__k-old" / "tree").mkdir(parents=True)  # its lock already removed
    (runs / "walnut__k-dead.lock").touch()  # its folder already removed
    (runs / ".walnut__k-half.tmp").touch()  # killed before it was linked into place
    subject.sweep(branched.path)
    assert list(runs.iterdir()) == []


def test_a_lock_file_is_never_seen_free(tmp_path: Path) -> None:
    with new_locked(tmp_path, "x-") as lock:
        assert lock.name.startswith("x-") and lock.name.endswith(".lock")
        assert [p.name for p in tmp_path.iterdir()] == [lock.name]  # no temp file left
        with if_free(lock) as free:
            assert not free
    assert list(tmp_path.iterdir()) == []


def test_creating_runs_while_others_sweep_never_loses_a_live_folder(branched: GitRepo) -> None:
    sweeper = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from gates import subject\n"
         "while True: subject.sweep(Path(sys.argv[1]))", str(branched.path)],
        env=gates_env())
    try:
        subj = subject.resolve(branched.path, "walnut/k", "main")
        for _ in range(100):
            with subject.materialise(branched.path, subj, lazy=True) as (tree, scratch):
                tree.mkdir()
                time.sleep(0.002)
                assert tree.is_dir() and scratch.with_name(scratch.name + ".lock").is_file()
    finally:
        sweeper.kill()
        sweeper.wait()


def test_a_reused_pid_is_never_killed(tmp_path: Path) -> None:
    stranger = subprocess.Popen(SLEEP, start_new_session=True)
    try:
        groups = tmp_path / proc.GROUPS
        groups.mkdir()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        start = int(Path(f"/proc/{stranger.pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        (groups / f"{stranger.pid}.{start + 1}.{boot}").touch()  # an older group, same pid
        (groups / f"{stranger.pid}.{start}.another-boot").touch()
        assert proc.kill_recorded(tmp_path) == 0
        assert stranger.poll() is None and list(groups.iterdir()) == []
        (groups / f"{stranger.pid}.{start}.{boot}").touch()  # the recorded group itself
        assert proc.kill_recorded(tmp_path) == 1
        assert stranger.wait(timeout=10) == -signal.SIGKILL
    finally:
        stranger.kill()
        stranger.wait()


def test_a_group_whose_leader_is_gone_is_killed(tmp_path: Path) -> None:
    code = ("import subprocess,sys; p=subprocess.Popen([sys.executable,'-c',"
            "'import time; time.sleep(300)']); print(p.pid, flush=True)")
    with proc.recording_in(tmp_path):
        p = proc.spawn([sys.executable, "-c", code], cwd=tmp_path, env=proc.scrubbed_env())
    assert p.stdout is not None
    orphan = int(p.stdout.readline())
    try:
        p.wait(timeout=30)  # the leader is reaped; its child lives on in the group
        assert not process_gone(orphan)
        assert proc.kill_recorded(tmp_path) == 1
        assert _wait_gone(orphan)
    finally:
        _kill(orphan)
        proc.stop(p)
