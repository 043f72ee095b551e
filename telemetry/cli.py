"""``flask --app wsgi telemetry ...``: the ingest workers, the simulator, maintenance.

The workers are long-running commands, each in its own process inside an app context:

- ``telemetry mqtt --url mqtt://HOST:PORT`` subscribes to The Things Stack v3,
  ChirpStack v4 and the plain JSON topic;
- ``telemetry modbus [--interval SECONDS]`` polls every Modbus sensor;
- ``telemetry simulate --url ...`` publishes realistic uplinks for the demo bins;
- ``telemetry refresh`` recomputes every bin's state (cron it: silent sensors).
"""

from __future__ import annotations

import logging
import random
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import NamedTuple

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from telemetry import demo, services
from telemetry.exceptions import StorageError, TelemetryError
from telemetry.modbus import ModbusPoller, PollResult, run_polling
from telemetry.models import Bin, Sensor
from telemetry.mqtt import (
    DEFAULT_BATCH_SIZE,
    BrokerUrl,
    IngestWorker,
    Message,
    chirpstack_uplink,
    parse_broker_url,
    plain_reading,
    publish_all,
    tts_uplink,
)
from telemetry.readings import parse_message
from wastebank.extensions import db

log = logging.getLogger(__name__)

telemetry_cli = AppGroup("telemetry", help="Sensor ingest workers and the simulator.")


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT, so a worker finishes its batch and exits.

    The previous handlers come back afterwards (the test runner calls commands
    in-process).
    """
    stop = threading.Event()

    def _handler(signum: int, frame: FrameType | None) -> None:
        log.info("Signal %s: stopping after the current batch", signum)
        stop.set()

    previous = {
        signum: signal.signal(signum, _handler)
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _broker(url: str, username: str | None, password: str | None) -> BrokerUrl:
    try:
        broker = parse_broker_url(url)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--url") from None
    if username:
        broker = BrokerUrl(broker.host, broker.port, broker.tls, username, password)
    return broker


def _is_transient(error: SQLAlchemyError) -> bool:
    # Lost connections and locks pass; constraint and data errors are the message's.
    return isinstance(error, DBAPIError) and (
        error.connection_invalidated
        or isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError)
    )


class BatchStore:
    """The MQTT worker's sink: one transaction and one commit per batch.

    Bin states are refreshed by :meth:`refresh_dirty`, at most every few seconds,
    rather than per message: a bin's level then lags its readings by seconds, and
    ingest stays fast when many readings of one bin arrive together.
    """

    def __init__(self) -> None:
        self.dirty_bins: set[int] = set()
        self.history = services.HistoryCache()
        self.stored = 0
        self.duplicates = 0
        self.rejected = 0

    def __call__(self, batch: Sequence[Message]) -> None:
        """Store a batch and commit; raise if nothing could be committed."""
        try:
            outcomes = services.ingest_messages(
                db.session,
                [self._raw(message) for message in batch],
                refresh=False,
                history_cache=self.history,
            )
            db.session.commit()
        except SQLAlchemyError as error:
            db.session.rollback()
            # The cache may hold points of the batch that was rolled back.
            self.history = services.HistoryCache()
            if _is_transient(error):
                raise
            log.warning("Batch failed (%s); storing its messages one by one", error)
            outcomes = [self._store_alone(message) for message in batch]
        for outcome in outcomes:
            self.stored += outcome.stored
            self.duplicates += outcome.duplicate
            self.rejected += outcome.rejected is not None
            if outcome.stored and outcome.bin_id is not None:
                self.dirty_bins.add(outcome.bin_id)

    @staticmethod
    def _raw(message: Message) -> services.RawMessage:
        return services.RawMessage(message.topic, message.payload, message.received_at)

    def _store_alone(self, message: Message) -> services.IngestOutcome:
        """One message in its own transaction, so one bad row cannot block the rest."""
        try:
            (outcome,) = services.ingest_messages(
                db.session, [self._raw(message)], refresh=False
            )
            db.session.commit()
            return outcome
        except SQLAlchemyError as error:
            db.session.rollback()
            if _is_transient(error):
                raise
            log.exception("Message on %s could not be stored", message.topic)
            services.record_rejected(
                db.session,
                source="mqtt",
                error=StorageError(f"the database refused it: {str(error)[:300]}"),
                payload=message.payload,
                received_at=message.received_at,
                topic=message.topic,
            )
            db.session.commit()
            return services.IngestOutcome(rejected="storage_error")

    def refresh_dirty(self) -> None:
        """Refresh the states of bins that got readings since the last call."""
        if not self.dirty_bins:
            return
        ids, self.dirty_bins = self.dirty_bins, set()
        try:
            services.refresh_bins(db.session, ids)
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            self.dirty_bins |= ids
            raise


@telemetry_cli.command("mqtt")
@click.option("--url", required=True, help="Broker, e.g. mqtt://localhost:1883.")
@click.option("--username", envvar="WASTEBANK_MQTT_USERNAME")
@click.option("--password", envvar="WASTEBANK_MQTT_PASSWORD")
@click.option(
    "--shared-group",
    help="Share the subscriptions with other workers ($share/NAME/...).",
)
@click.option(
    "--client-id",
    default="wastebank-ingest",
    show_default=True,
    help="Fixed id of the persistent session; unique per worker.",
)
@click.option(
    "--batch-size",
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    type=click.IntRange(1),
)
@click.option(
    "--refresh-interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds between bin-state refreshes.",
)
def mqtt_worker(
    url: str,
    username: str | None,
    password: str | None,
    shared_group: str | None,
    client_id: str,
    batch_size: int,
    refresh_interval: float,
) -> None:
    """Ingest uplinks from an MQTT broker until SIGTERM or Ctrl-C."""
    broker = _broker(url, username, password)
    store = BatchStore()
    worker = IngestWorker(
        broker,
        store,
        client_id=client_id,
        shared_group=shared_group,
        batch_size=batch_size,
        on_idle=store.refresh_dirty,
        idle_interval_s=refresh_interval,
    )
    click.echo(f"Ingesting from {broker.host}:{broker.port} as {client_id}.")
    with _stop_on_signals() as stop:
        worker.run(stop)
    try:
        store.refresh_dirty()
    except SQLAlchemyError:
        log.exception("Final bin refresh failed")
    click.echo(
        f"Stopped: {store.stored} stored, {store.duplicates} duplicates, "
        f"{store.rejected} rejected."
    )


def _store_poll(result: PollResult) -> None:
    """Store one Modbus round: readings, and answers that were not distances."""
    now = datetime.now(UTC)
    # One batch: one sensor query, one history query, one INSERT, one refresh per bin.
    outcomes = services.record_readings(db.session, result.readings)
    for reading, outcome in zip(result.readings, outcomes, strict=True):
        if isinstance(outcome, TelemetryError):  # the sensor was removed meanwhile
            services.record_rejected(
                db.session,
                source="modbus",
                error=outcome,
                payload=b"",
                received_at=now,
                device_id=reading.device_id,
            )
    for failure in result.failures:
        services.record_rejected(
            db.session,
            source="modbus",
            error=failure.error,
            payload=str(list(failure.registers)).encode(),
            received_at=now,
            device_id=failure.sensor_device_id,
        )
    db.session.commit()
    if result.unreachable:
        log.warning("Unreachable Modbus sensors: %s", ", ".join(result.unreachable))


def _modbus_targets() -> list[services.ModbusTarget]:
    targets = services.modbus_targets(db.session)
    db.session.rollback()  # end the read transaction; the poll may take seconds
    return targets


def _store_poll_safely(result: PollResult) -> None:
    try:
        _store_poll(result)
    except SQLAlchemyError:
        db.session.rollback()
        raise


@telemetry_cli.command("modbus")
@click.option(
    "--interval",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds between polling rounds.",
)
@click.option(
    "--timeout",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.05),
    help="Seconds to wait for each reply.",
)
@click.option("--rounds", type=click.IntRange(1), help="Stop after N rounds.")
def modbus_worker(interval: float, timeout: float, rounds: int | None) -> None:
    """Poll every Modbus sensor over TCP until SIGTERM or Ctrl-C."""
    with _stop_on_signals() as stop:
        done = run_polling(
            _modbus_targets,
            _store_poll_safely,
            interval_s=interval,
            stop=stop,
            poller=ModbusPoller(timeout_s=timeout),
            rounds=rounds,
        )
    click.echo(f"Stopped after {done} polling round(s).")


@telemetry_cli.command("refresh")
def refresh() -> None:
    """Recompute every bin's level, forecast and alerts (e.g. from cron)."""
    count = services.refresh_all_bins(db.session)
    db.session.commit()
    click.echo(f"Refreshed {count} bins.")


