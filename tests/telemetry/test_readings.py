"""Pure tests of message parsing, model decoders and Modbus register decoding."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telemetry.exceptions import (
    InvalidRegisters,
    MalformedPayload,
    MissingMeasurement,
    SensorFault,
    TelemetryError,
    UnknownTopic,
)
from telemetry.readings import (
    MAX_PAYLOAD_BYTES,
    Reading,
    SourceFormat,
    decode_dragino_frame,
    decode_fields,
    decode_milesight_frame,
    decode_registers,
    decode_tekelek_fields,
    modbus_reading,
    parse_message,
    parse_timestamp,
    topic_filters,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "telemetry"
TTS_TOPIC = "v3/smartwaste-bandung@ttn/devices/eui-24e124713b123456/up"
CS_TOPIC = (
    "application/6f1b9c2e-7a44-4d0b-8e3f-5b2a9d1c4e77/device/a84041000181c061/event/up"
)
JSON_TOPIC = "wastebank/sensors/tps-cby-01/reading"
RECEIVED_AT = datetime(2026, 11, 20, 1, 50, tzinfo=UTC)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def _load_list(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def _tts() -> dict[str, Any]:
    return _load("tts_v3_em310_udl.json")


def _chirpstack() -> dict[str, Any]:
    return _load("chirpstack_v4_ldds75.json")


def _parse(topic: str, body: object, received_at: datetime = RECEIVED_AT) -> Reading:
    return parse_message(topic, json.dumps(body).encode(), received_at=received_at)


def test_topic_filters_cover_the_three_uplink_formats() -> None:
    assert topic_filters() == (
        "v3/+/devices/+/up",
        "application/+/device/+/event/up",
        "wastebank/sensors/+/reading",
    )


# --------------------------------------------------------------- The Things Stack


def test_tts_uplink_is_parsed_into_the_internal_format() -> None:
    reading = parse_message(
        TTS_TOPIC,
        (DATA / "tts_v3_em310_udl.json").read_bytes(),
        received_at=RECEIVED_AT,
    )
    assert reading == Reading(
        device_id="eui-24e124713b123456",
        source_format=SourceFormat.TTN_V3,
        # network-server time, nanoseconds truncated to microseconds
        measured_at=datetime(2026, 11, 20, 1, 33, 35, 641841, tzinfo=UTC),
        received_at=RECEIVED_AT,
        dedup_key="ttn-v3:as:up:01H0S7ZJQ9MQPMVY49FT3SE07M",
        distance_mm=2116,
        battery_pct=92.0,
        tilt=True,
        rssi_dbm=-97,
        snr_db=6.2,
        dev_eui="24E124713B123456",
        f_cnt=10335,
        f_port=85,
        payload_b64="AXVcA4JECAQAAQ==",
        decoder="milesight",
    )


def test_tts_topic_without_tenant_is_accepted() -> None:
    topic = "v3/smartwaste-bandung/devices/eui-24e124713b123456/up"
    assert _parse(topic, _tts()).distance_mm == 2116


def test_tts_omitted_frame_counter_means_zero() -> None:
    body = _tts()
    del body["uplink_message"]["f_cnt"]
    reading = _parse(TTS_TOPIC, body)
    assert reading.f_cnt == 0
    assert reading.dedup_key == "ttn-v3:as:up:01H0S7ZJQ9MQPMVY49FT3SE07M"


def test_tts_uplink_without_formatter_is_decoded_from_the_frame() -> None:
    body = _tts()
    del body["uplink_message"]["decoded_payload"]
    reading = _parse(TTS_TOPIC, body)
    assert (reading.distance_mm, reading.battery_pct, reading.tilt) == (2116, 92, True)
    assert reading.decoder == "milesight-frame"


def test_tts_port_zero_uplink_has_no_measurement() -> None:
    body = _tts()
    uplink = body["uplink_message"]
    for key in ("f_port", "frm_payload", "decoded_payload"):
        del uplink[key]
    with pytest.raises(MissingMeasurement, match="port 0"):
        _parse(TTS_TOPIC, body)


def test_tts_port_zero_frame_is_mac_commands_not_a_reading() -> None:
    body = _tts()
    uplink = body["uplink_message"]
    del uplink["f_port"], uplink["decoded_payload"]
    with pytest.raises(MissingMeasurement, match="port 0"):
        _parse(TTS_TOPIC, body)


def test_tts_without_uplink_correlation_id_falls_back_to_eui_counter_and_second() -> (
    None
):
    body = _tts()
    body["correlation_ids"] = ["gs:uplink:01H0S7ZJGS6D9TJSKJN8XNTMAV"]
    reading = _parse(TTS_TOPIC, body)
    assert (
        reading.dedup_key == "ttn-v3:24E124713B123456:10335:2026-11-20T01:33:35+00:00"
    )


def test_tts_redelivery_has_the_same_identity() -> None:
    first = _parse(TTS_TOPIC, _tts())
    again = _parse(TTS_TOPIC, _tts(), received_at=RECEIVED_AT + timedelta(minutes=3))
    assert (again.device_id, again.measured_at, again.dedup_key) == (
        first.device_id,
        first.measured_at,
        first.dedup_key,
    )


def test_tts_keeps_the_best_link_over_all_gateways() -> None:
    body = _tts()
    gateway = body["uplink_message"]["rx_metadata"][0]
    body["uplink_message"]["rx_metadata"].append({**gateway, "rssi": -88, "snr": -3.5})
    reading = _parse(TTS_TOPIC, body)
    assert (reading.rssi_dbm, reading.snr_db) == (-88, 6.2)


def test_tts_dragino_uplink_ignores_the_broken_repository_codec() -> None:
    """TTN's ldds75.js reads the battery word as the distance (reference §5)."""
    body = _tts()
    uplink = body["uplink_message"]
    uplink.update(
        f_port=2,
        frm_payload="DOQEsAAAAAE=",
        decoded_payload={"distance": 3300, "battery": 1.2},
        version_ids={"brand_id": "dragino", "model_id": "ldds75"},
    )
    reading = _parse(TTS_TOPIC, body)
    assert (reading.distance_mm, reading.battery_v) == (1200, 3.3)


