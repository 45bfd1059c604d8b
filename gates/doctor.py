"""`gates doctor`: can each enabled gate run here, and if not, the exact fix.

Two depths. `cheap` starts no process: is each gate's program on PATH (and
`node_modules` beside a Node tool), is there a Chromium for e2e — `gates run` and
`gates demo` ask it first and say up front which gates will be `error` and why.
`full` (the doctor command) also asks each tool its version, starts the `[app]`
command on the base's tree and waits for its health check (quoting its last log
lines when it does not answer), fetches the OpenAPI document, and logs each
configured user in.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gates import proc, runner, subject
from gates.builtin.e2e.browser import BrowserMissing, find_chromium
from gates.builtin.tool.gate import ToolGate
from gates.config import Config, GateSection
from gates.formats.paths import tail
from gates.gate import Gate, GateContext, GateError, Workspace
from gates.registry import Registry

NODE_RUNNERS = {"npx", "pnpx", "bunx"}
Maker = Callable[[Gate, GateSection], GateContext]
PIP_FIX = "pip install 'gates[all]' (in the environment gates runs from)"


@dataclass
class Check:
    gate: str
    ok: bool
    said: str  # what was found
    fix: str = ""  # the exact fix, when not ok

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.gate:10} {self.said}" + (f" — fix: {self.fix}" if self.fix else "")


def chromium_fix() -> str:
    """The one command that gets this system a Chromium."""
    sudo = "" if os.geteuid() == 0 else "sudo "
    if shutil.which("apt-get"):
        return f"{sudo}apt-get install -y chromium (or: python -m playwright install chromium)"
    if shutil.which("dnf"):
        return f"{sudo}dnf install -y chromium (or: python -m playwright install chromium)"
    if shutil.which("brew"):
        return "brew install --cask chromium (or: python -m playwright install chromium)"
    return "python -m playwright install chromium"


def enabled(cfg: Config, registry: Registry, only: Sequence[str] | None = None
            ) -> list[tuple[Gate, GateSection]]:
    return runner.plan(cfg, registry, only).gates


def cheap(root: Path, cfg: Config, registry: Registry, only: Sequence[str] | None = None
          ) -> list[Check]:
    """The checks that start no process (programs on PATH, node_modules, a Chromium)."""
    out = []
    for gate, section in enabled(cfg, registry, only):
        problem = _cheap_one(root, cfg, gate, section)
        out.append(problem or Check(gate.name, True, "its programs are here"))
    return out


def _programs(gate: Gate, section: GateSection) -> list[str]:
    if isinstance(gate, ToolGate):
        return [gate.spec.command[0]]
    known = {"lint": ["command"], "security": ["bandit", "semgrep"], "secrets": ["detect_secrets"]}
    return [str(section.get(k)) for k in known.get(gate.name, []) if section.get(k)]


def _cheap_one(root: Path, cfg: Config, gate: Gate, section: GateSection) -> Check | None:
    if gate.needs_app and not cfg["app"]["command"]:
        return Check(gate.name, True, "will be skipped: no [app] command in the config")
    env = proc.scrubbed_env(allow=cfg["env_allow"])
    for program in _programs(gate, section):
        try:
            proc.resolve([program], env)
        except proc.ToolMissing as e:
            return Check(gate.name, False, str(e), _install_fix(program))
        if Path(program).name in NODE_RUNNERS:
            try:
                proc.resolve(["node"], env)
            except proc.ToolMissing as e:
                return Check(gate.name, False, str(e), _install_fix("node"))
    if isinstance(gate, ToolGate):
        for name in gate.spec.link:
            if not (root / name).exists():
                fix = f"npm ci (in {root})" if name == "node_modules" else \
                    f"create {name} in {root}"
                return Check(gate.name, False, f"{name} is not in the checkout "
                             f"({gate.spec.program} comes from it)", fix)
    if gate.name == "e2e":
        if importlib.util.find_spec("playwright") is None:
            return Check("e2e", False, "the playwright package is not installed", PIP_FIX)
        try:
            found = find_chromium(str(section.get("chromium") or ""))
        except BrowserMissing as e:
            return Check("e2e", False, str(e).split(";")[0], chromium_fix())
        return Check("e2e", True, f"Chromium at {found.path} ({found.source})")
    return None


def _install_fix(program: str) -> str:
    name = Path(program).name
    if name in (*NODE_RUNNERS, "node", "npm"):
        return "install Node.js, which brings node, npm and npx (Debian: " \
               f"{'' if os.geteuid() == 0 else 'sudo '}apt-get install -y nodejs npm)"
    if name in ("ruff", "semgrep", "bandit", "detect-secrets", "mypy"):
        return PIP_FIX
    return f"install {name}, or put it on PATH"


# -- the whole check ---------------------------------------------------------------------


def full(root: Path, cfg: Config, registry: Registry, only: Sequence[str] | None = None
         ) -> list[Check]:
    plan = enabled(cfg, registry, only)
    first = {c.gate: c for c in cheap(root, cfg, registry, only)}
    out: dict[str, Check] = {}
    with _base_context(root, cfg) as make:
        for gate, section in plan:
            found = first[gate.name]
            if found.ok and (gate.name in ("lint", "security", "secrets")
                             or isinstance(gate, ToolGate)):
                found = _versions(make(gate, section), gate, section) or found
            out[gate.name] = found
        app_gates = [(g, s) for g, s in plan if g.needs_app and out[g.name].ok]
        if app_gates:
            for name, check in _app_checks(make, app_gates, cfg).items():
                before = out[name]
                if check.ok and before.said != "its programs are here":
                    check.said = f"{before.said}; {check.said}"
                out[name] = check
    return [out[g.name] for g, _ in plan]


@contextlib.contextmanager
def _base_context(root: Path, cfg: Config) -> Iterator[Maker]:
    """make(gate, section) -> a GateContext on the base's tree, as a run makes one."""
    base = cfg["base"]
    subj = subject.resolve(root, base, base, cfg.base_commit)
    with subject.materialise(root, subj, lazy=True) as (worktree, scratch):
        ws = Workspace(repo=root, subject=subj, worktree=worktree, scratch=scratch,
                       exported=False)
        from gates.apptest.app import start

        def make(gate: Gate, section: GateSection) -> GateContext:
            ctx = runner._context(gate, section, ws, cfg, scratch / "doctor", start)
            ctx.deadline = time.monotonic() + min(float(section["timeout"]), 300.0)
            return ctx

        yield make


