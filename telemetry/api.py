"""JSON API of telemetry under ``/api/v1``: bins, sensors, readings, rejected messages.

Thin adapters over :mod:`telemetry.services`.  Every endpoint needs a user's bearer
token except ``POST /api/v1/readings``, which a gateway calls with its sensor's device
key in the ``X-Device-Key`` header.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import request
from flask.views import MethodView

from telemetry import services
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
from telemetry.models import Sensor, SensorReading, utcnow
from telemetry.readings import parse_plain_json
from telemetry.schemas import (
    AlertSchema,
    BinCreateSchema,
    BinQueryArgsSchema,
    BinSchema,
    BinUpdateSchema,
    IngestResultSchema,
    ReadingQueryArgsSchema,
    ReadingSchema,
    RejectedMessageSchema,
    SensorCreatedSchema,
    SensorCreateSchema,
    SensorQueryArgsSchema,
    SensorSchema,
    SensorUpdateSchema,
)
from wastebank.auth import (
    api_actor,
    authenticate_bearer,
    authenticate_bearer_or_session,
)
from wastebank.errors import handle_domain_error, register_domain_errors
from wastebank.extensions import db
from wastebank.rest import Blueprint

log = logging.getLogger(__name__)

bp = Blueprint(
    "telemetry_api",
    __name__,
    url_prefix="/api/v1",
    description="Bins, fill-level sensors, their readings and the ingest rejects.",
)

register_domain_errors(
    [
        (BinNotFound, 404),
        (AlertNotFound, 404),
        (SensorNotFound, 404),
        (UnknownSensor, 404),
        (DuplicateBin, 409),
        (DuplicateSensor, 409),
        (InvalidTelemetryValue, 422),
        (AccessDenied, 403),
        (InvalidDeviceKey, 401),
    ],
    family=TelemetryError,
)

#: The device-key door: gateways have no user token.
_DEVICE_ENDPOINTS = {"telemetry_api.record_http_reading"}
#: Header carrying the device key of ``POST /api/v1/readings``.
DEVICE_KEY_HEADER = "X-Device-Key"


#: The DLH control room (``/dlh``) calls these with its login session and a CSRF
#: header, as (endpoint, method): ``POST /bins`` stays token-only.
SESSION_ENDPOINTS = frozenset(
    {
        (f"{bp.name}.Bins", "GET"),
        (f"{bp.name}.acknowledge_alert", "POST"),
    }
)


@bp.before_request
def _require_token() -> None:
    if request.endpoint in _DEVICE_ENDPOINTS:
        return
    if (request.endpoint, request.method) in SESSION_ENDPOINTS:
        authenticate_bearer_or_session()
    else:
        authenticate_bearer()


@bp.errorhandler(InvalidDeviceKey)
def _invalid_device_key(error: InvalidDeviceKey) -> Any:
    # The envelope of every domain error, plus the challenge naming the device-key header.
    body, status, headers = handle_domain_error(error)
    headers["WWW-Authenticate"] = f'{DEVICE_KEY_HEADER} realm="wastebank"'
    return body, status, headers


# -- alerts --------------------------------------------------------------------------------
@bp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@bp.response(200, AlertSchema)
def acknowledge_alert(alert_id: int) -> Any:
    """Acknowledge an alert of a bin (admin, DLH of its city); again changes nothing.

    The alert stays open until its condition clears; the first acknowledgement is
    audited and kept.
    """
    alert = services.acknowledge_alert(db.session, api_actor(), alert_id)
    db.session.commit()
    return alert


# -- bins ----------------------------------------------------------------------------------
@bp.route("/bins")
class Bins(MethodView):
    @bp.arguments(BinQueryArgsSchema, location="query")
    @bp.response(200, BinSchema(many=True))
    @bp.paginate(page_size=50, max_page_size=1000)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """List the bins you can see with their latest state; total in X-Pagination."""
        items, total = services.list_bins(
            db.session,
            api_actor(),
            **args,
            page=pagination_parameters.page,
            page_size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return items

    @bp.arguments(BinCreateSchema)
    @bp.response(201, BinSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Register a bin, TPS or container (admin, DLH of its city)."""
        bin_ = services.create_bin(db.session, api_actor(), **args)
        db.session.commit()
        return bin_


@bp.route("/bins/<string:bin_code>")
class BinByCode(MethodView):
    @bp.response(200, BinSchema)
    def get(self, bin_code: str) -> Any:
        """One bin with its fill level, rate, forecast and open alerts."""
        return services.get_bin(db.session, api_actor(), bin_code)

    @bp.arguments(BinUpdateSchema)
    @bp.response(200, BinSchema)
    def patch(self, args: dict[str, Any], bin_code: str) -> Any:
        """Change a bin's details (admin, DLH of its city)."""
        bin_ = services.update_bin(db.session, api_actor(), bin_code, args)
        db.session.commit()
        return bin_


