"""gates.line_delta: a changed file as the lines its base lacks."""

from __future__ import annotations

import configparser

from gates import line_delta
from gates.line_delta import FILLER, added


def lines(branch: bytes, base: bytes) -> list[str]:
    return added(branch, base).decode().splitlines()


def test_only_the_lines_the_base_lacks_after_the_filler() -> None:
    base = b"import os\n\nKEY = 1\ndef f():\n    return KEY\n"
    branch = b"import os\n\nKEY = 1\nNEW = 'x'\ndef f():\n      return   KEY\n\nEND = 2"
    # white space folded, as a fingerprint folds it: the re-indented return is known
    assert lines(branch, base) == [FILLER, "NEW = 'x'", "END = 2"]


def test_the_last_copies_of_a_text_are_the_new_ones() -> None:
    # the fingerprint numbers a (rule, path, text) in line order: the base's two copies
    # are the first two, the branch's third copy is new
    base = b"A = 'k'\nx = 1\nA = 'k'\n"
    branch = b"A = 'k'\nA = 'k'\ny = 2\nA = 'k'\n"
    assert lines(branch, base) == [FILLER, "y = 2", "A = 'k'"]


def test_a_base_that_is_not_text_leaves_every_line_and_a_branch_that_is_not_is_as_is() -> None:
    assert lines(b"A = 'k'\nB = 2", b"") == [FILLER, "A = 'k'", "B = 2"]
    assert lines(b"A = 'k'\n", b"\xff\xfe A = 'k'\n") == [FILLER, "A = 'k'"]
    assert added(b"\xffbinary", b"A = 'k'\n") == b"\xffbinary"  # the tool skips it


def test_universal_newlines_as_a_text_reader_sees_them() -> None:
    base = b"a = 1\r\nb = 2\r\n"
    branch = b"a = 1\r\nc = 3\rb = 2\r\n"
    assert lines(branch, base) == [FILLER, "c = 3"]


def test_what_is_left_never_parses_as_an_ini_file() -> None:
    # detect-secrets tries every file as INI first; a section of key = value lines from
    # the branch must not turn into config values
    text = added(b"[section]\nimport os\nkey = value\n", b"import os\n")
    try:
        configparser.ConfigParser().read_string(text.decode())
    except configparser.Error:
        pass
    else:
        raise AssertionError(f"parsed as INI: {text!r}")


def test_ids_name_both_blobs() -> None:
    unit = line_delta.id_of("a" * 40, "b" * 40)
    assert line_delta.is_id(unit) and not line_delta.is_id("a" * 40)
    assert line_delta.blobs_of(unit) == ("a" * 40, "b" * 40)
