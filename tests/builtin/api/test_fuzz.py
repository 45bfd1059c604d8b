"""The schemathesis command, and its NDJSON events read back into failures.

The events below have the shape schemathesis 4 writes (see a real run in
tests/builtin/api/test_gate.py, which checks the whole path end to end)."""

from __future__ import annotations

import base64
import json
import shlex
from pathlib import Path
from typing import Any

from gates.builtin.api import fuzz


def scenario(label: str, case: str, checks: list[dict[str, Any]], request: dict[str, Any],
             kind: str = "ScenarioFinished", phase: str = "coverage") -> dict[str, Any]:
    return {kind: {"phase": phase, "status": "failure", "recorder": {
        "label": label, "cases": {case: {"value": {"method": request["method"]}}},
        "checks": {case: checks}, "interactions": {case: {"request": request}}}}}


def failed(name: str, code: str, title: str, message: str = "", severity: str = "medium",
           operation: str = "") -> dict[str, Any]:
    return {"name": name, "status": "failure", "failure_info": {"failure": {
        "code": code, "title": title, "message": message, "severity": severity,
        "operation": operation}}}


SERVER_ERROR = failed("not_a_server_error", "ST101", "Server error", severity="critical",
                      operation="GET /api/items")
STATUS = failed("status_code_conformance", "ST103", "Undocumented status code",
                "Received: 500\nDocumented: 200, 422", operation="GET /api/items")
GET = {"method": "GET", "uri": "http://127.0.0.1:9/api/items?limit=0",
       "headers": {"Authorization": ["[Filtered]"], "User-Agent": ["schemathesis/4"],
                   "X-Trace": ["t"]}}
POST = {"method": "POST", "uri": "http://127.0.0.1:9/api/items",
        "headers": {"Content-Type": ["application/json"], "Cookie": ["s=1"]},
        "body": {"$base64": base64.b64encode(b'{"price": -1}').decode()}}


def write(tmp_path: Path, events: list[dict[str, Any]], tail: str = "") -> Path:
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + tail)
    return path


def test_command_runs_every_check_bounded_seeded_and_isolated(tmp_path: Path) -> None:
    cmd = fuzz.command("http://h/openapi.json", config_file=tmp_path / "s.toml",
                          junit=tmp_path / "j.xml", ndjson=tmp_path / "e.ndjson", token="t0k",
                          max_examples=7, checks=["all"], exclude_checks=["unsupported_method"],
                          phases=["fuzzing", "stateful"], workers=1, seed=3, args=["--no-shrink"])
    line = shlex.join(cmd)
    assert cmd[:3] == ["schemathesis", "--config-file", str(tmp_path / "s.toml")]
    for part in ("run http://h/openapi.json", "--checks all", "--max-examples 7", "--seed 3",
                 "--exclude-checks unsupported_method", "--phases fuzzing,stateful",
                 "--generation-database none", f"--report-junit-path {tmp_path}/j.xml",
                 "--header 'Authorization: Bearer t0k'"):
        assert part in line, part
    assert cmd[-1] == "--no-shrink"
    unseeded = fuzz.command("u", config_file=tmp_path, junit=tmp_path, ndjson=tmp_path,
                               token=None, max_examples=1, checks=[], exclude_checks=[],
                               phases=[], workers=1, seed=0, args=[])
    assert "--seed" not in unseeded and "--header" not in unseeded and "--phases" not in unseeded


def test_failures_one_per_operation_and_check_with_a_curl(tmp_path: Path) -> None:
    path = write(tmp_path, [
        {"EngineStarted": {}},
        scenario("GET /api/items", "c1", [SERVER_ERROR, STATUS,
                                          {"name": "content_type_conformance",
                                           "status": "success"}], GET),
        scenario("GET /api/items", "c2", [SERVER_ERROR], GET, phase="fuzzing"),
        scenario("Stateful tests", "c3",
                 [failed("positive_data_acceptance", "ST202", "Schema-valid request rejected",
                         operation="POST /api/items")], POST, kind="FuzzScenarioFinished"),
    ], tail='{"ScenarioFinished": {"recorder": ')  # a run killed mid-line
    found = fuzz.failures(path, shown_auth="Bearer <token of ann>")
    assert [(f.operation, f.check, f.code, f.count) for f in found] == [
        ("GET /api/items", "not_a_server_error", "ST101", 2),
        ("GET /api/items", "status_code_conformance", "ST103", 1),
        ("POST /api/items", "positive_data_acceptance", "ST202", 1)]
    assert found[0].severity == "critical" and found[0].phase == "coverage"
    assert found[1].message == "Received: 500\nDocumented: 200, 422"
    assert found[0].curl == ("curl -i -X GET -H 'Authorization: Bearer <token of ann>' "
                             "-H 'X-Trace: t' 'http://127.0.0.1:9/api/items?limit=0'")
    assert shlex.split(found[2].curl) == [
        "curl", "-i", "-X", "POST", "-H", "Content-Type: application/json",
        "-H", "Cookie: <redacted>", "--data-binary", '{"price": -1}',
        "http://127.0.0.1:9/api/items"]


def test_errors_are_listed_once(tmp_path: Path) -> None:
    boom = {"type": "Unsatisfiable", "message": "cannot generate a value"}
    path = write(tmp_path, [
        {"NonFatalError": {"label": "GET /api/x", "value": boom}},
        {"NonFatalError": {"label": "GET /api/x", "value": boom}},
        {"FatalError": {"exception": {"type": "RuntimeError", "message": ""}}},
    ])
    assert fuzz.errors(path) == ["GET /api/x: cannot generate a value",
                                    "schemathesis: RuntimeError"]


def test_no_event_file_is_no_failure(tmp_path: Path) -> None:
    assert fuzz.failures(tmp_path / "missing.ndjson") == []
    assert fuzz.errors(tmp_path / "missing.ndjson") == []
