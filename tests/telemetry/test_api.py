"""HTTP tests of /api/v1/bins, /sensors, /readings and /telemetry/rejected."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from telemetry import services
from telemetry.models import Bin, RejectedMessage, Sensor, SensorReading
from telemetry.mqtt import plain_reading, tts_uplink
from tests import factories
from tests.telemetry.conftest import JSON_DEVICE, TTS_DEVICE, Registry

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

NEW_BIN: dict[str, Any] = {
    "code": "AMB-NEW",
    "name": "TPS Pasar Mardika",
    "kind": "tps",
    "stream": "mixed",
    "capacity_l": 6000,
    "lat": -3.6925,
    "lon": 128.1790,
    "district": "Sirimau",
    "access_windows": [["05:00", "09:00"]],
    "fill_threshold_pct": 75,
}


def _headers(db: Session, registry: Registry, who: str) -> dict[str, str]:
    return factories.auth_headers(db, registry.users[who])


def _count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _store(db: Session, device_id: str, distance_mm: int, at: dt.datetime) -> None:
    topic, payload = plain_reading(device_id, distance_mm=distance_mm, measured_at=at)
    services.ingest_message(db, topic, payload, received_at=at)
    db.commit()


# -- bins --------------------------------------------------------------------------------
def test_dlh_creates_a_bin_in_its_city(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    response = client.post(
        "/api/v1/bins", json=NEW_BIN, headers=_headers(db, registry, "dlh")
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["code"] == "AMB-NEW"
    assert body["city"] == "AMB"
    assert body["status"] == "unknown" and body["fill_pct"] is None
    assert body["access_windows"] == [["05:00", "09:00"]]
    assert body["capacity_l"] == "6000.0"
    assert _count(db, Bin) == 5


@pytest.mark.parametrize(
    ("who", "change", "status", "type_"),
    [
        ("dlh", {"capacity_l": -5}, 422, "validation_error"),
        ("dlh", {"kind": "bucket"}, 422, "validation_error"),
        ("dlh", {"access_windows": [["25:00", "26:00"]]}, 422, "validation_error"),
        ("dlh", {"code": "AMB-001"}, 409, "duplicate_bin"),
        ("dlh", {"city": "MJK"}, 403, "permission_denied"),
        ("admin", {"city": "NOPE"}, 422, "invalid_value"),
        ("manager", {}, 403, "permission_denied"),
    ],
)
def test_bad_bin_creation_gets_the_envelope_and_writes_nothing(
    client: FlaskClient,
    db: Session,
    registry: Registry,
    who: str,
    change: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    response = client.post(
        "/api/v1/bins",
        json={**NEW_BIN, **change},
        headers=_headers(db, registry, who),
    )
    assert response.status_code == status
    body = response.get_json()
    assert body["type"] == type_ and body["code"] == status
    assert set(body) == {"code", "status", "type", "message", "errors"}
    assert _count(db, Bin) == 4


def test_bins_need_a_token(client: FlaskClient, registry: Registry) -> None:
    response = client.get("/api/v1/bins")
    assert response.status_code == 401
    assert response.get_json()["type"] == "authentication_failed"


def test_listing_is_scoped_to_the_city_and_paginated(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    response = client.get(
        "/api/v1/bins?page_size=2", headers=_headers(db, registry, "dlh")
    )
    assert response.status_code == 200
    assert [b["code"] for b in response.get_json()] == ["AMB-001", "AMB-002"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    other = client.get("/api/v1/bins", headers=_headers(db, registry, "dlh_other_city"))
    assert [b["code"] for b in other.get_json()] == ["MJK-001"]
    cashier = client.get("/api/v1/bins", headers=_headers(db, registry, "cashier"))
    assert cashier.status_code == 403


def test_bin_detail_has_latest_state_and_open_alerts(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    for minutes, distance in ((40, 420), (20, 400), (0, 390)):  # ~90 % full
        _store(db, JSON_DEVICE, distance, NOW - dt.timedelta(minutes=minutes))
    response = client.get(
        "/api/v1/bins/amb-003", headers=_headers(db, registry, "manager")
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["fill_pct"] == pytest.approx(91.7, abs=0.1)
    assert body["status"] == "ok"
    assert dt.datetime.fromisoformat(body["last_reading_at"]) == NOW
    assert body["fill_rate_pct_per_day"] is not None
    assert "predicted_full_at" in body
    assert [a["kind"] for a in body["alerts"]] == ["bin_full"]


def test_unknown_or_other_city_bin_is_404(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    headers = _headers(db, registry, "dlh")
    for code in ("NOPE", "MJK-001"):
        response = client.get(f"/api/v1/bins/{code}", headers=headers)
        assert response.status_code == 404
        assert response.get_json()["type"] == "bin_not_found"


def test_patch_changes_a_bin_and_bad_values_change_nothing(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    headers = _headers(db, registry, "dlh")
    ok = client.patch(
        "/api/v1/bins/AMB-001", json={"fill_threshold_pct": 90}, headers=headers
    )
    assert ok.status_code == 200 and ok.get_json()["fill_threshold_pct"] == 90
    bad = client.patch(
        "/api/v1/bins/AMB-001", json={"fill_threshold_pct": 0}, headers=headers
    )
    assert bad.status_code == 422
    assert "fill_threshold_pct" in bad.get_json()["errors"]
    db.expire_all()
    assert registry.bins["AMB-001"].fill_threshold_pct == 90


# -- sensors -----------------------------------------------------------------------------
def test_create_a_modbus_sensor_returns_its_device_key_once(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    body = {
        "device_id": "dyp-amb-001",
        "bin": "AMB-001",
        "format": "modbus",
        "empty_distance_mm": 1500,
        "full_distance_mm": 300,
        "modbus": {"host": "10.0.0.5", "port": 502, "device_id": 1, "address": 256},
    }
    response = client.post(
        "/api/v1/sensors", json=body, headers=_headers(db, registry, "dlh")
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert len(created["device_key"]) >= 40
    assert created["modbus"]["address"] == 256 and created["modbus"]["scale"] == 1.0
    stored = db.scalars(
        sa.select(Sensor).where(Sensor.device_id == "dyp-amb-001")
    ).one()
    assert stored.device_key_hash == services.hash_device_key(created["device_key"])
    shown = client.get(
        "/api/v1/sensors/dyp-amb-001", headers=_headers(db, registry, "dlh")
    ).get_json()
    assert "device_key" not in shown


@pytest.mark.parametrize(
    ("change", "status", "type_"),
    [
        ({"format": "lorawan"}, 422, "validation_error"),
        ({"full_distance_mm": 1600}, 422, "validation_error"),
        ({"format": "chirpstack-v4", "device_id": "not-hex"}, 422, "validation_error"),
        ({"format": "modbus"}, 422, "validation_error"),
        ({"device_id": TTS_DEVICE}, 409, "duplicate_sensor"),
        ({"bin": "MJK-001"}, 404, "bin_not_found"),
    ],
)
def test_bad_sensor_creation_gets_the_envelope_and_writes_nothing(
    client: FlaskClient,
    db: Session,
    registry: Registry,
    change: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    body = {
        "device_id": "new-sensor",
        "bin": "AMB-001",
        "format": "json",
        "empty_distance_mm": 1500,
        "full_distance_mm": 300,
        **change,
    }
    response = client.post(
        "/api/v1/sensors", json=body, headers=_headers(db, registry, "dlh")
    )
    assert response.status_code == status, response.get_json()
    assert response.get_json()["type"] == type_
    assert _count(db, Sensor) == 3


def test_moving_a_sensor_via_patch(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    headers = _headers(db, registry, "dlh")
    response = client.patch(
        f"/api/v1/sensors/{JSON_DEVICE}", json={"bin": "AMB-001"}, headers=headers
    )
    assert response.status_code == 200 and response.get_json()["bin"] == "AMB-001"
    listed = client.get("/api/v1/sensors?bin=AMB-001", headers=headers).get_json()
    assert {s["device_id"] for s in listed} == {TTS_DEVICE, JSON_DEVICE}
    missing = client.patch(
        "/api/v1/sensors/nope", json={"bin": "AMB-001"}, headers=headers
    )
    assert missing.status_code == 404
    assert missing.get_json()["type"] == "sensor_not_found"


# -- readings ----------------------------------------------------------------------------
def test_readings_of_a_bin_with_quality_and_time_window(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    day = NOW.date()
    at = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    if at > NOW - dt.timedelta(hours=2):  # just after midnight: use the day before
        at -= dt.timedelta(days=1)
        day -= dt.timedelta(days=1)
    _store(db, JSON_DEVICE, 900, at + dt.timedelta(minutes=30))
    _store(db, JSON_DEVICE, 0, at + dt.timedelta(minutes=60))  # no echo
    _store(db, JSON_DEVICE, 900, at - dt.timedelta(hours=1))  # the day before
    headers = _headers(db, registry, "dlh")
    response = client.get(
        f"/api/v1/bins/AMB-003/readings?from={day}&to={day}", headers=headers
    )
    assert response.status_code == 200
    items = response.get_json()
    assert [(r["distance_mm"], r["quality_flag"]) for r in items] == [
        (900, "ok"),
        (0, "no_echo"),
    ]
    assert items[1]["quality_status"] == "rejected" and items[1]["fill_pct"] is None
    everything = client.get("/api/v1/bins/AMB-003/readings", headers=headers)
    assert json.loads(everything.headers["X-Pagination"])["total"] == 3
    bad = client.get("/api/v1/bins/AMB-003/readings?from=yesterday", headers=headers)
    assert bad.status_code == 422 and "from" in bad.get_json()["errors"]
    backwards = client.get(
        f"/api/v1/bins/AMB-003/readings?from={day}T10:00:00Z&to={day}T09:00:00Z",
        headers=headers,
    )
    assert backwards.status_code == 422


def test_a_gateway_posts_a_reading_with_its_device_key_once(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    headers = {"X-Device-Key": registry.keys[JSON_DEVICE]}
    body = {"distance_mm": 600, "battery_pct": 80, "measured_at": NOW.isoformat()}
    first = client.post("/api/v1/readings", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["reading"]["fill_pct"] == 75.0
    again = client.post("/api/v1/readings", json=body, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert _count(db, SensorReading) == 1
    db.expire_all()
    assert registry.bins["AMB-003"].fill_pct == 75.0


def test_an_http_copy_of_a_reading_that_came_over_mqtt_names_the_stored_one(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    # The network server delivered the uplink over MQTT; a gateway then posts the
    # same measurement over HTTP: another message id, the same sensor and time.
    topic, payload = tts_uplink(TTS_DEVICE, distance_mm=600, measured_at=NOW)
    services.ingest_message(db, topic, payload, received_at=NOW)
    db.commit()
    stored = db.scalars(sa.select(SensorReading)).one()
    headers = {"X-Device-Key": registry.keys[TTS_DEVICE]}
    body = {"distance_mm": 600, "measured_at": NOW.isoformat()}
    copy = client.post("/api/v1/readings", json=body, headers=headers)
    assert copy.status_code == 200, copy.get_json()
    answer = copy.get_json()
    assert (answer["stored"], answer["duplicate"]) == (False, True)
    assert answer["reading"] is not None and answer["reading"]["id"] == stored.id
    assert _count(db, SensorReading) == 1


def test_http_reading_with_a_bad_key_or_body(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    wrong = client.post(
        "/api/v1/readings", json={"distance_mm": 600}, headers={"X-Device-Key": "x"}
    )
    assert wrong.status_code == 401
    assert wrong.get_json()["type"] == "invalid_device_key"
    assert client.post("/api/v1/readings", json={"distance_mm": 1}).status_code == 401
    headers = {"X-Device-Key": registry.keys[JSON_DEVICE]}
    empty = client.post("/api/v1/readings", json={"battery_pct": 50}, headers=headers)
    assert empty.status_code == 422
    assert empty.get_json()["type"] == "missing_measurement"
    assert _count(db, SensorReading) == 0
    rejected = db.scalars(sa.select(RejectedMessage)).one()
    assert (rejected.source, rejected.device_id) == ("http", JSON_DEVICE)


def test_rejected_list_for_admin_and_dlh(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    services.ingest_message(
        db, "wastebank/sensors/ghost/reading", b'{"distance_mm": 5}', received_at=NOW
    )
    services.ingest_message(
        db, f"wastebank/sensors/{JSON_DEVICE}/reading", b"{bad", received_at=NOW
    )
    db.commit()
    admin = client.get(
        "/api/v1/telemetry/rejected", headers=_headers(db, registry, "admin")
    )
    assert admin.status_code == 200
    assert {r["reason_code"] for r in admin.get_json()} == {
        "unknown_sensor",
        "malformed_payload",
    }
    dlh = client.get(
        "/api/v1/telemetry/rejected", headers=_headers(db, registry, "dlh")
    )
    assert [r["device_id"] for r in dlh.get_json()] == [JSON_DEVICE]
    manager = client.get(
        "/api/v1/telemetry/rejected", headers=_headers(db, registry, "manager")
    )
    assert manager.status_code == 403


# -- bad input: sensors ------------------------------------------------------------------
def _sensor_state(db: Session, device_id: str) -> tuple[str, int, int, str, int, bool]:
    db.expire_all()
    sensor = db.scalars(sa.select(Sensor).where(Sensor.device_id == device_id)).one()
    return (
        sensor.bin.code,
        sensor.empty_distance_mm,
        sensor.full_distance_mm,
        sensor.mounting,
        sensor.report_interval_s,
        sensor.active,
    )


def test_another_citys_dlh_cannot_patch_a_sensor_here(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    before = _sensor_state(db, JSON_DEVICE)
    response = client.patch(
        f"/api/v1/sensors/{JSON_DEVICE}",
        json={"bin": "MJK-001", "empty_distance_mm": 2000, "active": False},
        headers=_headers(db, registry, "dlh_other_city"),
    )
    assert response.status_code == 404
    body = response.get_json()
    assert set(body) == {"code", "status", "type", "message", "errors"}
    assert body["type"] == "sensor_not_found"
    assert _sensor_state(db, JSON_DEVICE) == before


@pytest.mark.parametrize("bin_code", ["MJK-001", "NOPE"])
def test_a_sensor_cannot_be_moved_to_a_bin_out_of_reach(
    client: FlaskClient, db: Session, registry: Registry, bin_code: str
) -> None:
    before = _sensor_state(db, JSON_DEVICE)
    response = client.patch(
        f"/api/v1/sensors/{JSON_DEVICE}",
        json={"report_interval_s": 60, "bin": bin_code},
        headers=_headers(db, registry, "dlh"),
    )
    assert response.status_code == 404
    body = response.get_json()
    assert body["type"] == "bin_not_found"
    assert body["errors"] == {"bin": [body["message"]]}
    assert bin_code in body["message"]
    assert _sensor_state(db, JSON_DEVICE) == before


@pytest.mark.parametrize(
    ("change", "type_"),
    [
        ({"full_distance_mm": 1500}, "invalid_value"),
        ({"full_distance_mm": 1600}, "invalid_value"),
        ({"empty_distance_mm": 300}, "invalid_value"),
        ({"empty_distance_mm": 200, "bin": "AMB-001"}, "invalid_value"),
        ({"empty_distance_mm": 500, "full_distance_mm": 500}, "invalid_value"),
        ({"empty_distance_mm": 400, "full_distance_mm": 900}, "invalid_value"),
        ({"full_distance_mm": -1}, "validation_error"),
    ],
)
def test_a_calibration_with_full_not_below_empty_changes_nothing(
    client: FlaskClient,
    db: Session,
    registry: Registry,
    change: dict[str, Any],
    type_: str,
) -> None:
    before = _sensor_state(db, JSON_DEVICE)
    response = client.patch(
        f"/api/v1/sensors/{JSON_DEVICE}",
        json=change,
        headers=_headers(db, registry, "dlh"),
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"] == type_
    assert set(body["errors"]) == {"full_distance_mm"}
    assert _sensor_state(db, JSON_DEVICE) == before


@pytest.mark.parametrize(
    ("empty_mm", "full_mm"), [(1500, 1500), (1500, 1600), (300, 0 - 1)]
)
def test_creating_a_sensor_with_full_not_below_empty_names_the_field(
    client: FlaskClient, db: Session, registry: Registry, empty_mm: int, full_mm: int
) -> None:
    body = {
        "device_id": "new-sensor",
        "bin": "AMB-001",
        "format": "json",
        "empty_distance_mm": empty_mm,
        "full_distance_mm": full_mm,
    }
    response = client.post(
        "/api/v1/sensors", json=body, headers=_headers(db, registry, "dlh")
    )
    assert response.status_code == 422
    envelope = response.get_json()
    assert envelope["type"] == "validation_error"
    assert set(envelope["errors"]) == {"full_distance_mm"}
    assert _count(db, Sensor) == 3


# -- bad input: readings over HTTP -------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "content_type", "type_"),
    [
        (b"distance_mm=600", "application/x-www-form-urlencoded", "malformed_payload"),
        (b"{distance_mm: 600", "application/json", "malformed_payload"),
        (b"\xff\xfe\x00", "application/octet-stream", "malformed_payload"),
        (b'{"distance_mm": 600}\x00', "application/json", "malformed_payload"),
        (b"", "application/json", "malformed_payload"),
        (b'[{"distance_mm": 600}]', "application/json", "malformed_payload"),
        (b'"distance_mm=600"', "application/json", "malformed_payload"),
        (b"600", "application/json", "malformed_payload"),
        (b"null", "application/json", "malformed_payload"),
        (b'{"distance_mm": -5}', "application/json", "malformed_payload"),
        (b'{"distance_mm": 1e300}', "application/json", "malformed_payload"),
        (b'{"distance_mm": 100001}', "application/json", "malformed_payload"),
        (
            b'{"distance_mm": 1' + b"0" * 5000 + b"}",
            "application/json",
            "malformed_payload",
        ),
        (b'{"distance_mm": "six hundred"}', "application/json", "malformed_payload"),
        (b'{"distance_mm": NaN}', "application/json", "malformed_payload"),
        (b'{"distance_mm": true}', "application/json", "malformed_payload"),
        (
            b'{"distance_mm": 600, "measured_at": "yesterday"}',
            "application/json",
            "malformed_payload",
        ),
        (
            b'{"distance_mm": 600, "measured_at": "2026-02-30T10:00:00Z"}',
            "application/json",
            "malformed_payload",
        ),
        (
            b'{"distance_mm": 600, "measured_at": "2026-11-20T10:00:00"}',
            "application/json",
            "malformed_payload",
        ),
        (
            b'{"distance_mm": 600, "measured_at": 1790000000}',
            "application/json",
            "malformed_payload",
        ),
        (
            b'{"distance_mm": 600, "measured_at": "9999-12-31T23:59:59Z"}',
            "application/json",
            "malformed_payload",
        ),
        (b'{"battery_pct": 50}', "application/json", "missing_measurement"),
    ],
)
def test_a_bad_http_reading_is_rejected_kept_and_stores_nothing(
    client: FlaskClient,
    db: Session,
    registry: Registry,
    data: bytes,
    content_type: str,
    type_: str,
) -> None:
    response = client.post(
        "/api/v1/readings",
        data=data,
        content_type=content_type,
        headers={"X-Device-Key": registry.keys[JSON_DEVICE]},
    )
    assert response.status_code == 422, response.get_data()
    body = response.get_json()
    assert set(body) == {"code", "status", "type", "message", "errors"}
    assert body["type"] == type_
    assert _count(db, SensorReading) == 0
    rejected = db.scalars(sa.select(RejectedMessage)).one()
    assert (rejected.source, rejected.device_id) == ("http", JSON_DEVICE)
    assert rejected.reason_code == type_
    assert "\x00" not in rejected.payload  # PostgreSQL text cannot hold NUL
    db.expire_all()
    assert registry.bins["AMB-003"].last_reading_at is None


def test_a_reading_timed_in_the_future_is_rejected(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    response = client.post(
        "/api/v1/readings",
        json={"distance_mm": 600, "measured_at": later.isoformat()},
        headers={"X-Device-Key": registry.keys[JSON_DEVICE]},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["type"] == "malformed_payload" and "future" in body["message"]
    assert _count(db, SensorReading) == 0
    assert _count(db, RejectedMessage) == 1


def test_a_reading_body_over_the_size_limit_is_413_in_the_envelope(
    client: FlaskClient, db: Session, registry: Registry, app: Any
) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    headers = {"X-Device-Key": registry.keys[JSON_DEVICE]}
    padding = " " * limit
    for data in (
        f'{{"distance_mm": 600, "note": "{padding}"}}',  # over the limit: 413
        padding[: limit - 40] + '{"distance_mm": 600}',  # under it: too big to parse
    ):
        response = client.post(
            "/api/v1/readings",
            data=data,
            content_type="application/json",
            headers=headers,
        )
        body = response.get_json()
        assert body is not None, response.get_data()[:200]
        assert set(body) == {"code", "status", "type", "message", "errors"}
        if len(data) > limit:
            assert response.status_code == 413
            assert body["type"] == "request_entity_too_large"
        else:
            assert response.status_code == 422
            assert body["type"] == "malformed_payload"
    assert _count(db, SensorReading) == 0
    # Only the parse error is kept (its payload cut short); a 413 body is never read.
    rejected = db.scalars(sa.select(RejectedMessage)).one()
    assert len(rejected.payload) <= services.MAX_REJECTED_PAYLOAD
