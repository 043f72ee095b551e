"""Service-level properties of the savings ledger."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.wastebank.conftest import World
from wastebank import services
from wastebank.exceptions import WasteBankError
from wastebank.models import LedgerEntry

OPS = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "reverse", "request", "approve", "reject", "pay"]),
        st.integers(min_value=1, max_value=20),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=OPS)
def test_balance_always_equals_the_sum_of_entries_and_the_model(
    db: Session, counter_world: World, ops: list[tuple[str, int]]
) -> None:
    """Random deposits, reversals and withdrawal steps keep the books consistent."""
    cashier = services.actor_for(counter_world.users["cashier"])
    manager = services.actor_for(counter_world.users["unit_manager"])
    member = counter_world.members["BSU1"]
    expected_balance = 0
    deposits: dict[int, int] = {}  # id -> credited total, still reversible
    withdrawals: dict[int, tuple[str, int]] = {}  # id -> (status, amount)
    try:
        for step, (op, n) in enumerate(ops):
            try:
                if op == "deposit":
                    deposit, _ = services.record_deposit(
                        db,
                        cashier,
                        member_id=member.id,
                        idempotency_key=f"k{step}",
                        request_hash="h",
                        lines=[services.DepositLineInput("PET", Decimal(n) / 4)],
                    )
                    deposits[deposit.id] = deposit.total_rp
                    expected_balance += deposit.total_rp
                elif op == "reverse" and deposits:
                    deposit_id = sorted(deposits)[n % len(deposits)]
                    services.reverse_deposit(db, manager, deposit_id, reason="test")
                    expected_balance -= deposits.pop(deposit_id)
                elif op == "request":
                    withdrawal, _ = services.request_withdrawal(
                        db,
                        cashier,
                        member_id=member.id,
                        amount_rp=n * 500,
                        method="cash",
                        idempotency_key=f"w{step}",
                        request_hash="h",
                    )
                    withdrawals[withdrawal.id] = ("requested", withdrawal.amount_rp)
                elif op in ("approve", "reject", "pay") and withdrawals:
                    withdrawal_id = sorted(withdrawals)[n % len(withdrawals)]
                    _status, amount = withdrawals[withdrawal_id]
                    if op == "approve":
                        services.approve_withdrawal(db, manager, withdrawal_id)
                        withdrawals[withdrawal_id] = ("approved", amount)
                    elif op == "reject":
                        services.reject_withdrawal(
                            db, manager, withdrawal_id, reason="test"
                        )
                        withdrawals[withdrawal_id] = ("rejected", amount)
                    else:
                        services.pay_withdrawal(db, cashier, withdrawal_id)
                        withdrawals[withdrawal_id] = ("paid", amount)
                        expected_balance -= amount
            except WasteBankError:
                pass  # a refused step (overdraw, wrong state) must change nothing
            position = services.member_position(db, member.id)
            entries_sum = db.scalar(
                sa.select(
                    sa.func.coalesce(sa.func.sum(LedgerEntry.amount_rp), 0)
                ).where(LedgerEntry.member_id == member.id)
            )
            held = sum(
                a for s, a in withdrawals.values() if s in ("requested", "approved")
            )
            assert position.balance_rp == entries_sum == expected_balance
            assert position.held_rp == held
            assert position.balance_rp >= 0
            assert position.available_rp >= 0
    finally:
        db.rollback()
