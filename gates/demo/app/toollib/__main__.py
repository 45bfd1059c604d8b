"""`python -m toollib --host 127.0.0.1 --port 8123 --data ./data`

Secrets come from the environment, never from code: TOOLLIB_JWT_SECRET (at
least 32 bytes) signs the login tokens, TOOLLIB_WEBHOOK_SECRET (Stripe's
`whsec_...`) verifies the payment webhook. `--dev` makes throw-away ones for a
quick local try.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

import uvicorn

from toollib.main import Settings, SettingsError, create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m toollib", description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8123)
    p.add_argument("--data", type=Path, default=Path("data"),
                   help="folder of the SQLite database (created and seeded when new)")
    p.add_argument("--dev", action="store_true",
                   help="random secrets when the environment has none (tokens die with the "
                        "process)")
    p.add_argument("--access-log", action="store_true", help="log every request")
    return p.parse_args(argv)


def secret(name: str, dev: bool) -> str:
    value = os.environ.get(name, "")
    if value:
        return value
    if dev:
        print(f"toollib: {name} not set; --dev uses a random one", file=sys.stderr)
        return secrets.token_urlsafe(32)
    sys.exit(f"toollib: set {name} in the environment (or pass --dev for a local try)")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = Settings(data_dir=args.data.resolve(),
                        jwt_secret=secret("TOOLLIB_JWT_SECRET", args.dev),
                        webhook_secret=secret("TOOLLIB_WEBHOOK_SECRET", args.dev))
    try:
        app = create_app(settings)
    except SettingsError as e:
        sys.exit(f"toollib: {e}")
    print(f"toollib: serving on http://{args.host}:{args.port} (data in {settings.data_dir})",
          flush=True)
    uvicorn.run(app, host=args.host, port=args.port, access_log=args.access_log,
                log_level="info")


if __name__ == "__main__":
    main()
