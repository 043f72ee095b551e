"""The shipments API: a unit dispatches quantities, its induk receives and prices them;
no one writes an amount into another bank's books, and costs are for managers."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank.models import Buyer, CashEntry, Sale, Shipment, StockLevel


def _h(db: Session, world: World, who: str) -> dict[str, str]:
    headers = factories.auth_headers(db, world.users[who])
    headers["Idempotency-Key"] = uuid.uuid4().hex
    return headers


@pytest.fixture
def stocked(client: FlaskClient, db: Session, counter_world: World) -> World:
    """BSU1 holds 10 kg PET (Rp35,000) and 5 kg KARDUS (Rp5,500); BSI has a cashier."""
    response = client.post(
        "/api/v1/deposits",
        json={
            "member": counter_world.members["BSU1"].id,
            "lines": [
                {"category": "PET", "quantity": "10"},
                {"category": "KARDUS", "quantity": "5"},
            ],
        },
        headers=_h(db, counter_world, "cashier"),
    )
    assert response.status_code == 201, response.get_json()
    counter_world.users["induk_cashier"] = factories.make_user(
        db, username="ki", role="cashier", bank_code="BSI"
    )
    counter_world.users["sibling_manager"] = factories.make_user(
        db, username="m2", role="manager", bank_code="BSU2"
    )
    db.commit()
    return counter_world


def _dispatch(client: FlaskClient, headers: dict[str, str], **lines: str) -> Any:
    return client.post(
        "/api/v1/shipments",
        json={
            "bank": "BSU1",
            "lines": [{"category": c, "quantity": q} for c, q in lines.items()],
        },
        headers=headers,
    )


def _receive(
    client: FlaskClient, shipment_id: int, headers: dict[str, str], **lines: str
) -> Any:
    return client.post(
        f"/api/v1/shipments/{shipment_id}/receive",
        json={"lines": [{"category": c, "quantity": q} for c, q in lines.items()]},
        headers=headers,
    )


def _induk_books(db: Session, world: World) -> tuple[int, int]:
    """What the induk's books hold: its cash entries and its stock value."""
    db.expire_all()
    entries = db.scalar(
        sa.select(sa.func.count())
        .select_from(CashEntry)
        .where(CashEntry.bank_id == world.induk.id)
    )
    value = db.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StockLevel.value_rp), 0)).where(
            StockLevel.bank_id == world.induk.id
        )
    )
    return int(entries or 0), int(value or 0)


def test_a_units_manager_cannot_write_an_amount_into_the_induks_books(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    """The attack of issue #15: an induk buyer, then a sale of 1 g for Rp900 billion."""
    manager = _h(db, stocked, "unit_manager")
    response = client.post(
        "/api/v1/banks/BSU1/buyers",
        json={"name": "Induk", "kind": "induk"},
        headers=manager,
    )
    assert response.status_code == 422, response.get_json()
    # An induk buyer registered before shipments existed is no way in either.
    old = Buyer(
        bank_id=stocked.unit.id,
        name="BSI (lama)",
        kind="induk",
        induk_bank_id=stocked.induk.id,
    )
    db.add(old)
    db.commit()
    response = client.post(
        "/api/v1/sales",
        json={
            "bank": "BSU1",
            "buyer": old.id,
            "lines": [
                {"category": "KARDUS", "quantity": 0.001, "amount_rp": 900_000_000_000}
            ],
        },
        headers=manager,
    )
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == ["buyer"]
    # A shipment carries no amount: the induk prices it when it receives it.
    response = client.post(
        "/api/v1/shipments",
        json={
            "bank": "BSU1",
            "lines": [
                {"category": "KARDUS", "quantity": 0.001, "amount_rp": 900_000_000_000}
            ],
        },
        headers=manager,
    )
    assert response.status_code == 422
    assert _induk_books(db, stocked) == (0, 0)
    assert db.scalar(sa.select(sa.func.count()).select_from(Sale)) == 0


def test_a_shipment_is_dispatched_and_received_once_under_its_keys(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    manager = _h(db, stocked, "unit_manager")
    first = _dispatch(client, manager, PET="4", KARDUS="5")
    assert first.status_code == 201, first.get_json()
    shipment = first.get_json()
    assert (shipment["status"], shipment["value_rp"], shipment["cost_rp"]) == (
        "in_transit",
        None,
        19_500,
    )
    again = _dispatch(client, manager, PET="4", KARDUS="5")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert again.get_json()["id"] == shipment["id"]
    other = _dispatch(client, manager, PET="3", KARDUS="5")
    assert (other.status_code, other.get_json()["type"]) == (
        409,
        "idempotency_key_reused",
    )
    assert _induk_books(db, stocked) == (0, 0)  # in transit: not the induk's yet

    cashier = _h(db, stocked, "induk_cashier")
    listed = client.get(
        "/api/v1/banks/BSI/shipments?status=in_transit", headers=cashier
    )
    assert [s["receipt_no"] for s in listed.get_json()] == [shipment["receipt_no"]]
    received = _receive(client, shipment["id"], cashier, PET="3.9", KARDUS="5")
    assert received.status_code == 200, received.get_json()
    assert received.headers["Idempotent-Replayed"] == "false"
    body = received.get_json()
    assert (body["status"], body["value_rp"]) == ("received", 11_700 + 5_500)
    assert [(line["variance"], line["price_rp"]) for line in body["lines"]] == [
        ("-0.100", 3_000),
        ("0.000", 1_100),
    ]
    replay = _receive(client, shipment["id"], cashier, PET="3.9", KARDUS="5")
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (200, "true")
    changed = _receive(client, shipment["id"], cashier, PET="4", KARDUS="5")
    assert changed.get_json()["type"] == "idempotency_key_reused"
    twice = _receive(
        client, shipment["id"], _h(db, stocked, "induk_manager"), PET="4", KARDUS="5"
    )
    assert (twice.status_code, twice.get_json()["type"]) == (409, "invalid_transition")
    assert _induk_books(db, stocked) == (1, 17_200)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("unit_manager", 403),  # sees its shipment, but the induk buys it
        ("cashier", 403),
        ("sibling_manager", 404),
        ("dlh", 403),
        ("dlh_other_city", 403),
    ],
)
def test_only_the_induks_staff_receive_over_the_api(
    client: FlaskClient, db: Session, stocked: World, who: str, status: int
) -> None:
    shipment = _dispatch(client, _h(db, stocked, "unit_manager"), PET="1").get_json()
    response = _receive(client, shipment["id"], _h(db, stocked, who), PET="1")
    assert response.status_code == status, response.get_json()
    assert _induk_books(db, stocked) == (0, 0)


