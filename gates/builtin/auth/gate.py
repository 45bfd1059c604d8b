"""The auth gate: the repo's own auth tests and a generated authorization probe,
both against the merge result's app started on a loopback port.

The probe (`gates.builtin.auth.probe`) reads the app's OpenAPI document and asks every
protected operation with forged, missing and wrong-role credentials and with
another user's object; the access matrix goes to summary.md (`sections`) and
verdict.json (`metrics["matrix"]`). The repo's tests (`gates.builtin.auth.target_tests`) run
after the probe, on a fresh start of the app (its own data, not what the probe
wrote: `{tmp}` is a new folder); so do the probe's writing holes (injection, mass
assignment) after the access matrix, when the app keeps its data under `{tmp}`. Then the base's app gets the same probe
(`gates.apptest.base_side`, cached per base commit): what it shows too is existing.
No app configured: skipped. The app not starting, no document, a user who cannot
log in: error; a config mistake only the document reveals: ConfigError (exit 2).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, ClassVar, cast

import httpx

from gates.apptest import base_side, credentials, junit, openapi, suite, tamper
from gates.apptest.app import AppNotConfigured, RunningApp, app_keeps_data_in_tmp
from gates.apptest.junit import TestCase
from gates.builtin.auth import probe, report, target_tests
from gates.builtin.auth.session import ProbeConfig, Session
from gates.builtin.auth.session import config as probe_config
from gates.config import GateSection
from gates.gate import BaseGate, GateContext, GateError
from gates.model import GateResult, Severity, Status

REQUEST_TIMEOUT = 10.0


class AuthSection(GateSection):
    """[gates.auth]: the common keys and those of `Auth.defaults`."""

    tests: list[str]
    marker: str
    args: list[str]
    spec: str
    login: dict[str, Any]
    token_command: list[str]
    users: dict[str, Any]
    roles: dict[str, Any]
    owned: dict[str, Any]
    values: dict[str, Any]
    jwt_secret: str
    admin_role: str


class Auth(BaseGate[AuthSection]):
    name = "auth"
    needs_app = True
    defaults: ClassVar[dict[str, Any]] = {
        "tests": [],  # the repo's auth tests, e.g. ["tests/auth"]
        "marker": "",  # pytest -m, e.g. "auth"
        "args": [],  # extra pytest arguments
        "spec": "/openapi.json",  # where the app serves its OpenAPI document
        # how to get a token: { path, token_field, username_field, password_field, format }
        "login": {},
        "token_command": [],  # or a command printing one ({user} {username} {password} …)
        "users": {},  # name -> { username, password, role }
        "roles": {},  # "[METHOD ]/path/glob" -> roles, for documents without x-roles
        "owned": {},  # operation on one user's objects -> the operation creating one ("")
        "values": {},  # parameter/property name -> the value requests use
        "jwt_secret": "",  # the test app's HMAC secret ("${VAR}": from [app] env)
        "admin_role": "",  # the role a tampered token claims (default: from the document)
        "timeout": 300.0,
    }


    def run(self, ctx: GateContext) -> GateResult:
        section = self.section(ctx)
        app_env = {k: str(v) for k, v in ctx.settings["app"]["env"].items()}
        tests, marker = list(section["tests"]), str(section["marker"])
        suite.check_paths(ctx.worktree, tests, "auth tests")
        deleted = suite.deleted_tests(ctx, tests, "auth tests")
        try:
            with ctx.app() as app:
                cfg = probe_config(section, app_env)
                users = credentials.users(section)
                matrix = self._probe(ctx, app, cfg, users, self._fresh(ctx, "holes-app"))
            cases = None
            if tests or marker:  # on a fresh start: the app's own data, not the probe's writes
                with ctx.app(label="tests-app") as fresh:
                    cases = target_tests.run(ctx, fresh, tests, marker, section["args"],
                                             app_env)[0]
            base = base_side.run(ctx, __name__, lambda app: report.findings(self._probe(
                ctx, app, cfg, users, self._fresh(ctx, "base-holes", base=True))),
                report.findings(matrix))
        except AppNotConfigured as e:
            return GateResult.skipped(self.name, str(e))
        result = self._result(ctx, matrix, cases, base)
        # what the branch did to the suite itself (gates.apptest.tamper, as the tests gate)
        result.findings = deleted + tamper.scan(ctx, tests, only_roots=True) + result.findings
        return result

    def _fresh(self, ctx: GateContext, label: str, base: bool = False
               ) -> Callable[[], AbstractContextManager[RunningApp]] | None:
        """A new start of the app (a new `{tmp}`) for the probes that may write, when the
        app keeps its data there; None otherwise (nothing a restart would reset)."""
        if not app_keeps_data_in_tmp(ctx.settings["app"]):
            return None
        tree = ctx.workspace.base_worktree() if base else None
        return lambda: cast(AbstractContextManager[RunningApp],
                            ctx.app(tree=tree, label=label))

    def _probe(self, ctx: GateContext, app: RunningApp, cfg: ProbeConfig,
               users: list[credentials.User],
               fresh: Callable[[], AbstractContextManager[RunningApp]] | None = None
               ) -> probe.Matrix:
        """The probe of `app`; its writing holes on `fresh()` when given."""
        with self._session(ctx, app, cfg, users) as session:
            if fresh is None:
                return probe.run(session)

            @contextlib.contextmanager
            def again() -> Iterator[Session]:
                with fresh() as new_app, self._session(ctx, new_app, cfg, users) as s:
                    yield s

            return probe.run(session, again)

    @contextlib.contextmanager
    def _session(self, ctx: GateContext, app: RunningApp, cfg: ProbeConfig,
                 users: list[credentials.User]) -> Iterator[Session]:
        def check_alive() -> None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                app.process.wait(timeout=1.0)  # a request that killed it: let it finish dying
            if not app.alive():
                raise GateError(f"the app died during the auth probe (exit "
                                f"{app.process.returncode}); last lines of its log:\n"
                                f"{app.log_tail()}")

        with httpx.Client(timeout=REQUEST_TIMEOUT, trust_env=False) as client:
            def login(user: credentials.User) -> str:
                return credentials.token_for(ctx, ctx.config, client, app.base_url, user)

            try:
                spec = openapi.without(openapi.fetch(client, app.url(ctx.config["spec"])),
                                       cfg.exclude)
                tokens = {u.name: login(u) for u in users}
            except GateError:
                check_alive()
                raise
            yield Session(client=client, base_url=app.base_url, spec=spec,
                          cfg=cfg, users=users, tokens=tokens,
                          deadline=ctx.deadline - 5 if ctx.deadline else 1e18,
                          check_alive=check_alive, login=login)

    def _result(self, ctx: GateContext, matrix: probe.Matrix,
                cases: list[TestCase] | None, base: base_side.BaseSide) -> GateResult:
        findings = report.findings(matrix)
        fixed = base_side.judge(findings, base)
        metrics: dict[str, Any] = {
            "base": base_side.metrics(base, findings, fixed),
            "operations": len(matrix.operations),
            "requests": len(matrix.cells),
            "holes": sum(1 for c in matrix.cells if c.outcome == "hole"),
            "matrix": [c.to_json() for c in matrix.cells],
            "notes": matrix.notes,
        }
        tests = ""
        artifacts = [f"{self.name}/{n}" for n in ("app.log", "holes-app.log", "tests-app.log",
                                                   "base.log", "base-holes.log")
                     if (ctx.artifacts / n).is_file()]
        if cases is not None:
            findings += junit.findings_from_junit(cases, gate=self.name,
                                                        severity=Severity.HIGH)
            counts = target_tests.counts(cases)
            metrics["tests"] = counts
            tests = (f"The repo's auth tests: {counts['passed']} passed, {counts['failed']} "
                     f"failed, {counts['error']} errored, {counts['skipped']} skipped.")
            artifacts += [f"{self.name}/{n}" for n in ("junit.xml", "pytest.log")
                          if (ctx.artifacts / n).is_file()]
        return GateResult(gate=self.name, status=Status.PASS, findings=findings,
                          metrics=metrics, artifacts=artifacts,
                          sections=base_side.sections(base, findings, fixed)
                          + report.sections(matrix, tests))


GATE = Auth()
