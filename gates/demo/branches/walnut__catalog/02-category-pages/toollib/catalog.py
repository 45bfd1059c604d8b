"""The catalog: browse and search tools; admins add, change and remove them."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, Field

from toollib.auth import protected
from toollib.db import get_db, insert_tool, search_text
from toollib.models import Error, ToolId, not_found

router = APIRouter(tags=["catalog"])
Db = Annotated[sqlite3.Connection, Depends(get_db)]

MAX_WORDS = 5  # search words beyond the fifth are ignored


class ToolIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    category: Annotated[str, Field(min_length=1, max_length=60)]
    description: Annotated[str, Field(max_length=2000)] = ""
    tags: Annotated[list[Annotated[str, Field(min_length=1, max_length=30)]],
                    Field(max_length=10)] = []


class ToolOut(BaseModel):
    id: int
    name: str
    category: str
    description: str
    tags: list[str]
    available: bool


class CategoryOut(BaseModel):
    name: str
    slug: str = Field(description="The category's name in URLs: /categories/{slug}")
    tools: int
    available: int


class ToolPage(BaseModel):
    items: list[ToolOut]
    limit: int
    offset: int
    total: int = Field(description="How many tools match, over all pages")
    next: str | None = Field(description="The next page (same query), null on the last")
    prev: str | None = Field(description="The previous page, null on the first")


# A tool is available when it is neither on loan nor reserved.
_TOOLS = """
SELECT * FROM (
    SELECT t.id, t.name, t.category, t.description, t.tags, t.search_text,
           NOT EXISTS (SELECT 1 FROM loans l WHERE l.tool_id = t.id AND l.returned_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.tool_id = t.id) AS available
    FROM tools t
)
"""

SEARCH_SQL = _TOOLS + """
WHERE (:category IS NULL OR lower(category) = lower(:category))
  AND (:available IS NULL OR available = :available)
  AND (:w1 IS NULL OR search_text LIKE :w1 ESCAPE '\\')
  AND (:w2 IS NULL OR search_text LIKE :w2 ESCAPE '\\')
  AND (:w3 IS NULL OR search_text LIKE :w3 ESCAPE '\\')
  AND (:w4 IS NULL OR search_text LIKE :w4 ESCAPE '\\')
  AND (:w5 IS NULL OR search_text LIKE :w5 ESCAPE '\\')
ORDER BY (:w1 IS NOT NULL AND lower(name) LIKE :w1 ESCAPE '\\') DESC, name, id
LIMIT :limit OFFSET :offset
"""

COUNT_SQL = """
SELECT COUNT(*) FROM tools t
WHERE (:category IS NULL OR lower(t.category) = lower(:category))
  AND (:available IS NULL OR (
       NOT EXISTS (SELECT 1 FROM loans l WHERE l.tool_id = t.id AND l.returned_at IS NULL)
       AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.tool_id = t.id)) = :available)
  AND (:w1 IS NULL OR t.search_text LIKE :w1 ESCAPE '\\')
  AND (:w2 IS NULL OR t.search_text LIKE :w2 ESCAPE '\\')
  AND (:w3 IS NULL OR t.search_text LIKE :w3 ESCAPE '\\')
  AND (:w4 IS NULL OR t.search_text LIKE :w4 ESCAPE '\\')
  AND (:w5 IS NULL OR t.search_text LIKE :w5 ESCAPE '\\')
"""

ONE_SQL = _TOOLS + "WHERE id = :id"

CATEGORIES_SQL = """
SELECT t.category, COUNT(*) AS tools,
       SUM(NOT EXISTS (SELECT 1 FROM loans l WHERE l.tool_id = t.id AND l.returned_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.tool_id = t.id)) AS available
