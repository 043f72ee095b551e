"""Parse fill-level messages into :class:`Reading` records (the internal format).

Pure core: standard library only.  Inputs are MQTT topics, payload bytes and Modbus
register lists; the output is one frozen :class:`Reading` per message.  Hostile input
never raises anything but :class:`~telemetry.exceptions.TelemetryError`.

Section numbers refer to ``reference/telemetry-formats.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Final, NoReturn

from telemetry.exceptions import (
    InvalidRegisters,
    MalformedPayload,
    MissingMeasurement,
    SensorFault,
    UnknownTopic,
)

__all__ = [
    "DEFAULT_SENTINELS",
    "MAX_DISTANCE_MM",
    "MAX_PAYLOAD_BYTES",
    "Measurement",
    "Reading",
    "SourceFormat",
    "decode_dragino_fields",
    "decode_dragino_frame",
    "decode_fields",
    "decode_milesight_fields",
    "decode_milesight_frame",
    "decode_registers",
    "decode_tekelek_fields",
    "modbus_reading",
    "parse_chirpstack_v4",
    "parse_message",
    "parse_plain_json",
    "parse_timestamp",
    "parse_tts_v3",
    "topic_filters",
]

#: Real uplinks are a few KiB even with a dozen gateways; anything bigger is hostile.
MAX_PAYLOAD_BYTES: Final = 64 * 1024
#: Deepest nesting in a real envelope is about 6; json's C scanner recurses per level.
MAX_JSON_DEPTH: Final = 32
#: 100 m: far beyond any bin sensor (LDDS75 range ends at 7.5 m), still fits any column.
MAX_DISTANCE_MM: Final = 100_000
#: Device clocks and network servers may run a little ahead of the worker.
MAX_CLOCK_AHEAD: Final = timedelta(minutes=10)
#: Older measured_at values come from devices whose RTC was never set.
MAX_READING_AGE: Final = timedelta(days=366)
#: Modbus fault values of the DFRobot SEN0754 family (§7), as raw 16-bit values.
DEFAULT_SENTINELS: Final[Mapping[int, str]] = {
    0xFFFE: "interference",
    0xFFFD: "no_echo",
}

TTS_TOPIC_FILTER: Final = "v3/+/devices/+/up"
CHIRPSTACK_TOPIC_FILTER: Final = "application/+/device/+/event/up"
PLAIN_JSON_TOPIC_FILTER: Final = "wastebank/sensors/+/reading"

_DEVICE_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_DEV_EUI_RE: Final = re.compile(r"[0-9A-Fa-f]{16}")
_MESSAGE_ID_RE: Final = re.compile(r"[\x21-\x7e]{1,200}")
_TIMESTAMP_RE: Final = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,12}))?"
    r"([Zz]|[+-]\d{2}:?\d{2})"
)
_JSON_SPECIAL_RE: Final = re.compile(r'[\\"\[\]{}]')
# Dragino's ChirpStack v4 decoder renders numbers with units: "3.3 V", "1200 mm".
_NUMBER_WITH_UNIT_RE: Final = re.compile(
    r"\s*([-+]?\d{1,9}(?:\.\d{1,9})?)\s*(\S{0,4})\s*"
)


class SourceFormat(StrEnum):
    """How a reading reached us; the values match the sensor record's ``format``."""

    TTN_V3 = "ttn-v3"
    CHIRPSTACK_V4 = "chirpstack-v4"
    JSON = "json"
    MODBUS = "modbus"


@dataclass(frozen=True)
class Measurement:
    """Normalised sensor fields of one frame, before the envelope adds identity.

    Every value is optional: an absent value is ``None``, never 0 (§1).
    ``sensor_fault`` is a quality slug the sensor itself reported instead of a
    distance (``no_echo``, ``interference``, ``weak_echo``, ``blind_zone``).
    """

    distance_mm: int | None = None
    fill_pct: float | None = None
    battery_pct: float | None = None
    battery_v: float | None = None
    temperature_c: float | None = None
    tilt: bool | None = None
    fire_alarm: bool | None = None
    moved: bool | None = None
    sensor_fault: str | None = None
    decoder: str | None = None

    @property
    def has_measurement(self) -> bool:
        """Whether the frame says anything about the fill level."""
        return (
            self.distance_mm is not None
            or self.fill_pct is not None
            or self.sensor_fault is not None
        )


