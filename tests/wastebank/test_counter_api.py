"""The counter API: prices, deposits, savings, withdrawals, reversals."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank.models import Deposit, LedgerEntry, Withdrawal


def _h(
    db: Session, world: World, who: str = "cashier", key: str | None = None
) -> dict[str, str]:
    headers = factories.auth_headers(db, world.users[who])
    headers["Idempotency-Key"] = key or uuid.uuid4().hex
    return headers


def _counts(db: Session) -> tuple[int, int, int]:
    db.expire_all()
    return tuple(  # type: ignore[return-value]
        db.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for model in (Deposit, LedgerEntry, Withdrawal)
    )


def _deposit(
    client: FlaskClient,
    headers: dict[str, str],
    member: int,
    lines: list[Any],
    **extra: Any,
) -> Any:
    return client.post(
        "/api/v1/deposits",
        json={"member": member, "lines": lines, **extra},
        headers=headers,
    )


def _balance(
    client: FlaskClient, headers: dict[str, str], member: int
) -> tuple[int, int]:
    body = client.get(f"/api/v1/members/{member}", headers=headers).get_json()
    return body["balance_rp"], body["available_rp"]


# -- prices --------------------------------------------------------------------------------
def test_unit_inherits_induk_prices_and_overrides_within_bounds(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    manager = factories.auth_headers(db, counter_world.users["induk_manager"])
    own = {
        q["category"]["code"]: (q["price_rp"], q["source_bank"])
        for q in client.get("/api/v1/banks/BSU1/prices", headers=manager).get_json()
    }
    inherited = {
        q["category"]["code"]: (q["price_rp"], q["source_bank"])
        for q in client.get("/api/v1/banks/BSU2/prices", headers=manager).get_json()
    }
    assert own["PET"] == (3500, "BSU1")
    assert inherited["PET"] == (3000, "BSI")
    assert "KACA" not in inherited  # no price anywhere: not on the list
    too_high = client.put(
        "/api/v1/banks/BSU2/prices/PET", json={"price_rp": 6000}, headers=manager
    )
    assert too_high.status_code == 422
    assert too_high.get_json()["type"] == "price_out_of_bounds"
    ok = client.put(
        "/api/v1/banks/BSU2/prices/PET", json={"price_rp": 4000}, headers=manager
    )
    assert ok.status_code == 200
    assert ok.get_json()["price_rp"] == 4000
    bounds_on_unit = client.put(
        "/api/v1/banks/BSU2/prices/PET",
        json={"price_rp": 4000, "floor_rp": 1},
        headers=manager,
    )
    assert bounds_on_unit.status_code == 422


def test_prices_are_set_by_managers_of_reachable_banks_only(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    body = {"price_rp": 3200, "effective_from": "2030-01-01"}
    assert (
        client.put(
            "/api/v1/banks/BSU1/prices/PET",
            json=body,
            headers=factories.auth_headers(db, counter_world.users["cashier"]),
        ).status_code
        == 403
    )
    assert (
        client.put(
            "/api/v1/banks/BSU2/prices/PET",
            json=body,
            headers=factories.auth_headers(db, counter_world.users["unit_manager"]),
        ).status_code
        == 404
    )
    assert (
        client.put(
            "/api/v1/banks/BSU1/prices/NOPE",
            json=body,
            headers=factories.auth_headers(db, counter_world.users["unit_manager"]),
        ).status_code
        == 404
    )
    assert (
        client.put(
            "/api/v1/banks/BSU1/prices/PET",
            json={"price_rp": -1},
            headers=factories.auth_headers(db, counter_world.users["unit_manager"]),
        ).status_code
        == 422
    )


# -- deposits ------------------------------------------------------------------------------
def test_deposit_prices_each_line_and_credits_the_total(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    response = _deposit(
        client,
        _h(db, counter_world),
        member,
        [
            {"category": "PET", "quantity": 2.5},
            {"category": "kardus", "quantity": "1.234"},
        ],
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [
        (line["category"], line["quantity"], line["price_rp"], line["value_rp"])
        for line in body["lines"]
    ] == [
        ("PET", "2.500", 3500, 8750),
        ("KARDUS", "1.234", 1100, 1357),  # 1357.4 rounded once, half up
    ]
    assert body["total_rp"] == 10107
    assert body["total_weight_kg"] == "3.734"
    assert body["balance_rp"] == 10107
    assert body["receipt_no"] == "BSU1-D000001"
    assert response.headers["Idempotent-Replayed"] == "false"
    assert _balance(client, _h(db, counter_world), member) == (10107, 10107)


def test_deposit_by_scanned_card_and_non_kg_units(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    token = counter_world.members["BSU1"].active_card.token
    response = client.post(
        "/api/v1/deposits",
        json={
            "card": token.lower(),
            "lines": [{"category": "JELANTAH", "quantity": "3"}],
        },
        headers=_h(db, counter_world),
    )
    assert response.status_code == 201
    assert response.get_json()["member"] == counter_world.members["BSU1"].id
    assert response.get_json()["total_rp"] == 12000
    assert response.get_json()["total_weight_kg"] == "0.000"  # litres are not kilograms


def test_replayed_key_returns_the_same_deposit_and_credits_once(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    headers = _h(db, counter_world, key="counter-7-20261123-0001")
    lines = [{"category": "PET", "quantity": 1}]
    first = _deposit(client, headers, member, lines)
    again = _deposit(client, headers, member, lines)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _balance(client, headers, member)[0] == 3500
    other_body = _deposit(client, headers, member, [{"category": "PET", "quantity": 2}])
    assert other_body.status_code == 409
    assert other_body.get_json()["type"] == "idempotency_key_reused"
    assert _counts(db)[:2] == (1, 1)


def test_idempotency_key_is_required(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    headers = factories.auth_headers(db, counter_world.users["cashier"])
    response = _deposit(
        client,
        headers,
        counter_world.members["BSU1"].id,
        [{"category": "PET", "quantity": 1}],
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert _counts(db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("body", "status", "type_"),
    [
        ({"lines": [{"category": "PET", "quantity": 0}]}, 422, "validation_error"),
        ({"lines": [{"category": "PET", "quantity": -1}]}, 422, "validation_error"),
        (
            {"lines": [{"category": "PET", "quantity": "1000.001"}]},
            422,
            "validation_error",
        ),
        ({"lines": [{"category": "PET", "quantity": "1.0005"}]}, 422, "invalid_value"),
        ({"lines": [{"category": "PET", "quantity": "abc"}]}, 422, "validation_error"),
        ({"lines": [{"category": "PET", "quantity": True}]}, 422, "validation_error"),
        ({"lines": [{"category": "PET", "quantity": "NaN"}]}, 422, "validation_error"),
        ({"lines": [{"category": "PET"}]}, 422, "validation_error"),
        ({"lines": []}, 422, "validation_error"),
        ({"lines": [{"category": "NOPE", "quantity": 1}]}, 422, "invalid_reference"),
        ({"lines": [{"category": "KACA", "quantity": 1}]}, 422, "no_price"),
        (
            {"lines": [{"category": "PET", "quantity": 1}], "mode": "barter"},
            422,
            "validation_error",
        ),
        (
            {"lines": [{"category": "PET", "quantity": 1}], "card": "X"},
            422,
            "validation_error",
        ),
        (
            {
                "lines": [
                    {"category": "PET", "quantity": 1},
                    {"category": "KACA", "quantity": 1},
                ]
            },
            422,
            "no_price",
        ),
    ],
)
def test_refused_deposits_write_nothing(
    client: FlaskClient,
    db: Session,
    counter_world: World,
    body: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    response = client.post(
        "/api/v1/deposits",
        json={"member": counter_world.members["BSU1"].id, **body},
        headers=_h(db, counter_world),
    )
    assert response.status_code == status, response.get_json()
    assert response.get_json()["type"] == type_
    assert _counts(db) == (0, 0, 0)


def test_deposits_for_inactive_or_unreachable_members_are_refused(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    lines = [{"category": "PET", "quantity": 1}]
    other_bank = _deposit(
        client, _h(db, counter_world), counter_world.members["BSU2"].id, lines
    )
    assert other_bank.status_code == 404
    other_card = client.post(
        "/api/v1/deposits",
        json={"card": counter_world.members["BSU2"].active_card.token, "lines": lines},
        headers=_h(db, counter_world),
    )
    assert other_card.status_code == 404
    member = counter_world.members["BSU1"].id
    client.patch(
        f"/api/v1/members/{member}",
        json={"active": False},
        headers=_h(db, counter_world),
    )
    inactive = _deposit(client, _h(db, counter_world), member, lines)
    assert inactive.status_code == 409
    assert inactive.get_json()["type"] == "member_inactive"
    assert dlh_cannot_deposit(client, db, counter_world) == 403
    assert _counts(db) == (0, 0, 0)


def dlh_cannot_deposit(client: FlaskClient, db: Session, world: World) -> int:
    return _deposit(
        client,
        _h(db, world, "dlh"),
        world.members["BSU1"].id,
        [{"category": "PET", "quantity": 1}],
    ).status_code


def test_cash_deposits_are_recorded_but_not_credited(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    response = _deposit(
        client,
        _h(db, counter_world),
        member,
        [{"category": "TEMBAGA", "quantity": "0.5"}],
        mode="cash",
    )
    assert response.status_code == 201
    assert response.get_json()["total_rp"] == 25000
    assert response.get_json()["mode"] == "cash"
    assert _balance(client, _h(db, counter_world), member) == (0, 0)
    assert _counts(db)[:2] == (1, 0)


def test_price_snapshots_survive_later_price_changes(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    deposit = _deposit(
        client, _h(db, counter_world), member, [{"category": "PET", "quantity": 1}]
    ).get_json()
    manager = factories.auth_headers(db, counter_world.users["unit_manager"])
    assert (
        client.put(
            "/api/v1/banks/BSU1/prices/PET", json={"price_rp": 2500}, headers=manager
        ).status_code
        == 200
    )
    again = client.get(f"/api/v1/deposits/{deposit['id']}", headers=manager).get_json()
    assert again["lines"][0]["price_rp"] == 3500
    assert again["total_rp"] == 3500
    later = _deposit(
        client, _h(db, counter_world), member, [{"category": "PET", "quantity": 1}]
    ).get_json()
    assert later["lines"][0]["price_rp"] == 2500


# -- reversals -----------------------------------------------------------------------------
def test_reversal_is_a_counter_entry_by_a_manager(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    deposit = _deposit(
        client, _h(db, counter_world), member, [{"category": "PET", "quantity": 2}]
    ).get_json()
    cashier_try = client.post(
        f"/api/v1/deposits/{deposit['id']}/reversal",
        json={"reason": "salah timbang"},
        headers=_h(db, counter_world),
    )
    assert cashier_try.status_code == 403
    manager = factories.auth_headers(db, counter_world.users["unit_manager"])
    reversed_ = client.post(
        f"/api/v1/deposits/{deposit['id']}/reversal",
        json={"reason": "salah timbang"},
        headers=manager,
    )
    assert reversed_.status_code == 201
    assert reversed_.get_json()["reversed_at"] is not None
    assert reversed_.get_json()["balance_rp"] == 0
    twice = client.post(
        f"/api/v1/deposits/{deposit['id']}/reversal",
        json={"reason": "lagi"},
        headers=manager,
    )
    assert twice.status_code == 409
    entries = client.get(
        f"/api/v1/members/{member}/statement", headers=manager
    ).get_json()["entries"]
    assert [(e["kind"], e["amount_rp"], e["balance_rp"]) for e in entries] == [
        ("deposit", 7000, 7000),
        ("reversal", -7000, 0),
    ]
    assert (
        client.post(
            f"/api/v1/deposits/{deposit['id']}/reversal", json={}, headers=manager
        ).status_code
        == 422
    )


def test_reversal_that_would_overdraw_is_refused(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    deposit = _deposit(
        client, _h(db, counter_world), member, [{"category": "PET", "quantity": 2}]
    ).get_json()
    held = client.post(
        "/api/v1/withdrawals",
        json={"member": member, "amount_rp": 5000, "method": "cash"},
        headers=_h(db, counter_world),
    )
    assert held.status_code == 201
    manager = factories.auth_headers(db, counter_world.users["unit_manager"])
    refused = client.post(
        f"/api/v1/deposits/{deposit['id']}/reversal",
        json={"reason": "x"},
        headers=manager,
    )
    assert refused.status_code == 409
    assert refused.get_json()["type"] == "insufficient_balance"
    assert _balance(client, manager, member) == (7000, 2000)


# -- withdrawals ---------------------------------------------------------------------------
def test_withdrawal_holds_then_approval_then_payment_debits(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    manager = factories.auth_headers(db, counter_world.users["unit_manager"])
    settings = client.patch(
        "/api/v1/banks/BSU1",
        json={"fee_kind": "percent", "fee_value": 250, "min_withdrawal_rp": 1000},
        headers=manager,
    )
    assert settings.status_code == 200
    assert settings.get_json()["withdrawal_rules"]["fee_value"] == 250
    _deposit(
        client, _h(db, counter_world), member, [{"category": "TEMBAGA", "quantity": 1}]
    )
    too_small = client.post(
        "/api/v1/withdrawals",
        json={"member": member, "amount_rp": 999, "method": "cash"},
        headers=_h(db, counter_world),
    )
    assert too_small.status_code == 422
    assert too_small.get_json()["type"] == "below_minimum_withdrawal"
    too_big = client.post(
        "/api/v1/withdrawals",
        json={"member": member, "amount_rp": 50001, "method": "cash"},
        headers=_h(db, counter_world),
    )
    assert too_big.status_code == 409
    assert too_big.get_json()["type"] == "insufficient_balance"
    assert "Rp50.000" in too_big.get_json()["message"]
    request_ = client.post(
        "/api/v1/withdrawals",
        json={"member": member, "amount_rp": 40000, "method": "transfer"},
        headers=_h(db, counter_world),
    )
    assert request_.status_code == 201
    withdrawal = request_.get_json()
    assert withdrawal["status"] == "requested"
    assert withdrawal["available_rp"] == 10000
    assert (
        client.post(
            f"/api/v1/withdrawals/{withdrawal['id']}/approve",
            headers=_h(db, counter_world),
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/withdrawals/{withdrawal['id']}/pay", headers=_h(db, counter_world)
        ).status_code
        == 409
    )
    approved = client.post(
        f"/api/v1/withdrawals/{withdrawal['id']}/approve", headers=manager
    ).get_json()
    assert (approved["status"], approved["fee_rp"], approved["net_rp"]) == (
        "approved",
        1000,
        39000,
    )
    same_person = client.post(
        f"/api/v1/withdrawals/{withdrawal['id']}/pay", headers=manager
    )
    assert same_person.status_code == 409
    assert same_person.get_json()["type"] == "same_approver_and_payer"
    paid = client.post(
        f"/api/v1/withdrawals/{withdrawal['id']}/pay", headers=_h(db, counter_world)
    )
    assert paid.status_code == 200
    assert paid.get_json()["status"] == "paid"
    assert _balance(client, manager, member) == (10000, 10000)
    assert (
        client.post(
            f"/api/v1/withdrawals/{withdrawal['id']}/reject",
            json={"reason": "x"},
            headers=manager,
        ).status_code
        == 409
    )


def test_rejection_releases_the_hold(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    _deposit(
        client, _h(db, counter_world), member, [{"category": "PET", "quantity": 10}]
    )
    withdrawal = client.post(
        "/api/v1/withdrawals",
        json={"member": member, "amount_rp": 30000, "method": "cash"},
        headers=_h(db, counter_world),
    ).get_json()
    assert _balance(client, _h(db, counter_world), member) == (35000, 5000)
    manager = factories.auth_headers(db, counter_world.users["unit_manager"])
    rejected = client.post(
        f"/api/v1/withdrawals/{withdrawal['id']}/reject",
        json={"reason": "tidak ada kas"},
        headers=manager,
    )
    assert rejected.get_json()["status"] == "rejected"
    assert _balance(client, manager, member) == (35000, 35000)


def test_statement_filters_by_local_dates_with_running_balance(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    member = counter_world.members["BSU1"].id
    for quantity in (1, 2):
        _deposit(
            client,
            _h(db, counter_world),
            member,
            [{"category": "PET", "quantity": quantity}],
        )
    statement = client.get(
        f"/api/v1/members/{member}/statement", headers=_h(db, counter_world)
    ).get_json()
    assert [e["balance_rp"] for e in statement["entries"]] == [3500, 10500]
    assert (statement["opening_rp"], statement["closing_rp"]) == (0, 10500)
    future = client.get(
        f"/api/v1/members/{member}/statement?from=2100-01-01",
        headers=_h(db, counter_world),
    ).get_json()
    assert (future["opening_rp"], future["entries"], future["closing_rp"]) == (
        10500,
        [],
        10500,
    )
    assert (
        client.get(
            f"/api/v1/members/{member}/statement?from=yesterday",
            headers=_h(db, counter_world),
        ).status_code
        == 422
    )


def test_categories_are_managed_by_admins(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    body = {
        "code": "HDPE",
        "name_id": "Plastik keras",
        "name_en": "Hard plastic",
        "material": "plastic",
        "unit": "kg",
    }
    for who in ("unit_manager", "dlh"):
        assert (
            client.post(
                "/api/v1/categories", json=body, headers=_h(db, counter_world, who)
            ).status_code
            == 403
        )
    created = client.post(
        "/api/v1/categories", json=body, headers=_h(db, counter_world, "admin")
    )
    assert created.status_code == 201
    assert (
        client.post(
            "/api/v1/categories", json=body, headers=_h(db, counter_world, "admin")
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/categories",
            json={**body, "code": "X", "material": "gold"},
            headers=_h(db, counter_world, "admin"),
        ).status_code
        == 422
    )
    codes = [
        c["code"]
        for c in client.get(
            "/api/v1/categories", headers=_h(db, counter_world)
        ).get_json()
    ]
    assert "HDPE" in codes and codes == sorted(codes)


def test_openapi_documents_the_counter(client: FlaskClient) -> None:
    paths = json.loads(client.get("/api/v1/openapi.json").data)["paths"]
    deposit = paths["/api/v1/deposits"]["post"]
    assert any(
        p["name"] == "Idempotency-Key" and p["in"] == "header"
        for p in deposit["parameters"]
    )
    assert "/api/v1/withdrawals/{withdrawal_id}/pay" in paths


# -- refused input: a clear 4xx envelope, nothing written ----------------------------------
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
    ("quantity", "type_", "field"),
    [
        (0, "validation_error", {"lines": {"1": {"quantity": ...}}}),
        ("0.000", "validation_error", {"lines": {"1": {"quantity": ...}}}),
        (-1, "validation_error", {"lines": {"1": {"quantity": ...}}}),
        ("-0.001", "validation_error", {"lines": {"1": {"quantity": ...}}}),
        ("1.2345", "invalid_value", {"lines.1.quantity": ...}),
        (1.2345, "invalid_value", {"lines.1.quantity": ...}),
        ("0.0001", "invalid_value", {"lines.1.quantity": ...}),
    ],
)
def test_deposit_quantities_are_positive_grams_never_rounded(
    client: FlaskClient,
    db: Session,
    counter_world: World,
    quantity: Any,
    type_: str,
    field: dict[str, Any],
) -> None:
    """As on sales and shipments: refused (422) naming the line's field, never rounded.

    Zero and negative fail the schema; more than three decimals fail the service (the
    schema must not round), whose field is the dotted path of the same line.
    """
    response = _deposit(
        client,
        _h(db, counter_world),
        counter_world.members["BSU1"].id,
        [{"category": "PET", "quantity": 1}, {"category": "PET", "quantity": quantity}],
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == type_
    assert _same_keys(body["errors"], field), body["errors"]
    assert _counts(db) == (0, 0, 0)


@pytest.mark.parametrize("member", [0, -1, 2**31, 2**63, 10**30])
def test_a_member_id_outside_any_id_range_is_refused_as_a_field(
    client: FlaskClient, db: Session, counter_world: World, member: int
) -> None:
    """Ids the database column cannot hold answer 422, never a driver error (500)."""
    response = _deposit(
        client, _h(db, counter_world), member, [{"category": "PET", "quantity": 1}]
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == "validation_error"
    assert list(body["errors"]) == ["member"]
    assert _counts(db) == (0, 0, 0)


@pytest.mark.parametrize(
    "key",
    ["", " ", "k" * 81, "k" * 300, "kunci-é", "ключ", "a b", "abc\x01", "abc\t"],
)
def test_a_deposit_with_a_malformed_idempotency_key_is_refused_and_writes_nothing(
    client: FlaskClient, db: Session, counter_world: World, key: str
) -> None:
    response = _deposit(
        client,
        {**_h(db, counter_world), "Idempotency-Key": key},
        counter_world.members["BSU1"].id,
        [{"category": "PET", "quantity": 1}],
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == "validation_error"
    assert list(body["errors"]) == ["Idempotency-Key"]
    assert _counts(db) == (0, 0, 0)


def test_an_idempotency_key_ending_in_a_newline_is_refused(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    """A raw header value (the test client refuses to send one) is checked whole."""
    headers = _h(db, counter_world)
    del headers["Idempotency-Key"]
    response = client.post(
        "/api/v1/deposits",
        json={
            "member": counter_world.members["BSU1"].id,
            "lines": [{"category": "PET", "quantity": 1}],
        },
        headers=headers,
        environ_base={"HTTP_IDEMPOTENCY_KEY": "key-1\n"},
    )
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == ["Idempotency-Key"]
    assert _counts(db) == (0, 0, 0)
