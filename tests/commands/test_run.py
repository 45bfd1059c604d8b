from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from gates.subject import runs_dir
from tests.conftest import (
    GitRepo,
    gates_env,
    plugin_env,
    plugin_path,
    run_gates,
    wait_until,
)

HUMAN_STATUS = """# CLUSTER STATUS

**Project**: Tool library — hand-written intro, keep me. ü ✓

## Agents

| Agent | Role |
|---|---|
| WALNUT | frontend |

## Merge Gates

## Notes from the humans

Do not merge on Fridays.
"""


def gate_of(repo: GitRepo, branch: str, gate: str) -> dict:
    return {g["gate"]: g for g in verdict_of(repo, branch)["gates"]}[gate]


def report_of(repo: GitRepo, branch: str) -> Path:
    index = json.loads(repo.read("reports/latest.json"))
    return repo.path / index["branches"][branch]["report_dir"]


def verdict_of(repo: GitRepo, branch: str) -> dict:
    return json.loads((report_of(repo, branch) / "verdict.json").read_text())


def _checkout_state(repo: GitRepo) -> dict[str, str]:
    """What the user has in hand: HEAD, the index, the unstaged diff, the untracked file
    and the stash."""
    return {"head": repo.git("rev-parse", "HEAD"),
            "staged": repo.git("diff", "--cached"),
            "unstaged": repo.git("diff"),
            "untracked": repo.read("notes.txt") if (repo.path / "notes.txt").exists() else "",
            "stash": repo.git("stash", "list", "--format=%H %s")}


