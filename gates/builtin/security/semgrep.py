"""semgrep for the security gate: its version, running it, reading its JSON report.

A rule says its severity with `metadata.gates_severity`, else semgrep's own maps
ERROR→high, WARNING→medium, INFO→low. A target semgrep could not (fully) parse is
a `semgrep-parse-error` finding (medium); any other error in its report fails the
gate, even when semgrep exits 0. Which rules it runs: gates.builtin.security.ruleset.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gates import scan
from gates.builtin.security import output
from gates.gate import GateContext, GateError
from gates.model import Finding, Severity

SEMGREP_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
SEMGREP_SEVERITY = {
    "ERROR": Severity.HIGH, "WARNING": Severity.MEDIUM, "INFO": Severity.LOW,
    "CRITICAL": Severity.CRITICAL, "HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}
# semgrep's two command-line front ends over the same matching engine (semgrep-core):
# osemgrep, its newer one in OCaml (`--experimental`), starts in a quarter of a second;
# pysemgrep, its older one in Python, in about three. Both report the same JSON.
CLI_FLAGS: dict[str, list[str]] = {"osemgrep": ["--experimental"], "pysemgrep": []}
# semgrep errors about a target it could not (fully) parse; anything else is fatal
PARSE_ERRORS = {"PartialParsing", "Syntax error", "Lexical error", "Other syntax error"}


def semgrep_version(ctx: GateContext, *, ask: bool = True, fresh: bool = False) -> str:
    """semgrep's version; without `ask`, "" unless remembered: `semgrep --version`
    costs as much as a scan, and a scan's JSON says it too."""
    cmd = [ctx.config["semgrep"], "--version"]
    out = (scan.probe(ctx, cmd, env=SEMGREP_ENV, fresh=fresh) if ask or fresh
           else scan.remembered(ctx, cmd, env=SEMGREP_ENV) or "")
    return out.strip().splitlines()[-1].strip() if out.strip() else ""


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


def parse_semgrep(raw: str, show: Callable[[str], str] = str,
                  targets: list[str] | None = None) -> tuple[list[Finding], str]:
    """(findings, semgrep version). `show` rewrites scratch paths in error messages.
    `targets`: the files semgrep was given, each of which its report must list as
    scanned (it skips a file silently where its limits say so: a GateError here)."""
    data = output.load("semgrep", raw)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise GateError("semgrep's JSON output has no 'results'")
    findings = []
    for err in data.get("errors") or []:
        path = err.get("path")
        if _error_type(err) in PARSE_ERRORS and path:
            spans = err.get("spans") or [{}]
            findings.append(Finding(
                gate="security", rule="semgrep-parse-error", tool="semgrep",
                severity=Severity.MEDIUM, path=output.rel(path),
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
    if targets is not None:
        scanned = {output.rel(str(p)) for p in (data.get("paths") or {}).get("scanned") or []}
        missed = sorted({output.rel(t) for t in targets} - scanned)
        if missed:
            raise GateError(f"semgrep did not scan {len(missed)} of the files it was given, "
                            f"with no error: {', '.join(missed[:3])}"
                            f"{' …' if len(missed) > 3 else ''}")
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
            path=output.rel(str(r.get("path", ""))), line=line,
            end_line=(r.get("end") or {}).get("line"),
            extra={k: v for k, v in {
                "url": refs[0] if isinstance(refs, list) and refs else None,
                "cwe": cwe[0] if isinstance(cwe, list) and cwe else cwe,
                # how sure the rule is (checked by ruleset.check_confidence); policy reads it
                "confidence": str(meta["confidence"]).lower() if meta.get("confidence") else None,
            }.items() if v},
        ))
    return findings, str(data.get("version", ""))


def run_semgrep(ctx: GateContext, root: Path, files: list[str], configs: list[Path],
                show: Callable[[str], str], cli: str) -> tuple[list[Finding], str]:
    """(findings, semgrep's version) of one semgrep process (`cli`: a key of
    `CLI_FLAGS`) over `files` under `root`."""
    if not files:
        return [], ""
    cmd = [ctx.config["semgrep"], "scan", *CLI_FLAGS[cli], "--json",
           "--quiet", "--disable-version-check", "--metrics=off", "--no-git-ignore",
           "--disable-nosem", "--timeout", str(int(ctx.config["rule_timeout"])),
           "--max-target-bytes", "0"]  # no size limit: a big file is scanned, not skipped
    cmd += ["--jobs", str(scan.parts_for(root, files))]  # its files across the cores
    for c in configs:
        cmd += ["--config", str(c)]
    res = ctx.run([*cmd, "--", *files], cwd=root, env=SEMGREP_ENV)
    try:
        if res.returncode not in (0, 1):
            if res.stdout.strip():
                try:
                    parse_semgrep(res.stdout, show)  # names the first error when there is one
                except GateError as e:
                    raise GateError(f"{e} (exit {res.returncode})") from None
            detail = " ".join(res.stderr.strip().splitlines()[-3:]) or res.stdout.strip()
            raise GateError(f"semgrep failed (exit {res.returncode}): {show(detail[-400:])}")
        return parse_semgrep(res.stdout, show, files)
    except GateError as e:
        raise GateError(f"{e}{_other_cli(cli)}") from None


def _other_cli(cli: str) -> str:
    """A hint for an error of the newer CLI, which may reject what the older accepts."""
    if cli != "osemgrep":
        return ""
    return (" — semgrep ran as its newer CLI (osemgrep); if the older one accepts this, "
            "set semgrep_cli = \"pysemgrep\" in [gates.security]")
