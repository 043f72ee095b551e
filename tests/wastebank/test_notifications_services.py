"""The notification outbox: written with the deposit or payout, never failing it."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank import notify, services
from wastebank.access import SYSTEM
from wastebank.exceptions import InvalidValue
from wastebank.models import Deposit, LedgerEntry, Notification
from wastebank.services import notifications

PHONE = "0812-3456-7890"


def _deposit(db: Session, world: World, key: str = "k1", **kwargs: object) -> Deposit:
    cashier = services.actor_for(world.users["cashier"])
    deposit, _ = services.record_deposit(
        db,
        cashier,
        member_id=world.members["BSU1"].id,
        idempotency_key=key,
        request_hash="h",
        lines=[
            services.DepositLineInput("PET", Decimal("2.5")),
            services.DepositLineInput("JELANTAH", Decimal("1")),
        ],
        **kwargs,  # type: ignore[arg-type]
    )
    db.commit()
    return deposit


def _notifications(db: Session) -> list[Notification]:
    db.expire_all()
    return list(db.scalars(sa.select(Notification).order_by(Notification.id)))


@pytest.fixture
def whatsapp(db: Session, counter_world: World) -> World:
    """BSU1 with a WhatsApp gateway and a member with a phone number."""
    factories.make_notification_channel(db, counter_world.unit)
    counter_world.members["BSU1"].phone = PHONE
    db.commit()
    return counter_world


def test_a_deposit_writes_one_pending_message_and_a_replay_none_more(
    db: Session, whatsapp: World
) -> None:
    deposit = _deposit(db, whatsapp)
    cashier = services.actor_for(whatsapp.users["cashier"])
    replayed, was_replay = services.record_deposit(
        db,
        cashier,
        member_id=whatsapp.members["BSU1"].id,
        idempotency_key="k1",
        request_hash="h",
        lines=[services.DepositLineInput("PET", Decimal("2.5"))],
    )
    db.commit()
    assert was_replay
    assert replayed.id == deposit.id
    [message] = _notifications(db)
    assert message.kind == "deposit"
    assert message.deposit_id == deposit.id
    assert message.member_id == whatsapp.members["BSU1"].id
    assert message.bank_id == whatsapp.unit.id
    assert message.status == "pending"
    assert message.recipient == "+6281234567890"
    assert message.attempts == 0
    assert message.next_attempt_at is not None
    assert message.created_at.tzinfo is not None
    # PET 2.5 kg at Rp3,500 + 1 litre of oil at Rp4,000: only the kilograms are weighed.
    assert deposit.total_rp == 12750
    assert "2,5 kg, Rp12.750 (ditabung)" in message.message
    assert deposit.receipt_no in message.message
    assert "Saldo tabungan Anda sekarang Rp12.750" in message.message


def test_the_balance_in_the_message_is_the_balance_after_the_deposit(
    db: Session, whatsapp: World
) -> None:
    _deposit(db, whatsapp, key="first")
    _deposit(db, whatsapp, key="second")
    last = _notifications(db)[-1]
    assert "sekarang Rp25.500." in last.message


def test_a_member_without_a_phone_still_deposits_and_gets_a_skipped_row(
    db: Session, whatsapp: World
) -> None:
    whatsapp.members["BSU1"].phone = None
    db.commit()
    deposit = _deposit(db, whatsapp)
    assert db.scalar(
        sa.select(LedgerEntry.amount_rp).where(LedgerEntry.deposit_id == deposit.id)
    ) == (12750)
    [message] = _notifications(db)
    assert message.status == "skipped"
    assert message.recipient is None
    assert message.next_attempt_at is None
    assert "no mobile number" in (message.last_error or "")


def test_a_landline_is_not_a_recipient(db: Session, whatsapp: World) -> None:
    whatsapp.members["BSU1"].phone = "(0911) 312345"
    db.commit()
    _deposit(db, whatsapp)
    assert [m.status for m in _notifications(db)] == ["skipped"]


def test_a_bank_without_an_enabled_gateway_writes_no_message(
    db: Session, counter_world: World
) -> None:
    counter_world.members["BSU1"].phone = PHONE
    db.commit()
    _deposit(db, counter_world, key="no-channel")
    factories.make_notification_channel(db, counter_world.unit, enabled=False)
    db.commit()
    _deposit(db, counter_world, key="disabled")
    assert _notifications(db) == []


def test_an_opted_out_member_gets_a_skipped_row_until_they_opt_in_again(
    db: Session, whatsapp: World
) -> None:
    cashier = services.actor_for(whatsapp.users["cashier"])
    member_id = whatsapp.members["BSU1"].id
    assert notifications.set_opt_out(db, cashier, member_id, opted_out=True)
    db.commit()
    _deposit(db, whatsapp, key="while-out")
    assert notifications.set_opt_out(db, cashier, member_id, opted_out=False) is None
    db.commit()
    assert notifications.opted_out_at(db, cashier, member_id) is None
    _deposit(db, whatsapp, key="back-in")
    first, second = _notifications(db)
    assert (first.status, first.recipient) == ("skipped", None)
    assert "asked not to receive" in (first.last_error or "")
    assert second.status == "pending"


def test_an_sms_gateway_gets_the_short_text(db: Session, counter_world: World) -> None:
    factories.make_notification_channel(
        db, counter_world.unit, kind="sms_http", url="https://sms.example/send"
    )
    counter_world.members["BSU1"].phone = "+62 812 3456 7890"
    db.commit()
    deposit = _deposit(db, counter_world)
    [message] = _notifications(db)
    assert message.channel_kind == "sms_http"
    assert message.message.startswith(f"Bank Sampah Uji: setoran {deposit.receipt_no}")
    assert len(message.message) <= 160


def test_a_paid_withdrawal_writes_a_payout_message(
    db: Session, whatsapp: World
) -> None:
    _deposit(db, whatsapp)
    cashier = services.actor_for(whatsapp.users["cashier"])
    manager = services.actor_for(whatsapp.users["unit_manager"])
    services.update_counter_settings(
        db, SYSTEM, "BSU1", {"fee_kind": "fixed", "fee_value": 250}
    )
    withdrawal, _ = services.request_withdrawal(
        db,
        cashier,
        member_id=whatsapp.members["BSU1"].id,
        amount_rp=10000,
        method="cash",
        idempotency_key="w1",
        request_hash="h",
    )
    services.approve_withdrawal(db, manager, withdrawal.id)
    db.commit()
    assert len(_notifications(db)) == 1  # requesting and approving send nothing
    services.pay_withdrawal(db, cashier, withdrawal.id)
    db.commit()
    payout = _notifications(db)[-1]
    assert payout.kind == "payout"
    assert payout.withdrawal_id == withdrawal.id
    assert payout.deposit_id is None
    assert payout.status == "pending"
    assert "Rp10.000 (biaya Rp250, diterima Rp9.750)" in payout.message
    assert payout.message.endswith("Sisa saldo tabungan Anda Rp2.750.")


def test_a_broken_outbox_never_costs_the_member_their_deposit(
    db: Session, whatsapp: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("template bug")

    monkeypatch.setattr(notify, "deposit_message", broken)
    deposit = _deposit(db, whatsapp)
    db.expire_all()
    assert db.get(Deposit, deposit.id) is not None
    assert db.scalar(
        sa.select(sa.func.sum(LedgerEntry.amount_rp)).where(
            LedgerEntry.member_id == whatsapp.members["BSU1"].id
        )
    ) == (12750)
    assert _notifications(db) == []


def test_the_outbox_row_is_flushed_not_committed(db: Session, whatsapp: World) -> None:
    """A rolled-back deposit leaves no message behind (same transaction)."""
    cashier = services.actor_for(whatsapp.users["cashier"])
    services.record_deposit(
        db,
        cashier,
        member_id=whatsapp.members["BSU1"].id,
        idempotency_key="rolled-back",
        request_hash="h",
        lines=[services.DepositLineInput("PET", Decimal("1"))],
    )
    assert db.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    db.rollback()
    assert _notifications(db) == []


def test_set_channel_keeps_the_token_unless_told_and_checks_the_template(
    db: Session, counter_world: World
) -> None:
    bank = counter_world.unit
    channel = factories.make_notification_channel(
        db, bank, auth_header="Authorization", auth_token="Bearer s3cret"
    )
    factories.make_notification_channel(
        db, bank, url="https://wa.example/send", auth_header="Authorization"
    )
    assert channel.auth_token == "Bearer s3cret"
    assert channel.url == "https://wa.example/send"
    factories.make_notification_channel(db, bank, auth_token=None)
    assert channel.auth_token is None
    with pytest.raises(InvalidValue, match="message"):
        factories.make_notification_channel(db, bank, body_template={"to": "{phone}"})
    with pytest.raises(InvalidValue, match="header"):
        factories.make_notification_channel(db, bank, auth_token="abc")
