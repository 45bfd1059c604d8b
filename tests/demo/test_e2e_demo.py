"""The e2e gate on the sample cluster: a branch that breaks the catalog page's search
box (typing no longer filters the list) is blocked, with a screenshot of the failing
Playwright test in the report folder."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import demo_repo, need_chromium, run_gates

pytestmark = pytest.mark.slow

BRANCH = "walnut/search-on-change"
LISTENER = "box.addEventListener('input', "


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=WALNUT", "-c",
                           "user.email=walnut@agents.toollib.test", "-c", "commit.gpgsign=false",
                           *args], cwd=repo, text=True, capture_output=True, check=True,
                          timeout=60).stdout


def break_the_search_box(repo: Path) -> None:
    """WALNUT's plausible slip: search on `change` (fires on blur or Enter only), so
    typing in the box no longer filters the list."""
    git(repo, "switch", "-q", "-c", BRANCH, "main")
    pages = repo / "toollib" / "pages.py"
    text = pages.read_text(encoding="utf-8")
    assert text.count(LISTENER) == 1, "the catalog script changed: update this test"
    pages.write_text(text.replace(LISTENER, "box.addEventListener('change', "),
                     encoding="utf-8")
    git(repo, "commit", "-q", "-am", "WALNUT: search once the query is complete\n\n"
        "Fewer requests while typing.\n\nTests: none changed")
    git(repo, "switch", "-q", "main")


def test_breaking_the_catalog_search_box_is_blocked_with_a_screenshot(tmp_path: Path) -> None:
    need_chromium()
    repo, env = demo_repo(tmp_path)
    break_the_search_box(repo)
    res = run_gates("run", "--branch", BRANCH, "--gate", "e2e", "--no-status",
                    cwd=repo, env=env, timeout=600)
    out_text = res.stdout + res.stderr
    assert res.returncode == 1, out_text
    [verdict_file] = (repo / "reports" / BRANCH.replace("/", "__")).glob("*/verdict.json")
    out = verdict_file.parent
    [gate] = json.loads(verdict_file.read_text(encoding="utf-8"))["gates"]
    assert gate["gate"] == "e2e" and gate["status"] == "fail", gate
    assert gate["metrics"]["tests"]["failed"] == 1 and gate["metrics"]["tests"]["passed"] >= 3
    [finding] = gate["findings"]
    assert finding["blocking"] and finding["path"] == "tests/e2e/test_pages.py"
    assert "test_typing_in_the_search_box_filters_the_list[chromium] failed" in \
        finding["message"]
    shot = out / finding["extra"]["screenshot"]
    assert shot.suffix == ".png" and shot.is_file()
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert finding["extra"]["screenshot"] in gate["artifacts"]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert f"[screenshot]({finding['extra']['screenshot']})" in summary
    assert "test_typing_in_the_search_box_filters_the_list" in out_text
