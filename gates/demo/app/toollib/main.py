"""The application: settings, routers, health."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from toollib import __version__, catalog, db, members, pages, payments, reservations
from toollib.auth import TOKEN_TTL

MIN_SECRET_BYTES = 32  # HS256 wants a key at least as long as its hash


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    jwt_secret: str
    webhook_secret: str
    token_ttl: int = TOKEN_TTL

    @property
    def db_path(self) -> Path:
        return self.data_dir / db.DB_NAME


class SettingsError(Exception):
    pass


def check(settings: Settings) -> None:
    if len(settings.jwt_secret.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"TOOLLIB_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
    if not settings.webhook_secret:
        raise SettingsError("TOOLLIB_WEBHOOK_SECRET must not be empty")


class Health(BaseModel):
    status: Literal["ok"]


def operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings) -> FastAPI:
    """A ready app: the database exists and is seeded before the first request."""
    check(settings)
    db.init(settings.db_path)
    app = FastAPI(
        title="Tool Library",
        version=__version__,
        description="A community tool library: browse the catalog, reserve tools, "
                    "pay for a membership. Protected operations list their roles in "
                    "`x-roles`; operations on one member's object carry `x-owner`.",
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings

    @app.middleware("http")
    async def security_headers(request: Request, call_next: object) -> Response:
        response: Response = await call_next(request)  # type: ignore[operator]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.status_code == 405:  # Starlette names only the first route's methods
            response.headers["Allow"] = ", ".join(allowed_methods(app, request))
        return response

    @app.get("/health", response_model=Health, tags=["ops"], summary="Liveness")
    def health() -> Health:
        return Health(status="ok")

    for module in (catalog, members, reservations, payments, pages):
        app.include_router(module.router)
    app.openapi = lambda: openapi(app)  # type: ignore[method-assign]
    return app


def _leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI's included routers
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves at this path (for the Allow header of a 405)."""
    methods: set[str] = set()
    scope = {**request.scope, "method": "\0"}
    for route in _leaf_routes(app.router.routes):
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def openapi(app: FastAPI) -> dict[str, object]:
    """FastAPI's document, with errors always JSON (whatever the success response is)
    and the 400 it answers for a body it cannot parse."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version,
                             description=app.description, routes=app.routes)
        for path in schema["paths"].values():
            for op in path.values():
                for code, response in op["responses"].items():
                    content = response.get("content")
                    if code[0] in "45" and content and "application/json" not in content:
                        response["content"] = {"application/json": content.popitem()[1]}
                if "requestBody" in op:
                    op["responses"].setdefault("400", {
                        "description": "The body is not valid JSON",
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"}}}})
        app.openapi_schema = schema
    return app.openapi_schema
