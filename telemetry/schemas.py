"""Marshmallow schemas of the telemetry API: shape and ranges only.

Existence, uniqueness and permissions are service rules that raise domain errors.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from telemetry.models import (
    BIN_KINDS,
    BIN_STATUSES,
    MOUNTINGS,
    SENSOR_FORMATS,
    WASTE_STREAMS,
    WORD_ORDERS,
)
from wastebank.fields import DecimalNumber, JsonBoolean, Name, Pattern, check_date

_CODE = Pattern(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", error="1-32 letters, digits, - or _."
)
# The MQTT topic part a device is named by (no '/', '+', '#').
_DEVICE_ID = Pattern(
    r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$",
    error="1-128 letters, digits or ._:@- (as the network names the device).",
)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class FlexibleDateTime(fields.Field[dt.datetime]):
    """An ISO 8601 date or date-time; dates are midnight UTC, naive times are UTC.

    Dates lie between :data:`wastebank.fields.MIN_DATE` and ``MAX_DATE``.

    ``end_of_day`` turns a bare date into the next midnight, so ``to=2026-11-20``
    includes the whole of the 20th.
    """

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> dt.datetime:
        if not isinstance(value, str):
            raise ValidationError("Not a valid ISO 8601 date or date-time.")
        text = value.strip()
        try:
            if len(text) == 10:
                # Within the century, so the next midnight and UTC exist.
                day = check_date(dt.date.fromisoformat(text))
                start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
                return start + dt.timedelta(days=1) if self.end_of_day else start
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("Not a valid ISO 8601 date or date-time.") from None
        check_date(parsed.date())
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)


def _check_windows(windows: list[list[str]]) -> None:
    for window in windows:
        if len(window) != 2 or not all(_HHMM.match(t) for t in window):
            raise ValidationError('Each window is ["HH:MM", "HH:MM"].')


# -- alerts --------------------------------------------------------------------------------
class AlertSchema(Schema):
    id = fields.Integer(
        required=True,
        metadata={"description": "acknowledge it: /alerts/{id}/acknowledge"},
    )
    kind = fields.String(required=True, metadata={"example": "bin_full"})
    severity = fields.String(
        required=True, metadata={"enum": ["info", "warning", "critical"]}
    )
    message = fields.String(required=True)
    since = fields.AwareDateTime(allow_none=True)
    opened_at = fields.AwareDateTime(required=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    acknowledged_by = fields.String(
        allow_none=True, metadata={"description": "username of who acknowledged it"}
    )


# -- bins ----------------------------------------------------------------------------------
class BinSchema(Schema):
    """A bin with its latest state (FIWARE WasteContainer names in the descriptions)."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(BIN_KINDS)})
    stream = fields.String(required=True, metadata={"enum": list(WASTE_STREAMS)})
    capacity_l = fields.Decimal(
        required=True,
        as_string=True,  # like every Decimal of the API: exact, as a string
        metadata={"description": "volume, litres", "example": "1100.0"},
    )
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    city = fields.String(attribute="city_code", allow_none=True)
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    service_time_s = fields.Integer(allow_none=True)
    access_windows = fields.List(fields.List(fields.String()))
    fill_threshold_pct = fields.Float(required=True)
    active = fields.Boolean(required=True)
    fill_pct = fields.Float(
        allow_none=True, metadata={"description": "fillingLevel x 100, filtered"}
    )
    status = fields.String(required=True, metadata={"enum": list(BIN_STATUSES)})
    fill_rate_pct_per_day = fields.Float(allow_none=True)
    fill_rate_reliability = fields.String(
        allow_none=True, metadata={"enum": ["low", "medium", "high"]}
    )
    predicted_full_at = fields.AwareDateTime(allow_none=True)
    last_reading_at = fields.AwareDateTime(allow_none=True)
    last_emptied_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "dateLastEmptying"}
    )
    last_collected_at = fields.AwareDateTime(
        allow_none=True,
        dump_only=True,
        metadata={
            "description": "when a driver last reported the bin collected; until a "
            "newer reading arrives the bin shows 0 %"
        },
    )
    alerts = fields.List(
        fields.Nested(AlertSchema), attribute="open_alerts", dump_only=True
    )


