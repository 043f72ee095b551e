"""Controls one person cannot switch off alone: the four-eyes rule, price ceilings,
a fee that leaves nothing to pay out, and the shared catalogue (issue #15, item 6)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank.models import (
    AuditEntry,
    Deposit,
    LedgerEntry,
    PriceRule,
    Sale,
    WasteCategory,
    Withdrawal,
)


def _h(db: Session, world: World, who: str) -> dict[str, str]:
    headers = factories.auth_headers(db, world.users[who])
    headers["Idempotency-Key"] = uuid.uuid4().hex
    return headers


def _deposit(
    client: FlaskClient, db: Session, world: World, bank: str = "BSU1", **lines: Any
) -> Any:
    return client.post(
        "/api/v1/deposits",
        json={
            "member": world.members[bank].id,
            "lines": [{"category": c, "quantity": q} for c, q in lines.items()],
        },
        headers=_h(db, world, "cashier" if bank == "BSU1" else "admin"),
    )


def _count(db: Session, model: Any) -> int:
    db.expire_all()
    return db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# -- the four-eyes rule ------------------------------------------------------------------
def test_a_manager_cannot_switch_off_the_four_eyes_rule_of_their_own_bank(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    """The attack: blocked by same_approver_and_payer, PATCH the rule off, then pay."""
    _deposit(client, db, counter_world, TEMBAGA=1)
    manager = _h(db, counter_world, "unit_manager")
    withdrawal = client.post(
        "/api/v1/withdrawals",
        json={
            "member": counter_world.members["BSU1"].id,
            "amount_rp": 20000,
            "method": "cash",
        },
        headers=_h(db, counter_world, "cashier"),
    ).get_json()
    client.post(f"/api/v1/withdrawals/{withdrawal['id']}/approve", headers=manager)
    blocked = client.post(
        f"/api/v1/withdrawals/{withdrawal['id']}/pay", headers=manager
    )
    assert blocked.get_json()["type"] == "same_approver_and_payer"

    switch_off = client.patch(
        "/api/v1/banks/BSU1",
        json={"separate_approver_and_payer": False},
        headers=manager,
    )
    assert switch_off.status_code == 403
    body = switch_off.get_json()
    assert body["type"] == "permission_denied"
    assert list(body["errors"]) == ["separate_approver_and_payer"]
    assert "BSI" in body["message"]  # says who may change it
    rules = client.get("/api/v1/banks/BSU1", headers=manager).get_json()
    assert rules["withdrawal_rules"]["separate_approver_and_payer"] is True
    still_blocked = client.post(
        f"/api/v1/withdrawals/{withdrawal['id']}/pay", headers=manager
    )
    assert still_blocked.status_code == 409
    assert _count(db, LedgerEntry) == 1  # only the deposit's credit
    # Nothing of a refused PATCH is kept, not even the fields that were allowed.
    mixed = client.patch(
        "/api/v1/banks/BSU1",
        json={"min_withdrawal_rp": 5000, "separate_approver_and_payer": False},
        headers=manager,
    )
    assert mixed.status_code == 403
    rules = client.get("/api/v1/banks/BSU1", headers=manager).get_json()
    assert rules["withdrawal_rules"]["min_withdrawal_rp"] == 0


def test_an_induks_manager_cannot_switch_off_the_rule_of_the_induk_itself(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    response = client.patch(
        "/api/v1/banks/BSI",
        json={"separate_approver_and_payer": False},
        headers=_h(db, counter_world, "induk_manager"),
    )
    assert response.status_code == 403
    assert "admin" in response.get_json()["message"]


def test_the_induks_manager_or_an_admin_changes_the_rule_and_it_is_audited(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    induk_manager = counter_world.users["induk_manager"]
    response = client.patch(
        "/api/v1/banks/BSU1",
        json={"separate_approver_and_payer": False},
        headers=_h(db, counter_world, "induk_manager"),
    )
    assert response.status_code == 200
    assert (
        response.get_json()["withdrawal_rules"]["separate_approver_and_payer"] is False
    )
    assert (
        client.patch(
            "/api/v1/banks/BSI",
            json={"separate_approver_and_payer": False},
            headers=_h(db, counter_world, "admin"),
        ).status_code
        == 200
    )
    db.expire_all()
    entries = db.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "bank.settings")
        .order_by(AuditEntry.id)
    ).all()
    assert [
        (
            e.actor_id,
            e.bank_id,
            e.before["separate_approver_and_payer"],
            e.after["separate_approver_and_payer"],
        )
        for e in entries
    ] == [
        (induk_manager.id, counter_world.unit.id, True, False),
        (counter_world.users["admin"].id, counter_world.induk.id, True, False),
    ]


def test_a_manager_still_sets_the_fee_and_minimum_and_may_resend_the_rule_unchanged(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    """The fee and minimum are the bank's terms to its members, not a control."""
    response = client.patch(
        "/api/v1/banks/BSU1",
        json={
            "min_withdrawal_rp": 2000,
            "fee_kind": "fixed",
            "fee_value": 500,
            "separate_approver_and_payer": True,
        },
        headers=_h(db, counter_world, "unit_manager"),
    )
    assert response.status_code == 200
    rules = response.get_json()["withdrawal_rules"]
    assert (rules["min_withdrawal_rp"], rules["fee_value"]) == (2000, 500)


