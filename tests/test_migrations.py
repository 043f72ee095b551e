"""Migrations: upgrade from empty, round trip, and no drift from the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.conftest import PG_URL, TEST_CONFIG
from wastebank import create_app
from wastebank.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def empty_database_app(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Flask]:
    """An app bound to an empty database: a new SQLite file, or a new PostgreSQL schema."""
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/migrations.db"
    else:
        assert PG_URL is not None
        schema = f"mig_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    yield app
    with app.app_context():
        db.engine.dispose()
    if schema:
        engine = sa.create_engine(PG_URL)  # type: ignore[arg-type]
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def _drift() -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, db.metadata))


def test_upgrade_from_empty_round_trip_and_no_drift(empty_database_app: Flask) -> None:
    with empty_database_app.app_context():
        assert _tables() == set()
        upgrade(directory=MIGRATIONS)
        assert _tables() == set(db.metadata.tables)
        assert _drift() == []
        downgrade(directory=MIGRATIONS, revision="base")
        assert _tables() == set()
        upgrade(directory=MIGRATIONS)
        assert _drift() == []


def test_existing_categories_get_their_codes_or_their_materials_price_ceiling(
    empty_database_app: Flask,
) -> None:
    with empty_database_app.app_context():
        upgrade(directory=MIGRATIONS, revision="e4a7c2b9f1d3-1")
        with db.engine.begin() as conn:
            for code, material in [
                ("TEMBAGA", "metal"),
                ("SENG", "metal"),
                ("KAIN", "textile"),
            ]:
                conn.execute(
                    sa.text(
                        "INSERT INTO waste_categories (code, name_id, name_en, "
                        "material, unit, active, created_at) VALUES (:code, :code, "
                        ":code, :material, 'kg', true, CURRENT_TIMESTAMP)"
                    ),
                    {"code": code, "material": material},
                )
        upgrade(directory=MIGRATIONS, revision="e4a7c2b9f1d3")
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT code, max_price_rp FROM waste_categories")
            ).all()
        ceilings = dict(rows)
    assert ceilings == {"TEMBAGA": 750_000, "SENG": 1_000_000, "KAIN": 25_000}
