"""The security gate: bandit and semgrep on the code files the branch changes.

semgrep runs the bundled payment-flow and auth rules (`gates/builtin/security/rules/*.yaml`) plus
any the repo's config names (`rules = ["path/in/repo.yaml"]`), read from the
*base* tree: a branch cannot add, edit or drop its own rules. bandit covers the
Python files. Both tools run on the merge result and on the base's version of
the same files; a finding whose fingerprint the base also has is existing debt.

Both go through the content-addressed cache (gates.scan): a file whose blob was
scanned before with the same tool version and rules (semgrep's key holds the
merged rule files) is not scanned again; what is scanned is written from its
blob into a folder of its own before a tool sees it, so a branch cannot steer
the scan with a `.semgrepignore`, a `.bandit` or a symlink out of the tree.
Inline `# nosec` / `# nosemgrep` are ignored too — the one way to silence a
finding is an audited `# gates: ignore[rule] reason="…"` (see gates.suppress).
A tool error is never cached: it fails the gate, and the next run scans again.

This module holds the gate; the tools and the rules each have their own:
`bandit` (its severity × confidence table), `semgrep` (its severities, its
errors), `ruleset` (which semgrep rules run), `output` (what their reports share).
A file a tool could not parse is a `*-parse-error` finding (medium) — the part
it could not read was not checked. Any other tool error fails the gate.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from gates import scan
from gates.builtin.security.bandit import bandit_version, run_bandit, skipped_in_tests
from gates.builtin.security.payment import payment_files
from gates.builtin.security.ruleset import bundled_rules, distinct_ids, path_free, rule_files
from gates.builtin.security.semgrep import SEMGREP_ENV, run_semgrep, semgrep_version
from gates.config import GateSection
from gates.gate import BaseGate, GateContext, GateError, glob_match
from gates.model import Finding, GateResult, Status

PYTHON = ["*.py"]
CODE = ["*.py", "*.js", "*.jsx", "*.ts", "*.tsx", "*.mjs", "*.cjs"]


class SecuritySection(GateSection):
    """[gates.security]: the common keys and those of `Security.defaults`."""

    rules: list[str]
    bundled_rules: bool
    bandit_skip: list[str]
    bandit_skip_in_tests: list[str]
    test_paths: list[str]
    bandit: str
    semgrep: str
    semgrep_cli: str
    rule_timeout: int
    block_confidence: str
    payment_threshold: str


class Security(BaseGate[SecuritySection]):
    name = "security"
    needs_app = False
    scans_per_file = True  # gates.scan: `gates run --all` batches its files
    defaults: ClassVar[dict[str, Any]] = {
        "paths": list(CODE),
        "timeout": 600.0,
        "threshold": "high",
        # only findings of rules sure of themselves (metadata.confidence high) block;
        # "medium" or "low" makes less sure ones block too (they are reported either way)
        "block_confidence": "high",
        # payment code (it calls a payment API or handles its webhooks: security.payment)
        # blocks from medium up, wherever it lives
        "payment_threshold": "medium",
        # … and so does code under these globs (files and folders), an addition
        "path_thresholds": {
            "**/payment*/**": "medium", "**/payment*": "medium",
            "**/stripe/**": "medium", "**/stripe*": "medium",
            "**/billing/**": "medium", "**/billing*": "medium",
            "**/webhook*": "medium", "**/webhooks/**": "medium",
        },
        "rules": [],  # extra semgrep rule files, paths in the repo (read from the base)
        "bundled_rules": True,  # the payment-flow and auth rules shipped with gates
        "bandit_skip": [],  # bandit test ids never reported ("B311", …)
        "bandit_skip_in_tests": ["B101"],  # … not reported in test code (assert is the point)
        "test_paths": ["tests/**", "**/tests/**", "test_*.py", "*_test.py", "conftest.py"],
        "bandit": "bandit",  # executables
        "semgrep": "semgrep",
        # which of semgrep's front ends runs the rules (gates.builtin.security.semgrep):
        # "osemgrep" starts ~3 s sooner a call; "pysemgrep" for a rule only it accepts
        "semgrep_cli": "osemgrep",
        "rule_timeout": 30,  # semgrep's per-rule, per-file timeout (seconds)
    }

    def _files(self, ctx: GateContext) -> list[str]:
        return [p for p in ctx.changed_matching(ctx.config["paths"]) if glob_match(p, CODE)]

    def applies(self, ctx: GateContext) -> bool:
        return bool(self._files(ctx))

    def run(self, ctx: GateContext) -> GateResult:
        files = self._files(ctx)
        python = [p for p in files if glob_match(p, PYTHON)]
        configs, show = rule_files(ctx)
        cfg = self.section(ctx)
        # the cache keys: each tool's version and everything that changes what it finds;
        # semgrep's version, when not remembered, comes with the first scan's JSON
        sg_version = semgrep_version(ctx, ask=scan.is_collecting())
        learnt: list[str] = []
        rules = [c.read_bytes() for c in configs]
        # the newer front end keeps one of two rules that share an id in two configs
        cli = cfg["semgrep_cli"] if distinct_ids(configs) else "pysemgrep"

        def sg_salt() -> str | None:
            version = sg_version or (learnt[0] if learnt else "")
            return (scan.digest(version, rules, cfg["rule_timeout"], cli)
                    if version else None)

        def semgrep(root: Path, paths: list[str]) -> list[Finding]:
            found, version = run_semgrep(ctx, root, paths, configs, show, cli)
            if sg_version and version and version != sg_version:
                semgrep_version(ctx, fresh=True)  # never stored under another version
                raise GateError(f"semgrep reports version {version}, but {sg_version} was "
                                "recorded for it: run again")
            if not sg_version and version:
                learnt.append(version)
            return found

        # known version: the salt now; else once the first scan's JSON has told it
        sg_salt_now: str | Callable[[], str | None] = (
            scan.digest(sg_version, rules, cfg["rule_timeout"], cli)
            if sg_version else sg_salt)
        bd_version = bandit_version(ctx) if python else ""
        bd_salt = scan.digest(bd_version, cfg["bandit_skip"])
        # semgrep and bandit side by side, each once for both sides, on what the cache
        # lacks; semgrep spreads its files over the cores (--jobs), bandit runs in parts
        (sg, sg_stats), (bd, bd_stats) = scan.in_parallel([
            lambda: scan.both_sides(ctx, "semgrep", sg_salt_now,
                                    files, semgrep, together=path_free(configs)),
            lambda: scan.both_sides(ctx, "bandit", bd_salt, python,
                                    lambda root, paths: run_bandit(ctx, root, paths),
                                    together=True, split=True),
        ])
        if not sg_version and learnt:
            sg_version = learnt[0]
            scan.remember(ctx, [cfg["semgrep"], "--version"], sg_version + "\n", SEMGREP_ENV)
        bd = [f for f in bd
              if not skipped_in_tests(f, cfg["bandit_skip_in_tests"], cfg["test_paths"])]
        findings = sorted([*sg, *bd], key=lambda f: (f.path or "", f.line or 0, f.rule))
        found_in = sorted({f.path for f in findings if f.path})
        paying = payment_files(ctx.workspace.files(found_in), found_in) if found_in else set()
        for f in findings:
            if f.path in paying:
                f.extra["payment_code"] = True
        tools = {k: v for k, v in {"bandit": bd_version, "semgrep": sg_version}.items() if v}
        return GateResult(
            gate=self.name, status=Status.PASS, findings=findings,
            metrics={
                "files": sg_stats["files"], "python_files": bd_stats["files"],
                "base_files": sg_stats["base_files"],
                "rule_files": len(cfg["rules"]) + (
                    len(bundled_rules()) if cfg["bundled_rules"] else 0),
                "bandit": len(bd), "semgrep": len(sg),
                "new": sum(1 for f in findings if f.new), "tools": tools,
                "cache": {"hits": sg_stats["hits"] + bd_stats["hits"],
                          "misses": sg_stats["misses"] + bd_stats["misses"],
                          "semgrep": {k: sg_stats[k] for k in ("hits", "misses")},
                          "bandit": {k: bd_stats[k] for k in ("hits", "misses")}},
            },
        )


GATE = Security()