def test_a_cashier_or_dlh_changes_no_bank_rule(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    for who in ("cashier", "dlh"):
        response = client.patch(
            "/api/v1/banks/BSU1",
            json={"separate_approver_and_payer": False},
            headers=_h(db, counter_world, who),
        )
        assert response.status_code == 403


# -- the catalogue -----------------------------------------------------------------------
_HDPE = {
    "code": "HDPE",
    "name_id": "Plastik keras",
    "name_en": "Hard plastic",
    "material": "plastic",
    "unit": "kg",
}


def test_dlh_staff_of_one_city_cannot_change_the_catalogue_every_city_shares(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    refused = client.post(
        "/api/v1/categories", json=_HDPE, headers=_h(db, counter_world, "dlh")
    )
    assert refused.status_code == 403
    assert (
        client.patch(
            "/api/v1/categories/PET",
            json={"max_price_rp": 1},
            headers=_h(db, counter_world, "dlh"),
        ).status_code
        == 403
    )
    assert _count(db, WasteCategory) == 5


def test_an_admin_adds_a_category_with_a_maximum_price_or_the_materials_default(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    admin = _h(db, counter_world, "admin")
    default = client.post("/api/v1/categories", json=_HDPE, headers=admin)
    assert default.status_code == 201
    assert default.get_json()["max_price_rp"] == 50_000  # plastic's default
    own = client.post(
        "/api/v1/categories",
        json={**_HDPE, "code": "HDPE-2", "max_price_rp": 30_000},
        headers=admin,
    )
    assert own.get_json()["max_price_rp"] == 30_000
    zero = client.post(
        "/api/v1/categories",
        json={**_HDPE, "code": "HDPE-3", "max_price_rp": 0},
        headers=admin,
    )
    assert zero.status_code == 422
    assert "max_price_rp" in zero.get_json()["errors"]


def test_an_admin_changes_a_categorys_maximum_and_it_is_audited(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    manager = client.patch(
        "/api/v1/categories/PET",
        json={"max_price_rp": 9000},
        headers=_h(db, counter_world, "induk_manager"),
    )
    assert manager.status_code == 403
    changed = client.patch(
        "/api/v1/categories/PET",
        json={"max_price_rp": 9000},
        headers=_h(db, counter_world, "admin"),
    )
    assert changed.status_code == 200
    assert changed.get_json()["max_price_rp"] == 9000
    assert (
        client.patch(
            "/api/v1/categories/NOPE",
            json={"max_price_rp": 9000},
            headers=_h(db, counter_world, "admin"),
        ).status_code
        == 404
    )
    db.expire_all()
    entry = db.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "category.max_price")
    ).one()
    assert (entry.actor_id, entry.before, entry.after) == (
        counter_world.users["admin"].id,
        {"max_price_rp": 50_000},
        {"max_price_rp": 9000},
    )


def test_the_cli_lists_categories_and_sets_a_maximum(
    runner: FlaskCliRunner, db: Session, counter_world: World
) -> None:
    result = runner.invoke(args=["categories", "set-max-price", "pet", "12000"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert (
        db.scalar(
            sa.select(WasteCategory.max_price_rp).where(WasteCategory.code == "PET")
        )
        == 12000
    )
    listing = runner.invoke(args=["categories", "list"])
    assert (
        '"code": "PET"' in listing.output and '"max_price_rp": 12000' in listing.output
    )
    unknown = runner.invoke(args=["categories", "set-max-price", "NOPE", "1"])
    assert unknown.exit_code == 1
    assert "NOPE" in unknown.output
    zero = runner.invoke(args=["categories", "set-max-price", "PET", "0"])
    assert zero.exit_code != 0


# -- prices and their ceiling --------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price_rp": 1_000_000_000_000}, "price_rp"),
        ({"price_rp": 50_001}, "price_rp"),
        ({"price_rp": 3000, "ceiling_rp": 60_000}, "ceiling_rp"),
        ({"price_rp": 3000, "floor_rp": 50_001}, "floor_rp"),
    ],
)
def test_a_price_above_the_categorys_maximum_is_refused_naming_the_field(
    client: FlaskClient,
    db: Session,
    counter_world: World,
    body: dict[str, int],
    field: str,
) -> None:
    before = _count(db, PriceRule)
    response = client.put(
        "/api/v1/banks/BSI/prices/PET",
        json=body,
        headers=_h(db, counter_world, "induk_manager"),
    )
    assert response.status_code == 422
    envelope = response.get_json()
    assert envelope["type"] == "price_above_maximum"
    assert list(envelope["errors"]) == [field]
    assert "Rp50.000" in envelope["message"]
    assert _count(db, PriceRule) == before


def test_a_price_at_the_maximum_is_accepted(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    response = client.put(
        "/api/v1/banks/BSI/prices/PET",
        json={"price_rp": 50_000},
        headers=_h(db, counter_world, "admin"),
    )
    assert response.status_code == 200


def test_a_deposit_at_a_price_above_the_maximum_is_refused_and_writes_nothing(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    """A price set before the ceilings existed (or above a lowered one) credits nothing."""
    db.execute(
        sa.update(WasteCategory)
        .where(WasteCategory.code == "PET")
        .values(max_price_rp=3000)
    )
    db.commit()
    response = _deposit(client, db, counter_world, KARDUS=1, PET=1)  # BSU1 pays 3500
    assert response.status_code == 422
    envelope = response.get_json()
    assert envelope["type"] == "price_above_maximum"
    assert list(envelope["errors"]) == ["lines.1.category"]
    assert (_count(db, Deposit), _count(db, LedgerEntry)) == (0, 0)


def test_a_sale_priced_above_the_maximum_is_refused_naming_the_line(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    assert _deposit(client, db, counter_world, PET=10).status_code == 201
    manager = _h(db, counter_world, "unit_manager")
    buyer = client.post(
        "/api/v1/banks/BSU1/buyers",
        json={"name": "Pak Ali", "kind": "pengepul"},
        headers=manager,
    ).get_json()["id"]

    def sell(line: dict[str, Any]) -> Any:
        return client.post(
            "/api/v1/sales",
            json={"bank": "BSU1", "buyer": buyer, "lines": [line]},
            headers={**manager, "Idempotency-Key": uuid.uuid4().hex},
        )

    per_unit = sell({"category": "PET", "quantity": 1, "price_rp": 50_001})
    assert per_unit.status_code == 422
    assert per_unit.get_json()["type"] == "price_above_maximum"
    assert list(per_unit.get_json()["errors"]) == ["lines.0.price_rp"]
    # A lump amount for a gram is a price per kg too: Rp900 billion for 1 g.
    lump = sell({"category": "PET", "quantity": "0.001", "amount_rp": 900_000_000_000})
    assert lump.status_code == 422
    assert list(lump.get_json()["errors"]) == ["lines.0.amount_rp"]
    assert _count(db, Sale) == 0
    at_most = sell({"category": "PET", "quantity": "0.5", "amount_rp": 25_000})
    assert at_most.status_code == 201, at_most.get_json()


# -- a fee that leaves nothing ---------------------------------------------------------------
def test_a_withdrawal_whose_fee_leaves_nothing_is_refused(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    assert _deposit(client, db, counter_world, TEMBAGA=1).status_code == 201
    client.patch(
        "/api/v1/banks/BSU1",
        json={"fee_kind": "fixed", "fee_value": 5000},
        headers=_h(db, counter_world, "unit_manager"),
    )
    member = counter_world.members["BSU1"].id
    for amount_rp in (5000, 4000):
        response = client.post(
            "/api/v1/withdrawals",
            json={"member": member, "amount_rp": amount_rp, "method": "cash"},
            headers=_h(db, counter_world, "cashier"),
        )
        assert response.status_code == 422
        envelope = response.get_json()
        assert envelope["type"] == "nothing_left_after_fee"
        assert list(envelope["errors"]) == ["amount_rp"]
    assert _count(db, Withdrawal) == 0
    one_rupiah = client.post(
        "/api/v1/withdrawals",
        json={"member": member, "amount_rp": 5001, "method": "cash"},
        headers=_h(db, counter_world, "cashier"),
    )
    assert one_rupiah.status_code == 201
    assert one_rupiah.get_json()["net_rp"] == 1


def test_approving_after_the_fee_grew_to_the_whole_amount_is_refused(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    assert _deposit(client, db, counter_world, TEMBAGA=1).status_code == 201
    withdrawal = client.post(
        "/api/v1/withdrawals",
        json={
            "member": counter_world.members["BSU1"].id,
            "amount_rp": 3000,
            "method": "cash",
        },
        headers=_h(db, counter_world, "cashier"),
    ).get_json()
    manager = _h(db, counter_world, "unit_manager")
    client.patch(
        "/api/v1/banks/BSU1",
        json={"fee_kind": "fixed", "fee_value": 3000},
        headers=manager,
    )
    response = client.post(
        f"/api/v1/withdrawals/{withdrawal['id']}/approve", headers=manager
    )
    assert response.status_code == 422
    assert response.get_json()["type"] == "nothing_left_after_fee"
    db.expire_all()
    assert db.get(Withdrawal, withdrawal["id"]).status == "requested"


def test_a_percentage_fee_of_the_whole_amount_is_refused(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    response = client.patch(
        "/api/v1/banks/BSU1",
        json={"fee_kind": "percent", "fee_value": 10_000},
        headers=_h(db, counter_world, "unit_manager"),
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["fee_value"]
