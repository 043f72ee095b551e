"""HTTP tests of the fleet registry: ``/api/v1/trucks``, ``/depots``, ``/facilities``."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from routing.models import Truck
from tests import factories
from tests.routing.conftest import Fleet

TRUCK: dict[str, Any] = {
    "code": "amb-ar-09",
    "name": "Arm roll 10 m³",
    "kind": "arm_roll",
    "depot": "AMB-POOL",
    "capacity_kg": "7000",
    "capacity_m3": "10",
    "shift_start": "05:00",
    "shift_end": "13:00",
    "rest_break": {
        "earliest_start": "09:00",
        "latest_start": "11:00",
        "duration_s": 1800,
    },
    "cost_rp_per_km": 5500,
    "cost_rp_per_hour": 100000,
    "facilities": ["TPA-TOISAPU"],
}

#: A break that would end after the shift.
LATE_BREAK = {"earliest_start": "12:45", "latest_start": "12:50", "duration_s": 1800}


def _headers(db: Session, fleet: Fleet, who: str) -> dict[str, str]:
    return factories.auth_headers(db, fleet.users[who])


def test_dlh_registers_a_truck_in_its_own_city(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    response = client.post(
        "/api/v1/trucks", json=TRUCK, headers=_headers(db, fleet, "dlh")
    )

    assert response.status_code == 201, response.get_json()
    truck = response.get_json()
    assert truck["code"] == "AMB-AR-09"
    assert truck["city"] == "AMB"
    assert truck["capacity_kg"] == "7000.000"
    assert truck["shift_start"] == "05:00"
    assert truck["shift_end"] == "13:00"
    assert truck["rest_break"] == {
        "earliest_start": "09:00",
        "latest_start": "11:00",
        "duration_s": 1800,
    }
    assert truck["facilities"] == ["TPA-TOISAPU"]
    stored = db.scalar(sa.select(Truck).where(Truck.code == "AMB-AR-09"))
    assert stored is not None
    assert stored.shift_start_s == 5 * 3600
    listed = client.get(
        "/api/v1/trucks",
        query_string={"active": "true"},
        headers=_headers(db, fleet, "dlh"),
    )
    assert [t["code"] for t in listed.get_json()] == ["AMB-AR-09", "T1", "T2"]


@pytest.mark.parametrize(
    ("change", "status", "type_", "field"),
    [
        ({"code": "T1"}, 409, "duplicate_code", "code"),
        ({"depot": "NOPE"}, 422, "invalid_reference", "depot"),
        ({"facilities": ["NOPE"]}, 422, "invalid_reference", "facilities"),
        ({"shift_end": "04:00"}, 422, "validation_error", "shift_end"),
        ({"shift_start": "5am"}, 422, "validation_error", "shift_start"),
        ({"capacity_kg": "0"}, 422, "validation_error", "capacity_kg"),
        ({"rest_break": LATE_BREAK}, 422, "validation_error", "rest_break"),
        ({"kind": "helicopter"}, 422, "validation_error", "kind"),
    ],
)  # fmt: skip
def test_bad_trucks_are_refused_with_the_envelope(
    client: FlaskClient,
    db: Session,
    fleet: Fleet,
    change: dict[str, Any],
    status: int,
    type_: str,
    field: str,
) -> None:
    response = client.post(
        "/api/v1/trucks", json={**TRUCK, **change}, headers=_headers(db, fleet, "dlh")
    )
    assert response.status_code == status
    assert response.get_json()["type"] == type_
    assert field in response.get_json()["errors"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Truck)) == 2


def test_depots_and_facilities_are_registered_and_listed_per_city(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    theirs = _headers(db, fleet, "dlh_other_city")
    depot = client.post(
        "/api/v1/depots",
        json={"code": "MJK-POOL", "name": "Garasi DLH", "lat": -7.47, "lon": 112.43},
        headers=theirs,
    )
    assert depot.status_code == 201
    assert depot.get_json()["city"] == "MJK"
    facility = client.post(
        "/api/v1/facilities",
        json={
            "code": "MJK-TPA",
            "name": "TPA Randegan",
            "kind": "tpa",
            "lat": -7.49,
            "lon": 112.42,
            "opening_hours": [["06:00", "17:00"]],
        },
        headers=theirs,
    )
    assert facility.status_code == 201
    assert facility.get_json()["opening_hours"] == [["06:00", "17:00"]]
    assert facility.get_json()["unload_time_s"] == 900

    assert [
        d["code"] for d in client.get("/api/v1/depots", headers=theirs).get_json()
    ] == ["MJK-POOL"]
    ours = _headers(db, fleet, "dlh")
    assert [
        f["code"] for f in client.get("/api/v1/facilities", headers=ours).get_json()
    ] == ["TPA-TOISAPU"]
    everything = client.get("/api/v1/depots", headers=_headers(db, fleet, "admin"))
    assert [d["code"] for d in everything.get_json()] == ["AMB-POOL", "MJK-POOL"]


def test_the_registry_is_for_dlh_and_admin_only(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    for who in ("cashier", "driver", "manager"):
        headers = _headers(db, fleet, who)
        assert client.get("/api/v1/trucks", headers=headers).status_code == 403
        response = client.post("/api/v1/trucks", json=TRUCK, headers=headers)
        assert response.status_code == 403
    other = client.post(
        "/api/v1/depots",
        json={"code": "X1", "name": "X", "lat": -3.7, "lon": 128.2, "city": "AMB"},
        headers=_headers(db, fleet, "dlh_other_city"),
    )
    assert other.status_code == 403
    assert other.get_json()["type"] == "permission_denied"


def test_a_facility_open_too_briefly_to_unload_is_refused(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    response = client.post(
        "/api/v1/facilities",
        json={
            "code": "TS-1",
            "name": "Transfer",
            "kind": "transfer_station",
            "lat": -3.7,
            "lon": 128.2,
            "opening_hours": [["06:00", "06:10"]],
            "unload_time_s": 1200,
        },
        headers=_headers(db, fleet, "dlh"),
    )
    assert response.status_code == 422
    assert response.get_json()["type"] == "invalid_value"
    assert "opening_hours" in response.get_json()["errors"]