@dataclass(frozen=True)
class Reading:
    """One fill-level reading in the internal format (§1).

    Identity is ``(device_id, measured_at)``; ``dedup_key`` is unique across all
    sources (it starts with the source format) and repeats for a redelivered copy.

    :param device_id: the id the sensor record is registered under: the TTS
        ``device_id``, the upper-case DevEUI for ChirpStack, the plain JSON topic's
        id, or the Modbus sensor's id.
    :param measured_at: UTC time of the measurement (network-server time for LoRaWAN).
    :param received_at: UTC time our worker received the message.
    :param distance_mm: sensor-to-surface distance in mm, 0..100 000.
    :param fill_pct: fill level in percent 0..100 when the device sends it directly.
    :param battery_pct: battery level in percent 0..100.
    :param battery_v: battery voltage in volts (Dragino reports volts, not percent).
    :param temperature_c: temperature in degrees Celsius.
    :param tilt: the accelerometer says tilted; a lid-mounted unit means lid open.
    :param fire_alarm: the sensor raised a fire or temperature alarm.
    :param moved: the sensor left its geofence.
    :param sensor_fault: fault slug reported instead of a distance.
    :param rssi_dbm: best RSSI over the receiving gateways, dBm.
    :param snr_db: best SNR over the receiving gateways, dB.
    :param dev_eui: DevEUI, upper-case hex, when the network gives one.
    :param f_cnt: LoRaWAN frame counter (0 when the server omitted it).
    :param f_port: LoRaWAN port (0 when the server omitted it).
    :param payload_b64: the raw application payload, base64, for re-decoding.
    :param decoder: which per-model decoder produced the measurement.
    :param bin_hint: a bin id the network server carries (ChirpStack tag ``bin_id``).
    """

    device_id: str
    source_format: SourceFormat
    measured_at: datetime
    received_at: datetime
    dedup_key: str
    distance_mm: int | None = None
    fill_pct: float | None = None
    battery_pct: float | None = None
    battery_v: float | None = None
    temperature_c: float | None = None
    tilt: bool | None = None
    fire_alarm: bool | None = None
    moved: bool | None = None
    sensor_fault: str | None = None
    rssi_dbm: int | None = None
    snr_db: float | None = None
    dev_eui: str | None = None
    f_cnt: int | None = None
    f_port: int | None = None
    payload_b64: str | None = None
    decoder: str | None = None
    bin_hint: str | None = None

    def __post_init__(self) -> None:
        """Refuse naive timestamps: every time in the system is UTC-aware."""
        for name in ("measured_at", "received_at"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")


# --------------------------------------------------------------------------- topics


def topic_filters() -> tuple[str, str, str]:
    """Return the MQTT subscription filters of the three uplink formats.

    :returns: ``(tts_v3, chirpstack_v4, plain_json)`` topic filters.
    """
    return (TTS_TOPIC_FILTER, CHIRPSTACK_TOPIC_FILTER, PLAIN_JSON_TOPIC_FILTER)


def parse_message(topic: str, payload: bytes, *, received_at: datetime) -> Reading:
    """Parse one MQTT message, dispatching on its topic.

    :param topic: the MQTT topic the message arrived on.
    :param payload: the raw message body (UTF-8 JSON, at most 64 KiB).
    :param received_at: timezone-aware time the worker received the message.
    :returns: the parsed reading.
    :raises UnknownTopic: the topic is not one of :func:`topic_filters`.
    :raises MalformedPayload: the body is not JSON of the expected shape.
    :raises MissingMeasurement: the body carries no distance or fill level.
    :raises ValueError: ``received_at`` is naive (a programming error).
    """
    if not isinstance(topic, str):
        raise UnknownTopic("topic must be a string")
    parts = topic.split("/")
    if len(parts) == 5 and parts[0] == "v3" and parts[2] == "devices":
        if parts[4] != "up":
            raise UnknownTopic(f"not an uplink topic: {topic[:200]!r}")
        return parse_tts_v3(payload, topic_device_id=parts[3], received_at=received_at)
    if len(parts) == 6 and parts[0] == "application" and parts[2] == "device":
        if parts[4] != "event" or parts[5] != "up":
            raise UnknownTopic(f"not an uplink event topic: {topic[:200]!r}")
        return parse_chirpstack_v4(
            payload, topic_dev_eui=parts[3], received_at=received_at
        )
    if (
        len(parts) == 4
        and parts[0] == "wastebank"
        and parts[1] == "sensors"
        and parts[3] == "reading"
    ):
        return parse_plain_json(payload, device_id=parts[2], received_at=received_at)
    raise UnknownTopic(f"unknown topic: {topic[:200]!r}")


# ----------------------------------------------------------------------- envelopes


def parse_tts_v3(
    payload: bytes, *, topic_device_id: str, received_at: datetime
) -> Reading:
    """Parse a The Things Stack v3 uplink message (§2, §4).

    ``uplink_message.received_at`` (network-server time) is the measurement time;
    the ``as:up:`` correlation id is the dedup key, with ``(dev_eui, f_cnt,
    received_at to the second)`` as fallback.  Omitted ``f_cnt``/``f_port`` are 0.

    :param payload: the raw message body.
    :param topic_device_id: the ``{device id}`` part of the topic.
    :param received_at: timezone-aware time the worker received the message.
    :returns: the reading, ``device_id`` being the TTS device id.
    :raises MalformedPayload: bad JSON, types, or ids that disagree with the topic.
    :raises MissingMeasurement: neither the decoded nor the raw payload has a level.
    """
    received_at = _check_aware(received_at)
    device_id = _device_id(topic_device_id, "topic device id")
    body = _load_json_object(payload)
    ids = _mapping(body.get("end_device_ids"), "end_device_ids", required=True)
    body_device_id = ids.get("device_id")
    if body_device_id is not None and body_device_id != device_id:
        raise MalformedPayload("end_device_ids.device_id does not match the topic")
    eui_value = ids.get("dev_eui")
    dev_eui = (
        None if eui_value is None else _dev_eui(eui_value, "end_device_ids.dev_eui")
    )
    uplink = _mapping(body.get("uplink_message"), "uplink_message", required=True)

    f_port = _int(uplink.get("f_port", 0), "f_port", lo=0, hi=255)
    f_cnt = _int(uplink.get("f_cnt", 0), "f_cnt", lo=0, hi=2**32 - 1)
    frame = _base64(uplink.get("frm_payload"), "frm_payload")
    decoded = _mapping(uplink.get("decoded_payload"), "decoded_payload")
    version = _mapping(uplink.get("version_ids"), "version_ids")
    hint = " ".join(
        value
        for key in ("brand_id", "model_id")
        if isinstance(value := version.get(key), str)
    ).lower()

    measured_value = uplink.get("received_at", body.get("received_at"))
    measured_at = (
        received_at
        if measured_value is None
        else parse_timestamp(measured_value, "uplink_message.received_at")
    )
    _check_plausible(measured_at, received_at)
    rssi_dbm, snr_db = _best_link(uplink.get("rx_metadata"), "rx_metadata")

    dedup_key = _tts_dedup_key(body.get("correlation_ids"))
    if dedup_key is None:
        second = measured_at.replace(microsecond=0).isoformat()
        dedup_key = f"{dev_eui or device_id}:{f_cnt}:{second}"

    # TTN's device-repository codec for Dragino LDDS75 reads the battery word as
    # the distance (§5), so our own frame decoder wins whenever we have the bytes.
    prefer_frame = "dragino" in hint and bool(frame)
    measurement = _measure(decoded, frame, f_port, hint, prefer_frame=prefer_frame)
    return _build(
        measurement,
        device_id=device_id,
        source_format=SourceFormat.TTN_V3,
        measured_at=measured_at,
        received_at=received_at,
        dedup_key=dedup_key,
        rssi_dbm=rssi_dbm,
        snr_db=snr_db,
        dev_eui=dev_eui,
        f_cnt=f_cnt,
        f_port=f_port,
        frame=frame,
    )


def parse_chirpstack_v4(
    payload: bytes, *, topic_dev_eui: str, received_at: datetime
) -> Reading:
    """Parse a ChirpStack v4 JSON ``up`` event (§3, §4).

    ``time`` is the measurement time and ``deduplicationId`` the dedup key.
    Omitted ``fCnt``/``fPort`` are 0.  The DevEUI is upper-cased.

    :param payload: the raw message body.
    :param topic_dev_eui: the ``{dev_eui}`` part of the topic (16 hex digits).
    :param received_at: timezone-aware time the worker received the message.
    :returns: the reading, ``device_id`` being the upper-case DevEUI.
    :raises MalformedPayload: bad JSON, types, or a DevEUI that disagrees with the
        topic.
    :raises MissingMeasurement: neither ``object`` nor ``data`` has a level.
    """
    received_at = _check_aware(received_at)
    dev_eui = _dev_eui(topic_dev_eui, "topic DevEUI")
    body = _load_json_object(payload)
    info = _mapping(body.get("deviceInfo"), "deviceInfo", required=True)
    body_eui = info.get("devEui")
    if body_eui is not None and _dev_eui(body_eui, "deviceInfo.devEui") != dev_eui:
        raise MalformedPayload("deviceInfo.devEui does not match the topic")
    tags = _mapping(info.get("tags"), "deviceInfo.tags")
    bin_hint = tags.get("bin_id")
    if bin_hint is not None:
        bin_hint = _device_id(bin_hint, "deviceInfo.tags.bin_id")

    f_port = _int(body.get("fPort", 0), "fPort", lo=0, hi=255)
    f_cnt = _int(body.get("fCnt", 0), "fCnt", lo=0, hi=2**32 - 1)
    frame = _base64(body.get("data"), "data")
    decoded = _mapping(body.get("object"), "object")
    profile = info.get("deviceProfileName", "")
    hint = profile.lower() if isinstance(profile, str) else ""

    time_value = body.get("time")
    measured_at = (
        received_at if time_value is None else parse_timestamp(time_value, "time")
    )
    _check_plausible(measured_at, received_at)
    rssi_dbm, snr_db = _best_link(body.get("rxInfo"), "rxInfo")

    dedup_id = body.get("deduplicationId")
    if dedup_id is None:
        second = measured_at.replace(microsecond=0).isoformat()
        dedup_key = f"{dev_eui}:{f_cnt}:{second}"
    else:
        dedup_key = _message_id(dedup_id, "deduplicationId")

    prefer_frame = "dragino" in hint and bool(frame)
    measurement = _measure(decoded, frame, f_port, hint, prefer_frame=prefer_frame)
    return _build(
        measurement,
        device_id=dev_eui,
        source_format=SourceFormat.CHIRPSTACK_V4,
        measured_at=measured_at,
        received_at=received_at,
        dedup_key=dedup_key,
        rssi_dbm=rssi_dbm,
        snr_db=snr_db,
        dev_eui=dev_eui,
        f_cnt=f_cnt,
        f_port=f_port,
        frame=frame,
        bin_hint=bin_hint,
    )


def parse_plain_json(
    payload: bytes, *, device_id: str, received_at: datetime
) -> Reading:
    """Parse the project's own ``wastebank/sensors/{device_id}/reading`` body.

    Body: ``{"distance_mm" or "fill_pct", "battery_pct"?, "temperature_c"?,
    "tilt"?, "measured_at"?}``; unknown keys are ignored.  Without
    ``measured_at`` the reading is timed at ``received_at``.

    :param payload: the raw message body.
    :param device_id: the ``{device_id}`` part of the topic.
    :param received_at: timezone-aware time the worker received the message.
    :returns: the reading.
    :raises MalformedPayload: bad JSON, wrong types or out-of-range values.
    :raises MissingMeasurement: neither ``distance_mm`` nor ``fill_pct`` is given.
    """
    received_at = _check_aware(received_at)
    device_id = _device_id(device_id, "topic device id")
    body = _load_json_object(payload)
    measurement = _decode_plain_fields(body)
    time_value = body.get("measured_at")
    measured_at = (
        received_at
        if time_value is None
        else parse_timestamp(time_value, "measured_at")
    )
    _check_plausible(measured_at, received_at)
    return _build(
        measurement,
        device_id=device_id,
        source_format=SourceFormat.JSON,
        measured_at=measured_at,
        received_at=received_at,
        dedup_key=f"{device_id}:{measured_at.isoformat()}",
    )


def parse_timestamp(value: object, field: str = "timestamp") -> datetime:
    """Parse an ISO 8601 timestamp with an offset, truncating to microseconds.

    Network servers send nanoseconds (``…35.641841782Z``); Python keeps six digits.

    :param value: the JSON value.
    :param field: the field name used in error messages.
    :returns: a UTC datetime.
    :raises MalformedPayload: not a string, no offset, or not a real date.
    """
    if not isinstance(value, str) or len(value) > 64:
        raise MalformedPayload(f"{field} must be an ISO 8601 string")
    match = _TIMESTAMP_RE.fullmatch(value)
    if match is None:
        raise MalformedPayload(f"{field} is not an ISO 8601 time with an offset")
    date_part, time_part, fraction, offset = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]
    if offset in ("Z", "z"):
        offset = "+00:00"
    text = f"{date_part}T{time_part}.{micros}{offset}"
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise MalformedPayload(f"{field} is not a valid time: {value!r}") from exc