def test_tts_device_id_must_match_the_topic() -> None:
    body = _tts()
    body["end_device_ids"]["device_id"] = "someone-else"
    with pytest.raises(MalformedPayload, match="does not match"):
        _parse(TTS_TOPIC, body)


@pytest.mark.parametrize("part", ["end_device_ids", "uplink_message"])
def test_tts_without_an_envelope_part_is_malformed(part: str) -> None:
    body = _tts()
    del body[part]
    with pytest.raises(MalformedPayload, match=part):
        _parse(TTS_TOPIC, body)


def test_tts_without_any_time_uses_the_receive_time() -> None:
    body = _tts()
    del body["uplink_message"]["received_at"]
    del body["received_at"]
    assert _parse(TTS_TOPIC, body).measured_at == RECEIVED_AT


# ---------------------------------------------------------------------- ChirpStack


def test_chirpstack_uplink_is_parsed_into_the_internal_format() -> None:
    reading = parse_message(
        CS_TOPIC,
        (DATA / "chirpstack_v4_ldds75.json").read_bytes(),
        received_at=RECEIVED_AT,
    )
    assert reading.device_id == "A84041000181C061"
    assert reading.dev_eui == "A84041000181C061"
    assert reading.source_format is SourceFormat.CHIRPSTACK_V4
    assert reading.measured_at == datetime(2026, 11, 20, 1, 47, 5, 404859, tzinfo=UTC)
    assert reading.dedup_key == "chirpstack-v4:57433366-50a6-4dc2-8145-2df1bbc70d9e"
    assert (reading.distance_mm, reading.battery_v) == (1200, 3.3)
    assert reading.temperature_c is None  # 0.00 °C = no DS18B20 probe fitted
    assert reading.sensor_fault is None
    assert (reading.rssi_dbm, reading.snr_db) == (-101, 4.5)
    assert (reading.f_cnt, reading.f_port) == (4, 2)
    assert reading.bin_hint == "BDG-CBY-002"


