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

Severity. A semgrep rule says it with `metadata.gates_severity`, else its own
severity maps ERROR→high, WARNING→medium, INFO→low. bandit's severity ×
confidence maps as follows (see `bandit_severity`):

    bandit severity   confidence        gates
    HIGH              HIGH or MEDIUM    high
    HIGH              LOW               medium
    MEDIUM            any               medium
    LOW               any               low

A file a tool could not parse is a `*-parse-error` finding (medium) — the part
it could not read was not checked. Any other tool error fails the gate.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from gates import git, scan
from gates.config import GateSection
from gates.gate import BaseGate, GateContext, GateError, glob_match
from gates.model import Finding, GateResult, Severity, Status

RULES_DIR = Path(__file__).resolve().parent / "rules"
PYTHON = ["*.py"]
CODE = ["*.py", "*.js", "*.jsx", "*.ts", "*.tsx", "*.mjs", "*.cjs"]
SEMGREP_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
SEMGREP_SEVERITY = {
    "ERROR": Severity.HIGH, "WARNING": Severity.MEDIUM, "INFO": Severity.LOW,
    "CRITICAL": Severity.CRITICAL, "HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}
# semgrep errors about a target it could not (fully) parse; anything else is fatal
PARSE_ERRORS = {"PartialParsing", "Syntax error", "Lexical error", "Other syntax error"}
# bandit tests whose message quotes the string they found (a password): never shown
REDACT = {"B105", "B106", "B107"}
MANY_FILES = 50  # from this many files on, semgrep picks its own number of jobs

# -- bandit ---------------------------------------------------------------------------


def bandit_severity(severity: str, confidence: str) -> Severity:
    severity, confidence = severity.upper(), confidence.upper()
    if severity == "HIGH":
        return Severity.HIGH if confidence in ("HIGH", "MEDIUM") else Severity.MEDIUM
    if severity == "MEDIUM":
        return Severity.MEDIUM
    return Severity.LOW


def _rel(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/"))


def parse_bandit(raw: str) -> list[Finding]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise GateError(f"bandit printed something that is not JSON: {e}: {raw[:200]!r}") from None
    findings = []
    for err in data.get("errors") or []:
        reason = str(err.get("reason", ""))
        if "syntax error" not in reason.lower():
            raise GateError(f"bandit could not scan {_rel(err.get('filename', '?'))}: {reason}")
        findings.append(Finding(
            gate="security", rule="bandit-parse-error", tool="bandit", severity=Severity.MEDIUM,
            path=_rel(err["filename"]),
            message="bandit could not parse this file (syntax error), so it was not checked",
        ))
    for item in data.get("results") or []:
        test_id = str(item.get("test_id", "bandit"))
        text = str(item.get("issue_text", ""))
        if test_id in REDACT:
            text = re.sub(r":\s*'.*$", "", text) + " (value not shown)"
        cwe = (item.get("issue_cwe") or {}).get("id")
        findings.append(Finding(
            gate="security", rule=test_id, tool="bandit",
            message=f"{text} ({item.get('test_name', '')})",
            severity=bandit_severity(item.get("issue_severity", "LOW"),
                                     item.get("issue_confidence", "LOW")),
            path=_rel(item["filename"]), line=item.get("line_number"),
            end_line=max(item.get("line_range") or [0]) or None,
            extra={k: v for k, v in {
                "url": item.get("more_info"), "cwe": f"CWE-{cwe}" if cwe else None,
                "confidence": str(item.get("issue_confidence", "")).lower(),
                "sensitive": test_id in REDACT,  # its source line holds the password
            }.items() if v},
        ))
    return findings


def run_bandit(ctx: GateContext, root: Path, files: list[str]) -> list[Finding]:
    """bandit's findings in `files` under `root` (before `bandit_skip_in_tests`)."""
    if not files:
        return []
    cfg = ctx.config
    skip = ["-s", ",".join(cfg["bandit_skip"])] if cfg["bandit_skip"] else []
    res = ctx.run([cfg["bandit"], "-f", "json", "-q", "--ignore-nosec", *skip, "--", *files],
                  cwd=root)
    if res.returncode not in (0, 1):
        raise GateError(f"bandit failed (exit {res.returncode}): {res.output[-400:]}")
    return parse_bandit(res.stdout)


def skipped_in_tests(f: Finding, cfg: dict[str, Any]) -> bool:
    return (f.rule in cfg["bandit_skip_in_tests"] and f.path is not None
            and glob_match(f.path, cfg["test_paths"]))


def bandit_version(ctx: GateContext) -> str:
    out = scan.probe(ctx, [ctx.config["bandit"], "--version"])
    return out.split()[1] if len(out.split()) > 1 else out.strip()


def semgrep_version(ctx: GateContext, *, ask: bool = True, fresh: bool = False) -> str:
    """semgrep's version; without `ask`, "" unless remembered: `semgrep --version`
    costs as much as a scan, and a scan's JSON says it too."""
    cmd = [ctx.config["semgrep"], "--version"]
    out = (scan.probe(ctx, cmd, env=SEMGREP_ENV, fresh=fresh) if ask or fresh
           else scan.remembered(ctx, cmd, env=SEMGREP_ENV) or "")
    return out.strip().splitlines()[-1].strip() if out.strip() else ""


def load_yaml(text: str) -> Any:
    """PyYAML's safe loader, the C one when there is one (ten times faster)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506


def path_free(configs: list[Path]) -> bool:
    """No rule in `configs` looks at where a file is (`paths:`): then both sides of a
    merge can share one semgrep process, in numbered folders."""
    try:
        import yaml
    except ImportError:
        return False
    for c in configs:
        try:
            text = c.read_text(encoding="utf-8")
            doc = json.loads(text) if c.suffix == ".json" else load_yaml(text)
        except (OSError, ValueError, yaml.YAMLError):
            return False
        rules = doc.get("rules") if isinstance(doc, dict) else None
        if not isinstance(rules, list) or any(
                not isinstance(r, dict) or "paths" in r for r in rules):
            return False
    return True


# -- semgrep --------------------------------------------------------------------------


def bundled_rules() -> list[Path]:
    """Every rule file in gates/builtin/security/rules (the test targets beside them are not YAML)."""
    return sorted(p for p in RULES_DIR.rglob("*") if p.suffix in (".yaml", ".yml")
                  and p.is_file() and not {"tests", "test"} & set(p.relative_to(RULES_DIR).parts[:-1]))


_merged: dict[tuple[tuple[str, int], ...], list[str] | None] = {}


def _merge(files: list[Path]) -> list[str] | None:
    """The rules of `files` as few JSON configs as their ids allow (semgrep keeps one
    rule per id in a config); None when a file is not a plain rules file."""
    try:
        import yaml
    except ImportError:
        return None
    buckets: list[tuple[set[str], list[Any]]] = []
    for f in files:
        try:
            doc = load_yaml(f.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return None  # semgrep names the problem when it reads the file itself
        rules = doc.get("rules") if isinstance(doc, dict) else None
        if not isinstance(rules, list) or set(doc) != {"rules"}:
            return None
        ids = {str(r.get("id")) for r in rules if isinstance(r, dict)}
        for seen, out in buckets:
            if not seen & ids:
                seen |= ids
                out.extend(rules)
                break
        else:
            buckets.append((ids, list(rules)))
    return [json.dumps({"rules": rules}, default=str) for _, rules in buckets]


def merged_rules(files: list[Path], into: Path) -> list[Path]:
    """The bundled rule files merged into a few configs: semgrep spends most of its
    start-up on each config file it loads (22 files: twice the time of 2)."""
    key = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    if key not in _merged:
        _merged[key] = _merge(files)
    texts = _merged[key]
    if texts is None:
        return files
    out = []
    for i, text in enumerate(texts):
        # a folder each: semgrep prefixes rule ids with the config's folder and keeps
        # one rule per prefixed id, so two configs side by side would lose rules
        p = into / str(i) / "rules.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        out.append(p)
    return out


def semgrep_severity(extra: dict[str, Any]) -> Severity:
    wanted = (extra.get("metadata") or {}).get("gates_severity")
    if isinstance(wanted, str):
        try:
            return Severity.parse(wanted)
        except ValueError:
            pass
    return SEMGREP_SEVERITY.get(str(extra.get("severity", "")).upper(), Severity.MEDIUM)


def _error_type(err: dict[str, Any]) -> str:
    kind = err.get("type")
    return str(kind[0] if isinstance(kind, list) and kind else kind or "")


def parse_semgrep(raw: str, show: Callable[[str], str] = str) -> tuple[list[Finding], str]:
    """(findings, semgrep version). `show` rewrites scratch paths in error messages."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise GateError(f"semgrep printed something that is not JSON: {e}: {raw[:200]!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise GateError("semgrep's JSON output has no 'results'")
    findings = []
    for err in data.get("errors") or []:
        path = err.get("path")
        if _error_type(err) in PARSE_ERRORS and path:
            spans = err.get("spans") or [{}]
            findings.append(Finding(
                gate="security", rule="semgrep-parse-error", tool="semgrep",
                severity=Severity.MEDIUM, path=_rel(path),
                line=(spans[0].get("start") or {}).get("line"),
                message="semgrep could not parse this part of the file, so it was not checked",
            ))
            continue
        msg = err.get("message") or err.get("long_msg") or err.get("short_msg") or _error_type(err)
        where = ""
        if err.get("spans"):
            span = err["spans"][0]
            where = f" ({show(str(span.get('file', '')))}:{(span.get('start') or {}).get('line')})"
        raise GateError(f"semgrep: {show(' '.join(str(msg).split()))}{where}")
    seen = set()
    for r in data["results"]:
        extra = r.get("extra") or {}
        rule = str(r.get("check_id", "semgrep")).rsplit(".", 1)[-1]
        line = (r.get("start") or {}).get("line")
        key = (rule, r.get("path"), line)
        if key in seen:
            continue
        seen.add(key)
        meta = extra.get("metadata") or {}
        refs = meta.get("references") or []
        cwe = meta.get("cwe")
        findings.append(Finding(
            gate="security", rule=rule, tool="semgrep", severity=semgrep_severity(extra),
            message=" ".join(str(extra.get("message", rule)).split()),
            path=_rel(str(r.get("path", ""))), line=line,
            end_line=(r.get("end") or {}).get("line"),
            extra={k: v for k, v in {
                "url": refs[0] if isinstance(refs, list) and refs else None,
                "cwe": cwe[0] if isinstance(cwe, list) and cwe else cwe,
            }.items() if v},
        ))
    return findings, str(data.get("version", ""))


def run_semgrep(ctx: GateContext, root: Path, files: list[str], configs: list[Path],
                show: Callable[[str], str]) -> tuple[list[Finding], str]:
    """(findings, semgrep's version) of one semgrep process over `files` under `root`."""
    if not files:
        return [], ""
    cmd = [ctx.config["semgrep"], "scan", "--json", "--quiet", "--disable-version-check",
           "--metrics=off", "--no-git-ignore", "--disable-nosem",
           "--timeout", str(int(ctx.config["rule_timeout"]))]
    if len(files) < MANY_FILES:  # its worker processes cost more than they save here
        cmd += ["--jobs", "1"]
    for c in configs:
        cmd += ["--config", str(c)]
    res = ctx.run([*cmd, "--", *files], cwd=root, env=SEMGREP_ENV)
    if res.returncode not in (0, 1):
        if res.stdout.strip():
            try:
                parse_semgrep(res.stdout, show)  # names the first error when there is one
            except GateError as e:
                raise GateError(f"{e} (exit {res.returncode})") from None
        detail = " ".join(res.stderr.strip().splitlines()[-3:]) or res.stdout.strip()
        raise GateError(f"semgrep failed (exit {res.returncode}): {show(detail[-400:])}")
    return parse_semgrep(res.stdout, show)


# -- the gate -------------------------------------------------------------------------


class SecuritySection(GateSection):
    """[gates.security]: the common keys and those of `Security.defaults`."""

    rules: list[str]
    bundled_rules: bool
    bandit_skip: list[str]
    bandit_skip_in_tests: list[str]
    test_paths: list[str]
    bandit: str
    semgrep: str
    rule_timeout: int


class Security(BaseGate[SecuritySection]):
    name = "security"
    needs_app = False
    scans_per_file = True  # gates.scan: `gates run --all` batches its files
    defaults: ClassVar[dict[str, Any]] = {
        "paths": list(CODE),
        "timeout": 600.0,
        "threshold": "high",
        # payment code blocks from medium up; the globs match files and folders
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
        "rule_timeout": 30,  # semgrep's per-rule, per-file timeout (seconds)
    }

    def _files(self, ctx: GateContext) -> list[str]:
        return [p for p in ctx.changed_matching(ctx.config["paths"]) if glob_match(p, CODE)]

    def applies(self, ctx: GateContext) -> bool:
        return bool(self._files(ctx))

    def rule_files(self, ctx: GateContext) -> tuple[list[Path], Callable[[str], str]]:
        """The semgrep configs: bundled, then the repo's own from the base tree."""
        ws = ctx.workspace
        merged = ws.scratch / "security-bundled"
        configs = merged_rules(bundled_rules(), merged) if ctx.config["bundled_rules"] else []
        own = ws.scratch / "security-rules"
        for path in ctx.config["rules"]:
            rel = posixpath.normpath(str(path).strip().lstrip("/"))
            if rel.startswith("..") or not rel or rel == ".":
                raise GateError(f"gates.security.rules: {path!r} is not a path in the repo")
            text = git.show(ws.repo, ws.subject.base_commit, rel)
            if text is None:
                raise GateError(f"gates.security.rules: {rel} does not exist on "
                                f"{ws.subject.base}")
            dest = own / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            configs.append(dest)
        if not configs:
            raise GateError("no semgrep rules: " + (
                f"none found in {RULES_DIR} (a broken install?)" if ctx.config["bundled_rules"]
                else "bundled_rules is off and gates.security.rules is empty"))
        prefixes = [(str(own.resolve()) + "/", ""), (str(own) + "/", ""),
                    (str(RULES_DIR) + "/", "gates/builtin/security/rules/")]
        bundled = re.compile("|".join(re.escape(str(d)) + r"/\d+/rules\.json"
                                      for d in {merged, merged.resolve()}))

        def show(text: str) -> str:
            """Scratch paths in semgrep's messages, as the repo and gates name them."""
            text = bundled.sub("the bundled rules (gates/builtin/security/rules)", text)
            for old, new in prefixes:
                text = text.replace(old, new)
            return text

        return configs, show

    def run(self, ctx: GateContext) -> GateResult:
        files = self._files(ctx)
        python = [p for p in files if glob_match(p, PYTHON)]
        configs, show = self.rule_files(ctx)
        cfg = self.section(ctx)
        # the cache keys: each tool's version and everything that changes what it finds;
        # semgrep's version, when not remembered, comes with the first scan's JSON
        sg_version = semgrep_version(ctx, ask=scan.is_collecting())
        learnt: list[str] = []
        rules = [c.read_bytes() for c in configs]

        def sg_salt() -> str | None:
            version = sg_version or (learnt[0] if learnt else "")
            return scan.digest(version, rules, cfg["rule_timeout"]) if version else None

        def semgrep(root: Path, paths: list[str]) -> list[Finding]:
            found, version = run_semgrep(ctx, root, paths, configs, show)
            if sg_version and version and version != sg_version:
                semgrep_version(ctx, fresh=True)  # never stored under another version
                raise GateError(f"semgrep reports version {version}, but {sg_version} was "
                                "recorded for it: run again")
            if not sg_version and version:
                learnt.append(version)
            return found

        bd_version = bandit_version(ctx) if python else ""
        bd_salt = scan.digest(bd_version, cfg["bandit_skip"])
        # semgrep and bandit side by side, each once for both sides, on what the cache lacks
        (sg, sg_stats), (bd, bd_stats) = scan.in_parallel([
            lambda: scan.both_sides(ctx, "semgrep", sg_salt() if sg_version else sg_salt,
                                    files, semgrep, together=path_free(configs)),
            lambda: scan.both_sides(ctx, "bandit", bd_salt, python,
                                    lambda root, paths: run_bandit(ctx, root, paths),
                                    together=True),
        ])
        if not sg_version and learnt:
            sg_version = learnt[0]
            scan.remember(ctx, [cfg["semgrep"], "--version"], sg_version + "\n", SEMGREP_ENV)
        bd = [f for f in bd if not skipped_in_tests(f, cfg)]
        findings = sorted([*sg, *bd], key=lambda f: (f.path or "", f.line or 0, f.rule))
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