# ------------------------------------------------------------------ model decoders


def decode_fields(fields: Mapping[str, object]) -> Measurement | None:
    """Normalise a network server's decoded payload, picking the decoder by its keys.

    Dragino (``Distance``/``Bat``), Tekelek (``ullage_cm``), our own names
    (``distance_mm``/``fill_pct``) and Milesight (``distance``) are recognised.

    :param fields: TTS ``decoded_payload`` or ChirpStack ``object``.
    :returns: the measurement, or ``None`` when no known decoder matches.
    :raises MalformedPayload: a known field has the wrong type or range.
    """
    if "Distance" in fields or "Bat" in fields:
        return decode_dragino_fields(fields)
    if "ullage_cm" in fields:
        return decode_tekelek_fields(fields)
    if "distance_mm" in fields or "fill_pct" in fields:
        return _decode_plain_fields(fields)
    if "distance" in fields or "position" in fields or "tilt" in fields:
        return decode_milesight_fields(fields)
    return None


def decode_milesight_fields(fields: Mapping[str, object]) -> Measurement:
    """Normalise Milesight EM310-UDL / EM400-UDL decoder output (§5).

    Keys: ``battery`` (%), ``distance`` (mm), ``position`` or (TTN codec) ``tilt``
    (``"normal"``/``"tilt"``), ``temperature`` (°C), ``temperature_abnormal``,
    ``geofence_status``.

    :param fields: the decoded payload.
    :returns: the measurement.
    :raises MalformedPayload: a field has the wrong type or range.
    """
    position = fields.get("position", fields.get("tilt"))
    geofence = fields.get("geofence_status")
    return Measurement(
        distance_mm=_distance(fields.get("distance"), "distance", scale=1),
        battery_pct=_optional_number(fields.get("battery"), "battery", lo=0, hi=100),
        temperature_c=_temperature(fields.get("temperature"), "temperature"),
        tilt=_tilt(position, "position"),
        fire_alarm=_optional_bool(
            fields.get("temperature_abnormal"), "temperature_abnormal"
        ),
        moved=None if geofence is None else _geofence_outside(geofence),
        decoder="milesight",
    )


