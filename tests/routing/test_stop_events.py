"""Drivers' reports on their stops: collected, skipped, unloaded (API and service)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from routing import services
from routing.exceptions import InvalidRoutingValue
from routing.models import RouteStop, RouteStopEvent, RouteStopPhoto
from telemetry import services as telemetry_services
from telemetry.models import Alert, Bin
from telemetry.readings import parse_plain_json
from tests import factories
from tests.routing.conftest import (
    SERVICE_DATE,
    WIT,
    Fleet,
    add_bin,
    plan_and_dispatch,
)
from wastebank.access import Actor, Role
from wastebank.models import AuditEntry, TpaDelivery, User

MINE = "/api/v1/driver/routes"
ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}
#: The truck is at the bin at about 05:15 WIT on the service day.
AT_BIN = dt.datetime(2026, 11, 20, 5, 20, tzinfo=WIT)
AT_TPA = dt.datetime(2026, 11, 20, 6, 10, tzinfo=WIT)


@dataclass
class Trip:
    fleet: Fleet
    driver: User
    other_driver: User
    route_id: int
    stop_id: int  # the bin
    unload_id: int  # the TPA
    bin_id: int


@pytest.fixture
def trip(db: Session, fleet: Fleet) -> Trip:
    """One full bin in Ambon, planned as one route (the bin, then the TPA), given to
    driver ``sopir``; ``sopir.2`` is another driver of Ambon without this route."""
    bin_ = add_bin(db, "AMB-S", fill_pct=95)
    other = factories.make_user(db, username="sopir.2", role="driver", city_code="AMB")
    db.commit()
    route = plan_and_dispatch(db)
    stop, unload = route.stops
    assert (stop.kind, unload.kind) == ("stop", "unload")
    return Trip(
        fleet,
        fleet.users["driver"],
        other,
        route.id,
        stop.id,
        unload.id,
        bin_.id,
    )


def _post(
    client: FlaskClient,
    db: Session,
    user: User,
    stop_id: int,
    body: dict[str, Any],
    *,
    key: str = "phone-1-0001",
) -> Any:
    headers = {**factories.auth_headers(db, user), "Idempotency-Key": key}
    return client.post(
        f"/api/v1/route-stops/{stop_id}/events", json=body, headers=headers
    )


def _collected(at: dt.datetime = AT_BIN, **extra: Any) -> dict[str, Any]:
    return {"kind": "collected", "occurred_at": at.isoformat(), **extra}


def _unloaded(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "unloaded",
        "occurred_at": AT_TPA.isoformat(),
        "ticket_no": "tsp-2026-0412",
        "net_weight_kg": "812.5",
        **extra,
    }


def _counts(db: Session) -> tuple[int, int]:
    """Events and TPA deliveries stored."""
    db.expire_all()
    events = db.scalar(sa.select(sa.func.count()).select_from(RouteStopEvent))
    deliveries = db.scalar(sa.select(sa.func.count()).select_from(TpaDelivery))
    return int(events or 0), int(deliveries or 0)


def _bin(db: Session, bin_id: int) -> Bin:
    db.expire_all()
    found = db.get(Bin, bin_id)
    assert found is not None
    return found


def _open_alerts(db: Session, bin_id: int) -> list[str]:
    return list(
        db.scalars(
            sa.select(Alert.kind).where(
                Alert.bin_id == bin_id, Alert.closed_at.is_(None)
            )
        )
    )


def _my_stops(client: FlaskClient, db: Session, user: User) -> list[dict[str, Any]]:
    routes = client.get(
        MINE,
        query_string={"date": SERVICE_DATE.isoformat()},
        headers=factories.auth_headers(db, user),
    ).get_json()
    return [stop for route in routes for stop in route["stops"]]


def _reading(db: Session, device_id: str, fill_pct: float, at: dt.datetime) -> None:
    body = {"fill_pct": fill_pct, "measured_at": at.isoformat()}
    reading = parse_plain_json(
        json.dumps(body).encode(), device_id=device_id, received_at=at
    )
    telemetry_services.record_readings(db, [reading])
    db.commit()


# -- collected --------------------------------------------------------------------------------
def test_a_collected_stop_empties_the_bin_until_a_newer_reading_takes_over(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    before = _bin(db, trip.bin_id)
    assert before.fill_pct is not None and before.fill_pct > 90
    assert "bin_full" in _open_alerts(db, trip.bin_id)

    response = _post(
        client, db, trip.driver, trip.stop_id, _collected(note="  Lancar  ")
    )

    assert response.status_code == 201, response.get_json()
    assert response.headers["Idempotent-Replayed"] == "false"
    event = response.get_json()
    assert event["stop"] == trip.stop_id
    assert event["kind"] == "collected"
    assert event["note"] == "Lancar"
    assert event["occurred_at"] == "2026-11-20T05:20:00+09:00"  # the city's zone
    assert event["received_at"].endswith("+09:00")
    assert (event["reason"], event["ticket_no"], event["tpa_delivery"]) == (
        None,
        None,
        None,
    )
    emptied = _bin(db, trip.bin_id)
    assert emptied.fill_pct == 0
    assert emptied.last_collected_at == AT_BIN
    assert emptied.last_emptied_at == AT_BIN
    # Fullness alerts closed (the sensor's readings are old: it is silent, though).
    assert _open_alerts(db, trip.bin_id) == ["sensor_silent"]
    # The batch refresh (cron) keeps it empty: no reading is newer than the collection.
    telemetry_services.refresh_all_bins(db)
    db.commit()
    assert _bin(db, trip.bin_id).fill_pct == 0
    stop = _my_stops(client, db, trip.driver)[0]
    assert stop["state"] == "collected"
    assert stop["last_event"] == {
        "kind": "collected",
        "reason": None,
        "occurred_at": "2026-11-20T05:20:00+09:00",
    }

    # Readings after the collection: the readings rule again (the filter wants a
    # drop confirmed by a second reading).
    for hours, fill in ((2, 38.0), (3, 40.0)):
        _reading(db, "gw-amb-s", fill, AT_BIN + dt.timedelta(hours=hours))
    after = _bin(db, trip.bin_id)
    assert after.fill_pct == pytest.approx(40, abs=5)
    assert after.last_reading_at == AT_BIN + dt.timedelta(hours=3)


# -- skipped ----------------------------------------------------------------------------------
def test_a_skipped_stop_stays_open_and_a_later_collection_supersedes_it(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    skipped = _post(
        client,
        db,
        trip.driver,
        trip.stop_id,
        {
            "kind": "skipped",
            "reason": "blocked",
            "note": "Mobil parkir di depan TPS",
            "occurred_at": AT_BIN.isoformat(),
        },
        key="skip-1",
    )

    assert skipped.status_code == 201, skipped.get_json()
    assert skipped.get_json()["reason"] == "blocked"
    bin_ = _bin(db, trip.bin_id)
    assert bin_.fill_pct is not None and bin_.fill_pct > 90  # nothing collected
    assert bin_.last_collected_at is None
    assert "bin_full" in _open_alerts(db, trip.bin_id)
    assert _counts(db) == (1, 0)
    stop = _my_stops(client, db, trip.driver)[0]
    assert stop["state"] == "skipped"
    assert stop["last_event"]["reason"] == "blocked"

    later = AT_BIN + dt.timedelta(minutes=40)
    collected = _post(
        client, db, trip.driver, trip.stop_id, _collected(later), key="collect-1"
    )

    assert collected.status_code == 201
    assert _my_stops(client, db, trip.driver)[0]["state"] == "collected"
    assert _counts(db) == (2, 0)  # both reports are kept
    assert _bin(db, trip.bin_id).fill_pct == 0


def test_an_unreported_stop_is_open(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    stops = _my_stops(client, db, trip.driver)
    assert [(s["state"], s["last_event"]) for s in stops] == [
        ("open", None),
        ("open", None),
    ]


# -- unloaded ---------------------------------------------------------------------------------
def test_an_unloading_becomes_a_tpa_delivery_the_dlh_sees(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    response = _post(client, db, trip.driver, trip.unload_id, _unloaded())

    assert response.status_code == 201, response.get_json()
    event = response.get_json()
    assert event["kind"] == "unloaded"
    assert event["ticket_no"] == "TSP-2026-0412"
    assert event["net_weight_kg"] == "812.500"
    delivery = db.get(TpaDelivery, event["tpa_delivery"])
    assert delivery is not None
    assert delivery.entered_by_id == trip.driver.id
    listing = client.get(
        "/api/v1/tpa-deliveries",
        query_string={"city": "AMB"},
        headers=factories.auth_headers(db, trip.fleet.users["dlh"]),
    )
    assert listing.status_code == 200
    (row,) = listing.get_json()
    assert row["id"] == event["tpa_delivery"]
    assert row["ticket_no"] == "TSP-2026-0412"
    assert row["facility"] == "TPA Toisapu"
    assert row["net_weight_kg"] == "812.500"
    assert row["source"] == "weighbridge"
    assert row["entered_by"] == trip.driver.id
    assert row["truck_code"] in {"T1", "T2"}
    assert dt.datetime.fromisoformat(row["delivered_at"]) == AT_TPA
    assert _my_stops(client, db, trip.driver)[1]["state"] == "unloaded"


def test_a_reported_delivery_is_not_deleted_without_its_report(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    """Its stop report points at it: the database refused the delete (a 500)."""
    event = _post(client, db, trip.driver, trip.unload_id, _unloaded()).get_json()
    url = f"/api/v1/tpa-deliveries/{event['tpa_delivery']}"
    for user in (trip.fleet.users["dlh"], trip.fleet.users["admin"]):
        response = client.delete(url, headers=factories.auth_headers(db, user))
        assert response.status_code == 409
        body = response.get_json()
        assert body["type"] == "still_referenced"
        assert f"the driver's stop report {event['id']}" in body["message"]
    db.expire_all()
    assert db.get(TpaDelivery, event["tpa_delivery"]) is not None
    assert _counts(db) == (1, 1)


def test_a_ticket_recorded_with_other_data_is_a_conflict(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    first = _post(client, db, trip.driver, trip.unload_id, _unloaded(), key="u-1")
    assert first.status_code == 201
    other = _post(
        client,
        db,
        trip.driver,
        trip.unload_id,
        _unloaded(net_weight_kg="900"),
        key="u-2",
    )
    assert other.status_code == 409
    assert other.get_json()["type"] == "duplicate_ticket"
    assert _counts(db) == (1, 1)


# -- idempotency ------------------------------------------------------------------------------
def test_the_same_key_and_request_replays_the_report(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    first = _post(client, db, trip.driver, trip.unload_id, _unloaded(), key="q-7")
    again = _post(client, db, trip.driver, trip.unload_id, _unloaded(), key="q-7")

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert _counts(db) == (1, 1)
    audits = db.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "tpa_delivery.create")
    )
    assert audits == 1


def test_the_same_key_with_another_request_is_refused(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    _post(client, db, trip.driver, trip.stop_id, _collected(), key="q-8")
    other = _post(
        client,
        db,
        trip.driver,
        trip.stop_id,
        _collected(AT_BIN + dt.timedelta(minutes=1)),
        key="q-8",
    )
    assert other.status_code == 409
    assert set(other.get_json()) == ENVELOPE_KEYS
    assert other.get_json()["type"] == "idempotency_key_reused"
    assert _counts(db) == (1, 0)
    # The same body under the same key on another stop is another request too.
    elsewhere = _post(client, db, trip.driver, trip.unload_id, _collected(), key="q-8")
    assert elsewhere.status_code == 409
    assert elsewhere.get_json()["type"] == "idempotency_key_reused"
    assert _counts(db) == (1, 0)


def test_twenty_concurrent_copies_of_a_report_store_one_event(
    app: Flask, db: Session, trip: Trip
) -> None:
    """A phone that reconnects may send its queue several times at once."""
    headers = {
        **factories.auth_headers(db, trip.driver),
        "Idempotency-Key": "offline-queue-42",
    }
    results: list[tuple[int, str | None]] = []

    def post() -> None:
        response = app.test_client().post(
            f"/api/v1/route-stops/{trip.unload_id}/events",
            json=_unloaded(),
            headers=headers,
        )
        results.append(
            (response.status_code, response.headers.get("Idempotent-Replayed"))
        )

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [(201, "false")] + [(201, "true")] * 19
    assert _counts(db) == (1, 1)


# -- refusals: nothing is written ---------------------------------------------------------------
def test_another_drivers_stop_is_not_found(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    response = _post(client, db, trip.other_driver, trip.stop_id, _collected())
    assert response.status_code == 404
    assert set(response.get_json()) == ENVELOPE_KEYS
    assert response.get_json()["type"] == "route_stop_not_found"
    unknown = _post(client, db, trip.driver, 999_999, _collected())
    assert unknown.status_code == 404
    assert unknown.get_json()["message"].replace("999999", "N") == response.get_json()[
        "message"
    ].replace(str(trip.stop_id), "N")  # the same answer: nothing is revealed
    assert _counts(db) == (0, 0)
    assert _bin(db, trip.bin_id).last_collected_at is None


@pytest.mark.parametrize("who", ["admin", "dlh", "manager", "cashier"])
def test_only_drivers_report_on_stops(
    client: FlaskClient, db: Session, trip: Trip, who: str
) -> None:
    response = _post(client, db, trip.fleet.users[who], trip.stop_id, _collected())
    assert response.status_code == 403
    assert response.get_json()["type"] == "permission_denied"
    assert _counts(db) == (0, 0)


def test_reporting_needs_a_token(client: FlaskClient, trip: Trip) -> None:
    response = client.post(
        f"/api/v1/route-stops/{trip.stop_id}/events",
        json=_collected(),
        headers={"Idempotency-Key": "k"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("stop", "body", "field"),
    [
        ("stop", _unloaded(), "kind"),
        ("unload", _collected(), "kind"),
        ("unload", {"kind": "skipped", "reason": "blocked", "occurred_at": "x"}, None),
        ("stop", {"kind": "skipped", "occurred_at": AT_BIN.isoformat()}, "reason"),
        ("stop", _collected(reason="blocked"), "reason"),
        ("stop", _collected(ticket_no="T-1"), "ticket_no"),
        ("unload", _unloaded(ticket_no=None), "ticket_no"),
        ("unload", _unloaded(net_weight_kg=None), "net_weight_kg"),
        ("unload", _unloaded(net_weight_kg="0"), "net_weight_kg"),
        ("stop", {"kind": "skipped", "reason": "lazy", "occurred_at": "x"}, "reason"),
        ("stop", _collected(note="x" * 501), "note"),
        ("stop", {"kind": "emptied", "occurred_at": AT_BIN.isoformat()}, "kind"),
        ("stop", {"kind": "collected"}, "occurred_at"),
        ("stop", {"kind": "collected", "occurred_at": "2026-11-20T05:20:00"}, None),
        (
            "stop",
            _collected(dt.datetime(2026, 11, 18, 23, 59, tzinfo=WIT)),
            "occurred_at",
        ),
    ],
)
def test_invalid_reports_are_refused_naming_the_field(
    client: FlaskClient,
    db: Session,
    trip: Trip,
    stop: str,
    body: dict[str, Any],
    field: str | None,
) -> None:
    stop_id = trip.stop_id if stop == "stop" else trip.unload_id
    response = _post(client, db, trip.driver, stop_id, body)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert field in errors if field else "occurred_at" in errors
    assert _counts(db) == (0, 0)
    assert _bin(db, trip.bin_id).last_collected_at is None


def test_a_time_in_the_future_is_refused(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    response = _post(client, db, trip.driver, trip.stop_id, _collected(ahead))
    assert response.status_code == 422
    assert "occurred_at" in response.get_json()["errors"]
    assert _counts(db) == (0, 0)
    # A phone clock a little ahead (under 5 minutes) is accepted.
    slightly = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    ok = _post(client, db, trip.driver, trip.stop_id, _collected(slightly), key="k2")
    assert ok.status_code == 201


def test_the_idempotency_key_is_required(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    response = client.post(
        f"/api/v1/route-stops/{trip.stop_id}/events",
        json=_collected(),
        headers=factories.auth_headers(db, trip.driver),
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert _counts(db) == (0, 0)


# -- service ------------------------------------------------------------------------------------
def _actor(user: User) -> Actor:
    return Actor(Role.DRIVER, user_id=user.id, city_id=user.city_id)


def test_the_service_flushes_but_does_not_commit(db: Session, trip: Trip) -> None:
    event, replayed = services.record_stop_event(
        db,
        _actor(trip.driver),
        trip.unload_id,
        kind="unloaded",
        occurred_at=AT_TPA,
        ticket_no="TSP-1",
        net_weight_kg=Decimal("700"),
        idempotency_key="svc-1",
        request_hash="h",
    )
    assert not replayed
    assert event.id is not None and event.tpa_delivery_id is not None
    db.rollback()
    assert _counts(db) == (0, 0)


def test_the_service_refuses_a_naive_time(db: Session, trip: Trip) -> None:
    with pytest.raises(InvalidRoutingValue) as error:
        services.record_stop_event(
            db,
            _actor(trip.driver),
            trip.stop_id,
            kind="collected",
            occurred_at=dt.datetime(2026, 11, 20, 5, 20),
            idempotency_key="svc-2",
            request_hash="h",
        )
    assert error.value.field == "occurred_at"


def test_a_stop_is_read_back_with_its_events_in_order(db: Session, trip: Trip) -> None:
    actor = _actor(trip.driver)
    for n, (kind, at) in enumerate(
        (("collected", AT_BIN + dt.timedelta(minutes=30)), ("skipped", AT_BIN))
    ):
        services.record_stop_event(
            db,
            actor,
            trip.stop_id,
            kind=kind,
            occurred_at=at,
            reason="other" if kind == "skipped" else None,
            idempotency_key=f"order-{n}",
            request_hash=str(n),
        )
    db.commit()
    stop = db.get(RouteStop, trip.stop_id)
    assert stop is not None
    # The skip reached the server later but happened earlier: the collection counts.
    assert [e.kind for e in stop.events] == ["skipped", "collected"]
    assert stop.state == "collected"


# -- documentation -------------------------------------------------------------------------------
def test_openapi_documents_stop_events_as_answered(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    post = paths["/api/v1/route-stops/{stop_id}/events"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RouteStopEventCreate"
    }
    created = post["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RouteStopEvent"
    }
    assert "Idempotent-Replayed" in created["headers"]
    assert {"401", "403", "404", "409", "422"} <= set(post["responses"])
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]

    event = _post(client, db, trip.driver, trip.stop_id, _collected()).get_json()
    assert set(event) == set(schemas["RouteStopEvent"]["properties"])
    assert set(event) - {
        "id",
        "stop",
        "received_at",
        "tpa_delivery",
        "photo_url",
    } <= set(schemas["RouteStopEventCreate"]["properties"]) | {"kind"}
    stop = _my_stops(client, db, trip.driver)[0]
    assert set(stop) == set(schemas["DriverStop"]["properties"])
    assert set(stop["last_event"]) == set(schemas["LastStopEvent"]["properties"])


# -- photos -----------------------------------------------------------------------------------
def _jpeg(width: int = 64, height: int = 48) -> bytes:
    """A real JPEG, as a phone would send after shrinking it."""
    image = Image.new("RGB", (width, height), (30, 120, 60))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def _claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) claims ``width`` x ``height`` pixels."""
    data = bytearray(_jpeg())
    sof = data.index(b"\xff\xc0")  # marker, length (2), precision (1), height, width
    data[sof + 5 : sof + 7] = height.to_bytes(2, "big")
    data[sof + 7 : sof + 9] = width.to_bytes(2, "big")
    return bytes(data)