def test_clean_branch_passes_and_writes_everything(repo: GitRepo) -> None:
    repo.branch("walnut/catalog", {"app/catalog.py": "def tools() -> list[str]:\n    return []\n"},
                "WALNUT: add catalog")
    # the user is mid-work: a stash entry, a staged change, a modified file, an untracked one
    repo.write({"app/core.py": repo.read("app/core.py") + "\n# stashed\n"})
    repo.git("stash", "push", "-q", "-m", "user's stash")
    repo.write({"app/__init__.py": '"""Staged."""\n'})
    repo.git("add", "app/__init__.py")
    repo.write({"app/core.py": repo.read("app/core.py") + "\n# modified, not staged\n",
                "notes.txt": "untracked\n"})
    before = _checkout_state(repo)
    res = run_gates("run", "--branch", "walnut/catalog", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    v = verdict_of(repo, "walnut/catalog")
    assert v["verdict"] == "pass" and v["agent"] == "WALNUT"
    assert v["tree"] == repo.git("merge-tree", "--write-tree", "main", "walnut/catalog")
    assert [g["gate"] for g in v["gates"]] == ["lint"]
    out = repo.path / v["report_dir"]
    for name in ("summary.md", "verdict.json", "findings.sarif", "junit.xml"):
        assert (out / name).is_file(), name
    assert "walnut/catalog" in repo.read("CLUSTER_STATUS.md")
    assert "✅ may merge" in repo.read("AGENT_STATUS_WALNUT.md")
    # the user's checkout, index and stash were not touched
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert _checkout_state(repo) == before
    # and no worktree or run folder is left behind
    assert list(runs_dir(repo.path).iterdir()) == []


def test_new_lint_finding_blocks_existing_does_not(repo: GitRepo) -> None:
    # app/core.py already has an unused `import os` on main: existing debt
    repo.branch("ironwood/payments", {"app/core.py": """
        import os
        import sys


        def answer() -> int:
            return 42
        """}, "IRONWOOD: touch core")
    res = run_gates("run", "--branch", "ironwood/payments", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    lint = gate_of(repo, "ironwood/payments", "lint")
    assert lint["status"] == "fail"
    by_line = {(f["rule"], f["line"]): f for f in lint["findings"]}
    assert by_line[("F401", 2)]["new"] and by_line[("F401", 2)]["blocking"]
    assert not by_line[("F401", 1)]["new"] and not by_line[("F401", 1)]["blocking"]
    assert "app/core.py:2" in repo.read("AGENT_STATUS_IRONWOOD.md")
    issues = repo.read("CLUSTER_ISSUES.md")
    assert issues.count("`F401`") == 1 and "app/core.py:2" in issues
    # block_on = "all" on main makes the existing one block too
    repo.commit({"gates.toml": '[gates.lint]\nblock_on = "all"\n'}, "policy")
    repo.git("checkout", "-q", "ironwood/payments")
    repo.git("merge", "-q", "main")
    repo.git("checkout", "-q", "main")
    run_gates("run", "--branch", "ironwood/payments", cwd=repo.path)
    lint = gate_of(repo, "ironwood/payments", "lint")
    assert all(f["blocking"] for f in lint["findings"] if f["rule"] == "F401")


def test_shifted_existing_finding_stays_existing(repo: GitRepo) -> None:
    repo.branch("acacia/docs", {"app/core.py": '''
        """Core."""

        import os


        def answer() -> int:
            return 42
        '''}, "ACACIA: docstring")
    res = run_gates("run", "--branch", "acacia/docs", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_conflict_is_blocking(repo: GitRepo) -> None:
    repo.branch("walnut/x", {"app/core.py": "X = 1\n"}, "WALNUT: x")
    repo.commit({"app/core.py": "X = 2\n"}, "main moves")
    res = run_gates("run", "--branch", "walnut/x", cwd=repo.path)
    assert res.returncode == 1
    v = verdict_of(repo, "walnut/x")
    assert v["tree"] is None
    merge = v["gates"][0]
    assert merge["gate"] == "merge" and merge["status"] == "fail"
    assert merge["findings"][0]["path"] == "app/core.py"
    assert "rebase" in merge["findings"][0]["message"]


def test_policy_comes_from_base_and_a_change_is_a_finding(repo: GitRepo) -> None:
    repo.commit({"gates.toml": '[gates.lint]\nselect = ["F"]\n'}, "policy")
    repo.branch("ironwood/sneaky", {
        "gates.toml": '[gates.lint]\nenabled = false\n',
        "app/pay.py": "import sys\n",
    }, "IRONWOOD: relax lint")
    res = run_gates("run", "--branch", "ironwood/sneaky", cwd=repo.path)
    assert res.returncode == 1
    v = verdict_of(repo, "ironwood/sneaky")
    gates = {g["gate"]: g for g in v["gates"]}
    assert gates["lint"]["status"] == "fail"  # the branch's `enabled = false` was not used
    pol = gates["policy"]
    assert pol["status"] == "fail"
    assert pol["findings"][0]["rule"] == "policy-changed"
    assert pol["findings"][0]["path"] == "gates.toml"


def test_pyproject_tool_gates_is_read(repo: GitRepo) -> None:
    repo.commit({"pyproject.toml": '[project]\nname="x"\n[tool.gates]\nbase = "main"\n'
                                   '[tool.gates.gates.lint]\nenabled = false\n'}, "cfg")
    repo.branch("walnut/y", {"app/y.py": "import sys\n"})
    res = run_gates("run", "--branch", "walnut/y", cwd=repo.path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "lint" not in [g["gate"] for g in verdict_of(repo, "walnut/y")["gates"]]


def test_bad_config_is_one_line_exit_2(repo: GitRepo) -> None:
    repo.branch("walnut/z", {"app/z.py": "Z = 1\n"})
    cases = {
        "[gates.lint]\ntimeout = \"soon\"\n": "'gates.lint.timeout' must be a number",
        "colour = 1\n": "unknown key 'colour'",
        "[gates.lint\n": "not valid TOML",
        "[gates.nosuch]\n": "unknown gate 'gates.nosuch'",
        "[gates.lint]\nblock_on = \"some\"\n": "block_on",
        "agents = [\"a\"]\n": "'agents' must be a table",
    }
    for text, expected in cases.items():
        (repo.path / "gates.toml").write_text(text)
        repo.git("add", "gates.toml")
        repo.git("commit", "-q", "-m", "cfg")
        res = run_gates("run", "--branch", "walnut/z", cwd=repo.path)
        assert res.returncode == 2, (text, res.stdout, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "gates.toml@main" in lines[0] and expected in lines[0], lines
        assert "Traceback" not in res.stderr


def test_user_errors(repo: GitRepo, tmp_path: Path) -> None:
    res = run_gates("run", "--branch", "nobody/nothing", cwd=repo.path)
    assert res.returncode == 2 and "unknown branch 'nobody/nothing'" in res.stderr
    res = run_gates("run", "--branch", "a..b", cwd=repo.path)
    assert res.returncode == 2 and "not a valid branch name" in res.stderr
    res = run_gates("run", "--branch", "x", "--base", "develop", cwd=repo.path)
    assert res.returncode == 2 and "base branch 'develop' does not exist" in res.stderr
    lonely = tmp_path / "not-a-repo"
    lonely.mkdir()
    res = run_gates("run", "--all", cwd=lonely)
    assert res.returncode == 2 and "not a git repository" in res.stderr
    res = run_gates("run", cwd=repo.path)
    assert res.returncode == 2 and "--branch" in res.stderr
    for r in (res,):
        assert "Traceback" not in r.stderr


def test_remote_tracking_branch_and_all(repo: GitRepo, tmp_path: Path) -> None:
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    repo.branch("acacia/b", {"app/b.py": "import sys\n"})
    repo.branch("feature-without-agent", {"app/c.py": "C = 1\n"})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    res = run_gates("run", "--branch", "walnut/a", cwd=clone)  # only origin/walnut/a exists
    assert res.returncode == 0, res.stderr
    res = run_gates("run", "--all", cwd=clone)
    assert res.returncode == 1
    index = json.loads((clone / "reports/latest.json").read_text())["branches"]
    assert set(index) == {"walnut/a", "acacia/b"}
    status = run_gates("status", cwd=clone)
    assert "acacia/b" in status.stdout and "blocked" in status.stdout


def test_gate_filter_and_unknown_gate(repo: GitRepo) -> None:
    repo.branch("walnut/q", {"app/q.py": "Q = 1\n"})
    res = run_gates("run", "--branch", "walnut/q", "--gate", "lint", cwd=repo.path)
    assert res.returncode == 0
    res = run_gates("run", "--branch", "walnut/q", "--gate", "nope", cwd=repo.path)
    assert res.returncode == 2 and "unknown gate 'nope'" in res.stderr


def test_missing_tool_is_error_and_blocks(repo: GitRepo) -> None:
    repo.commit({"gates.toml": '[gates.lint]\ncommand = "ruff-is-not-installed"\n'}, "cfg")
    repo.branch("walnut/m", {"app/m.py": "M = 1\n"})
    res = run_gates("run", "--branch", "walnut/m", cwd=repo.path)
    assert res.returncode == 1
    lint = gate_of(repo, "walnut/m", "lint")
    assert lint["status"] == "error" and "ruff-is-not-installed is not installed" in lint["reason"]
    assert "could not run" in repo.read("AGENT_STATUS_WALNUT.md")
    assert "gate-error" in repo.read("CLUSTER_ISSUES.md")


CRASHING_GATE = """
from gates.model import GateResult, Status

class Crash:
    name = "crash"
    needs_app = False
    def applies(self, ctx):
        return True
    def run(self, ctx):
        ctx.artifacts.mkdir(parents=True, exist_ok=True)
        (ctx.artifacts / "tool.log").write_text("starting")
        raise RuntimeError("boom in plugin")

GATE = Crash()
"""

SLOW_GATE = """
import sys
from gates.model import GateResult, Status

class Slow:
    name = "slow"
    needs_app = False
    defaults = {"marker": ""}
    def applies(self, ctx):
        return True
    def run(self, ctx):
        # a child that starts a grandchild, both asleep far past the timeout (and past
        # pytest-timeout: a run that waits for them is a hang, and fails)
        code = "import subprocess,sys,time; subprocess.Popen([sys.executable,'-c','import time; time.sleep(3600)', sys.argv[1]]); time.sleep(3600)"
        ctx.run([sys.executable, "-c", code, ctx.config["marker"]], timeout=600)
        return GateResult(gate=self.name, status=Status.PASS)

GATE = Slow()
"""


def _alive_with(marker: str) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker.encode() in (d / "cmdline").read_bytes():
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


def test_plugin_crash_is_error(repo: GitRepo, tmp_path: Path) -> None:
    site = plugin_path(tmp_path, "crash", CRASHING_GATE)
    repo.branch("walnut/c", {"app/c.py": "C = 1\n"})
    res = run_gates("run", "--branch", "walnut/c", cwd=repo.path, env=plugin_env(site))
    assert res.returncode == 1, res.stdout + res.stderr
    crash = {g["gate"]: g for g in verdict_of(repo, "walnut/c")["gates"]}["crash"]
    assert crash["status"] == "error" and "boom in plugin" in crash["reason"]
    # what it wrote before it fell is linked, and the traceback-free reason reads as one line
    assert crash["artifacts"] == ["crash/tool.log"]
    summary = (report_of(repo, "walnut/c") / "summary.md").read_text()
    assert "- **crash**: gate crashed: RuntimeError: boom in plugin" in summary
    assert "[crash/tool.log](crash/tool.log)" in summary


def test_a_plugin_that_cannot_be_imported_is_error_and_blocks(repo: GitRepo,
                                                               tmp_path: Path) -> None:
    site = plugin_path(tmp_path, "broken", "import no_such_module_of_gates_tests\n")
    repo.branch("walnut/c", {"app/c.py": "C = 1\n"})
    res = run_gates("run", "--branch", "walnut/c", cwd=repo.path, env=plugin_env(site))
    assert res.returncode == 1, res.stdout + res.stderr
    broken = {g["gate"]: g for g in verdict_of(repo, "walnut/c")["gates"]}["broken"]
    assert broken["status"] == "error" and "no_such_module_of_gates_tests" in broken["reason"]


def test_timeout_is_error_and_kills_the_process_group(repo: GitRepo, tmp_path: Path) -> None:
    marker = f"gates-test-marker-{os.getpid()}-{time.time_ns()}"
    site = plugin_path(tmp_path, "slow", SLOW_GATE)
    repo.commit({"gates.toml": f'[gates.slow]\ntimeout = 2\nmarker = "{marker}"\n'}, "cfg")
    repo.branch("walnut/s", {"app/s.py": "S = 1\n"})
    res = run_gates("run", "--branch", "walnut/s", cwd=repo.path, env=plugin_env(site))
    assert res.returncode == 1, res.stdout + res.stderr
    slow = {g["gate"]: g for g in verdict_of(repo, "walnut/s")["gates"]}["slow"]
    assert slow["status"] == "error" and "timed out" in slow["reason"]
    wait_until(lambda: _alive_with(marker) == [])


def test_ctrl_c_kills_children_and_cleans_up(repo: GitRepo, tmp_path: Path) -> None:
    marker = f"gates-test-marker-int-{os.getpid()}-{time.time_ns()}"
    site = plugin_path(tmp_path, "slow", SLOW_GATE)
    repo.commit({"gates.toml": f'[gates.slow]\ntimeout = 120\nmarker = "{marker}"\n'}, "cfg")
    repo.branch("walnut/i", {"app/i.py": "I = 1\n"})
    env = gates_env(plugin_env(site))
    p = subprocess.Popen([sys.executable, "-m", "gates", "run", "--branch", "walnut/i"],
                         cwd=repo.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    # both the child and its grandchild: a signal sent before the grandchild exists
    # cannot tell a group kill from a kill of the child alone
    wait_until(lambda: len(_alive_with(marker)) >= 2 or p.poll() is not None)
    assert len(_alive_with(marker)) >= 2, "the slow gate's child and grandchild never started"
    p.send_signal(2)  # SIGINT, as Ctrl-C
    out, err = p.communicate()
    assert p.returncode == 130, out + err
    wait_until(lambda: _alive_with(marker) == [])
    assert list(runs_dir(repo.path).iterdir()) == []


SIGINT_GATE = """
import sys
from gates.model import GateResult, Status

class Probe:
    name = "probe"
    needs_app = False
    defaults = {}
    def applies(self, ctx):
        return True
    def run(self, ctx):
        code = "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
        res = ctx.run([sys.executable, "-c", code], timeout=60)
        ignored = res.stdout.strip() == "True"
        return GateResult(gate=self.name, status=Status.FAIL if ignored else Status.PASS,
                          reason="SIGINT ignored in the child" if ignored else "")

GATE = Probe()
"""


def test_a_run_started_with_ctrl_c_ignored_gives_its_children_the_default(
        repo: GitRepo, tmp_path: Path) -> None:
    """A background job of a script starts with SIGINT ignored; gates keeps ignoring
    it, but what it starts (in sessions of its own) gets the default back: a server or
    test runner that stops itself with SIGINT hangs when it is ignored."""
    site = plugin_path(tmp_path, "probe", SIGINT_GATE)
    repo.branch("walnut/p", {"app/p.py": "P = 1\n"})
    launch = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
              "os.execv(sys.executable, [sys.executable, '-m', 'gates', 'run', '--branch', "
              "'walnut/p', '--gate', 'probe', '--no-status'])")
    res = subprocess.run([sys.executable, "-c", launch], cwd=repo.path, capture_output=True,
                         text=True, timeout=120, env=gates_env(plugin_env(site)))
    probe = {g["gate"]: g for g in verdict_of(repo, "walnut/p")["gates"]}["probe"]
    assert probe["status"] == "pass", probe
    assert res.returncode == 0, res.stdout + res.stderr


def test_concurrent_runs_lose_nothing(repo: GitRepo) -> None:
    (repo.path / "CLUSTER_STATUS.md").write_text(HUMAN_STATUS, encoding="utf-8")
    names = [f"walnut/f{i}" for i in range(4)]
    for i, name in enumerate(names):
        repo.branch(name, {f"app/f{i}.py": f"F{i} = {i}\n" + ("import sys\n" if i % 2 else "")})
    procs = [subprocess.Popen([sys.executable, "-m", "gates", "run", "--branch", n, "-q"],
                              cwd=repo.path, env=gates_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for n in names]
    codes = [p.wait(timeout=300) for p in procs]
    assert codes == [0, 1, 0, 1]
    status = repo.read("CLUSTER_STATUS.md")
    for n in names:
        assert f"`{n}`" in status
    # every human byte outside our block is where it was
    before, after = HUMAN_STATUS.split("## Merge Gates\n")
    assert status.startswith(before + "## Merge Gates\n")
    assert status.endswith(after)
    index = json.loads(repo.read("reports/latest.json"))["branches"]
    assert set(index) == set(names)
    issues = repo.read("CLUSTER_ISSUES.md")
    assert issues.count("### 📋 lint") == 2


def test_commit_commits_only_the_status_files(repo: GitRepo) -> None:
    repo.branch("walnut/k", {"app/k.py": "K = 1\n"})
    repo.write({"app/staged.py": "S = 1\n"})
    repo.git("add", "app/staged.py")
    res = run_gates("run", "--branch", "walnut/k", "--commit", cwd=repo.path)
    assert res.returncode == 0, res.stderr
    files = repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(files) == ["AGENT_STATUS_WALNUT.md", "CLUSTER_ISSUES.md", "CLUSTER_STATUS.md"]
    assert repo.git("diff", "--cached", "--name-only") == "app/staged.py"


def test_resolved_issue_moves_to_the_log(repo: GitRepo) -> None:
    repo.branch("acacia/r", {"app/r.py": "import sys\n"})
    assert run_gates("run", "--branch", "acacia/r", cwd=repo.path).returncode == 1
    assert "🔴 OPEN" in repo.read("CLUSTER_ISSUES.md")
    repo.git("checkout", "-q", "acacia/r")
    repo.commit({"app/r.py": "R = 1\n"}, "ACACIA: fix lint")
    repo.git("checkout", "-q", "main")
    assert run_gates("run", "--branch", "acacia/r", cwd=repo.path).returncode == 0
    issues = repo.read("CLUSTER_ISSUES.md")
    assert "🔴 OPEN" not in issues
    assert "✅ **RESOLVED**" in issues and "`F401`" in issues
    # a third run changes nothing in the issues file but the timestamps it owns
    assert run_gates("run", "--branch", "acacia/r", cwd=repo.path).returncode == 0
    assert repo.read("CLUSTER_ISSUES.md").count("RESOLVED") == 1


def test_no_status_writes_reports_only(repo: GitRepo) -> None:
    repo.branch("walnut/n", {"app/n.py": "N = 1\n"})
    res = run_gates("run", "--branch", "walnut/n", "--no-status", cwd=repo.path)
    assert res.returncode == 0
    assert not (repo.path / "CLUSTER_STATUS.md").exists()
    assert (repo.path / "reports/latest.json").exists()


def test_github_step_summary(repo: GitRepo, tmp_path: Path) -> None:
    repo.branch("walnut/g", {"app/g.py": "import sys\n"})
    summary = tmp_path / "step-summary.md"
    run_gates("run", "--branch", "walnut/g", cwd=repo.path,
              env={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert text.startswith("# ❌ blocked: `walnut/g`") and "F401" in text


MOVING_GATE = """
import subprocess
from gates.model import GateResult, Status

class Mover:
    name = "mover"
    needs_app = False
    def applies(self, ctx):
        return True
    def run(self, ctx):
        # the base moves while the run is going: a new policy lands on main
        repo = str(ctx.workspace.repo)
        if "lint" in subprocess.run(["git", "show", "main:gates.toml"], cwd=repo,
                                    capture_output=True, text=True).stdout:
            return GateResult(gate=self.name, status=Status.PASS)
        with open(ctx.workspace.repo / "gates.toml", "a") as f:
            f.write("[gates.lint]\\nenabled = false\\n")
        subprocess.run(["git", "commit", "-qam", "weaken lint"], cwd=repo, check=True)
        return GateResult(gate=self.name, status=Status.PASS)

GATE = Mover()
"""


def test_a_base_that_moves_during_a_run_changes_neither_policy_nor_base(
        repo: GitRepo, tmp_path: Path) -> None:
    repo.commit({"gates.toml": 'agents = { walnut = "catalog" }\n'}, "cfg")
    before = repo.git("rev-parse", "main").strip()
    repo.branch("walnut/a", {"app/a.py": "A = 1\n"})
    repo.branch("walnut/b", {"app/b.py": "import os\n"})  # F401: lint must still judge it
    site = plugin_path(tmp_path, "mover", MOVING_GATE)
    res = run_gates("run", "--all", "--gate", "mover,lint", cwd=repo.path, env=plugin_env(site))
    assert repo.git("rev-parse", "main").strip() != before  # it did move
    assert res.returncode == 1, res.stdout + res.stderr
    for branch in ("walnut/a", "walnut/b"):
        assert verdict_of(repo, branch)["base_commit"] == before
    lint = {g["gate"]: g for g in verdict_of(repo, "walnut/b")["gates"]}["lint"]
    assert lint["status"] == "fail" and lint["findings"][0]["rule"] == "F401"

