"""Audited suppressions: a finding someone decided to live with, and why.

Two sources, both applied to the findings of every gate (by the runner, right
after a gate returns and before the policy judges it):

- inline, in the merge result, on the finding's line or on a comment-only line
  just above it (`//` instead of `#` in JS/TS):
      # gates: ignore[rule-id] reason="checked by hand, see #12" until=2026-12-31
  several rules: `ignore[B105,jwt-without-expiry]`; `owner="name"` is optional.
- `[[suppress]]` entries of the trusted (base) config:
      [[suppress]]
      rule = "B105"              # required
      path = "tests/**"          # glob; every path when absent
      reason = "test fixtures"   # required
      owner = "IRONWOOD"         # optional
      until = 2026-12-31         # optional; a TOML date or "YYYY-MM-DD"

A suppression in effect keeps the finding in the result, marked
`extra["suppressed"]`, and the policy never lets it block; every one is listed
in the gate's `metrics["suppressions"]` and in a table appended to `GateResult.sections`
(the audit trail in summary.md). An inline suppression without a reason does not
suppress and is a finding of its own (`suppression-without-reason`); one past
its `until` date stops suppressing and the finding's message says so. A config
entry without rule or reason, or with a bad date, is a `ConfigError`.
"""

from __future__ import annotations

import datetime as dt
import re
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gates import baseline
from gates.errors import ConfigError
from gates.gate import glob_match
from gates.model import Finding, GateResult, Paragraph, Section, Severity, Table, Text, code, plain

if TYPE_CHECKING:
    from gates.gate import GateContext

RULE_NO_REASON = "suppression-without-reason"
CONFIG_KEYS = ("rule", "path", "reason", "owner", "until")

_INLINE = re.compile(r"(?:#|//)\s*gates:\s*ignore\[(?P<rules>[^\]]*)\](?P<rest>.*)$")
_QUOTED = r"""(?:"(?P<{0}dq>[^"]*)"|'(?P<{0}sq>[^']*)'|(?P<{0}bare>[^\s"']+))"""
_REASON = re.compile(r"\breason\s*=\s*" + _QUOTED.format("r"))
_OWNER = re.compile(r"\bowner\s*=\s*" + _QUOTED.format("o"))
_UNTIL = re.compile(r"\buntil\s*=\s*" + _QUOTED.format("u"))


@dataclass(frozen=True)
class Suppression:
    rules: tuple[str, ...]
    reason: str
    owner: str = ""
    until: dt.date | None = None
    bad_until: str = ""  # an inline `until=` that is not a date (it then does not suppress)
    path: str | None = None  # a glob (config) or the file (inline)
    line: int | None = None  # the comment's line (inline)
    source: str = "config"  # "config" | "inline"
    where: str = ""  # "gates.toml@main [[suppress]] #2" or "app/x.py:12"

    def expired(self, today: dt.date) -> bool:
        return self.until is not None and self.until < today

    def matches(self, f: Finding) -> bool:
        if f.rule not in self.rules:
            return False
        if self.source == "inline" or self.path is None:
            return True
        return f.path is not None and glob_match(f.path, [self.path])

    def record(self, f: Finding) -> dict[str, Any]:
        return {
            "rule": f.rule, "path": f.path, "line": f.line, "reason": self.reason,
            "owner": self.owner, "until": self.until.isoformat() if self.until else "",
            "source": self.source, "where": self.where,
        }


# -- the config entries ---------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def from_config(entries: Any, where: str) -> list[Suppression]:
    """The `[[suppress]]` entries of a config, validated (`ConfigError` names the entry)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: 'suppress' must be a list of tables ([[suppress]])")
    out = []
    for i, entry in enumerate(entries, 1):
        at = f"{where}: [[suppress]] #{i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{at} must be a table with rule, path, reason, owner, until")
        unknown = sorted(set(entry) - set(CONFIG_KEYS))
        if unknown:
            raise ConfigError(f"{at}: unknown key '{unknown[0]}' (known: {', '.join(CONFIG_KEYS)})")
        for key in ("rule", "path", "reason", "owner"):
            if key in entry and not isinstance(entry[key], str):
                raise ConfigError(f"{at}: '{key}' must be a string")
        rule = entry.get("rule", "").strip()
        if not rule:
            raise ConfigError(f"{at}: 'rule' is missing (the rule id to suppress)")
        reason = entry.get("reason", "").strip()
        if not reason:
            raise ConfigError(f"{at}: 'reason' is missing: say why {rule} may be ignored")
        until = None
        if "until" in entry:
            until = _date(entry["until"])
            if until is None:
                raise ConfigError(f"{at}: 'until' must be a date YYYY-MM-DD, "
                                  f"not {entry['until']!r}")
        out.append(Suppression(
            rules=(rule,), reason=reason, owner=entry.get("owner", "").strip(), until=until,
            path=entry.get("path") or None, source="config", where=f"{where} [[suppress]] #{i}",
        ))
    return out


# -- inline comments --------------------------------------------------------------


def _value(m: re.Match[str] | None, prefix: str) -> str:
    if m is None:
        return ""
    return (m.group(f"{prefix}dq") or m.group(f"{prefix}sq") or m.group(f"{prefix}bare")
            or "").strip()


def parse_inline(text: str, path: str, line: int) -> Suppression | None:
    """The `gates: ignore[...]` comment in one source line, if any."""
    m = _INLINE.search(text)
    if m is None:
        return None
    rules = tuple(r.strip() for r in m.group("rules").split(",") if r.strip())
    rest = m.group("rest")
    until_raw = _value(_UNTIL.search(rest), "u")
    until = _date(until_raw) if until_raw else None
    return Suppression(
        rules=rules, reason=_value(_REASON.search(rest), "r"), owner=_value(_OWNER.search(rest), "o"),
        until=until, bad_until=until_raw if until_raw and until is None else "",
        path=path, line=line, source="inline", where=f"{path}:{line}",
    )


def _is_comment(text: str) -> bool:
    return text.lstrip().startswith(("#", "//"))


class _Lines:
    """Source lines of the merge result, read once per file, never outside the tree."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.cache: dict[str, list[str]] = {}

    def get(self, path: str) -> list[str]:
        if path not in self.cache:
            f = self.root / path
            try:
                inside = not f.is_symlink() and f.resolve().is_relative_to(self.root)
                self.cache[path] = (f.read_text(encoding="utf-8", errors="replace").splitlines()
                                    if inside and f.is_file() else [])
            except OSError:
                self.cache[path] = []
        return self.cache[path]


