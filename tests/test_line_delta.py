"""gates.line_delta: a changed file as the lines its base lacks, line numbers kept."""

from __future__ import annotations

import configparser

from gates import line_delta
from gates.line_delta import FILLER, added


def test_the_lines_the_base_has_become_the_filler_and_line_numbers_stay() -> None:
    base = b"import os\n\nKEY = 1\ndef f():\n    return KEY\n"
    branch = b"import os\n\nKEY = 1\nNEW = 'x'\ndef f():\n      return   KEY\n"
    out = added(branch, base).decode().splitlines()
    # white space folded, as a fingerprint folds it: the re-indented return is known
    assert out == [FILLER, "", FILLER, "NEW = 'x'", FILLER, FILLER]


def test_the_last_copies_of_a_text_are_the_new_ones() -> None:
    # the fingerprint numbers a (rule, path, text) in line order: the base's two copies
    # are the first two, the branch's third copy is new
    base = b"A = 'k'\nx = 1\nA = 'k'\n"
    branch = b"A = 'k'\nA = 'k'\ny = 2\nA = 'k'\n"
    assert added(branch, base).decode().splitlines() == [FILLER, FILLER, "y = 2", "A = 'k'"]


def test_a_new_file_side_or_a_base_that_is_not_text_keeps_every_line() -> None:
    branch = b"A = 'k'\nB = 2"
    assert added(branch, b"") == branch
    assert added(branch, b"\xff\xfe A = 'k'\n") == branch
    assert added(b"\xffbinary", b"A = 'k'\n") == b"\xffbinary"  # the tool skips it


def test_universal_newlines_as_a_text_reader_sees_them() -> None:
    base = b"a = 1\r\nb = 2\r\n"
    branch = b"a = 1\r\nc = 3\rb = 2\r\n"
    assert added(branch, base).decode().splitlines() == [FILLER, "c = 3", FILLER]


def test_what_is_left_never_parses_as_an_ini_file() -> None:
    # detect-secrets tries every file as INI first; a section of key = value lines from
    # the branch must not turn the rest of the file into config values
    base = b"import os\nx = 1\n"
    branch = b"[section]\nimport os\nkey = value\nx = 1\n"
    text = added(branch, base).decode()
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        pass
    else:
        raise AssertionError(f"parsed as INI: {text!r}")


def test_ids_name_both_blobs() -> None:
    unit = line_delta.id_of("a" * 40, "b" * 40)
    assert line_delta.is_id(unit) and not line_delta.is_id("a" * 40)
    assert line_delta.blobs_of(unit) == ("a" * 40, "b" * 40)
