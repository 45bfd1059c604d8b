"""Where things are on the site: the reports folder, relative links, a run's artifacts."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from gates.config import Config


@dataclass(frozen=True)
class Site:
    """The reports folder, on disk and relative to the repository (`reports_dir`)."""

    root: Path
    prefix: str

    @classmethod
    def of(cls, repo: Path, cfg: Config) -> Site:
        return cls(repo / cfg["reports_dir"], posixpath.normpath(
            Path(cfg["reports_dir"]).as_posix()))

    def run_page(self, report_dir: object) -> PurePosixPath | None:
        """The page of a run's report folder (relative to the repository), relative
        to the reports folder; None if it would lie outside."""
        if not isinstance(report_dir, str) or not report_dir:
            return None
        rel = posixpath.relpath(posixpath.normpath(report_dir), self.prefix)
        if ".." in PurePosixPath(rel).parts or rel == ".":
            return None
        return PurePosixPath(rel) / "index.html"


def link(from_dir: PurePosixPath, target: PurePosixPath, anchor: str = "") -> str:
    """A relative, URL-quoted link from a page's folder to a file."""
    rel = posixpath.relpath(str(target), str(from_dir))
    return quote(rel, safe="/") + (f"#{quote(anchor, safe='-_')}" if anchor else "")


def anchor_id(gate: str) -> str:
    return "gate-" + (re.sub(r"[^a-z0-9_-]+", "-", gate.lower()).strip("-") or "x")


def inside(reports: Path, folder: Path) -> Path | None:
    """`folder` when it is a real folder inside the reports folder, else None."""
    try:
        resolved = folder.resolve()
        resolved.relative_to(reports.resolve())
    except (OSError, ValueError):
        return None
    return folder if folder.is_dir() and not folder.is_symlink() else None


def artifact(run_dir: Path, rel: object) -> str | None:
    """An artifact path safe to link from the run page (inside the run folder, a
    regular file, no symlink on the way), URL-quoted; else None."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return None
    parts = PurePosixPath(rel).parts
    if ".." in parts:
        return None
    p = run_dir
    for part in parts:
        p = p / part
        if p.is_symlink():
            return None
    return quote(rel, safe="/") if p.is_file() else None
