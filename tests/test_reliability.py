"""The suite's own promises: fail closed, lose nothing, hand the branch nothing."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from gates import proc
from gates.builtin.lint import GATE as LINT
from gates.cli import EXIT_INTERNAL
from gates.subject import runs_dir
from tests.conftest import (
    AppProbe,
    GitRepo,
    gate_context,
    gates_env,
    plugin_env,
    plugin_path,
    process_gone,
    run_gates,
    wait_until,
)

HUMAN = "# CLUSTER STATUS\r\n\r\nKeep this — ü ✓ — byte for byte.\r\n\r\n## Merge Gates\r\n\r\nTail.\r\n"

SPY_APP = r"""
import http.server, json, os, subprocess, sys
from pathlib import Path

def seen():
    out = {"env": dict(os.environ)}
    ssh = Path(os.path.expanduser("~/.ssh"))
    out["ssh"] = [p.read_text(errors="replace") for p in ssh.glob("*")] if ssh.is_dir() else []
    configs = []
    for parent in [Path.cwd(), *Path.cwd().parents]:
        for c in (parent / ".git" / "config", parent / "config"):
            try:
                configs.append(c.read_text(errors="replace"))
            except OSError:
                pass
    out["configs"] = configs
    r = subprocess.run(["git", "config", "--list"], capture_output=True, text=True)
    out["git_config"] = r.stdout
    return out

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(seen()).encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a):
        pass

http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def test_branch_code_sees_no_host_secrets(repo: GitRepo, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("HOST-PRIVATE-KEY-MARKER")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GITHUB_TOKEN", "HOST-TOKEN-MARKER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "HOST-AWS-MARKER")
    monkeypatch.setenv("DATABASE_URL", "HOST-DATABASE-MARKER")  # no TOKEN/SECRET/KEY in it
    repo.git("config", "gatestest.secret", "HOST-CONFIG-MARKER")
    # a repository above the runs folder: only GIT_CEILING_DIRECTORIES keeps git from it
    above = GitRepo(tmp_path / "above")
    above.git("config", "gatestest.above", "HOST-ABOVE-MARKER")
    monkeypatch.setattr(tempfile, "tempdir", str(above.path))
    repo.commit({"gates.toml": '[app]\ncommand = ["python", "spy.py", "{port}"]\nhealth = "/"\n',
                 "spy.py": SPY_APP}, "app")
    repo.branch("ironwood/spy", {"notes.md": "hi\n"})
    with gate_context(repo, "ironwood/spy", AppProbe()) as ctx, ctx.app() as app:
        with urllib.request.urlopen(app.url("/"), timeout=10) as r:
            raw = r.read().decode()
    seen = json.loads(raw)
    for marker in ("HOST-PRIVATE-KEY-MARKER", "HOST-TOKEN-MARKER", "HOST-AWS-MARKER",
                   "HOST-DATABASE-MARKER", "HOST-CONFIG-MARKER"):
        assert marker not in raw, marker
    assert "GITHUB_TOKEN" not in seen["env"] and seen["env"]["HOME"] != str(home)
    allowed = {*proc.ENV_ALLOW, "HOME", "GIT_CEILING_DIRECTORIES", "PYTHONDONTWRITEBYTECODE"}
    assert set(seen["env"]) <= allowed, set(seen["env"]) - allowed
    # the repository above was there to find (its config file is readable on the way up)…
    assert any("HOST-ABOVE-MARKER" in c for c in seen["configs"])
    # … and git did not find it
    assert "HOST-ABOVE-MARKER" not in seen["git_config"]


def test_symlinks_are_not_followed(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "-b", "acacia/links")
    os.symlink("/etc/passwd", repo.path / "app" / "passwd.py")
    os.symlink("../.git/config", repo.path / "app" / "config.py")
    repo.git("add", "app/passwd.py", "app/config.py")  # commit() adds only the files it writes
    repo.commit({"app/real.py": "import sys\n"}, "ACACIA: links")
    repo.git("checkout", "-q", "main")
    res = run_gates("run", "--branch", "acacia/links", cwd=repo.path)
    assert res.returncode == 1
    entry = json.loads(repo.read("reports/latest.json"))["branches"]["acacia/links"]
    assert [f["location"] for f in entry["blocking"]] == ["app/real.py:1"]
    report = repo.path / entry["report_dir"]
    for p in report.rglob("*"):
        if p.is_file():
            assert "root:x:0" not in p.read_text(errors="replace")


