"""gates.scan: a per-file tool on both sides of a merge, through the cache.

The tool here is a few lines of Python that reports every `TODO` line, so that each
call, the folder it got and the files in it can be seen. The real tools through the
same door (semgrep and bandit sharing one process for both sides, one scan per blob
for every branch of `gates run --all`) are in tests/test_cache.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gates import line_delta, scan
from gates.gate import GateContext, GateError
from gates.model import Finding, GateResult, Status
from tests.conftest import GitRepo, gate_context

BASE = "X = 1\n# TODO: old debt\n"
CHANGED = "import sys\n\nX = 1\n# TODO: old debt\n# TODO: new work\n"


class Tiny:
    """A gate that only gives `scan.both_sides` a context."""

    name = "tiny"
    needs_app = False
    exclusive = False
    scans_per_file = True
    reuse_results = True

    def __init__(self) -> None:
        self.defaults: dict[str, Any] = {}

    def applies(self, ctx: GateContext) -> bool:
        return True

    def run(self, ctx: GateContext) -> GateResult:
        return GateResult(self.name, Status.PASS)


@dataclass
class Todo:
    """The tool: one finding per TODO line; every call logged as (root, paths, texts)."""

    calls: list[tuple[Path, list[str], list[str]]] = field(default_factory=list)

    def __call__(self, root: Path, paths: list[str]) -> list[Finding]:
        texts = [(root / p).read_text() for p in paths]
        self.calls.append((root, sorted(paths), texts))
        return [Finding("tiny", "todo", "a TODO", path=p, line=i)
                for p, text in zip(paths, texts, strict=True)
                for i, line in enumerate(text.splitlines(), 1) if "TODO" in line]


@pytest.fixture
def notes(repo: GitRepo) -> GitRepo:
    repo.commit({"app/notes.py": BASE}, "notes with a TODO")
    repo.branch("walnut/a", {"app/notes.py": CHANGED})
    return repo


def both_sides(repo: GitRepo, branch: str, tool: Todo | Callable[..., list[Finding]], *,
               salt: str = "v1", together: bool = False, split: bool = False,
               files: list[str] | None = None, by_line: Callable[[str], bool] | None = None
               ) -> tuple[list[Finding], dict[str, Any]]:
    """`scan.both_sides` as a gate calls it: on the files the branch changed."""
    with gate_context(repo, branch, Tiny()) as ctx:
        return scan.both_sides(ctx, "todo", salt, ctx.changed if files is None else files,
                               tool, together=together, split=split, by_line=by_line)


def seen(findings: list[Finding]) -> list[tuple[str | None, int | None, bool]]:
    return sorted((f.path, f.line, f.new) for f in findings)


def test_both_sides_of_a_changed_file_are_scanned_and_only_new_findings_are_new(
        notes: GitRepo) -> None:
    tool = Todo()
    found, stats = both_sides(notes, "walnut/a", tool)
    # the old TODO moved from line 2 to line 4: still existing; the one on line 5 is new
    assert seen(found) == [("app/notes.py", 4, False), ("app/notes.py", 5, True)]
    assert stats == {"hits": 0, "misses": 2, "files": 1, "base_files": 1}
    # one call per side, each in its own folder holding only that file
    assert sorted(texts[0] for _, _, texts in tool.calls) == sorted([BASE, CHANGED])
    assert [paths for _, paths, _ in tool.calls] == [["app/notes.py"], ["app/notes.py"]]
    for root, _, _ in tool.calls:
        assert not root.exists()  # removed with the run's folder


def test_together_both_sides_share_one_call_in_numbered_folders(notes: GitRepo) -> None:
    tool = Todo()
    found, _ = both_sides(notes, "walnut/a", tool, together=True)
    assert seen(found) == [("app/notes.py", 4, False), ("app/notes.py", 5, True)]
    [(_, paths, texts)] = tool.calls
    assert paths == ["0/app/notes.py", "1/app/notes.py"] and sorted(texts) == sorted(
        [BASE, CHANGED])


def test_a_blob_already_scanned_is_answered_by_the_cache(notes: GitRepo) -> None:
    first = Todo()
    found, _ = both_sides(notes, "walnut/a", first)
    again = Todo()
    cached, stats = both_sides(notes, "walnut/a", again)
    assert again.calls == [] and stats["hits"] == 2 and stats["misses"] == 0
    assert seen(cached) == seen(found)
    # another branch: the base's file is unchanged in content, only the branch's is scanned
    notes.branch("acacia/b", {"app/notes.py": BASE + "# TODO: acacia\n"})
    other = Todo()
    found_b, stats = both_sides(notes, "acacia/b", other)
    assert (stats["hits"], stats["misses"]) == (1, 1)
    assert [texts for _, _, texts in other.calls] == [[BASE + "# TODO: acacia\n"]]
    assert seen(found_b) == [("app/notes.py", 2, False), ("app/notes.py", 3, True)]
    # a new salt (a new tool version, new rules): nothing is reused
    fresh = Todo()
    _, stats = both_sides(notes, "walnut/a", fresh, salt="v2")
    assert stats["hits"] == 0 and len(fresh.calls) == 2


def test_a_second_identical_finding_is_new_by_its_occurrence(notes: GitRepo) -> None:
    notes.branch("oak/twice", {"app/notes.py": BASE + "# TODO: old debt\n"})
    found, _ = both_sides(notes, "oak/twice", Todo())
    assert seen(found) == [("app/notes.py", 2, False), ("app/notes.py", 3, True)]
    assert len({f.fingerprint for f in found}) == 2


def test_a_symlink_is_never_scanned(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "-b", "walnut/link")
    (repo.path / "app" / "passwd.py").symlink_to("/etc/passwd")
    repo.git("add", "app/passwd.py")
    repo.commit({"app/new.py": "# TODO: new\n"}, "a link and a file")
    repo.git("checkout", "-q", "main")
    tool = Todo()
    found, stats = both_sides(repo, "walnut/link", tool, files=["app/new.py", "app/passwd.py"])
    assert [paths for _, paths, _ in tool.calls] == [["app/new.py"]]
    assert stats == {"hits": 0, "misses": 1, "files": 1, "base_files": 0}
    assert seen(found) == [("app/new.py", 1, True)]


def test_a_tool_that_names_a_path_it_was_not_given_is_an_error_and_caches_nothing(
        notes: GitRepo) -> None:
    def misread(root: Path, paths: list[str]) -> list[Finding]:
        return [Finding("tiny", "todo", "m", path="./" + p, line=1) for p in paths]

    with pytest.raises(GateError, match="a path it was not asked to scan"):
        both_sides(notes, "walnut/a", misread)
    tool = Todo()
    _, stats = both_sides(notes, "walnut/a", tool)
    assert stats["hits"] == 0 and len(tool.calls) == 2


def test_a_tool_that_raises_caches_nothing(notes: GitRepo) -> None:
    def broken(root: Path, paths: list[str]) -> list[Finding]:
        raise GateError("the tool crashed")

    with pytest.raises(GateError, match="the tool crashed"):
        both_sides(notes, "walnut/a", broken)
    _, stats = both_sides(notes, "walnut/a", Todo())
    assert stats["misses"] == 2


def test_layers_put_two_blobs_of_one_path_in_two_folders() -> None:
    assert scan.layers([("a.py", "1"), ("b.py", "2"), ("a.py", "3"), ("a.py", "4")]) == [
        {"a.py": "1", "b.py": "2"}, {"a.py": "3"}, {"a.py": "4"}]
    assert scan.layers([]) == []


# -- every core: big scans split in parts run at once --------------------------------------

BIG = "X = 1\n" + "# filler line of a big module\n" * 3000  # ~90 KB


def test_a_big_scan_is_split_across_the_cores_and_judged_the_same(
        repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """`split`: each side of two big files (~270 KB a side) scanned by one process per
    core, each a part of about the same size; the findings are those of one scan of
    everything. A big base side comes after the branch's (it found something here)."""
    repo.commit({"app/big.py": BIG + "# TODO: old\n", "app/huge.py": BIG * 2}, "big modules")
    repo.branch("walnut/big", {"app/big.py": BIG + "# TODO: old\n# TODO: new\n",
                               "app/huge.py": BIG * 2 + "# TODO: also new\n"})
    whole = Todo()
    expected, _ = both_sides(repo, "walnut/big", whole, together=True, salt="one")
    assert [paths for _, paths, _ in whole.calls] == [["app/big.py", "app/huge.py"]] * 2
    assert all(t.endswith("# TODO: new\n") for t in whole.calls[0][2][:1])  # branch first
    monkeypatch.setattr(scan, "cores", lambda: 2)
    parts = Todo()
    found, _ = both_sides(repo, "walnut/big", parts, together=True, split=True, salt="two")
    assert seen(found) == seen(expected)
    assert {("app/big.py", 3002, False), ("app/big.py", 3003, True)} <= set(seen(found))
    # per side two parts of one file each (the huge one apart), under the side's folder
    assert [paths for _, paths, _ in parts.calls] and all(
        len(paths) == 1 for _, paths, _ in parts.calls)
    assert len(parts.calls) == 4 and len({root for root, _, _ in parts.calls}) == 2


