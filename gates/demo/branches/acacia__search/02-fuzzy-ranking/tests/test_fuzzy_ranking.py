"""Ranking of fuzzy matches."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import login


def test_exact_matches_rank_before_typos(client: TestClient) -> None:
    headers = login(client, "admin")
    for name in ("Router table", "Ruter gauge"):
        assert client.post("/api/admin/tools", headers=headers, json={
            "name": name, "category": "Woodworking"}).status_code == 201
    items = client.get("/api/tools", params={"q": "ruter", "limit": 100}).json()["items"]
    assert items[0]["name"] == "Ruter gauge"
    assert "Router table" in [t["name"] for t in items[1:]]


def test_name_matches_rank_before_description_matches(client: TestClient) -> None:
    items = client.get("/api/tools", params={"q": "timber", "limit": 100}).json()["items"]
    in_name = ["timber" in t["name"].lower() for t in items]
    assert in_name == sorted(in_name, reverse=True)