def test_chirpstack_omitted_defaults_are_zero_and_false() -> None:
    body = _chirpstack()
    for key in ("fCnt", "adr", "dr"):
        del body[key]
    reading = _parse(CS_TOPIC, body)
    assert reading.f_cnt == 0
    assert reading.distance_mm == 1200


def test_chirpstack_uplink_without_codec_is_decoded_from_the_frame() -> None:
    body = _chirpstack()
    del body["object"]
    body["deviceInfo"]["deviceProfileName"] = "ultrasonic"
    reading = _parse(CS_TOPIC, body)
    assert (reading.distance_mm, reading.decoder) == (1200, "dragino-frame")


def test_chirpstack_numeric_dragino_decoder_output_is_accepted() -> None:
    body = _chirpstack()
    del body["data"]
    body["object"] = {"Bat": 3.312, "Distance": 845, "TempC_DS18B20": 31.4}
    reading = _parse(CS_TOPIC, body)
    assert (reading.distance_mm, reading.battery_v, reading.temperature_c) == (
        845,
        3.312,
        31.4,
    )


def test_chirpstack_dragino_without_probe_reports_no_echo() -> None:
    body = _chirpstack()
    del body["data"]
    body["object"]["Sensor_flag"] = 0
    assert _parse(CS_TOPIC, body).sensor_fault == "no_echo"


def test_chirpstack_dragino_invalid_reading_is_the_blind_zone() -> None:
    body = _chirpstack()
    del body["data"]
    body["object"]["Distance"] = "Invalid Reading"
    reading = _parse(CS_TOPIC, body)
    assert (reading.distance_mm, reading.sensor_fault) == (None, "blind_zone")


def test_chirpstack_dev_eui_must_match_the_topic() -> None:
    body = _chirpstack()
    body["deviceInfo"]["devEui"] = "a840410001810000"
    with pytest.raises(MalformedPayload, match="does not match"):
        _parse(CS_TOPIC, body)


def test_chirpstack_without_dedup_id_falls_back_to_eui_counter_and_second() -> None:
    body = _chirpstack()
    del body["deduplicationId"]
    assert (
        _parse(CS_TOPIC, body).dedup_key
        == "chirpstack-v4:A84041000181C061:4:2026-11-20T01:47:05+00:00"
    )


def test_chirpstack_without_object_or_data_has_no_measurement() -> None:
    body = _chirpstack()
    del body["object"], body["data"]
    with pytest.raises(MissingMeasurement):
        _parse(CS_TOPIC, body)


def test_chirpstack_broken_codec_output_without_frame_is_malformed() -> None:
    body = _chirpstack()
    body["object"]["Distance"] = {"value": 1200}
    del body["data"]
    with pytest.raises(MalformedPayload, match="Distance"):
        _parse(CS_TOPIC, body)


def test_chirpstack_broken_codec_output_falls_back_to_the_frame() -> None:
    body = _chirpstack()
    body["object"]["Distance"] = "far away"
    body["deviceInfo"]["deviceProfileName"] = "ultrasonic"
    assert _parse(CS_TOPIC, body).distance_mm == 1200


# ----------------------------------------------------------------------- plain JSON


def test_plain_json_reading_is_parsed() -> None:
    reading = parse_message(
        JSON_TOPIC,
        (DATA / "plain_json_reading.json").read_bytes(),
        received_at=RECEIVED_AT,
    )
    assert reading == Reading(
        device_id="tps-cby-01",
        source_format=SourceFormat.JSON,
        measured_at=datetime(2026, 11, 19, 19, 0, tzinfo=UTC),
        received_at=RECEIVED_AT,
        dedup_key="json:tps-cby-01:2026-11-19T19:00:00+00:00",
        distance_mm=600,
        battery_pct=87.0,
        temperature_c=31.5,
        tilt=False,
        decoder="plain",
    )


def test_plain_json_without_time_is_measured_when_received() -> None:
    reading = _parse(JSON_TOPIC, {"fill_pct": 42.5})
    assert (reading.measured_at, reading.fill_pct, reading.distance_mm) == (
        RECEIVED_AT,
        42.5,
        None,
    )