def test_a_receipt_needs_an_idempotency_key_and_no_amounts(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    shipment = _dispatch(client, _h(db, stocked, "unit_manager"), PET="1").get_json()
    headers = _h(db, stocked, "induk_manager")
    no_key = {k: v for k, v in headers.items() if k != "Idempotency-Key"}
    assert _receive(client, shipment["id"], no_key, PET="1").status_code == 422
    priced = client.post(
        f"/api/v1/shipments/{shipment['id']}/receive",
        json={"lines": [{"category": "PET", "quantity": 1, "price_rp": 10**9}]},
        headers=headers,
    )
    assert priced.status_code == 422
    assert _induk_books(db, stocked) == (0, 0)


COSTS = {"cost_rp", "margin_rp"}


@pytest.mark.parametrize(
    ("who", "sees_costs"),
    [
        ("induk_cashier", False),
        ("cashier", False),
        ("induk_manager", True),
        ("unit_manager", True),
        ("dlh", True),
        ("admin", True),
    ],
)
def test_cost_and_margin_of_shipments_and_sales_are_for_managers(
    client: FlaskClient, db: Session, stocked: World, who: str, sees_costs: bool
) -> None:
    """A cashier (the induk's or the unit's) never gets a shipment's or sale's cost."""
    manager = _h(db, stocked, "unit_manager")
    shipment = _dispatch(client, manager, PET="4").get_json()
    _receive(client, shipment["id"], _h(db, stocked, "induk_manager"), PET="4")
    buyer = client.post(
        "/api/v1/banks/BSU1/buyers",
        json={"name": "Pak Ali", "kind": "pengepul"},
        headers=manager,
    ).get_json()
    sale = client.post(
        "/api/v1/sales",
        json={
            "bank": "BSU1",
            "buyer": buyer["id"],
            "lines": [{"category": "KARDUS", "quantity": 5, "price_rp": 1500}],
        },
        headers={**manager, "Idempotency-Key": uuid.uuid4().hex},
    ).get_json()
    headers = _h(db, stocked, who)
    bank = "BSI" if who.startswith("induk") else "BSU1"
    answers = [
        client.get(f"/api/v1/shipments/{shipment['id']}", headers=headers).get_json(),
        *client.get(f"/api/v1/banks/{bank}/shipments", headers=headers).get_json(),
    ]
    if bank == "BSU1":
        answers.append(
            client.get(f"/api/v1/sales/{sale['id']}", headers=headers).get_json()
        )
        answers += client.get("/api/v1/banks/BSU1/sales", headers=headers).get_json()
    assert len(answers) >= 2
    for answer in answers:
        for record in (answer, *answer["lines"]):
            assert (record.keys() >= COSTS) is sees_costs, (who, record)
            assert (COSTS & record.keys() == set()) is not sees_costs, (who, record)


def test_concurrent_receipts_over_http_receive_once(
    app: Flask, db: Session, stocked: World
) -> None:
    answer = _dispatch(
        app.test_client(), _h(db, stocked, "unit_manager"), PET="4"
    ).get_json()
    headers = [_h(db, stocked, "induk_cashier") for _ in range(6)]
    statuses: list[int] = []

    def receive(h: dict[str, str]) -> None:
        statuses.append(
            _receive(app.test_client(), answer["id"], h, PET="4").status_code
        )

    threads = [threading.Thread(target=receive, args=(h,)) for h in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [200] + [409] * 5
    assert _induk_books(db, stocked) == (1, 12_000)
    db.expire_all()
    received = db.get(Shipment, answer["id"])
    assert received is not None and received.status == "received"
