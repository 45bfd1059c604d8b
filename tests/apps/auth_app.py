"""A small API for the auth gate's tests: two members, an admin, notes that belong to
one member. FastAPI; tokens are HS256 JWTs made with the standard library, so a
hole can be planted exactly. `python auth_app.py --port P`.

HOLE plants one authorization bug (a branch sets it):
  ""                  none: every check in place
  "no-auth"           GET /api/admin/users forgets its auth dependency
  "alg-none"          an unsigned token (`alg: none`) is taken at its word
  "ignore-signature"  the signature is never checked
  "member-admin"      the role guard lets every signed-in user through
  "bola"              GET /api/notes/{note_id} returns anyone's note
  "expired"           `exp` is never checked
  "unsigned-webhook"  POST /hooks/payment takes events without checking their signature
  "die"               the process exits on the first admin request (a crash mid-probe)
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import time
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

HOLE = ""
SECRET = os.environ["NOTES_JWT_SECRET"]  # the app refuses to start without it
USERS = {"ann": ("ann-pass", "member", 1), "ben": ("ben-pass", "member", 2),
         "root": ("root-pass", "admin", 3)}
NOTES: dict[int, dict] = {}

app = FastAPI(title="Notes")
bearer = HTTPBearer(auto_error=False)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(data: str) -> str:
    return b64(hmac.new(SECRET.encode(), data.encode(), hashlib.sha256).digest())


def issue(uid: int, role: str) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": str(uid), "role": role, "exp": int(time.time()) + 600}).encode())
    return f"{head}.{body}.{sign(head + '.' + body)}"


def decode(token: str) -> dict | None:
    try:
        head, body, sig = token.split(".")
        header, claims = json.loads(unb64(head)), json.loads(unb64(body))
    except ValueError:
        return None
    if header.get("alg") == "none":
        return claims if HOLE == "alg-none" else None
    if HOLE != "ignore-signature" and not hmac.compare_digest(sig, sign(head + "." + body)):
        return None
    if HOLE != "expired" and claims.get("exp", 0) < time.time():
        return None
    return claims


class Caller(BaseModel):
    id: int
    role: str


def current(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    claims = decode(creds.credentials) if creds else None
    if claims is None:
        raise HTTPException(401, "not authenticated")
    return Caller(id=int(claims["sub"]), role=str(claims["role"]))


def role(*allowed: str):
    def guard(caller: Annotated[Caller, Depends(current)]) -> Caller:
        if HOLE == "die" and "member" not in allowed:
            os._exit(3)
        if caller.role not in allowed and HOLE != "member-admin":
            raise HTTPException(403, "not for your role")
        return caller
    return guard


def roles(*allowed: str, **extra: object) -> dict:
    return {"openapi_extra": {"x-roles": list(allowed), **extra}}


class Login(BaseModel):
    username: str
    password: str


class NoteIn(BaseModel):
    text: str


class Note(BaseModel):
    id: int
    owner: int
    text: str


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.post("/login")
def login(body: Login) -> dict:
    user = USERS.get(body.username)
    if user is None or user[0] != body.password:
        raise HTTPException(401, "wrong username or password")
    return {"access_token": issue(user[2], user[1])}


@app.get("/api/me", **roles("member", "admin"))
def me(caller: Annotated[Caller, Depends(role("member", "admin"))]) -> Caller:
    return caller


def admin_users() -> list[str]:
    return sorted(USERS)


if HOLE == "no-auth":
    app.get("/api/admin/users", **roles("admin"))(admin_users)
else:
    app.get("/api/admin/users", dependencies=[Depends(role("admin"))], **roles("admin"))(
        admin_users)


LINKS = {"GetNote": {"operationId": "get_note", "parameters": {"note_id": "$response.body#/id"}}}


@app.post("/api/notes", status_code=201, operation_id="create_note",
          responses={201: {"description": "Created", "links": LINKS}},
          **roles("member", "admin"))
def create_note(body: NoteIn, caller: Annotated[Caller, Depends(role("member", "admin"))]
                ) -> Note:
    note = Note(id=len(NOTES) + 1, owner=caller.id, text=body.text)
    NOTES[note.id] = note.model_dump()
    return note


@app.get("/api/notes", **roles("member", "admin"))
def list_notes(caller: Annotated[Caller, Depends(role("member", "admin"))]) -> list[Note]:
    return [Note(**n) for n in NOTES.values() if n["owner"] == caller.id]


@app.get("/api/notes/{note_id}", operation_id="get_note",
         **roles("member", "admin", **{"x-owner": True, "x-owner-list": "/api/notes"}))
def get_note(note_id: int, caller: Annotated[Caller, Depends(role("member", "admin"))]) -> Note:
    note = NOTES.get(note_id)
    if note is None or (note["owner"] != caller.id and HOLE != "bola"):
        raise HTTPException(404, "no such note")
    return Note(**note)


@app.post("/hooks/payment", openapi_extra={
    "x-webhook": {"provider": "test", "signature_header": "X-Signature"},
    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}})
async def payment_hook(request: Request) -> dict:
    body = await request.body()
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    given = request.headers.get("X-Signature", "")
    if HOLE != "unsigned-webhook" and not hmac.compare_digest(given, expected):
        raise HTTPException(401, "bad signature")
    return {"received": True}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