def test_receive_time_in_another_zone_is_stored_in_utc() -> None:
    jakarta = timezone(timedelta(hours=7))
    reading = _parse(JSON_TOPIC, {"distance_mm": 600}, RECEIVED_AT.astimezone(jakarta))
    assert reading.measured_at.utcoffset() == timedelta(0)
    assert reading.received_at.utcoffset() == timedelta(0)
    assert reading.dedup_key == "json:tps-cby-01:2026-11-20T01:50:00+00:00"


def test_plain_json_without_distance_or_fill_is_missing_a_measurement() -> None:
    with pytest.raises(MissingMeasurement) as info:
        _parse(JSON_TOPIC, {"battery_pct": 80})
    assert info.value.code == "missing_measurement"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"distance_mm": "600"}, "distance_mm"),
        ({"distance_mm": True}, "distance_mm"),
        ({"distance_mm": -1}, "distance_mm"),
        ({"distance_mm": 10**400}, "distance_mm"),
        ({"fill_pct": 101}, "fill_pct"),
        ({"distance_mm": 600, "battery_pct": 150}, "battery_pct"),
        ({"distance_mm": 600, "temperature_c": [1]}, "temperature_c"),
        ({"distance_mm": 600, "tilt": "maybe"}, "tilt"),
        ({"distance_mm": 600, "measured_at": 1763600000}, "measured_at"),
        ({"distance_mm": 600, "measured_at": "2026-11-20T01:00:00"}, "measured_at"),
        ({"distance_mm": 600, "measured_at": "2026-02-30T01:00:00Z"}, "measured_at"),
        ({"distance_mm": 600, "measured_at": "2027-01-01T00:00:00Z"}, "measured_at"),
        ({"distance_mm": 600, "measured_at": "1970-01-01T00:00:00Z"}, "measured_at"),
    ],
)
def test_plain_json_with_bad_values_is_malformed(
    body: dict[str, object], field: str
) -> None:
    with pytest.raises(MalformedPayload, match=field) as info:
        _parse(JSON_TOPIC, body)
    assert info.value.code == "malformed_payload"


# -------------------------------------------------------------------------- topics


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "v3/app/devices/dev/join",
        "v3/app/devices/dev/up/extra",
        "application/x/device/a84041000181c061/event/status",
        "wastebank/sensors/dev/status",
        "something/else",
    ],
)
def test_unknown_topics_are_rejected(topic: str) -> None:
    with pytest.raises(UnknownTopic) as info:
        parse_message(topic, b"{}", received_at=RECEIVED_AT)
    assert info.value.code == "unknown_topic"


@pytest.mark.parametrize(
    "topic",
    [
        "application/x/device/not-an-eui/event/up",
        "wastebank/sensors/bad id/reading",
        "wastebank/sensors//reading",
    ],
)
def test_bad_device_ids_in_topics_are_malformed(topic: str) -> None:
    with pytest.raises(MalformedPayload):
        parse_message(topic, b'{"distance_mm": 600}', received_at=RECEIVED_AT)


def test_naive_receive_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_message(JSON_TOPIC, b'{"fill_pct": 1}', received_at=datetime(2026, 1, 1))


# ------------------------------------------------------------------- hostile input


def _deep(levels: int, opener: str, closer: str) -> bytes:
    return (opener * levels + closer * levels).encode()


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b'{"distance_mm": 600, "x": "\xc3\x28"}',
        b"[1, 2, 3]",
        b'"just a string"',
        b"null",
        b'{"distance_mm": NaN}',
        b'{"distance_mm": Infinity}',
        b'{"distance_mm": -Infinity}',
        b'{"distance_mm": 1e999}',
        b'{"distance_mm": ' + b"9" * 5000 + b"}",
        b'{"distance_mm": 600',
        _deep(10_000, "[", "]"),
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"distance_mm": 600, "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}',
    ],
)
@pytest.mark.parametrize("topic", [TTS_TOPIC, CS_TOPIC, JSON_TOPIC])
def test_hostile_payloads_are_malformed(topic: str, payload: bytes) -> None:
    with pytest.raises(MalformedPayload):
        parse_message(topic, payload, received_at=RECEIVED_AT)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    note = '\\"' + "[" * 5000 + '\\\\"'
    reading = _parse(JSON_TOPIC, {"distance_mm": 600, "note": note, "x": [[[1]]]})
    assert reading.distance_mm == 600


