"""A small accounts API for the real-API tests of the auth and api gates: JWT logins,
users who change their own password and email, an admin who deletes users, and a
switch between secure and vulnerable behaviour. FastAPI, SQLite in the data folder
(`--data {tmp}`), HS256 tokens made with the standard library.
`python accounts_app.py --port P --data DIR`.

MODE = "secure": every check in place; the password and email changes ignore the
`{username}` of their path and act on the caller (2xx for anyone on any path, and no
hole). MODE = "vulnerable" turns every hole of HOLES on; a branch may also name some:
  "admin-open"   GET /admin/stats forgets its auth check (one cause, many callers)
  "bola-read"    GET /users/{username} returns anyone's account
  "bola-write"   the password and email changes act on the path's user
  "sqli"         GET /users/{username} builds its SQL from the path value
  "mass-assign"  POST /register takes `admin` from the request body
  "weak-key"     tokens are signed with a short dictionary word
  "cors-headers" any Origin is echoed with credentials allowed; the home page has no
                 security headers
  "delete-open"  (only by name, not in "vulnerable") DELETE /users/{username} lets
                 anyone in, and its document gives "alice" and "bob" as examples
  "lockout"      (only by name) POST /lockout, open to anyone, gives every member a
                 new random password
GET /createdb resets the database (an operation a probe must never call).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

MODE = "secure"
HOLES = ""
ALL = {"admin-open", "bola-read", "bola-write", "sqli", "mass-assign", "weak-key",
       "cors-headers"}
ON = (ALL if MODE == "vulnerable" else set()) | {h for h in HOLES.split(",") if h}
SECRET = "monkey" if "weak-key" in ON else os.environ["ACCOUNTS_JWT_SECRET"]
SEED = [("alice", "alice-pass-1", "alice@accounts.test", 0),
        ("bob", "bob-pass-1", "bob@accounts.test", 0),
        ("root", "root-pass-1", "root@accounts.test", 1)]

app = FastAPI(title="Accounts")
bearer = HTTPBearer(auto_error=False)
DB: Path = Path()


@app.middleware("http")
async def log_requests(request: Request, call_next):  # the tests read what was called
    print(f"request {request.method} {request.url.path}", flush=True)
    response = await call_next(request)
    if "cors-headers" in ON and "origin" in request.headers:
        response.headers["Access-Control-Allow-Origin"] = request.headers["origin"]
        response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


def db() -> sqlite3.Connection:
    con = sqlite3.connect(DB)
    con.row_factory = sqlite3.Row
    return con


def create_db() -> None:
    with db() as con:
        con.execute("DROP TABLE IF EXISTS users")
        con.execute("CREATE TABLE users (username TEXT PRIMARY KEY, password TEXT, "
                    "email TEXT, admin INTEGER)")
        con.executemany("INSERT INTO users VALUES (?, ?, ?, ?)", SEED)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(data: str) -> str:
    return b64(hmac.new(SECRET.encode(), data.encode(), hashlib.sha256).digest())


def issue(username: str, admin: bool) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": username, "admin": admin,
                           "exp": int(time.time()) + 600}).encode())
    return f"{head}.{body}.{sign(head + '.' + body)}"


def caller(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> dict:
    try:
        head, body, sig = creds.credentials.split(".") if creds else ("", "", "")
        header, claims = json.loads(unb64(head)), json.loads(unb64(body))
    except ValueError:
        raise HTTPException(401, "not authenticated") from None
    if header.get("alg") != "HS256" or not hmac.compare_digest(sig, sign(head + "." + body)):
        raise HTTPException(401, "bad token")
    if claims.get("exp", 0) < time.time():
        raise HTTPException(401, "expired")
    with db() as con:
        row = con.execute("SELECT * FROM users WHERE username = ?", (claims["sub"],)).fetchone()
    if row is None:
        raise HTTPException(401, "no such user")
    return dict(row)


def admin(who: Annotated[dict, Depends(caller)]) -> dict:
    if not who["admin"]:
        raise HTTPException(403, "admins only")
    return who


class Register(BaseModel):
    model_config = ConfigDict(extra="allow")
    username: str
    password: str
    email: str


class Login(BaseModel):
    username: str
    password: str


class Password(BaseModel):
    password: str


class Email(BaseModel):
    email: str


class Account(BaseModel):
    username: str
    email: str
    admin: bool


def account(row: sqlite3.Row | dict) -> Account:
    return Account(username=row["username"], email=row["email"], admin=bool(row["admin"]))


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/", response_class=HTMLResponse)
def home(response: Response) -> str:
    if "cors-headers" not in ON:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "default-src 'self'"
    return "<!doctype html><title>Accounts</title><h1>Accounts</h1>"


@app.get("/createdb")
def createdb() -> dict:
    create_db()
    return {"created": True}


@app.post("/register", status_code=201)
def register(body: Register) -> Account:
    extra = body.model_extra or {}
    is_admin = bool(extra.get("admin")) if "mass-assign" in ON else False
    try:
        with db() as con:
            con.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                        (body.username, body.password, body.email, int(is_admin)))
    except sqlite3.IntegrityError:
        raise HTTPException(409, "taken") from None
    return Account(username=body.username, email=body.email, admin=is_admin)


@app.post("/login")
def login(body: Login) -> dict:
    with db() as con:
        row = con.execute("SELECT * FROM users WHERE username = ?", (body.username,)).fetchone()
    if row is None or row["password"] != body.password:
        raise HTTPException(401, "wrong username or password")
    return {"access_token": issue(row["username"], bool(row["admin"]))}


@app.get("/users/{username}")
def get_user(username: str, who: Annotated[dict, Depends(caller)]) -> Account:
    with db() as con:
        if "sqli" in ON:
            sql = f"SELECT * FROM users WHERE username = '{username}'"  # the planted hole
            row = con.execute(sql).fetchone()
        else:
            row = con.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    mine = row is not None and (row["username"] == who["username"] or who["admin"])
    if row is None or not (mine or "bola-read" in ON):
        raise HTTPException(404, "no such user")
    return account(row)


def target(username: str, who: dict) -> str:
    """Whose account a change acts on: the caller's own (secure), or the path's."""
    return username if "bola-write" in ON else who["username"]


@app.put("/users/{username}/password", status_code=204)
def change_password(username: str, body: Password, who: Annotated[dict, Depends(caller)]
                    ) -> Response:
    with db() as con:
        con.execute("UPDATE users SET password = ? WHERE username = ?",
                    (body.password, target(username, who)))
    return Response(status_code=204)


@app.put("/users/{username}/email")
def change_email(username: str, body: Email, who: Annotated[dict, Depends(caller)]) -> Account:
    name = target(username, who)
    with db() as con:
        con.execute("UPDATE users SET email = ? WHERE username = ?", (body.email, name))
        row = con.execute("SELECT * FROM users WHERE username = ?", (name,)).fetchone()
    if row is None:
        raise HTTPException(404, "no such user")
    return account(row)


def delete_user(username: str) -> Response:
    with db() as con:
        gone = con.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount
    if not gone:
        raise HTTPException(404, "no such user")
    return Response(status_code=204)


if "delete-open" in ON:
    @app.delete("/users/{username}", status_code=204)
    def delete_anyone(username: Annotated[str, PathParam(examples=["alice", "bob"])]
                      ) -> Response:
        return delete_user(username)
else:
    @app.delete("/users/{username}", status_code=204)
    def delete_as_admin(username: str, who: Annotated[dict, Depends(admin)]) -> Response:
        return delete_user(username)


if "lockout" in ON:
    @app.post("/lockout")
    def lockout() -> dict:
        with db() as con:
            con.execute("UPDATE users SET password = hex(randomblob(8)) WHERE admin = 0")
        return {"locked": True}


def stats() -> dict:
    with db() as con:
        return {"users": con.execute("SELECT COUNT(*) FROM users").fetchone()[0]}


if "admin-open" in ON:
    app.get("/admin/stats", dependencies=[Depends(bearer)])(stats)
else:
    app.get("/admin/stats", dependencies=[Depends(admin)])(stats)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    DB = Path(args.data) / "accounts.db"
    print(f"data {'kept' if DB.exists() else 'new'} {args.data}", flush=True)
    create_db()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
