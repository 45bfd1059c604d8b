"""semgrep test target for jwt-unverified-decode (Python)."""

import os

import jwt
from fastapi import Header, HTTPException
from jose import jwt as jose_jwt

SECRET = os.environ["JWT_SECRET"]
JWKS: dict[str, str] = {}


# --- bad ------------------------------------------------------------------------


def current_user(authorization: str = Header(...)) -> str:
    token = authorization.removeprefix("Bearer ")
    # ruleid: jwt-unverified-decode
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims["sub"]


def current_user_none(token: str) -> str:
    # ruleid: jwt-unverified-decode
    claims = jwt.decode(token, SECRET, algorithms=["HS256", "none"])
    return claims["sub"]


def legacy_pyjwt(token: str) -> dict:
    # ruleid: jwt-unverified-decode
    return jwt.decode(token, SECRET, verify=False)


def jose_claims(token: str) -> dict:
    # ruleid: jwt-unverified-decode
    return jose_jwt.get_unverified_claims(token)


NO_VERIFY = {
    "require": ["exp"],
    # ruleid: jwt-unverified-decode
    "verify_signature": False,
}


# --- ok ---------------------------------------------------------------------------


def current_user_ok(authorization: str = Header(...)) -> str:
    token = authorization.removeprefix("Bearer ")
    try:
        # ok: jwt-unverified-decode
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError as exc:
        raise HTTPException(status_code=401, detail="invalid token") from exc
    return claims["sub"]


def rs256_user(token: str) -> str:
    # ok: jwt-unverified-decode
    kid = jwt.get_unverified_header(token)["kid"]
    # ok: jwt-unverified-decode
    claims = jwt.decode(token, JWKS[kid], algorithms=["RS256"], audience="api")
    return claims["sub"]


def explicit_verify(token: str) -> dict:
    # ok: jwt-unverified-decode
    return jose_jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_signature": True})
