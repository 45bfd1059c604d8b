"""The Playwright test the e2e gate's test repos ship (as tests/e2e/test_search.py)."""

from playwright.sync_api import Page, expect


def test_search_finds_the_drill(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Tool library")).to_be_visible()
    page.get_by_placeholder("Search tools").fill("drill", timeout=3000)
    expect(page.locator("#results li")).to_have_text(["cordless drill"])


def test_title(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_title("Tool library")
