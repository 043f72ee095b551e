"""Registry and ingest services on a real database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from telemetry import demo, services
from telemetry.exceptions import (
    AccessDenied,
    BinNotFound,
    DuplicateBin,
    DuplicateSensor,
    InvalidTelemetryValue,
    UnknownSensor,
)
from telemetry.models import Alert, Bin, RejectedMessage, Sensor, SensorReading
from telemetry.mqtt import chirpstack_uplink, plain_reading, tts_uplink
from telemetry.readings import parse_message
from tests import factories
from tests.telemetry.conftest import (
    CHIRPSTACK_EUI,
    JSON_DEVICE,
    TTS_DEVICE,
    Registry,
    make_bin,
)
from wastebank.access import SYSTEM, Actor, Role

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _count(db: Session, model: type) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _ingest_json(
    db: Session, distance_mm: int, at: dt.datetime, **kwargs: object
) -> services.IngestOutcome:
    topic, payload = plain_reading(JSON_DEVICE, distance_mm=distance_mm, measured_at=at)
    return services.ingest_message(db, topic, payload, received_at=at, **kwargs)  # type: ignore[arg-type]


# -- ingest ------------------------------------------------------------------------------
def test_a_redelivered_uplink_is_stored_once(db: Session, registry: Registry) -> None:
    topic, payload = tts_uplink(
        TTS_DEVICE, distance_mm=600, measured_at=NOW - dt.timedelta(minutes=1)
    )
    first = services.ingest_message(db, topic, payload, received_at=NOW)
    again = services.ingest_message(
        db, topic, payload, received_at=NOW + dt.timedelta(seconds=5)
    )
    db.commit()
    assert first.stored and not first.duplicate
    assert again.duplicate and not again.stored
    assert again.reading_id is None and first.reading_id is not None
    row = db.scalars(sa.select(SensorReading)).one()
    assert row.distance_mm == 600
    assert row.fill_pct == 75.0  # (1500 - 600) / (1500 - 300)
    assert row.quality_flag == "ok"
    assert row.bin_id == registry.bins["AMB-001"].id


def test_same_sensor_and_time_under_another_message_id_is_a_duplicate(
    db: Session, registry: Registry
) -> None:
    at = NOW - dt.timedelta(minutes=3)
    for message_id in ("one", "two"):
        topic, payload = chirpstack_uplink(
            CHIRPSTACK_EUI, distance_mm=900, measured_at=at, message_id=message_id
        )
        services.ingest_message(db, topic, payload, received_at=NOW)
    db.commit()
    assert _count(db, SensorReading) == 1


def test_chirpstack_device_is_found_by_its_upper_case_dev_eui(
    db: Session, registry: Registry
) -> None:
    topic, payload = chirpstack_uplink(
        CHIRPSTACK_EUI.lower(), distance_mm=1200, measured_at=NOW
    )
    outcome = services.ingest_message(db, topic, payload, received_at=NOW)
    assert outcome.stored
    assert outcome.bin_id == registry.bins["AMB-002"].id


def test_the_recorded_fixtures_are_stored(
    db: Session, registry: Registry, data_dir: Path
) -> None:
    # The TTS fixture's device is registered on the fly; its measured_at is fixed.
    services.create_sensor(
        db,
        SYSTEM,
        device_id="eui-24e124713b123456",
        bin="AMB-003",
        format="ttn-v3",
        empty_distance_mm=2500,
        full_distance_mm=300,
    )
    payload = (data_dir / "tts_v3_em310_udl.json").read_bytes()
    received = dt.datetime(2026, 11, 20, 1, 34, tzinfo=dt.UTC)
    outcome = services.ingest_message(
        db,
        "v3/smartwaste-bandung@ttn/devices/eui-24e124713b123456/up",
        payload,
        received_at=received,
    )
    assert outcome.stored
    row = db.get(SensorReading, outcome.reading_id)
    assert row is not None
    # The EM310 on a lid reports tilt: lid open, the distance is not the level.
    assert (row.quality_flag, row.quality_status, row.fill_pct) == (
        "lid_open",
        "rejected",
        None,
    )


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("wastebank/sensors/nobody/reading", b'{"distance_mm": 500}', "unknown_sensor"),
        (f"wastebank/sensors/{JSON_DEVICE}/reading", b"{not json", "malformed_payload"),
        (
            f"wastebank/sensors/{JSON_DEVICE}/reading",
            b'{"battery_pct": 80}',
            "missing_measurement",
        ),
        ("somewhere/else", b"{}", "unknown_topic"),
    ],
)
def test_bad_messages_are_kept_with_their_reason_and_store_no_reading(
    db: Session, registry: Registry, topic: str, payload: bytes, reason: str
) -> None:
    outcome = services.ingest_message(db, topic, payload, received_at=NOW)
    db.commit()
    assert outcome.rejected == reason
    rejected = db.scalars(sa.select(RejectedMessage)).one()
    assert (rejected.reason_code, rejected.source, rejected.topic) == (
        reason,
        "mqtt",
        topic,
    )
    assert rejected.payload == payload.decode()
    assert _count(db, SensorReading) == 0


def test_record_reading_raises_for_an_unknown_device(
    db: Session, registry: Registry
) -> None:
    topic, payload = plain_reading("ghost", distance_mm=500, measured_at=NOW)
    reading = parse_message(topic, payload, received_at=NOW)
    with pytest.raises(UnknownSensor):
        services.record_reading(db, reading)


# -- bin state ---------------------------------------------------------------------------
def test_filling_readings_give_level_rate_forecast_and_a_full_alert(
    db: Session, registry: Registry
) -> None:
    start = NOW - dt.timedelta(days=3)
    # 10 % a day over three days, then 85 % now: above the 80 % threshold.
    for hours in range(0, 72, 6):
        fill = 55 + hours * 10 / 24
        distance = round(1500 - 1200 * fill / 100)
        _ingest_json(db, distance, start + dt.timedelta(hours=hours), refresh=False)
    _ingest_json(db, 480, NOW)  # 85 %
    db.commit()
    bin_ = db.scalars(sa.select(Bin).where(Bin.code == "AMB-003")).one()
    assert bin_.fill_pct is not None and bin_.fill_pct >= 80
    assert bin_.fill_rate_pct_per_day is not None and bin_.fill_rate_pct_per_day > 0
    assert bin_.predicted_full_at is not None
    assert bin_.last_reading_at == NOW
    assert bin_.status == "ok"
    assert [alert.kind for alert in bin_.open_alerts] == ["bin_full"]


def test_emptying_closes_the_full_alert_and_sets_last_emptied_at(
    db: Session, registry: Registry
) -> None:
    start = NOW - dt.timedelta(hours=2)
    for i, distance in enumerate((420, 410, 400, 1450, 1440)):  # 90 % ... then ~5 %
        at = start + dt.timedelta(minutes=30 * i)
        _ingest_json(db, distance, at, refresh=i == 2)
        if i == 2:
            db.commit()
            assert [a.kind for a in registry.bins["AMB-003"].open_alerts] == [
                "bin_full"
            ]
    services.refresh_bin(db, registry.bins["AMB-003"])
    db.commit()
    bin_ = registry.bins["AMB-003"]
    assert bin_.fill_pct is not None and bin_.fill_pct < 10
    assert bin_.last_emptied_at == start + dt.timedelta(minutes=90)
    assert bin_.open_alerts == []
    closed = db.scalars(sa.select(Alert)).one()
    assert closed.kind == "bin_full" and closed.closed_at is not None


def _full_bin(db: Session, registry: Registry) -> Bin:
    """AMB-003 at 85 % (over its 80 % threshold) from readings up to an hour ago."""
    for minutes in (120, 90, 60):
        _ingest_json(db, 480, NOW - dt.timedelta(minutes=minutes), refresh=False)
    services.refresh_bin(db, registry.bins["AMB-003"], now=NOW)
    db.commit()
    bin_ = registry.bins["AMB-003"]
    assert bin_.fill_pct is not None and bin_.fill_pct >= 80
    assert [a.kind for a in bin_.open_alerts] == ["bin_full"]
    return bin_


def test_a_collection_newer_than_the_readings_empties_the_bin_until_one_comes(
    db: Session, registry: Registry
) -> None:
    bin_ = _full_bin(db, registry)
    collected_at = NOW - dt.timedelta(minutes=30)

    services.record_collection(db, bin_.id, collected_at, now=NOW)
    db.commit()

    assert bin_.fill_pct == 0
    assert bin_.last_collected_at == collected_at
    assert bin_.last_emptied_at == collected_at
    assert bin_.open_alerts == []
    closed = db.scalars(sa.select(Alert)).one()
    assert closed.kind == "bin_full" and closed.closed_at == NOW
    # The batch refresh keeps it empty while no reading is newer.
    services.refresh_all_bins(db, now=NOW + dt.timedelta(minutes=1))
    db.commit()
    assert bin_.fill_pct == 0
    assert bin_.open_alerts == []


def test_readings_newer_than_a_collection_rule_again(
    db: Session, registry: Registry
) -> None:
    bin_ = _full_bin(db, registry)
    services.record_collection(db, bin_.id, NOW - dt.timedelta(minutes=30), now=NOW)
    db.commit()
    assert bin_.fill_pct == 0

    # The sensor still reads 85 %: the readings win over the reported collection.
    for minutes in (20, 10):
        _ingest_json(db, 480, NOW - dt.timedelta(minutes=minutes))
    db.commit()

    assert bin_.fill_pct is not None and bin_.fill_pct >= 80
    assert bin_.last_reading_at == NOW - dt.timedelta(minutes=10)
    assert [a.kind for a in bin_.open_alerts] == ["bin_full"]


def test_the_first_reading_after_a_collection_is_the_level(
    db: Session, registry: Registry
) -> None:
    """A low reading after the crew's report counts at once: the full readings from
    before the collection no longer outvote it (the bin showed full again)."""
    bin_ = _full_bin(db, registry)
    rate = bin_.fill_rate_pct_per_day
    collected_at = NOW - dt.timedelta(minutes=30)
    services.record_collection(db, bin_.id, collected_at, now=NOW)
    db.commit()

    _ingest_json(db, 1450, NOW - dt.timedelta(minutes=10))  # about 4 %
    db.commit()

    assert bin_.fill_pct is not None and bin_.fill_pct < 10
    assert bin_.last_reading_at == NOW - dt.timedelta(minutes=10)
    assert bin_.last_emptied_at == collected_at
    assert bin_.fill_rate_pct_per_day == rate
    assert bin_.open_alerts == []


def test_a_collection_older_than_the_newest_reading_changes_no_level(
    db: Session, registry: Registry
) -> None:
    bin_ = _full_bin(db, registry)
    fill_pct = bin_.fill_pct
    services.record_collection(db, bin_.id, NOW - dt.timedelta(hours=3), now=NOW)
    db.commit()
    assert bin_.fill_pct == fill_pct
    assert bin_.last_collected_at == NOW - dt.timedelta(hours=3)
    assert [a.kind for a in bin_.open_alerts] == ["bin_full"]
    # An even older report does not move the recorded collection back.
    services.record_collection(db, bin_.id, NOW - dt.timedelta(hours=5), now=NOW)
    assert bin_.last_collected_at == NOW - dt.timedelta(hours=3)


def test_a_collection_needs_a_known_bin_and_an_aware_time(
    db: Session, registry: Registry
) -> None:
    with pytest.raises(InvalidTelemetryValue):
        services.record_collection(
            db, registry.bins["AMB-003"].id, NOW.replace(tzinfo=None)
        )
    with pytest.raises(BinNotFound):
        services.record_collection(db, 999_999, NOW)


def test_a_hot_reading_marks_the_bin_burning(db: Session, registry: Registry) -> None:
    topic = f"wastebank/sensors/{JSON_DEVICE}/reading"
    payload = b'{"distance_mm": 900, "temperature_c": 75.0}'
    services.ingest_message(db, topic, payload, received_at=NOW)
    db.commit()
    bin_ = registry.bins["AMB-003"]
    assert bin_.status == "burning"
    assert "fire" in [alert.kind for alert in bin_.open_alerts]


def test_a_silent_sensor_raises_an_alert_on_refresh(
    db: Session, registry: Registry
) -> None:
    _ingest_json(db, 900, NOW - dt.timedelta(minutes=1))
    db.commit()
    assert registry.bins["AMB-003"].status == "ok"
    services.refresh_all_bins(db, now=NOW + dt.timedelta(hours=5))
    db.commit()
    assert registry.bins["AMB-003"].status == "unknown"
    assert [a.kind for a in registry.bins["AMB-003"].open_alerts] == ["sensor_silent"]


def test_only_accepted_readings_move_the_level(db: Session, registry: Registry) -> None:
    _ingest_json(db, 900, NOW - dt.timedelta(hours=2))  # 50 %
    topic = f"wastebank/sensors/{JSON_DEVICE}/reading"
    payload = b'{"distance_mm": 1450, "tilt": true}'  # lid open: not the level
    services.ingest_message(db, topic, payload, received_at=NOW)
    db.commit()
    assert registry.bins["AMB-003"].fill_pct == 50.0
    flags = db.scalars(
        sa.select(SensorReading.quality_flag).order_by(SensorReading.measured_at)
    ).all()
    assert flags == ["ok", "lid_open"]


# -- registry ----------------------------------------------------------------------------
def test_moving_a_sensor_keeps_its_history_with_the_old_bin(
    db: Session, registry: Registry
) -> None:
    _ingest_json(db, 900, NOW - dt.timedelta(hours=1))
    services.update_sensor(db, SYSTEM, JSON_DEVICE, {"bin": "AMB-001"})
    _ingest_json(db, 600, NOW)
    db.commit()
    by_bin = dict(
        db.execute(sa.select(SensorReading.bin_id, SensorReading.distance_mm)).all()
    )
    assert by_bin == {
        registry.bins["AMB-003"].id: 900,
        registry.bins["AMB-001"].id: 600,
    }


def test_duplicate_codes_and_device_ids_are_refused(
    db: Session, registry: Registry
) -> None:
    with pytest.raises(DuplicateBin):
        make_bin(db, "amb-001")
    with pytest.raises(DuplicateSensor):
        services.create_sensor(
            db,
            SYSTEM,
            device_id=CHIRPSTACK_EUI.lower(),
            bin="AMB-001",
            format="chirpstack-v4",
            empty_distance_mm=1000,
            full_distance_mm=200,
        )


def test_bad_geometry_and_modbus_without_settings_are_refused(
    db: Session, registry: Registry
) -> None:
    base = {
        "device_id": "new-1",
        "bin": "AMB-001",
        "format": "json",
        "empty_distance_mm": 500,
        "full_distance_mm": 500,
    }
    with pytest.raises(InvalidTelemetryValue):
        services.create_sensor(db, SYSTEM, **base)  # type: ignore[arg-type]
    with pytest.raises(InvalidTelemetryValue):
        services.create_sensor(
            db,
            SYSTEM,
            **{**base, "format": "modbus", "full_distance_mm": 200},  # type: ignore[arg-type]
        )


def test_dlh_manages_bins_of_its_own_city_only(db: Session, registry: Registry) -> None:
    city_id = registry.bins["AMB-001"].city_id
    dlh = Actor(role=Role.DLH, city_id=city_id)
    created = services.create_bin(
        db,
        dlh,
        code="AMB-NEW",
        name="TPS Baru",
        kind="bin",
        stream="organic",
        capacity_l=240,
        lat=-3.7,
        lon=128.17,
    )
    assert created.city_id == city_id  # its own city by default
    with pytest.raises(AccessDenied):
        services.create_bin(
            db,
            dlh,
            code="MJK-2",
            name="x",
            kind="bin",
            stream="mixed",
            capacity_l=240,
            lat=0,
            lon=0,
            city="MJK",
        )
    with pytest.raises(BinNotFound):
        services.get_bin(db, dlh, "MJK-001")


def test_read_only_and_no_access_roles(db: Session, registry: Registry) -> None:
    city_id = registry.bins["AMB-001"].city_id
    manager = Actor(role=Role.MANAGER, bank_id=1, city_id=city_id)
    items, total = services.list_bins(db, manager)
    assert total == 3 and {b.code for b in items} == {"AMB-001", "AMB-002", "AMB-003"}
    with pytest.raises(AccessDenied):
        services.update_bin(db, manager, "AMB-001", {"name": "x"})
    with pytest.raises(AccessDenied):
        services.list_bins(db, replace(manager, role=Role.CASHIER))
    with pytest.raises(AccessDenied):
        services.list_bins(db, Actor(role=Role.DRIVER, city_id=city_id))


def test_readings_list_by_time_window(db: Session, registry: Registry) -> None:
    for hours in (30, 20, 10):
        _ingest_json(db, 900, NOW - dt.timedelta(hours=hours), refresh=False)
    db.commit()
    items, total = services.list_readings(
        db,
        SYSTEM,
        "AMB-003",
        from_at=NOW - dt.timedelta(hours=25),
        to_at=NOW - dt.timedelta(hours=10),
    )
    assert total == 1
    assert items[0].measured_at == NOW - dt.timedelta(hours=20)


def test_demo_loads_ambon_bins_with_both_formats_and_history(db: Session) -> None:
    factories.make_city(db, code="AMB", name="Kota Ambon")
    demo.load(db)
    demo.load(db)  # a second run adds nothing
    db.commit()
    assert _count(db, Bin) == 20
    assert set(db.scalars(sa.select(Sensor.format))) == {"ttn-v3", "chirpstack-v4"}
    assert _count(db, SensorReading) >= 20 * 30
    assert _count(db, RejectedMessage) == 0
    levels = db.scalars(sa.select(Bin.fill_pct)).all()
    assert all(level is not None for level in levels)
    districts = set(db.scalars(sa.select(Bin.district)))
    assert {"Sirimau", "Nusaniwe", "Teluk Ambon Baguala"} <= districts
