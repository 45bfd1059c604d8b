"""The lint gate: ruff on the Python files the branch changes.

The repo's own ruff config is honoured — the *base's* copy of it, like every
policy here: a branch cannot silence its own lint by editing `[tool.ruff]`.
Without a ruff config the rule set is pinned (`select`), because ruff's default
set changes between versions. `# noqa` comments are not honoured (`--ignore-noqa`,
on the base's files too, so noqa'd debt stays existing): a branch cannot silence
its own findings in code; suppressions are audited (`gates.suppress`: a reason,
an expiry), as bandit's `# nosec` and semgrep's `# nosemgrep` are ignored too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from gates import git, scan
from gates.config import GateSection
from gates.formats.ruff import parse
from gates.gate import BaseGate, GateContext, GateError
from gates.model import Finding, GateResult, Status

RUFF_CONFIGS = ("ruff.toml", ".ruff.toml", "pyproject.toml")
DEFAULT_SELECT = ["E4", "E7", "E9", "F"]


class LintSection(GateSection):
    """[gates.lint]: the common keys and those of `Lint.defaults`."""

    command: str
    select: list[str]
    ignore: list[str]


class Lint(BaseGate[LintSection]):
    name = "lint"
    needs_app = False
    scans_per_file = True  # gates.scan: `gates run --all` batches its files
    defaults: ClassVar[dict[str, Any]] = {
        "command": "ruff",  # the ruff executable
        "paths": ["*.py", "*.pyi"],
        "select": [],  # ruff rule codes; empty: the repo's ruff config, else DEFAULT_SELECT
        "ignore": [],
        "timeout": 300.0,
    }

    def applies(self, ctx: GateContext) -> bool:
        return bool(ctx.changed_matching(self.section(ctx)["paths"]))

    def run(self, ctx: GateContext) -> GateResult:
        files = ctx.changed_matching(self.section(ctx)["paths"])
        version = scan.probe(ctx, [self.section(ctx)["command"], "--version"]).split()[-1]
        args, config_text = self._args(ctx)
        salt = scan.digest(version, args[2:] if args[0] == "--config" else args, config_text)
        findings, stats = scan.both_sides(
            ctx, "ruff", salt, files, lambda root, paths: self._ruff(ctx, root, paths, args))
        return GateResult(
            gate=self.name, status=Status.PASS, findings=findings,
            metrics={"files": len(files), "tools": {"ruff": version},
                     "cache": {"hits": stats["hits"], "misses": stats["misses"]}},
        )

    def _args(self, ctx: GateContext) -> tuple[list[str], str]:
        """ruff's arguments, and the text of the (base's) ruff config they point at."""
        args: list[str] = []
        ws = ctx.workspace
        config = None
        text = ""
        for name in RUFF_CONFIGS:
            found = git.show(ws.repo, ws.subject.base_commit, name)
            if found is not None and (name != "pyproject.toml" or "[tool.ruff" in found):
                text = found
                config = ws.scratch / f"lint-config-{ctx.name}" / name
                config.parent.mkdir(parents=True, exist_ok=True)
                config.write_text(text, encoding="utf-8")
                break
        if config is not None:
            args += ["--config", str(config)]
        else:
            args += ["--isolated"]
        args += ["--ignore-noqa"]  # part of the cache salt: args after the config path
        select = self.section(ctx)["select"] or ([] if config else DEFAULT_SELECT)
        if select:
            args += ["--select", ",".join(select)]
        if self.section(ctx)["ignore"]:
            args += ["--ignore", ",".join(self.section(ctx)["ignore"])]
        return args, text

    def _ruff(self, ctx: GateContext, root: Path, files: list[str], args: list[str]
              ) -> list[Finding]:
        res = ctx.run(
            [self.section(ctx)["command"], "check", "--output-format", "json", "--no-cache", "--force-exclude",
             *args, "--", *files],
            cwd=root,
        )
        if res.returncode not in (0, 1):
            raise GateError(f"ruff failed (exit {res.returncode}): {res.stderr.strip()[-400:]}")
        return parse(res.stdout, root.resolve(), self.name)


GATE = Lint()