def decode_milesight_frame(frame: bytes) -> Measurement:
    """Decode a Milesight EM310-UDL / EM400-UDL TLV frame (fPort 85, §5).

    Channels: ``01 75`` battery %; ``03 82`` (EM310) or ``04 82`` (EM400) distance,
    little-endian mm; ``03 67`` temperature, signed LE 0.1 °C; ``04 00`` (EM310) or
    ``05 00`` (EM400) position; ``06 88`` location + motion status; ``83 67``
    temperature abnormal; ``84 82`` distance alarm.  Parsing stops at an unknown
    channel, whose length cannot be known.

    :param frame: the application payload bytes.
    :returns: the measurement.
    :raises MalformedPayload: a channel is truncated.
    """
    values: dict[str, object] = {}
    i = 0
    while i + 2 <= len(frame):
        channel, kind = frame[i], frame[i + 1]
        i += 2
        size = _MILESIGHT_SIZES.get((channel, kind))
        if size is None:
            break
        if i + size > len(frame):
            raise MalformedPayload(
                f"Milesight channel {channel:02x} {kind:02x} cut short"
            )
        chunk = frame[i : i + size]
        i += size
        if kind == 0x75:
            values["battery"] = chunk[0]
        elif kind == 0x82:
            values["distance"] = int.from_bytes(chunk[:2], "little")
        elif kind == 0x67:
            values["temperature"] = (
                int.from_bytes(chunk[:2], "little", signed=True) / 10
            )
            if channel == 0x83:
                values["temperature_abnormal"] = chunk[2] != 0
        elif kind == 0x00:
            values["position"] = "tilt" if chunk[0] == 1 else "normal"
        elif kind == 0x88:
            values["geofence_status"] = "outside" if chunk[8] >> 4 == 1 else "inside"
    measurement = decode_milesight_fields(values)
    return _replace_decoder(measurement, "milesight-frame")