def _versions(ctx: GateContext, gate: Gate, section: GateSection) -> Check | None:
    try:
        if isinstance(gate, ToolGate):
            version = gate.version(ctx)
            node = ""
            if Path(gate.spec.command[0]).name in NODE_RUNNERS:
                res = ctx.run(["node", "--version"], cwd=ctx.workspace.scratch)
                node = f", node {res.stdout.strip()}"
            return Check(gate.name, True, f"{gate.spec.program} {version} "
                         f"({' '.join(gate.spec.command[:3])}{node})")
        said = []
        for program in _programs(gate, section):
            env = {"SEMGREP_ENABLE_VERSION_CHECK": "0"} if "semgrep" in program else None
            res = ctx.run([program, "--version"], cwd=ctx.workspace.scratch, env=env)
            if res.returncode != 0:
                return Check(gate.name, False, f"{program} --version failed: "
                             f"{tail(res.output, 2)}", PIP_FIX)
            name = Path(program).name
            first = res.stdout.strip().splitlines()[0] if res.stdout.strip() else "?"
            said.append(first if first.startswith(name) else f"{name} {first}")
        return Check(gate.name, True, ", ".join(said))
    except (GateError, proc.ToolMissing, proc.Timeout) as e:
        fix = "npm ci (in the checkout)" if isinstance(gate, ToolGate) and gate.spec.link \
            else _install_fix(_programs(gate, section)[0])
        return Check(gate.name, False, str(e).splitlines()[0][:400], fix)


def _app_checks(make: Maker, gates: list[tuple[Gate, GateSection]], cfg: Config
                ) -> dict[str, Check]:
    import httpx

    from gates.apptest import credentials

    gate, section = gates[0]
    ctx = make(gate, section)
    names = [g.name for g, _ in gates]
    if not cfg["app"]["command"]:
        return {n: Check(n, True, "will be skipped: no [app] command in the config") for n in names}
    command = " ".join(cfg["app"]["command"])
    out: dict[str, Check] = {}
    try:
        with ctx.app(tree=ctx.workspace.worktree, label="doctor") as app:
            health = f"the app ({command}) answers {cfg['app']['health']}"
            for g, s in gates:
                out[g.name] = Check(g.name, True, health)
                if g.name in ("auth", "api"):
                    out[g.name] = _document(g.name, app.url(str(s.get("spec") or
                                                               "/openapi.json")), health)
                if g.name == "auth" and out[g.name].ok:
                    for user in credentials.users(s):
                        with httpx.Client(timeout=30) as client:
                            try:
                                credentials.token_for(make(g, s), s, client, app.base_url, user)
                            except GateError as e:
                                out[g.name] = Check(g.name, False, str(e)[:300],
                                                    f"check [gates.auth] users.{user.name} "
                                                    "and login")
                                break
                    else:
                        n = len(credentials.users(s))
                        if n:
                            out[g.name].said += f"; {n} users log in"
    except GateError as e:
        lines = str(e).splitlines()
        quoted = " | ".join(line.strip() for line in lines[1:] if line.strip())[-600:]
        said = f"the app ({command}) does not start: {lines[0]}" + \
            (f" Its last output lines: {quoted}" if quoted else "")
        return {n: Check(n, False, said, "fix [app] command / env in gates.toml so that the "
                         "app starts and answers its health check") for n in names}
    return out


def _document(gate: str, url: str, health: str) -> Check:
    import httpx

    try:
        resp = httpx.get(url, timeout=30)
        doc = resp.json() if resp.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        doc = None
    if not isinstance(doc, dict) or "openapi" not in doc:
        return Check(gate, False, f"no OpenAPI document at {url}",
                     f"set [gates.{gate}] spec to the path the app serves its document at")
    return Check(gate, True, f"{health}; OpenAPI {doc['openapi']} document "
                 f"({len(doc.get('paths') or {})} paths)")
