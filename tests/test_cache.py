from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from gates.cache import Cache, key, per_file
from gates.model import Finding
from tests.conftest import GitRepo, run_gates

SAME = "import sys\n\n\nVALUE = 1\n"


def lint_cache(repo: GitRepo, branch: str) -> dict:
    index = json.loads(repo.read("reports/latest.json"))["branches"][branch]
    verdict = json.loads((repo.path / index["report_dir"] / "verdict.json").read_text())
    return {g["gate"]: g for g in verdict["gates"]}["lint"]["metrics"]["cache"]


def test_same_blob_on_two_branches_is_scanned_once(repo: GitRepo) -> None:
    repo.branch("walnut/a", {"app/shared.py": SAME})
    repo.branch("acacia/b", {"app/shared.py": SAME})
    assert run_gates("run", "--branch", "walnut/a", "-q", cwd=repo.path).returncode == 1
    assert lint_cache(repo, "walnut/a") == {"hits": 0, "misses": 1}
    assert run_gates("run", "--branch", "acacia/b", "-q", cwd=repo.path).returncode == 1
    assert lint_cache(repo, "acacia/b") == {"hits": 1, "misses": 0}
    # a cached result judges exactly like a fresh one
    b = json.loads(repo.read("reports/latest.json"))["branches"]["acacia/b"]
    assert b["blocking"][0]["rule"] == "F401" and b["blocking"][0]["location"] == "app/shared.py:1"


def test_a_rule_change_invalidates(repo: GitRepo) -> None:
    repo.branch("walnut/a", {"app/shared.py": SAME})
    run_gates("run", "--branch", "walnut/a", "-q", cwd=repo.path)
    repo.commit({"gates.toml": '[gates.lint]\nselect = ["F", "E"]\n'}, "stricter lint")
    run_gates("run", "--branch", "walnut/a", "-q", cwd=repo.path)
    assert lint_cache(repo, "walnut/a")["misses"] >= 1


def test_per_file_salt_and_corruption(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite")
    calls: list[list[str]] = []

    def scan(paths: list[str]) -> list[Finding]:
        calls.append(paths)
        return [Finding("lint", "X1", "m", path=p, line=1, fingerprint=p) for p in paths]

    blobs = {"a.py": "1" * 40, "b.py": "2" * 40}
    found, stats = per_file(cache, "tool", "v1", blobs, scan)
    assert stats == {"hits": 0, "misses": 2} and len(found) == 2
    found, stats = per_file(cache, "tool", "v1", blobs, scan)
    assert stats == {"hits": 2, "misses": 0} and [f.path for f in found] == ["a.py", "b.py"]
    _, stats = per_file(cache, "tool", "v2", blobs, scan)  # a new tool version
    assert stats["misses"] == 2
    # a damaged entry is recomputed, never trusted
    con = sqlite3.connect(cache.path)
    con.execute("UPDATE results SET v = ? WHERE k = ?",
                (json.dumps([{"gate": "lint", "rule": "FAKE", "message": "x"}]),
                 key("tool", "v1", "a.py", "1" * 40)))
    con.commit()
    con.close()
    found, stats = per_file(cache, "tool", "v1", blobs, scan)
    assert stats == {"hits": 1, "misses": 1} and "FAKE" not in {f.rule for f in found}
    # a database that is not a database is set aside and rebuilt
    for p in tmp_path.glob("c.sqlite*"):
        p.write_bytes(b"garbage" * 100)
    found, stats = per_file(cache, "tool", "v1", blobs, scan)
    assert stats["misses"] == 2 and len(found) == 2
    assert list(tmp_path.glob("c.sqlite.corrupt-*"))


def test_cache_command(repo: GitRepo) -> None:
    repo.branch("walnut/a", {"app/shared.py": SAME})
    run_gates("run", "--branch", "walnut/a", "-q", cwd=repo.path)
    res = run_gates("cache", "info", cwd=repo.path)
    assert res.returncode == 0 and "ruff:" in res.stdout
    assert run_gates("cache", "clear", cwd=repo.path).returncode == 0
    assert "0 entries" in run_gates("cache", "info", cwd=repo.path).stdout