def inline_for(f: Finding, lines: _Lines) -> list[Suppression]:
    """Inline suppressions naming `f.rule` on its line or a comment line just above."""
    if f.path is None or not f.line:
        return []
    text = lines.get(f.path)
    out = []
    for n in (f.line, f.line - 1):
        if not 0 < n <= len(text) or (n != f.line and not _is_comment(text[n - 1])):
            continue
        s = parse_inline(text[n - 1], f.path, n)
        if s is not None and f.rule in s.rules:
            out.append(s)
    return out


# -- applying them ----------------------------------------------------------------


def _unusable(s: Suppression) -> str:
    """Why a suppression cannot suppress ('' when it can)."""
    if not s.reason:
        return 'it has no reason="…"'
    if s.bad_until:
        return f"its until={s.bad_until!r} is not a date YYYY-MM-DD"
    return ""


def _without_reason(f: Finding, s: Suppression, why: str) -> Finding:
    return Finding(
        gate=f.gate, rule=RULE_NO_REASON, severity=Severity.MEDIUM, path=s.path, line=s.line,
        tool="gates", new=f.new,
        message=f"`gates: ignore[{f.rule}]` does not suppress {f.rule} at {f.location}: {why}",
    )


def apply_to(result: GateResult, root: Path, config: Iterable[Suppression],
             today: dt.date | None = None) -> GateResult:
    """Mark the findings of `result` that a valid suppression covers; add the findings
    and the audit trail that the suppressions themselves call for."""
    today = today or dt.date.today()
    config = list(config)
    lines = _Lines(root)
    records: list[dict[str, Any]] = []
    added: dict[tuple[str | None, int | None, str], Finding] = {}
    for f in result.findings:
        if f.extra.get("suppressed"):
            continue
        # some findings (tampering with tests) only the trusted config may accept
        inline = [] if f.extra.get("trusted_suppression_only") else inline_for(f, lines)
        candidates = inline + [s for s in config if s.matches(f)]
        usable = [s for s in candidates if not _unusable(s)]
        valid = [s for s in usable if not s.expired(today)]
        if valid:
            f.extra["suppressed"] = valid[0].record(f)
            f.message += f" (suppressed at {valid[0].where}: {valid[0].reason})"
            records.append(f.extra["suppressed"])
            continue
        for s in candidates:
            why = _unusable(s)
            if why:
                key = (s.path, s.line, f.rule)
                added.setdefault(key, _without_reason(f, s, why))
        expired = [s for s in usable if s.expired(today)]
        if expired:
            s = expired[0]
            assert s.until is not None
            f.extra["suppression_expired"] = s.record(f)
            f.message += (f" (its suppression at {s.where} expired on {s.until.isoformat()}, "
                          "so it counts again)")
    if added:
        result.findings += baseline.fingerprint(added.values(), root)
    if records:
        result.metrics["suppressions"] = records
        result.sections = [*result.sections, *audit(records)]
    return result


def audit(records: Sequence[Mapping[str, Any]]) -> list[Section]:
    """The audit trail of summary.md: every suppression in effect, with its reason."""
    rows = []
    for r in records:
        where = f"{r['path']}:{r['line']}" if r.get("line") else (r.get("path") or "")
        rows.append([[code(r["rule"])], [code(where) if where else plain("—")],
                     [plain(r["reason"])], [_or_dash(r["owner"])], [_or_dash(r["until"])],
                     [plain(r["where"])]])
    return [Paragraph([Text("Suppressed findings", strong=True),
                       plain(f" ({len(records)}): kept in the report, never blocking")]),
            Table(["Rule", "Where", "Reason", "Owner", "Until", "Suppressed by"], rows)]


def _or_dash(value: object) -> Text:
    return plain(value) if str(value).strip() else plain("—")


def apply(result: GateResult, ctx: GateContext) -> GateResult:
    """The runner's hook: suppressions from the merge result and the trusted config.
    Fails closed: if they cannot be applied, the gate is an `error`."""
    if not result.findings:
        return result
    try:
        config = from_config(ctx.settings["suppress"], ctx.settings.source)
        # only the files with findings: a run whose results came from the cache
        # exports nothing else of the merge result
        root = ctx.workspace.files(sorted({f.path for f in result.findings if f.path}))
        return apply_to(result, root, config)
    except Exception as e:
        return GateResult.error(
            result.gate, f"suppressions could not be applied: {type(e).__name__}: {e}",
            metrics={"traceback": traceback.format_exc(limit=8)})