def test_a_gate_is_never_handed_a_symlink(repo: GitRepo) -> None:
    """The first fence: a gate's changed files are regular files only (the readers behind
    it, which export blobs as regular files and skip links, are the second)."""
    repo.git("checkout", "-q", "-b", "acacia/links")
    os.symlink("/etc/passwd", repo.path / "app" / "passwd.py")
    repo.git("add", "app/passwd.py")
    repo.commit({"app/real.py": "import sys\n"}, "ACACIA: links")
    repo.git("checkout", "-q", "main")
    assert "app/passwd.py" in repo.git("ls-tree", "-r", "--name-only", "acacia/links")
    with gate_context(repo, "acacia/links", LINT) as ctx:
        assert ctx.changed == ["app/real.py"]


def outside_code(text: str) -> str:
    return re.sub(r"(`+)(?:(?!\1).)+\1", "", text)


def test_no_markup_injection_into_status_files(repo: GitRepo) -> None:
    evil = "walnut/<!--x--><img_src=x_onerror=alert(1)>|<b>"
    repo.branch(evil, {"app/<b>odd</b>.py": "import sys\n"}, "WALNUT: <script>alert(1)</script>")
    # backticks that would close a code span early: in a branch, a path, a tool message
    # (ruff's "Got unexpected token `")
    ticks = "walnut/a`<i>`b"
    repo.branch(ticks, {"app/c`<u>`d.py": "import sys\n", "app/tick.py": "x = `1`\n"})
    res = run_gates("run", "--branch", evil, "--branch", ticks, cwd=repo.path)
    assert res.returncode == 1, res.stderr
    for name in ("CLUSTER_STATUS.md", "AGENT_STATUS_WALNUT.md", "CLUSTER_ISSUES.md"):
        text = repo.read(name)
        # … which are there, in code spans (the paths in the files that list findings)
        assert "<i>" in text and ("<u>" in text or name == "CLUSTER_STATUS.md"), name
        bare = outside_code(text)
        for tag in ("<img", "<b>", "<i>", "<u>"):
            assert tag not in bare, (name, tag)
        assert "<!--x-->" not in text, name
        # our blocks still parse: one begin and one end each
        for m in set(re.findall(r"<!-- gates:begin (\S+) -->", text)):
            assert text.count(f"<!-- gates:begin {m} -->") == 1
            assert text.count(f"<!-- gates:end {m} -->") == 1
    summary = next((repo.path / "reports").rglob("summary.md")).read_text()
    assert "<img" not in outside_code(summary)


def _intact(text: str) -> bool:
    return text.startswith("# CLUSTER STATUS\r\n\r\nKeep this — ü ✓ — byte for byte.\r\n\r\n"
                           "## Merge Gates\r\n") and text.endswith("\r\nTail.\r\n")


WRITER = """
import sys
from pathlib import Path
from gates.publish.blocks import Block, update_file
p = Path(sys.argv[1])
i = 0
while True:
    i += 1
    update_file(p, [Block("status", "row %d\\n" % i * (i % 50), anchor=r"^## Merge Gates")])
    if i == 1:
        print("written", flush=True)
"""


def test_sigkill_at_random_points_leaves_old_or_new(tmp_path: Path) -> None:
    """200 writers killed at random moments: the file is always whole, human text intact."""
    target = tmp_path / "CLUSTER_STATUS.md"
    target.write_bytes(HUMAN.encode())
    rng = random.Random(1)
    env = gates_env()
    # one whole write first: on a loaded machine every killed writer may die before its first
    subprocess.run([sys.executable, "-c", "from pathlib import Path; import sys; "
                    "from gates.publish.blocks import Block, update_file; "
                    "update_file(Path(sys.argv[1]), [Block('status', 'row 0', "
                    "anchor=r'^## Merge Gates')])", str(target)], env=env, check=True)
    mid_write = 0
    for _ in range(200):
        temps = set(tmp_path.glob(".CLUSTER_STATUS.md.*.tmp"))
        p = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert p.stdout is not None
        # the kill lands among the writes, not during the import (pytest-timeout: a hang)
        assert p.stdout.readline() == b"written\n"
        time.sleep(rng.uniform(0, 0.1))  # the random point, not a wait for anything
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
        # a temp file of its own left behind: this writer died between write and rename
        mid_write += bool(set(tmp_path.glob(".CLUSTER_STATUS.md.*.tmp")) - temps)
        text = target.read_bytes().decode()
        assert _intact(text)
        assert text.count("<!-- gates:begin status -->") <= 1
    print(f"{mid_write} of 200 kills landed mid-write")
    assert mid_write > 0
    # what killed writers left behind is swept by the next write once it is stale
    for t in tmp_path.glob(".CLUSTER_STATUS.md.*.tmp"):
        os.utime(t, (time.time() - 3600, time.time() - 3600))
    subprocess.run([sys.executable, "-c", "from pathlib import Path; import sys; "
                    "from gates.publish.blocks import Block, update_file; "
                    "update_file(Path(sys.argv[1]), [Block('status', 'final')])", str(target)],
                   env=env, check=True)
    assert list(tmp_path.glob(".CLUSTER_STATUS.md.*.tmp")) == []
    assert _intact(target.read_bytes().decode())