@bp.route("/bins/<string:bin_code>/readings")
@bp.arguments(ReadingQueryArgsSchema, location="query")
@bp.response(200, ReadingSchema(many=True))
@bp.paginate(page_size=50, max_page_size=1000)
def list_bin_readings(
    args: dict[str, Any], pagination_parameters: Any, bin_code: str
) -> Any:
    """A bin's readings with their quality flags, oldest first (from/to in UTC)."""
    items, total = services.list_readings(
        db.session,
        api_actor(),
        bin_code,
        from_at=args["from_at"],
        to_at=args["to_at"],
        page=pagination_parameters.page,
        page_size=pagination_parameters.page_size,
    )
    pagination_parameters.item_count = total
    return items


# -- sensors -------------------------------------------------------------------------------
@bp.route("/sensors")
class Sensors(MethodView):
    @bp.arguments(SensorQueryArgsSchema, location="query")
    @bp.response(200, SensorSchema(many=True))
    @bp.paginate(page_size=50, max_page_size=1000)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """List sensors on bins you can see; total in X-Pagination."""
        items, total = services.list_sensors(
            db.session,
            api_actor(),
            bin=args["bin"],
            page=pagination_parameters.page,
            page_size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return items

    @bp.arguments(SensorCreateSchema)
    @bp.response(201, SensorCreatedSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Register a sensor; the response carries its device key, shown only once."""
        modbus = args.pop("modbus")
        sensor, raw_key = services.create_sensor(
            db.session,
            api_actor(),
            **args,
            modbus=None if modbus is None else services.ModbusConfig(**modbus),
        )
        db.session.commit()
        return _CreatedSensor(sensor, raw_key)


class _CreatedSensor:
    """A new sensor plus its device key, which exists only in this one response."""

    def __init__(self, sensor: Sensor, device_key: str) -> None:
        self._sensor = sensor
        self.device_key = device_key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sensor, name)


@bp.route("/sensors/<string:device_id>")
class SensorByDeviceId(MethodView):
    @bp.response(200, SensorSchema)
    def get(self, device_id: str) -> Any:
        """One sensor."""
        return services.get_sensor(db.session, api_actor(), device_id)

    @bp.arguments(SensorUpdateSchema)
    @bp.response(200, SensorSchema)
    def patch(self, args: dict[str, Any], device_id: str) -> Any:
        """Recalibrate a sensor, or move it to another bin with ``{"bin": code}``."""
        sensor = services.update_sensor(db.session, api_actor(), device_id, args)
        db.session.commit()
        return sensor


# -- readings over HTTP --------------------------------------------------------------------
@bp.route("/readings", methods=["POST"])
@bp.response(201, IngestResultSchema)
@bp.alt_response(
    200, schema=IngestResultSchema, description="The same reading was stored before"
)
@bp.alt_response(401, description="Missing or unknown device key")
@bp.alt_response(422, description="No reading in the body (kept in the rejected list)")
@bp.doc(security=[])
def record_http_reading() -> Any:
    """Store one reading from a gateway that can only do HTTP.

    Authenticated by the sensor's device key (header ``X-Device-Key``); the body is
    the plain JSON reading: ``{"distance_mm" or "fill_pct", "battery_pct"?,
    "temperature_c"?, "tilt"?, "measured_at"?}``.
    """
    sensor = services.sensor_for_device_key(
        db.session, request.headers.get(DEVICE_KEY_HEADER, "").strip()
    )
    payload = request.get_data(cache=False)
    received_at = utcnow()
    try:
        reading = parse_plain_json(
            payload, device_id=sensor.device_id, received_at=received_at
        )
    except TelemetryError as error:
        services.record_rejected(
            db.session,
            source="http",
            error=error,
            payload=payload,
            received_at=received_at,
            device_id=sensor.device_id,
        )
        db.session.commit()  # the reject is kept; the error answer follows
        raise
    outcome = services.record_reading(db.session, reading, sensor=sensor)
    db.session.commit()
    reading_id = outcome.reading_id or services.find_reading_id(
        db.session, reading, sensor_id=sensor.id
    )
    stored = db.session.get(SensorReading, reading_id)
    body = {"stored": outcome.stored, "duplicate": outcome.duplicate, "reading": stored}
    return body, 201 if outcome.stored else 200


# -- rejected messages ---------------------------------------------------------------------
@bp.route("/telemetry/rejected")
@bp.response(200, RejectedMessageSchema(many=True))
@bp.paginate(page_size=50, max_page_size=1000)
def list_rejected(pagination_parameters: Any) -> Any:
    """Messages no reading could be made of, newest first, with the reason."""
    items, total = services.list_rejected(
        db.session,
        api_actor(),
        page=pagination_parameters.page,
        page_size=pagination_parameters.page_size,
    )
    pagination_parameters.item_count = total
    return items