def test_unterminated_string_of_escaped_quotes_is_malformed() -> None:
    """A regex skipping strings would backtrack quadratically on this."""
    payload = b"[" * 40 + b'"' + b'\\"' * 30_000
    with pytest.raises(MalformedPayload):
        parse_message(JSON_TOPIC, payload, received_at=RECEIVED_AT)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("end_device_ids",), []),
        (("end_device_ids", "dev_eui"), "xyz"),
        (("correlation_ids",), 5),
        (("uplink_message",), "up"),
        (("uplink_message", "f_cnt"), -1),
        (("uplink_message", "f_cnt"), 1.5),
        (("uplink_message", "f_cnt"), True),
        (("uplink_message", "f_port"), 256),
        (("uplink_message", "frm_payload"), "!!not base64!!"),
        (("uplink_message", "frm_payload"), 42),
        (("uplink_message", "decoded_payload"), [1, 2]),
        (("uplink_message", "rx_metadata"), "gateway"),
        (("uplink_message", "rx_metadata", 0), None),
        (("uplink_message", "rx_metadata", 0, "rssi"), "-97"),
        (("uplink_message", "received_at"), "yesterday"),
        (("uplink_message", "received_at"), "9999-12-31T23:59:59-23:59"),
    ],
)
def test_tts_envelope_with_wrong_types_is_malformed(
    path: tuple[str | int, ...], value: object
) -> None:
    body = _tts()
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(MalformedPayload):
        _parse(TTS_TOPIC, body)


