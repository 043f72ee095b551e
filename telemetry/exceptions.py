"""Telemetry errors, each with a stable ``code`` slug.

Parsers raise only these, so an ingest worker can catch :class:`TelemetryError`,
store the message in its rejected list with ``exc.code`` and ``exc.reason`` and
carry on.  The mapping to HTTP statuses lives in ``wastebank/errors.py``.
"""

from __future__ import annotations

from typing import ClassVar


class TelemetryError(Exception):
    """Base class of every telemetry error.

    :param reason: a human-readable sentence saying what was wrong.
    """

    code: ClassVar[str] = "telemetry_error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownTopic(TelemetryError):
    """The MQTT topic matches none of the subscribed uplink topics."""

    code = "unknown_topic"


class MalformedPayload(TelemetryError):
    """The payload is not valid UTF-8 JSON of the expected shape and types."""

    code = "malformed_payload"


class MissingMeasurement(TelemetryError):
    """The message is well formed but carries neither a distance nor a fill level."""

    code = "missing_measurement"


class UnknownSensor(TelemetryError):
    """No sensor is registered under the device id (raised by services)."""

    code = "unknown_sensor"


class InvalidRegisters(TelemetryError):
    """Modbus registers of the wrong count, size or decoded value."""

    code = "invalid_registers"


class SensorFault(TelemetryError):
    """The sensor reported a fault sentinel instead of a distance.

    :param reason: a human-readable sentence.
    :param fault: the quality slug, e.g. ``"no_echo"`` or ``"interference"``.
    """

    code = "sensor_fault"

    def __init__(self, reason: str, *, fault: str) -> None:
        super().__init__(reason)
        self.fault = fault


class InvalidGeometry(TelemetryError):
    """Sensor calibration that cannot give a fill level (empty not beyond full)."""

    code = "invalid_geometry"


# -- errors of the registry and the API (raised by services) --------------------------
# Their HTTP statuses are registered by ``telemetry/api.py`` with
# ``wastebank.errors.register_domain_errors``.


class TelemetryFieldError(TelemetryError):
    """A registry error about one input field.

    :param reason: a human-readable sentence.
    :param field: the input field the error is about, if any.
    """

    code = "telemetry_field_error"

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field


class BinNotFound(TelemetryFieldError):
    """No bin with that code, or not one the user may see (404)."""

    code = "bin_not_found"


class AlertNotFound(TelemetryFieldError):
    """No alert with that id, or not on a bin the user may see (404)."""

    code = "alert_not_found"


class SensorNotFound(TelemetryFieldError):
    """No sensor with that device id, or not one the user may see (404)."""

    code = "sensor_not_found"


class DuplicateBin(TelemetryFieldError):
    """A bin with that code exists already (409)."""

    code = "duplicate_bin"


class DuplicateSensor(TelemetryFieldError):
    """A sensor with that device id (or Modbus address) exists already (409)."""

    code = "duplicate_sensor"


class InvalidTelemetryValue(TelemetryFieldError):
    """A value breaks a rule a schema cannot check, e.g. an unknown city (422)."""

    code = "invalid_value"


class AccessDenied(TelemetryFieldError):
    """The user's role may not do this with bins and sensors (403)."""

    code = "permission_denied"


class InvalidDeviceKey(TelemetryFieldError):
    """The device key of an HTTP reading is missing or unknown (401)."""

    code = "invalid_device_key"


class StorageError(TelemetryError):
    """The database refused a message's rows (kept in the rejected list)."""

    code = "storage_error"
