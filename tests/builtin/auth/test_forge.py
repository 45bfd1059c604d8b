"""Forged tokens, checked with PyJWT (a real verifier): each forgery keeps what it
should and breaks what it should."""

from __future__ import annotations

import time

import jwt as pyjwt
import pytest

from gates.builtin.auth import forge

SECRET = "a-secret-of-at-least-thirty-two-bytes!"


def real(**claims: object) -> str:
    body = {"sub": "2", "role": "member", "exp": int(time.time()) + 600, **claims}
    return pyjwt.encode(body, SECRET, algorithm="HS256")


def claims_of(token: str) -> dict[str, object]:
    # reads the claims of a token the test forged itself: nothing here trusts them
    return pyjwt.decode(token, options={"verify_signature": False})  # nosemgrep


def test_parse_reads_header_and_payload() -> None:
    parsed = forge.parse(real())
    assert parsed is not None
    assert parsed.alg == "HS256" and parsed.payload["sub"] == "2"


@pytest.mark.parametrize("token", ["opaque-token", "a.b.c", "e30.e30.x", "", "a.b"])
def test_parse_refuses_what_is_not_a_jws(token: str) -> None:
    assert forge.parse(token) is None  # e30 = {}: a header without alg


def test_strip_signature_keeps_the_claims_and_fails_verification() -> None:
    token = real()
    forged = forge.strip_signature(forge.parse(token))  # type: ignore[arg-type]
    assert forged.endswith(".") and forged.rsplit(".", 1)[0] == token.rsplit(".", 1)[0]
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(forged, SECRET, algorithms=["HS256"])


def test_alg_none_is_unsigned_with_the_same_claims() -> None:
    forged = forge.alg_none(forge.parse(real()))  # type: ignore[arg-type]
    assert pyjwt.get_unverified_header(forged)["alg"] == "none"
    assert claims_of(forged)["sub"] == "2" and forged.endswith(".")
    with pytest.raises(pyjwt.InvalidAlgorithmError):
        pyjwt.decode(forged, SECRET, algorithms=["HS256"])


def test_tamper_raises_the_role_and_changes_the_subject_under_the_old_signature() -> None:
    token = real()
    forged = forge.tamper(forge.parse(token), "admin", "1")  # type: ignore[arg-type]
    assert claims_of(forged) | {"exp": 0} == {"sub": "1", "role": "admin", "exp": 0}
    assert forged.rsplit(".", 1)[1] == token.rsplit(".", 1)[1]
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(forged, SECRET, algorithms=["HS256"])


@pytest.mark.parametrize(("payload", "expected"), [
    ({"sub": 5, "roles": ["member"]}, {"sub": 1, "roles": ["member", "admin"]}),
    ({"sub": "a", "scope": "read"}, {"sub": "b", "scope": "read admin"}),
    ({"sub": "a", "is_admin": False}, {"sub": "b", "is_admin": True}),
    ({"uid": "a"}, {"uid": "a", "role": "admin"}),
])
def test_tampered_payload_raises_whatever_claim_carries_the_role(
        payload: dict[str, object], expected: dict[str, object]) -> None:
    subject = "1" if isinstance(payload.get("sub"), int) else "b"
    assert forge.tampered_payload(payload, "admin", subject) == expected


def test_a_tampered_payload_always_differs() -> None:
    payload = {"role": "admin", "sub": "1"}
    assert forge.tampered_payload(payload, "admin", "1") != payload


def test_expired_is_validly_signed_and_expired() -> None:
    forged = forge.expired(forge.parse(real(iat=int(time.time()))), SECRET)
    assert forged is not None
    with pytest.raises(pyjwt.ExpiredSignatureError):
        pyjwt.decode(forged, SECRET, algorithms=["HS256"])
    claims = pyjwt.decode(forged, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["sub"] == "2" and claims["iat"] < claims["exp"] < time.time()


def test_fresh_is_accepted_by_a_server_with_that_secret() -> None:
    forged = forge.fresh(forge.parse(real(iat=1)), SECRET)
    assert forged is not None
    claims = pyjwt.decode(forged, SECRET, algorithms=["HS256"])
    assert claims["role"] == "member" and claims["iat"] <= time.time() < claims["exp"]


def test_tokens_not_signed_with_hmac_cannot_be_minted() -> None:
    parsed = forge.parse(real())
    assert parsed is not None
    rs = forge.Jwt({**parsed.header, "alg": "RS256"}, parsed.payload, parsed.parts)
    assert forge.expired(rs, SECRET) is None and forge.fresh(rs, SECRET) is None
