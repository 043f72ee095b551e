"""Service-level tests: returned values, database state, flush-not-commit."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank import services
from wastebank.access import SYSTEM, reaches
from wastebank.exceptions import (
    DuplicateCode,
    DuplicateUsername,
    InvalidHierarchy,
    InvalidReference,
    InvalidValue,
)
from wastebank.extensions import db as _db
from wastebank.models import AuditEntry, Bank, Member


def test_services_flush_but_never_commit(db: Session) -> None:
    bank = factories.make_bank(db)
    db.commit()
    member = factories.make_member(db, bank)
    assert member.id is not None  # flushed: the database gave it an id
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Member)) == 0


def test_member_numbers_count_per_bank_and_are_never_reused(db: Session) -> None:
    city = factories.make_city(db, code="AMB")
    first = factories.make_bank(db, code="BSU01", city_code=city.code)
    second = factories.make_bank(db, code="BSU02")
    numbers = [factories.make_member(db, first).member_no for _ in range(3)]
    assert numbers == ["AMB-BSU01-000001", "AMB-BSU01-000002", "AMB-BSU01-000003"]
    assert (
        factories.make_member(db, second).member_no == "BSU02-000001"
    )  # no city: no prefix
    services.update_member(
        db,
        SYSTEM,
        db.scalar(sa.select(Member.id).where(Member.member_no == numbers[-1])),
        {"active": False},
    )
    assert factories.make_member(db, first).member_no == "AMB-BSU01-000004"


def test_concurrent_registrations_get_distinct_numbers(app: Flask, db: Session) -> None:
    bank = factories.make_bank(db, code="BUSY")
    db.commit()
    errors: list[BaseException] = []

    def register(n: int) -> None:
        try:
            with app.app_context():  # its own session and connection
                services.register_member(
                    _db.session, SYSTEM, bank="BUSY", name=f"Nasabah {n}"
                )
                _db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    seqs = sorted(db.scalars(sa.select(Member.seq).where(Member.bank_id == bank.id)))
    assert seqs == list(range(1, 9))


def test_bank_hierarchy_rules(db: Session) -> None:
    factories.make_bank(db, code="IND", kind="induk")
    factories.make_bank(db, code="UNI", parent_code="IND")
    with pytest.raises(InvalidHierarchy):
        factories.make_bank(db, code="U2", parent_code="UNI")  # a unit is no parent
    with pytest.raises(InvalidHierarchy):
        factories.make_bank(
            db, code="I2", kind="induk", parent_code="IND"
        )  # an induk has none
    with pytest.raises(InvalidReference):
        factories.make_bank(db, code="U3", parent_code="NOPE")
    with pytest.raises(DuplicateCode):
        factories.make_bank(db, code="uni")
    with pytest.raises(InvalidValue):
        factories.make_bank(db, code="U4", timezone="Mars/Olympus")
    with pytest.raises(InvalidValue):
        factories.make_bank(db, code="U5", opening_days=["someday"])


def test_bank_time_zone_defaults_to_city_then_wit(db: Session) -> None:
    mojokerto = factories.make_city(db, code="MJK", timezone="Asia/Jakarta")
    assert factories.make_bank(db, city_code=mojokerto.code).timezone == "Asia/Jakarta"
    assert factories.make_bank(db).timezone == "Asia/Jayapura"


def test_user_rules(db: Session) -> None:
    factories.make_bank(db, code="B1")
    with pytest.raises(InvalidValue):
        factories.make_user(db, role="cashier")  # no bank
    with pytest.raises(InvalidValue):
        factories.make_user(db, role="dlh")  # no city
    with pytest.raises(InvalidValue):
        factories.make_user(db, role="cashier", bank_code="B1", password="short")
    with pytest.raises(InvalidValue):
        factories.make_user(db, role="wizard")
    factories.make_user(db, username="Siti", role="cashier", bank_code="B1")
    with pytest.raises(DuplicateUsername):
        factories.make_user(db, username="siti ", role="cashier", bank_code="B1")


@pytest.mark.parametrize(
    "who",
    [
        "admin",
        "dlh",
        "dlh_other_city",
        "induk_manager",
        "unit_manager",
        "cashier",
        "driver",
    ],
)
def test_sql_bank_filter_agrees_with_the_pure_rule(
    db: Session, world: World, who: str
) -> None:
    actor = services.actor_for(world.users[who])
    in_sql = set(
        db.scalars(sa.select(Bank.code).where(services.visible_bank_filter(actor)))
    )
    in_python = {
        bank.code for bank in db.scalars(sa.select(Bank)) if reaches(actor, bank.ref)
    }
    assert in_sql == in_python


def test_money_and_permission_relevant_actions_are_audited(
    db: Session, world: World
) -> None:
    cashier = services.actor_for(world.users["cashier"])
    member = services.register_member(db, cashier, bank="BSU1", name="Audit")
    services.update_member(db, cashier, member.id, {"phone": "0812345678"})
    services.reissue_card(db, cashier, member.id)
    entries = db.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.object_type == "Member", AuditEntry.object_id == str(member.id)
        )
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == [
        "member.create",
        "member.update",
        "card.reissue",
    ]
    assert all(e.actor_id == world.users["cashier"].id for e in entries)
    assert entries[1].before["phone"] is None
    assert entries[1].after["phone"] == "0812345678"
