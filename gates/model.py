"""The data that flows from gates to policy to publishers: plain dataclasses."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal


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


# ---- structured gate output: what a gate shows under its name in summary.md and on
# the run page. Plain data, no Markdown and no HTML: each publisher renders it in its
# own format and escapes it there (gates never import a publisher).

Mark = Literal["good", "bad", "warn", "other"]  # ✅ refused · ❌ let in · ⚠️ · ◻️


@dataclass(frozen=True)
class Text:
    """A run of inline text: plain, `code`, **strong**, a link to an artifact of this run
    (`href` relative to the run's report folder), or preceded by a status mark."""

    text: str
    code: bool = False
    strong: bool = False
    href: str | None = None
    mark: Mark | None = None


Inline = list[Text]


def plain(text: object) -> Text:
    return Text(str(text))


def code(text: object) -> Text:
    return Text(str(text), code=True)


@dataclass
class Heading:
    text: str


@dataclass
class Paragraph:
    parts: Inline


@dataclass
class Bullets:
    items: list[Inline]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Inline]]  # each cell is a run of Text
    numeric: list[bool] = field(default_factory=list)  # right-aligned columns


@dataclass
class Chart:
    """An SVG the gate wrote as an artifact (path relative to the run's report folder)."""

    artifact: str
    alt: str


@dataclass
class Commands:
    """Lines to copy into a shell: reproduction steps, a trace viewer."""

    lines: list[str]


Section = Heading | Paragraph | Bullets | Table | Chart | Commands
_SECTION_TYPES: dict[str, type] = {c.__name__.lower(): c for c in
                                   (Heading, Paragraph, Bullets, Table, Chart, Commands)}


def _text_json(t: Text) -> dict[str, Any]:
    return {k: v for k, v in asdict(t).items() if v not in (None, False)}


def section_to_json(s: Section) -> dict[str, Any]:
    kind = type(s).__name__.lower()
    if isinstance(s, Paragraph):
        return {"type": kind, "parts": [_text_json(t) for t in s.parts]}
    if isinstance(s, Bullets):
        return {"type": kind, "items": [[_text_json(t) for t in i] for i in s.items]}
    if isinstance(s, Table):
        return {"type": kind, "headers": s.headers, "numeric": s.numeric,
                "rows": [[[_text_json(t) for t in cell] for cell in row] for row in s.rows]}
    return {"type": kind, **asdict(s)}


def section_from_json(data: dict[str, Any]) -> Section:
    data = dict(data)
    cls = _SECTION_TYPES[data.pop("type")]
    if cls is Paragraph:
        return Paragraph([Text(**t) for t in data["parts"]])
    if cls is Bullets:
        return Bullets([[Text(**t) for t in i] for i in data["items"]])
    if cls is Table:
        return Table(data["headers"], [[[Text(**t) for t in c] for c in r] for r in data["rows"]],
                     data.get("numeric", []))
    section: Section = cls(**data)
    return section


@dataclass(frozen=True)
class Trend:
    """A number a gate measures on both sides of a run (the base and the branch), which
    reports/history.jsonl records and the site draws over time. A gate declares its
    trends in a class attribute `trends: tuple[Trend, ...]`; the value of a run is read
    from `GateResult.metrics[*path][side][metric]` (side: "base" or "branch")."""

    metric: str  # "p95"
    label: str = ""  # "p95 latency": chart titles, column heads (the metric when empty)
    unit: str = ""  # "ms"
    axis: str = ""  # the y axis of its charts (the metric when empty)
    path: tuple[str, ...] = ("overall",)
    chart: bool = True  # drawn on the pages, or only recorded


SIDES = ("base", "branch")


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
    # what the gate shows under its name (an access matrix, a perf table, a chart):
    # structured, rendered and escaped by each publisher
    sections: list[Section] = field(default_factory=list)

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
            "sections": [section_to_json(s) for s in self.sections],
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
            sections=_sections_from_json(data),
        )


def _sections_from_json(data: dict[str, Any]) -> list[Section]:
    """The sections of a stored result. A record from before sections (a `details`
    string of Markdown) becomes one paragraph of its text: shown, never parsed."""
    if "sections" in data:
        return [section_from_json(s) for s in data["sections"]]
    details = data.get("details") or ""
    return [Paragraph([plain(details)])] if str(details).strip() else []


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
