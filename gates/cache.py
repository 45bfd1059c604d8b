"""A content-addressed result cache, shared by every branch, run and hook of a repo.

SQLite under the repo's git dir. Per-file tools key each file's findings by
(tool, tool version, rules/config digest, path, git blob id): the same file on
ten branches is scanned once, and a new rule or tool version is a new key.
Values carry a checksum; a corrupt or unreadable entry is recomputed, never
trusted, and a corrupt database is moved aside and rebuilt.

Gates that test the running app (auth, api, e2e, perf) cache their whole result
instead, keyed by the tested tree, the base, the config and the gate's code; only
a pass is reused, and a failure or an error is always tested again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import sqlite3
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from gates import __version__
from gates.gate import Gate, GateContext, code_module
from gates.model import Finding, GateResult, Status
from gates.store import cache_db

SCHEMA_RESULTS = "1"


def key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


class CacheInfo(TypedDict):
    """What `gates cache info` shows."""

    path: str
    entries: int  # stored results
    bytes: int  # the database's files on disk
    tools: dict[str, int]  # tool -> its stored results


@dataclass
class Cache:
    path: Path
    timeout: float = 60.0  # seconds to wait for another run's write

    @classmethod
    def for_repo(cls, repo: Path) -> Cache:
        return cls(cache_db(repo))

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = self._connect()
        except sqlite3.DatabaseError as e:
            if not _corrupt(e):
                raise  # locked, disk full, unreadable: no reason to throw the cache away
            self._set_aside()
            con = self._connect()
        try:
            yield con
        finally:
            con.close()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("CREATE TABLE IF NOT EXISTS results (k TEXT PRIMARY KEY, v TEXT NOT NULL, "
                    "sum TEXT NOT NULL, tool TEXT NOT NULL, at REAL NOT NULL)")
        (check,) = con.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            con.close()
            raise sqlite3.DatabaseError(f"quick_check: {check}")
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

    def info(self) -> CacheInfo:
        if not self.path.exists():
            return {"path": str(self.path), "entries": 0, "bytes": 0, "tools": {}}
        with self._db() as con:
            tools = dict(con.execute("SELECT tool, COUNT(*) FROM results GROUP BY tool"))
            n = sum(tools.values())
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return {"path": str(self.path), "entries": n, "bytes": size, "tools": tools}

    def clear(self) -> None:
        """Empty the cache in place: a run that has it open keeps a valid database (an
        unlinked file would take that run's writes with it, and a rebuilt one would miss them)."""
        if not self.path.exists():
            return
        with self._db() as con:
            con.execute("DELETE FROM results")
            con.execute("VACUUM")


def _corrupt(e: sqlite3.DatabaseError) -> bool:
    """A damaged file, not a busy or unwritable one: SQLite's own error code says which."""
    name = getattr(e, "sqlite_errorname", None)
    if name is not None:
        return name in ("SQLITE_CORRUPT", "SQLITE_NOTADB")
    return not isinstance(e, sqlite3.OperationalError)  # quick_check's own report


Pair = tuple[str, str]  # (path, git blob id)


def lookup(cache: Cache, tool: str, salt: str, pairs: Iterable[Pair]
           ) -> dict[Pair, list[dict[str, Any]]]:
    """The stored findings (as JSON) of those `pairs` that `tool` with `salt` scanned."""
    keys = {pair: key(tool, salt, *pair) for pair in pairs}
    hits = cache.get_many(list(keys.values()))
    return {pair: hits[k] for pair, k in keys.items() if isinstance(hits.get(k), list)}


def store(cache: Cache, tool: str, salt: str, found: dict[Pair, list[dict[str, Any]]]) -> None:
    """Keep the findings of freshly scanned pairs (an empty list: the file is clean)."""
    if found:
        cache.put_many({key(tool, salt, *pair): v for pair, v in found.items()}, tool)


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
    known = lookup(cache, tool, salt, blobs.items())
    findings = [Finding.from_json(f) for pair in blobs.items() for f in known.get(pair, [])]
    missing = [p for p, b in blobs.items() if (p, b) not in known]
    if missing:
        fresh = scan(missing)
        by_path: dict[str, list[dict[str, Any]]] = {p: [] for p in missing}
        for f in fresh:
            if f.path not in by_path:
                # the paths were not understood: storing "no findings" for the files
                # asked for could hide something, so store nothing
                break
            by_path[f.path].append(f.to_json())
        else:
            store(cache, tool, salt, {(p, blobs[p]): v for p, v in by_path.items()})
        findings += fresh
    return findings, {"hits": len(blobs) - len(missing), "misses": len(missing)}


# -- whole-gate results: gates that test the running app ---------------------------------

_stamps: dict[str, str] = {}


def _code_stamp(module: str) -> str:
    """(path, size, mtime) of every Python file of the package a gate comes from, and of
    the installed packages' folder: an edit of the gate, of a helper it uses, or an
    install/upgrade of a tool it drives makes a new key."""
    top = module.split(".", 1)[0]
    if top not in _stamps:
        spec = importlib.util.find_spec(top)
        roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
        if spec and spec.origin and not roots:
            roots = [Path(spec.origin)]
        parts = []
        for root in roots:
            files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
            for f in files:
                with contextlib.suppress(OSError):
                    st = f.stat()
                    parts.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
        with contextlib.suppress(OSError):
            parts.append(str(Path(sysconfig.get_paths()["purelib"]).stat().st_mtime_ns))
        _stamps[top] = key(*parts)
    return _stamps[top]


def result_key(gate: Gate, ctx: GateContext) -> str | None:
    """The key of a whole-gate result: gate and its code, the tested tree, the base (perf
    compares against it), the whole trusted config and the host variables it lets
    through, gates' and Python's versions. None: the gate's results are not reused (it
    needs no app — per-file tools cache by blob — or it says `reuse_results = False`)."""
    if not gate.needs_app or not gate.reuse_results:
        return None
    subj = ctx.workspace.subject
    if subj.tree is None:
        return None
    allowed = {k: os.environ.get(k) for k in ctx.settings["env_allow"]}
    return key("gate-result", SCHEMA_RESULTS, gate.name, _code_stamp(code_module(gate)),
               __version__, sys.version, subj.tree, subj.base_commit, ctx.settings.digest,
               json.dumps(ctx.config, sort_keys=True, default=str),
               json.dumps(allowed, sort_keys=True))


def reuse_result(cache: Cache, k: str, ctx: GateContext, repo: Path) -> GateResult | None:
    """The stored pass of this gate for key `k` (its artifacts copied from the report
    folder of the run that made it, when that folder still has them), or None."""
    stored = cache.get_many([k]).get(k)
    if not isinstance(stored, dict):
        return None
    try:
        result = GateResult.from_json(stored["result"])
        origin = str(stored["report_dir"])
        at = str(stored["at"])
    except (TypeError, KeyError, ValueError):
        return None
    if result.status != Status.PASS:
        return None
    src = (repo / origin / ctx.name).resolve()
    if src.is_dir() and src.is_relative_to(repo.resolve()) and src != ctx.artifacts.resolve():
        with contextlib.suppress(OSError):
            shutil.copytree(src, ctx.artifacts, symlinks=True, dirs_exist_ok=True)
    kept = [a for a in result.artifacts if (ctx.artifacts.parent / a).is_file()]
    result.metrics["cached"] = {"tested": at, "report_dir": origin,
                                "artifacts_missing": len(result.artifacts) - len(kept)}
    result.artifacts = kept
    return result


def keep_result(cache: Cache, k: str, snapshot: dict[str, Any], report_dir: str) -> None:
    """Store a gate's raw result (before suppressions and policy) for `reuse_result`."""
    cache.put_many({k: {"result": snapshot, "report_dir": report_dir,
                        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}},
                   "gate-result")


def base_key(gate: str, module: str, ctx: GateContext) -> str:
    """The key of what an app gate found on the base's app (`gates.apptest.base_side`):
    shared by every branch against the same base commit and config."""
    allowed = {k: os.environ.get(k) for k in ctx.settings["env_allow"]}
    return key("app-base", SCHEMA_RESULTS, gate, _code_stamp(module), __version__,
               sys.version, ctx.workspace.subject.base_commit, ctx.settings.digest,
               json.dumps(ctx.config, sort_keys=True, default=str),
               json.dumps(allowed, sort_keys=True))
