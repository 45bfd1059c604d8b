"""The api gate: schemathesis against the merge result's app and its OpenAPI document.

Every check of schemathesis (server errors, undocumented status codes and content
types, response schemas, …), its phases (examples, coverage, fuzzing, and
stateful sequences through the document's links), authenticated as a user of
`[gates.auth]`, bounded by `max_examples` per operation and `max_time` in all.
Each failure is a finding with the operation, the check and a `curl` line; the
JUnit report is an artifact. The base's app gets the same run
(`gates.apptest.base_side`, cached per base commit): its failures are existing.
No app configured: skipped. The app not starting, no document, a failing login, a
run past `max_time`: error.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import httpx

from gates import proc
from gates.apptest import base_side, credentials, openapi
from gates.apptest.app import AppNotConfigured, RunningApp
from gates.builtin.api import fuzz, guard
from gates.builtin.api.fuzz import Failure
from gates.config import GateSection
from gates.errors import ConfigError
from gates.gate import BaseGate, GateContext, GateError
from gates.model import (
    Finding,
    GateResult,
    Paragraph,
    Section,
    Severity,
    Status,
    Table,
    code,
    plain,
)

SEVERITY = {"critical": Severity.HIGH, "high": Severity.HIGH, "medium": Severity.MEDIUM,
            "low": Severity.LOW}
CHECK_SEVERITY = {"ignored_auth": Severity.CRITICAL}  # the API let a request without auth in
OUTPUT_TAIL = 1500


class ApiSection(GateSection):
    """[gates.api]: the common keys and those of `Api.defaults`."""

    spec: str
    user: str
    role: str
    max_examples: int
    max_time: float
    checks: list[str]
    exclude_checks: list[str]
    phases: list[str]
    workers: int
    seed: int
    args: list[str]


class Api(BaseGate[ApiSection]):
    name = "api"
    needs_app = True
    defaults: ClassVar[dict[str, Any]] = {
        "spec": "/openapi.json",  # where the app serves its OpenAPI document
        "user": "",  # the [gates.auth] user to test as ("": `role`'s first, else the first)
        "role": "",
        "max_examples": 25,  # per operation and phase
        "max_time": 240.0,  # seconds for the whole schemathesis run; past it: error
        "checks": ["all"],
        "exclude_checks": [],
        "phases": [],  # examples, coverage, fuzzing, stateful; empty: all
        "workers": 1,
        "seed": 1,  # 0: a new one each run
        "args": [],  # extra `schemathesis run` arguments
    }


    def run(self, ctx: GateContext) -> GateResult:
        cfg = self.section(ctx)
        user = _user(cfg, credentials.users(ctx.settings["gates"].get("auth", {})))
        try:
            with ctx.app() as app:
                branch = self._run(ctx, app, user)
            if isinstance(branch, GateResult):
                return branch
            found, errors = branch
            findings = [_finding(f) for f in found] + [_error_finding(e) for e in errors]
            base = base_side.run(ctx, __name__, lambda base_app: self._base(ctx, base_app, user),
                                 findings)
        except AppNotConfigured as e:
            return GateResult.skipped(self.name, str(e))
        fixed = base_side.judge(findings, base)
        who = user.label if user else "no user"
        version = _version()
        return GateResult(
            gate=self.name, status=Status.PASS, findings=findings,
            artifacts=self._artifacts(ctx),
            metrics={"failures": len(found), "errors": len(errors), "user": who,
                     "max_examples": int(cfg["max_examples"]), "seed": int(cfg["seed"]),
                     "tools": {"schemathesis": version},
                     "base": base_side.metrics(base, findings, fixed)},
            sections=base_side.sections(base, findings, fixed)
            + _sections(found, errors, who, version, cfg))

    def _run(self, ctx: GateContext, app: RunningApp, user: credentials.User | None
             ) -> GateResult | tuple[list[Failure], list[str]]:
        """The branch's run: its failures and errors, or an error result past max_time."""
        cfg = self.section(ctx)
        shown = f"Bearer <token of {user.name}>" if user else "<none>"
        ctx.artifacts.mkdir(parents=True, exist_ok=True)
        try:
            res, found, errors = self._fuzz(ctx, app, user, "branch",
                                            ctx.artifacts / "junit.xml")
        except proc.Timeout as e:
            (ctx.artifacts / "schemathesis.log").write_text(e.output + "\n", encoding="utf-8")
            found = fuzz.failures(self._work(ctx, "branch") / "events.ndjson", shown_auth=shown)
            return GateResult.error(
                self.name, f"schemathesis did not finish within max_time = "
                f"{cfg['max_time']:.0f}s (raise [gates.api] max_time or lower max_examples); "
                f"{len(found)} failure(s) found so far",
                findings=[_finding(f) for f in found], artifacts=self._artifacts(ctx))
        (ctx.artifacts / "schemathesis.log").write_text(res.output + "\n", encoding="utf-8")
        return found, errors

    def _base(self, ctx: GateContext, app: RunningApp, user: credentials.User | None
              ) -> list[Finding]:
        """The same run on the base's app: its findings (a timeout: GateError, not tested)."""
        try:
            _, found, errors = self._fuzz(ctx, app, user, "base",
                                          self._work(ctx, "base") / "junit.xml")
        except proc.Timeout:
            raise GateError("schemathesis did not finish on the base's app") from None
        return [_finding(f) for f in found] + [_error_finding(e) for e in errors]

    def _work(self, ctx: GateContext, side: str) -> Path:
        work = ctx.workspace.scratch / self.name / side
        work.mkdir(parents=True, exist_ok=True)
        return work

    def _fuzz(self, ctx: GateContext, app: RunningApp, user: credentials.User | None,
              side: str, junit: Path) -> tuple[proc.Result, list[Failure], list[str]]:
        """schemathesis against `app`: its run, failures and errors. GateError when it could
        not run; proc.Timeout past max_time."""
        cfg = self.section(ctx)
        auth = ctx.settings["gates"].get("auth", {})
        with httpx.Client(timeout=10.0, trust_env=False) as client:
            spec = openapi.fetch(client, app.url(cfg["spec"]))
            token = (credentials.token_for(ctx, auth, client, app.base_url, user)
                     if user else None)
        work = self._work(ctx, side)
        (work / "schemathesis.toml").write_text("# gates: nothing from the tree under test\n")
        ndjson = work / "events.ndjson"
        ndjson.unlink(missing_ok=True)
        exclude = (*openapi.excluded(auth.get("exclude")), *openapi.excluded(cfg["exclude"]))
        cmd = fuzz.command(
            app.url(cfg["spec"]), config_file=work / "schemathesis.toml", junit=junit,
            ndjson=ndjson, token=token, max_examples=int(cfg["max_examples"]),
            checks=cfg["checks"], exclude_checks=cfg["exclude_checks"], phases=cfg["phases"],
            workers=int(cfg["workers"]), seed=int(cfg["seed"]),
            args=[*cfg["args"], *fuzz.exclude_args(exclude)])
        users = credentials.users(auth)
        env = {"HYPOTHESIS_STORAGE_DIRECTORY": str(work / "hypothesis"),
               **guard.env(work, spec, users, user, auth)}
        shown = f"Bearer <token of {user.name}>" if user else "<none>"
        res = ctx.run(cmd, cwd=work, timeout=float(cfg["max_time"]), env=env)
        if not app.alive():
            raise GateError(f"the app died during the schemathesis run (exit "
                            f"{app.process.returncode}); last lines of its log:\n"
                            f"{app.log_tail()}")
        guard.check(ctx, app, ndjson, users, auth)
        found, errors = fuzz.failures(ndjson, shown_auth=shown), fuzz.errors(ndjson)
        if user is not None:  # the caller's own password went into bodies: not in reports
            hidden = f"<password of {user.name}>"
            for f in found:
                f.curl = f.curl.replace(user.password, hidden)
            if junit.is_file():
                junit.write_text(junit.read_text(encoding="utf-8", errors="replace")
                                 .replace(user.password, hidden), encoding="utf-8")
        if res.returncode not in (0, 1) or (res.returncode == 1 and not found and not errors):
            raise GateError(f"schemathesis could not run (exit {res.returncode}):\n"
                            f"{res.output[-OUTPUT_TAIL:]}")
        return res, found, errors

    def _artifacts(self, ctx: GateContext) -> list[str]:
        return [f"{self.name}/{n}" for n in ("junit.xml", "schemathesis.log", "app.log",
                                                  "base.log")
                if (ctx.artifacts / n).is_file()]


