"""A content-addressed result cache, shared by every branch, run and hook of a repo.

SQLite under the repo's git dir. Per-file tools key each file's findings by
(tool, tool version, rules/config digest, path, git blob id): the same file on
ten branches is scanned once, and a new rule or tool version is a new key.
Values carry a checksum; a corrupt or unreadable entry is recomputed, never
trusted, and a corrupt database is moved aside and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gates import git
from gates.model import Finding

SCHEMA = 1
_local = threading.local()


def key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


@dataclass
class Cache:
    path: Path

    @classmethod
    def for_repo(cls, repo: Path) -> Cache:
        return cls(git.common_dir(repo) / "gates" / "cache.sqlite")

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = self._connect()
        except sqlite3.DatabaseError:
            self._set_aside()
            con = self._connect()
        try:
            yield con
        finally:
            con.close()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        con.execute("PRAGMA busy_timeout = 60000")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("CREATE TABLE IF NOT EXISTS results (k TEXT PRIMARY KEY, v TEXT NOT NULL, "
                    "sum TEXT NOT NULL, tool TEXT NOT NULL, at REAL NOT NULL)")
        con.execute("PRAGMA quick_check").fetchone()
        return con

    def _set_aside(self) -> None:
        stamp = int(time.time())
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                p.rename(p.with_name(f"{p.name}.corrupt-{stamp}"))

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        found: dict[str, Any] = {}
        try:
            with self._db() as con:
                for i in range(0, len(keys), 500):
                    chunk = keys[i:i + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = con.execute(f"SELECT k, v, sum FROM results WHERE k IN ({marks})",  # nosec B608
                                       chunk).fetchall()
                    for k, v, s in rows:
                        if _checksum(v) != s:
                            continue  # damaged: recompute
                        try:
                            found[k] = json.loads(v)
                        except ValueError:
                            continue
        except sqlite3.Error:
            return {}
        return found

    def put_many(self, items: dict[str, Any], tool: str) -> None:
        rows = []
        now = time.time()
        for k, value in items.items():
            v = json.dumps(value, sort_keys=True)
            rows.append((k, v, _checksum(v), tool, now))
        with contextlib.suppress(sqlite3.Error), self._db() as con:
            con.execute("BEGIN IMMEDIATE")
            con.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)", rows)
            con.execute("COMMIT")

    def info(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"path": str(self.path), "entries": 0, "bytes": 0, "tools": {}}
        with self._db() as con:
            tools = dict(con.execute("SELECT tool, COUNT(*) FROM results GROUP BY tool"))
            n = sum(tools.values())
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return {"path": str(self.path), "entries": n, "bytes": size, "tools": tools}

    def clear(self) -> None:
        for p in self.path.parent.glob(self.path.name + "*"):
            p.unlink(missing_ok=True)


def per_file(
    cache: Cache,
    tool: str,
    salt: str,
    blobs: dict[str, str],
    scan: Callable[[list[str]], list[Finding]],
) -> tuple[list[Finding], dict[str, int]]:
    """Findings of a per-file tool over `blobs` (path -> blob id), scanning only the
    files whose (tool, salt, path, blob) is not cached, all in one `scan` call.
    `salt` must change whenever the result could: tool version, rules, config.
    `scan` returns fingerprinted findings for the paths it is given."""
    keys = {path: key(tool, salt, path, blob) for path, blob in blobs.items()}
    hits = cache.get_many(list(keys.values()))
    findings: list[Finding] = []
    missing = []
    for path, k in keys.items():
        if k in hits:
            findings += [Finding.from_json(f) for f in hits[k]]
        else:
            missing.append(path)
    if missing:
        fresh = scan(missing)
        by_path: dict[str, list[dict[str, Any]]] = {p: [] for p in missing}
        for f in fresh:
            if f.path in by_path:
                by_path[f.path].append(f.to_json())
        cache.put_many({keys[p]: v for p, v in by_path.items()}, tool)
        findings += fresh
    return findings, {"hits": len(keys) - len(missing), "misses": len(missing)}
