"""Reservations (a member holds a free tool) and loans (tools out of the shed).

Every reservation and loan belongs to one member. Members see only their own;
someone else's is answered with 404, exactly like one that does not exist.
Admins see everything.

A loan is a checkout of a tool that is free, or reserved by the borrower: their
reservation then becomes the loan. It ends when the tool is returned (by the
borrower or an admin).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, Field

from toollib.auth import CurrentMember, Member, protected
from toollib.db import get_db, now, transaction
from toollib.models import MAX_ID, Error, LoanId, ReservationId, not_found

router = APIRouter(tags=["reservations"])
Db = Annotated[sqlite3.Connection, Depends(get_db)]


class ReservationIn(BaseModel):
    tool_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    days: Annotated[int, Field(ge=1, le=14, description="How long you want it for")] = 7


class ReservationOut(BaseModel):
    id: int
    tool_id: int
    tool_name: str
    member_id: int
    days: int
    created_at: datetime


class LoanIn(BaseModel):
    # the example is a tool the seed leaves free and reservation examples do not take
    tool_id: Annotated[int, Field(ge=1, le=MAX_ID, examples=[2])]
    days: Annotated[int, Field(ge=1, le=14, description="How long you borrow it for")] = 7


class LoanOut(BaseModel):
    id: int
    tool_id: int
    tool_name: str
    member_id: int
    borrowed_at: datetime
    due_at: datetime
    returned_at: datetime | None


_RESERVATION = """
SELECT r.id, r.tool_id, t.name AS tool_name, r.member_id, r.days, r.created_at
FROM reservations r JOIN tools t ON t.id = r.tool_id
"""
_LOAN = """
SELECT l.id, l.tool_id, t.name AS tool_name, l.member_id, l.borrowed_at, l.due_at,
       l.returned_at