# -- simulator -----------------------------------------------------------------------------
class _SimSensor(NamedTuple):
    id: int
    device_id: str
    format: str
    empty_distance_mm: int
    full_distance_mm: int


def _collections(sensors: Sequence[_SimSensor]) -> dict[int, datetime | None]:
    """When each simulated sensor's bin was last reported collected (ends the read)."""
    rows = db.session.execute(
        sa.select(Sensor.id, Bin.last_collected_at)
        .join(Bin, Sensor.bin_id == Bin.id)
        .where(Sensor.id.in_([sensor.id for sensor in sensors]))
    ).all()
    db.session.rollback()
    return {row.id: row.last_collected_at for row in rows}


def _store_uplinks(messages: Sequence[tuple[str, bytes]], now: datetime) -> int:
    """Parse and store simulated uplinks as the MQTT worker would; commits.

    A database error is logged and the round dropped (the next round goes on).
    """
    readings = [
        parse_message(topic, payload, received_at=now) for topic, payload in messages
    ]
    try:
        services.record_readings(db.session, readings)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("Simulated round not stored")
        return 0
    return len(readings)


def _simulated_messages(
    sensors: Sequence[_SimSensor],
    levels: dict[int, float],
    now: datetime,
    step: int,
    rise_pct: tuple[float, float] = (0.2, 2.5),
) -> list[tuple[str, bytes]]:
    """One uplink per LoRaWAN sensor, its bin ``rise_pct`` (low, high) fuller."""
    messages = []
    for sensor in sensors:
        level = levels.get(sensor.id, random.uniform(5, 60))  # noqa: S311 - demo data
        level += random.uniform(*rise_pct)  # noqa: S311
        if level >= 98:  # the truck came
            level = random.uniform(0, 5)  # noqa: S311
        levels[sensor.id] = level
        span_mm = sensor.empty_distance_mm - sensor.full_distance_mm
        distance_mm = round(sensor.empty_distance_mm - span_mm * level / 100)
        distance_mm += random.randint(-15, 15)  # noqa: S311 - echo noise
        if sensor.format == "chirpstack-v4":
            messages.append(
                chirpstack_uplink(
                    sensor.device_id,
                    distance_mm=distance_mm,
                    measured_at=now,
                    f_cnt=step,
                    battery_v=3.4,
                )
            )
        elif sensor.format == "ttn-v3":
            messages.append(
                tts_uplink(
                    sensor.device_id,
                    distance_mm=distance_mm,
                    measured_at=now,
                    f_cnt=step,
                    battery_pct=88,
                )
            )
        elif sensor.format == "json":
            messages.append(
                plain_reading(
                    sensor.device_id, distance_mm=distance_mm, measured_at=now
                )
            )
    return messages


