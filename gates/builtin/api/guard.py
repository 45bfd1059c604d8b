"""What keeps the fuzz from breaking the configured users and the document's objects.

`env` writes the settings of `guard_hooks.py` (loaded by schemathesis): unsafe
requests whose path values name a configured user or a document example/default go
to a value nobody holds, and a password in any body is the caller's own. `check`
runs after the fuzz: every configured user must still log in; one who cannot is a
GateError naming the unsafe operations whose path or body named them (else all
sent), read from schemathesis's event stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from gates.apptest import credentials
from gates.apptest.app import RunningApp
from gates.apptest.credentials import User
from gates.builtin.api import fuzz
from gates.gate import GateContext, GateError

HOOKS = Path(__file__).with_name("guard_hooks.py")
EXAMPLE_KEYS = ("example", "default")


def protected(spec: Any, users: Sequence[User]) -> list[Any]:
    """The configured usernames and every scalar example/default value of `spec`."""
    found: list[Any] = [u.username for u in users]
    found += [u.name for u in users]
    found += list(_examples(spec))
    return list(dict.fromkeys(str(v) for v in found if v is not None))


def env(work: Path, spec: Any, users: Sequence[User], caller: User | None,
        auth: Mapping[str, Any]) -> dict[str, str]:
    """The variables that load the hooks for a run in `work`."""
    login = credentials.login_config(auth)
    cfg = {"protected": protected(spec, users),
           "unheld_text": credentials.UNHELD_TEXT, "unheld_number": credentials.UNHELD_NUMBER,
           "password_keys": list(dict.fromkeys((login["password_field"],
                                                *credentials.PASSWORD_KEYS))),
           "password": caller.password if caller else None}
    path = work / "guard.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return {"SCHEMATHESIS_HOOKS": str(HOOKS), "GATES_API_GUARD": str(path)}


def check(ctx: GateContext, app: RunningApp, ndjson: Path, users: Sequence[User],
          auth: Mapping[str, Any]) -> None:
    """Every configured user logs in after the fuzz; GateError naming the operations else."""
    with httpx.Client(timeout=10.0, trust_env=False) as client:
        for user in users:
            try:
                credentials.token_for(ctx, auth, client, app.base_url, user)
            except GateError as e:
                requests = fuzz.unsafe_requests(ndjson)
                touched = [op for op, text in requests if user.username in text]
                ops = list(dict.fromkeys(touched or [op for op, _ in requests]))
                raise GateError(
                    f"{user.name} can no longer log in after the schemathesis run "
                    f"({e}); unsafe operations sent"
                    f"{' with their name' if touched else ''}: "
                    f"{', '.join(ops) or 'none'} — exclude the one that breaks it "
                    "([gates.api] exclude)") from None


def _examples(node: Any) -> Iterator[Any]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in EXAMPLE_KEYS and not isinstance(value, (Mapping, list)):
                yield value
            elif key == "examples" and isinstance(value, list):
                yield from (v for v in value if not isinstance(v, (Mapping, list)))
            elif key == "examples" and isinstance(value, Mapping):
                yield from (v["value"] for v in value.values()
                            if isinstance(v, Mapping) and not isinstance(
                                v.get("value"), (Mapping, list, type(None))))
            if isinstance(value, (Mapping, list)):
                yield from _examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _examples(item)
