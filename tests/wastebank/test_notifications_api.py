"""The notifications API: gateway config (secret hidden), outbox, retry, opt-out."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank import services
from wastebank.models import AuditEntry, BankNotificationChannel, Notification

SECRET = "Bearer wa-very-s3cret-token"
CHANNEL = {
    "kind": "whatsapp_http",
    "url": "https://wa-gateway.example/api/send",
    "auth_header": "Authorization",
    "auth_token": SECRET,
    "body_template": {"target": "{phone_digits}", "message": "{message}"},
}


def _h(db: Session, world: World, who: str = "unit_manager") -> dict[str, str]:
    return factories.auth_headers(db, world.users[who])


def _channel_count(db: Session) -> int:
    db.expire_all()
    return (
        db.scalar(sa.select(sa.func.count()).select_from(BankNotificationChannel)) or 0
    )


def test_a_manager_sets_the_gateway_and_never_sees_the_token_again(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _h(db, world)
    url = "/api/v1/banks/BSU1/notification-channel"
    missing = client.get(url, headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["type"] == "notification_channel_not_found"

    created = client.put(url, json=CHANNEL, headers=headers)
    assert created.status_code == 200, created.get_json()
    body = created.get_json()
    assert "auth_token" not in body
    assert body["auth_token_set"] is True
    assert body["bank"] == "BSU1"
    assert body["enabled"] is True
    assert SECRET not in created.get_data(as_text=True)

    read = client.get(url, headers=headers)
    assert read.status_code == 200
    assert SECRET not in read.get_data(as_text=True)
    assert read.get_json()["auth_token_set"] is True

    # Changing the URL without the token keeps the stored token.
    without_token = {k: v for k, v in CHANNEL.items() if k != "auth_token"}
    changed = client.put(
        url,
        json={**without_token, "url": "https://other.example/send"},
        headers=headers,
    )
    assert changed.get_json()["auth_token_set"] is True
    db.expire_all()
    channel = db.get(BankNotificationChannel, world.unit.id)
    assert channel is not None
    assert channel.auth_token == SECRET
    assert channel.url == "https://other.example/send"
    # The audit log records the change, not the secret.
    audit = db.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "notification_channel.set")
    ).all()
    assert len(audit) == 2
    assert SECRET not in json.dumps([a.after for a in audit])


def test_the_induk_manager_configures_its_units_gateway(
    client: FlaskClient, db: Session, world: World
) -> None:
    response = client.put(
        "/api/v1/banks/BSU1/notification-channel",
        json=CHANNEL,
        headers=_h(db, world, "induk_manager"),
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("who", "bank", "status", "type_"),
    [
        ("cashier", "BSU1", 403, "permission_denied"),
        ("dlh", "BSU1", 403, "permission_denied"),
        ("unit_manager", "BSU2", 404, "bank_not_found"),
        ("unit_manager", "MJK1", 404, "bank_not_found"),
    ],
)
def test_cashiers_dlh_and_other_banks_are_refused_and_nothing_is_written(
    client: FlaskClient,
    db: Session,
    world: World,
    who: str,
    bank: str,
    status: int,
    type_: str,
) -> None:
    headers = _h(db, world, who)
    url = f"/api/v1/banks/{bank}/notification-channel"
    for response in (
        client.put(url, json=CHANNEL, headers=headers),
        client.get(url, headers=headers),
        client.get(f"/api/v1/banks/{bank}/notifications", headers=headers),
    ):
        assert response.status_code == status
        assert response.get_json()["type"] == type_
    assert _channel_count(db) == 0


def test_the_api_needs_a_token(client: FlaskClient, db: Session, world: World) -> None:
    response = client.get("/api/v1/banks/BSU1/notification-channel")
    assert response.status_code == 401
    assert response.get_json()["type"] == "authentication_failed"


@pytest.mark.parametrize(
    ("change", "type_", "field"),
    [
        ({"url": "ftp://wa-gateway.example/send"}, "validation_error", "url"),
        ({"url": "file:///etc/passwd"}, "validation_error", "url"),
        ({"url": "not a url"}, "validation_error", "url"),
        ({"kind": "telegram"}, "validation_error", "kind"),
        ({"auth_header": "Bad Header:"}, "validation_error", "auth_header"),
        ({"auth_token": "line\r\nX-Evil: 1"}, "validation_error", "auth_token"),
        ({"body_template": {"to": "{phone}"}}, "invalid_value", "body_template"),
        ({"auth_header": None}, "invalid_value", "auth_header"),
    ],
)
def test_bad_input_gets_the_error_envelope_and_writes_nothing(
    client: FlaskClient,
    db: Session,
    world: World,
    change: dict[str, Any],
    type_: str,
    field: str,
) -> None:
    response = client.put(
        "/api/v1/banks/BSU1/notification-channel",
        json={**CHANNEL, **change},
        headers=_h(db, world),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) == {"code", "status", "type", "message", "errors"}
    assert body["type"] == type_
    assert field in body["errors"]
    assert _channel_count(db) == 0


def _deposits(db: Session, world: World, n: int) -> None:
    world.members["BSU1"].phone = "081234567890"
    cashier = services.actor_for(world.users["cashier"])
    for _ in range(n):
        services.record_deposit(
            db,
            cashier,
            member_id=world.members["BSU1"].id,
            idempotency_key=uuid.uuid4().hex,
            request_hash="h",
            lines=[services.DepositLineInput("PET", Decimal("1"))],
        )
    db.commit()


def test_the_outbox_lists_newest_first_with_pagination_and_filters(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    factories.make_notification_channel(db, counter_world.unit)
    _deposits(db, counter_world, 3)
    headers = _h(db, counter_world)
    page = client.get(
        "/api/v1/banks/BSU1/notifications?page_size=2&page=1", headers=headers
    )
    assert page.status_code == 200
    items = page.get_json()
    assert len(items) == 2
    assert items[0]["id"] > items[1]["id"]
    assert items[0]["status"] == "pending"
    assert items[0]["recipient"] == "+6281234567890"
    assert items[0]["member_no"].endswith("-000001")
    assert json.loads(page.headers["X-Pagination"])["total"] == 3
    sent = client.get("/api/v1/banks/BSU1/notifications?status=sent", headers=headers)
    assert sent.get_json() == []
    bad = client.get("/api/v1/banks/BSU1/notifications?status=lost", headers=headers)
    assert bad.status_code == 422
    assert "status" in bad.get_json()["errors"]


def test_a_failed_message_is_retried_once_asked_and_only_then(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    factories.make_notification_channel(db, counter_world.unit)
    _deposits(db, counter_world, 1)
    notification = db.scalars(sa.select(Notification)).one()
    headers = _h(db, counter_world)
    url = f"/api/v1/notifications/{notification.id}/retry"

    pending = client.post(url, headers=headers)
    assert pending.status_code == 409
    assert pending.get_json()["type"] == "invalid_transition"

    notification.status = "failed"
    notification.attempts = 5
    notification.next_attempt_at = None
    notification.last_error = "HTTP 400: nomor tidak valid"
    db.commit()
    assert client.post(url, headers=_h(db, counter_world, "cashier")).status_code == 403
    other = client.post(url, headers=_h(db, counter_world, "induk_manager"))
    assert other.status_code == 200  # the induk's manager reaches its unit
    body = other.get_json()
    assert (body["status"], body["attempts"]) == ("pending", 0)
    assert body["next_attempt_at"] is not None
    assert body["last_error"] == "HTTP 400: nomor tidak valid"


def test_a_retry_outside_the_managers_banks_is_not_found(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    factories.make_notification_channel(db, counter_world.unit)
    _deposits(db, counter_world, 1)
    notification = db.scalars(sa.select(Notification)).one()
    notification.status = "failed"
    db.commit()
    manager = factories.make_user(
        db, username="mjk-manager", role="manager", bank_code="MJK1"
    )
    response = client.post(
        f"/api/v1/notifications/{notification.id}/retry",
        headers=factories.auth_headers(db, manager),
    )
    assert response.status_code == 404
    assert response.get_json()["type"] == "notification_not_found"
    db.expire_all()
    assert db.get(Notification, notification.id).status == "failed"  # type: ignore[union-attr]


def test_a_retry_with_the_gateway_switched_off_is_refused(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    factories.make_notification_channel(db, counter_world.unit)
    _deposits(db, counter_world, 1)
    notification = db.scalars(sa.select(Notification)).one()
    notification.status = "failed"
    factories.make_notification_channel(db, counter_world.unit, enabled=False)
    db.commit()
    response = client.post(
        f"/api/v1/notifications/{notification.id}/retry", headers=_h(db, counter_world)
    )
    assert response.status_code == 409
    assert response.get_json()["type"] == "channel_disabled"


def test_a_cashier_records_a_members_opt_out(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _h(db, world, "cashier")
    member_id = world.members["BSU1"].id
    url = f"/api/v1/members/{member_id}/notification-preference"
    assert client.get(url, headers=headers).get_json() == {
        "member": member_id,
        "opted_out": False,
        "opted_out_at": None,
    }
    response = client.put(url, json={"opted_out": True}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["opted_out"] is True
    assert response.get_json()["opted_out_at"] is not None
    assert client.get(url, headers=headers).get_json()["opted_out"] is True
    dlh = client.put(url, json={"opted_out": False}, headers=_h(db, world, "dlh"))
    assert dlh.status_code == 403
    other = world.members["MJK1"].id
    elsewhere = client.put(
        f"/api/v1/members/{other}/notification-preference",
        json={"opted_out": True},
        headers=headers,
    )
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["*.example"], "http://10.0.0.5/send"),  # not on the list
        (["*.example"], "https://api.fonnte.com/send"),  # not on the list
        ([], "http://169.254.169.254/latest/meta-data"),  # cloud metadata
        ([], "http://127.0.0.1:5432/"),  # this machine
        ([], "http://[::1]/send"),
    ],
)
def test_a_gateway_host_the_installation_does_not_allow_is_refused(
    client: FlaskClient,
    db: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    allowed: list[str],
    url: str,
) -> None:
    monkeypatch.setitem(client.application.config, "NOTIFY_ALLOWED_HOSTS", allowed)
    response = client.put(
        "/api/v1/banks/BSU1/notification-channel",
        json={**CHANNEL, "url": url},
        headers=_h(db, world),
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == "invalid_value"
    assert "WASTEBANK_NOTIFY_ALLOWED_HOSTS" in body["errors"]["url"][0]
    assert _channel_count(db) == 0


def test_a_public_gateway_is_accepted_without_an_allow_list(
    client: FlaskClient, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(client.application.config, "NOTIFY_ALLOWED_HOSTS", [])
    response = client.put(
        "/api/v1/banks/BSU1/notification-channel",
        json={**CHANNEL, "url": "https://203.0.113.7/send"},  # TEST-NET-3, not global
        headers=_h(db, world),
    )
    assert response.status_code == 422  # documentation ranges are not public either
    public = client.put(
        "/api/v1/banks/BSU1/notification-channel",
        json={**CHANNEL, "url": "https://api.fonnte.com/send"},
        headers=_h(db, world),
    )
    assert public.status_code == 200, public.get_json()
    assert _channel_count(db) == 1
