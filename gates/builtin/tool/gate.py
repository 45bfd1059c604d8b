"""The tool gate: runs a declared command, reads its output, judges new against the base.

Per-file tools go through gates.scan like the lint gate: only the changed files the
cache does not know are scanned, in a folder holding just them (written from their
blobs) with the base's `config_files` and the checkout's `link` folders beside
them; `gates run --all` batches them across branches. Whole-tree tools (tsc, mypy)
run on an export of the merge result and of the base, each with the base's
`config_files`, their findings cached per tree (the base is checked once for every
branch). Findings are fingerprinted like every other (gates.baseline), so what the
base already has never blocks.

Fail closed: a missing program is `error` (runner: tool missing); an exit code not
in `ok_exit`, output that does not parse, invalid SARIF, a tool that reports its
own failure, or a non-zero exit with nothing reported is `error`, with the tool's
last output lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from gates import baseline, formats, git, proc, scan
from gates.builtin.tool.spec import FILES, KIND_DEFAULTS, OUTPUT, Spec, resolve
from gates.cache import Cache, lookup, store
from gates.config import GateSection
from gates.formats.paths import tail
from gates.gate import BaseGate, GateContext, GateError
from gates.model import Finding, GateResult, Status


class ToolSection(GateSection):
    """[gates.<name>] with kind = "tool": the common keys and `KIND_DEFAULTS`."""

    kind: str
    preset: str
    command: list[str]
    format: str
    files: list[str]
    per_file: bool
    config_files: list[str]
    link: list[str]
    version: list[str]
    ok_exit: list[int]
    env: dict[str, str]


class ToolGate(BaseGate[ToolSection]):
    needs_app = False
    scans_per_file = True  # per-file tools batch; a whole-tree one does nothing when collecting
    defaults: ClassVar[Mapping[str, Any]] = KIND_DEFAULTS

    def __init__(self, spec: Spec) -> None:
        self.name = spec.name
        self.spec = spec

    def applies(self, ctx: GateContext) -> bool:
        return bool(ctx.changed_matching(self.spec.files))

    def run(self, ctx: GateContext) -> GateResult:
        spec = self.spec
        ws = ctx.workspace
        configs = {p: text for p in spec.config_files
                   if (text := git.show(ws.repo, ws.subject.base_commit, p)) is not None}
        version = self.version(ctx)
        salt = scan.digest(spec.command, spec.format, spec.ok_exit, spec.env, version,
                           sorted(configs.items()), self._link_stamp(ws.repo))
        files = ctx.changed_matching(spec.files)
        if spec.per_file:
            findings, stats = scan.both_sides(
                ctx, f"tool-{spec.name}", salt, files,
                lambda root, paths: self._scan(ctx, root, paths, configs))
        elif scan.is_collecting():
            return GateResult(gate=self.name, status=Status.PASS)
        else:
            findings, stats = self._whole_tree(ctx, salt, configs)
        return GateResult(
            gate=self.name, status=Status.PASS, findings=findings,
            metrics={"files": len(files), "tools": {spec.program: version.strip()},
                     "cache": {"hits": stats["hits"], "misses": stats["misses"]}},
        )

    # -- the tool ---------------------------------------------------------------------

    def version(self, ctx: GateContext) -> str:
        """What the tool says its version is (asked from a folder with the `link`s, so
        that `npx eslint` finds the repo's). Remembered for the program's file; a tool
        in linked folders (node_modules) is asked each run (batches: once)."""
        where = ctx.workspace.scratch / f"tool-{self.name}-probe"
        where.mkdir(parents=True, exist_ok=True)
        self._link(ctx.workspace.repo, where)
        out = scan.probe(ctx, list(self.spec.version), env=dict(self.spec.env), cwd=where,
                         fresh=bool(self.spec.link) and not scan.is_collecting())
        return out.strip().splitlines()[-1] if out.strip() else ""

    def _link_stamp(self, repo: Path) -> list[tuple[str, int]]:
        """What changes when the linked folders are reinstalled (npm rewrites its
        `.package-lock.json` on every install)."""
        out = []
        for name in self.spec.link:
            for p in (repo / name, repo / name / ".package-lock.json"):
                with contextlib.suppress(OSError):
                    out.append((str(p), p.stat().st_mtime_ns))
        return out

    def _link(self, repo: Path, root: Path) -> None:
        for name in self.spec.link:
            src, dst = repo / name, root / name
            if src.exists() and not dst.exists() and not dst.is_symlink():
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.symlink_to(src.resolve(), target_is_directory=src.is_dir())

    def _prepare(self, repo: Path, root: Path, configs: Mapping[str, str],
                 keep: Sequence[str] = ()) -> None:
        """The base's config files and the checkout's links, beside what is checked."""
        for rel, text in configs.items():
            if rel in keep:
                continue
            dst = root / rel
            if dst.is_symlink():
                dst.unlink()
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(text, encoding="utf-8")
        self._link(repo, root)

    def _argv(self, paths: Sequence[str], output: Path) -> list[str]:
        argv: list[str] = []
        for arg in self.spec.command:
            if arg == FILES:  # a file the branch names "--config=x.ts" is not an option
                argv += [f"./{p}" if p.startswith("-") else p for p in paths]
            else:
                argv.append(arg.replace(OUTPUT, str(output)))
        return argv

    def _execute(self, ctx: GateContext, root: Path, paths: Sequence[str]) -> list[Finding]:
        output = root.parent / f"{root.name}.report"
        output.unlink(missing_ok=True)
        res = ctx.run(self._argv(paths, output), cwd=root, env=dict(self.spec.env))
        return self.read(res, output, root)

    def read(self, res: proc.Result, output: Path, root: Path) -> list[Finding]:
        """The findings of one run of the tool, or `GateError` when it did not do its job."""
        spec = self.spec
        said = tail(res.stderr or res.stdout)
        if res.returncode not in spec.ok_exit:
            raise GateError(f"{spec.program} failed (exit {res.returncode}"
                            f"{'' if res.returncode >= 0 else ', killed'}): {said or 'no output'}")
        if any(OUTPUT in a for a in spec.command):
            try:
                text = output.read_text(encoding="utf-8")
            except OSError:
                raise GateError(f"{spec.program} wrote no report to {{output}} "
                                f"(exit {res.returncode}): {said or 'no output'}") from None
        else:
            text = res.stdout
        try:
            findings = formats.parse(spec.format, text, root, self.name)
        except GateError as e:
            extra = f" (exit {res.returncode}: {said})" if said and said not in str(e) else ""
            raise GateError(f"{spec.program}: {e}{extra}") from None
        if res.returncode != 0 and not findings:
            raise GateError(f"{spec.program} exited {res.returncode} but reported nothing: "
                            f"{said or 'no output'}")
        return findings

    # -- per file ---------------------------------------------------------------------

    def _scan(self, ctx: GateContext, root: Path, paths: list[str],
              configs: Mapping[str, str]) -> list[Finding]:
        self._prepare(ctx.workspace.repo, root, configs, keep=paths)
        return self._execute(ctx, root, paths)

    # -- whole tree -------------------------------------------------------------------

    def _whole_tree(self, ctx: GateContext, salt: str, configs: Mapping[str, str]
                    ) -> tuple[list[Finding], dict[str, int]]:
        ws = ctx.workspace
        assert ws.subject.tree is not None
        cache = Cache.for_repo(ws.repo)
        tool = f"tool-{self.name}"
        hits = 0

        def side(label: str, rev: str) -> list[Finding]:
            nonlocal hits
            pair = ("", rev)
            known = lookup(cache, tool, salt, [pair])
            if pair in known:
                hits += 1
                return [Finding.from_json(f) for f in known[pair]]
            root = ws.scratch / f"tool-{self.name}" / label
            git.export(ws.repo, rev, root)
            self._prepare(ws.repo, root, configs)
            found = baseline.fingerprint(self._execute(ctx, root, []), root)
            store(cache, tool, salt, {pair: [f.to_json() for f in found]})
            return found

        branch, base = scan.in_parallel([lambda: side("branch", str(ws.subject.tree)),
                                         lambda: side("base", ws.subject.base_commit)])
        baseline.mark_new(branch, base)
        return branch, {"hits": hits, "misses": 2 - hits}


class ToolKind:
    """The `tool` kind (entry point `gates.kinds`): a gate per declared section."""

    defaults: Mapping[str, Any] = KIND_DEFAULTS

    def declare(self, name: str, section: Mapping[str, Any]) -> ToolGate:
        return ToolGate(resolve(name, section))


KIND = ToolKind()
