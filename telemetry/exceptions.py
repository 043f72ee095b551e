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
