"""The JSON error envelope under /api/ and readable HTML pages elsewhere."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import TEST_CONFIG
from wastebank import create_app
from wastebank.extensions import db

ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}


def test_unknown_api_url_gets_404_envelope(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert set(body) == ENVELOPE_KEYS
    assert (body["code"], body["status"], body["type"]) == (
        404,
        "Not Found",
        "not_found",
    )


def test_405_keeps_the_allow_header(client: FlaskClient) -> None:
    response = client.put("/api/v1/members")
    assert response.status_code == 405
    assert response.get_json()["type"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_missing_member_gets_domain_404_type(client: FlaskClient, db: Session) -> None:
    headers = factories.auth_headers(db, factories.make_user(db))
    response = client.get("/api/v1/members/424242", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["type"] == "member_not_found"


def test_html_pages_get_html_errors_in_indonesian(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Halaman atau data yang Anda cari tidak ada." in response.get_data(
        as_text=True
    )


def test_unexpected_errors_become_a_500_envelope_without_internals(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PROPAGATE_EXCEPTIONS": False,
        }
    )

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    body = response.get_json()
    assert body["type"] == "internal_server_error"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "secret internals" in caplog.text  # logged for the operator
    with app.app_context():
        db.engine.dispose()


def test_errors_propagate_in_testing_mode_so_bugs_are_not_swallowed(
    database_url: str,
) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        app.test_client().get("/api/v1/boom")
    with app.app_context():
        db.engine.dispose()


# -- requests that were 500s (#15) -----------------------------------------------------
def _admin_headers(db: Session) -> dict[str, str]:
    return factories.auth_headers(db, factories.make_user(db, role="admin"))


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        '{"name": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"name": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}",
    ],
)
def test_json_nested_too_deeply_is_a_400_envelope(
    client: FlaskClient, db: Session, body: str
) -> None:
    response = client.post(
        "/api/v1/members",
        data=body,
        content_type="application/json",
        headers=_admin_headers(db),
    )
    assert response.status_code == 400
    assert set(response.get_json()) == ENVELOPE_KEYS


def test_a_lone_surrogate_in_json_is_refused_naming_the_field(
    client: FlaskClient, db: Session
) -> None:
    factories.make_bank(db, code="BSI", kind="induk")
    response = client.post(
        "/api/v1/members",
        data='{"bank": "BSI", "name": "Ani \\ud800"}',
        content_type="application/json",
        headers=_admin_headers(db),
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name"}
    # ...also as a key, and deep in a list.
    response = client.post(
        "/api/v1/members",
        data='{"bank": "BSI", "name": "Ani", "\\udfff": [["x", "\\ud800"]]}',
        content_type="application/json",
        headers=_admin_headers(db),
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"\udfff"}


@pytest.mark.parametrize(
    "target",
    ["/members%0d%0aSet-Cookie:%20a=b", "/members%0aX", "/%5Cevil.example", "/ x"],
)
def test_an_unsafe_next_after_login_goes_home(
    client: FlaskClient, db: Session, target: str
) -> None:
    user = factories.make_user(db, username="ani", role="admin")
    db.commit()
    response = client.post(
        f"/login?next={target}",
        data={
            "username": user.username,
            "password": factories.PASSWORD,
            "csrf_token": factories.csrf_token(client),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = client.get(f"/lang/en?next={target}")
    assert (response.status_code, response.headers["Location"]) == (302, "/")


def test_a_plain_next_after_login_is_followed(client: FlaskClient, db: Session) -> None:
    user = factories.make_user(db, username="ani", role="admin")
    db.commit()
    response = client.get("/lang/en?next=/members%3Fq%3Dani")
    assert response.headers["Location"] == "/members?q=ani"
    response = client.post(
        "/login?next=/members",
        data={
            "username": user.username,
            "password": factories.PASSWORD,
            "csrf_token": factories.csrf_token(client),
        },
    )
    assert response.headers["Location"] == "/members"
