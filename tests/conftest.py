"""Shared fixtures: ``app``, ``db``, ``client``, ``runner`` and the live server/browser.

Database-backed tests run on SQLite, and again on PostgreSQL when
``WASTEBANK_TEST_DATABASE_URL`` is set (``.ci/run`` sets it to a fresh database). Run in
parallel (``pytest -n``, as ``./script/test`` does), each worker process gets its own
PostgreSQL database beside that one, created at its start and dropped at its end.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from wastebank import create_app
from wastebank.extensions import db as _db

PG_URL = os.environ.get("WASTEBANK_TEST_DATABASE_URL")
_GIVEN_PG_URL = PG_URL
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
#: pytest-xdist's name of this worker process (gw0, gw1, ...); None when not parallel.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

#: Settings every test app shares; a cheap password hash keeps the suite fast
#: (production uses werkzeug's scrypt default).
TEST_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-of-at-least-32-bytes",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    # The notification tests run their gateways on this machine or name them
    # under the reserved .example domain.
    "NOTIFY_ALLOWED_HOSTS": ["127.0.0.1", "*.example"],
}


def _worker_database(create: bool) -> str:
    """The URL of this worker's own database beside ``WASTEBANK_TEST_DATABASE_URL``,
    (re)created empty or dropped."""
    assert _GIVEN_PG_URL is not None and WORKER is not None
    url = sa.engine.make_url(_GIVEN_PG_URL)
    name = f"{url.database}_{WORKER}"
    server = sa.create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def pytest_configure(config: pytest.Config) -> None:
    """A parallel worker tests PostgreSQL in a database of its own."""
    global PG_URL
    if PG_URL and WORKER:
        PG_URL = _worker_database(create=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    if PG_URL and WORKER:
        _worker_database(create=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with slow tests first, then those with integration tests, then the rest.

    Workers take whole files in collection order; a slow file taken last kept one worker
    busy for minutes while the other had nothing left to do.
    """

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("slow"):
            return 0
        return 1 if item.get_closest_marker("integration") else 2

    by_file: dict[str, int] = {}
    for item in items:
        path = str(item.path)
        by_file[path] = min(by_file.get(path, 2), weight(item))
    items.sort(key=lambda item: by_file[str(item.path)])


class IsolatedClient(FlaskClient):
    """A test client whose requests run in a fresh context, as in production.

    Without this, requests reuse the test's app context, and with it ``g``: the locale,
    the logged-in user and the CSRF token of one request would leak into the next.
    Requests therefore also get their own database session; tests commit what the
    requests must see.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The URL of the database the session's app uses (one per backend)."""
    if request.param == "sqlite":
        # A file, not :memory:, so the live server's threads share the data.
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/test.db"
    assert PG_URL is not None
    return PG_URL


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """The application, with an empty schema created from the models."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.drop_all()
        _db.engine.dispose()


def _empty_tables() -> None:
    """Delete every row and, on PostgreSQL, restart the id sequences.

    DELETE, not TRUNCATE: on an almost empty database TRUNCATE of the ~50 tables took
    240 ms per test on PostgreSQL (it rewrites every table's files), DELETE in one round
    trip about 30 ms; over the suite's PostgreSQL tests that is minutes.
    """
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            restart = ", ".join(
                f"setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"
                for table in tables
                if "id" in table.c and table.c.id.autoincrement in (True, "auto")
            )
            deletes = "; ".join(f"DELETE FROM {table.name}" for table in tables)  # noqa: S608 - our own table names
            conn.exec_driver_sql(f"{deletes}; SELECT {restart}")
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session inside an app context; every table is emptied afterwards."""
    with app.app_context():
        yield _db.session
        _db.session.remove()
        _empty_tables()


@pytest.fixture
def client(app: Flask, db: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db: Session) -> FlaskCliRunner:
    return app.test_cli_runner()


# -- real browser ----------------------------------------------------------------------
@pytest.fixture
def live_server(app: Flask, db: Session) -> Iterator[str]:
    """The app served over HTTP on a free loopback port; yields its base URL, which is
    also the app's public URL meanwhile (receipts' links point there)."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    public_url = app.config["PUBLIC_URL"]
    app.config["PUBLIC_URL"] = url
    yield url
    app.config["PUBLIC_URL"] = public_url
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
) -> dict[str, Any]:
    """Debian's chromium (never `playwright install`), flags for a root sandbox-less CI."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Browsers as people in Ambon have them: Indonesian locale, WIT clock."""
    return {**browser_context_args, "locale": "id-ID", "timezone_id": "Asia/Jayapura"}


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave screenshots for reviewers (``test-artifacts/``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
