"""Money races through the API: many requests at once, each taking effect once.

Every test fires its requests from a thread pool, all released together by a barrier,
each through its own test client (so its own request context and database session), on
SQLite and PostgreSQL. Whatever order the database serialises them in, nothing may go
negative and nothing may be counted twice (issue #15: 30 concurrent withdrawals, 30
replays of one deposit key, 20 concurrent approvals, payouts and reversals, sales racing
stock corrections). The services' own race of deposits, sales and corrections is in
``test_backoffice_services``.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank.models import (
    AuditEntry,
    Deposit,
    LedgerEntry,
    SaleLine,
    StockAdjustment,
    StockLevel,
    StockMovement,
    WasteCategory,
    Withdrawal,
)


def _race(n: int, call: Callable[[int], Any]) -> list[Any]:
    """``call(i)`` for ``i`` in ``range(n)``, all at once; their results in order."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait(timeout=60)
        return call(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def _h(db: Session, world: World, who: str, key: str | None = None) -> dict[str, str]:
    headers = factories.auth_headers(db, world.users[who])
    headers["Idempotency-Key"] = key or uuid.uuid4().hex
    return headers


def _post(app: Flask, url: str, headers: dict[str, str], body: Any = None) -> Any:
    response = app.test_client().post(url, json=body, headers=headers)
    return response.status_code, response.get_json(), response.headers


def _statuses(results: list[Any]) -> Counter[int]:
    return Counter(status for status, _body, _headers in results)


def _types(results: list[Any]) -> set[str]:
    return {body["type"] for status, body, _headers in results if status >= 400}


def _scalar(db: Session, query: Any) -> Any:
    db.expire_all()
    db.rollback()  # a fresh snapshot: the requests committed through their own sessions
    return db.scalar(query)


def _count_and_sum(db: Session, kind: str) -> tuple[int, int]:
    """How many ledger entries of ``kind`` there are, and their sum."""
    db.rollback()
    count, total = db.execute(
        sa.select(sa.func.count(), sa.func.sum(LedgerEntry.amount_rp)).where(
            LedgerEntry.kind == kind
        )
    ).one()
    return count, total


def _count(db: Session, model: Any, *where: Any) -> int:
    return _scalar(db, sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _position(app: Flask, db: Session, world: World, member: int) -> tuple[int, int]:
    body = (
        app.test_client()
        .get(f"/api/v1/members/{member}", headers=_h(db, world, "cashier"))
        .get_json()
    )
    return body["balance_rp"], body["available_rp"]


def _deposit(app: Flask, db: Session, world: World, quantity: str) -> dict[str, Any]:
    """BSU1's member brings ``quantity`` kg of PET at Rp3,500/kg."""
    status, body, _headers = _post(
        app,
        "/api/v1/deposits",
        _h(db, world, "cashier"),
        {
            "member": world.members["BSU1"].id,
            "lines": [{"category": "PET", "quantity": quantity}],
        },
    )
    assert status == 201, body
    return body


def _withdrawal(app: Flask, db: Session, world: World, amount_rp: int) -> int:
    status, body, _headers = _post(
        app,
        "/api/v1/withdrawals",
        _h(db, world, "cashier"),
        {"member": world.members["BSU1"].id, "amount_rp": amount_rp, "method": "cash"},
    )
    assert status == 201, body
    return int(body["id"])


# -- savings -------------------------------------------------------------------------------
def test_thirty_concurrent_withdrawals_never_overdraw(
    app: Flask, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    _deposit(app, db, counter_world, "2.857")  # Rp10,000
    headers = [_h(db, counter_world, "cashier") for _ in range(30)]
    results = _race(
        30,
        lambda i: _post(
            app,
            "/api/v1/withdrawals",
            headers[i],
            {"member": member, "amount_rp": 3000, "method": "cash"},
        ),
    )
    assert _statuses(results) == {201: 3, 409: 27}
    assert _types(results) == {"insufficient_balance"}
    held = _scalar(
        db,
        sa.select(sa.func.sum(Withdrawal.amount_rp)).where(
            Withdrawal.member_id == member
        ),
    )
    assert held == 9000
    assert _position(app, db, counter_world, member) == (10000, 1000)


def test_thirty_replays_of_one_deposit_key_credit_once(
    app: Flask, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    headers = _h(db, counter_world, "cashier", key="double-click")
    body = {"member": member, "lines": [{"category": "PET", "quantity": 1}]}
    results = _race(30, lambda _i: _post(app, "/api/v1/deposits", headers, body))
    assert _statuses(results) == {201: 30}
    assert len({body["id"] for _status, body, _headers in results}) == 1
    replayed = [h.get("Idempotent-Replayed") for _status, _body, h in results]
    assert replayed.count("true") == 29
    assert (_count(db, Deposit), _count(db, LedgerEntry)) == (1, 1)
    assert _scalar(db, sa.select(sa.func.sum(LedgerEntry.amount_rp))) == 3500
    # The waste went into the stock once too.
    assert _count(db, StockMovement) == 1
    assert _position(app, db, counter_world, member) == (3500, 3500)


def test_twenty_concurrent_approvals_of_one_withdrawal_approve_once(
    app: Flask, db: Session, counter_world: World
) -> None:
    _deposit(app, db, counter_world, "2.857")
    withdrawal = _withdrawal(app, db, counter_world, 3000)
    managers = [
        _h(db, counter_world, who) for who in ("unit_manager", "induk_manager") * 10
    ]
    results = _race(
        20,
        lambda i: _post(app, f"/api/v1/withdrawals/{withdrawal}/approve", managers[i]),
    )
    assert _statuses(results) == {200: 1, 409: 19}
    assert _types(results) == {"invalid_transition"}
    assert _count(db, AuditEntry, AuditEntry.action == "withdrawal.approve") == 1
    assert _scalar(db, sa.select(Withdrawal.status)) == "approved"
    # Approval moves no money: the amount stays held, nothing is debited yet.
    member = counter_world.members["BSU1"].id
    assert _position(app, db, counter_world, member) == (10000, 7000)


def test_twenty_concurrent_payouts_of_one_withdrawal_pay_once(
    app: Flask, db: Session, counter_world: World
) -> None:
    _deposit(app, db, counter_world, "2.857")
    withdrawal = _withdrawal(app, db, counter_world, 3000)
    approved = app.test_client().post(
        f"/api/v1/withdrawals/{withdrawal}/approve",
        headers=_h(db, counter_world, "unit_manager"),
    )
    assert approved.status_code == 200
    payers = [_h(db, counter_world, who) for who in ("cashier", "induk_manager") * 10]
    results = _race(
        20, lambda i: _post(app, f"/api/v1/withdrawals/{withdrawal}/pay", payers[i])
    )
    assert _statuses(results) == {200: 1, 409: 19}
    assert _types(results) == {"invalid_transition"}
    assert _count_and_sum(db, "withdrawal") == (1, -3000)
    assert _count(db, AuditEntry, AuditEntry.action == "withdrawal.pay") == 1
    member = counter_world.members["BSU1"].id
    assert _position(app, db, counter_world, member) == (7000, 7000)


def test_payouts_racing_rejections_of_one_withdrawal_end_one_way(
    app: Flask, db: Session, counter_world: World
) -> None:
    """Ten payouts and ten rejections at once: paid and debited, or rejected and free."""
    _deposit(app, db, counter_world, "2.857")
    withdrawal = _withdrawal(app, db, counter_world, 3000)
    app.test_client().post(
        f"/api/v1/withdrawals/{withdrawal}/approve",
        headers=_h(db, counter_world, "unit_manager"),
    )
    cashier = _h(db, counter_world, "cashier")
    manager = _h(db, counter_world, "induk_manager")

    def decide(i: int) -> Any:
        if i % 2:
            return _post(app, f"/api/v1/withdrawals/{withdrawal}/pay", cashier)
        return _post(
            app,
            f"/api/v1/withdrawals/{withdrawal}/reject",
            manager,
            {"reason": "kas kosong"},
        )

    results = _race(20, decide)
    assert _statuses(results) == {200: 1, 409: 19}
    status = _scalar(db, sa.select(Withdrawal.status))
    debits = _count(db, LedgerEntry, LedgerEntry.kind == "withdrawal")
    member = counter_world.members["BSU1"].id
    if status == "paid":
        assert debits == 1
        assert _position(app, db, counter_world, member) == (7000, 7000)
    else:
        assert (status, debits) == ("rejected", 0)
        assert _position(app, db, counter_world, member) == (10000, 10000)


def test_twenty_concurrent_reversals_of_one_deposit_reverse_once(
    app: Flask, db: Session, counter_world: World
) -> None:
    deposit = _deposit(app, db, counter_world, "2")  # Rp7,000 and 2 kg of PET
    managers = [
        _h(db, counter_world, who) for who in ("unit_manager", "induk_manager") * 10
    ]
    results = _race(
        20,
        lambda i: _post(
            app,
            f"/api/v1/deposits/{deposit['id']}/reversal",
            managers[i],
            {"reason": "salah timbang"},
        ),
    )
    assert _statuses(results) == {201: 1, 409: 19}
    assert _types(results) == {"already_reversed"}
    assert _count_and_sum(db, "reversal") == (1, -7000)
    member = counter_world.members["BSU1"].id
    assert _position(app, db, counter_world, member) == (0, 0)
    # The waste left the stock once: nothing on hand, and never below zero.
    level = _scalar(
        db,
        sa.select(StockLevel.quantity)
        .join(WasteCategory, WasteCategory.id == StockLevel.category_id)
        .where(
            StockLevel.bank_id == counter_world.unit.id, WasteCategory.code == "PET"
        ),
    )
    assert level == 0
    assert _count(db, StockMovement) == 2


def test_reversals_racing_withdrawals_of_the_same_money_never_go_negative(
    app: Flask, db: Session, counter_world: World
) -> None:
    """A deposit's money is either taken back or paid out, never both."""
    deposit = _deposit(app, db, counter_world, "2.857")  # Rp10,000
    member = counter_world.members["BSU1"].id
    cashiers = [_h(db, counter_world, "cashier") for _ in range(10)]
    manager = _h(db, counter_world, "unit_manager")

    def move(i: int) -> Any:
        if i % 2:
            return _post(
                app,
                "/api/v1/withdrawals",
                cashiers[i // 2],
                {"member": member, "amount_rp": 3000, "method": "cash"},
            )
        return _post(
            app,
            f"/api/v1/deposits/{deposit['id']}/reversal",
            manager,
            {"reason": "salah timbang"},
        )

    results = _race(20, move)
    withdrawn = _count(db, Withdrawal)
    reversed_ = _count(db, Deposit, Deposit.reversed_at.is_not(None))
    balance, available = _position(app, db, counter_world, member)
    assert balance >= 0 and available >= 0
    if reversed_:
        assert (reversed_, withdrawn, balance) == (1, 0, 0)
    else:
        assert 1 <= withdrawn <= 3
        assert (balance, available) == (10000, 10000 - 3000 * withdrawn)
    assert _statuses(results)[201] == reversed_ + withdrawn


# -- stock ---------------------------------------------------------------------------------
def test_sales_racing_stock_corrections_never_oversell_or_lose_stock(
    app: Flask, db: Session, counter_world: World
) -> None:
    """Ten sales of 3 kg and ten corrections of -1 kg race for 10 kg of PET."""
    _deposit(app, db, counter_world, "10")
    manager = _h(db, counter_world, "unit_manager")
    status, buyer, _headers = _post(
        app,
        "/api/v1/banks/BSU1/buyers",
        manager,
        {"name": "Pak Ali", "kind": "pengepul"},
    )
    assert status == 201
    headers = [_h(db, counter_world, "unit_manager") for _ in range(20)]

    def move(i: int) -> Any:
        if i % 2:
            return _post(
                app,
                "/api/v1/sales",
                headers[i],
                {
                    "bank": "BSU1",
                    "buyer": buyer["id"],
                    "lines": [{"category": "PET", "quantity": 3, "price_rp": 4000}],
                },
            )
        return _post(
            app,
            "/api/v1/banks/BSU1/stock-adjustments",
            headers[i],
            {"category": "PET", "quantity": "-1", "reason": "stock opname"},
        )

    results = _race(20, move)
    assert set(_statuses(results)) <= {201, 409}
    assert _types(results) <= {"insufficient_stock"}
    sold = _scalar(db, sa.select(sa.func.coalesce(sa.func.sum(SaleLine.quantity), 0)))
    corrected = _scalar(
        db, sa.select(sa.func.coalesce(sa.func.sum(StockAdjustment.quantity), 0))
    )
    assert _statuses(results)[201] == _count(db, SaleLine) + _count(db, StockAdjustment)
    on_hand = _scalar(db, sa.select(StockLevel.quantity))
    moved = _scalar(db, sa.select(sa.func.sum(StockMovement.quantity)))
    assert on_hand == moved == Decimal(10) - Decimal(sold) + Decimal(corrected) >= 0
    # Whatever ran first, what is left is less than the smallest command needs.
    assert on_hand < 1