FROM loans l JOIN tools t ON t.id = l.tool_id
"""
# `:admin` is 1 for admins: they see every member's objects
RESERVATIONS_SQL = _RESERVATION + "WHERE (:admin OR r.member_id = :member) ORDER BY r.id"
RESERVATION_SQL = _RESERVATION + "WHERE r.id = :id AND (:admin OR r.member_id = :member)"
LOANS_SQL = _LOAN + "WHERE (:admin OR l.member_id = :member) ORDER BY l.id"
LOAN_SQL = _LOAN + "WHERE l.id = :id AND (:admin OR l.member_id = :member)"


def _who(member: Member, object_id: int | None = None) -> dict[str, int | None]:
    return {"admin": int(member.role == "admin"), "member": member.id, "id": object_id}


def _reservation(conn: sqlite3.Connection, member: Member, reservation_id: int) -> ReservationOut:
    row = conn.execute(RESERVATION_SQL, _who(member, reservation_id)).fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such reservation")
    return ReservationOut(**dict(row))


_LINKS = {
    "GetReservation": {"operationId": "get_reservation",
                       "parameters": {"reservation_id": "$response.body#/id"}},
    "CancelReservation": {"operationId": "cancel_reservation",
                          "parameters": {"reservation_id": "$response.body#/id"}},
}


@router.post("/api/reservations", response_model=ReservationOut, status_code=201,
             summary="Reserve a tool",
             **protected("member", "admin", responses={
                 201: {"description": "Reserved", "links": _LINKS},
                 **not_found("tool"),
                 409: {"description": "The tool is on loan or reserved", "model": Error}}))
def create_reservation(body: ReservationIn, member: CurrentMember, conn: Db) -> ReservationOut:
    with transaction(conn):  # no two members reserve the same tool
        tool = conn.execute("SELECT id FROM tools WHERE id = ?", (body.tool_id,)).fetchone()
        if tool is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such tool")
        busy = conn.execute(
            "SELECT 1 FROM reservations WHERE tool_id = :t "
            "UNION ALL SELECT 1 FROM loans WHERE tool_id = :t AND returned_at IS NULL",
            {"t": body.tool_id},
        ).fetchone()
        if busy:
            raise HTTPException(status.HTTP_409_CONFLICT, "the tool is on loan or reserved")
        cur = conn.execute(
            "INSERT INTO reservations (tool_id, member_id, days, created_at) "
            "VALUES (?, ?, ?, ?)",
            (body.tool_id, member.id, body.days, now()),
        )
    return _reservation(conn, member, int(cur.lastrowid or 0))


@router.get("/api/reservations", response_model=list[ReservationOut],
            summary="Your reservations (admins: all)",
            **protected("member", "admin", responses={200: {
                "description": "Reservations, oldest first",
                "links": {"GetFirstReservation": {
                    "operationId": "get_reservation",
                    "parameters": {"reservation_id": "$response.body#/0/id"}}}}}))
def list_reservations(member: CurrentMember, conn: Db) -> list[ReservationOut]:
    return [ReservationOut(**dict(r)) for r in conn.execute(RESERVATIONS_SQL, _who(member))]


@router.get("/api/reservations/{reservation_id}", response_model=ReservationOut,
            summary="One of your reservations",
            **protected("member", "admin", owner_list="/api/reservations"))
def get_reservation(reservation_id: ReservationId, member: CurrentMember,
                    conn: Db) -> ReservationOut:
    return _reservation(conn, member, reservation_id)


@router.delete("/api/reservations/{reservation_id}", status_code=204, response_class=Response,
               summary="Cancel one of your reservations",
               **protected("member", "admin", owner_list="/api/reservations"))
def cancel_reservation(reservation_id: ReservationId, member: CurrentMember,
                       conn: Db) -> Response:
    _reservation(conn, member, reservation_id)
    conn.execute("DELETE FROM reservations WHERE id = ?", (reservation_id,))
    return Response(status_code=204)


def _loan(conn: sqlite3.Connection, member: Member, loan_id: int) -> LoanOut:
    row = conn.execute(LOAN_SQL, _who(member, loan_id)).fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such loan")
    return LoanOut(**dict(row))


_LOAN_LINKS = {
    "GetLoan": {"operationId": "get_loan", "parameters": {"loan_id": "$response.body#/id"}},
    "ReturnLoan": {"operationId": "return_loan",
                   "parameters": {"loan_id": "$response.body#/id"}},
}


@router.post("/api/loans", response_model=LoanOut, status_code=201,
             summary="Borrow a tool (a free one, or one you reserved)",
             **protected("member", "admin", responses={
                 201: {"description": "Borrowed; your reservation of it, if any, is used up",
                       "links": _LOAN_LINKS},
                 **not_found("tool"),
                 409: {"description": "The tool is on loan or reserved by someone else",
                       "model": Error}}))
def checkout_loan(body: LoanIn, member: CurrentMember, conn: Db) -> LoanOut:
    with transaction(conn):  # no two members borrow the same tool
        tool = conn.execute("SELECT id FROM tools WHERE id = ?", (body.tool_id,)).fetchone()
        if tool is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such tool")
        out = conn.execute("SELECT 1 FROM loans WHERE tool_id = ? AND returned_at IS NULL",
                           (body.tool_id,)).fetchone()
        held = conn.execute("SELECT id, member_id FROM reservations WHERE tool_id = ?",
                            (body.tool_id,)).fetchall()
        if out or any(r["member_id"] != member.id for r in held):
            raise HTTPException(status.HTTP_409_CONFLICT,
                                "the tool is on loan or reserved by someone else")
        conn.execute("DELETE FROM reservations WHERE tool_id = ? AND member_id = ?",
                     (body.tool_id, member.id))
        borrowed = datetime.now(UTC).replace(microsecond=0)
        cur = conn.execute(
            "INSERT INTO loans (tool_id, member_id, borrowed_at, due_at) VALUES (?, ?, ?, ?)",
            (body.tool_id, member.id, borrowed.isoformat(),
             (borrowed + timedelta(days=body.days)).isoformat()),
        )
    return _loan(conn, member, int(cur.lastrowid or 0))


@router.get("/api/loans", response_model=list[LoanOut], summary="Your loans (admins: all)",
            **protected("member", "admin", responses={200: {
                "description": "Loans, oldest first",
                "links": {"GetFirstLoan": {"operationId": "get_loan",
                                           "parameters": {"loan_id": "$response.body#/0/id"}}}}}))
def list_loans(member: CurrentMember, conn: Db) -> list[LoanOut]:
    return [LoanOut(**dict(r)) for r in conn.execute(LOANS_SQL, _who(member))]


@router.get("/api/loans/{loan_id}", response_model=LoanOut, summary="One of your loans",
            **protected("member", "admin", owner_list="/api/loans"))
def get_loan(loan_id: LoanId, member: CurrentMember, conn: Db) -> LoanOut:
    return _loan(conn, member, loan_id)


@router.post("/api/loans/{loan_id}/return", response_model=LoanOut,
             summary="Return a tool you borrowed (admins: any)",
             **protected("member", "admin", owner_list="/api/loans", responses={
                 200: {"description": "Returned: the tool is free again"},
                 409: {"description": "Already returned", "model": Error}}))
def return_loan(loan_id: LoanId, member: CurrentMember, conn: Db) -> LoanOut:
    with transaction(conn):  # returned once, even when two requests race
        loan = _loan(conn, member, loan_id)
        if loan.returned_at is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, "the tool was already returned")
        conn.execute("UPDATE loans SET returned_at = ? WHERE id = ?", (now(), loan_id))
    return _loan(conn, member, loan_id)
