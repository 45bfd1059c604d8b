"""The pages in a real browser: the catalog, its search box, logging in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support import USERS

pytestmark = pytest.mark.e2e


def test_catalog_lists_tools(page: Page, app_url: str) -> None:
    page.goto(app_url + "/")
    expect(page).to_have_title(re.compile("Catalog"))
    tools = page.get_by_test_id("tool")
    expect(tools).to_have_count(50)
    expect(tools.first.get_by_test_id("tool-name")).not_to_be_empty()


def test_typing_in_the_search_box_filters_the_list(page: Page, app_url: str) -> None:
    expected = page.request.get(app_url + "/api/tools?limit=50&q=ladder").json()["items"]
    assert 0 < len(expected) < 50
    page.goto(app_url + "/")
    page.locator("#search").press_sequentially("ladder", delay=20)
    tools = page.get_by_test_id("tool")
    expect(tools).to_have_count(len(expected))
    expect(tools.first.get_by_test_id("tool-name")).to_have_text(expected[0]["name"])
    expect(page.get_by_test_id("result-count")).to_have_text(f"{len(expected)} tools")
    expect(page).to_have_url(re.compile(r"\?q=ladder$"))
    page.locator("#search").fill("zeppelin")
    expect(tools).to_have_count(0)


def test_login_then_dashboard_shows_the_member(page: Page, app_url: str) -> None:
    email, password = USERS["alice"]
    page.goto(app_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-button").click()
    expect(page).to_have_url(re.compile("/dashboard$"))
    expect(page.get_by_test_id("member-email")).to_have_text(email)
    expect(page.get_by_test_id("loan")).to_have_count(3)


def test_wrong_password_shows_an_error(page: Page, app_url: str) -> None:
    email, _ = USERS["bob"]
    page.goto(app_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill("not-bobs-password")
    page.locator("#login-button").click()
    expect(page.get_by_test_id("login-error")).to_have_text(re.compile("Wrong"))
    expect(page).to_have_url(re.compile("/login$"))


def test_dashboard_without_login_goes_to_login(page: Page, app_url: str) -> None:
    page.goto(app_url + "/dashboard")
    expect(page).to_have_url(re.compile("/login$"))
