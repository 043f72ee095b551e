"""The back-office API: sales and shipments, stock, cash book, totals, XLSX books."""

from __future__ import annotations

import datetime as dt
import io
import threading
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

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
    Shipment,
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
        for model in (Sale, SaleLine, Shipment, StockMovement, CashEntry)
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
    response = client.post(
        "/api/v1/shipments",
        json={"bank": "BSU1", "lines": [{"category": "PET", "quantity": 10}]},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    shipment = response.get_json()
    assert (shipment["induk"], shipment["status"]) == ("BSI", "in_transit")
    induk_manager = _h(db, counter_world, "induk_manager")
    received = client.post(
        f"/api/v1/shipments/{shipment['id']}/receive",
        json={"lines": [{"category": "PET", "quantity": "10"}]},
        headers=induk_manager,
    )
    assert received.status_code == 200, received.get_json()
    stock = client.get("/api/v1/banks/BSI/stock", headers=induk_manager).get_json()
    assert [(r["category"], r["quantity"], r["value_rp"]) for r in stock] == [
        ("PET", "10.000", 30_000)  # at the induk's Rp3,000/kg
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


# -- refused input: a clear 4xx envelope, nothing written ----------------------------------
def _sale(
    client: FlaskClient, headers: dict[str, str], buyer: int, *lines: dict[str, Any]
) -> Any:
    return client.post(
        "/api/v1/sales",
        json={"bank": "BSU1", "buyer": buyer, "lines": list(lines)},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


@pytest.mark.parametrize(
    ("owner", "who"),
    [
        ("BSU2", "induk_manager"),  # a sibling's buyer, by a manager who reaches both
        ("BSU2", "unit_manager"),
        ("MJK1", "admin"),  # another city's buyer
        (None, "unit_manager"),  # no such buyer
    ],
)
def test_a_sale_to_another_banks_or_a_missing_buyer_is_refused_and_writes_nothing(
    client: FlaskClient,
    db: Session,
    counter_world: World,
    stocked: dict[str, Any],
    owner: str | None,
    who: str,
) -> None:
    buyer = 999_999
    if owner is not None:
        buyer = _buyer(
            client,
            _h(db, counter_world, "admin"),
            owner,
            name="Pak Budi",
            kind="pengepul",
        )
    before = _counts(db)
    response = _sale(
        client,
        _h(db, counter_world, who),
        buyer,
        {"category": "PET", "quantity": 1, "price_rp": 4000},
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == "invalid_reference"
    assert body["errors"] == {"buyer": [body["message"]]}
    assert _counts(db) == before


@pytest.mark.parametrize("buyer", [0, -1, 2**31, 2**63, 10**30])
def test_a_buyer_id_outside_any_id_range_is_refused_as_a_field(
    client: FlaskClient,
    db: Session,
    counter_world: World,
    stocked: dict[str, Any],
    buyer: int,
) -> None:
    """Ids the database column cannot hold answer 422, never a driver error (500)."""
    before = _counts(db)
    response = _sale(
        client,
        stocked["headers"],
        buyer,
        {"category": "PET", "quantity": 1, "price_rp": 4000},
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == "validation_error"
    assert list(body["errors"]) == ["buyer"]
    assert _counts(db) == before


@pytest.mark.parametrize("shipment", [False, True], ids=["sale", "shipment"])
@pytest.mark.parametrize(
    ("quantity", "type_", "field"),
    [
        (0, "validation_error", {"lines": {"0": {"quantity": ...}}}),
        ("0", "validation_error", {"lines": {"0": {"quantity": ...}}}),
        (-1, "validation_error", {"lines": {"0": {"quantity": ...}}}),
        ("-0.001", "validation_error", {"lines": {"0": {"quantity": ...}}}),
        ("1.2345", "invalid_value", {"lines.0.quantity": ...}),
        (1.2345, "invalid_value", {"lines.0.quantity": ...}),
        ("0.0001", "invalid_value", {"lines.0.quantity": ...}),
    ],
)
def test_sale_and_shipment_quantities_are_positive_grams_never_rounded(
    client: FlaskClient,
    db: Session,
    counter_world: World,
    stocked: dict[str, Any],
    shipment: bool,
    quantity: Any,
    type_: str,
    field: dict[str, Any],
) -> None:
    """Zero, negative and sub-gram quantities are refused (422) naming the line's field,
    the same way as on deposits; a weight is never rounded to three places."""
    headers = stocked["headers"]
    before = _counts(db)
    if shipment:
        response = client.post(
            "/api/v1/shipments",
            json={"bank": "BSU1", "lines": [{"category": "PET", "quantity": quantity}]},
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
    else:
        response = _sale(
            client,
            headers,
            stocked["buyer"],
            {"category": "PET", "quantity": quantity, "price_rp": 4000},
        )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == type_
    assert _same_keys(body["errors"], field), body["errors"]
    assert _counts(db) == before


def _same_keys(errors: Any, expected: Any) -> bool:
    """Whether ``errors`` has exactly the nested keys of ``expected`` (``...``: a leaf)."""
    if expected is ...:
        return isinstance(errors, list) and bool(errors)
    return (
        isinstance(errors, dict)
        and errors.keys() == expected.keys()
        and all(_same_keys(errors[k], v) for k, v in expected.items())
    )


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"price_rp": 4000, "amount_rp": 4000}, "price_rp"),  # both
        ({"price_rp": 1500.5}, "price_rp"),
        ({"price_rp": "1500"}, "price_rp"),
        ({"price_rp": 1500.0}, "price_rp"),
        ({"price_rp": True}, "price_rp"),
        ({"price_rp": -1}, "price_rp"),
        ({"amount_rp": 1500.5}, "amount_rp"),
        ({"amount_rp": "1500"}, "amount_rp"),
        ({"amount_rp": 10**13}, "amount_rp"),
    ],
)
def test_sale_rupiah_must_be_one_whole_number_per_line(
    client: FlaskClient,
    db: Session,
    counter_world: World,
    stocked: dict[str, Any],
    line: dict[str, Any],
    field: str,
) -> None:
    before = _counts(db)
    response = _sale(
        client,
        stocked["headers"],
        stocked["buyer"],
        {"category": "PET", "quantity": 1, **line},
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == "validation_error"
    assert _same_keys(body["errors"], {"lines": {"0": {field: ...}}}), body["errors"]
    assert _counts(db) == before


def _cash_entry(client: FlaskClient, headers: dict[str, str], **extra: Any) -> Any:
    return client.post(
        "/api/v1/cash-entries",
        json={
            "bank": "BSU1",
            "category": "transport",
            "amount_rp": 20_000,
            "description": "Angkut ke pengepul",
            **extra,
        },
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


def test_a_cash_entry_dated_in_the_future_is_refused_and_writes_nothing(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    headers = _h(db, counter_world)
    tomorrow = dt.datetime.now(ZoneInfo(counter_world.unit.timezone)).date()
    tomorrow += dt.timedelta(days=1)
    before = _counts(db)
    # (the last day a request may name at all is 2100-12-31)
    for day in (tomorrow, dt.date(2100, 12, 31)):
        response = _cash_entry(client, headers, occurred_on=day.isoformat())
        assert response.status_code == 422, response.get_json()
        body = response.get_json()
        assert body["type"] == "invalid_value"
        assert body["errors"] == {"occurred_on": [body["message"]]}
    assert _counts(db) == before


@pytest.mark.parametrize(
    "occurred_on", ["2026-13-01", "2026-02-30", "01-12-2026", "kemarin", 20260101]
)
def test_a_cash_entry_with_a_malformed_date_is_refused_and_writes_nothing(
    client: FlaskClient, db: Session, counter_world: World, occurred_on: Any
) -> None:
    headers = _h(db, counter_world)
    before = _counts(db)
    response = _cash_entry(client, headers, occurred_on=occurred_on)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == "validation_error"
    assert list(body["errors"]) == ["occurred_on"]
    assert _counts(db) == before


@pytest.mark.parametrize("extra", [{}, {"occurred_on": None}])
def test_a_cash_entry_without_a_date_is_booked_now(
    client: FlaskClient, db: Session, counter_world: World, extra: dict[str, Any]
) -> None:
    """``occurred_on`` is optional: left out (or blank) the entry is dated now."""
    headers = _h(db, counter_world)
    before = _counts(db)
    start = dt.datetime.now(dt.UTC)
    response = _cash_entry(client, headers, **extra)
    assert response.status_code == 201, response.get_json()
    at = dt.datetime.fromisoformat(response.get_json()["occurred_at"])
    assert start - dt.timedelta(seconds=1) <= at <= dt.datetime.now(dt.UTC)
    assert _counts(db)[-1] == before[-1] + 1


def test_a_cash_entry_dated_yesterday_is_booked_at_local_noon(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    zone = ZoneInfo(counter_world.unit.timezone)
    yesterday = dt.datetime.now(zone).date() - dt.timedelta(days=1)
    response = _cash_entry(
        client, _h(db, counter_world), occurred_on=yesterday.isoformat()
    )
    assert response.status_code == 201, response.get_json()
    at = dt.datetime.fromisoformat(response.get_json()["occurred_at"])
    assert at == dt.datetime.combine(yesterday, dt.time(12), zone)


@pytest.mark.parametrize(
    "key",
    ["", " ", "k" * 81, "k" * 300, "kunci-é", "ключ", "a b", "abc\x01", "abc\t"],
)
def test_a_sale_with_a_malformed_idempotency_key_is_refused_and_writes_nothing(
    client: FlaskClient,
    db: Session,
    counter_world: World,
    stocked: dict[str, Any],
    key: str,
) -> None:
    before = _counts(db)
    response = client.post(
        "/api/v1/sales",
        json={
            "bank": "BSU1",
            "buyer": stocked["buyer"],
            "lines": [{"category": "PET", "quantity": 1, "price_rp": 4000}],
        },
        headers={**stocked["headers"], "Idempotency-Key": key},
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == "validation_error"
    assert list(body["errors"]) == ["Idempotency-Key"]
    assert _counts(db) == before


def test_a_cashier_reads_a_sale_without_its_cost_and_margin(
    client: FlaskClient, db: Session, counter_world: World, stocked: dict[str, Any]
) -> None:
    """Cost and margin are for managers, DLH and admins (issue #15, item 6)."""
    sale = client.post(
        "/api/v1/sales",
        json={
            "bank": "BSU1",
            "buyer": stocked["buyer"],
            "lines": [{"category": "PET", "quantity": "4", "price_rp": 4000}],
        },
        headers=stocked["headers"],
    ).get_json()
    for who, sees in (("cashier", False), ("unit_manager", True), ("dlh", True)):
        headers = _h(db, counter_world, who)
        one = client.get(f"/api/v1/sales/{sale['id']}", headers=headers).get_json()
        (listed,) = client.get("/api/v1/banks/BSU1/sales", headers=headers).get_json()
        for record in (one, one["lines"][0], listed, listed["lines"][0]):
            assert ("cost_rp" in record and "margin_rp" in record) is sees, who
            assert (
                record["amount_rp" if "amount_rp" in record else "total_rp"] == 16_000
            )