FROM tools t
GROUP BY t.category ORDER BY t.category
"""


def tool_out(row: sqlite3.Row) -> ToolOut:
    return ToolOut(id=row["id"], name=row["name"], category=row["category"],
                   description=row["description"], tags=json.loads(row["tags"]),
                   available=bool(row["available"]))


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_words(q: str | None) -> list[str]:
    return (q or "").lower().split()[:MAX_WORDS]


def search_tools(conn: sqlite3.Connection, q: str | None, category: str | None,
                 available: bool | None, limit: int, offset: int) -> list[ToolOut]:
    """Tools whose name, description or tags contain every word of `q`."""
    words = [_like(w) for w in search_words(q)]
    words += [None] * (MAX_WORDS - len(words))  # type: ignore[list-item]
    params: dict[str, Any] = {f"w{i + 1}": w for i, w in enumerate(words)}
    params.update(category=category, available=available, limit=limit, offset=offset)
    return [tool_out(row) for row in conn.execute(SEARCH_SQL, params)]


def get_tool_row(conn: sqlite3.Connection, tool_id: int) -> sqlite3.Row:
    row = conn.execute(ONE_SQL, {"id": tool_id}).fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such tool")
    return row


def count_tools(conn: sqlite3.Connection, q: str | None, category: str | None,
                available: bool | None) -> int:
    """How many tools `search_tools` would find over all pages."""
    words: list[str | None] = [_like(w) for w in search_words(q)]
    words += [None] * (MAX_WORDS - len(words))
    params: dict[str, Any] = {f"w{i + 1}": w for i, w in enumerate(words)}
    params.update(category=category, available=available)
    return int(conn.execute(COUNT_SQL, params).fetchone()[0])


def slugify(name: str) -> str:
    """"Ladders & access" -> "ladders-access"."""
    return "-".join(re.findall(r"[a-z0-9]+", name.lower())) or "-"


def list_categories(conn: sqlite3.Connection) -> list[CategoryOut]:
    return [CategoryOut(name=r["category"], slug=slugify(r["category"]), tools=r["tools"],
                        available=r["available"]) for r in conn.execute(CATEGORIES_SQL)]


def page_link(request: Request, offset: int) -> str:
    """The same query at another offset, as a path on this server."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
    return f"{request.url.path}?{urlencode([*params, ('offset', str(offset))])}"


@router.get("/api/tools", response_model=ToolPage, summary="Browse and search the catalog")
def list_tools(
    request: Request,
    conn: Db,
    q: Annotated[str | None, Query(max_length=100, description="Words to look for in "
                                   "name, description and tags (all must match)")] = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    available: Annotated[bool | None, Query(description="Only tools free to reserve")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ToolPage:
    items = search_tools(conn, q, category, available, limit, offset)
    total = count_tools(conn, q, category, available)
    return ToolPage(
        items=items, limit=limit, offset=offset, total=total,
        next=page_link(request, offset + limit) if offset + limit < total else None,
        prev=page_link(request, max(offset - limit, 0)) if offset > 0 else None,
    )


@router.get("/api/tools/{tool_id}", response_model=ToolOut, responses=not_found("tool"),
            summary="One tool")
def get_tool(tool_id: ToolId, conn: Db) -> ToolOut:
    return tool_out(get_tool_row(conn, tool_id))


@router.get("/api/categories", response_model=list[CategoryOut],
            summary="The catalog's categories, with how many tools are free")
def categories(conn: Db) -> list[CategoryOut]:
    return list_categories(conn)


# --- admin ----------------------------------------------------------------------

_TOOL_LINKS = {
    "GetTool": {"operationId": "get_tool", "parameters": {"tool_id": "$response.body#/id"}},
    "UpdateTool": {"operationId": "update_tool", "parameters": {"tool_id": "$response.body#/id"}},
    "DeleteTool": {"operationId": "delete_tool", "parameters": {"tool_id": "$response.body#/id"}},
}


@router.post("/api/admin/tools", response_model=ToolOut, status_code=201, tags=["admin"],
             summary="Add a tool",
             **protected("admin", responses={201: {"description": "The new tool",
                                                   "links": _TOOL_LINKS}}))
def create_tool(body: ToolIn, conn: Db) -> ToolOut:
    tool_id = insert_tool(conn, body.name, body.category, body.description, body.tags)
    return tool_out(get_tool_row(conn, tool_id))


@router.put("/api/admin/tools/{tool_id}", response_model=ToolOut, tags=["admin"],
            summary="Change a tool", **protected("admin", responses=not_found("tool")))
def update_tool(tool_id: ToolId, body: ToolIn, conn: Db) -> ToolOut:
    get_tool_row(conn, tool_id)
    conn.execute(
        "UPDATE tools SET name = ?, category = ?, description = ?, tags = ?, search_text = ? "
        "WHERE id = ?",
        (body.name, body.category, body.description, json.dumps(body.tags),
         search_text(body.name, body.description, body.tags), tool_id),
    )
    return tool_out(get_tool_row(conn, tool_id))


@router.delete("/api/admin/tools/{tool_id}", status_code=204, response_class=Response,
               tags=["admin"], summary="Remove a tool",
               **protected("admin", responses={
                   **not_found("tool"),
                   409: {"description": "The tool is on loan or reserved", "model": Error}}))
def delete_tool(tool_id: ToolId, conn: Db) -> Response:
    if not get_tool_row(conn, tool_id)["available"]:
        raise HTTPException(status.HTTP_409_CONFLICT, "the tool is on loan or reserved")
    conn.execute("DELETE FROM tools WHERE id = ?", (tool_id,))
    return Response(status_code=204)
