"""Passwords, tokens, and the role guard every protected route uses.

Passwords: scrypt with a random salt, compared in constant time.
Tokens: JWT HS256 with `sub` (member id), `role` and `exp`, signed with
TOOLLIB_JWT_SECRET; decoding pins the algorithm and requires `exp`.

A protected route takes `**protected("member", "admin")`: that adds the role
guard as a dependency, the 401/403 responses, and `x-roles` in the OpenAPI
document, so what the code enforces and what the document says cannot drift.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from toollib.db import get_db
from toollib.models import Error
from toollib.passwords import hash_password, verify_password

Role = Literal["member", "admin"]
TOKEN_TTL = 3600  # seconds

# spent on unknown e-mails too, so that timing does not tell which accounts exist
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def check_login(conn: sqlite3.Connection, email: str, password: str) -> sqlite3.Row | None:
    row = conn.execute("SELECT * FROM members WHERE email = ?", (email.lower(),)).fetchone()
    ok = verify_password(password, row["password_hash"] if row else _DUMMY_HASH)
    return row if row is not None and ok else None


def issue_token(secret: str, member_id: int, role: str, ttl: int = TOKEN_TTL) -> str:
    now = int(time.time())
    claims = {"sub": str(member_id), "role": role, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_token(secret: str, token: str) -> dict[str, Any]:
    """The token's claims; raises jwt.InvalidTokenError for anything wrong."""
    return jwt.decode(token, secret, algorithms=["HS256"],
                      options={"require": ["exp", "sub"]})


@dataclass(frozen=True)
class Member:
    id: int
    email: str
    name: str
    role: Role


bearer = HTTPBearer(auto_error=False, description="`POST /api/auth/login` returns the token")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": "Bearer"})


def current_member(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    conn: Annotated[sqlite3.Connection, Depends(get_db)],
) -> Member:
    if credentials is None:
        raise _unauthorized("not authenticated")
    try:
        claims = decode_token(request.app.state.settings.jwt_secret, credentials.credentials)
        member_id = int(claims["sub"])
    except (jwt.InvalidTokenError, ValueError):
        raise _unauthorized("invalid or expired token") from None
    row = conn.execute("SELECT id, email, name, role FROM members WHERE id = ?",
                       (member_id,)).fetchone()
    if row is None:
        raise _unauthorized("unknown member")
    return Member(id=row["id"], email=row["email"], name=row["name"], role=row["role"])


CurrentMember = Annotated[Member, Depends(current_member)]


class RoleGuard:
    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.roles = roles

    def __call__(self, member: CurrentMember) -> None:
        if member.role not in self.roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed for your role")


def protected(*roles: Role, owner_list: str | None = None,
              responses: dict[int | str, dict[str, Any]] | None = None,
              **extra: Any) -> dict[str, Any]:
    """Keyword arguments for a route open to `roles` only.

    `owner_list`: the operation addresses one member's object (reservation, loan,
    invoice); others get 404 and `x-owner-list` names the operation that lists the
    caller's own objects of that kind.
    """
    documented: dict[int | str, dict[str, Any]] = {
        401: {"description": "Missing, invalid or expired token", "model": Error},
    }
    if set(roles) != {"member", "admin"}:
        documented[403] = {"description": "Your role may not do this", "model": Error}
    openapi_extra: dict[str, Any] = {"x-roles": list(roles)}
    if owner_list is not None:
        openapi_extra.update({"x-owner": True, "x-owner-list": owner_list})
        documented[404] = {"description": "No such object among yours", "model": Error}
    documented.update(responses or {})
    return {
        "dependencies": [Depends(RoleGuard(roles))],
        "responses": documented,
        "openapi_extra": openapi_extra,
        **extra,
    }
