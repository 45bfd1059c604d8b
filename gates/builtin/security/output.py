"""What bandit's and semgrep's JSON reports have in common: reading one (a tool that
printed something else fails the gate) and the paths it names, as the repo writes them."""

from __future__ import annotations

import json
import posixpath
from typing import Any

from gates.gate import GateError


def rel(path: str) -> str:
    """A path a tool printed, in the repo's form ("./app/x.py" -> "app/x.py")."""
    return posixpath.normpath(path.replace("\\", "/"))


def load(tool: str, raw: str) -> Any:
    """`raw` read as JSON; GateError naming `tool` when it is not."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise GateError(f"{tool} printed something that is not JSON: {e}: {raw[:200]!r}") from None
