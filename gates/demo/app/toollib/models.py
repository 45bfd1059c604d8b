"""Types shared by the API modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel

MAX_ID = 2**31 - 1


class Error(BaseModel):
    detail: str


def id_path(what: str) -> object:
    return Path(ge=1, le=MAX_ID, description=f"The {what}'s id")


ToolId = Annotated[int, id_path("tool")]
ReservationId = Annotated[int, id_path("reservation")]
LoanId = Annotated[int, id_path("loan")]
InvoiceId = Annotated[int, id_path("invoice")]


def not_found(what: str) -> dict[int | str, dict[str, object]]:
    return {404: {"description": f"No such {what}", "model": Error}}
