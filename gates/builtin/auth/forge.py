"""Forged JSON Web Tokens for the auth probe: what a server must refuse.

From a real token (one the app issued at login) we make: the same token with its
signature stripped, re-encoded with `alg: none`, with a tampered payload (role
raised, subject changed) under the original signature, and — when the test
app's HMAC secret is known — a validly signed token that has expired.
Nothing here checks a signature: only servers do that.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

MALFORMED = "gates.malformed.token"
HMAC_ALGS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
ROLE_CLAIMS = ("role", "roles", "groups", "scope", "scopes", "scp", "permissions")
ADMIN_FLAGS = ("admin", "is_admin", "is_staff", "superuser", "is_superuser")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_part(data: dict[str, Any]) -> str:
    return b64url(json.dumps(data, separators=(",", ":")).encode())


@dataclass(frozen=True)
class Jwt:
    header: dict[str, Any]
    payload: dict[str, Any]
    parts: tuple[str, str, str]  # the encoded header, payload and signature

    @property
    def alg(self) -> str:
        return str(self.header.get("alg", ""))


def parse(token: str) -> Jwt | None:
    """The token's header and payload, or None when it is not a JWS compact JWT."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(unb64url(parts[0]))
        payload = json.loads(unb64url(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict) or "alg" not in header:
        return None
    return Jwt(header, payload, (parts[0], parts[1], parts[2]))


def strip_signature(jwt: Jwt) -> str:
    return f"{jwt.parts[0]}.{jwt.parts[1]}."


def alg_none(jwt: Jwt) -> str:
    header = {**jwt.header, "alg": "none"}
    return f"{_json_part(header)}.{jwt.parts[1]}."


def tampered_payload(payload: dict[str, Any], admin_role: str, subject: str | None
                     ) -> dict[str, Any]:
    """The payload with its role raised to `admin_role` and its subject set to
    `subject` (another real user's, when one is known); always differs from the input."""
    out = dict(payload)
    raised = False
    for claim in ROLE_CLAIMS:
        if claim not in out:
            continue
        value = out[claim]
        if isinstance(value, list):
            out[claim] = [*value, admin_role] if admin_role not in value else value
        elif isinstance(value, str) and claim.startswith("sc"):
            out[claim] = f"{value} {admin_role}".strip()
        else:
            out[claim] = admin_role
        raised = True
    for flag in ADMIN_FLAGS:
        if isinstance(out.get(flag), bool):
            out[flag] = True
            raised = True
    if not raised:
        out["role"] = admin_role
    if subject is not None and "sub" in out:
        out["sub"] = subject if isinstance(out["sub"], str) else _same_type(out["sub"], subject)
    if out == payload:
        out["gates_tampered"] = True
    return out


def _same_type(original: Any, value: str) -> Any:
    if isinstance(original, int):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def tamper(jwt: Jwt, admin_role: str, subject: str | None) -> str:
    """The tampered payload under the original header and signature."""
    payload = tampered_payload(jwt.payload, admin_role, subject)
    return f"{jwt.parts[0]}.{_json_part(payload)}.{jwt.parts[2]}"


def sign_hmac(header: dict[str, Any], payload: dict[str, Any], secret: str) -> str:
    digest = HMAC_ALGS[str(header["alg"])]
    signing_input = f"{_json_part(header)}.{_json_part(payload)}"
    sig = hmac.new(secret.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64url(sig)}"


def expired(jwt: Jwt, secret: str, now: float | None = None) -> str | None:
    """The same claims, validly signed with `secret`, expired an hour ago; None when
    the token is not HMAC-signed (we cannot mint it)."""
    return _resigned(jwt, secret, -3600, now)


def fresh(jwt: Jwt, secret: str, now: float | None = None) -> str | None:
    """The same claims signed with `secret`, valid for ten more minutes: a server that
    refuses it does not sign with `secret` (the expired probe would prove nothing)."""
    return _resigned(jwt, secret, 600, now)


def _resigned(jwt: Jwt, secret: str, exp_in: int, now: float | None) -> str | None:
    if jwt.alg not in HMAC_ALGS:
        return None
    t = int(now if now is not None else time.time())
    payload = {**jwt.payload, "exp": t + exp_in}
    for claim in ("iat", "nbf"):
        if claim in payload:
            payload[claim] = min(t, t + exp_in) - 3600
    return sign_hmac(jwt.header, payload, secret)
