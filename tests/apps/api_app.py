"""A small API for the api gate's tests: items with prices, adding one needs a token.
FastAPI. `python api_app.py --port P`.

BUG plants one violation of its own OpenAPI document (a branch sets it):
  ""               none
  "500"            GET /api/items?limit=0 divides by zero: a 500 on an edge-case input
  "missing-field"  GET /api/items/{item_id} answers without `price`, which its schema requires
"""

import argparse
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

BUG = ""
USERS = {"ann": "ann-pass"}
TOKENS = {"token-of-ann"}
ITEMS = {1: {"id": 1, "name": "drill", "price": 1500}}

app = FastAPI(title="Items")
bearer = HTTPBearer(auto_error=False)


@app.middleware("http")
async def allow_header(request: Request, call_next):
    """Starlette's 405 names the methods of one route only; name every route's."""
    response = await call_next(request)
    if response.status_code == 405:
        methods = {m for r in app.routes if getattr(r, "path_regex", None)
                   and r.path_regex.match(request.url.path) for m in r.methods or ()}
        response.headers["Allow"] = ", ".join(sorted(methods))
    return response


class Error(BaseModel):
    detail: str


BAD_BODY = {400: {"model": Error, "description": "The body is not valid JSON"}}


class Login(BaseModel):
    username: str
    password: str


class Token(BaseModel):
    access_token: str


def json_integer(v: object) -> object:
    """What JSON Schema calls an integer (6310.0 is one; `false` and "12" are not)."""
    if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v):
        raise ValueError("must be an integer")
    return int(v)


class ItemIn(BaseModel):
    model_config = ConfigDict(strict=True)

    name: Annotated[str, Field(min_length=1, max_length=50)]
    price: Annotated[int, Field(ge=0, le=1_000_000), BeforeValidator(json_integer)]


class Item(ItemIn):
    id: int


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/login", responses={401: {"model": Error}, **BAD_BODY})
def login(body: Login) -> Token:
    if USERS.get(body.username) != body.password:
        raise HTTPException(401, "wrong username or password")
    return Token(access_token=f"token-of-{body.username}")


@app.get("/api/items")
def list_items(limit: Annotated[int, Query(ge=0, le=50)] = 10) -> list[Item]:
    if BUG == "500":
        pages = len(ITEMS) // limit  # ZeroDivisionError for limit=0
        del pages
    return [Item(**i) for i in list(ITEMS.values())[:limit]]


@app.get("/api/items/{item_id}", operation_id="get_item", responses={404: {"model": Error}})
def get_item(item_id: int) -> Item:
    item = ITEMS.get(item_id)
    if item is None:
        raise HTTPException(404, "no such item")
    if BUG == "missing-field":
        return JSONResponse({"id": item["id"], "name": item["name"]})
    return Item(**item)


LINKS = {"GetItem": {"operationId": "get_item", "parameters": {"item_id": "$response.body#/id"}}}


@app.post("/api/items", status_code=201,
          responses={201: {"description": "Added", "links": LINKS}, 401: {"model": Error},
                     **BAD_BODY})
def add_item(body: ItemIn,
             creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Item:
    if creds is None or creds.credentials not in TOKENS:
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    item = Item(id=max(ITEMS) + 1, **body.model_dump())
    ITEMS[item.id] = item.model_dump()
    return item


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
