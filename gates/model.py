"""The data that flows from gates to policy to publishers: plain dataclasses."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {value!r} (one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


STATUS_EMOJI = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.ERROR: "💥",
    Status.SKIPPED: "⏭️",
}


@dataclass
class Finding:
    """One thing a gate found. `path` is relative to the tree root, `line` 1-based."""

    gate: str
    rule: str
    message: str
    severity: Severity = Severity.MEDIUM
    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    tool: str = ""
    fingerprint: str = ""
    new: bool = True
    blocking: bool = False
    # free-form, JSON-serialisable details: a curl line, a hash, a screenshot path …
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.label
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        data = dict(data)
        data["severity"] = Severity.parse(data.get("severity", "medium"))
        return cls(**data)


@dataclass
class GateResult:
    gate: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    # paths relative to the run's report directory
    artifacts: list[str] = field(default_factory=list)
    reason: str = ""
    duration: float = 0.0
    blocking: bool = True
    # a Markdown section the gate composes from its own data (an access matrix, a
    # perf table), shown under the gate in summary.md; untrusted text escaped by the gate
    details: str = ""

    @classmethod
    def error(cls, gate: str, reason: str, **kw: Any) -> GateResult:
        return cls(gate=gate, status=Status.ERROR, reason=reason, **kw)

    @classmethod
    def skipped(cls, gate: str, reason: str) -> GateResult:
        return cls(gate=gate, status=Status.SKIPPED, reason=reason)

    @property
    def blocks(self) -> bool:
        return self.blocking and self.status in (Status.FAIL, Status.ERROR)

    def to_json(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "status": self.status.value,
            "blocking": self.blocking,
            "reason": self.reason,
            "duration": round(self.duration, 3),
            "metrics": self.metrics,
            "artifacts": self.artifacts,
            "details": self.details,
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateResult:
        return cls(
            gate=data["gate"],
            status=Status(data["status"]),
            findings=[Finding.from_json(f) for f in data.get("findings", [])],
            metrics=data.get("metrics", {}),
            artifacts=data.get("artifacts", []),
            reason=data.get("reason", ""),
            duration=data.get("duration", 0.0),
            blocking=data.get("blocking", True),
            details=data.get("details", ""),
        )


def worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in the order a reader wants them: worst first, then by file and line."""
    return sorted(findings, key=lambda f: (-f.severity, f.path or "", f.line or 0))


@dataclass
class Verdict:
    """What one run decided about one branch."""

    branch: str
    agent: str
    base: str
    branch_commit: str
    base_commit: str
    tree: str | None  # the tested merge result; None on a conflict
    results: list[GateResult]
    passed: bool
    reasons: list[str]
    started: str  # ISO 8601, UTC
    duration: float = 0.0
    config_hash: str = ""
    tools: dict[str, str] = field(default_factory=dict)
    report_dir: str = ""
    # where this run's reports are written until they are published to report_dir
    staging: str = ""

    @property
    def label(self) -> str:
        return "pass" if self.passed else "blocked"

    def blocking_findings(self) -> list[Finding]:
        """What blocks, worst first (then by file and line): the order every reader wants."""
        return worst_first(f for r in self.results for f in r.findings
                           if f.blocking and r.blocking)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": 1,
            "verdict": self.label,
            "passed": self.passed,
            "reasons": self.reasons,
            "branch": self.branch,
            "agent": self.agent,
            "base": self.base,
            "branch_commit": self.branch_commit,
            "base_commit": self.base_commit,
            "tree": self.tree,
            "started": self.started,
            "duration": round(self.duration, 3),
            "config_hash": self.config_hash,
            "tools": self.tools,
            "report_dir": self.report_dir,
            "gates": [r.to_json() for r in self.results],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            branch=data["branch"],
            agent=data["agent"],
            base=data["base"],
            branch_commit=data["branch_commit"],
            base_commit=data["base_commit"],
            tree=data.get("tree"),
            results=[GateResult.from_json(g) for g in data.get("gates", [])],
            passed=data["passed"],
            reasons=data.get("reasons", []),
            started=data["started"],
            duration=data.get("duration", 0.0),
            config_hash=data.get("config_hash", ""),
            tools=data.get("tools", {}),
            report_dir=data.get("report_dir", ""),
        )
