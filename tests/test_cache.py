from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gates.cache import Cache, key, per_file
from gates.gate import GateContext
from gates.model import Finding, GateResult
from tests.conftest import GitRepo, plugin_env, plugin_path, run_gates

SAME = "import sys\n\n\nVALUE = 1\n"


def lint_cache(repo: GitRepo, branch: str) -> dict:
    index = json.loads(repo.read("reports/latest.json"))["branches"][branch]
    verdict = json.loads((repo.path / index["report_dir"] / "verdict.json").read_text())
    return {g["gate"]: g for g in verdict["gates"]}["lint"]["metrics"]["cache"]


def test_same_blob_on_two_branches_is_scanned_once(repo: GitRepo) -> None:
    repo.branch("walnut/a", {"app/shared.py": SAME})
    repo.branch("acacia/b", {"app/shared.py": SAME})
    assert run_gates("run", "--branch", "walnut/a", "-q", cwd=repo.path).returncode == 1
    assert lint_cache(repo, "walnut/a") == {"hits": 0, "misses": 1}
    assert run_gates("run", "--branch", "acacia/b", "-q", cwd=repo.path).returncode == 1
    assert lint_cache(repo, "acacia/b") == {"hits": 1, "misses": 0}
    # a cached result judges exactly like a fresh one
    b = json.loads(repo.read("reports/latest.json"))["branches"]["acacia/b"]
    assert b["blocking"][0]["rule"] == "F401" and b["blocking"][0]["location"] == "app/shared.py:1"


def test_a_rule_change_invalidates(repo: GitRepo) -> None:
    repo.branch("walnut/a", {"app/shared.py": SAME})
    run_gates("run", "--branch", "walnut/a", "-q", cwd=repo.path)
    repo.commit({"gates.toml": '[gates.lint]\nselect = ["F", "E"]\n'}, "stricter lint")
    run_gates("run", "--branch", "walnut/a", "-q", cwd=repo.path)
    assert lint_cache(repo, "walnut/a")["misses"] >= 1


