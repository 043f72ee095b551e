"""Telemetry services: the bin and sensor registry, and the one ingest pipeline.

Every service takes the SQLAlchemy session first; it flushes but never commits (the
adapter commits: the API view, the CLI command, the MQTT or Modbus worker).  Scoped
services take an :class:`~wastebank.access.Actor` second.

Ingest: :func:`ingest_message` (MQTT) and the Modbus and HTTP adapters turn input into a
:class:`~telemetry.readings.Reading` with the pure parsers, then :func:`record_reading`
stores it idempotently with its quality flag, and :func:`refresh_bin` derives the bin's
level, rate, forecast, status and alerts from its accepted readings with
:mod:`telemetry.fill`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.attributes import flag_modified

from telemetry.exceptions import (
    AccessDenied,
    AlertNotFound,
    BinNotFound,
    DuplicateBin,
    DuplicateSensor,
    InvalidDeviceKey,
    InvalidTelemetryValue,
    SensorNotFound,
    TelemetryError,
    UnknownSensor,
)
from telemetry.fill import (
    Alert as AlertVerdict,
)
from telemetry.fill import (
    AlertKind,
    FillPoint,
    Mounting,
    QualityFlag,
    SensorGeometry,
    assess_bin,
    classify,
    evaluate_alerts,
)
from telemetry.models import Alert, Bin, RejectedMessage, Sensor, SensorReading, utcnow
from telemetry.readings import Reading, SourceFormat, parse_message
from wastebank.access import Action, Actor, Role, reaches_city
from wastebank.extensions import SessionLike, UTCDateTime, insert_ignoring_conflicts

log = logging.getLogger(__name__)

#: How many earlier points of a sensor :func:`telemetry.fill.classify` looks at.
PREVIOUS_POINTS: Final = 5
#: How far back spike detection looks for a sensor's previous points.
HISTORY_WINDOW: Final = dt.timedelta(days=3)
#: History a bin's refresh reads: enough for a fill cycle of a slow bin; Theil-Sen in
#: the core looks at the latest 200 accepted points of the cycle anyway.
REFRESH_HISTORY: Final = 400
#: Readings per sensor the alert rules look at (runs of tilt, faults, blind zone).
ALERT_HISTORY: Final = 20
#: Rejected payloads are kept for people to read, not replayed: 8 KiB is plenty.
MAX_REJECTED_PAYLOAD: Final = 8 * 1024

# FIWARE WasteContainer ``status`` from our alert kinds, most serious first (§6).
_STATUS_BY_ALERT: Final = (
    (AlertKind.FIRE, "burning"),
    (AlertKind.TILTED, "dropped"),
    (AlertKind.MOVED, "moved"),
    (AlertKind.LID_OPEN, "lidOpen"),
    (AlertKind.SENSOR_SILENT, "unknown"),
)

#: Alerts about how full a bin is: a reported collection closes them until a reading
#: newer than the collection raises them again.
_FULLNESS_ALERTS: Final = frozenset({AlertKind.BIN_FULL, AlertKind.OVERFLOW})

# Only the columns we need: telemetry does not import wastebank's models.
_cities = sa.table("cities", sa.column("id", sa.Integer), sa.column("code", sa.String))
# ... and of its audit log (telemetry does not import wastebank's services).
_audit_entries = sa.table(
    "audit_entries",
    sa.column("at", UTCDateTime),
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)
#: The audit action of an acknowledged alert.
ALERT_ACKNOWLEDGE_AUDIT_ACTION: Final = "alert.acknowledge"


# -- permissions ---------------------------------------------------------------------------
def _require(actor: Actor, action: Action) -> None:
    if not actor.can(action):
        raise AccessDenied(f"Your role ({actor.role}) may not do this ({action}).")


def visible_bin_filter(actor: Actor) -> sa.ColumnElement[bool]:
    """SQL condition on :class:`Bin` equivalent to :func:`wastebank.access.reaches_city`."""
    if actor.role is Role.ADMIN:
        return sa.true()
    if actor.city_id is not None:
        return Bin.city_id == actor.city_id
    return sa.false()


def _city_id(session: SessionLike, code: str) -> int:
    city_id = session.scalar(
        sa.select(_cities.c.id).where(_cities.c.code == code.strip().upper())
    )
    if city_id is None:
        raise InvalidTelemetryValue(f"No city with code {code}.", field="city")
    return int(city_id)


# -- bins ----------------------------------------------------------------------------------
def normalise_code(code: str) -> str:
    """Bin codes are compared upper-case and without surrounding spaces."""
    return code.strip().upper()


def create_bin(
    session: SessionLike,
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: str,
    stream: str,
    capacity_l: Decimal | float | int,
    lat: float,
    lon: float,
    city: str | None = None,
    district: str | None = None,
    address: str | None = None,
    service_time_s: int | None = None,
    access_windows: Sequence[Sequence[str]] = (),
    fill_threshold_pct: float = 80.0,
) -> Bin:
    """Register a collection point.

    :param code: unique code, e.g. ``AMB-SRM-001``.
    :param capacity_l: volume in litres.
    :param lat: latitude, degrees WGS84.
    :param lon: longitude, degrees WGS84.
    :param city: city code; a DLH user's own city when omitted.
    :param service_time_s: time a crew needs at the stop, seconds.
    :param access_windows: ``[["06:00", "10:00"], ...]`` when collection is allowed.
    :param fill_threshold_pct: fill level (0..100 %) at which the bin counts as full.
    :raises AccessDenied: the role may not manage bins, or not in that city.
    :raises DuplicateBin: the code is taken.
    :raises InvalidTelemetryValue: the city does not exist.
    """
    _require(actor, Action.BINS_WRITE)
    code = normalise_code(code)
    city_id = _city_id(session, city) if city else actor.city_id
    if not reaches_city(actor, city_id):
        raise AccessDenied("You may only manage bins of your own city.", field="city")
    if session.scalar(sa.select(Bin.id).where(Bin.code == code)) is not None:
        raise DuplicateBin(f"A bin with code {code} exists already.", field="code")
    bin_ = Bin(
        code=code,
        name=name,
        kind=kind,
        stream=stream,
        capacity_l=Decimal(str(capacity_l)),
        lat=lat,
        lon=lon,
        city_id=city_id,
        district=district,
        address=address,
        service_time_s=service_time_s,
        access_windows=[list(window) for window in access_windows],
        fill_threshold_pct=fill_threshold_pct,
        status="unknown",
    )
    session.add(bin_)
    session.flush()
    return bin_


def get_bin(
    session: SessionLike, actor: Actor, code: str, *, field: str | None = None
) -> Bin:
    """One bin the actor may see.

    :param field: the input field that named the bin, for the error.
    :raises AccessDenied: the role may not read bins.
    :raises BinNotFound: no such bin, or not in the actor's city.
    """
    _require(actor, Action.BINS_READ)
    bin_ = session.scalar(
        sa.select(Bin).where(
            Bin.code == normalise_code(code), visible_bin_filter(actor)
        )
    )
    if bin_ is None:
        raise BinNotFound(f"No bin with code {code}.", field=field)
    return bin_


def list_bins(
    session: SessionLike,
    actor: Actor,
    *,
    city: str | None = None,
    district: str | None = None,
    kind: str | None = None,
    stream: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Bin], int]:
    """The bins the actor may see, by code, one page at a time.

    :returns: the page's bins and the total number matching.
    """
    _require(actor, Action.BINS_READ)
    query = (
        sa.select(Bin)
        .where(visible_bin_filter(actor))
        .options(selectinload(Bin.open_alerts))
    )
    if city:
        query = query.where(Bin.city_id == _city_id(session, city))
    if district:
        query = query.where(Bin.district == district)
    if kind:
        query = query.where(Bin.kind == kind)
    if stream:
        query = query.where(Bin.stream == stream)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Bin.code).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(items), int(total or 0)


_BIN_FIELDS: Final = frozenset(
    {
        "name",
        "kind",
        "stream",
        "capacity_l",
        "lat",
        "lon",
        "district",
        "address",
        "service_time_s",
        "access_windows",
        "fill_threshold_pct",
        "active",
    }
)


def update_bin(
    session: SessionLike, actor: Actor, code: str, changes: Mapping[str, Any]
) -> Bin:
    """Change a bin's details; ``city`` moves it to another city (admin only).

    A new threshold takes effect at once on the bin's state and alerts.

    :raises AccessDenied: the role may not manage bins, or not in that city.
    :raises BinNotFound: no such bin the actor may see.
    """
    _require(actor, Action.BINS_WRITE)
    bin_ = get_bin(session, actor, code)
    for field, value in changes.items():
        if field == "city":
            city_id = _city_id(session, value) if value else None
            if not reaches_city(actor, city_id):
                raise AccessDenied(
                    "You may only manage bins of your own city.", field="city"
                )
            bin_.city_id = city_id
        elif field == "capacity_l":
            bin_.capacity_l = Decimal(str(value))
        elif field == "access_windows":
            bin_.access_windows = [list(window) for window in value]
        elif field in _BIN_FIELDS:
            setattr(bin_, field, value)
        else:
            raise InvalidTelemetryValue(f"Unknown field {field}.", field=field)
    session.flush()
    session.expire(bin_, ["city_code"])
    if "fill_threshold_pct" in changes:
        refresh_bin(session, bin_)
    return bin_


def active_bins_of_city(session: SessionLike, city_id: int) -> list[Bin]:
    """The active bins of a city with their latest state, by code.

    Unscoped: the route planner checks that the actor reaches the city first.
    """
    return list(
        session.scalars(
            sa.select(Bin).where(Bin.city_id == city_id, Bin.active).order_by(Bin.code)
        ).all()
    )


# -- sensors -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModbusConfig:
    """Where and how to read a Modbus sensor's distance register.

    :param host: Modbus TCP server (or gateway) host.
    :param port: its TCP port.
    :param device_id: the unit id behind the server (slave address).
    :param address: 0-based protocol (PDU) address of the first register.
    :param function: 3 (holding registers) or 4 (input registers).
    :param count: registers to read, 1 (uint16) or 2 (float32).
    :param scale: mm per register unit (distance in mm = value x scale).
    :param word_order: ``big`` (high word first) or ``little``.
    """

    host: str
    port: int
    device_id: int
    address: int
    function: int = 3
    count: int = 1
    scale: Decimal = Decimal(1)
    word_order: str = "big"


@dataclass(frozen=True)
class ModbusTarget:
    """A Modbus sensor to poll: its device id and register description."""

    sensor_device_id: str
    config: ModbusConfig


def normalise_device_id(device_id: str, format_: str) -> str:
    """The id readings arrive under: ChirpStack names devices by upper-case DevEUI."""
    device_id = device_id.strip()
    if format_ == SourceFormat.CHIRPSTACK_V4:
        return device_id.upper()
    return device_id


def hash_device_key(raw: str) -> str:
    """SHA-256 hex of a device key: keys are 256-bit random, so no slow hash is needed."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_sensor(
    session: SessionLike,
    actor: Actor,
    *,
    device_id: str,
    bin: str,
    format: str,
    empty_distance_mm: int,
    full_distance_mm: int,
    mounting: str = Mounting.LID,
    report_interval_s: int = 3600,
    modbus: ModbusConfig | None = None,
) -> tuple[Sensor, str]:
    """Register a sensor on a bin.

    :param device_id: the network's name of the device (TTS device id, DevEUI, ...).
    :param bin: the code of the bin it is mounted on.
    :param format: ``ttn-v3``, ``chirpstack-v4``, ``json`` or ``modbus``.
    :param empty_distance_mm: sensor to bin floor with the bin empty, mm.
    :param full_distance_mm: distance counted as 100 %, mm.
    :param mounting: ``lid`` or ``wall``: what the sensor's tilt means.
    :param report_interval_s: expected seconds between readings.
    :param modbus: the register description, required for (and only for) ``modbus``.
    :returns: the sensor and its device key, shown this once (only its hash is kept).
    :raises AccessDenied: the role may not manage sensors, or not of that bin.
    :raises BinNotFound: no such bin the actor may see.
    :raises DuplicateSensor: the device id is taken.
    :raises InvalidTelemetryValue: full is not below empty, or Modbus settings
        missing or given for another format.
    """
    _require(actor, Action.BINS_WRITE)
    bin_ = get_bin(session, actor, bin, field="bin")
    device_id = normalise_device_id(device_id, format)
    _check_geometry(empty_distance_mm, full_distance_mm)
    if (format == SourceFormat.MODBUS) != (modbus is not None):
        raise InvalidTelemetryValue(
            "A modbus sensor needs its modbus settings; other formats take none.",
            field="modbus",
        )
    if session.scalar(sa.select(Sensor.id).where(Sensor.device_id == device_id)):
        raise DuplicateSensor(
            f"A sensor with device id {device_id} exists already.", field="device_id"
        )
    raw_key = secrets.token_urlsafe(32)
    sensor = Sensor(
        device_id=device_id,
        bin=bin_,
        format=format,
        empty_distance_mm=empty_distance_mm,
        full_distance_mm=full_distance_mm,
        mounting=str(mounting),
        report_interval_s=report_interval_s,
        device_key_hash=hash_device_key(raw_key),
    )
    if modbus is not None:
        sensor.modbus_host = modbus.host
        sensor.modbus_port = modbus.port
        sensor.modbus_device_id = modbus.device_id
        sensor.modbus_address = modbus.address
        sensor.modbus_function = modbus.function
        sensor.modbus_count = modbus.count
        sensor.modbus_scale = Decimal(str(modbus.scale))
        sensor.modbus_word_order = modbus.word_order
    session.add(sensor)
    session.flush()
    return sensor, raw_key


