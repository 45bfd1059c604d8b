"""How a repo's browser suite gets its server: the shapes the e2e gate recognises.

Read from the suite's own files (its test modules and every conftest.py from the
tree's root down to them) and the repo's dependency files — never run:

- `pytest-flask live_server`: tests use `live_server` and the repo uses Flask;
- `pytest-django live_server`: tests use `live_server` and the repo uses Django;
- `Django StaticLiveServerTestCase` (or `LiveServerTestCase`) classes;
- `conftest server thread`: a conftest.py that starts a server on a thread;
- `[app]`: none of these, the trusted config's `[app]` is started and its URL handed
  over (`--base-url`, GATES_BASE_URL).

A suite of none of these shapes without `[app]` has nothing to test against: the gate
is `error` saying so, never `skipped`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

FLASK_LIVE = "pytest-flask live_server"
DJANGO_LIVE = "pytest-django live_server"
DJANGO_CASE = "Django StaticLiveServerTestCase"
THREAD = "conftest server thread"
APP = "[app]"

# pytest's plugin names (entry points): both define `live_server`; the one the suite
# does not use is switched off so that the fixture is the one it means
PLUGIN = {FLASK_LIVE: "flask", DJANGO_LIVE: "django", DJANGO_CASE: "django"}
DEPENDENCY_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "requirements.txt",
                    "requirements-dev.txt", "requirements-test.txt", "pytest.ini", "tox.ini",
                    "manage.py")
MAX_BYTES = 400_000  # a file bigger than this is not a test module anyone wrote by hand

_LIVE_SERVER = re.compile(r"\blive_server\b")
_LIVE_CASE = re.compile(r"\b(Static)?LiveServerTestCase\b|\bChannelsLiveServerTestCase\b")
_THREAD = re.compile(r"\bThread\s*\(")
_SERVES = re.compile(r"\b(make_server|serve_forever|HTTPServer|ThreadingHTTPServer|"
                     r"uvicorn|werkzeug\.serving|run_simple|\.run\s*\()")
_FLASK = re.compile(r"(?im)^\s*(from|import)\s+(flask|pytest_flask)\b|\bpytest-flask\b|"
                    r"^\s*flask\b")
_DJANGO = re.compile(r"(?im)^\s*(from|import)\s+(django|pytest_django)\b|\bpytest-django\b|"
                     r"DJANGO_SETTINGS_MODULE|^\s*django\b")


@dataclass
class Shape:
    """What serves the pages the suite opens, and where that was read."""

    name: str
    evidence: list[str] = field(default_factory=list)  # "tests/e2e/test_ui.py uses live_server"

    @property
    def plugin(self) -> str | None:
        return PLUGIN.get(self.name)

    def describe(self) -> str:
        return self.name + (f" ({'; '.join(self.evidence[:3])})" if self.evidence else "")


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def suite_files(root: Path, tests: Sequence[str]) -> list[Path]:
    """The suite's Python files: under each configured path, and the conftest.py files
    between the root and it (pytest loads those too)."""
    root = root.resolve()
    found: dict[Path, None] = {}
    for t in tests:
        target = (root / t).resolve()
        if not target.is_relative_to(root):
            continue
        folder = target if target.is_dir() else target.parent
        for parent in [folder, *folder.parents]:
            if parent.is_relative_to(root) and (parent / "conftest.py").is_file():
                found[parent / "conftest.py"] = None
            if parent == root:
                break
        if target.is_file():
            found[target] = None
        elif target.is_dir():
            for p in sorted(target.rglob("*.py")):
                if not ({"node_modules", ".venv", "venv", "__pycache__"} & set(p.parts)):
                    found[p] = None
    return list(found)


def detect(root: Path, tests: Sequence[str]) -> Shape | None:
    """The shape of the suite under `tests` in `root`, or None: it starts no server."""
    root = root.resolve()
    files = {p: _read(p) for p in suite_files(root, tests)}
    rel = {p: p.relative_to(root).as_posix() for p in files}
    deps = "\n".join(_read(root / n) for n in DEPENDENCY_FILES)
    every = "\n".join(files.values())
    for p, text in files.items():
        case = _LIVE_CASE.search(text)
        if case:
            return Shape(DJANGO_CASE, [f"{rel[p]} uses {case[0]}"])
    live = [p for p, text in files.items() if _LIVE_SERVER.search(text)]
    if live:
        where = f"{rel[live[0]]} uses live_server"
        django, flask = _DJANGO.search(every + "\n" + deps), _FLASK.search(every + "\n" + deps)
        if django and not flask:
            return Shape(DJANGO_LIVE, [where, "the repo uses Django"])
        if flask and not django:
            return Shape(FLASK_LIVE, [where, "the repo uses Flask"])
        if django and flask:  # both named: the suite's own imports decide
            if _DJANGO.search(every) and not _FLASK.search(every):
                return Shape(DJANGO_LIVE, [where, "the suite imports Django"])
            return Shape(FLASK_LIVE, [where, "the suite imports Flask"])
    for p, text in files.items():
        if p.name == "conftest.py" and _THREAD.search(text) and _SERVES.search(text):
            return Shape(THREAD, [f"{rel[p]} starts a server on a thread"])
    return None
