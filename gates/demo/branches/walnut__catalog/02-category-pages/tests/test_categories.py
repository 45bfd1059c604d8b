"""Categories: the API list and the category pages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from toollib.catalog import slugify


def test_categories_cover_the_catalog(client: TestClient) -> None:
    cats = client.get("/api/categories").json()
    assert len(cats) == 8
    assert sum(c["tools"] for c in cats) == 300
    assert sum(c["tools"] - c["available"] for c in cats) == 3  # the seeded loans
    ladders = next(c for c in cats if c["name"] == "Ladders & access")
    assert ladders["slug"] == "ladders-access"


def test_slugify() -> None:
    assert slugify("Power tools") == "power-tools"
    assert slugify("  Ladders & access ") == "ladders-access"
    assert slugify("&&") == "-"


def test_category_page_lists_only_that_category(client: TestClient) -> None:
    resp = client.get("/categories/garden")
    assert resp.status_code == 200
    assert resp.text.count('data-testid="tool"') == 24
    garden = client.get("/api/tools", params={"category": "Garden", "limit": 1}).json()
    assert f"of {garden['total']}" in resp.text
    assert 'rel="next"' in resp.text and 'rel="prev"' not in resp.text
    last = client.get("/categories/garden", params={"offset": 24})
    assert 'rel="prev"' in last.text and 'rel="next"' not in last.text


def test_unknown_category_is_404(client: TestClient) -> None:
    assert client.get("/categories/rockets").status_code == 404
    assert client.get("/categories/garden", params={"offset": -1}).status_code == 422


def test_category_names_are_escaped(client: TestClient) -> None:
    from tests.support import login

    admin = login(client, "admin")
    tool = {"name": "Odd thing", "category": "<b>Odd</b>", "tags": []}
    assert client.post("/api/admin/tools", json=tool, headers=admin).status_code == 201
    page = client.get("/categories/b-odd-b")
    assert page.status_code == 200
    assert "<b>Odd</b>" not in page.text and "&lt;b&gt;Odd&lt;/b&gt;" in page.text
