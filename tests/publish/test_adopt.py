"""Adoption of a coordination file with no gates blocks: sections found by meaning at any
level and with any suffix, placeholders and headline status lines taken in, every other
byte kept (CRLF and undecodable bytes too), unmatched blocks at the end with one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gates.publish import adopt, agent_status, cluster_issues, cluster_status, headline
from gates.publish.blocks import Block, apply, begin, end, names, read, update_file

_BLOCK = re.compile(r"<!-- gates:begin (\S+) -->\r?\n.*?<!-- gates:end \1 -->\r?\n?", re.DOTALL)


def cut(text: str) -> str:
    return _BLOCK.sub("", text)


@pytest.mark.parametrize("heading, bucket", [
    ("# 🚨 Critical", "critical"),
    ("## CRITICAL ISSUES — stop the line", "critical"),
    ("#### 🚨", "critical"),
    ("### ⚠️ Issues that hurt", "high"),
    ("## High priority (this sprint)", "high"),
    ("### Medium", "medium"),
    ("###### 📋 Backlog", "medium"),
    ("## Low-priority / nice to have", "low"),
    ("### 💡 Ideas", "low"),
    ("## 📜 Resolved", "resolved"),
    ("## Closed critical issues", "resolved"),  # a log of resolved ones, not a priority
    ("### Historical Issues Log ###", "resolved"),
])
def test_a_section_is_found_by_its_words_or_emoji_at_any_level(heading: str,
                                                               bucket: str) -> None:
    text = f"# Issues of the cluster\n\nIntro.\n\n{heading}\nmine, keep\n"
    a = adopt.adopt(text, cluster_issues.SLOTS)
    assert list(a.placed) == [f"issues-{bucket}"], a.placed
    assert f"{heading}\n{begin(f'issues-{bucket}')}\n{end(f'issues-{bucket}')}\nmine, keep\n" \
        in a.text
    assert cut(a.text) == text


def test_words_inside_other_words_and_the_title_are_not_sections() -> None:
    text = ("# Critical infrastructure cluster\n\n## Workflow\n\n## Allow list\n\n"
            "## Highlights\n\n## Following up\n")
    a = adopt.adopt(text, cluster_issues.SLOTS)
    assert a.placed == {} and [b.name for b in a.unmatched] == [s.name for s in
                                                               cluster_issues.SLOTS]
    assert a.text == text


def test_a_file_of_level_1_sections_has_no_title_to_skip() -> None:
    text = "# 🚨 Critical\n*None*\n\n# ⚠️ High\n\n# 📜 Resolved\n"
    a = adopt.adopt(text, cluster_issues.SLOTS)
    assert a.placed == {"issues-critical": "🚨 Critical", "issues-high": "⚠️ High",
                        "issues-resolved": "📜 Resolved"}
    assert cut(a.text) == text.replace("*None*\n", "")


def test_headings_and_placeholders_in_fenced_code_are_left_alone() -> None:
    text = ("# Issues\n\n## How to report\n\n```markdown\n### 🚨 Critical\n*None currently "
            "reported*\n**Overall Status**: x\n```\n\n### 🚨 Critical\n*None currently reported*\n")
    a = adopt.adopt(text, cluster_issues.SLOTS)
    fence = text[:text.index("```\n\n") + 4]
    assert a.text.startswith(fence)
    assert a.text.endswith(f"### 🚨 Critical\n{begin('issues-critical')}\n*None currently "
                           f"reported*\n{end('issues-critical')}\n")
    assert [n for n in names(a.text) if n.startswith("line-")] == []


@pytest.mark.parametrize("line", ["*None currently reported*", "_No issues yet - cluster just "
                                  "initialized_", "- None", "None.", "**No blockers**",
                                  "*Nothing yet*", "N/A"])
def test_a_placeholder_is_taken_into_the_block(line: str) -> None:
    text = f"# A\n\n## 🚨 Critical\n\n{line}\n\nA human paragraph.\n"
    a = adopt.adopt(text, cluster_issues.SLOTS[:1])
    assert a.taken == {"issues-critical": line}
    assert read(a.text, "issues-critical") == line
    assert cut(a.text) == text.replace(line + "\n", "")


@pytest.mark.parametrize("line", ["No merges on Fridays.", "*Note: none of this is final, "
                                  "ask ACACIA*x", "Nothing blocks the release if CI passes."])
def test_a_sentence_is_not_a_placeholder(line: str) -> None:
    text = f"# A\n\n## 🚨 Critical\n{line}\n"
    a = adopt.adopt(text, cluster_issues.SLOTS[:1])
    assert a.taken == {} and line in cut(a.text)


def test_headline_lines_keep_their_label_and_say_what_gates_knows() -> None:
    text = ("# S\n**Last Updated**: yesterday\n- **Overall Status:** 🟢 fine\n"
            "**Coordination Health** : ✅ GOOD\n**Project**: keep\n\n**Overall Status**: again\n")
    a = adopt.adopt(text, [])
    assert names(a.text) == ["line-last-updated", "line-overall-status",
                             "line-coordination-health", "line-overall-status-2"]
    out = a.text
    for b in headline.render(out, headline.phrase(2, 5, 3), "2026-12-01T10:00:00Z"):
        out, _ = apply(out, b)
    assert read(out, "line-last-updated") == "**Last Updated**: 2026-12-01 10:00 UTC (by gates)"
    assert read(out, "line-overall-status") == \
        "- **Overall Status:** 🔴 2 branches blocked by 5 problems (gates)"
    assert read(out, "line-coordination-health") == \
        "**Coordination Health** : 🔴 2 branches blocked by 5 problems (gates)"
    assert "**Project**: keep\n" in out and "fine" not in out and "GOOD" not in out
    assert headline.phrase(0, 0, 3) == "✅ 3 branches judged by gates, none blocked"
    assert headline.phrase(1, 0, 1) == "🔴 1 branch blocked (gates)"


CRLF = ("# Cluster Issues ü\r\n**Overall Status**: ✅ fine\r\n\r\n### 🚨 Critical Issues (Block "
        "Development)\r\n*None currently reported*\r\n\r\n### Human notes ✓\r\nkeep\r\n")


def test_crlf_and_undecodable_bytes_survive_adoption_and_later_writes(tmp_path: Path) -> None:
    p = tmp_path / "CLUSTER_ISSUES.md"
    raw = CRLF.encode() + b"caf\xe9 \xff\r\n"
    p.write_bytes(raw)
    told: list[str] = []
    body = "#### one issue\nline two"
    blocks = [Block("issues-critical", body), Block("line-overall-status",
                                                    "**Overall Status**: 🔴 1 branch blocked")]
    update_file(p, blocks, adopt=adopt.adopter(cluster_issues.SLOTS[:1]), told=told)
    text = p.read_bytes().decode("utf-8", errors="surrogateescape")
    assert "\n" not in text.replace("\r\n", "")  # every line ends as the file's do
    original = raw.decode("utf-8", errors="surrogateescape")
    assert cut(text) == original.replace("*None currently reported*\r\n", "").replace(
        "**Overall Status**: ✅ fine\r\n", "")
    assert told[0].startswith("CLUSTER_ISSUES.md: adopted")
    # a later write changes only the blocks, and adopts nothing
    told.clear()
    update_file(p, [Block("issues-critical", "other")], adopt=adopt.adopter(cluster_issues.SLOTS[:1]),
                told=told)
    again = p.read_bytes().decode("utf-8", errors="surrogateescape")
    assert told == [] and cut(again) == cut(text) and read(again, "issues-critical") == "other"


def test_an_unmatched_block_goes_to_the_end_and_is_told_in_one_line(tmp_path: Path) -> None:
    p = tmp_path / "AGENT_STATUS_WALNUT.md"
    original = "# WALNUT\n\n## Current Task\nShelves.\n"
    p.write_text(original)
    told: list[str] = []
    update_file(p, [Block("gates", "what blocks", heading="## Merge Gates")],
                adopt=adopt.adopter([agent_status.SLOT]), told=told)
    assert p.read_text() == original + f"\n## Merge Gates\n\n{begin('gates')}\nwhat blocks\n" \
        f"{end('gates')}\n"
    unmatched = [t for t in told if "no section of its own" in t]
    assert len(unmatched) == 1 and "\n" not in unmatched[0] and "gates" in unmatched[0]


def test_a_new_file_from_a_template_is_adopted_silently(tmp_path: Path) -> None:
    p = tmp_path / "CLUSTER_STATUS.md"
    told: list[str] = []
    update_file(p, lambda text: [cluster_status.render({}, {}, set(), "2026-12-01T10:00:00Z"),
                                 *headline.render(text, headline.phrase(0, 0, 0), "x")],
                cluster_status.TEMPLATE, adopt=adopt.adopter([cluster_status.SLOT]), told=told)
    text = p.read_text()
    assert told == []
    assert text.count("## Merge Gates") == 1
    assert "## Merge Gates\n<!-- gates:begin status -->\n" in text
    assert "**Overall Status**: ⏳ no branch judged by gates yet" in text


def test_a_file_with_gates_blocks_is_never_adopted_again() -> None:
    text = "# X\n\n## 🚨 Critical\n*None currently reported*\n\n" \
        f"## Gates\n{begin('status')}\nx\n{end('status')}\n"
    assert not adopt.needed(text)
    assert adopt.needed("# X\n\n## 🚨 Critical\n*None currently reported*\n")