HOLD_GATE = """
import os, time
from pathlib import Path


class Hold:
    name = "hold"
    needs_app = True

    def applies(self, ctx):
        return True

    def run(self, ctx):
        with ctx.app() as app:
            Path(os.environ["GATES_TEST_APP_PID"]).write_text(str(app.process.pid))
            time.sleep(300)


GATE = Hold()
"""


def _processes_in(folder: Path) -> list[str]:
    """Live processes working in or started from `folder` (what a run left behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (cwd.startswith(str(folder)) or str(folder) in cmd):
            found.append(f"{entry.name}: {cmd[:120]}")
    return found


def test_killed_runs_leave_nothing_behind_after_the_next(repo: GitRepo, tmp_path: Path) -> None:
    (repo.path / "CLUSTER_STATUS.md").write_bytes(HUMAN.encode())
    repo.branch("walnut/k", {"app/k.py": "import sys\n"})
    rng = random.Random(2)
    env = gates_env()
    # 200 real runs SIGKILLed at random points (start-up, export, ruff, publishing): SIGKILL
    # to `gates` alone, so its children live on in their own groups
    for _ in range(200):
        p = subprocess.Popen([sys.executable, "-m", "gates", "run", "--branch", "walnut/k",
                              "--gate", "lint", "-q"], cwd=repo.path, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.0))
        p.kill()
        p.wait()
        assert _intact((repo.path / "CLUSTER_STATUS.md").read_bytes().decode())
    res = run_gates("run", "--branch", "walnut/k", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert list(runs_dir(repo.path).iterdir()) == []
    assert _processes_in(runs_dir(repo.path)) == []
    # a run killed while the app under test runs: the app outlives it …
    repo.commit({"gates.toml": '[app]\ncommand = ["python", "-m", "http.server", "{port}", '
                               '"--bind", "127.0.0.1"]\nhealth = "/"\n'}, "app")
    pid_file = tmp_path / "app.pid"
    site = plugin_path(tmp_path, "hold", HOLD_GATE)
    p = subprocess.Popen([sys.executable, "-m", "gates", "run", "--branch", "walnut/k",
                          "--gate", "hold", "-q"], cwd=repo.path, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=gates_env({
                             "GATES_TEST_APP_PID": str(pid_file), **plugin_env(site)}))
    app_pid = 0
    try:
        wait_until(lambda: pid_file.exists() or p.poll() is not None)
        app_pid = int(pid_file.read_text())
        p.kill()
        p.wait()
        assert not process_gone(app_pid)
        assert list(runs_dir(repo.path).iterdir()) != []
        # … until the next run, which starts at once: no folder is too young to be swept
        res = run_gates("run", "--branch", "walnut/k", "--gate", "lint", cwd=repo.path)
        assert res.returncode == 1, res.stdout + res.stderr
        assert process_gone(app_pid)
        assert list(runs_dir(repo.path).iterdir()) == []
    finally:
        p.kill()
        if app_pid and not process_gone(app_pid):
            os.kill(app_pid, signal.SIGKILL)
    assert _intact((repo.path / "CLUSTER_STATUS.md").read_bytes().decode())
    assert json.loads(repo.read("reports/latest.json"))["branches"]["walnut/k"]["verdict"] \
        == "blocked"


def test_bad_inputs_are_one_line(repo: GitRepo, tmp_path: Path) -> None:
    empty = GitRepo(tmp_path / "empty")
    res = run_gates("run", "--all", cwd=empty.path)
    assert res.returncode == 2 and "no commits yet" in res.stderr
    for name in ("-x", "walnut/..", "walnut/a b", "walnut/ünï"):
        res = run_gates("run", f"--branch={name}", cwd=repo.path)
        assert res.returncode == 2, (name, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    # a unicode branch that exists works
    repo.branch("walnut/ünï", {"app/u.py": "U = 1\n"})
    assert run_gates("run", "--branch", "walnut/ünï", cwd=repo.path).returncode == 0
    # detached HEAD does not matter: we never use HEAD
    repo.git("checkout", "-q", "--detach", "main")
    assert run_gates("run", "--branch", "walnut/ünï", cwd=repo.path).returncode == 0


def test_shallow_clone_without_history_is_one_line(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit({"app/more.py": "M = 1\n"}, "main moves")
    repo.branch("walnut/s", {"app/s.py": "S = 1\n"})
    repo.commit({"app/later.py": "L = 1\n"}, "main moves again")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--no-single-branch",
                    f"file://{repo.path}", str(clone)], check=True)
    res = run_gates("run", "--branch", "walnut/s", cwd=clone)
    # recognised before merge-tree: one line naming the fix, exit 2 (not "refusing to
    # merge unrelated histories", which is true but says nothing of what to do)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert "shallow" in line and "git fetch --unshallow" in line and "fetch-depth: 0" in line
    assert "unrelated histories" not in line
    # once the history is fetched, the same clone runs
    subprocess.run(["git", "fetch", "-q", "--unshallow"], cwd=clone, check=True, timeout=120)
    res = run_gates("run", "--branch", "walnut/s", "--gate", "lint", cwd=clone)
    assert res.returncode == 0, res.stdout + res.stderr


def test_unwritable_reports_folder_fails_closed(repo: GitRepo) -> None:
    repo.commit({"gates.toml": 'reports_dir = "blocker/reports"\n', "blocker": "a file\n"}, "cfg")
    repo.branch("walnut/w", {"app/w.py": "W = 1\n"})
    res = run_gates("run", "--branch", "walnut/w", cwd=repo.path)
    assert res.returncode == EXIT_INTERNAL, res.stderr  # neither a pass, a block nor a usage error
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    line = lines[0]
    assert line.startswith("gates: error: cannot write") and "blocker/reports" in line


def test_reports_that_cannot_be_written_turn_an_earlier_pass_into_an_error(repo: GitRepo) -> None:
    repo.commit({"gates.toml": 'reports_dir = "out/reports"\n'}, "cfg")
    repo.branch("walnut/w", {"app/w.py": "W = 1\n"})
    assert run_gates("run", "--branch", "walnut/w", "--gate", "lint", cwd=repo.path).returncode == 0
    assert "✅ pass" in repo.read("CLUSTER_STATUS.md")
    shutil.rmtree(repo.path / "out")
    (repo.path / "out").write_text("a file where the reports folder was\n")
    res = run_gates("run", "--branch", "walnut/w", "--gate", "lint", cwd=repo.path)
    assert res.returncode not in (0, 1) and "cannot write" in res.stderr, res.stderr
    status = repo.read("CLUSTER_STATUS.md")
    row = next(line for line in status.splitlines() if "`walnut/w`" in line)
    assert "❌ blocked" in row and "error" in row and "✅ pass" not in row, status
    assert "reports could not be written" in repo.read("AGENT_STATUS_WALNUT.md")


def test_same_branch_at_once_shares_the_cache_safely(repo: GitRepo) -> None:
    repo.branch("walnut/same", {"app/same.py": "import sys\n\n\nX = 1\n"})
    env = gates_env()
    procs = [subprocess.Popen([sys.executable, "-m", "gates", "run", "--branch", "walnut/same",
                               "--gate", "lint", "-q"], cwd=repo.path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [1, 1, 1, 1], results
    entry = json.loads(repo.read("reports/latest.json"))["branches"]["walnut/same"]
    assert entry["blocking"][0]["location"] == "app/same.py:1"
    issues = repo.read("CLUSTER_ISSUES.md")
    assert issues.count("### 📋 lint") == 1  # one issue, never duplicated
    res = run_gates("cache", "info", cwd=repo.path)
    assert res.returncode == 0 and "ruff: 1" in res.stdout  # one entry: the branch's blob
