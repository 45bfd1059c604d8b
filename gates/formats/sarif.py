"""SARIF 2.1.0 (what Trivy, CodeQL, Semgrep `--sarif` and most scanners write).

The log is checked against the shape the 2.1.0 schema gives the parts read here
(`version`, `runs[].tool.driver.name`, each result's `message`, `level`,
`locations[].physicalLocation`), and refused as an error when it does not have it.
A run whose `invocations` say it did not succeed, or that carry a
`toolExecutionNotification` of level `error`, is the tool reporting its own
failure: an error too. A result's `partialFingerprints` (or `fingerprints`), when
present, are its identity across line shifts (the fingerprint of the finding);
without them the finding is fingerprinted like every other (gates.baseline).
Severity: the rule's `security-severity` property when there is one (CVSS-like,
as CodeQL and Trivy write it), else the result's (or the rule's default) `level`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from gates.formats.paths import relative
from gates.gate import GateError
from gates.model import Finding, Severity

LEVELS = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW,
          "none": Severity.INFO}


class Invalid(GateError):
    """Not a SARIF 2.1.0 log."""


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise Invalid(f"invalid SARIF: {where} {what}")


def _obj(v: Any) -> bool:
    return isinstance(v, dict)


def _get(v: Any, key: str) -> Any:
    """`v[key]` when `v` is an object, else None."""
    return v.get(key) if isinstance(v, dict) else None


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check(log: Any) -> None:
    """Raise `Invalid` unless `log` has the SARIF 2.1.0 shape of what is read here."""
    _need(_obj(log), "the log", "is not an object")
    _need(log.get("version") == "2.1.0", "'version'", f"is {log.get('version')!r}, not '2.1.0'")
    _need(isinstance(log.get("runs"), list), "'runs'", "is missing or not an array")
    for i, run in enumerate(log["runs"]):
        w = f"runs[{i}]"
        _need(_obj(run), w, "is not an object")
        tool = run.get("tool")
        driver: Any = tool.get("driver") if isinstance(tool, dict) else None
        _need(isinstance(driver, dict) and isinstance(driver.get("name"), str),
              f"{w}.tool.driver", "has no name")
        for key in ("results", "invocations"):
            _need(isinstance(run.get(key, []), list), f"{w}.{key}", "is not an array")
        rules = driver.get("rules", [])
        _need(isinstance(rules, list) and all(_obj(r) and isinstance(r.get("id"), str)
                                              for r in rules),
              f"{w}.tool.driver.rules", "is not an array of rules with ids")
        for j, inv in enumerate(run.get("invocations", [])):
            _need(_obj(inv) and isinstance(inv.get("executionSuccessful"), bool),
                  f"{w}.invocations[{j}]", "has no boolean executionSuccessful")
        for j, res in enumerate(run.get("results", [])):
            _check_result(res, f"{w}.results[{j}]")


def _check_result(res: Any, w: str) -> None:
    _need(_obj(res), w, "is not an object")
    msg = res.get("message")
    _need(_obj(msg) and (isinstance(msg.get("text"), str) or isinstance(msg.get("id"), str)),
          f"{w}.message", "has neither text nor id")
    _need(res.get("level", "warning") in LEVELS, f"{w}.level",
          f"is {res.get('level')!r} (one of {', '.join(LEVELS)})")
    for key in ("partialFingerprints", "fingerprints"):
        fp = res.get(key, {})
        _need(_obj(fp) and all(isinstance(v, str) for v in fp.values()), f"{w}.{key}",
              "is not an object of strings")
    _need(isinstance(res.get("locations", []), list), f"{w}.locations", "is not an array")
    for k, loc in enumerate(res.get("locations", [])):
        _need(_obj(loc), f"{w}.locations[{k}]", "is not an object")
        phys = loc.get("physicalLocation")
        if phys is None:
            continue
        _need(_obj(phys), f"{w}.locations[{k}].physicalLocation", "is not an object")
        art = phys.get("artifactLocation", {})
        _need(_obj(art) and isinstance(art.get("uri", ""), str),
              f"{w}.locations[{k}].physicalLocation.artifactLocation", "has no string uri")
        region = phys.get("region", {})
        _need(_obj(region) and _int(region.get("startLine", 1)) and region.get("startLine", 1) >= 1,
              f"{w}.locations[{k}].physicalLocation.region.startLine", "is not an integer ≥ 1")


def _tool_failure(run: dict[str, Any]) -> str | None:
    for inv in run.get("invocations", []):
        for note in inv.get("toolExecutionNotifications", []) or []:
            if _obj(note) and note.get("level", "warning") == "error":
                text = _get(note.get("message"), "text")
                return str(text or "") or "a tool execution notification of level error"
        if inv.get("executionSuccessful") is False:
            return "its invocation says executionSuccessful: false"
    return None


def _severity(res: dict[str, Any], rule: dict[str, Any]) -> Severity:
    score = _get(rule.get("properties"), "security-severity")
    try:
        s = float(score) if score is not None else None
    except (TypeError, ValueError):
        s = None
    if s is not None:
        return (Severity.CRITICAL if s >= 9 else Severity.HIGH if s >= 7
                else Severity.MEDIUM if s >= 4 else Severity.LOW if s > 0 else Severity.INFO)
    default = _get(rule.get("defaultConfiguration"), "level") or "warning"
    return LEVELS.get(res.get("level", default), Severity.MEDIUM)


def _uri(art: dict[str, Any], run: dict[str, Any]) -> str:
    uri = str(art.get("uri", ""))
    base_id = art.get("uriBaseId")
    base_uri = _get(_get(run.get("originalUriBaseIds"), str(base_id)), "uri") if base_id else None
    if isinstance(base_uri, str) and base_uri.startswith("file:") and not uri.startswith("file:"):
        uri = base_uri.rstrip("/") + "/" + uri
    return uri


def parse(raw: str, root: Path, gate: str) -> list[Finding]:
    try:
        log = json.loads(raw)
    except json.JSONDecodeError as e:
        raise Invalid(f"the SARIF log is not JSON: {e}") from None
    check(log)
    findings = []
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        failure = _tool_failure(run)
        if failure:
            raise GateError(f"{driver['name']} reported its own failure: {failure}")
        rules = driver.get("rules", [])
        by_id = {r["id"]: r for r in rules}
        for res in run.get("results", []):
            rule_id = res.get("ruleId") or _get(res.get("rule"), "id")
            index = res.get("ruleIndex")
            if rule_id is None and _int(index) and 0 <= index < len(rules):
                rule_id = rules[index]["id"]
            rule = by_id.get(rule_id or "", {})
            msg = res["message"].get("text") or res["message"].get("id", "")
            path = line = end = None
            for loc in res.get("locations", []):
                phys = loc.get("physicalLocation")
                if phys:
                    path = relative(_uri(phys.get("artifactLocation", {}), run), root) or None
                    region = phys.get("region", {})
                    line, end = region.get("startLine"), region.get("endLine")
                    break
            rule_name = rule_id or "sarif-result"
            stable = res.get("partialFingerprints") or res.get("fingerprints") or {}
            fp = hashlib.sha256("\0".join(
                [rule_name, path or "", *(f"{k}={v}" for k, v in sorted(stable.items()))]
            ).encode()).hexdigest()[:20] if stable else ""
            findings.append(Finding(
                gate=gate, rule=rule_name, tool=str(driver["name"]), message=str(msg),
                severity=_severity(res, rule), path=path, line=line, end_line=end,
                fingerprint=fp,
            ))
    return findings
