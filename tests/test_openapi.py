"""The OpenAPI document is the contract: valid, and true to what the server sends."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from schemathesis.engine import Status, events, from_schema
from sqlalchemy.orm import Session

from routing.plan_schemas import MAX_TIME_LIMIT_S
from tests import factories
from wastebank import demo
from wastebank.fields import DECIMAL_INPUT_PATTERN, DECIMAL_PATTERN, MAX_PAGE

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.get_json()
    return spec


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        section, kind, name = node["$ref"].removeprefix("#/").split("/")
        node = document[section][kind][name]
    return node


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    """Code generators (and schemathesis) refuse an invalid document."""
    validate(document)


def test_decimals_are_documented_as_the_strings_answers_carry(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    weight = schemas["Deposit"]["properties"]["total_weight_kg"]
    assert weight == {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}
    # A request may send a number (in range) or the same decimal string.
    quantity = schemas["DepositLineCreate"]["properties"]["quantity"]
    number, text = quantity["anyOf"]
    assert number["type"] == "number"
    assert (number["maximum"], number["exclusiveMinimum"]) == (1000, True)
    assert text["pattern"] == DECIMAL_INPUT_PATTERN


def test_a_decimal_string_is_read_only_in_its_documented_form(
    client: FlaskClient, db: Session
) -> None:
    headers = factories.auth_headers(db, factories.make_user(db, role="admin"))
    for n, quantity in enumerate(("1e2", " 5", "Infinity", True)):
        response = client.post(
            "/api/v1/deposits",
            json={"member": 1, "lines": [{"category": "PET", "quantity": quantity}]},
            headers={**headers, "Idempotency-Key": f"key-{n}"},
        )
        assert response.status_code == 422, quantity
        assert "quantity" in response.get_json()["errors"]["lines"]["0"]


def test_x_pagination_is_documented_as_the_json_text_it_is(
    client: FlaskClient, db: Session, document: dict[str, Any]
) -> None:
    header = document["components"]["headers"]["PAGINATION"]
    schema = header["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/PaginationMetadata"}
    admin = factories.make_user(db, role="admin")
    response = client.get("/api/v1/members", headers=factories.auth_headers(db, admin))
    assert json.loads(response.headers["X-Pagination"]) == {
        "total": 0,
        "total_pages": 0,
    }


def test_every_answer_with_a_body_names_its_content_type(
    document: dict[str, Any],
) -> None:
    """Downloads (XLSX, CSV, PNG, SVG, JPEG) too: without it a client cannot know."""
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            response = _resolve(document, response)
            if status.startswith("2") and status != "204":
                assert response.get("content"), (method, path, status)
    books = document["paths"]["/api/v1/banks/{bank_code}/books/{book}.xlsx"]
    content = books["get"]["responses"]["200"]["content"]
    assert list(content) == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ]


def test_every_operation_names_the_errors_of_its_kind(
    document: dict[str, Any],
) -> None:
    """400 with a body, 401 and 403 with a token, 404 with a record, 409 for writes."""
    for method, path, operation in _operations(document):
        statuses = set(operation["responses"])
        if "requestBody" in operation:
            assert "400" in statuses, (method, path)
        if operation.get("security") != []:
            assert {"401", "403"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
        if method != "GET":
            assert "409" in statuses, (method, path)
    token = document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {"401", "429"} <= set(token)


def test_every_paginated_list_documents_its_last_page(
    document: dict[str, Any],
) -> None:
    paginated = [
        (method, path, parameter)
        for method, path, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if parameter.get("name") == "page" and parameter.get("in") == "query"
    ]
    assert len(paginated) >= 8
    for method, path, parameter in paginated:
        assert parameter["schema"]["maximum"] == MAX_PAGE, (method, path)


def test_a_page_beyond_the_last_is_refused_not_a_server_error(
    client: FlaskClient, db: Session, document: dict[str, Any]
) -> None:
    headers = factories.auth_headers(db, factories.make_user(db, role="admin"))
    tried = 0
    for method, path, operation in _operations(document):
        parameters = operation.get("parameters", [])
        if method != "GET" or "page" not in _names(parameters):
            continue
        # Required arguments get plausible values, so only the page is wrong.
        query = {
            p["name"]: "2026-01-01" if p["schema"].get("format") == "date" else "AMB"
            for p in parameters
            if p.get("required") and p["in"] == "query"
        }
        query["page"] = "99999999999999999999"
        url = re.sub(r"\{\w+\}", "X1", path)  # the page is read before the record
        response = client.get(url, query_string=query, headers=headers)
        assert response.status_code == 422, path
        assert "page" in response.get_json()["errors"], path
        tried += 1
    assert tried >= 9


def _names(parameters: list[dict[str, Any]]) -> set[str]:
    return {parameter.get("name", "") for parameter in parameters}


# -- the generated client ----------------------------------------------------------------
#: Checks left out, each because it needs business data the run cannot know.
EXCLUDED_CHECKS = {
    # "A request valid by the document is accepted": the document describes shapes,
    # not whether a bank code exists, a member has the balance for a withdrawal, a
    # price is in force, a date is today, or the role may do it; the run sends random
    # codes and amounts, so most valid-looking writes are rightly 403, 404, 409 or 422.
    "positive_data_acceptance",
}
#: Schemathesis' phases per role. The admin gets every phase; the cashier's requests
#: are read by the same schemas before the role is checked, so the boundary values of
#: the coverage phase would repeat the admin's run with a 403 at the end: the cashier
#: gets the examples, random requests and the stateful sequences.
PHASES = {
    "admin": ("examples", "coverage", "fuzzing", "stateful"),
    "kasir.bsu01": ("examples", "fuzzing", "stateful"),
}


@schemathesis.check
def errors_are_named_in_the_document(ctx: Any, response: Any, case: Any) -> None:
    """An error status the server sends is one the operation lists by its number.

    Stricter than schemathesis' ``status_code_conformance``, which a ``default``
    response satisfies: generated clients handle the statuses they are told about.
    (405 belongs to the path, not the operation: ``unsupported_method`` checks it.)
    """
    status = response.status_code
    if status >= 400 and status != 405:
        documented = case.operation.responses.status_codes
        if str(status) not in documented:
            raise AssertionError(
                f"{case.operation.label} answered {status}, which it does not "
                f"document (it names {', '.join(sorted(documented))})"
            )


def _short_solves(context: Any, case: Any) -> Any:
    """Route plans search for at most 0.1 s: the run tests the contract, not the solver.

    Only a valid time limit is shortened (to another valid one), so a request the run
    meant as invalid stays invalid.
    """
    limit = case.body.get("time_limit_s") if isinstance(case.body, dict) else None
    valid = isinstance(limit, int | float) and not isinstance(limit, bool)
    if valid and 0 < limit <= MAX_TIME_LIMIT_S:
        case.body["time_limit_s"] = min(limit, 0.1)
    return case


def _fresh_tokens(base_url: str, username: str) -> type:
    """An auth provider: a token from ``POST /auth/token``, and a new one after a 401.

    The run calls every operation, logging out or changing passwords included; a
    revoked token would leave the rest of the run answering 401 and testing nothing.
    """

    class FreshToken:
        def get(self, case: Any, context: Any) -> str:
            response = requests.post(
                f"{base_url}/api/v1/auth/token",
                json={"username": username, "password": demo.DEMO_PASSWORD},
                timeout=60,
            )
            response.raise_for_status()
            token: str = response.json()["access_token"]
            return token

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return FreshToken


def _problems(schema: Any) -> tuple[list[str], set[str]]:
    """Run schemathesis' engine: every failed check and error, with a reproduction,
    and the operations that answered 2xx at least once."""
    problems: list[str] = []
    answered: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for interaction in event.recorder.interactions.values():
                if interaction.response and interaction.response.status_code < 300:
                    answered.add(event.recorder.label)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info:
                        info = check.failure_info
                        problems.append(
                            f"{event.recorder.label} [{event.phase}] {check.name}: "
                            f"{info.failure.title}\n{info.failure.message[:600]}\n"
                            f"{info.code_sample[:600]}"
                        )
        elif isinstance(event, events.NonFatalError):
            problems.append(
                f"{event.label} [{event.phase}] {event.info.title}: "
                f"{str(event.value)[:600]}"
            )
        elif isinstance(event, events.FatalError):
            problems.append(f"fatal: {event.exception!r}")
    return problems, answered


@pytest.mark.slow
@pytest.mark.integration
# Hypothesis warns when it shows a generated value of more than 40 kB.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@pytest.mark.parametrize("username", sorted(PHASES))
def test_a_generated_client_finds_no_server_error_and_no_broken_promise(
    live_server: str, db: Session, database_url: str, username: str
) -> None:
    """Schemathesis against every operation of the document, with the demo's data.

    Every check except :data:`EXCLUDED_CHECKS`: no 5xx, answers (status, content type,
    headers, body) as documented, invalid requests refused, authentication required.
    Operations added later are tested without changing this test.

    On SQLite only: the contract does not depend on the database, each fix it led to
    has its own test on both backends, and the run takes about a minute per role.
    """
    if not database_url.startswith("sqlite"):
        pytest.skip("the contract run is on SQLite (see the docstring)")
    demo.load(db, password_method="pbkdf2:sha256:1000")
    db.commit()
    config = schemathesis.Config.from_dict(
        {
            "seed": 15,  # with `deterministic`, the same requests every run
            "cache": {"enabled": False},
            "generation": {"max-examples": 3, "deterministic": True},
            "phases": {
                phase: {"enabled": phase in PHASES[username]}
                for phase in ("examples", "coverage", "fuzzing", "stateful")
            },
            "checks": {name: {"enabled": False} for name in EXCLUDED_CHECKS},
        }
    )
    schema = schemathesis.openapi.from_url(
        f"{live_server}/api/v1/openapi.json", config=config
    )
    schema.hook("map_case")(_short_solves)
    schema.auth(refresh_interval=3600)(_fresh_tokens(live_server, username))
    problems, answered = _problems(schema)
    assert not problems, "\n\n".join(problems)
    # The run was not answered 401 throughout: its token worked.
    assert len(answered) >= 15, sorted(answered)
