from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from gates.publish.blocks import Block, apply, begin, end, read, update_file

HUMAN = "# Title ü\r\n\r\nHand-written ✓ text.\r\n\r\n## Merge Gates\r\n\r\nAfter.\r\n"


def outside(text: str, name: str) -> str:
    """The text with our block (markers and body) cut out."""
    s, e = text.index(begin(name)), text.index(end(name)) + len(end(name))
    return text[:s] + text[e:]


def test_insert_after_anchor_keeps_crlf_and_every_byte() -> None:
    text, warnings = apply(HUMAN, Block("status", "| a |\n|---|", anchor=r"^##\s.*Merge Gates"))
    assert warnings == []
    assert text.startswith("# Title ü\r\n\r\nHand-written ✓ text.\r\n\r\n## Merge Gates\r\n")
    assert text.endswith("\r\nAfter.\r\n")
    assert "| a |\r\n|---|" in text and "\n|" not in text.replace("\r\n", "")
    assert read(text, "status") == "| a |\n|---|"


def test_replace_is_idempotent_and_leaves_the_rest() -> None:
    once, _ = apply(HUMAN, Block("s", "one", anchor=r"^## Merge"))
    twice, _ = apply(once, Block("s", "two", anchor=r"^## Merge"))
    again, _ = apply(twice, Block("s", "two", anchor=r"^## Merge"))
    assert again == twice
    assert outside(once, "s") == outside(twice, "s")
    assert read(twice, "s") == "two"


def test_missing_anchor_appends_heading_and_block() -> None:
    text, _ = apply("just prose\n", Block("s", "body", heading="## Merge Gates"))
    assert text.startswith("just prose\n")
    assert text.endswith(f"## Merge Gates\n\n{begin('s')}\nbody\n{end('s')}\n")


def test_begin_without_end_is_repaired_without_losing_text() -> None:
    damaged = f"intro\n{begin('s')}\nold body\nhuman text after\n"
    text, warnings = apply(damaged, Block("s", "new"))
    assert any("without 'end'" in w for w in warnings)
    assert "intro\n" in text and "old body\nhuman text after\n" in text
    assert read(text, "s") == "new"
    assert text.count(begin("s")) == 1 and text.count(end("s")) == 1


def test_duplicate_block_and_stray_end_lose_markers_not_text() -> None:
    damaged = (f"a\n{begin('s')}\nfirst\n{end('s')}\nb\n{begin('s')}\nsecond\n{end('s')}\n"
               f"c {end('s')} d\n")
    text, warnings = apply(damaged, Block("s", "new"))
    assert len(warnings) == 2
    assert text.count(begin("s")) == 1 and text.count(end("s")) == 1
    assert read(text, "s") == "new"
    for kept in ("a\n", "b\n", "second", "c  d"):
        assert kept in text


def test_other_blocks_untouched() -> None:
    text = f"{begin('x')}\nkeep\n{end('x')}\n"
    out, _ = apply(text, Block("y", "mine"))
    assert out.startswith(text) and read(out, "x") == "keep"


def test_update_file_keeps_undecodable_bytes(tmp_path: Path) -> None:
    p = tmp_path / "STATUS.md"
    raw = b"caf\xe9 latin-1 bytes\n\xff\xfe odd\n"
    p.write_bytes(raw)
    update_file(p, [Block("s", "body")])
    data = p.read_bytes()
    assert data.startswith(raw)
    update_file(p, [Block("s", "body2")])
    assert p.read_bytes().startswith(raw)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["STATUS.md"]  # no lock beside it


def around(text: str, original: str, at: int) -> str:
    """What `text` holds between `original[:at]` and `original[at:]`, which it must start
    and end with, byte for byte."""
    assert text.startswith(original[:at])
    assert text.endswith(original[at:])
    return text[at:len(text) - len(original) + at]


@settings(max_examples=300, deadline=None)
@example(prefix="a\n\n\n\nb\r\n\r\n\r\n", suffix="\n\n\n\nc\r\n\r\n\r\n\r\nd\n\n\n",
         bodies=["x", "y\n\n\nz"])