def test_a_big_base_side_is_not_scanned_when_the_branch_finds_nothing(repo: GitRepo) -> None:
    """Nothing found on the branch's side: nothing to call new or existing, so the
    base's version of a big file is never scanned (nor cached)."""
    repo.commit({"app/big.py": BIG + "# TODO: old\n"}, "a big module with debt")
    repo.branch("walnut/paid", {"app/big.py": BIG + "# the debt is paid\n"})
    tool = Todo()
    found, stats = both_sides(repo, "walnut/paid", tool)
    assert found == [] and len(tool.calls) == 1
    assert tool.calls[0][2] == [BIG + "# the debt is paid\n"]
    assert stats == {"hits": 0, "misses": 1, "files": 1, "base_files": 1}
    # a small base side is scanned at once with the branch's, in one call
    repo.commit({"app/small.py": "X = 1\n"}, "a small module")
    repo.branch("walnut/small", {"app/small.py": "X = 2\n"})
    tool = Todo()
    assert both_sides(repo, "walnut/small", tool, together=True)[0] == []
    assert [paths for _, paths, _ in tool.calls] == [["0/app/small.py", "1/app/small.py"]]


def test_only_the_base_version_of_a_big_file_with_a_finding_is_scanned(repo: GitRepo) -> None:
    """A fingerprint holds its path: a branch's finding can only be existing by one of
    the same file, so the base's side is scanned for those files only."""
    repo.commit({"app/a.py": BIG + "# TODO: old debt\n", "app/b.py": BIG + "# TODO: b\n"},
                "two big modules")
    repo.branch("walnut/one", {"app/a.py": BIG + "# TODO: old debt\n# more\n",
                               "app/b.py": BIG})
    tool = Todo()
    found, stats = both_sides(repo, "walnut/one", tool)
    assert seen(found) == [("app/a.py", 3002, False)]
    assert [paths for _, paths, _ in tool.calls] == [["app/a.py", "app/b.py"], ["app/a.py"]]
    assert tool.calls[1][2] == [BIG + "# TODO: old debt\n"]
    assert stats["misses"] == 3