class BinCreateSchema(Schema):
    code = fields.String(required=True, validate=_CODE)
    name = Name(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(BIN_KINDS))
    stream = fields.String(required=True, validate=validate.OneOf(WASTE_STREAMS))
    capacity_l = DecimalNumber(
        required=True,
        places=1,
        validate=validate.Range(min=0, min_inclusive=False, max=1_000_000),
    )
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    city = fields.String(load_default=None, validate=validate.Length(max=16))
    district = Name(load_default=None, validate=validate.Length(max=120))
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    service_time_s = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=86_400)
    )
    access_windows = fields.List(
        fields.List(fields.String()),
        load_default=list,
        validate=[validate.Length(max=8), _check_windows],
    )
    fill_threshold_pct = fields.Float(
        load_default=80.0, validate=validate.Range(min=0, min_inclusive=False, max=100)
    )


class BinUpdateSchema(Schema):
    name = Name(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(BIN_KINDS))
    stream = fields.String(validate=validate.OneOf(WASTE_STREAMS))
    capacity_l = DecimalNumber(
        places=1, validate=validate.Range(min=0, min_inclusive=False, max=1_000_000)
    )
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    city = fields.String(allow_none=True, validate=validate.Length(max=16))
    district = Name(allow_none=True, validate=validate.Length(max=120))
    address = fields.String(allow_none=True, validate=validate.Length(max=255))
    service_time_s = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=86_400)
    )
    access_windows = fields.List(
        fields.List(fields.String()), validate=[validate.Length(max=8), _check_windows]
    )
    fill_threshold_pct = fields.Float(
        validate=validate.Range(min=0, min_inclusive=False, max=100)
    )
    active = JsonBoolean()


class BinQueryArgsSchema(Schema):
    city = fields.String(load_default=None)
    district = fields.String(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(BIN_KINDS))
    stream = fields.String(load_default=None, validate=validate.OneOf(WASTE_STREAMS))


# -- sensors -------------------------------------------------------------------------------
class ModbusSchema(Schema):
    host = fields.String(required=True, validate=validate.Length(min=1, max=255))
    port = fields.Integer(load_default=502, validate=validate.Range(min=1, max=65535))
    device_id = fields.Integer(load_default=1, validate=validate.Range(min=0, max=255))
    address = fields.Integer(required=True, validate=validate.Range(min=0, max=65535))
    function = fields.Integer(load_default=3, validate=validate.OneOf([3, 4]))
    count = fields.Integer(load_default=1, validate=validate.OneOf([1, 2]))
    scale = DecimalNumber(
        load_default=1,
        places=6,
        validate=validate.Range(min=0, min_inclusive=False, max=1000),
    )
    word_order = fields.String(load_default="big", validate=validate.OneOf(WORD_ORDERS))


class SensorSchema(Schema):
    device_id = fields.String(required=True)
    bin = fields.Function(lambda sensor: sensor.bin.code, required=True)
    format = fields.String(required=True, metadata={"enum": list(SENSOR_FORMATS)})
    empty_distance_mm = fields.Integer(required=True)
    full_distance_mm = fields.Integer(required=True)
    mounting = fields.String(required=True, metadata={"enum": list(MOUNTINGS)})
    report_interval_s = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    modbus = fields.Method("_modbus", allow_none=True)
    created_at = fields.AwareDateTime(required=True)

    def _modbus(self, sensor: Any) -> dict[str, Any] | None:
        if sensor.format != "modbus":
            return None
        return {
            "host": sensor.modbus_host,
            "port": sensor.modbus_port,
            "device_id": sensor.modbus_device_id,
            "address": sensor.modbus_address,
            "function": sensor.modbus_function,
            "count": sensor.modbus_count,
            "scale": float(sensor.modbus_scale),
            "word_order": sensor.modbus_word_order,
        }


class SensorCreatedSchema(SensorSchema):
    device_key = fields.String(
        required=True,
        metadata={"description": "for POST /api/v1/readings; shown only this once"},
    )


