"""`gates demo DIR` is safe to run twice: it refuses a folder that is not a demo (and
touches nothing in it), and rebuilds a demo folder of its own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gates.demo import cluster
from tests.conftest import demo_repo, run_gates


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def branches(repo: Path) -> set[str]:
    out = subprocess.run(["git", "branch", "--format=%(refname:short)"], cwd=repo, text=True,
                         capture_output=True, check=True, timeout=60).stdout
    return set(out.split())


@pytest.mark.parametrize("kind", ["folder", "git repo"])
def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path: Path, kind: str) -> None:
    dest = tmp_path / "work"
    (dest / "src").mkdir(parents=True)
    (dest / "notes.txt").write_text("my notes\n")
    (dest / "src" / "app.py").write_text("print('mine')\n")
    if kind == "git repo":
        subprocess.run(["git", "init", "-q"], cwd=dest, check=True, timeout=60)
    before = snapshot(dest)
    res = run_gates("demo", str(dest), cwd=tmp_path, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.strip().splitlines() == [
        f"gates: error: {dest.resolve()} exists and is not a gates demo: "
        "refusing to overwrite it"], res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert snapshot(dest) == before


def test_prepare_accepts_a_new_or_empty_folder_and_clears_an_old_demo(tmp_path: Path) -> None:
    new = tmp_path / "new" / "demo"
    cluster.prepare(new)
    assert new.is_dir()
    empty = tmp_path / "empty"
    empty.mkdir()
    cluster.prepare(empty)
    assert empty.is_dir() and not any(empty.iterdir())
    old = tmp_path / "old"
    (old / ".git").mkdir(parents=True)
    (old / ".git" / cluster.MARKER).write_text("made by `gates demo`\n")
    (old / "reports").mkdir()
    (old / "reports" / "summary.md").write_text("an old run\n")
    cluster.prepare(old)
    assert old.is_dir() and not any(old.iterdir())


def test_building_over_an_old_demo_rebuilds_it(tmp_path: Path) -> None:
    dest, _ = demo_repo(tmp_path)  # as a first `gates demo` left it
    first = branches(dest)
    assert first == {"main", "walnut/catalog", "ironwood/payments", "acacia/search"}
    (dest / "reports").mkdir()
    (dest / "reports" / "stale.md").write_text("from the last run\n")
    subprocess.run(["git", "branch", "walnut/leftover"], cwd=dest, check=True, timeout=60)
    said: list[str] = []
    assert set(cluster.build(dest, say=said.append)) == first - {"main"}
    assert said[0] == "main: the tool-library app" and len(said) == 4
    assert branches(dest) == first  # a fresh repo: nothing of the old one is left
    assert not (dest / "reports").exists()
    assert (dest / ".git" / cluster.MARKER).is_file()
    assert (dest / "gates.toml").is_file()


@pytest.mark.slow
def test_gates_demo_runs_again_over_its_own_folder(tmp_path: Path) -> None:
    """The command itself, a second time, with one cheap gate (`--gate lint`)."""
    dest, env = demo_repo(tmp_path)
    (dest / "stale.txt").write_text("from the last run\n")
    res = run_gates("demo", str(dest), "--gate", "lint", cwd=tmp_path, env=env, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert not (dest / "stale.txt").exists()
    assert (dest / ".git" / cluster.MARKER).is_file()
    assert "main: the tool-library app" in res.stdout
    for branch in ("walnut/catalog", "ironwood/payments", "acacia/search"):
        assert branch in res.stdout
    assert (dest / "CLUSTER_STATUS.md").is_file()
