"""What DLH enters for the diversion report: TPA tickets, treatment inputs, city profile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank.access import Actor, Role
from wastebank.exceptions import InvalidValue
from wastebank.models import AuditEntry, CityWasteProfile, TpaDelivery, TreatmentInput
from wastebank.services import diversion

TICKET: dict[str, Any] = {
    "city": "AMB",
    "facility": "TPA Toisapu",
    "ticket_no": "ts-2026-00123",
    "delivered_at": "2026-11-05T08:00:00+09:00",
    "net_weight_kg": "8125.5",
    "truck_code": "de 8123 ab",
}
COMPOST: dict[str, Any] = {
    "city": "AMB",
    "facility": "TPS3R Batu Merah",
    "treated_on": "2026-11-15",
    "pathway": "composting",
    "material": "organic",
    "mass_kg": "600",
    "residue_kg": "60",
}


def _h(db: Session, world: World, who: str = "dlh") -> dict[str, str]:
    return factories.auth_headers(db, world.users[who])


def _count(db: Session, model: Any) -> int:
    db.expire_all()
    return int(db.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


# -- TPA tickets ---------------------------------------------------------------------------------
def test_dlh_records_a_weighbridge_ticket(
    client: FlaskClient, db: Session, world: World
) -> None:
    response = client.post("/api/v1/tpa-deliveries", json=TICKET, headers=_h(db, world))
    assert response.status_code == 201
    assert response.headers["Idempotent-Replayed"] == "false"
    body = response.get_json()
    assert body["city"] == "AMB"
    assert body["ticket_no"] == "TS-2026-00123"
    assert body["truck_code"] == "DE 8123 AB"
    assert body["net_weight_kg"] == "8125.500"
    assert body["source"] == "weighbridge"
    assert body["delivered_at"] == "2026-11-04T23:00:00+00:00"
    assert body["entered_by"] == world.users["dlh"].id
    stored = client.get(
        f"/api/v1/tpa-deliveries/{body['id']}", headers=_h(db, world, "admin")
    )
    assert stored.get_json() == body
    audit = db.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "tpa_delivery.create")
    )
    assert audit is not None
    assert audit.after["net_weight_kg"] == "8125.500"


def test_the_same_ticket_again_is_a_replay(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _h(db, world)
    first = client.post("/api/v1/tpa-deliveries", json=TICKET, headers=headers)
    again = client.post(
        "/api/v1/tpa-deliveries",
        json={**TICKET, "facility": " TPA Toisapu ", "net_weight_kg": "8125.500"},
        headers=headers,
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _count(db, TpaDelivery) == 1


def test_the_api_takes_a_ticket_number_as_sent(
    client: FlaskClient, db: Session, world: World
) -> None:
    """Spaces around it are not part of the documented pattern: refused, not trimmed."""
    response = client.post(
        "/api/v1/tpa-deliveries",
        json={**TICKET, "ticket_no": " TS-2026-00123 "},
        headers=_h(db, world),
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["ticket_no"]


def test_a_ticket_number_reused_with_other_data_is_refused(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _h(db, world)
    client.post("/api/v1/tpa-deliveries", json=TICKET, headers=headers)
    response = client.post(
        "/api/v1/tpa-deliveries",
        json={**TICKET, "net_weight_kg": "9000"},
        headers=headers,
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["type"] == "duplicate_ticket"
    assert "ticket_no" in body["errors"]
    assert _count(db, TpaDelivery) == 1
    db.expire_all()
    assert db.scalar(sa.select(TpaDelivery.net_weight_kg)) == Decimal("8125.500")
    # The same number in another city is another ticket.
    admin = _h(db, world, "admin")
    other = client.post(
        "/api/v1/tpa-deliveries",
        json={**TICKET, "city": "MJK", "facility": "TPA Randegan"},
        headers=admin,
    )
    assert other.status_code == 201
    assert _count(db, TpaDelivery) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"net_weight_kg": "-5"}, "net_weight_kg"),
        ({"net_weight_kg": "0"}, "net_weight_kg"),
        ({"net_weight_kg": "1.2345"}, "net_weight_kg"),
        ({"delivered_at": "2026-11-05T08:00:00"}, "delivered_at"),
        ({"source": "guess"}, "source"),
        ({"ticket_no": ""}, "ticket_no"),
        ({"facility": None}, "facility"),
    ],
)
def test_bad_tickets_are_refused_and_nothing_is_written(
    client: FlaskClient, db: Session, world: World, change: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/api/v1/tpa-deliveries", json={**TICKET, **change}, headers=_h(db, world)
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["type"] == "validation_error"
    assert field in body["errors"]
    assert _count(db, TpaDelivery) == 0


def test_a_delivery_in_the_future_is_refused(
    client: FlaskClient, db: Session, world: World
) -> None:
    response = client.post(
        "/api/v1/tpa-deliveries",
        # (within the dates a request may carry at all: 2000-2100)
        json={
            **TICKET,
            "delivered_at": f"{dt.date.today().year + 1}-12-31T00:00:00+09:00",
        },
        headers=_h(db, world),
    )
    assert response.status_code == 422
    assert response.get_json()["type"] == "invalid_value"
    assert _count(db, TpaDelivery) == 0


@pytest.mark.parametrize(
    ("who", "status", "type_"),
    [
        ("cashier", 403, "permission_denied"),
        ("unit_manager", 403, "permission_denied"),
        ("driver", 403, "permission_denied"),
        ("dlh_other_city", 404, "city_not_found"),
    ],
)
def test_only_admin_and_the_citys_dlh_enter_tickets(
    client: FlaskClient, db: Session, world: World, who: str, status: int, type_: str
) -> None:
    response = client.post(
        "/api/v1/tpa-deliveries", json=TICKET, headers=_h(db, world, who)
    )
    assert response.status_code == status
    assert response.get_json()["type"] == type_
    assert _count(db, TpaDelivery) == 0


def test_deliveries_are_listed_by_local_date_and_deleted(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _h(db, world)
    for number, at in (
        ("T1", "2026-11-30T23:30:00+09:00"),
        ("T2", "2026-12-01T00:30:00+09:00"),
    ):
        client.post(
            "/api/v1/tpa-deliveries",
            json={**TICKET, "ticket_no": number, "delivered_at": at},
            headers=headers,
        )
    listed = client.get(
        "/api/v1/tpa-deliveries",
        query_string={"city": "AMB", "from": "2026-11-01", "to": "2026-11-30"},
        headers=headers,
    )
    assert listed.status_code == 200
    assert [d["ticket_no"] for d in listed.get_json()] == ["T1"]
    assert '"total": 1' in listed.headers["X-Pagination"]
    everything = client.get(
        "/api/v1/tpa-deliveries", query_string={"city": "AMB"}, headers=headers
    ).get_json()
    assert [d["ticket_no"] for d in everything] == ["T2", "T1"]
    other_city = client.get(
        "/api/v1/tpa-deliveries/" + str(everything[0]["id"]),
        headers=_h(db, world, "dlh_other_city"),
    )
    assert other_city.status_code == 404
    assert other_city.get_json()["type"] == "tpa_delivery_not_found"
    refused = client.delete(
        f"/api/v1/tpa-deliveries/{everything[0]['id']}",
        headers=_h(db, world, "dlh_other_city"),
    )
    assert refused.status_code == 404
    deleted = client.delete(
        f"/api/v1/tpa-deliveries/{everything[0]['id']}", headers=headers
    )
    assert deleted.status_code == 204
    assert _count(db, TpaDelivery) == 1
    gone = client.get(f"/api/v1/tpa-deliveries/{everything[0]['id']}", headers=headers)
    assert gone.status_code == 404
    assert db.scalar(
        sa.select(AuditEntry.before).where(AuditEntry.action == "tpa_delivery.delete")
    )["ticket_no"] == ("T2")


# -- treatment inputs ------------------------------------------------------------------------------
def test_dlh_records_a_treatment_input_and_replays_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _h(db, world)
    response = client.post("/api/v1/treatment-inputs", json=COMPOST, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["mass_kg"] == "600.000"
    assert body["residue_kg"] == "60.000"
    assert body["basis"] == "measured"
    again = client.post("/api/v1/treatment-inputs", json=COMPOST, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    changed = client.post(
        "/api/v1/treatment-inputs", json={**COMPOST, "mass_kg": "650"}, headers=headers
    )
    assert changed.status_code == 409
    assert changed.get_json()["type"] == "duplicate_treatment_input"
    # Another material the same day is another input.
    garden = client.post(
        "/api/v1/treatment-inputs",
        json={**COMPOST, "material": "garden"},
        headers=headers,
    )
    assert garden.status_code == 201
    assert _count(db, TreatmentInput) == 2
    listed = client.get(
        "/api/v1/treatment-inputs",
        query_string={"city": "AMB", "from": "2026-11-15", "to": "2026-11-15"},
        headers=headers,
    ).get_json()
    assert {item["material"] for item in listed} == {"organic", "garden"}
    assert (
        client.delete(
            f"/api/v1/treatment-inputs/{body['id']}", headers=headers
        ).status_code
        == 204
    )
    assert _count(db, TreatmentInput) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mass_kg": "-600"}, "mass_kg"),
        ({"residue_kg": "700"}, "residue_kg"),
        ({"residue_kg": "-1"}, "residue_kg"),
        ({"material": "styrofoam"}, "material"),
        ({"pathway": "landfill"}, "pathway"),
        ({"basis": "guessed"}, "basis"),
        ({"treated_on": "15/11/2026"}, "treated_on"),
    ],
)
def test_bad_treatment_inputs_are_refused_and_nothing_is_written(
    client: FlaskClient, db: Session, world: World, change: dict[str, Any], field: str
) -> None:
    response = client.post(
        "/api/v1/treatment-inputs", json={**COMPOST, **change}, headers=_h(db, world)
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["type"] == "validation_error"
    assert field in body["errors"]
    assert _count(db, TreatmentInput) == 0


def test_treatment_inputs_of_another_city_are_out_of_reach(
    client: FlaskClient, db: Session, world: World
) -> None:
    response = client.post(
        "/api/v1/treatment-inputs",
        json=COMPOST,
        headers=_h(db, world, "dlh_other_city"),
    )
    assert response.status_code == 404
    cashier = client.get(
        "/api/v1/treatment-inputs",
        query_string={"city": "AMB"},
        headers=_h(db, world, "cashier"),
    )
    assert cashier.status_code == 403
    assert _count(db, TreatmentInput) == 0
    # An input of Ambon, read or deleted by Mojokerto's DLH: not found, and kept.
    created = client.post(
        "/api/v1/treatment-inputs", json=COMPOST, headers=_h(db, world)
    )
    assert created.status_code == 201
    url = f"/api/v1/treatment-inputs/{created.get_json()['id']}"
    other = _h(db, world, "dlh_other_city")
    for response in (client.get(url, headers=other), client.delete(url, headers=other)):
        assert response.status_code == 404
        assert response.get_json()["type"] == "treatment_input_not_found"
    listed = client.get(
        "/api/v1/treatment-inputs", query_string={"city": "AMB"}, headers=other
    )
    assert listed.status_code == 404
    assert _count(db, TreatmentInput) == 1


def test_treatment_inputs_are_listed_by_day_newest_first(
    client: FlaskClient, db: Session, world: World
) -> None:
    """Days just outside ``from``..``to`` are left out; ``to`` itself is kept."""
    headers = _h(db, world)
    for day in ("2026-11-13", "2026-11-14", "2026-11-15", "2026-11-16"):
        client.post(
            "/api/v1/treatment-inputs",
            json={**COMPOST, "treated_on": day},
            headers=headers,
        )
    listed = client.get(
        "/api/v1/treatment-inputs",
        query_string={"city": "AMB", "from": "2026-11-14", "to": "2026-11-15"},
        headers=headers,
    )
    assert [item["treated_on"] for item in listed.get_json()] == [
        "2026-11-15",
        "2026-11-14",
    ]
    assert '"total": 2' in listed.headers["X-Pagination"]


@pytest.mark.parametrize(
    ("path", "body", "action"),
    [
        ("/api/v1/tpa-deliveries", TICKET, "tpa_delivery.create"),
        ("/api/v1/treatment-inputs", COMPOST, "treatment_input.create"),
    ],
)
def test_a_replay_is_not_audited_again(
    client: FlaskClient,
    db: Session,
    world: World,
    path: str,
    body: dict[str, Any],
    action: str,
) -> None:
    for _ in range(2):
        assert client.post(path, json=body, headers=_h(db, world)).status_code == 201
    db.expire_all()
    created = db.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == action)
    )
    assert created == 1


@pytest.mark.parametrize("path", ["/api/v1/tpa-deliveries", "/api/v1/treatment-inputs"])
def test_a_period_that_ends_before_it_starts_is_refused(
    client: FlaskClient, db: Session, world: World, path: str
) -> None:
    response = client.get(
        path,
        query_string={"city": "AMB", "from": "2026-11-30", "to": "2026-11-01"},
        headers=_h(db, world),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["type"] == "invalid_period"
    assert "to" in body["errors"]


# -- the city's profile ----------------------------------------------------------------------------
def test_dlh_edits_the_city_profile(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _h(db, world)
    empty = client.get("/api/v1/cities/AMB/waste-profile", headers=headers)
    assert empty.status_code == 200
    assert empty.get_json()["population"] is None
    assert _count(db, CityWasteProfile) == 0  # reading creates nothing
    changed = client.patch(
        "/api/v1/cities/AMB/waste-profile",
        json={
            "population": 347288,
            "tpa_site_type": "open_dump_deep",
            "tpa_remaining_airspace_m3": "150000",
            "cover_soil_fraction": "0.2",
            "jakstrada_targets": {"2026": {"reduction_pct": 28, "handling_pct": 72}},
        },
        headers=headers,
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert body["city"] == "AMB"
    assert body["population"] == 347288
    assert body["tpa_remaining_airspace_m3"] == "150000.0"
    assert body["jakstrada_targets"] == {
        "2026": {"reduction_pct": 28.0, "handling_pct": 72.0}
    }
    cleared = client.patch(
        "/api/v1/cities/AMB/waste-profile",
        json={"cover_soil_fraction": None},
        headers=headers,
    ).get_json()
    assert cleared["cover_soil_fraction"] is None
    assert cleared["population"] == 347288  # untouched
    assert (
        db.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.action == "waste_profile.update"
            )
        )
        == 2
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"population": -5}, "population"),
        ({"tpa_site_type": "volcano"}, "tpa_site_type"),
        ({"cover_soil_fraction": "1.5"}, "cover_soil_fraction"),
        ({"climate_zone": "arctic"}, "climate_zone"),
        (
            {"jakstrada_targets": {"2026": {"reduction_pct": 130, "handling_pct": 70}}},
            "jakstrada_targets",
        ),
        (
            {
                "jakstrada_targets": {
                    "next year": {"reduction_pct": 30, "handling_pct": 70}
                }
            },
            "jakstrada_targets",
        ),
    ],
)
def test_bad_profile_values_are_refused(
    client: FlaskClient, db: Session, world: World, body: dict[str, Any], field: str
) -> None:
    response = client.patch(
        "/api/v1/cities/AMB/waste-profile", json=body, headers=_h(db, world)
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert _count(db, CityWasteProfile) == 0


def test_profile_of_another_city_is_not_found(
    client: FlaskClient, db: Session, world: World
) -> None:
    response = client.patch(
        "/api/v1/cities/AMB/waste-profile",
        json={"population": 1000},
        headers=_h(db, world, "dlh_other_city"),
    )
    assert response.status_code == 404
    assert response.get_json()["type"] == "city_not_found"
    manager = client.get(
        "/api/v1/cities/AMB/waste-profile", headers=_h(db, world, "induk_manager")
    )
    assert manager.status_code == 403
    assert _count(db, CityWasteProfile) == 0


# -- services flush, adapters commit -----------------------------------------------------------
def test_services_flush_and_leave_the_commit_to_the_caller(
    db: Session, world: World
) -> None:
    audit_before = _count(db, AuditEntry)
    dlh = Actor(
        role=Role.DLH, user_id=world.users["dlh"].id, city_id=world.unit.city_id
    )
    delivery, replayed = diversion.record_tpa_delivery(
        db,
        dlh,
        city_code="AMB",
        facility="TPA Toisapu",
        ticket_no="T-1",
        delivered_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC),
        net_weight_kg=Decimal("100"),
    )
    assert delivery.id is not None
    assert replayed is False
    assert _count(db, AuditEntry) == audit_before + 1  # flushed, visible here
    db.rollback()
    assert _count(db, TpaDelivery) == 0
    assert _count(db, AuditEntry) == audit_before


# -- services check what a schema checks, for callers without one (CLI, driver trips) ------
TICKET_ARGS: dict[str, Any] = {
    "city_code": "AMB",
    "facility": "TPA Toisapu",
    "ticket_no": "T-2",
    "delivered_at": dt.datetime(2026, 11, 5, tzinfo=dt.UTC),
    "net_weight_kg": Decimal("100"),
}
INPUT_ARGS: dict[str, Any] = {
    "city_code": "AMB",
    "facility": "TPS3R Batu Merah",
    "treated_on": dt.date(2026, 11, 5),
    "pathway": "composting",
    "material": "organic",
    "mass_kg": Decimal("600"),
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"net_weight_kg": Decimal("0")}, "net_weight_kg"),
        ({"net_weight_kg": Decimal("-5")}, "net_weight_kg"),
        (
            {"net_weight_kg": Decimal("0.0004")},
            "net_weight_kg",
        ),  # 0.000 kg once rounded
        ({"net_weight_kg": Decimal("Infinity")}, "net_weight_kg"),
        ({"net_weight_kg": Decimal("NaN")}, "net_weight_kg"),
        ({"source": "guess"}, "source"),
        ({"facility": "   "}, "facility"),
        ({"ticket_no": ""}, "ticket_no"),
        ({"ticket_no": "X" * 41}, "ticket_no"),
        ({"delivered_at": dt.datetime(2026, 11, 5, 8)}, "delivered_at"),  # naive
    ],
)
def test_the_ticket_service_refuses_what_the_schema_refuses(
    db: Session, world: World, change: dict[str, Any], field: str
) -> None:
    dlh = Actor(
        role=Role.DLH, user_id=world.users["dlh"].id, city_id=world.unit.city_id
    )
    with pytest.raises(InvalidValue) as refused:
        diversion.record_tpa_delivery(db, dlh, **{**TICKET_ARGS, **change})
    assert refused.value.field == field
    db.rollback()
    assert _count(db, TpaDelivery) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mass_kg": Decimal("0")}, "mass_kg"),
        ({"mass_kg": Decimal("-1")}, "mass_kg"),
        ({"residue_kg": Decimal("-1")}, "residue_kg"),
        ({"residue_kg": Decimal("601")}, "residue_kg"),
        ({"residue_kg": Decimal("NaN")}, "residue_kg"),
        ({"pathway": "burying"}, "pathway"),
        ({"basis": "felt"}, "basis"),
        ({"material": "uranium"}, "material"),
        ({"facility": ""}, "facility"),
    ],
)
def test_the_treatment_service_refuses_what_the_schema_refuses(
    db: Session, world: World, change: dict[str, Any], field: str
) -> None:
    dlh = Actor(
        role=Role.DLH, user_id=world.users["dlh"].id, city_id=world.unit.city_id
    )
    with pytest.raises(InvalidValue) as refused:
        diversion.record_treatment_input(db, dlh, **{**INPUT_ARGS, **change})
    assert refused.value.field == field
    db.rollback()
    assert _count(db, TreatmentInput) == 0