class SensorCreateSchema(Schema):
    device_id = fields.String(required=True, validate=_DEVICE_ID)
    bin = fields.String(required=True, validate=validate.Length(min=1, max=32))
    format = fields.String(required=True, validate=validate.OneOf(SENSOR_FORMATS))
    empty_distance_mm = fields.Integer(
        required=True, validate=validate.Range(min=1, max=100_000)
    )
    full_distance_mm = fields.Integer(
        required=True, validate=validate.Range(min=0, max=100_000)
    )
    mounting = fields.String(load_default="lid", validate=validate.OneOf(MOUNTINGS))
    report_interval_s = fields.Integer(
        load_default=3600, validate=validate.Range(min=1, max=7 * 86_400)
    )
    modbus = fields.Nested(ModbusSchema, load_default=None)

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("format") == "chirpstack-v4" and not re.fullmatch(
            r"[0-9A-Fa-f]{16}", data.get("device_id", "")
        ):
            raise ValidationError(
                "A ChirpStack device is named by its DevEUI (16 hex digits).",
                "device_id",
            )
        if (data.get("format") == "modbus") != (data.get("modbus") is not None):
            raise ValidationError(
                "Give modbus settings for, and only for, format modbus.", "modbus"
            )
        empty, full = data.get("empty_distance_mm"), data.get("full_distance_mm")
        if empty is not None and full is not None and full >= empty:
            raise ValidationError(
                "Must be below empty_distance_mm.", "full_distance_mm"
            )


class SensorUpdateSchema(Schema):
    bin = fields.String(validate=validate.Length(min=1, max=32))
    empty_distance_mm = fields.Integer(validate=validate.Range(min=1, max=100_000))
    full_distance_mm = fields.Integer(validate=validate.Range(min=0, max=100_000))
    mounting = fields.String(validate=validate.OneOf(MOUNTINGS))
    report_interval_s = fields.Integer(validate=validate.Range(min=1, max=7 * 86_400))
    active = JsonBoolean()


class SensorQueryArgsSchema(Schema):
    bin = fields.String(load_default=None)


# -- readings ------------------------------------------------------------------------------
class ReadingSchema(Schema):
    id = fields.Integer(required=True)
    device_id = fields.Function(lambda row: row.sensor.device_id, required=True)
    source_format = fields.String(required=True)
    measured_at = fields.AwareDateTime(required=True)
    received_at = fields.AwareDateTime(required=True)
    distance_mm = fields.Integer(allow_none=True)
    fill_pct = fields.Float(allow_none=True)
    quality_flag = fields.String(required=True, metadata={"example": "ok"})
    quality_status = fields.String(
        required=True, metadata={"enum": ["accepted", "suspicious", "rejected"]}
    )
    battery_pct = fields.Float(allow_none=True)
    battery_v = fields.Float(allow_none=True)
    temperature_c = fields.Float(allow_none=True)
    tilt = fields.Boolean(allow_none=True)
    fire_alarm = fields.Boolean(allow_none=True)
    moved = fields.Boolean(allow_none=True)
    sensor_fault = fields.String(allow_none=True)
    rssi_dbm = fields.Integer(allow_none=True)
    snr_db = fields.Float(allow_none=True)


class ReadingQueryArgsSchema(Schema):
    from_at = FlexibleDateTime(
        data_key="from",
        load_default=None,
        metadata={"description": "ISO 8601 date or date-time (inclusive, UTC)"},
    )
    to_at = FlexibleDateTime(
        data_key="to",
        end_of_day=True,
        load_default=None,
        metadata={"description": "ISO 8601 date (inclusive) or date-time (exclusive)"},
    )

    @post_load
    def _order(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        start, end = data.get("from_at"), data.get("to_at")
        if start is not None and end is not None and end <= start:
            raise ValidationError("Must be after 'from'.", "to")
        return data


class IngestResultSchema(Schema):
    stored = fields.Boolean(required=True)
    duplicate = fields.Boolean(required=True)
    reading = fields.Nested(ReadingSchema, allow_none=True)


class RejectedMessageSchema(Schema):
    id = fields.Integer(required=True)
    received_at = fields.AwareDateTime(required=True)
    source = fields.String(required=True, metadata={"enum": ["mqtt", "modbus", "http"]})
    topic = fields.String(allow_none=True)
    device_id = fields.String(allow_none=True)
    reason_code = fields.String(required=True, metadata={"example": "unknown_sensor"})
    reason = fields.String(required=True)
    payload = fields.String(required=True)