def test_many_branches_scan_a_big_base_side_only_for_a_branch_that_found_something(
        repo: GitRepo) -> None:
    """`gates run --all`'s batch: the branches' sides first, then the big base sides
    of those that found something; judged from the cache, as one branch alone."""
    repo.commit({"app/big.py": BIG + "# TODO: old\n", "app/other.py": BIG}, "big modules")
    repo.branch("walnut/clean", {"app/big.py": BIG})
    repo.branch("acacia/todo", {"app/other.py": BIG + "# TODO: new\n"})
    tool = Todo()
    requests: list[scan.Request] = []
    with contextlib.ExitStack() as stack:  # the workspaces live until the batch is done
        for branch in ("walnut/clean", "acacia/todo"):
            ctx = stack.enter_context(gate_context(repo, branch, Tiny()))
            with scan.collecting() as found:
                scan.both_sides(ctx, "todo", "v1", ctx.changed, tool)
            assert len(found) == 2
            requests += found
        stats = scan.run_batch(requests)
    scanned = [text for _, _, texts in tool.calls for text in texts]
    # both branch sides and acacia's base side (other.py as the base has it): not big.py's
    assert sorted(scanned) == sorted([BIG, BIG + "# TODO: new\n", BIG])
    assert stats.scanned == 3 and stats.failed == 0
    again = Todo()
    assert seen(both_sides(repo, "acacia/todo", again)[0]) == [("app/other.py", 3002, True)]
    assert seen(both_sides(repo, "walnut/clean", again)[0]) == [] and again.calls == []


def py(path: str) -> bool:
    return path.endswith(".py")