def test_per_file_salt_and_corruption(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite")
    calls: list[list[str]] = []

    def scan(paths: list[str]) -> list[Finding]:
        calls.append(paths)
        return [Finding("lint", "X1", "m", path=p, line=1, fingerprint=p) for p in paths]

    blobs = {"a.py": "1" * 40, "b.py": "2" * 40}
    found, stats = per_file(cache, "tool", "v1", blobs, scan)
    assert stats == {"hits": 0, "misses": 2} and len(found) == 2
    found, stats = per_file(cache, "tool", "v1", blobs, scan)
    assert stats == {"hits": 2, "misses": 0} and [f.path for f in found] == ["a.py", "b.py"]
    _, stats = per_file(cache, "tool", "v2", blobs, scan)  # a new tool version
    assert stats["misses"] == 2
    # a damaged entry is recomputed, never trusted
    con = sqlite3.connect(cache.path)
    con.execute("UPDATE results SET v = ? WHERE k = ?",
                (json.dumps([{"gate": "lint", "rule": "FAKE", "message": "x"}]),
                 key("tool", "v1", "a.py", "1" * 40)))
    con.commit()
    con.close()
    found, stats = per_file(cache, "tool", "v1", blobs, scan)
    assert stats == {"hits": 1, "misses": 1} and "FAKE" not in {f.rule for f in found}
    # a database that is not a database is set aside and rebuilt
    for p in tmp_path.glob("c.sqlite*"):
        p.write_bytes(b"garbage" * 100)
    found, stats = per_file(cache, "tool", "v1", blobs, scan)
    assert stats["misses"] == 2 and len(found) == 2
    assert list(tmp_path.glob("c.sqlite.corrupt-*"))


def _scan_all(paths: list[str]) -> list[Finding]:
    return [Finding("lint", "X1", "m", path=p, line=1, fingerprint=p) for p in paths]


def test_a_busy_database_is_a_miss_never_set_aside(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite", timeout=0.2)
    blobs = {"a.py": "1" * 40}
    per_file(cache, "tool", "v1", blobs, _scan_all)
    other = sqlite3.connect(cache.path, isolation_level=None)
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")  # another run holds the database
    try:
        found, stats = per_file(cache, "tool", "v1", blobs, _scan_all)
        assert stats == {"hits": 0, "misses": 1} and len(found) == 1  # scanned, not trusted
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not list(tmp_path.glob("c.sqlite.corrupt-*"))
    assert per_file(cache, "tool", "v1", blobs, _scan_all)[1] == {"hits": 1, "misses": 0}


def test_clear_empties_the_cache_under_an_open_connection(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite")
    blobs = {"a.py": "1" * 40, "b.py": "2" * 40}
    per_file(cache, "tool", "v1", blobs, _scan_all)
    reader = sqlite3.connect(cache.path)  # a run that has it open
    cache.clear()
    assert reader.execute("SELECT COUNT(*) FROM results").fetchone() == (0,)
    reader.close()
    assert per_file(cache, "tool", "v1", blobs, _scan_all)[1] == {"hits": 0, "misses": 2}
    assert per_file(cache, "tool", "v1", blobs, _scan_all)[1] == {"hits": 2, "misses": 0}


def test_cache_command(repo: GitRepo) -> None:
    repo.branch("walnut/a", {"app/shared.py": SAME})
    run_gates("run", "--branch", "walnut/a", "-q", cwd=repo.path)
    res = run_gates("cache", "info", cwd=repo.path)
    assert res.returncode == 0 and "ruff:" in res.stdout
    assert run_gates("cache", "clear", cwd=repo.path).returncode == 0
    assert "0 entries" in run_gates("cache", "info", cwd=repo.path).stdout


def test_a_finding_at_a_path_not_asked_for_stores_nothing(tmp_path: Path) -> None:
    """A tool that reports other paths than it was given (it misread them): nothing is
    cached, or the files asked for would be "clean" forever."""
    cache = Cache(tmp_path / "c.sqlite")

    def scan(paths: list[str]) -> list[Finding]:
        return [Finding("security", "X1", "m", path="./" + p, line=1, fingerprint=p)
                for p in paths]

    found, _ = per_file(cache, "tool", "v1", {"a.py": "1" * 40}, scan)
    assert [f.path for f in found] == ["./a.py"]
    assert cache.get_many([key("tool", "v1", "a.py", "1" * 40)]) == {}


# -- the security and secrets gates through the cache: every tool call logged -------------

RULES = """
rules:
  - id: no-eval
    languages: [python]
    severity: ERROR
    message: eval of data
    pattern: eval(...)
"""
MORE_RULES = RULES + """
  - id: no-exec
    languages: [python]
    severity: ERROR
    message: exec of data
    pattern: exec(...)
"""
SHARED = """
import subprocess

AWS = "AKIAZ7QW3RTY5UIO2PLK"


def run(cmd: str) -> object:
    subprocess.call(cmd, shell=True)
    return eval(cmd)
"""


@dataclass
class Tools:
    """Wrappers around the real tools that log each call (`semgrep.log` …)."""

    folder: Path

    def wrap(self, tool: str, version: str | None = None) -> str:
        real = Path(sys.executable).parent / tool
        exe = self.folder / f"{tool}-logged"
        fake = (f'if [ "$1" = --version ]; then echo "{tool} {version}"; exit 0; fi\n'
                if version else "")
        exe.write_text(f'#!/bin/sh\necho "$*" >> "{self.folder / tool}.log"\n{fake}'
                       f'exec "{real}" "$@"\n')
        exe.chmod(0o755)
        return str(exe)

    def calls(self, tool: str) -> list[str]:
        """The scans (not the version or plugin-list probes) `tool` was called for."""
        log = self.folder / f"{tool}.log"
        lines = log.read_text().splitlines() if log.exists() else []
        return [c for c in lines if "--version" not in c and "--list-all-plugins" not in c]

    def config(self, **extra: str) -> str:
        sec = {"semgrep": self.wrap("semgrep"), "bandit": self.wrap("bandit"), **extra}
        lines = ["[gates.security]", 'rules = ["ci/rules.yaml"]', "bundled_rules = false"]
        lines += [f'{k} = "{v}"' for k, v in sec.items()]
        lines += ["[gates.secrets]", f'detect_secrets = "{self.wrap("detect-secrets")}"']
        return "\n".join(lines) + "\n"


@pytest.fixture
def tools(tmp_path: Path) -> Tools:
    folder = tmp_path / "tools"
    folder.mkdir()
    return Tools(folder)


def gate_result(repo: GitRepo, branch: str, gate: str) -> dict:
    index = json.loads(repo.read("reports/latest.json"))["branches"][branch]
    verdict = json.loads((repo.path / index["report_dir"] / "verdict.json").read_text())
    return {g["gate"]: g for g in verdict["gates"]}[gate]


def seen(result: dict) -> set[tuple[str, str, bool]]:
    return {(f["rule"], f"{f['path']}:{f['line']}", f["new"]) for f in result["findings"]}


STATIC = ("--gate", "security,secrets", "-q", "--no-status")


def test_security_and_secrets_scan_a_blob_once_for_every_branch(repo: GitRepo,
                                                                tools: Tools) -> None:
    repo.commit({"gates.toml": tools.config(), "ci/rules.yaml": RULES}, "policy")
    repo.branch("walnut/a", {"app/shared.py": SHARED})
    repo.branch("acacia/b", {"app/shared.py": SHARED})
    assert run_gates("run", "--branch", "walnut/a", *STATIC, cwd=repo.path).returncode == 1
    first = {g: gate_result(repo, "walnut/a", g) for g in ("security", "secrets")}
    assert {r[0] for r in seen(first["security"])} >= {"no-eval", "B602"}
    assert {r[0] for r in seen(first["secrets"])} == {"aws-access-key"}
    # one call per tool: the branch's side only (the file is new, the base has no version)
    assert [len(tools.calls(t)) for t in ("semgrep", "bandit", "detect-secrets")] == [1, 1, 1]
    logs = {t: (tools.folder / f"{t}.log").read_text() for t in ("semgrep", "bandit",
                                                                    "detect-secrets")}
    assert run_gates("run", "--branch", "acacia/b", *STATIC, cwd=repo.path).returncode == 1
    # the same blob on another branch: no tool runs at all (nor its version probe)
    for t, before in logs.items():
        assert (tools.folder / f"{t}.log").read_text() == before, t
    again = {g: gate_result(repo, "acacia/b", g) for g in ("security", "secrets")}
    assert again["security"]["metrics"]["cache"] == {
        "hits": 2, "misses": 0, "semgrep": {"hits": 1, "misses": 0},
        "bandit": {"hits": 1, "misses": 0}}
    assert again["secrets"]["metrics"]["cache"] == {"hits": 1, "misses": 0}
    # and it judges exactly as the fresh scan did
    for g in ("security", "secrets"):
        assert seen(again[g]) == seen(first[g])
        assert again[g]["status"] == first[g]["status"] == "fail"


def test_a_rule_change_or_a_new_tool_version_invalidates(repo: GitRepo, tools: Tools) -> None:
    repo.commit({"gates.toml": tools.config(), "ci/rules.yaml": RULES}, "policy")
    repo.branch("walnut/a", {"app/shared.py": SHARED + "\n\nexec('x')\n"})
    run_gates("run", "--branch", "walnut/a", *STATIC, cwd=repo.path)
    assert "no-exec" not in {r[0] for r in seen(gate_result(repo, "walnut/a", "security"))}
    assert [len(tools.calls(t)) for t in ("semgrep", "bandit")] == [1, 1]

    repo.commit({"ci/rules.yaml": MORE_RULES}, "a new rule")  # semgrep's key changes
    run_gates("run", "--branch", "walnut/a", *STATIC, cwd=repo.path)
    sec = gate_result(repo, "walnut/a", "security")
    assert "no-exec" in {r[0] for r in seen(sec)}
    assert sec["metrics"]["cache"]["semgrep"] == {"hits": 0, "misses": 1}
    assert sec["metrics"]["cache"]["bandit"] == {"hits": 1, "misses": 0}
    assert [len(tools.calls(t)) for t in ("semgrep", "bandit")] == [2, 1]

    # bandit "upgraded": its program changed, it reports another version: scanned again
    tools.wrap("bandit", version="9.9.9")
    run_gates("run", "--branch", "walnut/a", *STATIC, cwd=repo.path)
    sec = gate_result(repo, "walnut/a", "security")
    assert sec["metrics"]["tools"]["bandit"] == "9.9.9"
    assert sec["metrics"]["cache"]["bandit"] == {"hits": 0, "misses": 1}
    assert [len(tools.calls(t)) for t in ("semgrep", "bandit")] == [2, 2]


def test_both_sides_of_a_changed_file_share_one_process(repo: GitRepo, tools: Tools) -> None:
    """A file the branch modifies: its version on the branch and on the base are scanned
    by one semgrep and one bandit, in numbered folders, and still told apart."""
    old = "def first(x: str) -> object:\n    return eval(x)\n"
    repo.commit({"gates.toml": tools.config(), "ci/rules.yaml": RULES, "app/core.py": old},
                "policy")
    repo.branch("walnut/a", {"app/core.py": old + "\n\ndef second(y: str) -> object:\n"
                                                 "    return eval(y)\n"})
    run_gates("run", "--branch", "walnut/a", *STATIC, cwd=repo.path)
    sec = gate_result(repo, "walnut/a", "security")
    assert {r for r in seen(sec) if r[0] == "no-eval"} == {
        ("no-eval", "app/core.py:2", False), ("no-eval", "app/core.py:6", True)}
    assert sec["metrics"]["base_files"] == 1
    # semgrep's version came with its scan: one process, no `semgrep --version`
    assert (tools.folder / "semgrep.log").read_text().count("\n") == 1
    assert [len(tools.calls(t)) for t in ("semgrep", "bandit", "detect-secrets")] == [1, 1, 1]
    assert all("0/app/core.py" in tools.calls(t)[0] and "1/app/core.py" in tools.calls(t)[0]
               for t in ("semgrep", "bandit"))
    run_gates("run", "--branch", "walnut/a", *STATIC, cwd=repo.path)
    assert seen(gate_result(repo, "walnut/a", "security")) == seen(sec)
    assert [len(tools.calls(t)) for t in ("semgrep", "bandit", "detect-secrets")] == [1, 1, 1]


def test_a_semgrep_error_is_never_cached_as_no_findings(repo: GitRepo, tools: Tools) -> None:
    fake = tools.folder / "semgrep-broken"
    fake.write_text('#!/bin/sh\necho "$*" >> "' + str(tools.folder / "broken.log") + '"\n'
                    """echo '{"version": "1.0", "results": [], "errors": [{"level": "error", """
                    """"type": "Timeout", "message": "Timeout on app/shared.py"}]}'\nexit 0\n""")
    fake.chmod(0o755)
    repo.commit({"gates.toml": tools.config(semgrep=str(fake)), "ci/rules.yaml": RULES},
                "policy")
    repo.branch("walnut/a", {"app/shared.py": SHARED})
    for _ in range(2):  # an error, and again an error: nothing was kept
        assert run_gates("run", "--branch", "walnut/a", *STATIC, cwd=repo.path).returncode == 1
        sec = gate_result(repo, "walnut/a", "security")
        assert sec["status"] == "error" and "Timeout on app/shared.py" in sec["reason"]
    assert len([c for c in (tools.folder / "broken.log").read_text().splitlines()
                if "--version" not in c]) == 2
    assert "semgrep:" not in run_gates("cache", "info", cwd=repo.path).stdout
    repo.commit({"gates.toml": tools.config()}, "the real semgrep")
    run_gates("run", "--branch", "walnut/a", *STATIC, cwd=repo.path)
    sec = gate_result(repo, "walnut/a", "security")
    assert sec["status"] == "fail" and "no-eval" in {r[0] for r in seen(sec)}
    assert sec["metrics"]["cache"]["semgrep"] == {"hits": 0, "misses": 1}


def test_all_branches_scan_each_distinct_file_once(repo: GitRepo, tools: Tools) -> None:
    """`gates run --all`: three branches, three new files and one they share: each tool
    runs once for all of them, and judging them reads the cache."""
    repo.commit({"gates.toml": tools.config(), "ci/rules.yaml": RULES}, "policy")
    for agent in ("walnut", "acacia", "ironwood"):
        repo.branch(f"{agent}/x", {"app/shared.py": SHARED,
                                   f"app/{agent}.py": f"def {agent}(x: str) -> object:\n"
                                                      "    return eval(x)\n"})
    res = run_gates("run", "--all", "--gate", "security,secrets", "--no-status", cwd=repo.path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "12 files scanned in 3 tool runs" in res.stdout  # 4 files × 3 tools
    assert [len(tools.calls(t)) for t in ("semgrep", "bandit", "detect-secrets")] == [1, 1, 1]
    assert "app/walnut.py" in tools.calls("semgrep")[0]
    assert "app/ironwood.py" in tools.calls("semgrep")[0]
    for agent in ("walnut", "acacia", "ironwood"):
        sec = gate_result(repo, f"{agent}/x", "security")
        assert ("no-eval", f"app/{agent}.py:2", True) in seen(sec)
        assert sec["metrics"]["cache"]["misses"] == 0
        assert gate_result(repo, f"{agent}/x", "secrets")["status"] == "fail"


def test_a_warm_run_exports_nothing_of_the_merge_result(repo: GitRepo, tools: Tools,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Static gates write only the files they scan; a run answered by the cache writes
    none (the files with findings are read for suppressions: those only)."""
    from gates import git, registry, runner
    from gates.commands.common import trusted_config

    repo.commit({"gates.toml": tools.config(), "ci/rules.yaml": RULES}, "policy")
    repo.commit({f"lib/m{i}.py": f"M = {i}\n" for i in range(30)}, "a bigger tree")
    repo.branch("walnut/a", {"app/shared.py": SHARED})
    exports: list[tuple[str, list[str] | None]] = []
    blobs: list[list[str]] = []
    real_export, real_blobs = git.export, git.export_blobs

    def export(r: Path, tree: str, dest: Path, paths: object = None) -> Path:
        exports.append((tree, None if paths is None else list(paths)))  # type: ignore[call-overload]
        return real_export(r, tree, dest, paths)  # type: ignore[arg-type]

    def export_blobs(r: Path, wanted: dict[str, str], dest: Path) -> Path:
        blobs.append(sorted(wanted))
        return real_blobs(r, wanted, dest)

    monkeypatch.setattr(git, "export", export)
    monkeypatch.setattr(git, "export_blobs", export_blobs)
    reg = registry.load()
    cfg = trusted_config(repo.path, reg, None)
    for run in ("cold", "warm"):
        exports.clear()
        blobs.clear()
        v = runner.run_branch(repo.path, cfg, reg, "walnut/a", only=["lint", "security",
                                                                   "secrets"])
        assert [r.status.value for r in v.results] == ["pass", "fail", "fail"], run
        assert all(paths is not None for _, paths in exports), run  # never the whole tree
        assert {p for _, paths in exports for p in paths or []} <= {"app/shared.py"}
        if run == "cold":
            assert blobs and {p for b in blobs for p in b} == {"app/shared.py"}
        else:
            assert blobs == [], "a warm run scans nothing"


def test_the_merge_result_is_exported_on_first_need(repo: GitRepo) -> None:
    from gates import subject
    from gates.gate import Workspace

    repo.branch("walnut/a", {"app/new.py": "N = 1\n"})
    subj = subject.resolve(repo.path, "walnut/a", "main")
    with subject.materialise(repo.path, subj, lazy=True) as (tree, scratch):
        ws = Workspace(repo=repo.path, subject=subj, worktree=tree, scratch=scratch,
                       exported=False)
        assert not tree.exists()
        # a finding's path can be anything (an URL, an absolute path): only tree files
        part = ws.files(["app/new.py", "/etc/hostname", "../outside", "GET /api/x", ""])
        assert sorted(p.relative_to(part).as_posix() for p in part.rglob("*")
                      if p.is_file()) == ["app/new.py"]
        assert not tree.exists()
        assert (ws.worktree / "app" / "core.py").is_file()  # the whole tree, now
        assert ws.files(["app/new.py"]) == tree


# -- whole-gate results: a gate that tests the app ------------------------------------------

APP_GATE = """
from pathlib import Path

from gates.model import Finding, GateResult, Severity, Status


class Appish:
    name = "appish"
    needs_app = True
    defaults = {"log": "", "mode": ""}

    def applies(self, ctx):
        return True

    def run(self, ctx):
        mode = Path(ctx.config["mode"]).read_text().strip()
        with open(ctx.config["log"], "a") as f:
            f.write(mode + "\\n")
        if mode == "error":
            raise RuntimeError("the app fell over")
        ctx.artifacts.mkdir(parents=True, exist_ok=True)
        text = (ctx.worktree / "app" / "core.py").read_text()  # the merge result, exported now
        (ctx.artifacts / "seen.txt").write_text(text)
        findings = [Finding("appish", "broken-page", "the page is broken",
                            severity=Severity.HIGH, path="app/core.py", line=1)]
        return GateResult("appish", Status.PASS, findings=findings if mode == "fail" else [],
                          artifacts=["appish/seen.txt"])


GATE = Appish()
"""


def test_an_app_gate_pass_on_the_same_tree_is_reused_never_a_failure(
        repo: GitRepo, tmp_path: Path) -> None:
    site = plugin_path(tmp_path, "appish", APP_GATE)
    env = plugin_env(site)
    log, mode = tmp_path / "appish.log", tmp_path / "mode"
    repo.commit({"gates.toml": f'[gates.appish]\nlog = "{log}"\nmode = "{mode}"\n'}, "cfg")
    repo.branch("walnut/a", {"app/new.py": "N = 1\n"})

    def run(expect: str, *extra: str) -> dict:
        res = run_gates("run", "--branch", "walnut/a", "--gate", "appish", "--no-status",
                        *extra, cwd=repo.path, env=env)
        assert res.returncode == (0 if expect == "pass" else 1), res.stdout + res.stderr
        result = gate_result(repo, "walnut/a", "appish")
        assert result["status"] == expect
        return result

    for m, expect in (("fail", "fail"), ("error", "error"), ("pass", "pass")):
        mode.write_text(m)
        run(expect)
        mode.write_text(m)
        run(expect)  # a failure or an error: tested again
    assert log.read_text().split() == ["fail", "fail", "error", "error", "pass"]
    reused = gate_result(repo, "walnut/a", "appish")
    assert reused["metrics"]["cached"]["tested"]
    # its artifacts came along into this run's report
    index = json.loads(repo.read("reports/latest.json"))["branches"]["walnut/a"]
    report = repo.path / index["report_dir"]
    assert reused["artifacts"] == ["appish/seen.txt"]
    assert (report / "appish" / "seen.txt").read_text().startswith("import os")
    assert "reused: this tree passed at" in (report / "summary.md").read_text()
    assert "reused: this tree passed at" in (report / "index.html").read_text()  # run page
    # --fresh: tested again all the same
    assert "cached" not in run("pass", "--fresh")["metrics"]
    assert log.read_text().split() == ["fail", "fail", "error", "error", "pass", "pass"]

    # another tree (the branch moves on), or another config: tested again
    repo.git("checkout", "-q", "walnut/a")
    repo.commit({"app/new.py": "N = 2\n"}, "more")
    repo.git("checkout", "-q", "main")
    run("pass")
    assert log.read_text().split()[-1] == "pass" and len(log.read_text().split()) == 7
    repo.commit({"gates.toml": f'[gates.appish]\nlog = "{log}"\nmode = "{mode}"\n'
                               'timeout = 300\n'}, "cfg")
    run("pass")
    assert len(log.read_text().split()) == 8


# -- the cache's own parts, unit by unit (found by mutmut: bench/mutation_spine.py) ---------

class _Appish:
    """An app gate whose result is stored whole."""

    def __init__(self) -> None:
        self.name = "appish"
        self.needs_app = True
        self.defaults = {"mode": "x"}

    def applies(self, ctx: GateContext) -> bool:
        return True

    def run(self, ctx: GateContext) -> GateResult:
        raise AssertionError("never run here")


def test_unit_whole_result_key_follows_everything_a_pass_depends_on(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from gates.cache import base_key, result_key
    from gates.gate import as_gate
    from tests.conftest import gate_context

    repo.commit({"gates.toml": 'env_allow = ["APP_MODE"]\n'}, "cfg")
    repo.branch("walnut/a", {"app/new.py": "N = 1\n"})
    monkeypatch.setenv("APP_MODE", "one")
    gate = as_gate(_Appish())
    with gate_context(repo, "walnut/a", _Appish()) as ctx:
        k = result_key(gate, ctx)
        b = base_key("appish", __name__, ctx)
        assert k and b and len({k, b}) == 2 and k == result_key(gate, ctx)
        others = set()
        monkeypatch.setenv("APP_MODE", "two")  # an allowed host variable
        others |= {result_key(gate, ctx), base_key("appish", __name__, ctx)}
        monkeypatch.setenv("APP_MODE", "one")
        ctx.config = {**ctx.config, "mode": "y"}  # the gate's section
        others |= {result_key(gate, ctx), base_key("appish", __name__, ctx)}
        ctx.config = {**ctx.config, "mode": "x"}
        same = ctx.config
        ctx.config = dict(reversed(list(same.items())))  # the same section, reordered
        assert (result_key(gate, ctx), base_key("appish", __name__, ctx)) == (k, b)
        ctx.config = same
        subj = ctx.workspace.subject
        ctx.workspace.subject = dataclasses.replace(subj, tree="0" * 40)  # another tree
        others.add(result_key(gate, ctx))
        assert base_key("appish", __name__, ctx) == b  # the base side's key has no tree
        ctx.workspace.subject = dataclasses.replace(subj, base_commit="1" * 40)
        others |= {result_key(gate, ctx), base_key("appish", __name__, ctx)}
        ctx.workspace.subject = subj
        assert base_key("other", __name__, ctx) != b  # another gate's base side
        assert base_key("appish", "json", ctx) != b  # another gate's code
        renamed = _Appish()
        renamed.name = "appish2"
        others.add(result_key(as_gate(renamed), ctx))
        assert len(others) == 8 and not others & {k, b}
        assert (result_key(gate, ctx), base_key("appish", __name__, ctx)) == (k, b)
        # a conflicting merge has no tree to test; a gate without an app, or that asks
        # not to be reused, has no whole result
        ctx.workspace.subject = dataclasses.replace(subj, tree=None)
        assert result_key(gate, ctx) is None
        ctx.workspace.subject = subj
        no_app, no_reuse = _Appish(), _Appish()
        no_app.needs_app = False
        no_reuse.reuse_results = False  # type: ignore[attr-defined]
        assert result_key(as_gate(no_app), ctx) is None
        assert result_key(as_gate(no_reuse), ctx) is None


def test_unit_code_stamp_changes_with_the_gates_code(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from gates import cache as cache_mod

    pkg = tmp_path / "stamppkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "helper.py").write_text("X = 1\n")
    (tmp_path / "stampmod.py").write_text("Y = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cache_mod, "_stamps", {})
    first = cache_mod._code_stamp("stamppkg.sub.helper")
    assert first == cache_mod._code_stamp("stamppkg")  # one stamp per top-level package
    single = cache_mod._code_stamp("stampmod")
    assert single != first
    # a helper's edit (same size, a new mtime) is a new stamp in the next process
    helper = pkg / "sub" / "helper.py"
    st = helper.stat()
    helper.write_text("X = 2\n")
    os.utime(helper, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert cache_mod._code_stamp("stamppkg") == first  # this process keeps its stamp
    monkeypatch.setattr(cache_mod, "_stamps", {})
    assert cache_mod._code_stamp("stamppkg") != first
    (tmp_path / "stampmod.py").write_text("Y = 22\n")  # another size
    assert cache_mod._code_stamp("stampmod") != single


def test_unit_a_stored_pass_is_reused_with_its_artifacts(repo: GitRepo, tmp_path: Path) -> None:
    from gates.cache import keep_result, reuse_result
    from gates.model import GateResult, Status
    from tests.conftest import gate_context

    repo.branch("walnut/a", {"app/new.py": "N = 1\n"})
    cache = Cache(tmp_path / "c.sqlite")
    old = repo.path / "reports" / "old"
    (old / "appish").mkdir(parents=True)
    (old / "appish" / "seen.txt").write_text("seen")
    (tmp_path / "secret").write_text("host file")
    (old / "appish" / "link").symlink_to(tmp_path / "secret")  # copied as a link, never read
    passed = GateResult("appish", Status.PASS, metrics={"n": 1},
                        artifacts=["appish/seen.txt", "appish/gone.txt"])
    keep_result(cache, "k-pass", passed.to_json(), "reports/old")
    keep_result(cache, "k-fail", GateResult("appish", Status.FAIL).to_json(), "reports/old")
    cache.put_many({"k-bad": {"result": {"status": "pass"}, "report_dir": "x", "at": "t"},
                    "k-list": ["not", "a", "dict"]}, "gate-result")
    assert cache.info()["tools"] == {"gate-result": 4}
    with gate_context(repo, "walnut/a", _Appish(), reports=repo.path / "reports" / "new") as ctx:
        for k in ("k-fail", "k-bad", "k-list", "k-none"):
            assert reuse_result(cache, k, ctx, repo.path) is None, k
        assert not ctx.artifacts.exists()
        ctx.artifacts.mkdir(parents=True)  # the gate's folder may be there already
        got = reuse_result(cache, "k-pass", ctx, repo.path)
        assert got is not None and got.status == Status.PASS and got.metrics["n"] == 1
        at = got.metrics["cached"].pop("tested")
        assert at.endswith("Z") and at[:2] == "20"
        assert got.metrics["cached"] == {"report_dir": "reports/old", "artifacts_missing": 1}
        assert got.artifacts == ["appish/seen.txt"]
        assert (ctx.artifacts / "seen.txt").read_text() == "seen"
        assert (ctx.artifacts / "link").readlink() == tmp_path / "secret"


def test_unit_a_stored_pass_from_outside_the_repo_brings_no_artifacts(
        repo: GitRepo, tmp_path: Path) -> None:
    from gates.cache import keep_result, reuse_result
    from gates.model import GateResult, Status
    from tests.conftest import gate_context

    repo.branch("walnut/a", {"app/new.py": "N = 1\n"})
    cache = Cache(tmp_path / "c.sqlite")
    (tmp_path / "elsewhere" / "appish").mkdir(parents=True)
    (tmp_path / "elsewhere" / "appish" / "seen.txt").write_text("not ours")
    keep_result(cache, "k", GateResult("appish", Status.PASS, artifacts=["appish/seen.txt"]
                                       ).to_json(), str(tmp_path / "elsewhere"))
    with gate_context(repo, "walnut/a", _Appish(), reports=repo.path / "reports" / "new") as ctx:
        got = reuse_result(cache, "k", ctx, repo.path)
        assert got is not None and got.artifacts == []
        assert got.metrics["cached"]["artifacts_missing"] == 1
        assert not (ctx.artifacts / "seen.txt").exists()


def test_unit_info_counts_entries_per_tool_and_the_files(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite")
    assert cache.info() == {"path": str(cache.path), "entries": 0, "bytes": 0, "tools": {}}
    cache.clear()  # nothing to clear: no file made
    assert not cache.path.exists()
    per_file(cache, "ruff", "v1", {"a.py": "1" * 40, "b.py": "2" * 40}, _scan_all)
    per_file(cache, "bandit", "v1", {"a.py": "1" * 40}, _scan_all)
    info = cache.info()
    assert (info["path"], info["entries"], info["tools"]) == (
        str(cache.path), 3, {"ruff": 2, "bandit": 1})
    assert info["bytes"] == sum(p.stat().st_size for p in tmp_path.glob("c.sqlite*")) > 0
    assert per_file(cache, "ruff", "v1", {}, _scan_all) == ([], {"hits": 0, "misses": 0})


@pytest.mark.parametrize("damage", ["schema", "table"])
def test_unit_a_damaged_database_is_set_aside_whole_and_rebuilt(tmp_path: Path,
                                                                damage: str) -> None:
    """A damaged first page (SQLite says SQLITE_CORRUPT) or a damaged table page (only
    the integrity check sees it): the files are moved aside, together, and rebuilt."""
    cache = Cache(tmp_path / "c.sqlite")
    blobs = {f"f{i}.py": f"{i:040d}" for i in range(300)}  # a table of many pages
    per_file(cache, "tool", "v1", blobs, _scan_all)
    data = bytearray(cache.path.read_bytes())
    at = 100 if damage == "schema" else 2 * 4096 + 10
    data[at:at + 200] = b"\x07" * 200
    cache.path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):  # what a killed writer left beside it
        (tmp_path / f"c.sqlite{suffix}").write_bytes(b"\x07" * 64)
    found, stats = per_file(cache, "tool", "v1", blobs, _scan_all)
    assert stats == {"hits": 0, "misses": 300} and len(found) == 300
    aside = sorted(p.name.rsplit("-", 1)[0] for p in tmp_path.glob("*.corrupt-*"))
    assert all(p.name.rsplit("-", 1)[1].isdigit() for p in tmp_path.glob("*.corrupt-*"))
    if damage == "schema":  # SQLite could not open it: its -wal and -shm go aside too
        assert aside == ["c.sqlite-shm.corrupt", "c.sqlite-wal.corrupt", "c.sqlite.corrupt"]
    else:  # it opened, and closing it dropped the -wal and -shm
        assert aside == ["c.sqlite.corrupt"]
    assert per_file(cache, "tool", "v1", blobs, _scan_all)[1] == {"hits": 300, "misses": 0}


def test_unit_an_entry_that_is_not_json_is_recomputed(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite")
    k1, k2 = key("tool", "v1", "a.py", "1" * 40), key("tool", "v1", "b.py", "2" * 40)
    con = sqlite3.connect(cache.path)
    con.execute("CREATE TABLE results (k TEXT PRIMARY KEY, v TEXT NOT NULL, "
                "sum TEXT NOT NULL, tool TEXT NOT NULL, at REAL NOT NULL)")
    from gates.cache import _checksum
    for k, v in ((k1, "[not json"), (k2, "[]")):  # the first is checksummed right
        con.execute("INSERT INTO results VALUES (?, ?, ?, 'tool', 0)", (k, v, _checksum(v)))
    con.commit()
    con.close()
    assert cache.get_many([k1, k2]) == {k2: []}
    assert cache.get_many([]) == {}


def test_unit_many_keys_and_a_damaged_first_row(tmp_path: Path) -> None:
    """Keys are read 500 at a time; a damaged row or one that is not JSON is skipped,
    never the rows after it."""
    from gates.cache import _checksum

    cache = Cache(tmp_path / "deep" / "er" / "c.sqlite")
    blobs = {f"f{i}.py": f"{i:040d}" for i in range(1201)}
    per_file(cache, "tool", "v1", blobs, _scan_all)
    keys = sorted(key("tool", "v1", p, b) for p, b in blobs.items())
    con = sqlite3.connect(cache.path)
    con.execute("UPDATE results SET sum = 'x' WHERE k = ?", (keys[0],))
    con.execute("UPDATE results SET v = '[', sum = ? WHERE k = ?", (_checksum("["), keys[1]))
    con.commit()
    con.close()
    assert sorted(cache.get_many(keys)) == keys[2:]
    found, stats = per_file(cache, "tool", "v1", blobs, _scan_all)
    assert stats == {"hits": 1199, "misses": 2}
    assert sorted(str(f.path) for f in found) == sorted(blobs)  # the cached and the fresh


def test_unit_the_repos_cache_lives_in_its_git_dir(repo: GitRepo) -> None:
    from gates.store import cache_db

    cache = Cache.for_repo(repo.path)
    assert cache.path == cache_db(repo.path)
    per_file(cache, "tool", "v1", {"a.py": "1" * 40}, _scan_all)
    assert Cache.for_repo(repo.path).info()["entries"] == 1


def test_unit_a_write_waits_for_another_runs_write(tmp_path: Path) -> None:
    import threading

    cache = Cache(tmp_path / "c.sqlite")
    cache.put_many({"a": 1}, "tool")
    other = sqlite3.connect(cache.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")  # another run is writing
    done = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    done.start()
    try:
        cache.put_many({"b": 2}, "tool")  # waits for it, then writes
    finally:
        done.join()
        other.close()
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
