"""Pure tests of fill maths, quality flags, emptying, forecasting and alerts (§8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry.exceptions import InvalidGeometry
from telemetry.fill import (
    AlertKind,
    AlertRules,
    FillPoint,
    FillRate,
    Mounting,
    QualityFlag,
    QualityStatus,
    Reliability,
    SensorGeometry,
    Severity,
    assess_bin,
    classify,
    cold_start_rate,
    detect_emptying,
    evaluate_alerts,
    fill_fraction,
    fill_pct,
    fill_rate_pct_per_day,
    filtered_fill,
    predict_full_at,
    projected_fill_pct,
)
from telemetry.readings import Reading, SourceFormat, parse_message

DATA = Path(__file__).resolve().parent.parent / "data" / "telemetry"
T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
LID = SensorGeometry(empty_distance_mm=1500, full_distance_mm=300)
WALL = replace(LID, mounting=Mounting.WALL)


def _reading(hours: float = 0, **fields: Any) -> Reading:
    at = T0 + timedelta(hours=hours)
    base = Reading(
        device_id="tps-cby-01",
        source_format=SourceFormat.JSON,
        measured_at=at,
        received_at=at,
        dedup_key=f"json:tps-cby-01:{at.isoformat()}",
    )
    return replace(base, **fields)


def _points(*fills: float, step_h: float = 6) -> list[FillPoint]:
    return [
        FillPoint(measured_at=T0 + timedelta(hours=i * step_h), fill_pct=fill)
        for i, fill in enumerate(fills)
    ]


# ---------------------------------------------------------------------- fill maths


def test_fill_follows_the_worked_example() -> None:
    """Empty 1500 mm, full 300 mm, measured 600 mm -> 75 %."""
    assert fill_pct(600, 1500, 300) == 75.0
    assert fill_fraction(600, 1500, 300) == 0.75


@pytest.mark.parametrize(
    ("distance_mm", "expected_pct"),
    [(1500, 0.0), (1700, 0.0), (300, 100.0), (100, 100.0), (1100, 33.3)],
)
def test_fill_is_clamped_and_rounded(distance_mm: int, expected_pct: float) -> None:
    assert fill_pct(distance_mm, 1500, 300) == expected_pct


@settings(max_examples=100, deadline=None)
@given(
    distance_mm=st.integers(0, 100_000),
    full_mm=st.integers(0, 5000),
    depth_mm=st.integers(1, 5000),
)
def test_fill_always_lies_between_empty_and_full(
    distance_mm: int, full_mm: int, depth_mm: int
) -> None:
    assert 0.0 <= fill_pct(distance_mm, full_mm + depth_mm, full_mm) <= 100.0


@pytest.mark.parametrize(("empty_mm", "full_mm"), [(300, 300), (300, 1500), (1500, -1)])
def test_geometry_with_full_not_below_empty_is_invalid(
    empty_mm: int, full_mm: int
) -> None:
    with pytest.raises(InvalidGeometry) as info:
        fill_pct(600, empty_mm, full_mm)
    assert info.value.code == "invalid_geometry"


def test_full_distance_inside_the_blind_zone_is_invalid() -> None:
    with pytest.raises(InvalidGeometry, match="blind zone"):
        SensorGeometry(empty_distance_mm=1500, full_distance_mm=200, blind_zone_mm=280)


# ------------------------------------------------------------------- quality flags


def test_good_reading_is_accepted_with_its_fill() -> None:
    quality = classify(_reading(distance_mm=600), [], LID)
    assert (quality.flag, quality.status, quality.fill_pct) == (
        QualityFlag.OK,
        QualityStatus.ACCEPTED,
        75.0,
    )
    assert quality.accepted


def test_tilt_on_a_lid_sensor_means_lid_open_and_is_rejected() -> None:
    """EM310 example: distance 2116 mm with ``position: tilt`` (reference §5)."""
    quality = classify(_reading(distance_mm=2116, tilt=True), [], LID)
    assert (quality.flag, quality.status, quality.fill_pct) == (
        QualityFlag.LID_OPEN,
        QualityStatus.REJECTED,
        None,
    )


def test_reference_em310_uplink_is_rejected_as_lid_open() -> None:
    """The §2 message stored as the §1 record: quality rejected, reason lid_open."""
    reading = parse_message(
        "v3/smartwaste-bandung@ttn/devices/eui-24e124713b123456/up",
        (DATA / "tts_v3_em310_udl.json").read_bytes(),
        received_at=datetime(2026, 11, 20, 1, 33, 36, tzinfo=UTC),
    )
    geometry = SensorGeometry(empty_distance_mm=2400, full_distance_mm=400)
    quality = classify(reading, [], geometry)
    assert (quality.status, quality.flag, quality.fill_pct) == (
        "rejected",
        "lid_open",
        None,
    )


def test_tilt_on_a_wall_sensor_means_tipped_and_is_suspicious() -> None:
    quality = classify(_reading(distance_mm=600, tilt=True), [], WALL)
    assert (quality.flag, quality.status, quality.fill_pct) == (
        QualityFlag.TILTED,
        QualityStatus.SUSPICIOUS,
        75.0,
    )


@pytest.mark.parametrize(
    ("fields", "flag", "status", "level"),
    [
        ({"distance_mm": 0}, QualityFlag.NO_ECHO, QualityStatus.REJECTED, None),
        (
            {"sensor_fault": "no_echo"},
            QualityFlag.NO_ECHO,
            QualityStatus.REJECTED,
            None,
        ),
        (
            {"sensor_fault": "interference"},
            QualityFlag.INTERFERENCE,
            QualityStatus.REJECTED,
            None,
        ),
        (
            {"distance_mm": 850, "sensor_fault": "weak_echo"},
            QualityFlag.WEAK_ECHO,
            QualityStatus.REJECTED,
            None,
        ),
        (
            {"sensor_fault": "blind_zone"},
            QualityFlag.BLIND_ZONE,
            QualityStatus.SUSPICIOUS,
            100.0,
        ),
        ({"distance_mm": 250}, QualityFlag.BLIND_ZONE, QualityStatus.SUSPICIOUS, 100.0),
        (
            {"distance_mm": 1700},
            QualityFlag.OUT_OF_RANGE,
            QualityStatus.REJECTED,
            None,
        ),
        ({"distance_mm": 1600}, QualityFlag.OK, QualityStatus.ACCEPTED, 0.0),
        ({"fill_pct": 42.25}, QualityFlag.OK, QualityStatus.ACCEPTED, 42.2),
    ],
)
def test_sensor_conditions_get_their_quality_flag(
    fields: dict[str, Any],
    flag: QualityFlag,
    status: QualityStatus,
    level: float | None,
) -> None:
    quality = classify(_reading(**fields), [], LID)
    assert (quality.flag, quality.status, quality.fill_pct) == (flag, status, level)


def test_sudden_unconfirmed_rise_is_a_spike() -> None:
    history = _points(40, 41, 42)
    quality = classify(_reading(hours=18.5, distance_mm=420), history, LID)  # 90 %
    assert (quality.flag, quality.status, quality.fill_pct) == (
        QualityFlag.SPIKE,
        QualityStatus.SUSPICIOUS,
        90.0,
    )


def test_rise_that_holds_on_the_next_reading_is_accepted() -> None:
    history = [
        *_points(40, 41, 42),
        FillPoint(T0 + timedelta(hours=19), 90.0, QualityFlag.SPIKE),
    ]
    quality = classify(_reading(hours=20, distance_mm=396), history, LID)  # 92 %
    assert quality.flag is QualityFlag.OK
    after = [*history, FillPoint(T0 + timedelta(hours=20), 92.0)]
    assert classify(_reading(hours=21, distance_mm=384), after, LID).accepted


def test_large_drop_is_not_a_spike_because_it_may_be_an_emptying() -> None:
    quality = classify(_reading(hours=19, distance_mm=1450), _points(85, 88, 90), LID)
    assert quality.flag is QualityFlag.OK


def test_spike_check_ignores_later_and_rejected_history() -> None:
    history = [
        *_points(40, 41),
        FillPoint(T0 + timedelta(hours=13), 10.0, QualityFlag.OUT_OF_RANGE),
        FillPoint(T0 + timedelta(days=3), 95.0),
    ]
    assert classify(_reading(hours=14, distance_mm=420), history, LID).flag is (
        QualityFlag.SPIKE
    )


# ----------------------------------------------------------------------- emptying


def test_drop_that_holds_on_two_readings_is_an_emptying() -> None:
    points = _points(60, 70, 80, 85, 5, 6, 8)
    (event,) = detect_emptying(points)
    assert event.emptied_at == points[4].measured_at
    assert event.confirmed_at == points[5].measured_at
    assert (event.fill_before_pct, event.fill_after_pct) == (80.0, 5.0)


def test_drop_that_returns_to_the_old_level_is_noise() -> None:
    assert detect_emptying(_points(80, 82, 85, 20, 86, 87)) == []


def test_drop_not_yet_confirmed_is_not_an_emptying() -> None:
    assert detect_emptying(_points(80, 82, 85, 5)) == []


def test_drop_to_below_ten_percent_counts_even_when_small() -> None:
    (event,) = detect_emptying(_points(20, 22, 25, 4, 5))
    assert event.fill_before_pct == 22.0


def test_small_wobble_near_empty_is_not_an_emptying() -> None:
    assert detect_emptying(_points(10, 11, 12, 8, 7)) == []


def test_emptying_detection_sorts_readings_and_skips_bad_ones() -> None:
    points = _points(50, 60, 70, 75, 3, 4)
    points.insert(2, FillPoint(T0 + timedelta(hours=13), 0.0, QualityFlag.LID_OPEN))
    (event,) = detect_emptying(list(reversed(points)))
    assert event.emptied_at == T0 + timedelta(hours=24)


def test_two_collections_in_a_row_are_both_found() -> None:
    events = detect_emptying(_points(70, 80, 2, 3, 30, 50, 70, 4, 5, 9))
    assert [e.fill_before_pct for e in events] == [75.0, 50.0]


# ------------------------------------------------------------------ rate, forecast


def test_filtered_level_is_the_median_of_the_last_three() -> None:
    level = filtered_fill(_points(10, 20, 90, 22, 24))
    assert level == FillPoint(T0 + timedelta(hours=24), 24.0)


def test_filtered_level_starts_again_after_an_emptying() -> None:
    points = _points(80, 85, 90, 5)
    level = filtered_fill(points, since=points[3].measured_at)
    assert level is not None
    assert level.fill_pct == 5.0


def test_fill_rate_is_robust_to_an_outlier() -> None:
    fills = [10.0 + 2.5 * i for i in range(17)]  # 2.5 % every 6 h = 10 %/day
    fills[8] = 95.0
    rate = fill_rate_pct_per_day(_points(*fills), since=T0)
    assert rate is not None
    assert rate.pct_per_day == 10.0
    assert (rate.reliability, rate.points, rate.span) == (
        Reliability.HIGH,
        17,
        timedelta(days=4),
    )


@pytest.mark.parametrize(
    ("count", "step_h", "since", "reliability"),
    [
        (3, 12, T0, Reliability.LOW),
        (5, 3, T0, Reliability.LOW),
        (5, 12, T0, Reliability.MEDIUM),
        (9, 12, T0, Reliability.HIGH),
        (9, 12, None, Reliability.LOW),
    ],
)
def test_fill_rate_reliability_grows_with_data(
    count: int, step_h: float, since: datetime | None, reliability: Reliability
) -> None:
    rate = fill_rate_pct_per_day(
        _points(*[5.0 * i for i in range(count)], step_h=step_h), since=since
    )
    assert rate is not None
    assert rate.reliability is reliability


def test_fill_rate_needs_two_points_at_different_times() -> None:
    assert fill_rate_pct_per_day(_points(10), since=T0) is None
    same_time = [FillPoint(T0, 10.0), FillPoint(T0, 12.0)]
    assert fill_rate_pct_per_day(same_time, since=T0) is None


def test_fill_rate_uses_only_the_current_cycle() -> None:
    points = _points(80, 90, 5, 10, 15)
    rate = fill_rate_pct_per_day(points, since=points[2].measured_at)
    assert rate is not None
    assert rate.pct_per_day == 20.0


def test_full_at_is_when_the_rate_reaches_the_threshold() -> None:
    rate = FillRate(10.0, Reliability.MEDIUM, 6, timedelta(days=2))
    forecast = predict_full_at(FillPoint(T0, 50.0), rate, threshold_pct=80)
    assert forecast is not None
    assert forecast.full_at == T0 + timedelta(days=3)
    assert forecast.reliability is Reliability.MEDIUM


def test_bin_already_at_threshold_is_full_now() -> None:
    rate = FillRate(10.0, Reliability.LOW, 2, timedelta(hours=6))
    forecast = predict_full_at(FillPoint(T0, 85.0), rate, threshold_pct=80)
    assert forecast is not None
    assert forecast.full_at == T0


@pytest.mark.parametrize("pct_per_day", [0.0, -3.0, 0.01])
def test_bin_not_filling_within_a_year_has_no_full_time(pct_per_day: float) -> None:
    rate = FillRate(pct_per_day, Reliability.HIGH, 10, timedelta(days=5))
    forecast = predict_full_at(FillPoint(T0, 20.0), rate, threshold_pct=80)
    assert forecast is not None
    assert forecast.full_at is None


def test_no_rate_means_no_forecast() -> None:
    assert predict_full_at(FillPoint(T0, 20.0), None, threshold_pct=80) is None


def test_projection_adds_the_daily_rate_and_clamps() -> None:
    rate = FillRate(12.0, Reliability.MEDIUM, 6, timedelta(days=2))
    level = FillPoint(T0, 40.0)
    assert projected_fill_pct(level, rate, T0 + timedelta(hours=36)) == 58.0
    assert projected_fill_pct(level, rate, T0 + timedelta(days=30)) == 100.0
    assert projected_fill_pct(level, rate, T0 - timedelta(days=1)) == 40.0


def test_cold_start_borrows_the_mean_of_similar_bins_with_low_reliability() -> None:
    rates = [
        FillRate(10.0, Reliability.HIGH, 9, timedelta(days=4)),
        FillRate(20.0, Reliability.MEDIUM, 5, timedelta(days=2)),
    ]
    rate = cold_start_rate(rates)
    assert rate is not None
    assert (rate.pct_per_day, rate.reliability) == (15.0, Reliability.LOW)
    assert cold_start_rate([]) is None


def test_assessment_combines_emptying_level_rate_and_forecast() -> None:
    points = _points(60, 70, 80, 5, 10, 15, 20)
    assessment = assess_bin(points, threshold_pct=80)
    assert assessment.last_emptied_at == points[3].measured_at
    assert assessment.level == FillPoint(points[-1].measured_at, 15.0)
    assert assessment.rate is not None
    assert assessment.rate.pct_per_day == 20.0
    assert assessment.forecast is not None
    assert assessment.forecast.full_at == points[-1].measured_at + timedelta(days=3.25)


def test_a_reported_collection_starts_a_new_cycle() -> None:
    """One reading after a crew's collection is the level; without the report the
    two full readings before it would outvote it (the median of 70, 80 and 3)."""
    points = _points(60, 70, 80, 3)
    collected_at = points[2].measured_at + timedelta(hours=1)

    unaware = assess_bin(points, threshold_pct=80)
    assert unaware.level is not None and unaware.level.fill_pct == 70.0

    assessment = assess_bin(points, threshold_pct=80, collected_at=collected_at)
    assert assessment.level == FillPoint(points[3].measured_at, 3.0)
    # One reading is no rate yet: the bin fills as fast as in the cycle before.
    assert assessment.rate is not None and assessment.rate.pct_per_day == 40.0
    assert assessment.forecast is not None


def test_no_reading_after_a_collection_is_no_level_and_the_last_cycles_rate() -> None:
    points = _points(60, 70, 80)
    assessment = assess_bin(
        points,
        threshold_pct=80,
        collected_at=points[-1].measured_at + timedelta(minutes=5),
    )
    assert assessment.level is None
    assert assessment.forecast is None
    assert assessment.rate is not None and assessment.rate.pct_per_day == 40.0


def test_a_report_just_after_a_detected_emptying_keeps_the_full_cycles_rate() -> None:
    # Filling at 40 %/day, emptied (5, 10 confirm it), reported a little after the 5.
    points = _points(60, 70, 80, 5, 10)
    collected_at = points[3].measured_at + timedelta(minutes=10)
    assessment = assess_bin(points, threshold_pct=80, collected_at=collected_at)
    assert assessment.last_emptied_at == points[3].measured_at
    assert assessment.level == FillPoint(points[4].measured_at, 10.0)
    # One reading since the report: not the two-point "cycle" 5 -> report, but 60-80.
    assert assessment.rate is not None and assessment.rate.pct_per_day == 40.0


def test_assessment_of_a_new_bin_uses_similar_bins() -> None:
    similar = [FillRate(8.0, Reliability.HIGH, 9, timedelta(days=4))]
    assessment = assess_bin(_points(30), threshold_pct=80, similar_rates=similar)
    assert assessment.rate is not None
    assert (assessment.rate.pct_per_day, assessment.rate.reliability) == (
        8.0,
        Reliability.LOW,
    )
    assert assessment.last_emptied_at is None


# ------------------------------------------------------------------------- alerts

NOW = T0 + timedelta(hours=10)


def _alerts(readings: list[Reading], **options: Any) -> list[AlertKind]:
    arguments: dict[str, Any] = {
        "level_pct": 40.0,
        "threshold_pct": 80.0,
        "geometry": LID,
        "report_interval": timedelta(hours=1),
        "now": NOW,
        **options,
    }
    return [a.kind for a in evaluate_alerts(readings, **arguments)]


def test_healthy_bin_has_no_alerts() -> None:
    assert _alerts([_reading(hours=9.5, distance_mm=900, battery_pct=80)]) == []


def test_bin_at_its_threshold_is_full() -> None:
    assert _alerts([_reading(hours=9.5)], level_pct=80.0) == [AlertKind.BIN_FULL]


@pytest.mark.parametrize(
    "fields", [{"temperature_c": 72.0}, {"fire_alarm": True, "temperature_c": 35.0}]
)
def test_heat_or_fire_alarm_raises_a_critical_fire_alert(
    fields: dict[str, Any],
) -> None:
    (alert,) = evaluate_alerts(
        [_reading(hours=9.5, **fields)],
        level_pct=None,
        threshold_pct=80,
        geometry=LID,
        report_interval=timedelta(hours=1),
        now=NOW,
    )
    assert (alert.kind, alert.severity) == (AlertKind.FIRE, Severity.CRITICAL)


def test_repeated_blind_zone_readings_mean_overflow() -> None:
    """Blind-zone readings never move the level, so the alert must catch them."""
    readings = [
        _reading(hours=9, distance_mm=250),
        _reading(hours=9.5, distance_mm=120),
    ]
    (alert,) = evaluate_alerts(
        readings,
        level_pct=70.0,
        threshold_pct=80,
        geometry=LID,
        report_interval=timedelta(hours=1),
        now=NOW,
    )
    assert (alert.kind, alert.since) == (AlertKind.OVERFLOW, T0 + timedelta(hours=9))
    assert _alerts(readings[1:]) == []
    assert _alerts([_reading(hours=9, distance_mm=900), readings[1]]) == []


def test_tilted_wall_sensor_means_the_container_tipped() -> None:
    readings = [_reading(hours=9, tilt=False), _reading(hours=9.5, tilt=True)]
    assert _alerts(readings, geometry=WALL) == [AlertKind.TILTED]


def test_lid_open_alerts_only_after_the_timeout() -> None:
    brief = [_reading(hours=9, tilt=False), _reading(hours=9.9, tilt=True)]
    assert _alerts(brief) == []
    long = [_reading(hours=9, tilt=True), _reading(hours=9.9, tilt=True)]
    assert _alerts(long) == [AlertKind.LID_OPEN]


def test_sensor_outside_its_geofence_means_moved() -> None:
    assert _alerts([_reading(hours=9.5, moved=True)]) == [AlertKind.MOVED]


@pytest.mark.parametrize("fields", [{"battery_pct": 15.0}, {"battery_v": 3.1}])
def test_low_battery_in_percent_or_volts(fields: dict[str, Any]) -> None:
    assert _alerts([_reading(hours=9.5, **fields)]) == [AlertKind.LOW_BATTERY]


def test_latest_battery_report_wins() -> None:
    readings = [
        _reading(hours=8, battery_pct=10.0),
        _reading(hours=9, battery_pct=95.0),
    ]
    assert _alerts(readings) == []


def test_repeated_missing_echo_is_a_sensor_fault() -> None:
    faulty = [
        _reading(hours=7, distance_mm=0),
        _reading(hours=8, sensor_fault="interference"),
        _reading(hours=9, sensor_fault="no_echo"),
    ]
    assert _alerts(faulty) == [AlertKind.SENSOR_FAULT]
    assert _alerts([*faulty[:2], _reading(hours=9, distance_mm=900)]) == []
    assert _alerts(faulty[1:]) == []


def test_sensor_silent_for_three_intervals_alerts() -> None:
    assert _alerts([_reading(hours=6.9)]) == [AlertKind.SENSOR_SILENT]
    assert _alerts([_reading(hours=7.1)]) == []
    rules = AlertRules(silent_after_intervals=2)
    assert _alerts([_reading(hours=7.1)], rules=rules) == [AlertKind.SENSOR_SILENT]


def test_sensor_that_never_reported_is_silent() -> None:
    assert _alerts([], level_pct=None) == [AlertKind.SENSOR_SILENT]


def test_alerts_come_most_severe_first() -> None:
    readings = [_reading(hours=2, temperature_c=80.0, battery_pct=5.0)]
    assert _alerts(readings, level_pct=95.0) == [
        AlertKind.FIRE,
        AlertKind.BIN_FULL,
        AlertKind.SENSOR_SILENT,
        AlertKind.LOW_BATTERY,
    ]


def test_alert_evaluation_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _alerts([], now=datetime(2026, 11, 20, 10, 0))