def test_a_photo_of_8000_pixels_a_side_is_taken(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    body = _collected(photo=base64.b64encode(_claiming(8000, 8000)).decode())
    answer = _post(client, db, trip.driver, trip.stop_id, body, key="p-big")
    assert answer.status_code == 201, answer.get_json()


def _photo_of(client: FlaskClient, db: Session, user: User, url: str) -> Any:
    return client.get(url, headers=factories.auth_headers(db, user))


def test_a_report_carries_a_photo_its_driver_and_the_city_office_can_see(
    client: FlaskClient, db: Session, trip: Trip
) -> None:
    photo = _jpeg()
    body = _collected(photo=base64.b64encode(photo).decode())
    answer = _post(client, db, trip.driver, trip.stop_id, body, key="p-1")
    assert answer.status_code == 201, answer.get_json()
    event = answer.get_json()
    url = event["photo_url"]
    assert url == f"/api/v1/route-stop-events/{event['id']}/photo"

    for user in (trip.driver, trip.fleet.users["dlh"], trip.fleet.users["admin"]):
        got = _photo_of(client, db, user, url)
        assert got.status_code == 200
        assert got.mimetype == "image/jpeg"
        assert got.data == photo
        assert "private" in got.headers["Cache-Control"]
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in got.headers["Content-Security-Policy"]
    for user in (trip.other_driver, trip.fleet.users["dlh_other_city"]):
        refused = _photo_of(client, db, user, url)
        assert refused.status_code == 404
        assert refused.get_json()["type"] == "photo_not_found"
    assert _photo_of(client, db, trip.fleet.users["cashier"], url).status_code == 403
    assert client.get(url).status_code == 401
    # A replay stores nothing more and names the same photo.
    again = _post(client, db, trip.driver, trip.stop_id, body, key="p-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["photo_url"] == url
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(RouteStopPhoto)) == 1
    # A report without a photo has none.
    plain = _post(
        client, db, trip.driver, trip.unload_id, _unloaded(), key="p-2"
    ).get_json()
    assert plain["photo_url"] is None
    missing = _photo_of(
        client, db, trip.driver, f"/api/v1/route-stop-events/{plain['id']}/photo"
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        ("not base64!", "Not valid base64."),
        (base64.b64encode(b"GIF89a....").decode(), "must be a JPEG"),
        # JPEG's first bytes, 600 KB in all: under the 1 MB request limit.
        (
            base64.b64encode(b"\xff\xd8\xff" + bytes(600_000)).decode(),
            "larger than 512 KB",
        ),
        (12, "base64 string"),
        # JPEG's first bytes and nothing a JPEG reader understands after them.
        (base64.b64encode(b"\xff\xd8\xff" + bytes(1000)).decode(), "must be a JPEG"),
        # A real JPEG whose header claims 60000 x 60000 pixels (a few KB of file).
        (base64.b64encode(_claiming(60000, 60000)).decode(), "60000 x 60000 pixels"),
        (base64.b64encode(_claiming(8001, 600)).decode(), "at most 8000 x 8000"),
    ],
)
def test_a_bad_photo_is_refused_and_nothing_is_stored(
    client: FlaskClient, db: Session, trip: Trip, photo: Any, message: str
) -> None:
    answer = _post(
        client, db, trip.driver, trip.stop_id, _collected(photo=photo), key="p-bad"
    )
    body = answer.get_json()
    assert answer.status_code == 422, body
    assert set(body) == ENVELOPE_KEYS
    assert message in " ".join(body["errors"]["photo"])
    assert _counts(db) == (0, 0)