def decode_dragino_fields(fields: Mapping[str, object]) -> Measurement:
    """Normalise Dragino LDDS75 / LDDS20 / DDS75-LB decoder output (§5).

    Accepts both the ChirpStack v4 decoder's strings with units (``"3.3 V"``,
    ``"1200 mm"``, ``"0.00 °C"``) and the v1.1.4 JS decoder's numbers.
    ``Sensor_flag`` 0 or ``"No Sensor"`` mean no echo; ``"Invalid Reading"`` means
    the blind zone.

    :param fields: the decoded payload.
    :returns: the measurement.
    :raises MalformedPayload: a field has the wrong type or range.
    """
    fault: str | None = None
    distance_value = fields.get("Distance")
    distance_mm: int | None = None
    if isinstance(distance_value, str) and distance_value.strip().lower() in (
        "no sensor",
        "no sensor connected",
    ):
        fault = "no_echo"
    elif isinstance(distance_value, str) and "invalid" in distance_value.lower():
        fault = "blind_zone"
    elif distance_value is not None:
        distance_mm = _distance(
            _unit_number(distance_value, "Distance", ("mm", "")), "Distance", scale=1
        )
    flag = fields.get("Sensor_flag")
    if flag is not None and _int(flag, "Sensor_flag", lo=0, hi=255) == 0:
        fault = "no_echo"
    battery = fields.get("Bat")
    temperature = fields.get("TempC_DS18B20")
    temperature_c = (
        None
        if temperature is None
        else _temperature(
            _unit_number(temperature, "TempC_DS18B20", ("°C", "C", "")),
            "TempC_DS18B20",
        )
    )
    return Measurement(
        distance_mm=distance_mm,
        battery_v=None
        if battery is None
        else _number(_unit_number(battery, "Bat", ("V", "")), "Bat", lo=0, hi=10),
        # The optional DS18B20 probe reads exactly 0 when it is not fitted, and
        # 0 °C never happens in an Indonesian bin.
        temperature_c=None if temperature_c == 0 else temperature_c,
        sensor_fault=fault,
        decoder="dragino",
    )


def decode_dragino_frame(frame: bytes) -> Measurement:
    """Decode a Dragino LDDS75 / LDDS20 fPort 2 frame (8 bytes, big-endian, §5).

    ``[0-1]`` battery mV (mask 0x3FFF), ``[2-3]`` distance mm, ``[4]`` interrupt
    flag, ``[5-6]`` DS18B20 temperature 0.1 °C signed, ``[7]`` sensor flag.

    :param frame: the application payload bytes.
    :returns: the measurement.
    :raises MalformedPayload: the frame is not 8 bytes long.
    """
    if len(frame) != 8:
        raise MalformedPayload(f"Dragino frame must be 8 bytes, got {len(frame)}")
    battery_mv = int.from_bytes(frame[0:2], "big") & 0x3FFF
    distance_mm = int.from_bytes(frame[2:4], "big")
    temperature = int.from_bytes(frame[5:7], "big", signed=True) / 10
    measurement = decode_dragino_fields(
        {
            "Bat": battery_mv / 1000,
            "Distance": distance_mm,
            "TempC_DS18B20": temperature,
            "Sensor_flag": frame[7],
        }
    )
    return _replace_decoder(measurement, "dragino-frame")


def decode_tekelek_fields(fields: Mapping[str, object]) -> Measurement:
    """Normalise the community Tekelek TEK 766 decoder output (§5).

    ``ullage_cm`` (sensor to surface, cm) becomes mm; ``temp_C``; ``bat_pct``;
    ``src``/``srssi`` echo scores (0..15).  A zero score means no usable echo; the
    vendor's S27 validity limit is not public, so stricter limits are left out.

    :param fields: the decoded payload.
    :returns: the measurement.
    :raises MalformedPayload: a field has the wrong type or range.
    """
    src = fields.get("src")
    srssi = fields.get("srssi")
    weak = any(
        value is not None and _int(value, name, lo=0, hi=15) == 0
        for name, value in (("src", src), ("srssi", srssi))
    )
    return Measurement(
        distance_mm=_distance(fields.get("ullage_cm"), "ullage_cm", scale=10),
        battery_pct=_optional_number(fields.get("bat_pct"), "bat_pct", lo=0, hi=100),
        temperature_c=_temperature(fields.get("temp_C"), "temp_C"),
        sensor_fault="weak_echo" if weak else None,
        decoder="tekelek",
    )


def _decode_plain_fields(fields: Mapping[str, object]) -> Measurement:
    return Measurement(
        distance_mm=_distance(fields.get("distance_mm"), "distance_mm", scale=1),
        fill_pct=_optional_number(fields.get("fill_pct"), "fill_pct", lo=0, hi=100),
        battery_pct=_optional_number(
            fields.get("battery_pct"), "battery_pct", lo=0, hi=100
        ),
        temperature_c=_temperature(fields.get("temperature_c"), "temperature_c"),
        tilt=_optional_bool(fields.get("tilt"), "tilt"),
        decoder="plain",
    )