@given(prefix=st.text(), suffix=st.text(), bodies=st.lists(st.text(), min_size=1, max_size=4))
def test_human_text_survives_any_sequence_of_writes(prefix: str, suffix: str,
                                                    bodies: list[str]) -> None:
    # human text that does not itself contain our markers or a second anchor
    prefix = prefix.replace("<!--", "<!-")
    suffix = suffix.replace("<!--", "<!-")
    assume("\n## Merge Gates" not in prefix and not prefix.startswith("## Merge Gates"))
    original = prefix + "\n## Merge Gates\n" + suffix
    text = original
    for body in bodies:
        text, _ = apply(text, Block("s", body.replace("<!--", "<!-"), anchor=r"^## Merge Gates"))
    # every byte before the end of the anchor line, and every byte after it, as it was
    between = around(text, original, len(prefix + "\n## Merge Gates\n"))
    assert set(outside(between, "s")) <= {"\r", "\n"} and len(outside(between, "s")) <= 4


def test_many_writes_byte_for_byte(tmp_path: Path) -> None:
    rng = random.Random(7)
    p = tmp_path / "CLUSTER_STATUS.md"
    # people's text with runs of blank lines (a writer that tidies them loses bytes)
    human = HUMAN.replace("text.\r\n", "text.\r\n\r\n\r\n") + "\r\n\r\n\r\nEnd ü.\r\n"
    p.write_bytes(human.encode())
    at = human.index("## Merge Gates\r\n") + len("## Merge Gates\r\n")
    body = ""
    for _ in range(200):
        body = "\n".join(f"row {rng.random()}" for _ in range(rng.randint(0, 5)))
        update_file(p, [Block("status", body, anchor=r"^## Merge Gates")])
    last = p.read_bytes().decode("utf-8")
    # the original, byte for byte, with the block written in after a blank line
    crlf = body.replace("\n", "\r\n")
    assert last == (human[:at] + f"\r\n{begin('status')}\r\n{crlf}\r\n{end('status')}\r\n"
                    + human[at:])


WRITER = """
import sys
from collections.abc import Callable
from pathlib import Path
from gates.publish.blocks import Block, update_file
path, me = Path(sys.argv[1]), sys.argv[2]
sys.stdin.readline()  # start together
for n in range(1, 41):
    update_file(path, [Block(me, f"{me} wrote {n}")])
"""


def test_writers_at_once_lose_no_block(tmp_path: Path) -> None:
    """Four processes rewrite their own block of one file at once: each read-modify-write
    holds the file's lock, so no writer's last block is lost to another's stale read."""
    import subprocess
    import sys

    from tests.conftest import gates_env

    p = tmp_path / "CLUSTER_STATUS.md"
    p.write_bytes(HUMAN.encode())
    names = [f"w{i}" for i in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(p), n], env=gates_env(),
                              stdin=subprocess.PIPE) for n in names]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.close()
    assert [proc.wait() for proc in procs] == [0, 0, 0, 0]
    text = p.read_bytes().decode()
    assert [read(text, n) for n in names] == [f"{n} wrote 40" for n in names], text
    assert text.startswith(HUMAN.rstrip("\r\n"))


# -- found by mutmut (bench/mutation_spine.py): each pins what a surviving mutant changed --

def test_crlf_only_when_most_line_ends_are_crlf() -> None:
    from gates.publish.blocks import newline

    assert newline("a\r\nb\r\nc\n") == "\r\n"  # 2 of 3
    assert newline("a\r\nb\n") == "\n"  # half is not most
    assert newline("a\r\nb\r\nc\nd\ne\n") == "\n"  # 2 of 5
    assert newline("a\nb\n") == newline("") == newline("a") == "\n"


def test_each_kind_of_damage_is_repaired_exactly_and_named() -> None:
    b, e = begin("s"), end("s")
    # a 'begin' with no 'end' before the block: its marker goes, its text stays
    assert apply(f"a\n{b}\nx\n{b}\ny\n{e}\nz\n", Block("s", "new")) == (
        f"a\n\nx\n{b}\nnew\n{e}\nz\n", ["block 's': 'begin' without 'end' (repaired)"])
    # ... and after it, at the end of the file
    assert apply(f"a\n{b}\nold\n{e}\nmid\n{b}\ntail\n", Block("s", "new")) == (
        f"a\n{b}\nnew\n{e}\nmid\n\ntail\n", ["block 's': 'begin' without 'end' (repaired)"])
    # a stray 'end' before the block
    assert apply(f"a {e} b\n{b}\nold\n{e}\nc\n", Block("s", "new")) == (
        f"a  b\n{b}\nnew\n{e}\nc\n", ["block 's': 'end' without 'begin' (marker removed)"])


