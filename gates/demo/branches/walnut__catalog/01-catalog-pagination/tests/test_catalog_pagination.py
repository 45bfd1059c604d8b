"""Catalog pagination: the total count and the next/prev links."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_first_page_has_total_and_next(client: TestClient) -> None:
    page = client.get("/api/tools", params={"limit": 20}).json()
    assert page["total"] == 300
    assert page["prev"] is None
    assert page["next"] == "/api/tools?limit=20&offset=20"


def test_following_next_walks_the_whole_catalog(client: TestClient) -> None:
    url: str | None = "/api/tools?limit=45"
    seen: list[int] = []
    while url:
        page = client.get(url).json()
        seen += [t["id"] for t in page["items"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 300


def test_prev_goes_back_and_keeps_the_query(client: TestClient) -> None:
    page = client.get("/api/tools", params={"q": "drill", "limit": 5, "offset": 10}).json()
    assert page["prev"] == "/api/tools?q=drill&limit=5&offset=5"
    back = client.get(page["prev"]).json()
    assert back["offset"] == 5 and back["total"] == page["total"]
    assert client.get("/api/tools", params={"q": "drill", "limit": 5, "offset": 3}
                      ).json()["prev"].endswith("offset=0")


def test_total_counts_filtered_results(client: TestClient) -> None:
    drills = client.get("/api/tools", params={"q": "drill", "limit": 100}).json()
    assert drills["total"] == len(drills["items"]) and drills["next"] is None
    free = client.get("/api/tools", params={"available": True, "limit": 100}).json()
    busy = client.get("/api/tools", params={"available": False, "limit": 100}).json()
    assert free["total"] + busy["total"] == 300
    assert busy["total"] == len(busy["items"]) == 3  # the seeded loans
    nothing = client.get("/api/tools", params={"q": "zeppelin"}).json()
    assert (nothing["total"], nothing["next"], nothing["prev"]) == (0, None, None)