_MILESIGHT_SIZES: Final[Mapping[tuple[int, int], int]] = {
    (0x01, 0x75): 1,
    (0x03, 0x82): 2,
    (0x04, 0x82): 2,
    (0x03, 0x67): 2,
    (0x04, 0x00): 1,
    (0x05, 0x00): 1,
    (0x06, 0x88): 9,
    (0x83, 0x67): 3,
    (0x84, 0x82): 3,
}


# ------------------------------------------------------------------------- Modbus


def decode_registers(
    registers: Sequence[int],
    *,
    count: int,
    scale: float | Decimal | int,
    word_order: str,
    data_type: str | None = None,
    sentinels: Mapping[int, str] | None = None,
) -> int:
    """Decode 16-bit Modbus registers into a distance in mm (§7).

    Each register is big-endian on the wire; ``word_order`` says whether the first
    register holds the high word (``"big"``) or the low word (``"little"``), as in
    pymodbus ``convert_from_registers``.

    :param registers: register values, each 0..65535.
    :param count: number of registers, 1 or 2.
    :param scale: mm per register unit (1 for mm, 0.1 for 0.1 mm, 10 for cm); > 0.
    :param word_order: ``"big"`` or ``"little"``.
    :param data_type: ``uint16``/``int16`` (count 1) or ``uint32``/``int32``/
        ``float32`` (count 2); defaults to ``uint16`` for 1 register and
        ``float32`` for 2, the layout of the two-register sensors in §7.
    :param sentinels: raw integer values that mean a fault, value → quality slug;
        defaults to :data:`DEFAULT_SENTINELS` for ``uint16``.
    :returns: distance in whole mm, 0..100 000, rounded half up.
    :raises SensorFault: the raw value is a sentinel (``.fault`` holds the slug).
    :raises InvalidRegisters: bad configuration, register values, or a decoded
        value that is negative, not finite or beyond 100 m.
    """
    if count not in (1, 2):
        raise InvalidRegisters(f"count must be 1 or 2, got {count!r}")
    if word_order not in ("big", "little"):
        raise InvalidRegisters(
            f"word_order must be 'big' or 'little', got {word_order!r}"
        )
    kind = data_type or ("uint16" if count == 1 else "float32")
    if kind not in _REGISTER_TYPES or _REGISTER_TYPES[kind][0] != count:
        raise InvalidRegisters(f"data_type {kind!r} does not fit {count} register(s)")
    scale_dec = _scale(scale)
    if (
        not isinstance(registers, Sequence)
        or isinstance(registers, (str, bytes))
        or len(registers) != count
    ):
        raise InvalidRegisters(f"expected {count} register(s), got {registers!r:.80}")
    for value in registers:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= 0xFFFF
        ):
            raise InvalidRegisters(f"register value {value!r:.40} is not 0..65535")
    words = list(registers) if word_order == "big" else list(reversed(registers))
    raw = b"".join(word.to_bytes(2, "big") for word in words)
    (value,) = struct.unpack(">" + _REGISTER_TYPES[kind][1], raw)
    if sentinels is None:
        sentinels = DEFAULT_SENTINELS if kind == "uint16" else {}
    if isinstance(value, int) and value in sentinels:
        fault = sentinels[value]
        raise SensorFault(f"sensor reported {fault} (0x{value:04X})", fault=fault)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRegisters("register value is not a finite number")
    distance = (Decimal(value) * scale_dec).quantize(Decimal(1), ROUND_HALF_UP)
    if not 0 <= distance <= MAX_DISTANCE_MM:
        raise InvalidRegisters(f"decoded distance {distance} mm is out of range")
    return int(distance)


def modbus_reading(
    device_id: str,
    registers: Sequence[int],
    *,
    count: int,
    scale: float | Decimal | int,
    word_order: str,
    measured_at: datetime,
    received_at: datetime | None = None,
    data_type: str | None = None,
) -> Reading:
    """Build a :class:`Reading` from one Modbus poll.

    A fault sentinel gives a reading with ``sensor_fault`` set and no distance, so
    the fault is stored with its quality (§8.2) rather than dropped.

    :param device_id: the sensor record's id.
    :param registers: the registers read.
    :param count: see :func:`decode_registers`.
    :param scale: see :func:`decode_registers`.
    :param word_order: see :func:`decode_registers`.
    :param measured_at: timezone-aware time of the poll.
    :param received_at: timezone-aware receive time; defaults to ``measured_at``.
    :param data_type: see :func:`decode_registers`.
    :returns: the reading.
    :raises InvalidRegisters: see :func:`decode_registers`.
    """
    measured_at = _check_aware(measured_at)
    received = measured_at if received_at is None else _check_aware(received_at)
    device_id = _device_id(device_id, "device_id")
    try:
        distance_mm: int | None = decode_registers(
            registers,
            count=count,
            scale=scale,
            word_order=word_order,
            data_type=data_type,
        )
        fault: str | None = None
    except SensorFault as exc:
        distance_mm, fault = None, exc.fault
    return Reading(
        device_id=device_id,
        source_format=SourceFormat.MODBUS,
        measured_at=measured_at,
        received_at=received,
        dedup_key=f"{SourceFormat.MODBUS}:{device_id}:{measured_at.isoformat()}",
        distance_mm=distance_mm,
        sensor_fault=fault,
        decoder="modbus",
    )