def test_another_blocks_markers_before_ours_are_passed_over() -> None:
    x = f"{begin('x')}\nk\n{end('x')}\n"
    text = f"{x}{begin('s')}\nold\n{end('s')}\nafter\n"
    assert apply(text, Block("s", "new")) == (f"{x}{begin('s')}\nnew\n{end('s')}\nafter\n", [])


def test_names_in_order_each_once_begins_only() -> None:
    from gates.publish.blocks import names

    text = (f"{begin('b')}\n1\n{end('b')}\n{end('z')}\n{begin('a')}\n2\n{end('a')}\n"
            f"{begin('b')}\n3\n{end('b')}\n")
    assert names(text) == ["b", "a"]
    assert names("no blocks\n") == []


def test_section_level_is_the_last_heading_before_the_block_outside_blocks() -> None:
    from gates.publish.blocks import section_level

    x = f"{begin('x')}\n### a heading inside another block\n{end('x')}\n"
    text = (f"# Title\n\n   ## Status\n    # code, not a heading\n#not-a-heading\n"
            f"####### seven\n{x}{begin('s')}\nbody\n{end('s')}\n")
    assert section_level(text, "s") == 2
    assert section_level(text, "x") == 2
    assert section_level(text, "missing") is None
    assert section_level(f"prose\n{begin('s')}\n{end('s')}\n", "s") is None
    assert section_level(f"######\tSix\n{begin('s')}\n{end('s')}\n", "s") == 6


def test_read_takes_the_first_whole_block_with_plain_newlines() -> None:
    b, e = begin("s"), end("s")
    assert read(f"{b}\r\n\r\nA\r\nB\r\n\r\n{e}\r\n{b}\nsecond\n{e}\n", "s") == "A\nB"
    assert read(f"{e} {b}\nno end\n", "s") is None
    assert read("nothing\n", "s") is None


def test_a_missing_block_goes_after_its_sections_heading() -> None:
    b, e = begin("s"), end("s")
    meaning = "critical|🚨"
    assert apply("# T\r\n### 🚨 Critical Issues (Block Development)\r\nx\r\n",
                 Block("s", "body", meaning=meaning, anchor="^x")) == (
        f"# T\r\n### 🚨 Critical Issues (Block Development)\r\n{b}\r\nbody\r\n{e}\r\nx\r\n", [])
    # the heading is the file's last line, with no newline after it
    assert apply("# T\n## Critical", Block("s", "body", meaning=meaning)) == (
        f"# T\n## Critical\n{b}\nbody\n{e}\n", [])
    # no such heading: the anchor, then the end of the file
    assert apply("## Other\nx\n", Block("s", "body", meaning=meaning, anchor="^## Other")) == (
        f"## Other\n\n{b}\nbody\n{e}\nx\n", [])


def test_a_missing_block_goes_after_its_anchor_line_or_at_the_end() -> None:
    b, e = begin("s"), end("s")
    assert apply("intro\n## Merge Gates", Block("s", "body", anchor="^## Merge")) == (
        f"intro\n## Merge Gates\n\n{b}\nbody\n{e}\n", [])
    assert apply("intro\n## Merge Gates\nafter\n",
                 Block("s", "body", anchor="^## Nope", heading="## H")) == (
        f"intro\n## Merge Gates\nafter\n\n## H\n\n{b}\nbody\n{e}\n", [])
    assert apply("intro", Block("s", "\n\nbody\n\n")) == (f"intro\n\n{b}\nbody\n{e}\n", [])
    assert apply("", Block("s", "a\nb")) == (f"\n{b}\na\nb\n{e}\n", [])
    assert apply("x\r\ny\r\n", Block("s", "a\nb")) == (f"x\r\ny\r\n\r\n{b}\r\na\r\nb\r\n{e}\r\n", [])


