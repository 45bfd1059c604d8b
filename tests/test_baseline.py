"""gates.baseline: fingerprints that survive line shifts, and new vs existing.

A whole run that shifts an existing lint finding is in
tests/commands/test_run.py::test_shifted_existing_finding_stays_existing; these pin
the fingerprint itself.
"""

from __future__ import annotations

from pathlib import Path

from gates import baseline
from gates.model import Finding

CODE = "import os\n\n\ndef pay(x):\n    return eval(x)\n"
SHIFTED = '"""Payments."""\n\nimport sys\n' + CODE.replace("    return", "        return")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def at(line: int, *, rule: str = "no-eval", path: str = "app/pay.py",
       message: str = "eval of data") -> Finding:
    return Finding(gate="security", rule=rule, message=message, path=path, line=line)


def prints(findings: list[Finding], root: Path) -> list[str]:
    return [f.fingerprint for f in baseline.fingerprint(findings, root)]


def test_a_fingerprint_survives_a_line_shift_and_reindentation(tmp_path: Path) -> None:
    base = write(tmp_path / "base", {"app/pay.py": CODE})
    branch = write(tmp_path / "branch", {"app/pay.py": SHIFTED})
    assert SHIFTED.splitlines()[7] == "        return eval(x)"  # line 8, indented more
    [before] = prints([at(5)], base)
    [after] = prints([at(8)], branch)
    assert before == after and len(before) == 20


def test_rule_path_and_line_text_each_change_the_fingerprint(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/pay.py": CODE, "app/other.py": CODE})
    [plain] = prints([at(5)], root)
    assert prints([at(5, rule="B307")], root) != [plain]
    assert prints([at(5, path="app/other.py")], root) != [plain]
    assert prints([at(1)], root) != [plain]  # another line of the same file


def test_identical_lines_get_an_occurrence_index(tmp_path: Path) -> None:
    twice = CODE + "\n\ndef refund(x):\n    return eval(x)\n"
    base = write(tmp_path / "base", {"app/pay.py": twice})
    first, second = prints([at(5), at(9)], base)
    assert first != second  # same rule, path and line text: told apart by their order
    # the same two, shifted, keep their fingerprints; a third identical one is new
    branch = write(tmp_path / "branch", {"app/pay.py": "X = 1\n" + twice +
                                         "\n\ndef undo(x):\n    return eval(x)\n"})
    found = baseline.fingerprint([at(14), at(6), at(10)], branch)  # any order in
    assert [f.line for f in found] == [6, 10, 14]  # fingerprinted in file order
    assert [f.fingerprint for f in found][:2] == [first, second]
    marked = baseline.mark_new(found, baseline.fingerprint([at(5), at(9)], base))
    assert [(f.line, f.new) for f in marked] == [(6, False), (10, False), (14, True)]


def test_mark_new_compares_fingerprints_only(tmp_path: Path) -> None:
    base = write(tmp_path / "base", {"app/pay.py": CODE})
    branch = write(tmp_path / "branch", {"app/pay.py": SHIFTED})
    old = baseline.fingerprint([at(5)], base)
    moved, other = at(8), at(3, rule="F401")
    baseline.fingerprint([moved, other], branch)
    baseline.mark_new([moved, other], old)
    assert (moved.new, other.new) == (False, True)
    assert all(f.new for f in baseline.mark_new([at(5)], []))  # an empty base: all new


def test_a_finding_without_a_line_is_keyed_by_its_message(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/pay.py": CODE})
    a = Finding(gate="secrets", rule="env-file", message="a .env file is committed", path=".env")
    b = Finding(gate="secrets", rule="env-file", message="another message", path=".env")
    assert prints([a], root) != prints([b], root)
    # a line beyond the end of the file, or a file that is not there: the message too
    missing = tmp_path / "nowhere"
    assert prints([at(99)], root) == prints([at(0)], root) == prints([at(5)], missing)
    assert prints([at(5)], missing) != prints([at(5)], root)  # there, the line counts


def test_a_fingerprint_given_by_the_tool_is_kept(tmp_path: Path) -> None:
    given = Finding(gate="secrets", rule="aws", message="m", path="a.py", line=1,
                    fingerprint="from-the-tool")
    assert prints([given], tmp_path) == ["from-the-tool"]


def test_a_symlink_is_never_read_for_its_line(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.txt": "TOKEN = 'hunter2'\n"})
    root = write(tmp_path / "tree", {"app/pay.py": CODE})
    (root / "link.py").symlink_to(outside / "secret.txt")
    same_line = write(tmp_path / "plain", {"link.py": "TOKEN = 'hunter2'\n"})
    # read through, the symlink would give the outside file's line; it gives the message
    assert prints([at(1, path="link.py")], root) != prints([at(1, path="link.py")], same_line)
    assert prints([at(1, path="link.py")], root) == prints([at(1, path="link.py")],
                                                           tmp_path / "nowhere")