_REGISTER_TYPES: Final[Mapping[str, tuple[int, str]]] = {
    "uint16": (1, "H"),
    "int16": (1, "h"),
    "uint32": (2, "I"),
    "int32": (2, "i"),
    "float32": (2, "f"),
}


def _scale(scale: object) -> Decimal:
    if isinstance(scale, bool) or not isinstance(scale, (int, float, Decimal)):
        raise InvalidRegisters(f"scale must be a number, got {scale!r:.40}")
    try:
        # str() first, so a float 0.1 scales by exactly one tenth.
        value = Decimal(str(scale))
    except InvalidOperation as exc:  # pragma: no cover - str of a number parses
        raise InvalidRegisters(f"scale {scale!r} is not a number") from exc
    if not value.is_finite() or value <= 0:
        raise InvalidRegisters(f"scale must be a positive finite number, got {scale!r}")
    return value


# ------------------------------------------------------------------------ helpers


def _fail(reason: str) -> NoReturn:
    raise MalformedPayload(reason)


def _reject_constant(name: str) -> NoReturn:
    _fail(f"JSON constant {name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _fail(f"number {text[:40]} is out of range")
    return value


def _load_json_object(payload: bytes) -> Mapping[str, object]:
    """Decode UTF-8 JSON defensively and return the top-level object."""
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        _fail("payload must be bytes")
    if len(payload) > MAX_PAYLOAD_BYTES:
        _fail(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        text = bytes(payload).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayload("payload is not UTF-8") from exc
    if _too_deep(text):
        _fail(f"JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        body = json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float
        )
    except RecursionError as exc:  # pragma: no cover - _too_deep catches it first
        raise MalformedPayload("JSON is nested too deeply") from exc
    except ValueError as exc:
        # JSONDecodeError, and int() refusing more than 4300 digits.
        raise MalformedPayload(f"payload is not valid JSON: {str(exc)[:120]}") from exc
    if not isinstance(body, dict):
        _fail("payload must be a JSON object")
    return body


def _too_deep(text: str) -> bool:
    """Tell whether brackets outside strings nest deeper than MAX_JSON_DEPTH.

    One pass over the special characters only; a regex that skips whole strings
    backtracks quadratically on unterminated strings full of escaped quotes.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    in_string = False
    escaped_at = -1
    for match in _JSON_SPECIAL_RE.finditer(text):
        at, char = match.start(), match.group()
        if at == escaped_at:
            continue
        if in_string:
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _mapping(
    value: object, field: str, *, required: bool = False
) -> Mapping[str, object]:
    if value is None:
        if required:
            _fail(f"{field} is missing")
        return {}
    if not isinstance(value, dict):
        _fail(f"{field} must be an object")
    return value


def _int(value: object, field: str, *, lo: int, hi: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(f"{field} must be an integer")
    if not lo <= value <= hi:
        _fail(f"{field} must be between {lo} and {hi}")
    return value


def _number(value: object, field: str, *, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(f"{field} must be a number")
    # Compare before converting: float() of a 4000-digit int overflows.
    if not lo <= value <= hi:
        _fail(f"{field} must be between {lo:g} and {hi:g}")
    result = float(value)
    if not math.isfinite(result):  # pragma: no cover - the range check catches it
        _fail(f"{field} must be finite")
    return result


def _optional_number(
    value: object, field: str, *, lo: float, hi: float
) -> float | None:
    return None if value is None else _number(value, field, lo=lo, hi=hi)


def _temperature(value: object, field: str) -> float | None:
    # Wide enough for a fire under the sensor, narrow enough to catch garbage.
    return _optional_number(value, field, lo=-60, hi=500)


def _distance(value: object, field: str, *, scale: int) -> int | None:
    if value is None:
        return None
    number = _number(value, field, lo=0, hi=MAX_DISTANCE_MM / scale)
    return round(number * scale)


def _unit_number(value: object, field: str, units: tuple[str, ...]) -> object:
    """Return a number as is, or the number inside a ``"1200 mm"`` string."""
    if not isinstance(value, str):
        return value
    match = _NUMBER_WITH_UNIT_RE.fullmatch(value) if len(value) <= 32 else None
    if match is None or match.group(2) not in units:
        _fail(f"{field} must be a number in {units[0] or 'plain units'}")
    return float(match.group(1))


def _optional_bool(value: object, field: str) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    _fail(f"{field} must be true or false")


def _tilt(value: object, field: str) -> bool | None:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("tilt", "tilted", "yes", "true", "open"):
            return True
        if lowered in ("normal", "no", "false", "closed"):
            return False
        _fail(f"{field} must be 'normal' or 'tilt'")
    return _optional_bool(value, field)


def _geofence_outside(value: object) -> bool:
    if value in ("outside", 1):
        return True
    if value in ("inside", "unset", "unknown", 0, 2, 3):
        return False
    _fail("geofence_status must be inside, outside, unset or unknown")


def _device_id(value: object, field: str) -> str:
    if not isinstance(value, str) or _DEVICE_ID_RE.fullmatch(value) is None:
        _fail(f"{field} must be 1-128 letters, digits or ._:@-")
    return value


def _dev_eui(value: object, field: str) -> str:
    if not isinstance(value, str) or _DEV_EUI_RE.fullmatch(value) is None:
        _fail(f"{field} must be 16 hex digits")
    return value.upper()


def _message_id(value: object, field: str) -> str:
    if not isinstance(value, str) or _MESSAGE_ID_RE.fullmatch(value) is None:
        _fail(f"{field} must be a printable ASCII id of at most 200 characters")
    return value


def _base64(value: object, field: str) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, str):
        _fail(f"{field} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedPayload(f"{field} is not valid base64") from exc


def _tts_dedup_key(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list):
        _fail("correlation_ids must be a list")
    for item in value:
        if isinstance(item, str) and item.startswith("as:up:"):
            return _message_id(item, "correlation_ids")
    return None


def _best_link(value: object, field: str) -> tuple[int | None, float | None]:
    """Best RSSI and best SNR over the gateways that heard the uplink (§4)."""
    if value is None:
        return None, None
    if not isinstance(value, list):
        _fail(f"{field} must be a list")
    rssi: list[int] = []
    snr: list[float] = []
    for entry in value:
        gateway = _mapping(entry, f"{field}[]", required=True)
        if gateway.get("rssi") is not None:
            rssi.append(_int(gateway["rssi"], f"{field}[].rssi", lo=-200, hi=50))
        if gateway.get("snr") is not None:
            snr.append(_number(gateway["snr"], f"{field}[].snr", lo=-50, hi=50))
    return (max(rssi) if rssi else None, max(snr) if snr else None)


def _measure(
    decoded: Mapping[str, object],
    frame: bytes,
    f_port: int,
    hint: str,
    *,
    prefer_frame: bool,
) -> Measurement:
    """Pick the decoded payload or our own frame decoder, whichever has a level."""
    if prefer_frame:
        from_frame = _decode_frame(frame, f_port, hint)
        if from_frame is not None and from_frame.has_measurement:
            return from_frame
    fields_error: MalformedPayload | None = None
    if decoded:
        try:
            from_fields = decode_fields(decoded)
        except MalformedPayload as exc:
            # A vendor decoder bug must not lose a reading our own decoder can read.
            fields_error, from_fields = exc, None
        if from_fields is not None and from_fields.has_measurement:
            return from_fields
    from_frame = _decode_frame(frame, f_port, hint)
    if from_frame is not None and from_frame.has_measurement:
        return from_frame
    if fields_error is not None:
        raise fields_error
    if f_port == 0:
        raise MissingMeasurement("uplink on port 0 carries MAC commands, no reading")
    raise MissingMeasurement("payload has no distance or fill level")


def _decode_frame(frame: bytes, f_port: int, hint: str) -> Measurement | None:
    # Port 0 carries MAC commands, never sensor data.
    if not frame or f_port == 0:
        return None
    if f_port == 85 or "milesight" in hint or "em310" in hint or "em400" in hint:
        return decode_milesight_frame(frame)
    if f_port == 2 and len(frame) == 8:
        return decode_dragino_frame(frame)
    return None


def _replace_decoder(measurement: Measurement, decoder: str) -> Measurement:
    return Measurement(
        distance_mm=measurement.distance_mm,
        fill_pct=measurement.fill_pct,
        battery_pct=measurement.battery_pct,
        battery_v=measurement.battery_v,
        temperature_c=measurement.temperature_c,
        tilt=measurement.tilt,
        fire_alarm=measurement.fire_alarm,
        moved=measurement.moved,
        sensor_fault=measurement.sensor_fault,
        decoder=decoder,
    )


def _build(
    measurement: Measurement,
    *,
    device_id: str,
    source_format: SourceFormat,
    measured_at: datetime,
    received_at: datetime,
    dedup_key: str,
    rssi_dbm: int | None = None,
    snr_db: float | None = None,
    dev_eui: str | None = None,
    f_cnt: int | None = None,
    f_port: int | None = None,
    frame: bytes = b"",
    bin_hint: str | None = None,
) -> Reading:
    if not measurement.has_measurement:
        raise MissingMeasurement("payload has no distance or fill level")
    return Reading(
        device_id=device_id,
        source_format=source_format,
        measured_at=measured_at,
        received_at=received_at,
        dedup_key=f"{source_format}:{dedup_key}",
        distance_mm=measurement.distance_mm,
        fill_pct=measurement.fill_pct,
        battery_pct=measurement.battery_pct,
        battery_v=measurement.battery_v,
        temperature_c=measurement.temperature_c,
        tilt=measurement.tilt,
        fire_alarm=measurement.fire_alarm,
        moved=measurement.moved,
        sensor_fault=measurement.sensor_fault,
        rssi_dbm=rssi_dbm,
        snr_db=snr_db,
        dev_eui=dev_eui,
        f_cnt=f_cnt,
        f_port=f_port,
        payload_b64=base64.b64encode(frame).decode("ascii") if frame else None,
        decoder=measurement.decoder,
        bin_hint=bin_hint,
    )


def _check_aware(value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive time is a programming error of the caller."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("received_at and measured_at must be timezone-aware")
    return value.astimezone(UTC)


def _check_plausible(measured_at: datetime, received_at: datetime) -> None:
    if measured_at > received_at + MAX_CLOCK_AHEAD:
        _fail(f"measured_at {measured_at.isoformat()} is in the future")
    if measured_at < received_at - MAX_READING_AGE:
        _fail(f"measured_at {measured_at.isoformat()} is implausibly old")
