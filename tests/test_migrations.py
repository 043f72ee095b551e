"""Migrations: upgrade from empty, round trip, and no drift from the models."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.conftest import PG_URL, TEST_CONFIG
from wastebank import create_app
from wastebank.access import SYSTEM
from wastebank.extensions import UTCDateTime, db
from wastebank.models import Sale, Shipment, StockMovement
from wastebank.services import backoffice

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


# -- data migrations -----------------------------------------------------------------------
SHIPMENTS = "0af66c2e3346"  # shipments received by the induk
BEFORE_SHIPMENTS = f"{SHIPMENTS}-1"


def _insert(table: str, **values: object) -> int | None:
    """Insert one row with SQL (the models describe the newest schema, not this one);
    return its id (None for a table without one)."""
    types = {dt.datetime: UTCDateTime(), Decimal: sa.Numeric(12, 3)}
    columns = [
        sa.column(name, types.get(type(value))) for name, value in values.items()
    ]
    statement = sa.insert(sa.table(table, *columns, sa.column("id"))).values(**values)
    if table == "stock_levels":
        db.session.execute(statement)
        return None
    return int(db.session.execute(statement.returning(sa.column("id"))).scalar_one())


def _legacy_books(now: dt.datetime) -> None:
    """The old schema's records of a unit that sold 3 kg PET to a pengepul and shipped
    10 kg to its induk as a sale (Rp40,000 at Rp35,000 cost), as the old code wrote them.
    """
    city = _insert(
        "cities", code="AMB", name="Kota Ambon", timezone="Asia/Jayapura",
        created_at=now,
    )  # fmt: skip
    bank: dict[str, int | None] = {}
    for code, kind, parent in (("BSI", "induk", None), ("BSU1", "unit", "BSI")):
        bank[code] = _insert(
            "banks", code=code, name=f"Bank {code}", kind=kind,
            parent_id=bank.get(parent or ""), city_id=city, timezone="Asia/Jayapura",
            opening_days="", active=True, next_member_seq=1, created_at=now,
        )  # fmt: skip
    pet = _insert(
        "waste_categories", code="PET", name_id="Botol PET", name_en="PET bottles",
        material="plastic", unit="kg", active=True, max_price_rp=25_000,
        created_at=now,
    )  # fmt: skip
    unit, induk = bank["BSU1"], bank["BSI"]
    # 13 kg PET came in at BSU1 for Rp45,500; all of it left, 10 kg to the induk.
    for bank_id, kg, value in ((unit, 0, 0), (induk, 10, 40_000)):
        _insert(
            "stock_levels", bank_id=bank_id, category_id=pet, quantity=Decimal(kg),
            value_rp=value, version=0,
        )  # fmt: skip
    _insert(
        "stock_movements", bank_id=unit, category_id=pet, kind="adjustment",
        quantity=Decimal(13), value_rp=45_500, occurred_at=now,
    )  # fmt: skip
    buyers = (
        ("Bank induk", "induk", induk, "BSU1-S000001", 40_000, 35_000, Decimal(10)),
        ("Pak Ali", "pengepul", None, "BSU1-S000002", 12_000, 10_500, Decimal(3)),
    )
    for name, kind, to, number, total, cost, kg in buyers:
        buyer = _insert(
            "buyers", bank_id=unit, name=name, kind=kind, induk_bank_id=to,
            active=True, created_at=now,
        )  # fmt: skip
        sale = _insert(
            "sales", bank_id=unit, buyer_id=buyer, shipped_to_bank_id=to,
            receipt_no=number, total_rp=total, cost_rp=cost, total_weight_kg=kg,
            occurred_at=now, idempotency_key=number, request_hash="h",
        )  # fmt: skip
        _insert(
            "sale_lines", sale_id=sale, category_id=pet, category_code="PET",
            category_name="Botol PET", material="plastic", unit="kg", quantity=kg,
            price_rp=total // int(kg), amount_rp=total, cost_rp=cost,
        )  # fmt: skip
        _insert(
            "stock_movements", bank_id=unit, category_id=pet, kind="sale",
            quantity=-kg, value_rp=-cost, sale_id=sale, occurred_at=now,
        )  # fmt: skip
        _insert(
            "cash_entries", bank_id=unit, direction="in", category="sale",
            amount_rp=total, description=f"Penjualan {number}", sale_id=sale,
            occurred_at=now,
        )  # fmt: skip
        if to is not None:
            _insert(
                "stock_movements", bank_id=induk, category_id=pet, kind="shipment_in",
                quantity=kg, value_rp=total, sale_id=sale, occurred_at=now,
            )  # fmt: skip
            _insert(
                "cash_entries", bank_id=induk, direction="out", category="purchase",
                amount_rp=total, description=f"Pembelian dari BSU1 ({number})",
                sale_id=sale, occurred_at=now,
            )  # fmt: skip
    db.session.commit()


def test_sales_to_an_induk_become_received_shipments_and_the_books_stay(
    empty_database_app: Flask,
) -> None:
    """Upgrading turns an old sale to the induk into a received shipment: every book
    reads the same figures; downgrading turns it back into the sale."""
    at = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)
    with empty_database_app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE_SHIPMENTS)
        _legacy_books(at)
        upgrade(directory=MIGRATIONS, revision=SHIPMENTS)

        shipment = db.session.scalar(
            sa.select(Shipment).where(Shipment.receipt_no == "BSU1-S000001")
        )
        assert shipment is not None
        assert (shipment.status, shipment.receipt_no) == ("received", "BSU1-S000001")
        assert (shipment.value_rp, shipment.cost_rp, shipment.margin_rp) == (
            40_000,
            35_000,
            5_000,
        )
        assert shipment.dispatched_at == shipment.received_at == at
        assert [(line.quantity, line.variance) for line in shipment.lines] == [(10, 0)]
        assert [s.receipt_no for s in db.session.scalars(sa.select(Sale))] == [
            "BSU1-S000002"
        ]
        day = dt.date(2026, 11, 20)
        unit_cash = backoffice.cash_book(db.session, SYSTEM, "BSU1")
        assert [(line.category, line.in_rp) for line in unit_cash.lines] == [
            ("sale", 40_000),
            ("sale", 12_000),
        ]
        induk_cash = backoffice.cash_book(db.session, SYSTEM, "BSI")
        assert [(line.category, line.out_rp) for line in induk_cash.lines] == [
            ("purchase", 40_000)
        ]
        pnl = backoffice.profit_and_loss(db.session, SYSTEM, "BSU1", start=day)
        assert (pnl.sales_rp, pnl.cost_of_sales_rp, pnl.in_transit_cost_rp) == (
            52_000,
            45_500,
            0,
        )
        book = backoffice.sales_book(db.session, SYSTEM, "BSU1", start=day, end=day)
        assert (book.total_rp, book.cost_rp, book.total_weight_kg) == (
            52_000,
            45_500,
            13,
        )
        totals = {
            row.bank.code: row.figures
            for row in backoffice.city_totals(db.session, SYSTEM, "AMB").banks
        }
        assert (totals["BSU1"].shipped_kg, totals["BSU1"].sold_kg) == (10, 3)
        assert totals["BSU1"].sales_rp == 52_000
        assert totals["BSI"].shipments_in_kg == 10
        _city, sipsn = backoffice.sipsn_report(db.session, SYSTEM, "AMB", year=2026)
        assert {row.bank.code: row.managed_kg for row in sipsn}["BSI"] == 10
        movements = db.session.execute(
            sa.select(StockMovement.bank_id, StockMovement.kind, StockMovement.sale_id)
            .where(StockMovement.shipment_id == shipment.id)
            .order_by(StockMovement.id)
        ).all()
        assert movements == [
            (shipment.bank_id, "shipment_out", None),
            (shipment.induk_bank_id, "shipment_in", None),
        ]
        # A new shipment's id follows the copied ones (PostgreSQL's sequence moved on).
        db.session.add(
            Shipment(
                bank_id=shipment.bank_id, induk_bank_id=shipment.induk_bank_id,
                receipt_no="BSU1-P000003",
                total_weight_kg=Decimal(0), cost_rp=0, idempotency_key="new",
                request_hash="h", dispatched_at=at,
            )
        )  # fmt: skip
        db.session.flush()
        induk_id = shipment.induk_bank_id
        db.session.rollback()
        db.session.close()  # no transaction may wait on the downgrade's locks

        downgrade(directory=MIGRATIONS, revision=BEFORE_SHIPMENTS)
        sales = db.session.execute(
            sa.text(
                "SELECT receipt_no, shipped_to_bank_id, total_rp, cost_rp FROM sales "
                "ORDER BY receipt_no"
            )
        ).all()
        assert [tuple(row) for row in sales] == [
            ("BSU1-S000001", induk_id, 40_000, 35_000),
            ("BSU1-S000002", None, 12_000, 10_500),
        ]
        linked = db.session.execute(
            sa.text(
                "SELECT m.kind, s.receipt_no FROM stock_movements m "
                "JOIN sales s ON s.id = m.sale_id ORDER BY m.id"
            )
        ).all()
        assert [tuple(row) for row in linked] == [
            ("sale", "BSU1-S000001"),
            ("shipment_in", "BSU1-S000001"),
            ("sale", "BSU1-S000002"),
        ]
        db.session.commit()
