"""gates.subject: what a run judges (a branch, its base, their merge result), the
throw-away folder it is materialised in, and the sweep of the folders killed runs left:
a killed run's folder and process groups are removed by the next run's sweep; a live
run's never, however young.

Covered elsewhere: an unknown branch, an invalid name and a missing base as the user sees
them (tests/commands/test_run.py::test_user_errors).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gates import git, proc, subject
from gates.filelock import if_free, new_locked
from tests.conftest import GitRepo, gates_env, process_gone, wait_gone

# -- resolving a branch ------------------------------------------------------------------


def test_a_local_branch_resolves_to_its_merge_result(repo: GitRepo) -> None:
    tip = repo.branch("walnut/catalog", {"app/catalog.py": "C = 1\n", "app/core.py": "X = 1\n"})
    fork = repo.git("rev-parse", "main")
    repo.commit({"README.md": "main moves on\n"}, "docs")
    subj = subject.resolve(repo.path, "walnut/catalog", "main")
    assert (subj.branch, subj.ref, subj.agent, subj.base) == (
        "walnut/catalog", "refs/heads/walnut/catalog", "WALNUT", "main")
    assert subj.branch_commit == tip and subj.short == tip[:8]
    assert subj.base_commit == repo.git("rev-parse", "main") and subj.merge_base == fork
    assert subj.tree == repo.git("merge-tree", "--write-tree", "main", "walnut/catalog")
    assert subj.conflicts == []
    # what the merge changes against the base: the branch's files, not main's README
    assert [(c.status, c.path) for c in subj.changed] == [("A", "app/catalog.py"),
                                                          ("M", "app/core.py")]


def test_a_branch_only_origin_has_resolves_to_the_remote_tracking_one(repo: GitRepo,
                                                                      tmp_path: Path) -> None:
    tip = repo.branch("acacia/loans", {"app/loans.py": "L = 1\n"})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    subj = subject.resolve(clone, "acacia/loans", "main")
    assert subj.ref == "refs/remotes/origin/acacia/loans" and subj.branch_commit == tip
    assert subj.agent == "ACACIA" and [c.path for c in subj.changed] == ["app/loans.py"]


@pytest.mark.parametrize("name", ["--all", "-b", "", "a b", "x:y"])
def test_a_name_git_could_take_for_an_option_or_a_range_is_refused(repo: GitRepo,
                                                                    name: str) -> None:
    with pytest.raises(subject.SubjectError, match=r"^not a valid branch name: "):
        subject.resolve(repo.path, name, "main")


def test_an_unknown_branch_or_base_is_named(repo: GitRepo) -> None:
    with pytest.raises(subject.SubjectError, match=r"^unknown branch 'walnut/none' \(no local "
                       r"or origin/ branch of that name\)$"):
        subject.resolve(repo.path, "walnut/none", "main")
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    with pytest.raises(subject.SubjectError, match=r"^base branch 'trunk' does not exist$"):
        subject.resolve(repo.path, "walnut/a", "trunk")


def test_a_conflict_has_no_tree_no_changes_and_names_the_paths(repo: GitRepo) -> None:
    repo.branch("walnut/x", {"app/core.py": "X = 1\n", "app/ok.py": "OK = 1\n"})
    repo.commit({"app/core.py": "X = 2\n"}, "main moves")
    subj = subject.resolve(repo.path, "walnut/x", "main")
    assert subj.tree is None and subj.conflicts == ["app/core.py"] and subj.changed == []
    assert subj.merge_base is not None


def test_a_pinned_base_commit_is_the_base_even_when_the_branch_moved(repo: GitRepo) -> None:
    pinned = repo.git("rev-parse", "main")  # the commit the run read its policy from
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    repo.commit({"app/later.py": "LATER = 1\n"}, "main moves during the run")
    subj = subject.resolve(repo.path, "walnut/a", "main", pinned)
    assert subj.base_commit == pinned
    assert subj.tree == repo.git("merge-tree", "--write-tree", pinned, "walnut/a")
    assert "app/later.py" not in repo.git("ls-tree", "-r", "--name-only", subj.tree)
    assert subject.resolve(repo.path, "walnut/a", "main").base_commit != pinned


@pytest.mark.parametrize(("branch", "folder"), [
    ("ironwood/payments", "ironwood__payments"),
    ("walnut/ui/v2", "walnut__ui__v2"),
    ("../../etc/passwd", "etc__passwd"),
    ("...", "branch"),
    ("-rf", "rf"),
    ("a b;c$d", "a_b_c_d"),
    ("index.html", "index.html_"),
    ("walnut/latest.JSON", "walnut__latest.JSON_"),
    ("walnut/v1.2", "walnut__v1.2"),
    ("a.jsonl", "a.jsonl_"),
    ("notes.md", "notes.md_"),
    ("site.css", "site.css_"),
    ("a.md.txt", "a.md.txt"),
    ("_-.x", "x"),
    ("Xmas/tree", "Xmas__tree"),
])
def test_slug_is_a_folder_name_that_stays_in_the_reports_folder(branch: str,
                                                                folder: str) -> None:
    assert subject.slug(branch) == folder


def test_slug_is_at_most_120_characters() -> None:
    assert subject.slug("walnut/" + "x" * 300) == ("walnut__" + "x" * 300)[:120]


def test_agent_is_the_upper_case_prefix_of_the_branch() -> None:
    assert subject.agent_of("ironwood/payments") == "IRONWOOD"
    assert subject.agent_of("ironwood/a/b") == "IRONWOOD"
    assert subject.agent_of("hotfix") == "UNASSIGNED"


def test_stale_when_the_branch_or_its_base_moved_or_is_gone(repo: GitRepo) -> None:
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    repo.branch("acacia/b", {"app/b.py": "B = 1\n"})
    repo.branch("oak/c", {"app/c.py": "C = 1\n"})

    def entry(branch: str) -> dict[str, object]:
        return {"base": "main", "base_commit": repo.git("rev-parse", "main"),
                "branch_commit": repo.git("rev-parse", branch)}

    entries = {b: entry(b) for b in ("walnut/a", "acacia/b", "oak/c")}
    assert subject.stale(repo.path, entries) == set()
    repo.git("checkout", "-q", "walnut/a")
    repo.commit({"app/a.py": "A = 2\n"}, "more")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "oak/c")
    assert subject.stale(repo.path, entries) == {"walnut/a", "oak/c"}
    repo.commit({"README.md": "x\n"}, "main moves")
    assert subject.stale(repo.path, entries) == {"walnut/a", "acacia/b", "oak/c"}


def test_the_merge_result_is_materialised_outside_the_repo_and_removed_on_error(
        repo: GitRepo) -> None:
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    subj = subject.resolve(repo.path, "walnut/a", "main")
    runs = subject.runs_dir(repo.path)
    assert not runs.resolve().is_relative_to(repo.path.resolve())
    with pytest.raises(RuntimeError, match="a gate fell over"), \
            subject.materialise(repo.path, subj) as (tree, scratch):
        assert tree.parent == scratch and scratch.parent == runs
        assert scratch.name.startswith("walnut__a-")  # whose run it is, at a glance
        # other users of the machine cannot look into the runs
        assert (runs.stat().st_mode & 0o777, scratch.stat().st_mode & 0o777) == (0o700, 0o700)
        assert (tree / "app" / "a.py").read_text() == "A = 1\n"
        assert not (tree / ".git").exists() and git.rev(repo.path, "walnut/a")
        raise RuntimeError("a gate fell over")
    assert not scratch.exists() and list(runs.iterdir()) == []
    assert repo.git("status", "--porcelain") == ""  # nothing written into the checkout


# -- the run's folder, and the sweep of killed runs -------------------------------------

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
        assert not process_gone(leader) and not process_gone(grandchild)
        subject.sweep(branched.path)  # at once: no age needed, the lock is free
        assert list(runs.iterdir()) == []
        wait_gone(leader)
        wait_gone(grandchild)
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
        wait_gone(p.pid)
    finally:
        proc.stop(p)
    assert not scratch.exists()


def test_sweep_removes_leftovers_without_a_lock(branched: GitRepo) -> None:
    runs = subject.runs_dir(branched.path)
    runs.mkdir(parents=True, exist_ok=True)
    (runs / "walnut__k-old" / "tree").mkdir(parents=True)  # its lock already removed
    (runs / "walnut__k-dead.lock").touch()  # its folder already removed
    (runs / ".walnut__k-half.tmp").touch()  # killed before it was linked into place
    (runs / "notes.txt").write_text("not a run's")  # no run made it: left alone
    subject.sweep(branched.path)
    assert [p.name for p in runs.iterdir()] == ["notes.txt"]


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
        (groups / f"{stranger.pid}.{start + 1}.{boot}").touch()  # another group, same pid
        (groups / f"{stranger.pid}.{start - 1}.{boot}").touch()  # an older one: pid reused
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
        wait_gone(orphan)
    finally:
        _kill(orphan)
        proc.stop(p)
