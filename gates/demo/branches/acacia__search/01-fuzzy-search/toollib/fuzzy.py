"""Typo-tolerant search: "laddr" finds ladders, "presure washer" pressure washers.

A query word matches a tool when its name, description or tags contain it
("dril" is in "drill"), or when a word of the tool's name is within a few
typos of it (edit distance: 1 for words of 5-7 letters, 2 from 8 letters; the
first letter must be right). Short words must match as they are typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def allowed_typos(word: str) -> int:
    if len(word) < 5:
        return 0
    return 1 if len(word) < 8 else 2


def word_distance(query_word: str, words: Iterable[str]) -> int | None:
    """How far `query_word` is from its closest word (0: contained), None: no match."""
    best: int | None = None
    for word in words:
        if query_word in word:
            distance = 0
        else:
            distance = edit_distance(query_word, word)
            if distance > allowed_typos(query_word) or word[:1] != query_word[:1]:
                continue
        if best is None or distance < best:
            best = distance
    return best


def tool_distance(query_word: str, row: Any) -> int | None:
    """Typos between `query_word` and a tool (0: the tool mentions it), None: no match."""
    distance = word_distance(query_word, row["name"].lower().split())
    if distance is None and query_word in row["search_text"]:
        distance = 0
    return distance


def fuzzy_filter(rows: Iterable[Any], query: Sequence[str]) -> list[Any]:
    """The rows every query word matches, in their original order."""
    return [row for row in rows if all(tool_distance(q, row) is not None for q in query)]
