"""``flask telemetry ...`` commands, run in-process with the CLI runner."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from telemetry import services
from telemetry.cli import BatchStore
from telemetry.models import Bin, RejectedMessage, SensorReading
from telemetry.mqtt import Message, plain_reading
from telemetry.services import ModbusConfig
from tests.telemetry.conftest import (
    JSON_DEVICE,
    Broker,
    ModbusServer,
    Registry,
    wait_until,
)
from tests.telemetry.test_mqtt import running_worker
from wastebank.access import SYSTEM


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _count(db: Session, model: type) -> int:
    db.rollback()
    return db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_mqtt_refuses_a_url_that_is_not_mqtt(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["telemetry", "mqtt", "--url", "http://x"])
    assert result.exit_code == 2
    assert "mqtt://" in result.output


@pytest.mark.integration
def test_modbus_command_polls_stores_and_rejects(
    runner: FlaskCliRunner,
    db: Session,
    registry: Registry,
    modbus_server: ModbusServer,
) -> None:
    for device_id, address in (("dyp-ok", 0x0100), ("dyp-missing", 0x0400)):
        services.create_sensor(
            db,
            SYSTEM,
            device_id=device_id,
            bin="AMB-001",
            format="modbus",
            empty_distance_mm=1500,
            full_distance_mm=300,
            modbus=ModbusConfig("127.0.0.1", modbus_server.port, 1, address),
        )
    db.commit()
    result = runner.invoke(
        args=["telemetry", "modbus", "--interval", "1", "--rounds", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "1 polling round" in result.output
    assert db.scalars(sa.select(SensorReading.distance_mm)).all() == [754]
    rejected = db.scalars(sa.select(RejectedMessage)).one()
    assert (rejected.source, rejected.device_id, rejected.reason_code) == (
        "modbus",
        "dyp-missing",
        "invalid_registers",
    )


@pytest.mark.integration
def test_simulate_publishes_uplinks_the_worker_stores(
    app: Flask,
    runner: FlaskCliRunner,
    db: Session,
    registry: Registry,
    mosquitto: Broker,
) -> None:
    with running_worker(app, mosquitto):
        result = runner.invoke(
            args=["telemetry", "simulate", "--url", mosquitto.url, "--rounds", "1"]
        )
        assert result.exit_code == 0, result.output
        assert "published 3 uplinks" in result.output
        wait_until(lambda: _count(db, SensorReading) == 3)
    formats = set(db.scalars(sa.select(SensorReading.source_format)))
    assert formats == {"ttn-v3", "chirpstack-v4", "json"}
    assert _count(db, RejectedMessage) == 0


def test_a_simulated_sensor_reads_its_bin_empty_after_a_crew_collects_it(
    app: Flask, runner: FlaskCliRunner, db: Session, registry: Registry
) -> None:
    """A driver reports a full bin collected while the simulator runs (as in the demo
    beside ./script/server): the sensor reads it nearly empty from the next round on,
    so the bin does not come back full on the next reading."""
    bin_ = registry.bins["AMB-003"]
    topic, payload = plain_reading(JSON_DEVICE, distance_mm=480, measured_at=_now())
    services.ingest_message(db, topic, payload, received_at=_now())  # 85 %
    db.commit()
    bin_id = bin_.id

    def collect_after_the_first_round() -> None:
        with app.app_context():
            from wastebank.extensions import db as app_db

            wait_until(lambda: _count(app_db.session, SensorReading) >= 4)
            services.record_collection(app_db.session, bin_id, _now())
            app_db.session.commit()

    crew = threading.Thread(target=collect_after_the_first_round)
    crew.start()
    args = ["telemetry", "simulate", "--store", "--interval", "0.5", "--rounds", "8"]
    result = runner.invoke(args=[*args, "--fill-rate", "10"])
    crew.join(10)

    assert result.exit_code == 0, result.output
    db.rollback()
    fills = db.scalars(
        sa.select(SensorReading.fill_pct)
        .where(SensorReading.bin_id == bin_id)
        .order_by(SensorReading.measured_at)
    ).all()
    assert len(fills) == 9
    assert fills[1] is not None and fills[1] > 80  # the first round: still full
    assert fills[-1] is not None and fills[-1] < 10  # the last: emptied
    assert db.get(Bin, bin_id).fill_pct < 10  # type: ignore[union-attr,operator]


def test_simulate_without_sensors_fails(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["telemetry", "simulate", "--url", "mqtt://127.0.0.1:1", "--rounds", "1"]
    )
    assert result.exit_code == 1
    assert "No MQTT sensors" in result.output


def test_simulate_can_store_without_a_broker(
    runner: FlaskCliRunner, db: Session, registry: Registry
) -> None:
    args = ["telemetry", "simulate", "--store", "--interval", "0.01", "--rounds", "2"]
    result = runner.invoke(args=[*args, "--fill-rate", "120"])

    assert result.exit_code == 0, result.output
    assert "Round 2: stored 3 uplinks" in result.output
    assert _count(db, SensorReading) == 6
    formats = set(db.scalars(sa.select(SensorReading.source_format)))
    assert formats == {"ttn-v3", "chirpstack-v4", "json"}
    # Only the demo city's sensors: the registry's are not.
    assert runner.invoke(args=[*args, "--demo-only"]).exit_code == 1
    both = runner.invoke(args=[*args, "--url", "mqtt://127.0.0.1:1"])
    assert both.exit_code == 2 and "either --url or --store" in both.output
    assert runner.invoke(args=["telemetry", "simulate"]).exit_code == 2


def test_refresh_marks_silent_sensors(
    runner: FlaskCliRunner, db: Session, registry: Registry
) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=6)
    services.ingest_message(
        db,
        f"wastebank/sensors/{JSON_DEVICE}/reading",
        b'{"distance_mm": 900}',
        received_at=long_ago,
    )
    db.commit()
    result = runner.invoke(args=["telemetry", "refresh"])
    assert result.exit_code == 0 and "Refreshed 4 bins" in result.output
    db.expire_all()
    status = db.scalar(sa.select(Bin.status).where(Bin.code == "AMB-003"))
    assert status == "unknown"


def test_batch_store_stores_a_failing_batch_one_by_one(
    app: Flask, db: Session, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime.now(dt.UTC)
    poison = b'{"distance_mm": 666}'
    real = services.ingest_messages

    def refuse_poison(
        session: Session, messages: list[services.RawMessage], **options: object
    ) -> list[services.IngestOutcome]:
        # Stands in for a row the database refuses (a constraint the parser allows).
        if any(message.payload == poison for message in messages):
            raise sa.exc.IntegrityError("INSERT", {}, Exception("refused"))
        return real(session, messages, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "ingest_messages", refuse_poison)
    topic = f"wastebank/sensors/{JSON_DEVICE}/reading"
    batch = [
        Message(topic, body, now, mid, 1, 1)
        for mid, body in enumerate(
            [
                json.dumps(
                    {"distance_mm": 700, "measured_at": now.isoformat()}
                ).encode(),
                poison,
                json.dumps(
                    {
                        "distance_mm": 650,
                        "measured_at": (now - dt.timedelta(minutes=1)).isoformat(),
                    }
                ).encode(),
            ]
        )
    ]
    store = BatchStore()
    store(batch)
    assert (store.stored, store.rejected) == (2, 1)
    rejected = db.scalars(sa.select(RejectedMessage)).one()
    assert rejected.reason_code == "storage_error"
    assert _count(db, SensorReading) == 2
