"""A pytest plugin the auth gate loads (`-p gates.apptest.pytest_baseurl`) when no installed
plugin (pytest-playwright, pytest-base-url) defines `--base-url`: the option, and
the `base_url` fixture those plugins offer, so that a repo's tests read the app's
URL the same way with or without them."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--base-url", default=os.environ.get("GATES_BASE_URL"),
                     help="the base URL of the application under test")


@pytest.fixture(scope="session")
def base_url(request: pytest.FixtureRequest) -> str | None:
    url = request.config.getoption("base_url")
    return str(url) if url else None
