"""semgrep test target for tls-verification-disabled (Python)."""

import ssl
import urllib.request

import aiohttp
import httpx
import jwt
import requests

CA_BUNDLE = "/etc/ssl/certs/internal-ca.pem"


def fetch_rates() -> dict:
    # ruleid: tls-verification-disabled
    resp = requests.get("https://rates.example/api", timeout=5, verify=False)
    return resp.json()


def client() -> httpx.Client:
    # ruleid: tls-verification-disabled
    return httpx.Client(base_url="https://api.example", verify=False)


def session() -> requests.Session:
    s = requests.Session()
    # ruleid: tls-verification-disabled
    s.verify = False
    return s


def legacy_open(url: str) -> bytes:
    # ruleid: tls-verification-disabled
    ctx = ssl._create_unverified_context()
    return urllib.request.urlopen(url, context=ctx).read()


def custom_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    # ruleid: tls-verification-disabled
    ctx.check_hostname = False
    # ruleid: tls-verification-disabled
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def aio(url: str) -> str:
    # ruleid: tls-verification-disabled
    connector = aiohttp.TCPConnector(ssl=False)
    async with aiohttp.ClientSession(connector=connector) as s, s.get(url) as r:
        return await r.text()


# --- ok ---------------------------------------------------------------------------


def fetch_rates_ok() -> dict:
    # ok: tls-verification-disabled
    resp = requests.get("https://rates.example/api", timeout=5)
    return resp.json()


def internal_ca() -> httpx.Client:
    # ok: tls-verification-disabled
    return httpx.Client(base_url="https://internal.example", verify=CA_BUNDLE)


def strict_context() -> ssl.SSLContext:
    # ok: tls-verification-disabled
    ctx = ssl.create_default_context(cafile=CA_BUNDLE)
    # ok: tls-verification-disabled
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def read_claims(token: str, key: str) -> dict:
    # signature verification is another rule's business
    # ok: tls-verification-disabled
    return jwt.decode(token, key, algorithms=["HS256"])


def EmailValidation(verify: bool = True) -> object:
    return object()


class SignupForm:
    # wtforms-style e-mail validation that skips the DNS check is not TLS
    # ok: tls-verification-disabled
    email = EmailValidation(verify=False)