def test_a_line_by_line_tool_reads_only_the_lines_a_big_base_lacks(repo: GitRepo) -> None:
    """`by_line`: the branch's side of a big changed file is first the lines its base
    lacks. Nothing there: nothing new, and neither the whole file nor its base is
    scanned. A finding there: both whole sides, judged as ever."""
    repo.commit({"app/big.py": BIG + "# TODO: old\n", "app/notes.txt": BIG + "# TODO: t\n"},
                "big modules with debt")
    repo.branch("walnut/work", {"app/big.py": "# TODO: old\n" + BIG + "# TODO: new\n",
                                "app/notes.txt": BIG + "# TODO: t\n# x\n"})
    tool = Todo()
    found, stats = both_sides(repo, "walnut/work", tool, by_line=py)
    # the lines big.py adds hold a TODO: both its whole sides judge it, as without by_line
    assert seen(found) == seen(both_sides(repo, "walnut/work", Todo(), salt="v2")[0]) == [
        ("app/big.py", 1, False), ("app/big.py", 3003, True), ("app/notes.txt", 3002, False)]
    assert tool.calls[0][2][0] == f"{line_delta.FILLER}\n# TODO: new\n"
    assert stats["misses"] == 5  # lines added, notes.txt, then both whole sides of each

    repo.branch("acacia/quiet", {"app/big.py": BIG.replace("X = 1", "X = 2") + "# TODO: old\n"})
    tool = Todo()
    found, stats = both_sides(repo, "acacia/quiet", tool, by_line=py)
    # the old TODO is not reported: nothing the branch adds holds a finding
    assert found == [] and len(tool.calls) == 1
    assert tool.calls[0][2] == [f"{line_delta.FILLER}\nX = 2\n"]
    assert stats == {"hits": 0, "misses": 1, "files": 1, "base_files": 1}
    # judged whole, the same branch has nothing new either
    assert [f for f in both_sides(repo, "acacia/quiet", Todo(), salt="v2")[0] if f.new] == []


def test_many_branches_batch_the_lines_added_units(repo: GitRepo) -> None:
    repo.commit({"app/big.py": BIG + "# TODO: old\n"}, "a big module with debt")
    repo.branch("walnut/a", {"app/big.py": BIG + "# TODO: old\n# TODO: a\n"})
    repo.branch("acacia/b", {"app/big.py": BIG + "# TODO: old\n# b\n"})
    tool = Todo()
    requests: list[scan.Request] = []
    with contextlib.ExitStack() as stack:
        for branch in ("walnut/a", "acacia/b"):
            ctx = stack.enter_context(gate_context(repo, branch, Tiny()))
            with scan.collecting() as found:
                scan.both_sides(ctx, "todo", "v1", ctx.changed, tool, by_line=py)
            requests += found
        stats = scan.run_batch(requests)
    # the lines each branch adds; then walnut's whole file and its base, for its TODO
    assert stats.scanned == 4 and stats.failed == 0
    texts = sorted(text for _, _, ts in tool.calls for text in ts)
    assert texts == sorted([BIG + "# TODO: old\n", BIG + "# TODO: old\n# TODO: a\n",
                            "-\n# TODO: a\n", "-\n# b\n"])
    again = Todo()
    assert seen(both_sides(repo, "walnut/a", again, by_line=py)[0]) == [
        ("app/big.py", 3002, False), ("app/big.py", 3003, True)]
    assert seen(both_sides(repo, "acacia/b", again, by_line=py)[0]) == [] and again.calls == []


def test_small_scans_stay_in_one_process(notes: GitRepo,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "cores", lambda: 8)
    tool = Todo()
    both_sides(notes, "walnut/a", tool, together=True, split=True)
    assert len(tool.calls) == 1  # two small files: a second process would cost more


def test_parts_for_and_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "cores", lambda: 4)
    sizes = {"a": 100_000, "b": 60_000, "c": 30_000, "d": 30_000, "e": 10}
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
    assert scan.parts_for(tmp_path, ["e"]) == 1
    assert scan.parts_for(tmp_path, ["c", "e"]) == 1  # 30 KB: below PART_BYTES
    assert scan.parts_for(tmp_path, list(sizes)) == 4  # 220 KB, 4 cores
    monkeypatch.setattr(scan, "cores", lambda: 2)
    assert scan.parts_for(tmp_path, list(sizes)) == 2
    parts = scan.split(tmp_path, list(sizes), 2)
    assert sorted(parts) == [["a", "e"], ["b", "c", "d"]]  # 100 KB and 120 KB
    assert scan.split(tmp_path, ["a"], 3) == [["a"]]  # never an empty part
