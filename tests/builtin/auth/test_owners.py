"""Whose object: the owner's object found through a link, a configured create
operation or the owner's list, on a real small API (tests/json_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gates.apptest import openapi
from gates.apptest.credentials import User
from gates.builtin.auth import owners
from gates.builtin.auth.session import ProbeConfig, Session
from gates.errors import ConfigError
from tests.json_server import serve

ANN, BEN, ROOT = (User("ann", "ann", "a", "member"), User("ben", "ben", "b", "member"),
                  User("root", "root", "r", "admin"))
ROLES = {"x-roles": ["member", "admin"]}
SPEC: dict[str, Any] = {"openapi": "3.1.0", "paths": {
    "/notes": {
        "post": {**ROLES, "operationId": "add", "responses": {"201": {"links": {"Get": {
            "operationId": "get_note", "parameters": {"note_id": "$response.body#/note/id"}}}}}},
        "get": ROLES},
    "/notes/{note_id}": {"get": {**ROLES, "operationId": "get_note", "x-owner": True}},
    "/loans": {"get": ROLES},
    "/loans/{loan_id}": {"get": {**ROLES, "x-owner": True, "x-owner-list": "/loans"}},
    "/bills": {"post": ROLES},
    "/bills/{bill_id}": {"get": ROLES},
    "/admin/{thing_id}": {"get": {"x-roles": ["admin"], "x-owner": True}},
    "/receipts": {"post": ROLES},
    "/receipts/{receipt_id}": {"get": ROLES},
    "/users/{username}/email": {"put": ROLES},
}}


@pytest.fixture
def api() -> Iterator[str]:
    routes = {("POST", "/notes"): (201, {"note": {"id": 7}}),
              ("GET", "/loans"): (200, {"items": [{"id": 3}, {"id": 4}]}),
              ("POST", "/bills"): (201, {"bill_id": 11}),
              ("POST", "/receipts"): (200, {"saved": True})}
    with serve(routes) as url:
        yield url


def owned(url: str, **owned_cfg: str) -> dict[str, owners.Owned]:
    cfg = ProbeConfig(values={}, roles={}, owned=owned_cfg, jwt_secret="", admin_role="")
    with httpx.Client(trust_env=False) as client:
        s = Session(client=client, base_url=url, spec=SPEC, cfg=cfg, users=[ROOT, ANN, BEN],
                    tokens={}, deadline=1e18, check_alive=lambda: None)
        return owners.owned_operations(s, openapi.operations(SPEC))


def test_objects_from_a_link_the_owner_list_and_a_configured_create(api: str) -> None:
    found = owned(api, **{"GET /bills/{bill_id}": "POST /bills"})
    note, loan, bill = (found["GET /notes/{note_id}"], found["GET /loans/{loan_id}"],
                        found["GET /bills/{bill_id}"])
    assert (note.owner, note.other, note.values) == (ANN, BEN, {"note_id": 7})
    assert note.how == "created by ann through POST /notes (link)"
    assert (loan.values, loan.how) == ({"loan_id": 3}, "ann's, from GET /loans")
    assert (bill.values, bill.how) == ({"bill_id": 11}, "created by ann through POST /bills")


def test_an_admin_only_operation_has_no_second_user_to_ask(api: str) -> None:
    thing = owned(api)["GET /admin/{thing_id}"]
    assert (thing.owner, thing.other, thing.values) == (ROOT, None, {})
    assert thing.how == "no second user with the role 'admin' to ask for root's object"


def test_a_configured_operation_the_document_lacks_is_an_error(api: str) -> None:
    with pytest.raises(ConfigError, match="owned names 'POST /bill', which the OpenAPI"):
        owned(api, **{"GET /bills/{bill_id}": "POST /bill"})


def test_a_create_whose_answer_names_no_object_says_what_it_needs(api: str) -> None:
    receipt = owned(api, **{"GET /receipts/{receipt_id}": "POST /receipts"})[
        "GET /receipts/{receipt_id}"]
    assert receipt.values == {}
    assert receipt.how == ("POST /receipts answered 200, but its answer carries no receipt_id "
                           "(nor id): return it, or add an OpenAPI link from that response to "
                           "GET /receipts/{receipt_id}")


def test_an_operation_on_a_user_itself_is_the_owner_s_own_name(api: str) -> None:
    email = owned(api, **{"PUT /users/{username}/email": ""})["PUT /users/{username}/email"]
    assert (email.owner, email.other, email.values) == (ANN, BEN, {"username": "ann"})
    assert email.how == "ann itself (username in the path)"
