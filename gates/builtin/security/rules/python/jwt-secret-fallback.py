"""semgrep test target for jwt-secret-fallback (Python)."""

import os

from flask import Flask
from pydantic_settings import BaseSettings

app = Flask(__name__)

# --- bad ------------------------------------------------------------------------

# ruleid: jwt-secret-fallback
JWT_SECRET = os.getenv("JWT_SECRET", "dev")
# ruleid: jwt-secret-fallback
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "change-me-in-production")
# ruleid: jwt-secret-fallback
WEBHOOK_SECRET = os.getenv("STRIPE_WEBHOOK_SECRET") or "whsec_test_123"
# ruleid: jwt-secret-fallback
SIGNING_KEY = os.environ.get("JWT_SIGNING_KEY", "s3cr3t")


class Settings(BaseSettings):
    database_url: str = "sqlite:///app.db"
    # ruleid: jwt-secret-fallback
    jwt_secret: str = "insecure-dev-secret"


# --- ok ---------------------------------------------------------------------------

# ok: jwt-secret-fallback
SECRET_KEY = os.environ["SECRET_KEY"]
# ok: jwt-secret-fallback
JWT_ALGORITHM = os.getenv("JWT_ALGORITHM", "HS256")
# ok: jwt-secret-fallback
JWT_EXPIRES_IN = os.getenv("JWT_EXPIRES_IN", "3600")
# ok: jwt-secret-fallback
DATABASE_URL = os.getenv("DATABASE_URL", "sqlite:///app.db")
# ok: jwt-secret-fallback
SECRETS_DIR = os.getenv("SECRETS_DIR", "/run/secrets")


def load_secret() -> str:
    # ok: jwt-secret-fallback
    secret = os.getenv("JWT_SECRET", "")
    if not secret:
        raise RuntimeError("JWT_SECRET is not set")
    return secret


class ProdSettings(BaseSettings):
    # ok: jwt-secret-fallback
    jwt_secret: str
    # ok: jwt-secret-fallback
    jwt_algorithm: str = "HS256"
