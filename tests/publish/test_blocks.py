from __future__ import annotations

import random
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
