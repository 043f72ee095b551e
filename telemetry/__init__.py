"""Sensor ingest: fill-level readings from MQTT, Modbus and HTTP.

The pure core (:mod:`telemetry.readings`, :mod:`telemetry.fill`) parses network-server
messages and Modbus registers into :class:`Reading` objects and turns readings into fill
levels, quality flags, forecasts and alerts, with no Flask, database or broker.
"""

from __future__ import annotations

from telemetry.exceptions import (
    AccessDenied,
    BinNotFound,
    DuplicateBin,
    DuplicateSensor,
    InvalidDeviceKey,
    InvalidGeometry,
    InvalidRegisters,
    InvalidTelemetryValue,
    MalformedPayload,
    MissingMeasurement,
    SensorFault,
    SensorNotFound,
    TelemetryError,
    UnknownSensor,
    UnknownTopic,
)
from telemetry.fill import (
    Alert,
    AlertKind,
    AlertRules,
    FillPoint,
    Mounting,
    Quality,
    QualityFlag,
    QualityStatus,
    SensorGeometry,
    assess_bin,
    classify,
    evaluate_alerts,
    fill_fraction,
    fill_pct,
)
from telemetry.readings import (
    Reading,
    SourceFormat,
    decode_registers,
    modbus_reading,
    parse_message,
    topic_filters,
)

__all__ = [
    "AccessDenied",
    "Alert",
    "AlertKind",
    "AlertRules",
    "BinNotFound",
    "DuplicateBin",
    "DuplicateSensor",
    "FillPoint",
    "InvalidDeviceKey",
    "InvalidGeometry",
    "InvalidRegisters",
    "InvalidTelemetryValue",
    "MalformedPayload",
    "MissingMeasurement",
    "Mounting",
    "Quality",
    "QualityFlag",
    "QualityStatus",
    "Reading",
    "SensorFault",
    "SensorGeometry",
    "SensorNotFound",
    "SourceFormat",
    "TelemetryError",
    "UnknownSensor",
    "UnknownTopic",
    "assess_bin",
    "classify",
    "decode_registers",
    "evaluate_alerts",
    "fill_fraction",
    "fill_pct",
    "modbus_reading",
    "parse_message",
    "topic_filters",
]
