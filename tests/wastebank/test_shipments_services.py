"""Shipments to the induk: dispatched by the unit, weighed, priced and received by the
induk; in transit in both banks' books until then; returned at cost when refused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank import services
from wastebank.access import SYSTEM, Actor
from wastebank.exceptions import (
    BankNotFound,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidTransition,
    InvalidValue,
    NoPrice,
    PermissionDenied,
    ShipmentNotFound,
)
from wastebank.extensions import db as _db
from wastebank.models import CashEntry, Shipment, StockLevel, StockMovement
from wastebank.services import backoffice, shipments

Line = shipments.ShipmentLineInput


@pytest.fixture
def stocked(db: Session, counter_world: World) -> World:
    """BSU1 holds 10 kg PET (Rp35,000) and 5 kg KARDUS (Rp5,500); the induk BSI has a
    cashier (``ki``) besides its manager; BSU2 has a manager (``m2``)."""
    services.record_deposit(
        db,
        SYSTEM,
        member_id=counter_world.members["BSU1"].id,
        idempotency_key="d1",
        request_hash="d1",
        lines=[
            services.DepositLineInput("PET", Decimal(10)),
            services.DepositLineInput("KARDUS", Decimal(5)),
        ],
    )
    counter_world.users["induk_cashier"] = factories.make_user(
        db, username="ki", role="cashier", bank_code="BSI"
    )
    counter_world.users["sibling_manager"] = factories.make_user(
        db, username="m2", role="manager", bank_code="BSU2"
    )
    db.commit()
    return counter_world


def _actor(world: World, who: str) -> Actor:
    return services.actor_for(world.users[who])


def _dispatch(db: Session, actor: Actor = SYSTEM, key: str = "s1", **lines: str):
    shipment, replay = shipments.dispatch_shipment(
        db,
        actor,
        bank_code="BSU1",
        lines=[Line(code, Decimal(q)) for code, q in lines.items()],
        idempotency_key=key,
        request_hash=key + repr(sorted(lines.items())),
    )
    return shipment, replay


def _receive(
    db: Session, shipment_id: int, actor: Actor = SYSTEM, key: str = "r1", **lines: str
):
    return shipments.receive_shipment(
        db,
        actor,
        shipment_id,
        lines=[Line(code, Decimal(q)) for code, q in lines.items()],
        idempotency_key=key,
        request_hash=repr(sorted(lines.items())),
    )


def _stock(db: Session, bank: str) -> dict[str, tuple[Decimal, int]]:
    _bank, rows = backoffice.stock(db, SYSTEM, bank)
    return {r.category.code: (r.quantity, r.value_rp) for r in rows if r.quantity}


def _cash(db: Session, bank: str) -> list[tuple[str, int, int]]:
    book = backoffice.cash_book(db, SYSTEM, bank)
    return [(line.category, line.in_rp, line.out_rp) for line in book.lines]


# -- the flow ------------------------------------------------------------------------------
def test_a_dispatched_shipment_is_in_transit_and_no_money_moves(
    db: Session, stocked: World
) -> None:
    shipment, replay = _dispatch(
        db, _actor(stocked, "unit_manager"), PET="4", KARDUS="5"
    )
    assert (replay, shipment.status, shipment.receipt_no) == (
        False,
        "in_transit",
        "BSU1-P000002",  # the unit's one receipt sequence: D000001 was the deposit
    )
    # The stock left the unit at its average cost; the induk has nothing yet.
    assert shipment.cost_rp == 14_000 + 5_500
    assert [(line.category_code, line.cost_rp) for line in shipment.lines] == [
        ("PET", 14_000),
        ("KARDUS", 5_500),
    ]
    assert _stock(db, "BSU1") == {"PET": (6, 21_000)}
    assert _stock(db, "BSI") == {}
    # In transit in both banks' books: listed apart, never as money.
    assert _cash(db, "BSU1") == _cash(db, "BSI") == []
    for bank in ("BSU1", "BSI"):
        assert backoffice.cash_book(db, SYSTEM, bank).in_transit == [shipment]
    pnl = backoffice.profit_and_loss(db, SYSTEM, "BSU1")
    assert (pnl.sales_rp, pnl.cost_of_sales_rp, pnl.in_transit_cost_rp) == (
        0,
        0,
        19_500,
    )
    book = backoffice.sales_book(db, SYSTEM, "BSU1")
    assert [(row.receipt_no, row.in_transit) for row in book.rows] == [
        ("BSU1-P000002", True),
        ("BSU1-P000002", True),
    ]
    assert (book.total_rp, book.cost_rp, book.total_weight_kg) == (0, 0, 0)
    figures = {
        row.bank.code: row.figures
        for row in backoffice.city_totals(db, SYSTEM, "AMB").banks
    }
    assert (figures["BSU1"].shipped_kg, figures["BSU1"].in_transit_kg) == (9, 9)
    assert figures["BSI"].shipments_in_kg == 0


def test_the_induk_receives_weighed_quantities_at_its_prices_and_keeps_the_variance(
    db: Session, stocked: World
) -> None:
    shipment, _ = _dispatch(db, PET="4", KARDUS="5")
    received, replay = _receive(
        db, shipment.id, _actor(stocked, "induk_cashier"), PET="3.8", KARDUS="5"
    )
    assert (replay, received.status) == (False, "received")
    # BSI buys PET at Rp3,000 and KARDUS at Rp1,100: its own price list, not the unit's.
    assert [
        (line.category_code, line.received_quantity, line.variance, line.amount_rp)
        for line in received.lines
    ] == [("PET", Decimal("3.8"), Decimal("-0.2"), 11_400), ("KARDUS", 5, 0, 5_500)]
    assert (received.value_rp, received.received_weight_kg) == (16_900, Decimal("8.8"))
    assert received.margin_rp == 16_900 - 19_500
    assert _stock(db, "BSI") == {"PET": (Decimal("3.8"), 11_400), "KARDUS": (5, 5_500)}
    assert _stock(db, "BSU1") == {"PET": (6, 21_000)}  # unchanged by the receipt
    assert _cash(db, "BSU1") == [("sale", 16_900, 0)]
    assert _cash(db, "BSI") == [("purchase", 0, 16_900)]
    assert backoffice.cash_book(db, SYSTEM, "BSI").in_transit == []
    pnl = backoffice.profit_and_loss(db, SYSTEM, "BSU1")
    assert (pnl.sales_rp, pnl.cost_of_sales_rp, pnl.shipments_rp) == (
        16_900,
        19_500,
        16_900,
    )
    assert (pnl.gross_margin_rp, pnl.in_transit_cost_rp) == (-2_600, 0)
    book = backoffice.sales_book(db, SYSTEM, "BSU1")
    assert (book.total_rp, book.cost_rp, book.total_weight_kg) == (
        16_900,
        19_500,
        Decimal("8.8"),
    )
    figures = {
        row.bank.code: row.figures
        for row in backoffice.city_totals(db, SYSTEM, "AMB").banks
    }
    assert (figures["BSU1"].shipped_kg, figures["BSU1"].in_transit_kg) == (9, 0)
    assert figures["BSI"].shipments_in_kg == Decimal("8.8")
    assert figures["BSU1"].sales_rp == 16_900


def test_a_line_none_of_which_arrived_is_received_as_zero_and_pays_nothing(
    db: Session, stocked: World
) -> None:
    shipment, _ = _dispatch(db, PET="2", KARDUS="1")
    received, _ = _receive(db, shipment.id, PET="2", KARDUS="0")
    assert [(line.variance, line.amount_rp) for line in received.lines] == [
        (0, 6_000),
        (-1, 0),
    ]
    assert _stock(db, "BSI") == {"PET": (2, 6_000)}  # no movement of 0 kg KARDUS
    assert _cash(db, "BSI") == [("purchase", 0, 6_000)]


def test_a_waste_type_the_induk_has_no_price_for_cannot_be_received(
    db: Session, stocked: World
) -> None:
    """KACA has no price anywhere: the induk sets one first; nothing is written."""
    backoffice.adjust_stock(
        db,
        SYSTEM,
        bank_code="BSU1",
        category_code="KACA",
        quantity=Decimal(20),
        reason="found",
        idempotency_key="a1",
        request_hash="a1",
    )
    shipment, _ = _dispatch(db, PET="1", KACA="20")
    db.commit()
    with pytest.raises(NoPrice) as refused:
        _receive(db, shipment.id, PET="1", KACA="20")
    assert refused.value.field == "lines.1.category"
    db.rollback()
    assert db.get(Shipment, shipment.id).status == "in_transit"  # type: ignore[union-attr]
    assert _stock(db, "BSI") == {}


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ({"PET": "4"}, "lines"),  # KARDUS not weighed
        ({"PET": "4", "KARDUS": "5", "TEMBAGA": "1"}, "lines.2.category"),
        ({"PET": "4", "KARDUS": "-1"}, "lines.1.quantity"),
        ({"PET": "4.0001", "KARDUS": "5"}, "lines.0.quantity"),
        ({"PET": "100001", "KARDUS": "5"}, "lines.0.quantity"),
    ],
)
def test_a_receipt_weighs_every_line_once_in_whole_grams(
    db: Session, stocked: World, lines: dict[str, str], field: str
) -> None:
    shipment, _ = _dispatch(db, PET="4", KARDUS="5")
    db.commit()
    with pytest.raises(InvalidValue) as refused:
        _receive(db, shipment.id, **lines)
    assert refused.value.field == field
    db.rollback()
    assert db.get(Shipment, shipment.id).status == "in_transit"  # type: ignore[union-attr]


def test_a_waste_type_is_shipped_on_one_line(db: Session, stocked: World) -> None:
    with pytest.raises(InvalidValue) as refused:
        shipments.dispatch_shipment(
            db,
            SYSTEM,
            bank_code="BSU1",
            lines=[Line("PET", Decimal(1)), Line("pet", Decimal(1))],
            idempotency_key="s",
            request_hash="s",
        )
    assert refused.value.field == "lines.1.category"


def test_a_shipment_needs_the_stock_and_writes_nothing_without_it(
    db: Session, stocked: World
) -> None:
    with pytest.raises(InsufficientStock) as refused:
        _dispatch(db, PET="4", KARDUS="5.001")
    assert refused.value.field == "lines.1.quantity"
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 0
    assert _stock(db, "BSU1") == {"PET": (10, 35_000), "KARDUS": (5, 5_500)}


# -- back to the unit ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("decide", "who", "status"),
    [
        (shipments.cancel_shipment, "unit_manager", "cancelled"),
        (shipments.reject_shipment, "induk_manager", "rejected"),
    ],
)
def test_a_refused_shipment_goes_back_into_the_units_stock_at_its_cost(
    db: Session, stocked: World, decide: Callable[..., Shipment], who: str, status: str
) -> None:
    # The unit buys more PET at a different price while the shipment is away.
    shipment, _ = _dispatch(db, PET="4")
    services.set_price(
        db,
        SYSTEM,
        "BSU1",
        "PET",
        price_rp=4_400,
        effective_from=services.local_date(stocked.unit, shipment.dispatched_at),
    )
    services.record_deposit(
        db,
        SYSTEM,
        member_id=stocked.members["BSU1"].id,
        idempotency_key="d2",
        request_hash="d2",
        lines=[services.DepositLineInput("PET", Decimal(5))],
    )
    assert _stock(db, "BSU1")["PET"] == (11, 21_000 + 22_000)
    with pytest.raises(InvalidValue):
        decide(db, _actor(stocked, who), shipment.id, reason="  ")
    returned = decide(db, _actor(stocked, who), shipment.id, reason="basah semua")
    assert (returned.status, returned.return_reason) == (status, "basah semua")
    # 4 kg came back at the Rp14,000 they left with: the value is exact.
    assert _stock(db, "BSU1")["PET"] == (15, 21_000 + 22_000 + 14_000)
    assert _cash(db, "BSU1") == _cash(db, "BSI") == []
    assert _stock(db, "BSI") == {}
    with pytest.raises(InvalidTransition):
        decide(db, _actor(stocked, who), shipment.id, reason="again")
    with pytest.raises(InvalidTransition):
        _receive(db, shipment.id, PET="4")
    figures = backoffice.city_totals(db, SYSTEM, "AMB").total
    assert (figures.shipped_kg, figures.in_transit_kg) == (0, 0)
    assert backoffice.profit_and_loss(db, SYSTEM, "BSU1").in_transit_cost_rp == 0


def test_a_received_shipment_is_neither_cancelled_nor_rejected(
    db: Session, stocked: World
) -> None:
    shipment, _ = _dispatch(db, PET="4")
    _receive(db, shipment.id, PET="4")
    with pytest.raises(InvalidTransition):
        shipments.cancel_shipment(db, SYSTEM, shipment.id, reason="late")
    with pytest.raises(InvalidTransition):
        shipments.reject_shipment(db, SYSTEM, shipment.id, reason="late")


# -- idempotency ---------------------------------------------------------------------------
def test_dispatch_and_receipt_replay_under_their_key_and_refuse_it_for_another_request(
    db: Session, stocked: World
) -> None:
    shipment, _ = _dispatch(db, key="k", PET="4")
    again, replay = _dispatch(db, key="k", PET="4")
    assert (again.id, replay) == (shipment.id, True)
    with pytest.raises(IdempotencyKeyReused):
        _dispatch(db, key="k", PET="5")
    assert _stock(db, "BSU1")["PET"] == (6, 21_000)  # taken out once

    _receive(db, shipment.id, key="r", PET="4")
    again, replay = _receive(db, shipment.id, key="r", PET="4")
    assert (again.id, replay) == (shipment.id, True)
    with pytest.raises(IdempotencyKeyReused):
        _receive(db, shipment.id, key="r", PET="3.9")
    with pytest.raises(InvalidTransition):
        _receive(db, shipment.id, key="another", PET="4")
    other, _ = _dispatch(db, key="k2", PET="1")
    with pytest.raises(IdempotencyKeyReused):
        _receive(db, other.id, key="r", PET="4")  # the key received another shipment
    assert _stock(db, "BSI") == {"PET": (4, 12_000)}
    assert len(_cash(db, "BSI")) == 1


# -- who may do what -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("unit_manager", None),
        ("admin", None),
        ("cashier", PermissionDenied),  # the unit's cashier: no SALES_WRITE
        ("induk_manager", PermissionDenied),  # reaches the unit, but it is not theirs
        ("sibling_manager", BankNotFound),
        ("dlh", PermissionDenied),
        ("driver", PermissionDenied),
    ],
)
def test_only_the_units_own_staff_dispatch(
    db: Session, stocked: World, who: str, error: type[Exception] | None
) -> None:
    if error is None:
        assert _dispatch(db, _actor(stocked, who), PET="1")[0].status == "in_transit"
    else:
        with pytest.raises(error):
            _dispatch(db, _actor(stocked, who), PET="1")


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("induk_cashier", None),  # who weighs at the induk
        ("induk_manager", None),
        ("admin", None),
        ("unit_manager", PermissionDenied),  # sees the shipment, does not buy it
        ("cashier", PermissionDenied),
        ("sibling_manager", ShipmentNotFound),
        ("dlh", PermissionDenied),
        ("dlh_other_city", PermissionDenied),
        ("driver", PermissionDenied),
    ],
)
def test_only_the_induks_own_staff_receive(
    db: Session, stocked: World, who: str, error: type[Exception] | None
) -> None:
    shipment, _ = _dispatch(db, PET="1")
    if error is None:
        received, _ = _receive(db, shipment.id, _actor(stocked, who), PET="1")
        assert received.status == "received"
    else:
        with pytest.raises(error):
            _receive(db, shipment.id, _actor(stocked, who), PET="1")


@pytest.mark.parametrize(
    ("decide", "allowed", "refused"),
    [
        (
            shipments.reject_shipment,
            "induk_manager",
            ("induk_cashier", "unit_manager", "cashier", "dlh"),
        ),
        (
            shipments.cancel_shipment,
            "unit_manager",
            ("induk_manager", "induk_cashier", "cashier", "dlh"),
        ),
    ],
)
def test_the_induks_managers_reject_and_the_units_managers_cancel(
    db: Session,
    stocked: World,
    decide: Callable[..., Shipment],
    allowed: str,
    refused: tuple[str, ...],
) -> None:
    shipment, _ = _dispatch(db, PET="1")
    for who in refused:
        with pytest.raises(PermissionDenied):
            decide(db, _actor(stocked, who), shipment.id, reason="no")
    assert decide(db, _actor(stocked, allowed), shipment.id, reason="no").returned_at


def test_both_banks_and_their_overseers_read_a_shipment_and_nobody_else(
    db: Session, stocked: World
) -> None:
    shipment, _ = _dispatch(db, PET="1")
    for who in ("unit_manager", "cashier", "induk_manager", "induk_cashier", "dlh"):
        assert shipments.get_shipment(db, _actor(stocked, who), shipment.id) is shipment
    for who in ("sibling_manager", "dlh_other_city"):
        with pytest.raises(ShipmentNotFound):
            shipments.get_shipment(db, _actor(stocked, who), shipment.id)
    with pytest.raises(PermissionDenied):
        shipments.get_shipment(db, _actor(stocked, "driver"), shipment.id)
    # The induk's manager lists every unit's shipments; a unit lists its own.
    for bank, who in (("BSI", "induk_manager"), ("BSU1", "cashier")):
        _bank, rows = shipments.list_shipments(db, _actor(stocked, who), bank)
        assert rows == [shipment]
    _bank, rows = shipments.list_shipments(
        db, _actor(stocked, "sibling_manager"), "BSU2"
    )
    assert rows == []


# -- the property: every kilogram is in one place, at one value -------------------------------
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["dispatch", "receive", "cancel", "reject"]),
        st.integers(min_value=1, max_value=40),  # tenths of a kg, or which shipment
        st.integers(
            min_value=0, max_value=12
        ),  # tenths the induk weighs less (or more)
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_stock_in_transit_and_money_always_add_up(
    db: Session, stocked: World, steps: list[tuple[str, int, int]]
) -> None:
    """Random dispatches, receipts and returns: each bank's stock equals its movements
    and is never negative; the unit's stock plus what is in transit plus what it shipped
    is what it had; the induk paid exactly what its stock of received waste is worth."""
    try:
        made: list[int] = []
        for step, (op, n, less) in enumerate(steps):
            try:
                if op == "dispatch":
                    shipment, _ = _dispatch(
                        db, key=f"s{step}", PET=str(Decimal(n) / 10)
                    )
                    made.append(shipment.id)
                elif made and op == "receive":
                    shipment = db.get(Shipment, made[n % len(made)])
                    assert shipment is not None
                    weighed = max(
                        Decimal(0),
                        Decimal(shipment.lines[0].quantity) + Decimal(6 - less) / 10,
                    )
                    _receive(db, shipment.id, key=f"r{step}", PET=str(weighed))
                elif made:
                    decide = (
                        shipments.cancel_shipment
                        if op == "cancel"
                        else shipments.reject_shipment
                    )
                    decide(db, SYSTEM, made[n % len(made)], reason="test")
            except (InsufficientStock, InvalidTransition):
                pass
            rows = db.scalars(sa.select(Shipment)).all()
            for bank in (stocked.unit, stocked.induk):
                for level in db.scalars(
                    sa.select(StockLevel).where(StockLevel.bank_id == bank.id)
                ):
                    moved = db.execute(
                        sa.select(
                            sa.func.coalesce(sa.func.sum(StockMovement.quantity), 0),
                            sa.func.coalesce(sa.func.sum(StockMovement.value_rp), 0),
                        ).where(
                            StockMovement.bank_id == bank.id,
                            StockMovement.category_id == level.category_id,
                        )
                    ).one()
                    assert (level.quantity, level.value_rp) == tuple(moved)
                    assert level.quantity >= 0 and level.value_rp >= 0
            unit_pet = _stock(db, "BSU1").get("PET", (Decimal(0), 0))
            away = [s for s in rows if s.status in ("in_transit", "received")]
            assert unit_pet[0] + sum(s.lines[0].quantity for s in away) == 10
            assert unit_pet[1] + sum(s.cost_rp for s in away) == 35_000
            received = [s for s in rows if s.status == "received"]
            paid = sum(out for _c, _in, out in _cash(db, "BSI"))
            assert paid == sum(s.value_rp or 0 for s in received)
            assert _stock(db, "BSI").get("PET", (0, 0))[1] == paid
            assert sum(i for _c, i, _out in _cash(db, "BSU1")) == paid
    finally:
        db.rollback()


# -- concurrency ---------------------------------------------------------------------------
def _race(app: Flask, commands: list[Callable[[Any], object]]) -> list[str]:
    """Run each command in its own thread and transaction; return how each ended."""
    outcomes: list[str] = []

    def run(command: Callable[[Any], object]) -> None:
        with app.app_context():
            session = _db.session
            try:
                command(session)
                session.commit()
                outcomes.append("done")
            except (InvalidTransition, InsufficientStock, IdempotencyKeyReused) as exc:
                session.rollback()
                outcomes.append(type(exc).__name__)
            except Exception as exc:  # a deadlock or a lost lock fails the test
                session.rollback()
                outcomes.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(c,)) for c in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return sorted(outcomes)


def test_concurrent_receipts_of_one_shipment_receive_it_once(
    app: Flask, db: Session, stocked: World
) -> None:
    """Eight of the induk's staff receive one shipment at once, each with their own key."""
    shipment, _ = _dispatch(db, PET="4", KARDUS="5")
    db.commit()
    cashier = _actor(stocked, "induk_cashier")
    outcomes = _race(
        app,
        [
            lambda session, k=k: _receive(
                session, shipment.id, cashier, key=f"r{k}", PET="4", KARDUS="5"
            )
            for k in range(8)
        ],
    )
    assert outcomes == ["InvalidTransition"] * 7 + ["done"]
    db.expire_all()
    assert _stock(db, "BSI") == {"PET": (4, 12_000), "KARDUS": (5, 5_500)}
    assert db.scalar(sa.select(sa.func.count()).select_from(CashEntry)) == 2
    moved = db.scalar(
        sa.select(sa.func.count()).where(StockMovement.kind == "shipment_in")
    )
    assert moved == 2


