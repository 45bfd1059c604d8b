"""semgrep test target for password-plaintext-compare (Python)."""

import hashlib
import hmac
import os
import sqlite3

import bcrypt
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
db = sqlite3.connect("app.db")


class User:
    def __init__(self, email: str, password_hash: bytes, salt: bytes) -> None:
        self.email = email
        self.password_hash = password_hash
        self.salt = salt
        self.password = ""


def find_user(email: str) -> User:
    return User(email, b"", b"")


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)


# --- bad ------------------------------------------------------------------------


@app.post("/login")
def login():
    data = request.get_json()
    user = find_user(data["email"])
    # ruleid: password-plaintext-compare
    if user.password == data["password"]:
        return jsonify(ok=True)
    abort(401)


def check_row(email: str, password: str) -> bool:
    row = db.execute("select password from users where email = ?", (email,)).fetchone()
    # ruleid: password-plaintext-compare
    return password == row["password"]


@app.post("/register")
def register():
    user = find_user(request.json["email"])
    # ruleid: password-plaintext-compare
    user.password = request.json["password"]
    return jsonify(ok=True)


def set_password(user: User, password: str) -> None:
    # ruleid: password-plaintext-compare
    user.password = password


def constant_time_but_plaintext(user: User, password: str) -> bool:
    # ruleid: password-plaintext-compare
    return hmac.compare_digest(password, user.password)


# --- ok ---------------------------------------------------------------------------


def verify_scrypt(user: User, pw: str) -> bool:
    # ok: password-plaintext-compare
    return hmac.compare_digest(hash_password(pw, user.salt), user.password_hash)


def verify_bcrypt(user: User, password: str) -> bool:
    # ok: password-plaintext-compare
    return bcrypt.checkpw(password.encode(), user.password_hash)


def verify_pbkdf2(user: User, password: str) -> bool:
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), user.salt, 600_000)
    # ok: password-plaintext-compare
    return hmac.compare_digest(candidate, user.password_hash)


def store_hash(user: User, password: str) -> None:
    salt = os.urandom(16)
    # ok: password-plaintext-compare
    user.password_hash = hash_password(password, salt)
    user.salt = salt


@app.post("/signup")
def signup():
    data = request.get_json()
    # ok: password-plaintext-compare
    if data["password"] != data["password_confirm"]:
        abort(400)
    # ok: password-plaintext-compare
    if len(data["password"]) < 12:
        abort(400)
    return jsonify(ok=True)


class SmtpClient:
    def __init__(self, user: str, password: str) -> None:
        # a client's own credential is not a user password being stored
        # ok: password-plaintext-compare
        self.password = password
        self.user = user


def register_from_cli(email: str, password: str) -> dict:
    # keyword arguments for a register form that hashes what it is given
    kwargs = {"email": email}
    # ok: password-plaintext-compare
    kwargs["password"] = password
    return kwargs