def _user(cfg: ApiSection, users: list[credentials.User]) -> credentials.User | None:
    if cfg["user"]:
        found = next((u for u in users if u.name == cfg["user"]), None)
        if found is None:
            raise ConfigError(f"[gates.api] user = {cfg['user']!r} is not a user of "
                              "[gates.auth] users")
        return found
    if cfg["role"]:
        found = next((u for u in users if u.role == cfg["role"]), None)
        if found is None:
            raise ConfigError(f"[gates.api] role = {cfg['role']!r}: no user of [gates.auth] "
                              "users has it")
        return found
    return users[0] if users else None


def _finding(f: Failure) -> Finding:
    detail = "; ".join(line.strip() for line in f.message.splitlines() if line.strip())
    fp = hashlib.sha256(f"api\0{f.check}\0{f.operation}".encode()).hexdigest()[:16]
    return Finding(
        gate="api", rule=f.check, tool="schemathesis", fingerprint=fp,
        severity=CHECK_SEVERITY.get(f.check, SEVERITY.get(f.severity, Severity.MEDIUM)),
        message=f"{f.operation}: {f.title} ({f.code})" + (f" — {detail}" if detail else ""),
        extra={"operation": f.operation, "check": f.check, "code": f.code, "curl": f.curl,
               "phase": f.phase, "count": f.count},
    )


def _error_finding(line: str) -> Finding:
    fp = hashlib.sha256(f"api\0schemathesis-error\0{line}".encode()).hexdigest()[:16]
    return Finding(gate="api", rule="schemathesis-error", tool="schemathesis", fingerprint=fp,
                   severity=Severity.MEDIUM, message=f"schemathesis could not test {line}")


def _version() -> str:
    try:
        return metadata.version("schemathesis")
    except metadata.PackageNotFoundError:
        return "?"


def _sections(found: list[Failure], errors: list[str], who: str, version: str,
              cfg: ApiSection) -> list[Section]:
    phases = ", ".join(cfg["phases"]) or "all phases"
    head = Paragraph([
        plain("schemathesis "), plain(version), plain(" as "), plain(who),
        plain(": checks "), plain(", ".join(cfg["checks"])),
        plain(f", {cfg['max_examples']} examples per operation, "), plain(phases),
        plain(f", seed {cfg['seed'] or 'random'}. {len(found)} failure(s)"
              + (f", {len(errors)} error(s)" if errors else "") + "."),
    ])
    if not found:
        return [head]
    rows = []
    for f in found:
        detail = "; ".join(s.strip() for s in f.message.splitlines() if s.strip())[:200]
        rows.append([[code(f.operation)],
                     [plain(f.title), plain(" ("), code(f.check), plain(")")],
                     [plain(detail if detail.strip() else "—")], [plain(f.count)]])
    return [head, Table(["Operation", "Check", "Detail", "Seen"], rows)]


GATE = Api()
