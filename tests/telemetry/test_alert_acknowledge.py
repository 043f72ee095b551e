"""Acknowledging a bin's alert: admin and the city's DLH, idempotent, audited."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from telemetry import services
from telemetry.exceptions import AccessDenied, AlertNotFound
from telemetry.models import Alert
from tests import factories
from tests.routing import conftest as routing_conftest
from tests.routing.conftest import Fleet, add_bin
from wastebank.access import Actor, Role
from wastebank.models import AuditEntry

fleet = routing_conftest.fleet

T0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def alert_id(db: Session, fleet: Fleet) -> int:
    """An open "full" alert on a 95 % bin of Ambon."""
    add_bin(db, "AMB-FULL", fill_pct=95)
    db.commit()
    alert = db.scalar(sa.select(Alert).where(Alert.closed_at.is_(None)))
    assert alert is not None
    return alert.id


def _actor(fleet: Fleet, who: str) -> Actor:
    user = fleet.users[who]
    return Actor(
        role=Role(user.role),
        user_id=user.id,
        bank_id=user.bank_id,
        city_id=user.city_id,
    )


def _audits(db: Session) -> list[AuditEntry]:
    db.expire_all()
    return list(
        db.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "alert.acknowledge")
        )
    )


# -- service ------------------------------------------------------------------------------
def test_dlh_acknowledges_an_alert_of_its_city_once(
    db: Session, fleet: Fleet, alert_id: int
) -> None:
    dlh = _actor(fleet, "dlh")
    alert = services.acknowledge_alert(db, dlh, alert_id, now=T0)
    assert alert.acknowledged_at == T0
    assert alert.acknowledged_by == "dlh"
    assert alert.closed_at is None  # still open until the bin is emptied
    again = services.acknowledge_alert(
        db, dlh, alert_id, now=T0 + dt.timedelta(hours=1)
    )
    assert again.acknowledged_at == T0  # the first acknowledgement is kept
    (entry,) = _audits(db)
    assert entry.actor_id == fleet.users["dlh"].id
    assert entry.object_type == "Alert"
    assert entry.object_id == str(alert_id)
    assert entry.after is not None and entry.after["bin"] == "AMB-FULL"


def test_acknowledging_flushes_but_does_not_commit(
    db: Session, fleet: Fleet, alert_id: int
) -> None:
    services.acknowledge_alert(db, _actor(fleet, "dlh"), alert_id, now=T0)
    db.rollback()
    alert = db.get(Alert, alert_id)
    assert alert is not None and alert.acknowledged_at is None
    assert _audits(db) == []


def test_another_citys_dlh_cannot_find_the_alert(
    db: Session, fleet: Fleet, alert_id: int
) -> None:
    with pytest.raises(AlertNotFound):
        services.acknowledge_alert(db, _actor(fleet, "dlh_other_city"), alert_id)


@pytest.mark.parametrize("who", ["manager", "cashier", "driver"])
def test_other_roles_may_not_acknowledge(
    db: Session, fleet: Fleet, alert_id: int, who: str
) -> None:
    with pytest.raises(AccessDenied):
        services.acknowledge_alert(db, _actor(fleet, who), alert_id)


# -- API ----------------------------------------------------------------------------------
def _url(alert_id: int) -> str:
    return f"/api/v1/alerts/{alert_id}/acknowledge"


def test_acknowledge_endpoint_answers_the_alert_and_replays_harmlessly(
    client: FlaskClient, db: Session, fleet: Fleet, alert_id: int
) -> None:
    headers = factories.auth_headers(db, fleet.users["dlh"])
    first = client.post(_url(alert_id), headers=headers)
    assert first.status_code == 200
    body = first.get_json()
    assert body["id"] == alert_id
    assert body["acknowledged_by"] == "dlh"
    assert body["acknowledged_at"] is not None
    second = client.post(_url(alert_id), headers=headers)
    assert second.status_code == 200
    assert second.get_json()["acknowledged_at"] == body["acknowledged_at"]
    assert len(_audits(db)) == 1
    # The bin shows the alert acknowledged.
    bin_ = client.get("/api/v1/bins/AMB-FULL", headers=headers).get_json()
    (alert,) = [a for a in bin_["alerts"] if a["id"] == alert_id]
    assert alert["acknowledged_by"] == "dlh"


def test_admin_may_acknowledge_in_any_city(
    client: FlaskClient, db: Session, fleet: Fleet, alert_id: int
) -> None:
    headers = factories.auth_headers(db, fleet.users["admin"])
    response = client.post(_url(alert_id), headers=headers)
    assert response.status_code == 200
    assert response.get_json()["acknowledged_by"] == "admin"


@pytest.mark.parametrize(
    ("who", "status", "kind"),
    [
        ("dlh_other_city", 404, "alert_not_found"),
        ("manager", 403, "permission_denied"),
        ("cashier", 403, "permission_denied"),
    ],
)
def test_acknowledge_endpoint_refusals_use_the_envelope(
    client: FlaskClient,
    db: Session,
    fleet: Fleet,
    alert_id: int,
    who: str,
    status: int,
    kind: str,
) -> None:
    headers = factories.auth_headers(db, fleet.users[who])
    response = client.post(_url(alert_id), headers=headers)
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == status
    assert body["type"] == kind
    assert len(_audits(db)) == 0


def test_an_unknown_alert_is_404(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    headers = factories.auth_headers(db, fleet.users["dlh"])
    response = client.post(_url(999_999), headers=headers)
    assert response.status_code == 404
    assert response.get_json()["type"] == "alert_not_found"


def test_acknowledging_needs_a_token(
    client: FlaskClient, fleet: Fleet, alert_id: int
) -> None:
    response = client.post(_url(alert_id))
    assert response.status_code == 401
    assert response.get_json()["type"] == "authentication_failed"
