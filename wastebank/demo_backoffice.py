"""Demo data of the back office: buyers, a few sales, shipments to the induk, expenses.

Runs after :func:`wastebank.demo_counter.load_counter`, so the units have stock from their
deposits. BSU01 sells to a pengepul in Batu Merah; BSU02 shipped most of its waste to the
induk BSI01 yesterday, and BSI01 weighed it (a little lighter: wet cardboard dries) and
received it at its prices; BSU03's shipment of today is still in transit. BSI01 sells on
to a recycler; each pays a few running costs. Selling prices are the average purchase
cost plus a margin, rounded to Rp50.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from wastebank.access import SYSTEM
from wastebank.extensions import SessionLike
from wastebank.models import Shipment
from wastebank.services import backoffice, shipments

#: (bank, buyer name, kind, phone)
BUYERS = [
    ("BSU01", "Pengepul Haji Umar, Batu Merah", "pengepul", "081343210987"),
    ("BSI01", "CV Maluku Daur Ulang", "industry", "0911352211"),
    ("BSU04", "Lapak Pak Rudy, Laha", "pengepul", "082199887766"),
]

#: (bank, category, amount Rp, description) of running costs
EXPENSES = [
    ("BSU01", "transport", 50_000, "Sewa pikap ke pengepul"),
    ("BSU01", "operations", 35_000, "Karung dan tali rafia"),
    ("BSI01", "honorarium", 750_000, "Honor pengurus"),
    ("BSI01", "transport", 150_000, "BBM truk jemput unit"),
]


def _price_rp(average_cost_rp: int | None, margin_pct: int) -> int:
    cost = average_cost_rp or 500
    return max(50, round(cost * (100 + margin_pct) / 100 / 50) * 50)


def _sell_share(
    session: SessionLike,
    bank_code: str,
    buyer_id: int,
    share: Decimal,
    margin_pct: int,
    key: str,
    at: dt.datetime,
) -> None:
    """Sell ``share`` of every kg category on hand to the buyer."""
    _bank, stock = backoffice.stock(session, SYSTEM, bank_code)
    lines = [
        backoffice.SaleLineInput(
            category=row.category.code,
            quantity=(row.quantity * share).quantize(Decimal("0.1")),
            price_rp=_price_rp(row.average_cost_rp, margin_pct),
        )
        for row in stock
        if row.category.unit == "kg" and row.quantity * share >= Decimal("0.1")
    ]
    if lines:
        backoffice.record_sale(
            session,
            SYSTEM,
            bank_code=bank_code,
            buyer_id=buyer_id,
            lines=lines,
            idempotency_key=key,
            request_hash=key,
            now=at,
        )


def _ship_share(
    session: SessionLike, bank_code: str, share: Decimal, key: str, at: dt.datetime
) -> Shipment | None:
    """Send ``share`` of every kg category on hand to the bank's induk."""
    _bank, stock = backoffice.stock(session, SYSTEM, bank_code)
    lines = [
        shipments.ShipmentLineInput(
            row.category.code, (row.quantity * share).quantize(Decimal("0.1"))
        )
        for row in stock
        if row.category.unit == "kg" and row.quantity * share >= Decimal("0.1")
    ]
    if not lines:
        return None
    shipment, _replay = shipments.dispatch_shipment(
        session,
        SYSTEM,
        bank_code=bank_code,
        lines=lines,
        idempotency_key=key,
        request_hash=key,
        now=at,
    )
    return shipment


def _receive_lighter(
    session: SessionLike, shipment: Shipment, loss: Decimal, at: dt.datetime
) -> None:
    """The induk weighs ``loss`` (a share) less of each line than was sent."""
    weighed = [
        shipments.ShipmentLineInput(
            line.category_code,
            (Decimal(line.quantity) * (1 - loss)).quantize(Decimal("0.1")),
        )
        for line in shipment.lines
    ]
    shipments.receive_shipment(
        session,
        SYSTEM,
        shipment.id,
        lines=weighed,
        idempotency_key=f"receive-{shipment.receipt_no}",
        request_hash=f"receive-{shipment.receipt_no}",
        now=at,
    )


def load_backoffice(session: SessionLike, rng: random.Random) -> None:
    """Create the buyers, sales, shipments and expenses (flushes, never commits)."""
    buyers = {
        bank: backoffice.create_buyer(
            session, SYSTEM, bank_code=bank, name=name, kind=kind, phone=phone
        )
        for bank, name, kind, phone in BUYERS
    }
    now = dt.datetime.now(dt.UTC)
    yesterday = now - dt.timedelta(days=1)
    _sell_share(
        session,
        "BSU01",
        buyers["BSU01"].id,
        Decimal("0.6"),
        25,
        "demo-sale-1",
        yesterday,
    )
    # BSU02's shipment, received by BSI01 at its prices; counted once for Ambon.
    shipped = _ship_share(session, "BSU02", Decimal("0.9"), "demo-ship-1", yesterday)
    if shipped is not None:
        _receive_lighter(
            session, shipped, Decimal("0.02"), yesterday + dt.timedelta(hours=3)
        )
    # BSU03's shipment of this morning is on its way: in transit, not yet money.
    _ship_share(
        session, "BSU03", Decimal("0.5"), "demo-ship-2", now - dt.timedelta(hours=3)
    )
    _sell_share(
        session,
        "BSI01",
        buyers["BSI01"].id,
        Decimal("0.5"),
        30 + rng.randint(0, 10),
        "demo-sale-2",
        now - dt.timedelta(hours=2),
    )
    for index, (bank, category, amount_rp, description) in enumerate(EXPENSES):
        backoffice.record_cash_entry(
            session,
            SYSTEM,
            bank_code=bank,
            direction="out",
            category=category,
            amount_rp=amount_rp,
            description=description,
            idempotency_key=f"demo-expense-{index}",
            request_hash=f"demo-expense-{index}",
            occurred_at=yesterday,
        )