def test_update_file_creates_from_the_template_and_writes_only_a_change(tmp_path: Path) -> None:
    p = tmp_path / "STATUS.md"
    assert update_file(p, [Block("s", "one")], "# Status\n") == []
    assert p.read_text() == f"# Status\n\n{begin('s')}\none\n{end('s')}\n"
    inode = p.stat().st_ino
    update_file(p, lambda text: [Block("s", "one" if begin("s") in text else "?")])
    assert p.stat().st_ino == inode  # the same text: not rewritten
    empty = tmp_path / "EMPTY.md"
    update_file(empty, [])  # a new file is made even with nothing to write into it
    assert empty.read_text() == ""
    p.write_text(f"x {end('s')}\n{begin('s')}\nold\n{end('s')}\n")
    assert update_file(p, [Block("s", "two")]) == [
        "STATUS.md: block 's': 'end' without 'begin' (marker removed)"]


def test_update_file_adopts_a_file_without_blocks_and_tells(tmp_path: Path) -> None:
    p = tmp_path / "STATUS.md"
    p.write_text("# Mine\n")
    told: list[str] = []
    calls: list[str] = []

    def adopt(text: str) -> tuple[str, Callable[[str, str, str], list[str]]] | None:
        calls.append(text)
        if begin("s") in text:
            return None
        return text + f"{begin('s')}\n{end('s')}\n", lambda f, a, b: [f"{f}: {a!r} -> {b!r}"]

    update_file(p, [Block("s", "body")], adopt=adopt, told=told)
    after = f"# Mine\n{begin('s')}\nbody\n{end('s')}\n"
    assert p.read_text() == after and calls == ["# Mine\n"]
    assert told == [f"STATUS.md: '# Mine\\n' -> {after!r}"]
    update_file(p, [Block("s", "body")], adopt=adopt, told=told)
    assert len(told) == 1  # nothing adopted the second time
    new = tmp_path / "NEW.md"
    update_file(new, [Block("s", "body")], "# T\n", adopt=adopt, told=told)
    assert len(told) == 1  # a file made now is not news to its owner


def test_a_block_at_the_very_start_of_the_file() -> None:
    b, e = begin("s"), end("s")
    assert read(f"{b}\nXmas\n{e}\nrest\n", "s") == "Xmas"
    assert apply(f"{b}\nold\n{e}\nrest\n", Block("s", "Xmas")) == (f"{b}\nXmas\n{e}\nrest\n", [])
    # a 'begin' with no 'end' at the start, the block after it
    assert apply(f"{b}\norphan\n{b}\nold\n{e}\n", Block("s", "new")) == (
        f"\norphan\n{b}\nnew\n{e}\n", ["block 's': 'begin' without 'end' (repaired)"])


def test_a_duplicated_block_is_named_with_its_count() -> None:
    b, e = begin("s"), end("s")
    text, warnings = apply(f"{b}\n1\n{e}\n{b}\n2\n{e}\n{b}\n3\n{e}\n", Block("s", "new"))
    assert text == f"{b}\nnew\n{e}\n\n2\n\n\n3\n\n"
    assert warnings == ["block 's' appears 3 times (extra markers removed)"]


def test_a_begin_without_end_and_no_block_becomes_the_block_right_there() -> None:
    b, e = begin("s"), end("s")
    assert apply(f"intro\n{b}\nold body\nafter\n", Block("s", "new", anchor="^intro")) == (
        f"intro\n{b}\nnew\n{e}\nold body\nafter\n",
        ["block 's': 'begin' without 'end' (repaired)"])


def test_an_anchor_that_matches_an_empty_first_line() -> None:
    b, e = begin("s"), end("s")
    assert apply("\n# T\n", Block("s", "x", anchor="^$")) == (f"\n\n{b}\nx\n{e}\n# T\n", [])


def test_update_file_names_the_damage_of_every_block(tmp_path: Path) -> None:
    p = tmp_path / "STATUS.md"
    p.write_text(f"{end('a')}\n{end('b')}\n")
    assert update_file(p, [Block("a", "1"), Block("b", "2")]) == [
        "STATUS.md: block 'a': 'end' without 'begin' (marker removed)",
        "STATUS.md: block 'b': 'end' without 'begin' (marker removed)"]
