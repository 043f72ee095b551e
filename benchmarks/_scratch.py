"""A scratch database for a benchmark, on SQLite or in a fresh PostgreSQL schema.

:func:`scratch_app` gives an app bound to it, with the tables and the city of Ambon
created, and a cleanup that drops what it made.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask

from wastebank import create_app
from wastebank import services as wastebank_services
from wastebank.extensions import db


def scratch_app(url: str) -> tuple[Flask, Callable[[], None]]:
    """An app on ``url`` (a SQLite file, or a PostgreSQL database to hold a new schema).

    :returns: the app and a cleanup that disposes of its engine and drops the schema.
    """
    schema = None
    engine_url = url
    if url.startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        engine_url = f"{url}?options=-csearch_path%3D{schema}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark-only-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": engine_url,
        }
    )
    with app.app_context():
        db.create_all()
        wastebank_services.create_city(
            db.session, code="AMB", name="Kota Ambon", timezone="Asia/Jayapura"
        )
        db.session.commit()

    def cleanup() -> None:
        with app.app_context():
            db.engine.dispose()
        if schema:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            engine.dispose()

    return app, cleanup
