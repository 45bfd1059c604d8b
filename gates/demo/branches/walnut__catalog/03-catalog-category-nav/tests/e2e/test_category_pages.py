"""Category pages in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_catalog_links_to_category_pages(page: Page, app_url: str) -> None:
    page.goto(app_url + "/")
    links = page.get_by_test_id("category-link")
    expect(links).to_have_count(8)
    page.get_by_role("link", name="Plumbing").click()
    expect(page).to_have_url(re.compile("/categories/plumbing$"))
    expect(page.get_by_test_id("category-name")).to_have_text("Plumbing")
    tools = page.get_by_test_id("tool")
    expect(tools).to_have_count(24)
    for text in tools.all_inner_texts():
        assert "Plumbing" in text


def test_category_pager(page: Page, app_url: str) -> None:
    page.goto(app_url + "/categories/power-tools")
    first = page.get_by_test_id("tool-name").first.inner_text()
    page.get_by_test_id("next").click()
    expect(page).to_have_url(re.compile(r"offset=24$"))
    expect(page.get_by_test_id("tool-name").first).not_to_have_text(first)
    page.get_by_test_id("prev").click()
    expect(page.get_by_test_id("tool-name").first).to_have_text(first)
