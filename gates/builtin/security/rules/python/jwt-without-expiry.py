"""semgrep test target for jwt-without-expiry (Python)."""

import os
from datetime import UTC, datetime, timedelta

import jwt

SECRET = os.environ["JWT_SECRET"]
ACCESS_TTL = timedelta(minutes=15)


# --- bad ------------------------------------------------------------------------


def issue(user_id: str) -> str:
    # ruleid: jwt-without-expiry
    return jwt.encode({"sub": user_id, "role": "user"}, SECRET, algorithm="HS256")


def issue_from_payload(user_id: str) -> str:
    payload = {"sub": user_id, "iat": datetime.now(UTC)}
    # ruleid: jwt-without-expiry
    return jwt.encode(payload, SECRET, algorithm="HS256")


# --- ok ---------------------------------------------------------------------------


def issue_ok(user_id: str) -> str:
    # ok: jwt-without-expiry
    return jwt.encode(
        {"sub": user_id, "exp": datetime.now(UTC) + ACCESS_TTL}, SECRET, algorithm="HS256"
    )


def issue_payload_ok(user_id: str) -> str:
    now = datetime.now(UTC)
    payload = {"sub": user_id, "iat": now}
    payload["exp"] = now + ACCESS_TTL
    # ok: jwt-without-expiry
    return jwt.encode(payload, SECRET, algorithm="HS256")


def reissue(claims: dict) -> str:
    # the payload comes from elsewhere: nothing to say about it here
    # ok: jwt-without-expiry
    return jwt.encode(claims, SECRET, algorithm="HS256")


def issue_merged(base: dict) -> str:
    # ok: jwt-without-expiry
    return jwt.encode({**base, "sub": "svc"}, SECRET, algorithm="HS256")
