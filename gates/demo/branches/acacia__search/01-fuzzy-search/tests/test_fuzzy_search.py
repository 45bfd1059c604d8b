"""Typo-tolerant search."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from toollib.fuzzy import allowed_typos, edit_distance, word_distance


def names(client: TestClient, q: str) -> list[str]:
    items = client.get("/api/tools", params={"q": q, "limit": 100}).json()["items"]
    return [t["name"] for t in items]


@pytest.mark.parametrize(("a", "b", "d"), [
    ("", "", 0), ("drill", "drill", 0), ("drill", "dril", 1), ("ladder", "laddr", 1),
    ("kitten", "sitting", 3), ("", "saw", 3), ("flaw", "lawn", 2),
])
def test_edit_distance(a: str, b: str, d: int) -> None:
    assert edit_distance(a, b) == d == edit_distance(b, a)


def test_allowed_typos() -> None:
    assert [allowed_typos(w) for w in ("saw", "drill", "pressure")] == [0, 1, 2]


def test_word_distance() -> None:
    assert word_distance("dril", ["cordless", "drill"]) == 0
    assert word_distance("drill", ["dril", "drills"]) == 0
    assert word_distance("laddr", ["step", "ladder"]) == 1
    assert word_distance("grill", ["drill"]) is None  # the first letter must be right
    assert word_distance("saw", ["sew"]) is None  # short words: no typos


@pytest.mark.parametrize(("typo", "word"), [
    ("laddr", "ladder"), ("hamer", "hammer"), ("presure washer", "pressure washer"),
    ("sandr", "sander"), ("cordles drill", "cordless drill"),
])
def test_typos_find_the_tool(client: TestClient, typo: str, word: str) -> None:
    found = names(client, typo)
    assert found and found == names(client, word)


def test_exact_words_still_work(client: TestClient) -> None:
    assert all("drill" in n for n in names(client, "cordless drill"))
    assert names(client, "zeppelin") == []