def test_a_receipt_racing_a_cancellation_leaves_the_waste_in_one_place(
    app: Flask, db: Session, stocked: World
) -> None:
    shipment, _ = _dispatch(db, PET="4")
    db.commit()
    cashier, manager = _actor(stocked, "induk_cashier"), _actor(stocked, "unit_manager")
    outcomes = _race(
        app,
        [
            lambda session: _receive(session, shipment.id, cashier, PET="4"),
            lambda session: shipments.cancel_shipment(
                session, manager, shipment.id, reason="salah kirim"
            ),
        ],
    )
    assert outcomes == ["InvalidTransition", "done"]
    db.expire_all()
    status = db.get(Shipment, shipment.id).status  # type: ignore[union-attr]
    unit, induk = _stock(db, "BSU1").get("PET"), _stock(db, "BSI").get("PET")
    if status == "received":
        assert (unit, induk) == ((6, 21_000), (4, 12_000))
    else:
        assert (status, unit, induk) == ("cancelled", (10, 35_000), None)


def test_concurrent_dispatches_never_ship_more_than_is_in_stock(
    app: Flask, db: Session, stocked: World
) -> None:
    """Ten dispatches of 3 kg race for 10 kg PET: three leave, stock never below zero."""
    manager = _actor(stocked, "unit_manager")
    outcomes = _race(
        app,
        [
            lambda session, k=k: _dispatch(session, manager, key=f"s{k}", PET="3")
            for k in range(10)
        ],
    )
    assert outcomes == ["InsufficientStock"] * 7 + ["done"] * 3
    db.expire_all()
    level = db.scalar(
        sa.select(StockLevel).where(
            StockLevel.bank_id == stocked.unit.id,
            StockLevel.category.has(code="PET"),
        )
    )
    assert level is not None and (level.quantity, level.value_rp) == (1, 3_500)
