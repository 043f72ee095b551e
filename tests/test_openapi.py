"""The OpenAPI document is the contract: valid, and true to what the server sends."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy.orm import Session

from tests import factories
from wastebank.fields import DECIMAL_PATTERN, MAX_PAGE

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
    assert text["pattern"] == DECIMAL_PATTERN


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