def _paths(value: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(body: Any, path: tuple[Any, ...], value: object) -> Any:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def _outcome(topic: str, payload: bytes) -> Reading | TelemetryError:
    """Parse, returning the TelemetryError instead of raising it; others propagate."""
    try:
        return parse_message(topic, payload, received_at=RECEIVED_AT)
    except TelemetryError as exc:
        return exc


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_MESSAGES = [
    (TTS_TOPIC, _tts(), _paths(_tts())),
    (CS_TOPIC, _chirpstack(), _paths(_chirpstack())),
    (
        JSON_TOPIC,
        _load("plain_json_reading.json"),
        _paths(_load("plain_json_reading.json")),
    ),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=st.sampled_from(_MESSAGES),
    choice=st.integers(min_value=0, max_value=10_000),
    value=_JSON_VALUES,
)
def test_any_field_replaced_by_any_json_raises_only_telemetry_errors(
    message: tuple[str, dict[str, Any], list[tuple[Any, ...]]],
    choice: int,
    value: object,
) -> None:
    topic, body, paths = message
    mutated = _replace(body, paths[choice % len(paths)], value)
    outcome = _outcome(topic, json.dumps(mutated).encode())
    if isinstance(outcome, TelemetryError):
        assert outcome.code != "telemetry_error"
        assert outcome.reason
    else:
        assert outcome.measured_at.tzinfo is not None


@settings(max_examples=150, deadline=None)
@given(
    topic=st.sampled_from([TTS_TOPIC, CS_TOPIC, JSON_TOPIC, "x/y"]),
    payload=st.binary(max_size=300)
    | _JSON_VALUES.map(lambda v: json.dumps(v).encode()),
)
def test_arbitrary_bytes_raise_only_telemetry_errors(
    topic: str, payload: bytes
) -> None:
    outcome = _outcome(topic, payload)
    if isinstance(outcome, TelemetryError):
        assert outcome.reason
    else:
        assert outcome.distance_mm is not None or outcome.fill_pct is not None


# ------------------------------------------------------------------ model decoders


def test_em310_frame_matches_the_vendor_example() -> None:
    measurement = decode_milesight_frame(base64.b64decode("AXVcA4JECAQAAQ=="))
    assert (measurement.battery_pct, measurement.distance_mm, measurement.tilt) == (
        92,
        2116,
        True,
    )


@pytest.mark.parametrize("example", _load_list("em400_udl_decoded.json"))
def test_em400_frames_match_the_vendor_examples(example: dict[str, Any]) -> None:
    from_frame = decode_milesight_frame(bytes.fromhex(example["frame_hex"]))
    from_fields = decode_fields(example["decoded"])
    assert from_fields is not None
    assert from_frame.distance_mm == from_fields.distance_mm
    assert from_frame.temperature_c == from_fields.temperature_c
    assert from_frame.tilt == from_fields.tilt
    assert from_frame.fire_alarm == from_fields.fire_alarm


def test_em400_location_outside_the_geofence_means_moved() -> None:
    frame = bytes.fromhex("0688") + bytes(8) + bytes([0x12]) + bytes.fromhex("04826400")
    measurement = decode_milesight_frame(frame)
    assert (measurement.moved, measurement.distance_mm) == (True, 100)


def test_milesight_frame_cut_short_is_malformed() -> None:
    with pytest.raises(MalformedPayload, match="cut short"):
        decode_milesight_frame(bytes.fromhex("01755c0382"))


def test_milesight_frame_stops_at_an_unknown_channel() -> None:
    measurement = decode_milesight_frame(bytes.fromhex("03824408ff0b01ffee"))
    assert measurement.distance_mm == 2116


def test_ttn_codec_tilt_key_is_accepted_like_position() -> None:
    measurement = decode_fields({"battery": 90, "distance": 800, "tilt": "normal"})
    assert measurement is not None
    assert measurement.tilt is False


def test_dragino_frame_matches_the_vendor_example() -> None:
    measurement = decode_dragino_frame(bytes.fromhex("0CE404B000000001"))
    assert (measurement.battery_v, measurement.distance_mm) == (3.3, 1200)
    assert (measurement.temperature_c, measurement.sensor_fault) == (None, None)


def test_dragino_frame_reads_a_negative_probe_temperature() -> None:
    measurement = decode_dragino_frame(bytes.fromhex("0CE404B000FFF601"))
    assert measurement.temperature_c == -1.0


def test_dragino_frame_of_the_wrong_length_is_malformed() -> None:
    with pytest.raises(MalformedPayload, match="8 bytes"):
        decode_dragino_frame(bytes(7))


def test_tekelek_ullage_in_cm_becomes_mm() -> None:
    measurement = decode_tekelek_fields(
        {"ullage_cm": 85, "temp_C": 29, "src": 9, "srssi": 11, "bat_pct": 70}
    )
    assert (measurement.distance_mm, measurement.temperature_c) == (850, 29)
    assert (measurement.battery_pct, measurement.sensor_fault) == (70, None)


def test_tekelek_zero_echo_score_is_a_weak_echo() -> None:
    measurement = decode_tekelek_fields({"ullage_cm": 85, "src": 0, "srssi": 5})
    assert measurement.sensor_fault == "weak_echo"


def test_unrecognised_decoded_payload_gives_no_measurement() -> None:
    assert decode_fields({"humidity": 40}) is None


# ------------------------------------------------------------------------- Modbus


@pytest.mark.parametrize(
    "dump", _load_list("modbus_registers.json"), ids=lambda dump: dump["sensor"]
)
def test_register_dumps_decode_to_their_distance(dump: dict[str, Any]) -> None:
    distance_mm = decode_registers(
        dump["registers"],
        count=dump["count"],
        scale=dump["scale"],
        word_order=dump["word_order"],
    )
    assert distance_mm == dump["distance_mm"]


def test_register_order_matches_the_raw_reply_frame() -> None:
    (dump,) = [d for d in _load_list("modbus_registers.json") if "reply_hex" in d]
    reply = bytes.fromhex(dump["reply_hex"])
    data = reply[3 : 3 + reply[2]]  # unit id, function code, byte count, data, CRC
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    assert words == dump["registers"]


def test_dyp_processed_distance_register_decodes_to_mm() -> None:
    """``01 03 02 02 F2 38 A1`` = 754 mm (reference §7)."""
    assert decode_registers([0x02F2], count=1, scale=1, word_order="big") == 754


@pytest.mark.parametrize(
    ("value", "scale", "expected_mm"),
    [(7543, 0.1, 754), (7545, 0.1, 755), (75, 10, 750), (1803, 1, 1803)],
)
def test_register_scale_converts_to_whole_mm(
    value: int, scale: float, expected_mm: int
) -> None:
    assert decode_registers([value], count=1, scale=scale, word_order="big") == (
        expected_mm
    )


@pytest.mark.parametrize(
    ("value", "fault"), [(0xFFFE, "interference"), (0xFFFD, "no_echo")]
)
def test_register_sentinels_are_sensor_faults(value: int, fault: str) -> None:
    with pytest.raises(SensorFault) as info:
        decode_registers([value], count=1, scale=1, word_order="big")
    assert info.value.fault == fault


def test_float32_over_two_registers_honours_word_order() -> None:
    # 1234.5 as float32 is 0x449A5000
    assert (
        decode_registers([0x449A, 0x5000], count=2, scale=1, word_order="big") == 1235
    )
    assert decode_registers(
        [0x5000, 0x449A], count=2, scale=1, word_order="little"
    ) == (1235)


def test_uint32_over_two_registers() -> None:
    registers = [0x0001, 0x0002]
    assert (
        decode_registers(
            registers, count=2, scale=0.1, word_order="big", data_type="uint32"
        )
        == 6554
    )


@settings(max_examples=60, deadline=None)
@given(
    registers=st.lists(st.integers(0, 0xFFFF), min_size=2, max_size=2),
    word_order=st.sampled_from(["big", "little"]),
)
def test_register_decoding_agrees_with_pymodbus(
    registers: list[int], word_order: str
) -> None:
    from pymodbus.client import ModbusTcpClient

    expected = ModbusTcpClient.convert_from_registers(
        registers,
        data_type=ModbusTcpClient.DATATYPE.UINT32,
        word_order="big" if word_order == "big" else "little",
    )
    assert isinstance(expected, int)
    scale = 0.001  # keeps every uint32 inside the plausible range
    try:
        decoded = decode_registers(
            registers, count=2, scale=scale, word_order=word_order, data_type="uint32"
        )
    except InvalidRegisters:
        assert expected * scale > 100_000
    else:
        assert abs(decoded - expected * scale) <= 0.5 + 1e-9


@pytest.mark.parametrize(
    ("registers", "options"),
    [
        ([754, 1], {"count": 1}),
        ([], {"count": 1}),
        ([70000], {"count": 1}),
        ([-1], {"count": 1}),
        ([True], {"count": 1}),
        ([754], {"count": 3}),
        ([754], {"count": 1, "word_order": "middle"}),
        ([754], {"count": 1, "scale": 0}),
        ([754], {"count": 1, "scale": float("nan")}),
        ([754], {"count": 1, "data_type": "float32"}),
        ([0xFF38], {"count": 1, "data_type": "int16"}),
        ([0x7FC0, 0x0000], {"count": 2}),
        ([0x7F80, 0x0000], {"count": 2}),
        ([0xFFFF, 0xFFFF], {"count": 2, "data_type": "uint32"}),
    ],
)
def test_invalid_registers_are_rejected(
    registers: list[Any], options: dict[str, Any]
) -> None:
    arguments: dict[str, Any] = {"scale": 1, "word_order": "big", **options}
    with pytest.raises(InvalidRegisters):
        decode_registers(registers, **arguments)


def test_modbus_reading_keeps_a_fault_as_a_reading() -> None:
    reading = modbus_reading(
        "gw1:5", [0xFFFD], count=1, scale=1, word_order="big", measured_at=RECEIVED_AT
    )
    assert (reading.distance_mm, reading.sensor_fault) == (None, "no_echo")
    assert reading.dedup_key == "modbus:gw1:5:2026-11-20T01:50:00+00:00"


def test_modbus_reading_carries_the_distance() -> None:
    reading = modbus_reading(
        "gw1:5", [754], count=1, scale=1, word_order="big", measured_at=RECEIVED_AT
    )
    assert (reading.distance_mm, reading.source_format) == (754, SourceFormat.MODBUS)


# ---------------------------------------------------------------------- timestamps


def test_timestamps_are_truncated_to_microseconds_and_made_utc() -> None:
    parsed = parse_timestamp("2026-11-20T08:33:35.641841782+07:00")
    assert parsed == datetime(2026, 11, 20, 1, 33, 35, 641841, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)
