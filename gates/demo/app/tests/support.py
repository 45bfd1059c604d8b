"""What the tests share: the seeded accounts, logging in, signing Stripe events."""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from typing import Any, Protocol

import pytest

from toollib.db import SEED_MEMBERS

# who -> (e-mail, password), from the seed every fresh database gets
USERS = {email.split("@")[0]: (email, password) for email, _, _, password in SEED_MEMBERS}
MEMBER_IDS = {"admin": 1, "alice": 2, "bob": 3}


def live_url(config: pytest.Config) -> str | None:
    """The server to test: `--base-url` (pytest-playwright's option), else GATES_BASE_URL;
    None: test the app in-process."""
    url = config.getoption("base_url", default=None) or os.environ.get("GATES_BASE_URL")
    return url.rstrip("/") if url else None


class Client(Protocol):
    """httpx.Client and FastAPI's TestClient alike."""

    def get(self, url: str, **kw: Any) -> Any: ...
    def post(self, url: str, **kw: Any) -> Any: ...
    def put(self, url: str, **kw: Any) -> Any: ...
    def delete(self, url: str, **kw: Any) -> Any: ...


def login(client: Client, who: str) -> dict[str, str]:
    """Authorization headers for one of the seeded accounts."""
    email, password = USERS[who]
    resp = client.post("/api/auth/login", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe sends: HMAC-SHA256 over `timestamp.payload`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"
