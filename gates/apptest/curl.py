"""A `curl` command line that reproduces one HTTP request, for a finding.

Secrets never reach the line: the caller passes headers whose secret values are
already placeholders (`Bearer <alice's token>`), and `redact` turns the usual
credential headers into placeholders for requests recorded by a tool.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization", "x-api-key", "x-auth-token")
MAX_BODY = 2000


def redact(headers: Mapping[str, str], placeholder: str = "<redacted>") -> dict[str, str]:
    """`headers` with every credential value replaced (the scheme of an
    Authorization header is kept: `Bearer <redacted>`)."""
    out = {}
    for name, v in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme, _, rest = v.partition(" ")
            v = f"{scheme} {placeholder}" if rest and name.lower().endswith(
                "authorization") else placeholder
        out[name] = v
    return out


def curl(method: str, url: str, *, headers: Mapping[str, str] | None = None,
         query: Mapping[str, Any] | None = None, body: Any = None,
         media: str | None = None) -> str:
    """`curl -i -X METHOD [-H …] [--data-binary …] URL`, every part shell-quoted.
    `body`: bytes/str as they are, anything else as JSON (or a form for
    `media` application/x-www-form-urlencoded)."""
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query, doseq=True)
    parts = ["curl", "-i", "-X", method.upper()]
    headers = dict(headers or {})
    if body is not None and media and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = media
    for name, v in headers.items():
        parts += ["-H", f"{name}: {v}"]
    if body is not None:
        parts += ["--data-binary", _body_text(body, media)]
    parts.append(url)
    return " ".join(shlex.quote(p) for p in parts)


def _body_text(body: Any, media: str | None) -> str:
    if isinstance(body, bytes):
        text = body.decode("utf-8", errors="replace")
    elif isinstance(body, str):
        text = body
    elif media == "application/x-www-form-urlencoded" and isinstance(body, Mapping):
        text = urlencode(body, doseq=True)
    else:
        text = json.dumps(body, separators=(",", ":"), default=str)
    return text if len(text) <= MAX_BODY else text[:MAX_BODY] + "…"