@telemetry_cli.command("simulate")
@click.option("--url", help="Broker, e.g. mqtt://localhost:1883.")
@click.option(
    "--store",
    is_flag=True,
    help="No broker: parse the uplinks and store them through the ingest services.",
)
@click.option(
    "--demo-only", is_flag=True, help="Only the demo city's sensors (telemetry.demo)."
)
@click.option("--username", envvar="WASTEBANK_MQTT_USERNAME")
@click.option("--password", envvar="WASTEBANK_MQTT_PASSWORD")
@click.option(
    "--interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.01),
    help="Seconds between rounds of uplinks.",
)
@click.option(
    "--fill-rate",
    type=click.FloatRange(0, min_open=True),
    help="Mean fill speed, % per day (default: 0.2-2.5 % a round, very fast).",
)
@click.option("--rounds", type=click.IntRange(1), help="Stop after N rounds.")
def simulate(
    url: str | None,
    store: bool,
    demo_only: bool,
    username: str | None,
    password: str | None,
    interval: float,
    fill_rate: float | None,
    rounds: int | None,
) -> None:
    """Publish TTS v3 and ChirpStack v4 uplinks for every MQTT sensor (demo city).

    With ``--store`` no broker is needed: each round's uplinks go through the same
    parser and ingest service as the MQTT worker's, and are committed. A bin a
    driver reports collected reads nearly empty from the next round on.
    """
    if (url is None) == (not store):
        raise click.UsageError("Give either --url or --store.")
    broker = None if url is None else _broker(url, username, password)
    query = (
        sa.select(
            Sensor.id,
            Sensor.device_id,
            Sensor.format,
            Sensor.empty_distance_mm,
            Sensor.full_distance_mm,
            Bin.fill_pct,
        )
        .join(Bin, Sensor.bin_id == Bin.id)
        .where(Sensor.active, Bin.active, Sensor.format != "modbus")
        .order_by(Sensor.device_id)
    )
    if demo_only:
        query = query.where(Bin.code.in_(demo.BIN_CODES))
    rows = db.session.execute(query).all()
    db.session.rollback()
    sensors = [_SimSensor(*row[:5]) for row in rows]
    if not sensors:
        click.echo(
            "No MQTT sensors registered (run `flask demo load` first).", err=True
        )
        sys.exit(1)
    # Go on from each bin's current level, so the first round does not jump.
    levels = {row[0]: float(row[5]) for row in rows if row[5] is not None}
    rise = (0.2, 2.5)
    if fill_rate is not None:
        per_round = fill_rate * interval / 86_400
        rise = (0.5 * per_round, 1.5 * per_round)
    collections = _collections(sensors)
    step = 0
    with _stop_on_signals() as stop:
        while not stop.is_set() and (rounds is None or step < rounds):
            step += 1
            now = datetime.now(UTC)
            # A crew emptied a bin (a driver reported it collected): its sensor
            # reads it nearly empty from now on, as a real one would.
            latest = _collections(sensors)
            for sensor_id, at in latest.items():
                if at is not None and at != collections.get(sensor_id):
                    levels[sensor_id] = random.uniform(0, 3)  # noqa: S311 - demo data
            collections = latest
            messages = _simulated_messages(sensors, levels, now, step, rise)
            if broker is not None:
                published = publish_all(broker, messages)
                click.echo(f"Round {step}: published {published} uplinks.")
            else:
                click.echo(
                    f"Round {step}: stored {_store_uplinks(messages, now)} uplinks."
                )
            if rounds is not None and step >= rounds:
                break
            stop.wait(interval)
