"""schemathesis hooks that keep the api gate's fuzz off what it does not own.

Loaded by schemathesis itself (`SCHEMATHESIS_HOOKS` = this file's path) in its own
process, so it imports nothing of `gates`: what it needs comes from the JSON file
named by `GATES_API_GUARD` (written by `gates.builtin.api.guard`):
  protected      path values never written to: the configured users' usernames and
                 every example/default value of the document
  unheld_text, unheld_number   what such a path value becomes
  password_keys, password      body properties that set a password get the caller's own
Every request but GET/HEAD/OPTIONS passes through `before_call`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import schemathesis

SAFE = ("GET", "HEAD", "OPTIONS", "TRACE")
_CFG: dict[str, Any] = json.loads(Path(os.environ["GATES_API_GUARD"]).read_text("utf-8"))
_PROTECTED = {str(v).casefold() for v in _CFG["protected"]}


def _held(value: Any) -> bool:
    return not isinstance(value, (dict, list)) and str(value).casefold() in _PROTECTED


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    method = str(case.method).upper()
    if method in SAFE:
        return
    params = case.path_parameters
    if isinstance(params, dict):
        for name, value in list(params.items()):
            if _held(value):
                number = isinstance(value, (int, float)) and not isinstance(value, bool)
                params[name] = _CFG["unheld_number"] if number else _CFG["unheld_text"]
    body = case.body
    if isinstance(body, dict) and _CFG["password"] is not None:
        for key in _CFG["password_keys"]:
            if key in body:
                body[key] = _CFG["password"]
