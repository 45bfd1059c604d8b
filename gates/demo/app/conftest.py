"""Fixtures for the tool library's tests.

In-process by default: each test gets the app on a fresh copy of a seeded
database, through FastAPI's TestClient. The auth tests can also run against a
live server: `pytest tests/auth --base-url http://127.0.0.1:8123` (the option
comes from pytest-playwright; we do not define it again) or the environment
variable GATES_BASE_URL. Against a live server, TOOLLIB_JWT_SECRET in the
environment lets the tests forge an expired token.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import live_url
from toollib import db
from toollib.main import Settings, create_app

JWT_SECRET = secrets.token_urlsafe(32)  # per test session; the app has no default
WEBHOOK_SECRET = "whsec_" + secrets.token_hex(16)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / db.DB_NAME
    db.init(path)
    return path


@pytest.fixture
def settings(seeded_db: Path, tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(seeded_db, data / db.DB_NAME)  # seeding once is faster than per test
    return Settings(data_dir=data, jwt_secret=JWT_SECRET, webhook_secret=WEBHOOK_SECRET)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Iterator[httpx.Client | TestClient]:
    """The live server when one is given, else the app in-process."""
    url = live_url(request.config)
    if url is None:
        yield request.getfixturevalue("client")
        return
    with httpx.Client(base_url=url, timeout=10) as c:
        yield c


@pytest.fixture
def jwt_secret(request: pytest.FixtureRequest) -> str:
    """The secret the server under test signs with (to forge tokens)."""
    if live_url(request.config) is None:
        return JWT_SECRET
    secret = os.environ.get("TOOLLIB_JWT_SECRET")
    if not secret:
        pytest.skip("a live server's tokens can be forged only with TOOLLIB_JWT_SECRET set")
    return secret
