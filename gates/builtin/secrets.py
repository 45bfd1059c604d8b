"""The secrets gate: keys, tokens and secret-bearing files the branch commits.

detect-secrets (`scan --all-files`) runs over a folder holding only the files
the branch adds or changes (written from their blobs; no symlinks) and the base's
version of them, both at once, only for files the result cache (keyed
by detect-secrets' version, plugins, limits and blob) does not know yet (its own
worker processes spread a big scan over the cores: `--cores`), with
the plugins of `plugins` plus one of ours for Stripe live keys in their current,
long form (detect-secrets' own Stripe plugin knows only the old 24-character
keys). Its network verification is off (`-n`), and so is its inline allowlist
(`pragma: allowlist secret`): the one way to accept a finding is an audited
`gates: ignore[…] reason="…"` (gates.suppress).

A finding names the kind of secret, its file and line — never the value. Its
`extra["hash"]` is detect-secrets' `hashed_secret` (SHA-1 of the value), enough
to match it against a rotation list; `extra["sensitive"]` tells publishers that
the source line holds a secret (never show it as an excerpt). Private keys and live Stripe keys are
critical, everything else high. A file whose *name* says it holds secrets
(`.env`, `*.pem`, `id_rsa`, …) is a finding of its own: `secret-file-committed`.
The base's version of the same files is scanned too; what the base already has
is existing debt. A big changed source file (`LINE_BY_LINE`: detect-secrets reads
it one line at a time) is first read as the lines its base lacks (gates.scan's
`by_line`, gates.line_delta), and both whole sides only where those hold a secret.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

from gates import baseline, git, scan
from gates.config import GateSection, is_status_file
from gates.gate import BaseGate, GateContext, GateError, glob_match
from gates.model import Finding, GateResult, Severity, Status

RULE_FILE = "secret-file-committed"
ALLOWLIST_FILTER = "detect_secrets.filters.allowlist.is_line_allowlisted"
CRITICAL_TYPES = {"Private Key", "Stripe Live Key", "Stripe Access Key"}
# a labelled credential that another plugin also saw is reported once, under that name
ENTROPY_TYPES = {"Base64 High Entropy String", "Hex High Entropy String"}

# one of our own detect-secrets plugins, written next to the scan at run time
PLUGIN_SOURCE = '''
import re

from detect_secrets.plugins.base import RegexBasedDetector


class StripeLiveKeyDetector(RegexBasedDetector):
    """Stripe live secret and restricted keys (sk_live_/rk_live_), short or long."""

    secret_type = "Stripe Live Key"
    denylist = [re.compile(r"\\b(?:sk|rk)_live_[0-9a-zA-Z]{20,255}\\b")]


class LabelledCredentialDetector(RegexBasedDetector):
    """A credential written out in prose or Markdown: a line that names it (API key,
    token, secret, password, ...) and then carries a key-shaped value: groups of
    upper-case letters and digits joined by dashes (XXXXXXX-XXXXXXX-XXXXXXX), or one
    long run of letters and digits mixing cases or with digits. Only the value (the
    one group) is hashed; nothing of it is ever printed."""

    secret_type = "Labelled Credential"
    denylist = [re.compile(
        r"(?i:\\b(?:api[ _-]?keys?|access[ _-]?keys?|secret[ _-]?keys?|private[ _-]?keys?|"
        r"client[ _-]?secrets?|secrets?|tokens?|passwords?|passwd|passphrase|credentials?|"
        r"license[ _-]?keys?|auth[ _-]?keys?)\\b)"
        r"[*_`\\s]*(?:\\([^)\\n]{0,30}\\)[*_`\\s]*)?(?::|=|\\bis\\b|->|=>)[*_`\\s\\"']*"
        r"((?=[A-Za-z0-9+/_.-]*[0-9])(?:[A-Z0-9]{4,}(?:-[A-Z0-9]{4,}){2,}"
        r"|(?=[A-Za-z0-9+/_-]*[a-z])(?=[A-Za-z0-9+/_-]*[A-Z])[A-Za-z0-9+/_-]{20,}))"
        r"(?![A-Za-z0-9+/_-])")]
'''


# source files that detect-secrets reads line by line, each line alone: a type of its
# own (not "other", which it also tries to parse as an INI file when nothing is found,
# nor YAML or a config format, which it parses); its context filters (the inline
# allowlist, verification) are off here
LINE_BY_LINE = {".py", ".pyi", ".js", ".go", ".java", ".php", ".swift", ".cs", ".c", ".cpp"}


def reads_lines_alone(path: str) -> bool:
    return posixpath.splitext(path)[1] in LINE_BY_LINE


def slug(secret_type: str) -> str:
    """'Stripe Live Key' -> 'stripe-live-key'."""
    return re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-") or "secret"


def severity_of(secret_type: str) -> Severity:
    return Severity.CRITICAL if secret_type in CRITICAL_TYPES else Severity.HIGH


def secret_files(paths: list[str], patterns: list[str], allowed: list[str]) -> list[Finding]:
    """A finding for each path whose name says it holds secrets."""
    return [
        Finding(
            gate="secrets", rule=RULE_FILE, severity=Severity.HIGH, path=p, tool="gates",
            message=f"{p.rsplit('/', 1)[-1]} is a secret-bearing file and must not be "
                    "committed: remove it from the branch (and its history) and rotate "
                    "what it holds; commit an example file instead",
        )
        for p in paths if glob_match(p, patterns) and not glob_match(p, allowed)
    ]


def parse(raw: str) -> tuple[list[Finding], str]:
    """(findings, detect-secrets version) from `detect-secrets scan` output."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        # the output may hold a secret: never quote it
        raise GateError(f"detect-secrets printed something that is not JSON ({e.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise GateError("detect-secrets' JSON output has no 'results'")
    by_line: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for filename, items in data["results"].items():
        for item in items:
            path = posixpath.normpath(str(item.get("filename") or filename))
            key = (path, int(item.get("line_number") or 0))
            by_line.setdefault(key, []).append(item)
    findings = []
    for (path, line), items in sorted(by_line.items()):
        types = {str(i.get("type", "")) for i in items}
        specific = types - ENTROPY_TYPES
        if "Stripe Live Key" in specific:
            specific.discard("Stripe Access Key")  # the same key, seen by the old plugin
        keep = specific or types
        done = set()
        for item in items:
            kind = str(item.get("type", "secret"))
            if kind not in keep or kind in done:
                continue
            done.add(kind)
            findings.append(Finding(
                gate="secrets", rule=slug(kind), severity=severity_of(kind), path=path,
                line=line or None, tool="detect-secrets",
                message=f"{kind} committed here (value not shown): remove it, rotate it, and "
                        "read it from the environment or a secret store",
                extra={"hash": str(item.get("hashed_secret", "")), "sensitive": True},
            ))
    return findings, str(data.get("version", ""))


class SecretsSection(GateSection):
    """[gates.secrets]: the common keys and those of `Secrets.defaults`."""

    detect_secrets: str
    plugins: list[str]
    base64_limit: float
    hex_limit: float
    files: list[str]
    allowed_files: list[str]


class Secrets(BaseGate[SecretsSection]):
    name = "secrets"
    needs_app = False
    scans_per_file = True  # gates.scan: `gates run --all` batches its files
    defaults: ClassVar[dict[str, Any]] = {
        "timeout": 300.0,
        "threshold": "low",  # any new secret blocks
        "detect_secrets": "detect-secrets",  # the executable
        "plugins": [
            "StripeDetector", "AWSKeyDetector", "PrivateKeyDetector", "JwtTokenDetector",
            "BasicAuthDetector", "Base64HighEntropyString", "HexHighEntropyString",
            "GitHubTokenDetector", "GitLabTokenDetector", "SlackDetector", "OpenAIDetector",
            "SendGridDetector", "TwilioKeyDetector", "NpmDetector", "PypiTokenDetector",
        ],
        "base64_limit": 4.5,  # entropy limits of the high-entropy plugins
        "hex_limit": 3.0,
        "files": [  # names of secret-bearing files
            ".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*",
            "id_ed25519*", "**/secrets/*", "*_key.txt", "*.p12", "*.pfx",
        ],
        "allowed_files": [".env.example", ".env.sample", ".env.template", "*.pub"],
    }

    def applies(self, ctx: GateContext) -> bool:
        return bool(ctx.changed) or any(
            is_status_file(c.path, str(ctx.settings["status_dir"]))
            for c in ctx.workspace.subject.changed if c.status != "D")

    def _args(self, ctx: GateContext, plugin: Path) -> tuple[list[str], str]:
        """(the scan command, detect-secrets' version)."""
        exe = self.section(ctx)["detect_secrets"]
        known = scan.probe(ctx, [exe, "scan", "--list-all-plugins"]).split()
        version = scan.probe(ctx, [exe, "--version"]).strip()
        wanted = list(self.section(ctx)["plugins"])
        unknown = [p for p in wanted if p not in known]
        if unknown:
            raise GateError(f"gates.secrets.plugins: detect-secrets has no plugin {unknown[0]!r} "
                            f"(it has: {', '.join(known)})")
        args = [exe, "scan", "--all-files", "-n", "-p", str(plugin),
                "--disable-filter", ALLOWLIST_FILTER,
                "--base64-limit", str(self.section(ctx)["base64_limit"]),
                "--hex-limit", str(self.section(ctx)["hex_limit"])]
        for p in known:
            if p not in wanted:
                args += ["--disable-plugin", p]
        return args, version

    def _scan(self, ctx: GateContext, args: list[str], root: Path, files: list[str]
              ) -> list[Finding]:
        """detect-secrets over `files` under `root` (a folder holding only them), in
        as many worker processes of its own as the files are worth (`scan.parts_for`)."""
        if not files:
            return []
        cores = ["--cores", str(scan.parts_for(root, files))]
        res = ctx.run([args[0], *cores, *args[1:], "--", *files], cwd=root)
        if res.returncode != 0:
            raise GateError(f"detect-secrets failed (exit {res.returncode}): "
                            f"{res.stderr.strip()[-300:]}")
        return parse(res.stdout)[0]

    def run(self, ctx: GateContext) -> GateResult:
        scratch = ctx.workspace.scratch
        plugin = scratch / "secrets-plugin" / "gates_secret_plugins.py"
        plugin.parent.mkdir(parents=True, exist_ok=True)
        plugin.write_text(PLUGIN_SOURCE, encoding="utf-8")
        args, version = self._args(ctx, plugin)
        # the cache key: the version, the plugins and limits, our plugin's source
        salt = scan.digest(version, [a for a in args[1:] if a != str(plugin)], PLUGIN_SOURCE)
        # the coordination files are always scanned, whatever `exclude` says: gates writes
        # into them, and a key committed there must not pass
        status_dir = str(ctx.settings["status_dir"])
        coordination = [c.path for c in ctx.workspace.subject.changed
                        if c.status != "D" and c.is_file and is_status_file(c.path, status_dir)]
        files = sorted(set(ctx.changed) | set(coordination))
        findings, stats = scan.both_sides(
            ctx, "detect-secrets", salt, files,
            lambda root, paths: self._scan(ctx, args, root, paths), together=True,
            by_line=reads_lines_alone)
        # secret-bearing file names: new unless the base has the same path
        patterns, allowed = self.section(ctx)["files"], self.section(ctx)["allowed_files"]
        ws = ctx.workspace
        on_base = set(git.blob_ids(ws.repo, ws.subject.base_commit, ctx.changed)) \
            if ctx.changed else set()
        named = baseline.fingerprint(secret_files(ctx.changed, patterns, allowed), scratch)
        baseline.mark_new(named, baseline.fingerprint(
            secret_files([p for p in ctx.changed if p in on_base], patterns, allowed), scratch))
        findings += named
        return GateResult(
            gate=self.name, status=Status.PASS, findings=findings,
            metrics={
                "files": stats["files"], "base_files": stats["base_files"],
                "by_type": dict(Counter(f.rule for f in findings)),
                "new": sum(1 for f in findings if f.new),
                "tools": {"detect-secrets": version} if version else {},
                "cache": {k: stats[k] for k in ("hits", "misses")},
            },
        )


GATE = Secrets()
