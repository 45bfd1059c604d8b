"""schemathesis (its CLI, v4) against a running app's OpenAPI document.

`command` builds the run: every check, bounded examples per operation, a seed
(the same tree gets the same verdict), one worker, the reports we read: JUnit
(an artifact) and the NDJSON event stream (scratch). It runs from a folder of
our own with an empty `schemathesis.toml`, so no config of the branch — or of
the checkout around us — changes what is tested.

`failures` reads the event stream: one `Failure` per operation and check, with
schemathesis's own words and a `curl` line rebuilt from the recorded request
(credentials as placeholders). `errors` lists what schemathesis could not test.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from gates.apptest.curl import curl, redact

# request headers schemathesis adds on its own: noise in a reproducing line
NOISE_HEADERS = ("user-agent", "accept-encoding", "accept", "connection", "content-length",
                 "x-schemathesis-testcaseid")
RECORDED = ("ScenarioFinished", "FuzzScenarioFinished")


@dataclass
class Failure:
    operation: str  # "POST /api/items"
    check: str  # schemathesis's check name: "not_a_server_error"
    code: str  # its failure code: "ST101"
    title: str  # "Server error"
    message: str  # the detail, e.g. "Received: 500\nDocumented: 200, 400"
    severity: str  # schemathesis's: critical | high | medium | low
    curl: str
    phase: str
    count: int = 1


def command(url: str, *, config_file: Path, junit: Path, ndjson: Path, token: str | None,
            max_examples: int, checks: Sequence[str], exclude_checks: Sequence[str],
            phases: Sequence[str], workers: int, seed: int, args: Sequence[str]) -> list[str]:
    cmd = ["schemathesis", "--config-file", str(config_file), "--no-color", "run", url,
           "--checks", ",".join(checks) or "all", "--max-examples", str(max_examples),
           "--workers", str(workers), "--generation-database", "none",
           "--request-timeout", "10", "--report", "junit,ndjson",
           "--report-junit-path", str(junit), "--report-ndjson-path", str(ndjson)]
    if exclude_checks:
        cmd += ["--exclude-checks", ",".join(exclude_checks)]
    if phases:
        cmd += ["--phases", ",".join(phases)]
    if seed:
        cmd += ["--seed", str(seed)]
    if token:
        cmd += ["--header", f"Authorization: Bearer {token}"]
    return [*cmd, *args]


def exclude_args(operations: Sequence[str]) -> list[str]:
    """`--exclude-name` for each excluded operation ("GET /createdb" is its name)."""
    return [arg for op in dict.fromkeys(operations) for arg in ("--exclude-name", op)]


def events(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, payload) of every event in an NDJSON report; a line cut short by a
    killed run is skipped."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and len(event) == 1:
            kind, payload = next(iter(event.items()))
            if isinstance(payload, dict):
                yield kind, payload


def failures(path: Path, *, shown_auth: str = "Bearer <token>") -> list[Failure]:
    found: dict[tuple[str, str], Failure] = {}
    for kind, event in events(path):
        if kind not in RECORDED:
            continue
        recorder = event.get("recorder") or {}
        interactions = recorder.get("interactions") or {}
        for case_id, checks in (recorder.get("checks") or {}).items():
            for check in checks or []:
                if check.get("status") != "failure":
                    continue
                info = (check.get("failure_info") or {}).get("failure") or {}
                operation = str(info.get("operation") or recorder.get("label") or "?")
                key = (operation, str(check.get("name", "")))
                if key in found:
                    found[key].count += 1
                    continue
                request = (interactions.get(case_id) or {}).get("request") or {}
                found[key] = Failure(
                    operation=operation, check=key[1], code=str(info.get("code", "")),
                    title=str(info.get("title", "")), message=str(info.get("message", "")),
                    severity=str(info.get("severity", "medium")),
                    curl=_curl(request, shown_auth) if request else "",
                    phase=str(event.get("phase", "")))
    return list(found.values())


def unsafe_requests(path: Path) -> list[tuple[str, str]]:
    """(operation, path and body) of every request but GET/HEAD/OPTIONS that was sent."""
    out: list[tuple[str, str]] = []
    for kind, event in events(path):
        if kind not in RECORDED:
            continue
        recorder = event.get("recorder") or {}
        label = str(recorder.get("label") or "")
        for interaction in (recorder.get("interactions") or {}).values():
            request = (interaction or {}).get("request") or {}
            method = str(request.get("method", "GET")).upper()
            if method in ("GET", "HEAD", "OPTIONS"):
                continue
            uri = str(request.get("uri", ""))
            operation = label if label.upper().startswith(method + " ") else \
                f"{method} {urlsplit(uri).path}"
            out.append((operation, f"{unquote(uri)} {json.dumps(request.get('body'))}"))
    return out


def errors(path: Path) -> list[str]:
    """What schemathesis could not do, one line each (deduplicated)."""
    out: list[str] = []
    for kind, event in events(path):
        if kind not in ("NonFatalError", "FatalError"):
            continue
        value = event.get("value", event.get("exception", ""))
        if isinstance(value, Mapping):
            value = value.get("message") or value.get("type") or json.dumps(value)[:300]
        text = " ".join(str(value).split())[:300]
        line = f"{event.get('label', 'schemathesis')}: {text}" if text else str(
            event.get("label", "schemathesis"))
        if line not in out:
            out.append(line)
    return out


def _curl(request: Mapping[str, Any], shown_auth: str) -> str:
    headers: dict[str, str] = {}
    for name, values in (request.get("headers") or {}).items():
        if str(name).lower() in NOISE_HEADERS:
            continue
        value = values[0] if isinstance(values, list) and values else values
        headers[str(name)] = str(value)
    headers = redact(headers)
    for name in headers:
        if name.lower() == "authorization":
            headers[name] = shown_auth
    body = request.get("body")
    if isinstance(body, Mapping) and "$base64" in body:
        body = base64.b64decode(body["$base64"])
    elif isinstance(body, Mapping) and "string" in body:
        body = body["string"]
    return curl(str(request.get("method", "GET")), str(request.get("uri", "")),
                headers=headers, body=body if body not in (None, b"", "") else None)
