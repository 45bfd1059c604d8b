"""Members: register, log in, who am I; admins list everyone."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from toollib.auth import CurrentMember, Role, check_login, issue_token, protected
from toollib.db import get_db, now
from toollib.models import Error
from toollib.passwords import hash_password

router = APIRouter(tags=["members"])
Db = Annotated[sqlite3.Connection, Depends(get_db)]

Email = Annotated[str, Field(min_length=6, max_length=254,
                             pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
                             examples=["alice@toollib.test"])]


class RegisterIn(BaseModel):
    email: Email
    name: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=8, max_length=128)]


class LoginIn(BaseModel):
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=128)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class MemberOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    created_at: datetime


def member_out(row: sqlite3.Row) -> MemberOut:
    return MemberOut(id=row["id"], email=row["email"], name=row["name"], role=row["role"],
                     created_at=row["created_at"])


@router.post("/api/members/register", response_model=MemberOut, status_code=201,
             summary="Join the library",
             responses={409: {"description": "E-mail already registered", "model": Error}})
def register(body: RegisterIn, conn: Db) -> MemberOut:
    try:
        cur = conn.execute(
            "INSERT INTO members (email, name, role, password_hash, created_at) "
            "VALUES (?, ?, 'member', ?, ?)",
            (body.email.lower(), body.name, hash_password(body.password), now()),
        )
    except sqlite3.IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, "e-mail already registered") from None
    row = conn.execute("SELECT * FROM members WHERE id = ?", (cur.lastrowid,)).fetchone()
    return member_out(row)


@router.post("/api/auth/login", response_model=TokenOut, summary="Get a bearer token",
             responses={401: {"description": "Wrong e-mail or password", "model": Error}})
def login(body: LoginIn, conn: Db, request: Request) -> TokenOut:
    row = check_login(conn, body.email, body.password)
    if row is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong e-mail or password")
    settings = request.app.state.settings
    token = issue_token(settings.jwt_secret, row["id"], row["role"], settings.token_ttl)
    return TokenOut(access_token=token, expires_in=settings.token_ttl)


@router.get("/api/members/me", response_model=MemberOut, summary="The member you are",
            **protected("member", "admin"))
def me(member: CurrentMember, conn: Db) -> MemberOut:
    return member_out(conn.execute("SELECT * FROM members WHERE id = ?",
                                   (member.id,)).fetchone())


@router.get("/api/admin/members", response_model=list[MemberOut], tags=["admin"],
            summary="Every member", **protected("admin"))
def list_members(conn: Db) -> list[MemberOut]:
    return [member_out(r) for r in conn.execute("SELECT * FROM members ORDER BY id")]
