"""The MQTT ingest worker against a real Mosquitto (never a mock)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from telemetry.cli import BatchStore
from telemetry.models import Bin, RejectedMessage, SensorReading
from telemetry.mqtt import (
    IngestWorker,
    chirpstack_uplink,
    parse_broker_url,
    plain_reading,
    publish_all,
    subscription_filters,
    tts_uplink,
)
from tests.telemetry.conftest import (
    CHIRPSTACK_EUI,
    JSON_DEVICE,
    TTS_DEVICE,
    Broker,
    Registry,
    free_port,
    start_mosquitto,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


def _stored_keys(db: Session) -> list[str]:
    db.rollback()  # see what other connections committed
    return list(db.scalars(sa.select(SensorReading.dedup_key)))


def _count(db: Session, model: type = SensorReading) -> int:
    db.rollback()
    return db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _burst(count: int, *, tag: str) -> list[tuple[str, bytes]]:
    """``count`` distinct uplinks spread over the three formats and sensors."""
    now = dt.datetime.now(dt.UTC)
    messages = []
    for i in range(count):
        at = now - dt.timedelta(seconds=i)
        distance = 400 + (i * 7) % 1000
        if i % 3 == 0:
            messages.append(
                tts_uplink(
                    TTS_DEVICE,
                    distance_mm=distance,
                    measured_at=at,
                    message_id=f"{tag}-{i}",
                )
            )
        elif i % 3 == 1:
            messages.append(
                chirpstack_uplink(
                    CHIRPSTACK_EUI,
                    distance_mm=distance,
                    measured_at=at,
                    message_id=f"{tag}-{i}",
                )
            )
        else:
            messages.append(
                plain_reading(JSON_DEVICE, distance_mm=distance, measured_at=at)
            )
    return messages


@contextmanager
def running_worker(
    app: Flask, broker: Broker, **options: Any
) -> Iterator[IngestWorker]:
    """An ingest worker in a thread of this process, with its own app context."""
    stop = threading.Event()
    holder: dict[str, IngestWorker] = {}
    options.setdefault("client_id", f"test-{uuid.uuid4().hex[:8]}")

    def work() -> None:
        with app.app_context():
            store = BatchStore()
            worker = IngestWorker(
                parse_broker_url(broker.url),
                store,
                on_idle=store.refresh_dirty,
                idle_interval_s=0.1,
                **options,
            )
            holder["worker"] = worker
            worker.run(stop)
            store.refresh_dirty()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    wait_until(lambda: "worker" in holder and holder["worker"].subscribed.is_set())
    try:
        yield holder["worker"]
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


def test_subscription_filters_cover_three_formats_and_shared_groups() -> None:
    assert subscription_filters() == [
        "v3/+/devices/+/up",
        "application/+/device/+/event/up",
        "wastebank/sensors/+/reading",
    ]
    assert subscription_filters("ingest")[0] == "$share/ingest/v3/+/devices/+/up"


def test_broker_url_parsing() -> None:
    url = parse_broker_url("mqtts://user:p%40ss@broker.example:8884")
    assert (url.host, url.port, url.tls, url.username, url.password) == (
        "broker.example",
        8884,
        True,
        "user",
        "p@ss",
    )
    assert parse_broker_url("mqtt://localhost").port == 1883
    with pytest.raises(ValueError, match="mqtt://"):
        parse_broker_url("http://localhost")


def test_worker_stores_all_three_formats_and_refreshes_the_bins(
    app: Flask, db: Session, registry: Registry, mosquitto: Broker
) -> None:
    messages = _burst(30, tag=uuid.uuid4().hex)
    with running_worker(app, mosquitto):
        publish_all(mosquitto.address, messages)
        wait_until(lambda: _count(db) == 30)
        # The bin state follows within the refresh interval.
        wait_until(
            lambda: (
                db.scalar(sa.select(Bin.fill_pct).where(Bin.code == "AMB-002"))
                is not None
            )
        )
    formats = set(db.scalars(sa.select(SensorReading.source_format)))
    assert formats == {"ttn-v3", "chirpstack-v4", "json"}


def test_bad_messages_are_rejected_without_blocking_the_ones_behind(
    app: Flask, db: Session, registry: Registry, mosquitto: Broker
) -> None:
    now = dt.datetime.now(dt.UTC)
    good = plain_reading(JSON_DEVICE, distance_mm=700, measured_at=now)
    bad = [
        (f"wastebank/sensors/{JSON_DEVICE}/reading", b"\xff{not json"),
        ("wastebank/sensors/stranger/reading", b'{"distance_mm": 700}'),
        (f"wastebank/sensors/{JSON_DEVICE}/reading", b'{"battery_pct": 10}'),
    ]
    with running_worker(app, mosquitto):
        publish_all(mosquitto.address, [*bad, good])
        wait_until(lambda: _count(db) == 1 and _count(db, RejectedMessage) == 3)
    reasons = set(db.scalars(sa.select(RejectedMessage.reason_code)))
    assert reasons == {"malformed_payload", "unknown_sensor", "missing_measurement"}


def test_redelivered_duplicates_are_stored_once(
    app: Flask, db: Session, registry: Registry, mosquitto: Broker
) -> None:
    messages = _burst(12, tag=uuid.uuid4().hex)
    with running_worker(app, mosquitto) as worker:
        publish_all(mosquitto.address, messages + messages[:6])  # network-server retry
        wait_until(lambda: worker.processed == 18)
    assert _count(db) == 12


def test_shared_group_workers_split_the_load(
    app: Flask, db: Session, registry: Registry, mosquitto: Broker
) -> None:
    messages = _burst(120, tag=uuid.uuid4().hex)
    group = f"g{uuid.uuid4().hex[:6]}"
    with (
        running_worker(app, mosquitto, shared_group=group) as one,
        running_worker(app, mosquitto, shared_group=group) as two,
    ):
        publish_all(mosquitto.address, messages)
        wait_until(lambda: _count(db) == 120)
        wait_until(lambda: one.processed + two.processed == 120)
    assert one.processed > 0 and two.processed > 0


def _start_worker(
    database_url: str, broker: Broker, client_id: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WASTEBANK_DATABASE_URL": database_url,
        "WASTEBANK_SECRET_KEY": "test-worker-secret-of-at-least-32-bytes",
    }
    env.pop("WASTEBANK_SQLALCHEMY_DATABASE_URI", None)
    with log.open("ab") as output:  # the child keeps its own copy of the handle
        return subprocess.Popen(
            [
                FLASK,
                "--app",
                "wsgi",
                "telemetry",
                "mqtt",
                "--url",
                broker.url,
                "--client-id",
                client_id,
                "--batch-size",
                "50",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_sigkill_mid_burst_loses_nothing_and_stores_each_reading_once(
    db: Session,
    registry: Registry,
    mosquitto: Broker,
    database_url: str,
    tmp_path: Path,
) -> None:
    client_id = f"kill-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    tag = uuid.uuid4().hex
    warm_up = _burst(1, tag=f"{tag}-warm")
    burst = _burst(1500, tag=tag)[1:]  # index 0 would repeat the warm-up's time
    worker = _start_worker(database_url, mosquitto, client_id, log)
    try:
        # The warm-up proves the worker subscribed (and its session exists).
        def warmed() -> bool:
            publish_all(mosquitto.address, warm_up)
            return _count(db) == 1

        try:  # a worker process starts slowly on a busy machine (app, OR-Tools)
            wait_until(warmed, timeout_s=90, step_s=0.5)
        except pytest.fail.Exception:
            pytest.fail(
                f"the worker stored no warm-up reading; log:\n{log.read_text()}"
            )
        publisher = threading.Thread(
            target=publish_all, args=(mosquitto.address, burst), daemon=True
        )
        publisher.start()
        wait_until(lambda: _count(db) >= 150, step_s=0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        stored_at_kill = _count(db)
        publisher.join(60)
        assert not publisher.is_alive()
        assert stored_at_kill < len(burst) + 1, "the kill came too late to test"

        # Same client id: the broker still holds the session and the unacked messages.
        worker = _start_worker(database_url, mosquitto, client_id, log)
        wait_until(lambda: _count(db) >= len(burst) + 1, timeout_s=60, step_s=0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    keys = _stored_keys(db)
    assert len(keys) == len(set(keys)) == len(burst) + 1
    expected_ids = {f"as:up:{tag}-{i}" for i in range(1, 1500) if i % 3 == 0}
    assert expected_ids <= {key.removeprefix("ttn-v3:") for key in keys}
    assert "Stopped:" in log.read_text()


def test_worker_reconnects_when_the_broker_comes_back(
    app: Flask, db: Session, registry: Registry, tmp_path: Path
) -> None:
    port = free_port()
    broker = Broker("127.0.0.1", port)
    process = start_mosquitto(tmp_path, port)
    try:
        with running_worker(app, broker) as worker:
            publish_all(broker.address, _burst(3, tag=uuid.uuid4().hex))
            wait_until(lambda: _count(db) == 3)
            stop_process(process)
            wait_until(lambda: not worker.connected.is_set())
            # No persistence: the broker forgets the session, the worker subscribes
            # again on connect.
            process = start_mosquitto(tmp_path, port)
            wait_until(lambda: worker.connected.is_set(), timeout_s=15)
            wait_until(lambda: worker.subscribed.is_set())
            publish_all(broker.address, _burst(3, tag=uuid.uuid4().hex)[1:])
            wait_until(lambda: _count(db) == 5)
    finally:
        stop_process(process)
