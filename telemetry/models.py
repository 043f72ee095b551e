"""Database models of telemetry: bins, their sensors, readings, rejected messages, alerts.

Bins follow the FIWARE ``WasteContainer`` vocabulary where it fits (``fillingLevel`` is
``fill_pct`` here, ``dateLastEmptying`` is ``last_emptied_at``, ``status`` keeps the
FIWARE slugs).  The latest state of a bin is cached on the bin row so that listings and
the route optimiser never replay the reading history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from wastebank.extensions import UTCDateTime, db

BIN_KINDS = ("bin", "tps", "container")
WASTE_STREAMS = ("residual", "organic", "recyclable", "mixed")
SENSOR_FORMATS = ("ttn-v3", "chirpstack-v4", "json", "modbus")
MOUNTINGS = ("lid", "wall")
WORD_ORDERS = ("big", "little")
#: FIWARE WasteContainer ``status`` values the product uses (§6 of the formats notes).
BIN_STATUSES = ("ok", "lidOpen", "dropped", "moved", "burning", "unknown")
REJECT_SOURCES = ("mqtt", "modbus", "http")

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# Only the columns telemetry needs of wastebank's cities table, without importing it.
_cities = sa.table("cities", sa.column("id", sa.Integer), sa.column("code", sa.String))
# ... and of its users table, for the name of whoever acknowledged an alert.
_users = sa.table(
    "users", sa.column("id", sa.Integer), sa.column("username", sa.String)
)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Bin(db.Model):  # type: ignore[name-defined]
    """A collection point: a street bin, a TPS (transfer point) or a container."""

    __tablename__ = "bins"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", BIN_KINDS), name="kind"),
        sa.CheckConstraint(_in("stream", WASTE_STREAMS), name="stream"),
        sa.CheckConstraint(_in("status", BIN_STATUSES), name="status"),
        sa.CheckConstraint("capacity_l > 0", name="capacity_positive"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        sa.CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
        sa.CheckConstraint(
            "fill_threshold_pct > 0 AND fill_threshold_pct <= 100",
            name="threshold_range",
        ),
        sa.CheckConstraint(
            "fill_pct IS NULL OR (fill_pct >= 0 AND fill_pct <= 100)",
            name="fill_range",
        ),
        sa.CheckConstraint(
            "service_time_s IS NULL OR service_time_s >= 0", name="service_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    stream: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    capacity_l: Mapped[Decimal] = mapped_column(sa.Numeric(10, 1), nullable=False)
    lat: Mapped[float] = mapped_column(sa.Float, nullable=False)
    lon: Mapped[float] = mapped_column(sa.Float, nullable=False)
    city_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cities.id"), nullable=True, index=True
    )
    #: the city's code (read-only, loaded with the bin)
    city_code: Mapped[str | None] = column_property(
        sa.select(_cities.c.code).where(_cities.c.id == city_id).scalar_subquery()
    )
    district: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    address: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    #: time a crew needs at the stop, seconds
    service_time_s: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    #: when collection is allowed: ``[["06:00", "10:00"], ...]`` in the city's local time
    access_windows: Mapped[list[Any]] = mapped_column(
        sa.JSON, nullable=False, default=list
    )
    fill_threshold_pct: Mapped[float] = mapped_column(
        sa.Float, nullable=False, default=80.0
    )
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )

    # -- state derived from accepted readings (refreshed by services.refresh_bin) --
    fill_pct: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="unknown"
    )
    fill_rate_pct_per_day: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    fill_rate_reliability: Mapped[str | None] = mapped_column(
        sa.String(8), nullable=True
    )
    predicted_full_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )
    last_reading_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )
    last_emptied_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )
    #: the latest collection a driver reported (:func:`services.record_collection`):
    #: newer than the newest reading, the bin is taken as empty until a reading comes
    last_collected_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )

    sensors: Mapped[list[Sensor]] = relationship(back_populates="bin")
    alerts: Mapped[list[Alert]] = relationship(
        back_populates="bin", order_by="Alert.id"
    )
    #: alerts not closed yet (read-only; closed alerts pile up over the years)
    open_alerts: Mapped[list[Alert]] = relationship(
        primaryjoin="and_(Bin.id == Alert.bin_id, Alert.closed_at.is_(None))",
        order_by="Alert.id",
        viewonly=True,
    )


class Sensor(db.Model):  # type: ignore[name-defined]
    """A fill-level sensor, known to the network by ``device_id``, mounted on a bin."""

    __tablename__ = "sensors"
    __table_args__ = (
        sa.CheckConstraint(_in("format", SENSOR_FORMATS), name="format"),
        sa.CheckConstraint(_in("mounting", MOUNTINGS), name="mounting"),
        sa.CheckConstraint(
            "full_distance_mm >= 0 AND full_distance_mm < empty_distance_mm",
            name="geometry",
        ),
        sa.CheckConstraint("report_interval_s > 0", name="report_interval"),
        # A Modbus sensor has its whole register description; others have none.
        sa.CheckConstraint(
            "(format = 'modbus') = (modbus_host IS NOT NULL AND modbus_port IS NOT NULL"
            " AND modbus_device_id IS NOT NULL AND modbus_address IS NOT NULL"
            " AND modbus_function IS NOT NULL AND modbus_count IS NOT NULL"
            " AND modbus_scale IS NOT NULL AND modbus_word_order IS NOT NULL)",
            name="modbus_config",
        ),
        sa.CheckConstraint(
            "modbus_function IS NULL OR modbus_function IN (3, 4)",
            name="modbus_function",
        ),
        sa.CheckConstraint(
            "modbus_count IS NULL OR modbus_count IN (1, 2)", name="modbus_count"
        ),
        sa.CheckConstraint(
            "modbus_word_order IS NULL OR " + _in("modbus_word_order", WORD_ORDERS),
            name="modbus_word_order",
        ),
        sa.CheckConstraint(
            "modbus_scale IS NULL OR modbus_scale > 0", name="modbus_scale"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the network's name of the device: TTS device id, upper-case DevEUI, JSON topic id
    device_id: Mapped[str] = mapped_column(sa.String(128), unique=True, nullable=False)
    bin_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bins.id"), nullable=False, index=True
    )
    format: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    empty_distance_mm: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    full_distance_mm: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    mounting: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="lid")
    #: expected time between readings; a sensor silent for 3 of them raises an alert
    report_interval_s: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=3600
    )
    #: SHA-256 (hex) of the device key for ``POST /api/v1/readings``; never the key
    device_key_hash: Mapped[str] = mapped_column(
        sa.String(64), unique=True, nullable=False
    )
    modbus_host: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    modbus_port: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    modbus_device_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    #: 0-based protocol (PDU) address; datasheet "40001" is 0
    modbus_address: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    modbus_function: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    modbus_count: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    #: distance in mm = register value x scale
    modbus_scale: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 6), nullable=True
    )
    modbus_word_order: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )

    bin: Mapped[Bin] = relationship(back_populates="sensors")


class SensorReading(db.Model):  # type: ignore[name-defined]
    """One stored reading, with its quality; it stays with the bin it measured."""

    __tablename__ = "sensor_readings"
    __table_args__ = (
        # Either key catches a redelivered copy; the insert ignores both conflicts.
        sa.UniqueConstraint("sensor_id", "measured_at"),
        sa.Index("ix_sensor_readings_bin_id_measured_at", "bin_id", "measured_at"),
        sa.CheckConstraint(
            "fill_pct IS NULL OR (fill_pct >= 0 AND fill_pct <= 100)",
            name="fill_range",
        ),
        sa.CheckConstraint(
            "distance_mm IS NULL OR distance_mm >= 0", name="distance_positive"
        ),
        sa.CheckConstraint(
            "quality_status IN ('accepted', 'suspicious', 'rejected')",
            name="quality_status",
        ),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    #: the source's message id (``as:up:…``, ``deduplicationId``) or a derived key
    dedup_key: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    sensor_id: Mapped[int] = mapped_column(sa.ForeignKey("sensors.id"), nullable=False)
    bin_id: Mapped[int] = mapped_column(sa.ForeignKey("bins.id"), nullable=False)
    source_format: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    measured_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    distance_mm: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    fill_pct: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    quality_flag: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    quality_status: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    battery_pct: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    battery_v: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    temperature_c: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    tilt: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    fire_alarm: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    moved: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    sensor_fault: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    rssi_dbm: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    snr_db: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    f_cnt: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    f_port: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    payload_b64: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    sensor: Mapped[Sensor] = relationship()


class RejectedMessage(db.Model):  # type: ignore[name-defined]
    """A message no reading could be made of, kept with the reason for operators."""

    __tablename__ = "rejected_messages"
    __table_args__ = (sa.CheckConstraint(_in("source", REJECT_SOURCES), name="source"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    received_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, index=True
    )
    source: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    topic: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    device_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    #: the error's slug: ``malformed_payload``, ``unknown_sensor``, ...
    reason_code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    #: the body as text (invalid UTF-8 replaced), cut at 8 KiB
    payload: Mapped[str] = mapped_column(sa.Text, nullable=False)


class Alert(db.Model):  # type: ignore[name-defined]
    """An alert on a bin: open while its condition holds, closed when it clears."""

    __tablename__ = "alerts"
    __table_args__ = (
        sa.Index("ix_alerts_bin_id_closed_at", "bin_id", "closed_at"),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name="severity"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bin_id: Mapped[int] = mapped_column(sa.ForeignKey("bins.id"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    severity: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    message: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: when DLH (or an admin) acknowledged it; the alert stays open until it clears
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    acknowledged_by: Mapped[str | None] = column_property(
        sa.select(_users.c.username)
        .where(_users.c.id == acknowledged_by_id)
        .correlate_except(_users)
        .scalar_subquery()
    )

    bin: Mapped[Bin] = relationship(back_populates="alerts")
