"""The back-office API: sales and shipments, stock, cash book, totals, XLSX books."""

from __future__ import annotations

import io
import threading
import uuid
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from tests.wastebank.test_spreadsheets import HOSTILE
from wastebank.models import (
    CashEntry,
    Sale,
    SaleLine,
    StockLevel,
    StockMovement,
)


def _h(db: Session, world: World, who: str = "unit_manager") -> dict[str, str]:
    headers = factories.auth_headers(db, world.users[who])
    headers["Idempotency-Key"] = uuid.uuid4().hex
    return headers


def _deposit(client: FlaskClient, headers: dict[str, str], member: int, **lines: str):
    response = client.post(
        "/api/v1/deposits",
        json={
            "member": member,
            "lines": [{"category": c, "quantity": q} for c, q in lines.items()],
        },
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _buyer(client: FlaskClient, headers: dict[str, str], bank: str, **body: Any):
    response = client.post(f"/api/v1/banks/{bank}/buyers", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _counts(db: Session) -> list[int]:
    db.expire_all()
    return [
        db.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for model in (Sale, SaleLine, StockMovement, CashEntry)
    ]


@pytest.fixture
def stocked(client: FlaskClient, db: Session, counter_world: World) -> dict[str, Any]:
    """BSU1 with 10 kg PET (Rp35,000) and 5 kg KARDUS (Rp5,500), and a pengepul."""
    headers = _h(db, counter_world)
    _deposit(client, headers, counter_world.members["BSU1"].id, PET="10", KARDUS="5")
    buyer = _buyer(client, headers, "BSU1", name="Pak Ali", kind="pengepul")
    return {"headers": headers, "buyer": buyer}


def test_a_sale_takes_stock_at_average_cost_and_is_replayed_once(
    client: FlaskClient, db: Session, counter_world: World, stocked: dict[str, Any]
) -> None:
    headers = stocked["headers"]
    body = {
        "bank": "BSU1",
        "buyer": stocked["buyer"],
        "lines": [
            {"category": "PET", "quantity": "4", "price_rp": 4000},
            {"category": "KARDUS", "quantity": 5, "amount_rp": 7000},
        ],
    }
    first = client.post("/api/v1/sales", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    sale = first.get_json()
    assert first.headers["Idempotent-Replayed"] == "false"
    assert sale["receipt_no"].startswith("BSU1-S")
    assert (sale["total_rp"], sale["cost_rp"], sale["margin_rp"]) == (
        23_000,
        14_000 + 5_500,
        3_500,
    )
    assert sale["total_weight_kg"] == "9.000"
    again = client.post("/api/v1/sales", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == sale["id"]
    changed = client.post(
        "/api/v1/sales", json={**body, "note": "other"}, headers=headers
    )
    assert changed.status_code == 409
    assert changed.get_json()["type"] == "idempotency_key_reused"

    stock = {
        row["category"]: (row["quantity"], row["value_rp"])
        for row in client.get("/api/v1/banks/BSU1/stock", headers=headers).get_json()
    }
    assert stock == {"KARDUS": ("0.000", 0), "PET": ("6.000", 21_000)}
    book = client.get("/api/v1/banks/BSU1/cash-book", headers=headers).get_json()
    assert [line["in_rp"] for line in book["lines"]] == [23_000]
    assert client.get(f"/api/v1/sales/{sale['id']}", headers=headers).status_code == 200


def test_overselling_is_refused_with_the_envelope_and_writes_nothing(
    client: FlaskClient, db: Session, counter_world: World, stocked: dict[str, Any]
) -> None:
    before = _counts(db)
    response = client.post(
        "/api/v1/sales",
        json={
            "bank": "BSU1",
            "buyer": stocked["buyer"],
            "lines": [{"category": "PET", "quantity": "10.001", "price_rp": 4000}],
        },
        headers=stocked["headers"],
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["type"] == "insufficient_stock"
    assert "PET" in body["message"]
    assert body["errors"] == {"lines.0.quantity": [body["message"]]}
    assert _counts(db) == before


def test_concurrent_sales_never_oversell(
    app: Flask, db: Session, counter_world: World, stocked: dict[str, Any]
) -> None:
    """Ten managers' clients race to sell 3 kg of 10 kg PET: exactly three succeed."""
    statuses: list[int] = []
    headers = [_h(db, counter_world) for _ in range(10)]

    def sell(h: dict[str, str]) -> None:
        response = app.test_client().post(
            "/api/v1/sales",
            json={
                "bank": "BSU1",
                "buyer": stocked["buyer"],
                "lines": [{"category": "PET", "quantity": 3, "price_rp": 4000}],
            },
            headers=h,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=sell, args=(h,)) for h in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201] * 3 + [409] * 7
    db.expire_all()
    level = db.scalar(
        sa.select(StockLevel)
        .join(StockLevel.category)
        .where(StockLevel.bank_id == counter_world.unit.id)
        .where(StockLevel.category.has(code="PET"))
    )
    assert level is not None
    assert level.quantity == Decimal("1")
    sold = db.scalar(sa.select(sa.func.sum(SaleLine.quantity)))
    assert sold == Decimal("9")


def test_only_managers_sell_and_nobody_sells_for_another_bank(
    client: FlaskClient, db: Session, counter_world: World, stocked: dict[str, Any]
) -> None:
    body = {
        "bank": "BSU1",
        "buyer": stocked["buyer"],
        "lines": [{"category": "PET", "quantity": 1, "price_rp": 4000}],
    }
    for who, status in (("cashier", 403), ("dlh", 403)):
        response = client.post(
            "/api/v1/sales", json=body, headers=_h(db, counter_world, who)
        )
        assert response.status_code == status
    sibling = factories.make_user(db, username="m2", role="manager", bank_code="BSU2")
    headers = factories.auth_headers(db, sibling)
    headers["Idempotency-Key"] = "x" * 8
    response = client.post("/api/v1/sales", json=body, headers=headers)
    assert response.status_code == 404
    # The induk's manager reaches its units.
    response = client.post(
        "/api/v1/sales", json=body, headers=_h(db, counter_world, "induk_manager")
    )
    assert response.status_code == 201
    missing_key = factories.auth_headers(db, counter_world.users["unit_manager"])
    assert (
        client.post("/api/v1/sales", json=body, headers=missing_key).status_code == 422
    )
    no_price = {**body, "lines": [{"category": "PET", "quantity": 1}]}
    response = client.post(
        "/api/v1/sales", json=no_price, headers=_h(db, counter_world)
    )
    assert response.status_code == 422
    assert response.get_json()["type"] == "validation_error"


def test_shipment_to_the_induk_is_counted_once_for_the_city(
    client: FlaskClient, db: Session, counter_world: World, stocked: dict[str, Any]
) -> None:
    headers = stocked["headers"]
    induk = _buyer(client, headers, "BSU1", name="BSI Kota", kind="induk")
    response = client.post(
        "/api/v1/sales",
        json={
            "bank": "BSU1",
            "buyer": induk,
            "lines": [{"category": "PET", "quantity": 10, "price_rp": 3800}],
        },
        headers=headers,
    )
    assert response.status_code == 201
    assert response.get_json()["shipped_to"] == "BSI"
    induk_manager = _h(db, counter_world, "induk_manager")
    stock = client.get("/api/v1/banks/BSI/stock", headers=induk_manager).get_json()
    assert [(r["category"], r["quantity"], r["value_rp"]) for r in stock] == [
        ("PET", "10.000", 38_000)
    ]
    totals = client.get(
        "/api/v1/cities/AMB/totals", headers=_h(db, counter_world, "dlh")
    ).get_json()
    banks = {row["bank"]: row["figures"] for row in totals["banks"]}
    assert banks["BSU1"]["shipped_kg"] == "10.000"
    assert banks["BSI"]["shipments_in_kg"] == "10.000"
    assert totals["total"]["received_kg"] == "15.000"
    assert totals["total"]["managed_kg"] == "15.000"
    other_city = _h(db, counter_world, "dlh_other_city")
    assert (
        client.get("/api/v1/cities/AMB/totals", headers=other_city).status_code == 404
    )


def test_adjustments_and_expenses_feed_the_profit_and_loss(
    client: FlaskClient, db: Session, counter_world: World, stocked: dict[str, Any]
) -> None:
    headers = stocked["headers"]
    response = client.post(
        "/api/v1/banks/BSU1/stock-adjustments",
        json={"category": "PET", "quantity": "-1", "reason": "basah, susut"},
        headers=headers,
    )
    assert response.status_code == 201
    assert response.get_json()["value_rp"] == -3500
    too_much = client.post(
        "/api/v1/banks/BSU1/stock-adjustments",
        json={"category": "PET", "quantity": "-20", "reason": "hilang"},
        headers={**headers, "Idempotency-Key": "other-key"},
    )
    assert too_much.status_code == 409
    assert too_much.get_json()["type"] == "insufficient_stock"
    expense = client.post(
        "/api/v1/cash-entries",
        json={
            "bank": "BSU1",
            "category": "honorarium",
            "amount_rp": 100_000,
            "description": "Honor pengurus November",
        },
        headers={**headers, "Idempotency-Key": "expense-1"},
    )
    assert expense.status_code == 201
    wrong = client.post(
        "/api/v1/cash-entries",
        json={
            "bank": "BSU1",
            "direction": "in",
            "category": "honorarium",
            "amount_rp": 1,
            "description": "x",
        },
        headers={**headers, "Idempotency-Key": "expense-2"},
    )
    assert wrong.status_code == 422
    pnl = client.get("/api/v1/banks/BSU1/profit-and-loss", headers=headers).get_json()
    assert pnl["stock_adjustments_rp"] == -3500
    assert pnl["expenses_rp"] == {"honorarium": 100_000}
    assert pnl["net_rp"] == -103_500


def _sheet(data: bytes) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.active is not None
    return list(book.active.iter_rows(values_only=True))


def test_xlsx_books_contain_the_right_totals(
    client: FlaskClient, db: Session, counter_world: World, stocked: dict[str, Any]
) -> None:
    headers = stocked["headers"]
    member = counter_world.members["BSU1"].id
    _deposit(client, headers, member, PET="2.5")  # Rp8,750 more: Rp49,250 saved
    client.post(
        "/api/v1/sales",
        json={
            "bank": "BSU1",
            "buyer": stocked["buyer"],
            "lines": [
                {"category": "PET", "quantity": "12.5", "price_rp": 4000},
                {"category": "KARDUS", "quantity": "2", "price_rp": 1500},
            ],
        },
        headers=headers,
    )
    client.post(
        "/api/v1/cash-entries",
        json={
            "bank": "BSU1",
            "category": "transport",
            "amount_rp": 20_000,
            "description": "Angkut ke pengepul",
        },
        headers={**headers, "Idempotency-Key": "transport-1"},
    )

    def book(name: str) -> list[tuple[Any, ...]]:
        response = client.get(f"/api/v1/banks/BSU1/books/{name}.xlsx", headers=headers)
        assert response.status_code == 200
        assert response.mimetype.endswith("spreadsheetml.sheet")
        return _sheet(response.data)

    weighing = book("penimbangan")
    assert weighing[-1][0] == "Total"
    assert weighing[-1][4] == pytest.approx(17.5)  # kg
    assert weighing[-1][7] == 35_000 + 5_500 + 8_750
    assert len(weighing) == 4 + 3 + 1  # title, period, blank, headings; 3 lines; total

    sales = book("penjualan")
    assert sales[-1][0] == "Total"
    assert sales[-1][4] == pytest.approx(14.5)
    assert sales[-1][7:10] == (53_000, 43_750 + 2_200, 53_000 - 45_950)

    cash = book("kas")
    assert cash[-1][0] == "Total"
    assert cash[-1][3:6] == (53_000, 20_000, 33_000)

    register = book("induk-nasabah")
    assert register[-1][0] == "Total"
    assert register[-1][1] == 1  # one member
    assert register[-1][-1] == 49_250

    assert (
        client.get("/api/v1/banks/BSU1/books/unknown.xlsx", headers=headers).status_code
        == 404
    )


def _cells(data: bytes) -> list[Any]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]


def test_a_member_named_like_a_formula_stays_text_in_the_register(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    counter_world.members["BSU1"].name = HOSTILE
    db.commit()
    headers = factories.auth_headers(db, counter_world.users["unit_manager"])
    response = client.get(
        "/api/v1/banks/BSU1/books/induk-nasabah.xlsx", headers=headers
    )
    assert response.status_code == 200
    hits = [cell for cell in _cells(response.data) if cell.value == HOSTILE]
    assert hits and all(cell.data_type == "s" for cell in hits)
    assert not [cell for cell in _cells(response.data) if cell.data_type == "f"]