def _check_geometry(empty_distance_mm: int, full_distance_mm: int) -> None:
    if not 0 <= full_distance_mm < empty_distance_mm:
        raise InvalidTelemetryValue(
            f"The full distance ({full_distance_mm} mm) must be below the empty "
            f"distance ({empty_distance_mm} mm).",
            field="full_distance_mm",
        )


def get_sensor(session: SessionLike, actor: Actor, device_id: str) -> Sensor:
    """One sensor on a bin the actor may see.

    :raises SensorNotFound: no such sensor, or its bin is not in the actor's city.
    """
    _require(actor, Action.BINS_READ)
    sensor = session.scalar(
        sa.select(Sensor)
        .join(Bin, Sensor.bin_id == Bin.id)
        .where(
            sa.func.upper(Sensor.device_id) == device_id.strip().upper(),
            visible_bin_filter(actor),
        )
    )
    if sensor is None:
        raise SensorNotFound(f"No sensor with device id {device_id}.")
    return sensor


def list_sensors(
    session: SessionLike,
    actor: Actor,
    *,
    bin: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Sensor], int]:
    """Sensors on bins the actor may see, by device id.

    :returns: the page's sensors and the total number matching.
    """
    _require(actor, Action.BINS_READ)
    query = (
        sa.select(Sensor)
        .join(Bin, Sensor.bin_id == Bin.id)
        .where(visible_bin_filter(actor))
    )
    if bin:
        query = query.where(Bin.code == normalise_code(bin))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = session.scalars(
        # Each sensor's bin from the join already made: the listing shows its code.
        query.options(contains_eager(Sensor.bin))
        .order_by(Sensor.device_id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(items), int(total or 0)


def update_sensor(
    session: SessionLike, actor: Actor, device_id: str, changes: Mapping[str, Any]
) -> Sensor:
    """Change a sensor's calibration, or move it to another bin with ``bin``.

    Readings already stored stay with the bin they measured; the next ones go to the
    new bin.  Both bins' states are refreshed.

    :raises SensorNotFound: no such sensor the actor may see.
    :raises BinNotFound: the new bin does not exist or is out of reach.
    :raises InvalidTelemetryValue: the new calibration has full not below empty.
    """
    _require(actor, Action.BINS_WRITE)
    sensor = get_sensor(session, actor, device_id)
    old_bin = sensor.bin
    for field, value in changes.items():
        if field == "bin":
            sensor.bin = get_bin(session, actor, value, field="bin")
        elif field in {
            "empty_distance_mm",
            "full_distance_mm",
            "mounting",
            "report_interval_s",
            "active",
        }:
            setattr(sensor, field, value)
        else:
            raise InvalidTelemetryValue(f"Unknown field {field}.", field=field)
    _check_geometry(sensor.empty_distance_mm, sensor.full_distance_mm)
    session.flush()
    if sensor.bin is not old_bin:
        refresh_bin(session, old_bin)
        refresh_bin(session, sensor.bin)
    return sensor


def sensor_for_device_key(session: SessionLike, raw_key: str) -> Sensor:
    """The active sensor a device key belongs to.

    :raises InvalidDeviceKey: the key is empty or unknown.
    """
    if not raw_key:
        raise InvalidDeviceKey("This endpoint needs a device key.")
    sensor = session.scalar(
        sa.select(Sensor).where(
            Sensor.device_key_hash == hash_device_key(raw_key), Sensor.active
        )
    )
    if sensor is None:
        raise InvalidDeviceKey("The device key is not valid.")
    return sensor


def modbus_targets(session: SessionLike) -> list[ModbusTarget]:
    """Every active Modbus sensor with its register description (for the poller)."""
    # The modbus_config check constraint guarantees these columns are set.
    rows: list[Any] = list(
        session.execute(
            sa.select(
                Sensor.device_id,
                Sensor.modbus_host,
                Sensor.modbus_port,
                Sensor.modbus_device_id,
                Sensor.modbus_address,
                Sensor.modbus_function,
                Sensor.modbus_count,
                Sensor.modbus_scale,
                Sensor.modbus_word_order,
            )
            .where(Sensor.format == SourceFormat.MODBUS, Sensor.active)
            .order_by(Sensor.modbus_host, Sensor.modbus_port, Sensor.device_id)
        )
    )
    targets = [
        ModbusTarget(
            sensor_device_id=device_id,
            config=ModbusConfig(
                host=host,
                port=port,
                device_id=unit,
                address=address,
                function=function,
                count=count,
                scale=scale,
                word_order=word_order,
            ),
        )
        for device_id, host, port, unit, address, function, count, scale, word_order in rows
    ]
    return targets


# -- ingest --------------------------------------------------------------------------------
@dataclass(frozen=True)
class IngestOutcome:
    """What became of one message.

    :param stored: a new reading was stored.
    :param duplicate: the reading was stored before (a redelivered copy).
    :param rejected: the rejection's reason slug, when no reading could be made.
    :param bin_id: the bin the reading belongs to, when there is one.
    :param reading_id: the new reading's id (``None`` for a duplicate or reject, and
        in batches of more than one reading).
    """

    stored: bool = False
    duplicate: bool = False
    rejected: str | None = None
    bin_id: int | None = None
    reading_id: int | None = None


def _histories(
    session: SessionLike, sensor_ids: Iterable[int], until: dt.datetime, depth: int
) -> dict[int, list[FillPoint]]:
    """Each sensor's latest ``depth`` usable points up to ``until``, in one query.

    Only points of the last :data:`HISTORY_WINDOW` are ranked, so the cost does not
    grow with the years of history a sensor collects.
    """
    table = SensorReading.__table__
    ranked = (
        sa.select(
            table.c.sensor_id,
            table.c.measured_at,
            table.c.fill_pct,
            table.c.quality_flag,
            sa.func.row_number()
            .over(
                partition_by=table.c.sensor_id,
                order_by=table.c.measured_at.desc(),
            )
            .label("rank"),
        )
        .where(
            table.c.sensor_id.in_(list(sensor_ids)),
            table.c.measured_at <= until,
            table.c.measured_at > until - HISTORY_WINDOW,
            table.c.fill_pct.is_not(None),
            table.c.quality_flag.in_((QualityFlag.OK, QualityFlag.SPIKE)),
        )
        .subquery()
    )
    rows = session.execute(
        sa.select(
            ranked.c.sensor_id,
            # The subquery forgets the column type: SQLite's naive UTC needs it back.
            sa.type_coerce(ranked.c.measured_at, UTCDateTime),
            ranked.c.fill_pct,
            ranked.c.quality_flag,
        ).where(ranked.c.rank <= depth)
    ).all()
    histories: dict[int, list[FillPoint]] = {}
    for sensor_id, at, fill, flag in rows:
        histories.setdefault(sensor_id, []).append(
            FillPoint(at, fill, QualityFlag(flag))
        )
    return histories


def geometry_of(sensor: Sensor) -> SensorGeometry:
    """The core's view of a sensor's calibration."""
    return SensorGeometry(
        empty_distance_mm=sensor.empty_distance_mm,
        full_distance_mm=sensor.full_distance_mm,
        mounting=Mounting(sensor.mounting),
    )


def _row(
    reading: Reading,
    sensor: Sensor,
    geometry: SensorGeometry,
    history: list[FillPoint],
) -> dict[str, Any]:
    quality = classify(reading, history, geometry)
    if quality.fill_pct is not None:
        # Later readings of the same batch see this one as history.
        history.append(FillPoint(reading.measured_at, quality.fill_pct, quality.flag))
    return {
        "dedup_key": reading.dedup_key[:255],
        "sensor_id": sensor.id,
        "bin_id": sensor.bin_id,
        "source_format": str(reading.source_format),
        "measured_at": reading.measured_at,
        "received_at": reading.received_at,
        "distance_mm": reading.distance_mm,
        "fill_pct": quality.fill_pct,
        "quality_flag": str(quality.flag),
        "quality_status": str(quality.status),
        "battery_pct": reading.battery_pct,
        "battery_v": reading.battery_v,
        "temperature_c": reading.temperature_c,
        "tilt": reading.tilt,
        "fire_alarm": reading.fire_alarm,
        "moved": reading.moved,
        "sensor_fault": reading.sensor_fault,
        "rssi_dbm": reading.rssi_dbm,
        "snr_db": reading.snr_db,
        "f_cnt": reading.f_cnt,
        "f_port": reading.f_port,
        "payload_b64": reading.payload_b64,
    }


class HistoryCache:
    """Recent usable points per sensor, kept by a long-running worker between batches.

    Spike detection needs each sensor's last few points; reading them from the
    database for every batch costs more than the rest of the ingest.  Entries expire
    after ``ttl_s`` seconds so that points stored by other workers of a shared group
    are picked up again.

    :param ttl_s: seconds an entry is trusted after it was read from the database.
    """

    #: Points kept per sensor; classify looks at the last three accepted ones.
    KEEP: Final = 2 * PREVIOUS_POINTS

    def __init__(self, ttl_s: float = 60.0) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[int, tuple[float, list[FillPoint]]] = {}

    def get(self, sensor_id: int) -> list[FillPoint] | None:
        """A copy of the sensor's cached points, or ``None`` if absent or stale."""
        entry = self._entries.get(sensor_id)
        if entry is None or time.monotonic() - entry[0] > self.ttl_s:
            return None
        return list(entry[1])

    def put(
        self, sensor_id: int, points: list[FillPoint], loaded_at: float | None = None
    ) -> None:
        """Keep the latest points; ``loaded_at`` is when they came from the database."""
        latest = sorted(points, key=lambda p: p.measured_at)[-self.KEEP :]
        entry = self._entries.get(sensor_id)
        if loaded_at is None:
            loaded_at = entry[0] if entry is not None else time.monotonic()
        self._entries[sensor_id] = (loaded_at, latest)


def record_readings(
    session: SessionLike,
    readings: Sequence[Reading],
    *,
    sensors: Mapping[str, Sensor] | None = None,
    refresh: bool = True,
    history_cache: HistoryCache | None = None,
) -> list[IngestOutcome | UnknownSensor]:
    """Store readings with their quality flags, each once however often it arrives.

    A copy with the same dedup key, or of the same sensor at the same
    ``measured_at``, is ignored by the INSERT itself (``ON CONFLICT DO NOTHING`` on
    SQLite and PostgreSQL), so concurrent workers and redeliveries never raise.  The
    whole batch costs one sensor query, one history query and one INSERT.

    :param readings: parsed readings, any order.
    :param sensors: sensors by device id, when the caller has them (the HTTP door);
        otherwise looked up.
    :param refresh: refresh the touched bins now; the MQTT worker passes ``False``
        and calls :func:`refresh_bins` every few seconds instead.
    :param history_cache: the worker's cache of recent points per sensor; without
        one, the points are read from the database.
    :returns: per reading, in order, its outcome or the :class:`UnknownSensor` error
        when no active sensor has its device id.
    """
    if sensors is None:
        device_ids = {reading.device_id for reading in readings}
        found = session.scalars(
            sa.select(Sensor).where(Sensor.device_id.in_(device_ids), Sensor.active)
        ).all()
        sensors = {sensor.device_id: sensor for sensor in found}
    by_sensor: dict[str, list[int]] = {}
    for index, reading in enumerate(readings):
        if reading.device_id in sensors:
            by_sensor.setdefault(reading.device_id, []).append(index)
    rows: dict[int, dict[str, Any]] = {}
    histories: dict[int, list[FillPoint]] = {}
    missing: list[int] = []
    for device_id in by_sensor:
        sensor_id = sensors[device_id].id
        cached = history_cache.get(sensor_id) if history_cache else None
        if cached is None:
            missing.append(sensor_id)
        else:
            histories[sensor_id] = cached
    loaded_at = time.monotonic()
    if missing:
        histories.update(
            _histories(
                session,
                missing,
                until=max(reading.measured_at for reading in readings),
                depth=PREVIOUS_POINTS + max(map(len, by_sensor.values())),
            )
        )
    for device_id, indexes in by_sensor.items():
        sensor = sensors[device_id]
        # Oldest first, so each reading is judged against the ones before it.
        indexes.sort(key=lambda i: readings[i].measured_at)
        history = histories.setdefault(sensor.id, [])
        geometry = geometry_of(sensor)
        for index in indexes:
            rows[index] = _row(readings[index], sensor, geometry, history)
        if history_cache is not None:
            fresh = sensor.id in missing
            history_cache.put(sensor.id, history, loaded_at if fresh else None)
    inserted = _insert_rows(session, rows)
    outcomes: list[IngestOutcome | UnknownSensor] = []
    touched: set[int] = set()
    for index, reading in enumerate(readings):
        row = rows.get(index)
        if row is None:
            outcomes.append(
                UnknownSensor(
                    f"no sensor is registered under device id {reading.device_id!r}"
                )
            )
            continue
        stored = index in inserted
        if stored:
            touched.add(row["bin_id"])
        outcomes.append(
            IngestOutcome(
                stored=stored,
                duplicate=not stored,
                bin_id=row["bin_id"],
                reading_id=inserted.get(index),
            )
        )
    if refresh and touched:
        refresh_bins(session, touched)
    return outcomes


def _insert_rows(
    session: SessionLike, rows: Mapping[int, dict[str, Any]]
) -> dict[int, int | None]:
    """Insert the rows that are new; returns {index: new id (None in a batch)}.

    One row: ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` tells exactly whether
    it was new.  A batch: the keys already stored are looked up first and the rest
    go in with a plain ``executemany`` (RETURNING makes PostgreSQL's batch insert
    about three times slower); the ON CONFLICT clause still ignores a copy that a
    concurrent worker stored in between, which is then counted as new here.
    """
    table = SensorReading.__table__
    if not rows:
        return {}
    if len(rows) == 1:
        ((index, row),) = rows.items()
        new_id = session.execute(
            insert_ignoring_conflicts(session, table).returning(table.c.id), [row]
        ).scalar_one_or_none()
        return {} if new_id is None else {index: int(new_id)}
    existing = set(
        session.scalars(
            sa.select(table.c.dedup_key).where(
                table.c.dedup_key.in_([row["dedup_key"] for row in rows.values()])
            )
        )
    )
    fresh: dict[int, int | None] = {}
    seen: set[object] = set()
    for index, row in rows.items():
        # A copy inside the batch: same message id, or same sensor and time.
        keys = (row["dedup_key"], (row["sensor_id"], row["measured_at"]))
        if row["dedup_key"] in existing or not seen.isdisjoint(keys):
            continue
        seen.update(keys)
        fresh[index] = None
    if fresh:
        session.execute(
            insert_ignoring_conflicts(session, table), [rows[index] for index in fresh]
        )
    return fresh


def record_reading(
    session: SessionLike,
    reading: Reading,
    *,
    sensor: Sensor | None = None,
    refresh: bool = True,
) -> IngestOutcome:
    """Store one reading with its quality flag, once however often it arrives.

    See :func:`record_readings`.

    :param reading: the parsed reading.
    :param sensor: the sensor, when the caller has it (the HTTP door).
    :param refresh: refresh the bin's state now.
    :returns: the outcome (``stored`` or ``duplicate``).
    :raises UnknownSensor: no active sensor has the reading's device id.
    """
    sensors = None if sensor is None else {reading.device_id: sensor}
    (outcome,) = record_readings(session, [reading], sensors=sensors, refresh=refresh)
    if isinstance(outcome, UnknownSensor):
        raise outcome
    return outcome


def find_reading_id(
    session: SessionLike, reading: Reading, *, sensor_id: int | None = None
) -> int | None:
    """The id of the stored copy of ``reading``, if any.

    A copy is the same message (dedup key) or, given the sensor, a reading of
    that sensor at the same time that came another way (MQTT, then HTTP).
    """
    same = SensorReading.dedup_key == reading.dedup_key[:255]
    if sensor_id is not None:
        same = sa.or_(
            same,
            sa.and_(
                SensorReading.sensor_id == sensor_id,
                SensorReading.measured_at == reading.measured_at,
            ),
        )
    return session.scalar(
        sa.select(SensorReading.id).where(same).order_by(SensorReading.id).limit(1)
    )


def _storable(text: str) -> str:
    # PostgreSQL text cannot hold NUL: a reject carrying one would fail to be stored
    # (and its request answer 500); keep it readable with the replacement character.
    return text.replace("\x00", "\ufffd")


def record_rejected(
    session: SessionLike,
    *,
    source: str,
    error: TelemetryError,
    payload: bytes,
    received_at: dt.datetime,
    topic: str | None = None,
    device_id: str | None = None,
) -> RejectedMessage:
    """Keep a message no reading could be made of, with the reason.

    :param source: ``mqtt``, ``modbus`` or ``http``.
    :param error: why it was rejected (its ``code`` and ``reason`` are stored).
    :param payload: the raw body; stored as text, cut at 8 KiB.
    :param received_at: timezone-aware time it arrived.
    """
    text = bytes(payload[:MAX_REJECTED_PAYLOAD]).decode("utf-8", errors="replace")
    rejected = RejectedMessage(
        received_at=received_at,
        source=source,
        topic=_storable(topic[:255]) if topic else None,
        device_id=_storable(device_id[:128]) if device_id else None,
        reason_code=error.code[:40],
        reason=_storable(error.reason[:500]),
        payload=_storable(text),
    )
    session.add(rejected)
    return rejected


@dataclass(frozen=True)
class RawMessage:
    """An MQTT message as the ingest pipeline needs it.

    :param topic: the topic it arrived on.
    :param payload: the raw body.
    :param received_at: timezone-aware time the worker received it.
    """

    topic: str
    payload: bytes
    received_at: dt.datetime


def ingest_messages(
    session: SessionLike,
    messages: Sequence[RawMessage],
    *,
    refresh: bool = True,
    history_cache: HistoryCache | None = None,
) -> list[IngestOutcome]:
    """Parse and store MQTT messages, keeping the unusable ones in the rejected list.

    Never raises for bad input: unknown topics, malformed JSON, payloads without a
    distance and unknown devices all end up in :class:`RejectedMessage`.

    :param messages: the messages, in arrival order.
    :param refresh: see :func:`record_readings`.
    :param history_cache: see :func:`record_readings`.
    :returns: one outcome per message, in order.
    """
    outcomes: list[IngestOutcome | None] = [None] * len(messages)
    parsed: list[tuple[int, Reading]] = []
    for index, message in enumerate(messages):
        try:
            reading = parse_message(
                message.topic, message.payload, received_at=message.received_at
            )
        except TelemetryError as error:
            outcomes[index] = _reject(session, message, error)
            continue
        parsed.append((index, reading))
    results = record_readings(
        session,
        [r for _, r in parsed],
        refresh=refresh,
        history_cache=history_cache,
    )
    for (index, _), result in zip(parsed, results, strict=True):
        if isinstance(result, TelemetryError):
            outcomes[index] = _reject(session, messages[index], result)
        else:
            outcomes[index] = result
    session.flush()
    return [outcome or IngestOutcome() for outcome in outcomes]


def _reject(
    session: SessionLike, message: RawMessage, error: TelemetryError
) -> IngestOutcome:
    record_rejected(
        session,
        source="mqtt",
        error=error,
        payload=message.payload,
        received_at=message.received_at,
        topic=message.topic,
        device_id=_device_id_from_topic(message.topic),
    )
    return IngestOutcome(rejected=error.code)


def ingest_message(
    session: SessionLike,
    topic: str,
    payload: bytes,
    *,
    received_at: dt.datetime,
    refresh: bool = True,
) -> IngestOutcome:
    """Parse and store one MQTT message, or keep it in the rejected list.

    :param topic: the MQTT topic.
    :param payload: the raw body.
    :param received_at: timezone-aware time the worker received it.
    :param refresh: see :func:`record_readings`.
    """
    (outcome,) = ingest_messages(
        session, [RawMessage(topic, payload, received_at)], refresh=refresh
    )
    return outcome


def _device_id_from_topic(topic: str) -> str | None:
    # v3/{app}/devices/{id}/up, application/{app}/device/{eui}/event/up,
    # wastebank/sensors/{id}/reading: the id the operator will look for.
    parts = topic.split("/")
    if len(parts) in (5, 6) and parts[0] in ("v3", "application"):
        return parts[3].upper() if parts[0] == "application" else parts[3]
    if len(parts) == 4 and parts[0] == "wastebank":
        return parts[2]
    return None


# -- bin state -----------------------------------------------------------------------------
#: The columns a bin refresh reads (tuples, not ORM objects: a refresh reads hundreds).
_STATE_COLUMNS: Final = tuple(
    SensorReading.__table__.c[name]
    for name in (
        "sensor_id",
        "source_format",
        "measured_at",
        "received_at",
        "dedup_key",
        "distance_mm",
        "fill_pct",
        "quality_flag",
        "battery_pct",
        "battery_v",
        "temperature_c",
        "tilt",
        "fire_alarm",
        "moved",
        "sensor_fault",
    )
)


def _as_reading(row: Any, device_id: str) -> Reading:
    return Reading(
        device_id=device_id,
        source_format=SourceFormat(row.source_format),
        measured_at=row.measured_at,
        received_at=row.received_at,
        dedup_key=row.dedup_key,
        distance_mm=row.distance_mm,
        fill_pct=row.fill_pct if row.distance_mm is None else None,
        battery_pct=row.battery_pct,
        battery_v=row.battery_v,
        temperature_c=row.temperature_c,
        tilt=row.tilt,
        fire_alarm=row.fire_alarm,
        moved=row.moved,
        sensor_fault=row.sensor_fault,
    )


def refresh_bin(
    session: SessionLike, bin_: Bin, *, now: dt.datetime | None = None
) -> None:
    """Derive a bin's level, rate, forecast, status and alerts from its readings.

    Only accepted readings move the level (:func:`telemetry.fill.assess_bin`); the
    alert rules look at the recent readings of each active sensor on the bin.
    Alerts whose condition has cleared are closed, new ones opened.  The same
    computation as :func:`refresh_bins`, for a bin the caller holds already.

    :param bin_: the bin.
    :param now: timezone-aware current time (for the silent-sensor rule).
    """
    _refresh_loaded(session, [bin_], now or utcnow())


def record_collection(
    session: SessionLike,
    bin_id: int,
    at: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> Bin:
    """Record that a crew emptied a bin at ``at``, and refresh its state.

    Until a reading newer than ``at`` arrives, the bin is taken as empty: level 0 %,
    emptied at ``at``, no full or overflow alert (see :func:`refresh_bin`). An older
    collection than the one recorded changes nothing.

    :param bin_id: the bin.
    :param at: timezone-aware time of the collection.
    :param now: timezone-aware current time (for the silent-sensor rule).
    :returns: the bin (flushed).
    :raises BinNotFound: no bin with that id.
    :raises InvalidTelemetryValue: ``at`` is naive.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidTelemetryValue(
            "Give the collection time with its zone.", field="at"
        )
    bin_ = session.get(Bin, bin_id)
    if bin_ is None:
        raise BinNotFound(f"No bin with id {bin_id}.")
    at = at.astimezone(dt.UTC)
    if bin_.last_collected_at is None or at > bin_.last_collected_at:
        bin_.last_collected_at = at
    refresh_bin(session, bin_, now=now)
    return bin_


def refresh_bins(
    session: SessionLike, bin_ids: Iterable[int], *, now: dt.datetime | None = None
) -> int:
    """Refresh the state of several bins (after a batch of readings).

    See :func:`refresh_bin`.  However many bins there are, the batch costs one query
    for the bins, one for their sensors (per 500 bins: SQLAlchemy's selectin
    chunks), one for their recent readings, one for their open alerts, and a flush.

    :returns: the number of bins refreshed.
    """
    ids = sorted(set(bin_ids))
    if not ids:
        return 0
    return _refresh_where(session, Bin.id.in_(ids), now or utcnow())


def refresh_all_bins(session: SessionLike, *, now: dt.datetime | None = None) -> int:
    """Refresh every active bin, so silent sensors raise their alert.

    See :func:`refresh_bins` for the cost.

    :returns: the number of bins refreshed.
    """
    return _refresh_where(session, Bin.active, now or utcnow())


def _refresh_where(
    session: SessionLike, condition: sa.ColumnExpressionArgument[bool], now: dt.datetime
) -> int:
    bins = session.scalars(
        sa.select(Bin).where(condition).options(selectinload(Bin.sensors))
    ).all()
    _refresh_loaded(session, bins, now)
    return len(bins)


def _refresh_loaded(
    session: SessionLike, bins: Sequence[Bin], now: dt.datetime
) -> None:
    # The readings and alerts are read by id, not by the caller's condition: a bin
    # deactivated meanwhile by another transaction must not look like one without
    # readings.
    ids = [bin_.id for bin_ in bins]
    if not ids:
        return
    readings = _recent_readings(session, ids, REFRESH_HISTORY)
    alerts = _open_alerts(session, ids)
    new_alerts: list[dict[str, Any]] = []
    for bin_ in bins:
        new_alerts += _derive_state(
            bin_, readings.get(bin_.id, []), alerts.get(bin_.id, {}), now
        )
    if new_alerts:
        # One executemany; NULL ``since`` rendered rather than omitted, which would
        # split the batch.  The bins' collections are expired below.
        session.execute(
            sa.insert(Alert).execution_options(render_nulls=True), new_alerts
        )
    session.flush()
    for bin_ in bins:
        session.expire(bin_, ["open_alerts", "alerts"])


def _recent_readings(
    session: SessionLike, bin_ids: Sequence[int], depth: int
) -> dict[int, list[Any]]:
    """Each bin's latest ``depth`` readings (the state columns), newest first.

    One query for every bin.  A window over a bin's whole history would rank years of
    readings, so each bin's cut-off time (the ``depth``-th newest reading, or its
    oldest when it has fewer) is found first with two index probes, and only the
    readings since then are ranked.  The cut-offs are materialised: inlined into the
    join, the probes would run once per reading instead of once per bin.
    """
    table = SensorReading.__table__
    bins = Bin.__table__
    nth_newest = (
        sa.select(table.c.measured_at)
        .where(table.c.bin_id == bins.c.id)
        .order_by(table.c.measured_at.desc())
        .offset(depth - 1)
        .limit(1)
        .scalar_subquery()
    )
    oldest = (
        sa.select(sa.func.min(table.c.measured_at))
        .where(table.c.bin_id == bins.c.id)
        .scalar_subquery()
    )
    cutoffs = (
        sa.select(
            bins.c.id.label("bin_id"),
            sa.func.coalesce(nth_newest, oldest).label("cutoff"),
        )
        .where(bins.c.id.in_(bin_ids))
        .cte("refresh_cutoffs")
        .prefix_with("MATERIALIZED")
    )
    ranked = (
        sa.select(
            table.c.bin_id.label("refresh_bin_id"),
            *_STATE_COLUMNS,
            sa.func.row_number()
            .over(
                partition_by=table.c.bin_id,
                # Readings of two sensors at the same instant: newest row first,
                # the order a bin's index gives them.
                order_by=(table.c.measured_at.desc(), table.c.id.desc()),
            )
            .label("rank"),
        )
        .join_from(cutoffs, table, table.c.bin_id == cutoffs.c.bin_id)
        .where(table.c.measured_at >= cutoffs.c.cutoff)
        .subquery()
    )
    columns = [
        # The subquery forgets the column type: SQLite's naive UTC needs it back.
        sa.type_coerce(ranked.c[column.name], column.type).label(column.name)
        for column in _STATE_COLUMNS
    ]
    rows = session.execute(
        sa.select(ranked.c.refresh_bin_id, *columns)
        .where(ranked.c.rank <= depth)
        .order_by(ranked.c.refresh_bin_id, ranked.c.rank)
    ).all()
    readings: dict[int, list[Any]] = {}
    for row in rows:
        readings.setdefault(row.refresh_bin_id, []).append(row)
    return readings


def _open_alerts(
    session: SessionLike, bin_ids: Sequence[int]
) -> dict[int, dict[str, Alert]]:
    """The open alerts of each bin by kind, in one query.

    Queried rather than taken from ``Bin.open_alerts``: that read-only collection may
    have been loaded before alerts changed in this transaction.
    """
    alerts: dict[int, dict[str, Alert]] = {}
    for alert in session.scalars(
        sa.select(Alert)
        .where(Alert.bin_id.in_(bin_ids), Alert.closed_at.is_(None))
        .order_by(Alert.id)
    ):
        alerts.setdefault(alert.bin_id, {})[alert.kind] = alert
    return alerts


def _derive_state(
    bin_: Bin, rows: Sequence[Any], open_alerts: Mapping[str, Alert], now: dt.datetime
) -> list[dict[str, Any]]:
    """Set a bin's state from its recent readings (newest first) and open alerts.

    :returns: the alerts to open, as rows for ``INSERT INTO alerts``.
    """
    points = [
        FillPoint(row.measured_at, fill, QualityFlag(row.quality_flag))
        for row in rows
        if (fill := row.fill_pct) is not None
    ]
    collected_at = bin_.last_collected_at
    assessment = assess_bin(
        points, threshold_pct=bin_.fill_threshold_pct, collected_at=collected_at
    )
    level, rate, forecast = assessment.level, assessment.rate, assessment.forecast
    fill_pct = level.fill_pct if level else None
    last_reading_at = rows[0].measured_at if rows else None
    last_emptied_at = assessment.last_emptied_at or bin_.last_emptied_at
    forecast_at = forecast.full_at if forecast else None
    if collected_at is not None and (
        last_emptied_at is None or collected_at > last_emptied_at
    ):
        last_emptied_at = collected_at
    # A collection newer than the newest reading: the crew emptied the bin after the
    # sensor last spoke, so it is expected empty (and not full) until a reading
    # says otherwise. From then on the readings after the collection rule.
    expected_empty = collected_at is not None and (
        last_reading_at is None or collected_at > last_reading_at
    )
    if collected_at is not None and level is None:
        fill_pct = 0.0
        forecast_at = None
        if rate is not None and rate.pct_per_day > 0:
            days = bin_.fill_threshold_pct / rate.pct_per_day
            forecast_at = collected_at + dt.timedelta(days=days)

    verdicts: dict[AlertKind, AlertVerdict] = {}
    for sensor in bin_.sensors:
        if not sensor.active:
            continue
        # Only the latest few become Reading objects: a bin has hundreds of rows.
        own = [row for row in rows if row.sensor_id == sensor.id][:ALERT_HISTORY]
        recent = [_as_reading(row, sensor.device_id) for row in own]
        for verdict in evaluate_alerts(
            recent,
            level_pct=fill_pct,
            threshold_pct=bin_.fill_threshold_pct,
            geometry=geometry_of(sensor),
            report_interval=dt.timedelta(seconds=sensor.report_interval_s),
            now=now,
        ):
            if expected_empty and verdict.kind in _FULLNESS_ALERTS:
                continue  # readings from before the collection
            verdicts.setdefault(verdict.kind, verdict)
    _write_if_changed(
        bin_,
        fill_pct=fill_pct,
        fill_rate_pct_per_day=rate.pct_per_day if rate else None,
        fill_rate_reliability=str(rate.reliability) if rate else None,
        predicted_full_at=forecast_at,
        last_emptied_at=last_emptied_at,
        last_reading_at=last_reading_at,
        status=_status(last_reading_at, verdicts),
    )
    return _sync_alerts(bin_.id, open_alerts, verdicts, now)


def _write_if_changed(obj: Any, **values: Any) -> None:
    """Set ``values`` on a loaded object; if any differs, all of them are written.

    The flush sends consecutive UPDATEs that set the same columns as one executemany,
    and a new set of columns starts a new statement.  Writing every column of the
    state whenever one changes keeps a refresh at one UPDATE per table whatever mix
    of changes its bins and alerts have; unchanged rows are not written at all.
    """
    if all(getattr(obj, name) == value for name, value in values.items()):
        return
    for name, value in values.items():
        setattr(obj, name, value)
        flag_modified(obj, name)


def _status(
    last_reading_at: dt.datetime | None, verdicts: Mapping[AlertKind, AlertVerdict]
) -> str:
    for kind, status in _STATUS_BY_ALERT:
        if kind in verdicts:
            return status
    if last_reading_at is None:
        return "unknown"
    return "ok"


def _sync_alerts(
    bin_id: int,
    open_alerts: Mapping[str, Alert],
    verdicts: Mapping[AlertKind, AlertVerdict],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """Close the alerts that cleared, update the others; returns the ones to open."""
    by_kind = {str(kind): verdict for kind, verdict in verdicts.items()}
    for kind, alert in open_alerts.items():
        verdict = by_kind.get(kind)
        if verdict is None:
            _write_if_changed(
                alert,
                closed_at=now,
                severity=alert.severity,
                message=alert.message,
                since=alert.since,
            )
        else:
            _write_if_changed(
                alert,
                closed_at=None,
                severity=str(verdict.severity),
                message=verdict.message[:255],
                since=verdict.since or alert.since,
            )
    return [
        {
            "bin_id": bin_id,
            "kind": kind,
            "severity": str(verdict.severity),
            "message": verdict.message[:255],
            "since": verdict.since,
            "opened_at": now,
        }
        for kind, verdict in by_kind.items()
        if kind not in open_alerts
    ]


# -- listings ------------------------------------------------------------------------------
def list_readings(
    session: SessionLike,
    actor: Actor,
    code: str,
    *,
    from_at: dt.datetime | None = None,
    to_at: dt.datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[SensorReading], int]:
    """A bin's readings with their quality, oldest first, in ``[from_at, to_at)``.

    :param from_at: timezone-aware inclusive start, or no lower bound.
    :param to_at: timezone-aware exclusive end, or no upper bound.
    :returns: the page's readings and the total number matching.
    :raises BinNotFound: no such bin the actor may see.
    """
    bin_ = get_bin(session, actor, code)
    if from_at is not None and to_at is not None and to_at <= from_at:
        raise InvalidTelemetryValue("'to' must be after 'from'.", field="to")
    query = sa.select(SensorReading).where(SensorReading.bin_id == bin_.id)
    if from_at is not None:
        query = query.where(SensorReading.measured_at >= from_at)
    if to_at is not None:
        query = query.where(SensorReading.measured_at < to_at)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(SensorReading.measured_at, SensorReading.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(items), int(total or 0)


def list_rejected(
    session: SessionLike, actor: Actor, *, page: int = 1, page_size: int = 50
) -> tuple[list[RejectedMessage], int]:
    """Rejected messages, newest first.

    An admin sees all; DLH staff see those naming a device registered on a bin of
    their city (an unknown device belongs to no city, so only an admin sees it).

    :returns: the page's messages and the total number matching.
    """
    _require(actor, Action.BINS_WRITE)
    query = sa.select(RejectedMessage)
    if actor.role is not Role.ADMIN:
        devices = (
            sa.select(Sensor.device_id)
            .join(Bin, Sensor.bin_id == Bin.id)
            .where(visible_bin_filter(actor))
        )
        query = query.where(RejectedMessage.device_id.in_(devices))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(RejectedMessage.received_at.desc(), RejectedMessage.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(items), int(total or 0)


def open_alerts(session: SessionLike, actor: Actor, code: str) -> list[Alert]:
    """The open alerts of a bin, oldest first."""
    return list(get_bin(session, actor, code).open_alerts)


def acknowledge_alert(
    session: SessionLike, actor: Actor, alert_id: int, *, now: dt.datetime | None = None
) -> Alert:
    """Mark an alert as seen by the city's DLH (or an admin); audited, idempotent.

    Acknowledging changes nothing else: the alert stays open until its condition
    clears, and a new alert of the bin needs its own acknowledgement. Acknowledging
    an alert again keeps the first time and person, and writes no audit entry.

    :param now: the acknowledgement time (UTC); the clock when omitted.
    :raises AccessDenied: the role may not manage bins.
    :raises AlertNotFound: no such alert, or on a bin of another city.
    """
    _require(actor, Action.BINS_WRITE)
    alert = session.scalar(
        sa.select(Alert)
        .join(Bin, Alert.bin_id == Bin.id)
        .where(Alert.id == alert_id, visible_bin_filter(actor))
    )
    if alert is None:
        raise AlertNotFound(f"No alert with id {alert_id}.")
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_at = now or utcnow()
    alert.acknowledged_by_id = actor.user_id
    session.execute(
        sa.insert(_audit_entries).values(
            at=alert.acknowledged_at,
            actor_id=actor.user_id,
            action=ALERT_ACKNOWLEDGE_AUDIT_ACTION,
            object_type="Alert",
            object_id=str(alert.id),
            before={"acknowledged_at": None},
            after={
                "acknowledged_at": alert.acknowledged_at.isoformat(),
                "bin": alert.bin.code,
                "kind": alert.kind,
            },
        )
    )
    session.flush()
    # The username comes from a column property: read it again after the change.
    session.refresh(alert, ["acknowledged_by"])
    return alert
