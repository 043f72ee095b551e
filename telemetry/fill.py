"""Turn readings into fill levels, quality flags, emptyings, forecasts and alerts.

Pure core: standard library only, dataclasses in and out.  Section numbers refer to
``reference/telemetry-formats.md`` §8.  Fill levels are percentages (0..100) as
floats rounded to 0.1, because they are continuous physical measures; distances are
whole millimetres.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from telemetry.exceptions import InvalidGeometry
from telemetry.readings import Reading

__all__ = [
    "Alert",
    "AlertKind",
    "AlertRules",
    "BinAssessment",
    "EmptyingEvent",
    "FillPoint",
    "FillRate",
    "Forecast",
    "Mounting",
    "Quality",
    "QualityFlag",
    "QualityStatus",
    "Reliability",
    "SensorGeometry",
    "Severity",
    "assess_bin",
    "classify",
    "cold_start_rate",
    "detect_emptying",
    "evaluate_alerts",
    "fill_fraction",
    "fill_pct",
    "fill_rate_pct_per_day",
    "filtered_fill",
    "predict_full_at",
    "projected_fill_pct",
]

#: A reading more than this far beyond the empty distance hit something other than
#: the bin floor (lid open, bin moved), as a fraction of the empty distance.
OUT_OF_RANGE_FRACTION: Final = 0.10
#: A rise above the recent median bigger than this, unconfirmed, is a spike (§8.2:
#: bag edge, insect, condensation).  Only rises: large drops are emptyings.
SPIKE_RISE_PCT: Final = 25.0
#: The next reading within this of a spike confirms the jump as real.
SPIKE_CONFIRM_PCT: Final = 10.0
#: Median window of the filtered level (§8.2: "median of the last 3-5").
FILTER_WINDOW: Final = 3
#: Emptying: a drop of at least this many points (§8.3) ...
EMPTYING_DROP_PCT: Final = 30.0
#: ... or a drop to at most this level (§8.3: "below about 10 %") ...
EMPTY_LEVEL_PCT: Final = 10.0
#: ... by at least this much, so that 12 % → 8 % noise is not a pickup.
MIN_EMPTYING_DROP_PCT: Final = 10.0
#: Theil-Sen is O(n²) in points; a cycle rarely has more.
MAX_RATE_POINTS: Final = 200
#: Forecasts further out than this are "not in the foreseeable future".
MAX_FORECAST_DAYS: Final = 365.0

_DAY_S: Final = 86_400.0

_ReadingTest = Callable[[Reading], bool]


class Mounting(StrEnum):
    """Where the sensor is fixed: its tilt means lid open or container tipped."""

    LID = "lid"
    WALL = "wall"


class QualityFlag(StrEnum):
    """Why a reading is or is not trusted (the ``quality_reason`` slug of §1)."""

    OK = "ok"
    LID_OPEN = "lid_open"
    TILTED = "tilted"
    NO_ECHO = "no_echo"
    INTERFERENCE = "interference"
    WEAK_ECHO = "weak_echo"
    BLIND_ZONE = "blind_zone"
    OUT_OF_RANGE = "out_of_range"
    SPIKE = "spike"


class QualityStatus(StrEnum):
    """LwM2M 6042 in spirit: only ``accepted`` readings move the bin's level."""

    ACCEPTED = "accepted"
    SUSPICIOUS = "suspicious"
    REJECTED = "rejected"


class Reliability(StrEnum):
    """Reliability label of a fill rate or forecast (Bintel's ``low|medium|high``)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class SensorGeometry:
    """Per-installation calibration of a distance sensor (§8.1).

    :param empty_distance_mm: sensor to bin floor with the bin empty, mm.
    :param full_distance_mm: distance counted as 100 %, mm; at least the blind zone.
    :param mounting: lid- or wall-mounted.
    :param blind_zone_mm: the sensor's minimum range, mm (280 for the LDDS75).
    :raises InvalidGeometry: unless ``0 <= blind_zone <= full < empty``.
    """

    empty_distance_mm: int
    full_distance_mm: int
    mounting: Mounting = Mounting.LID
    blind_zone_mm: int = 0

    def __post_init__(self) -> None:
        """Refuse a calibration that cannot give a fill level."""
        _check_geometry(self.empty_distance_mm, self.full_distance_mm)
        if not 0 <= self.blind_zone_mm <= self.full_distance_mm:
            raise InvalidGeometry(
                f"full distance {self.full_distance_mm} mm is inside the "
                f"{self.blind_zone_mm} mm blind zone"
            )


@dataclass(frozen=True)
class Quality:
    """The verdict on one reading.

    :param flag: the reason slug.
    :param status: accepted, suspicious or rejected.
    :param fill_pct: the derived fill level 0..100, ``None`` when rejected.
    """

    flag: QualityFlag
    status: QualityStatus
    fill_pct: float | None

    @property
    def accepted(self) -> bool:
        """Whether the reading may move the bin's level."""
        return self.status is QualityStatus.ACCEPTED


@dataclass(frozen=True)
class FillPoint:
    """A stored reading's fill level, as the history functions need it.

    :param measured_at: timezone-aware time of the reading.
    :param fill_pct: fill level 0..100.
    :param flag: the reading's quality flag; history functions use ``OK`` points.
    """

    measured_at: datetime
    fill_pct: float
    flag: QualityFlag = QualityFlag.OK


@dataclass(frozen=True)
class EmptyingEvent:
    """A collection detected from the fill level (§8.3).

    :param emptied_at: time of the first low reading (``dateLastEmptying``).
    :param confirmed_at: time of the second low reading that made it hold.
    :param fill_before_pct: filtered level before the drop.
    :param fill_after_pct: level of the first low reading.
    """

    emptied_at: datetime
    confirmed_at: datetime
    fill_before_pct: float
    fill_after_pct: float


@dataclass(frozen=True)
class FillRate:
    """Fill speed in the current cycle (LwM2M 3435 res. 8).

    :param pct_per_day: percentage points per day; may be ≤ 0 (compaction, noise).
    :param reliability: low, medium or high.
    :param points: number of readings used.
    :param span: time between the first and last reading used.
    """

    pct_per_day: float
    reliability: Reliability
    points: int
    span: timedelta


@dataclass(frozen=True)
class Forecast:
    """When the bin reaches its threshold (LwM2M 3435 res. 10).

    :param full_at: when the threshold is reached, ``None`` if not within a year.
    :param threshold_pct: the threshold forecast for, 0..100.
    :param rate_pct_per_day: the rate used.
    :param reliability: the rate's reliability.
    """

    full_at: datetime | None
    threshold_pct: float
    rate_pct_per_day: float
    reliability: Reliability


@dataclass(frozen=True)
class BinAssessment:
    """Everything the history of one bin says, for the service to store.

    :param level: the filtered current level, ``None`` without accepted readings.
    :param emptyings: detected emptyings, oldest first.
    :param rate: fill rate of the current cycle, ``None`` when unknown.
    :param forecast: threshold forecast, ``None`` without level or rate.
    """

    level: FillPoint | None
    emptyings: tuple[EmptyingEvent, ...]
    rate: FillRate | None
    forecast: Forecast | None

    @property
    def last_emptied_at(self) -> datetime | None:
        """Time of the latest detected emptying."""
        return self.emptyings[-1].emptied_at if self.emptyings else None


class AlertKind(StrEnum):
    """Alert slugs; the FIWARE status they map to is in brackets (§6)."""

    BIN_FULL = "bin_full"
    OVERFLOW = "overflow"  # blind-zone readings: overflowing, or sensor blocked
    FIRE = "fire"  # burning
    TILTED = "tilted"  # dropped
    LID_OPEN = "lid_open"  # lidOpen
    MOVED = "moved"  # moved
    LOW_BATTERY = "low_battery"
    SENSOR_FAULT = "sensor_fault"
    SENSOR_SILENT = "sensor_silent"  # unknown


class Severity(StrEnum):
    """How urgently a person should look at an alert."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Alert:
    """One active alert on a bin.

    :param kind: what is wrong.
    :param severity: how urgent it is.
    :param message: a human-readable sentence.
    :param since: when the condition started, when known.
    """

    kind: AlertKind
    severity: Severity
    message: str
    since: datetime | None = None


@dataclass(frozen=True)
class AlertRules:
    """Alert thresholds; the defaults are starting points to tune per deployment.

    :param fire_temperature_c: temperature at or above which a fire is assumed.
        Sun-heated containers run hot, so this sits well above ambient.
    :param low_battery_pct: battery percentage at or below which to warn.
    :param low_battery_v: battery voltage at or below which to warn (sensors that
        report volts; 3.6 V lithium cells sag below ~3.2 V near the end).
    :param lid_open_after: how long a lid may stay open before an alert (§6).
    :param silent_after_intervals: report intervals without data before the
        sensor counts as silent (§8.2: "N x report interval").
    :param fault_after_readings: consecutive no-echo / interference / weak-echo
        readings before the sensor counts as faulty (§8.2).
    :param overflow_after_readings: consecutive readings closer than the full
        distance before the bin counts as overflowing or the sensor as blocked.
    """

    fire_temperature_c: float = 60.0
    low_battery_pct: float = 20.0
    low_battery_v: float = 3.2
    lid_open_after: timedelta = timedelta(minutes=30)
    silent_after_intervals: float = 3.0
    fault_after_readings: int = 3
    overflow_after_readings: int = 2


# ---------------------------------------------------------------------- fill maths


def fill_fraction(
    distance_mm: int, empty_distance_mm: int, full_distance_mm: int
) -> float:
    """Return the fill fraction 0..1 of a measured distance (§8.1, FIWARE).

    ``clamp((empty - d) / (empty - full), 0, 1)``, rounded to 4 decimals.

    :param distance_mm: measured sensor-to-surface distance, mm.
    :param empty_distance_mm: distance with the bin empty, mm.
    :param full_distance_mm: distance counted as full, mm; less than empty.
    :returns: fill fraction 0.0..1.0.
    :raises InvalidGeometry: ``full_distance_mm`` is not below ``empty_distance_mm``.
    """
    _check_geometry(empty_distance_mm, full_distance_mm)
    fraction = (empty_distance_mm - distance_mm) / (
        empty_distance_mm - full_distance_mm
    )
    return round(min(1.0, max(0.0, fraction)), 4)


def fill_pct(distance_mm: int, empty_distance_mm: int, full_distance_mm: int) -> float:
    """Return the fill level in percent of a measured distance (§8.1).

    ``(empty - d) / (empty - full) x 100`` clamped to 0..100 and rounded to 0.1;
    e.g. empty 1500 mm, full 300 mm, measured 600 mm → 75.0.

    :param distance_mm: measured sensor-to-surface distance, mm.
    :param empty_distance_mm: distance with the bin empty, mm.
    :param full_distance_mm: distance counted as full, mm; less than empty.
    :returns: fill level 0.0..100.0 %.
    :raises InvalidGeometry: ``full_distance_mm`` is not below ``empty_distance_mm``.
    """
    _check_geometry(empty_distance_mm, full_distance_mm)
    pct = (
        (empty_distance_mm - distance_mm) * 100 / (empty_distance_mm - full_distance_mm)
    )
    return round(min(100.0, max(0.0, pct)), 1)


def classify(
    reading: Reading, previous: Sequence[FillPoint], geometry: SensorGeometry
) -> Quality:
    """Flag one reading's quality and derive its fill level (§8.2).

    In order: a tilted lid-mounted sensor means the lid is open (rejected: the
    distance is not the waste level); a fault the sensor reported; distance 0 (no
    echo, rejected); closer than the full distance (blind zone or overflowing,
    suspicious at 100 %); beyond the empty distance by more than 10 % (out of range,
    rejected); a tipped wall-mounted sensor (suspicious).  Last, a rise of more than
    25 points over the median of the last three ``OK`` points is a spike
    (suspicious) unless the latest earlier ``OK`` or ``SPIKE`` reading is within 10
    points of this one, which confirms the jump.

    :param reading: the reading to judge.
    :param previous: earlier fill points of the same sensor, any order; ``OK`` and
        ``SPIKE`` points are used, later ones ignored.
    :param geometry: the sensor's calibration.
    :returns: the flag, status and fill level.
    """
    flag: QualityFlag | None = None
    level: float | None = None
    if reading.tilt and geometry.mounting is Mounting.LID:
        flag = QualityFlag.LID_OPEN
    elif reading.sensor_fault is not None:
        flag = _FAULT_FLAGS.get(reading.sensor_fault, QualityFlag.NO_ECHO)
        if flag is QualityFlag.BLIND_ZONE:
            level = 100.0
    elif reading.distance_mm is not None:
        distance_mm = reading.distance_mm
        limit_mm = geometry.empty_distance_mm * (1 + OUT_OF_RANGE_FRACTION)
        if distance_mm == 0:
            flag = QualityFlag.NO_ECHO
        elif distance_mm < geometry.full_distance_mm:
            flag, level = QualityFlag.BLIND_ZONE, 100.0
        elif distance_mm > limit_mm:
            flag = QualityFlag.OUT_OF_RANGE
        else:
            level = fill_pct(
                distance_mm, geometry.empty_distance_mm, geometry.full_distance_mm
            )
    elif reading.fill_pct is not None:
        level = round(min(100.0, max(0.0, reading.fill_pct)), 1)
    else:
        flag = QualityFlag.NO_ECHO

    if flag is None and reading.tilt:
        flag = QualityFlag.TILTED
    if flag is None and level is not None and _is_spike(level, reading, previous):
        flag = QualityFlag.SPIKE
    flag = flag or QualityFlag.OK
    status = _FLAG_STATUS[flag]
    return Quality(
        flag=flag,
        status=status,
        fill_pct=None if status is QualityStatus.REJECTED else level,
    )


_FAULT_FLAGS: Final = {
    "no_echo": QualityFlag.NO_ECHO,
    "interference": QualityFlag.INTERFERENCE,
    "weak_echo": QualityFlag.WEAK_ECHO,
    "blind_zone": QualityFlag.BLIND_ZONE,
}

_FLAG_STATUS: Final = {
    QualityFlag.OK: QualityStatus.ACCEPTED,
    QualityFlag.LID_OPEN: QualityStatus.REJECTED,
    QualityFlag.TILTED: QualityStatus.SUSPICIOUS,
    QualityFlag.NO_ECHO: QualityStatus.REJECTED,
    QualityFlag.INTERFERENCE: QualityStatus.REJECTED,
    QualityFlag.WEAK_ECHO: QualityStatus.REJECTED,
    QualityFlag.BLIND_ZONE: QualityStatus.SUSPICIOUS,
    QualityFlag.OUT_OF_RANGE: QualityStatus.REJECTED,
    QualityFlag.SPIKE: QualityStatus.SUSPICIOUS,
}


def _is_spike(level: float, reading: Reading, previous: Sequence[FillPoint]) -> bool:
    history = sorted(
        (
            p
            for p in previous
            if p.measured_at < reading.measured_at
            and p.flag in (QualityFlag.OK, QualityFlag.SPIKE)
        ),
        key=lambda p: p.measured_at,
    )
    recent_ok = [p.fill_pct for p in history if p.flag is QualityFlag.OK][
        -FILTER_WINDOW:
    ]
    # One earlier point cannot tell a spike from the earlier point being wrong.
    if len(recent_ok) < 2 or level - statistics.median(recent_ok) <= SPIKE_RISE_PCT:
        return False
    # The latest earlier reading at about this level (a spike itself, or the
    # first accepted one after it) confirms a real jump, e.g. a cart tipped in.
    return abs(level - history[-1].fill_pct) > SPIKE_CONFIRM_PCT


# ------------------------------------------------------------------------ history


def filtered_fill(
    points: Sequence[FillPoint], *, since: datetime | None = None
) -> FillPoint | None:
    """Return the filtered level: the median of the last three ``OK`` points (§8.2).

    :param points: fill points of one bin, any order.
    :param since: ignore points before this time (pass the last emptying, so the
        median does not mix two cycles).
    :returns: the median level, timed at the latest point used; ``None`` if no
        ``OK`` point qualifies.
    """
    usable = _ok_points(points, since)[-FILTER_WINDOW:]
    if not usable:
        return None
    level = round(statistics.median(p.fill_pct for p in usable), 1)
    return FillPoint(measured_at=usable[-1].measured_at, fill_pct=level)


def detect_emptying(points: Sequence[FillPoint]) -> list[EmptyingEvent]:
    """Find collections in a bin's fill history (§8.3).

    A reading is a candidate when it lies at least 30 points below the filtered level
    before it (median of up to three earlier ``OK`` points of the same cycle), or at
    or below 10 % and at least 10 points below.  It is an emptying when the next
    ``OK`` reading is a candidate against the same level too (the drop holds); a
    return to the old level was noise, such as an open lid.

    :param points: fill points of one bin, any order; only ``OK`` points count.
    :returns: the emptyings, oldest first.
    """
    ok = _ok_points(points, None)
    events: list[EmptyingEvent] = []
    cycle_start = 0
    i = 1
    while i < len(ok) - 1:
        window = [p.fill_pct for p in ok[max(cycle_start, i - FILTER_WINDOW) : i]]
        before = statistics.median(window)
        if _is_drop(before, ok[i].fill_pct) and _is_drop(before, ok[i + 1].fill_pct):
            events.append(
                EmptyingEvent(
                    emptied_at=ok[i].measured_at,
                    confirmed_at=ok[i + 1].measured_at,
                    fill_before_pct=round(before, 1),
                    fill_after_pct=ok[i].fill_pct,
                )
            )
            cycle_start = i
            i += 2
        else:
            i += 1
    return events


def _is_drop(before_pct: float, after_pct: float) -> bool:
    drop = before_pct - after_pct
    return drop >= EMPTYING_DROP_PCT or (
        after_pct <= EMPTY_LEVEL_PCT and drop >= MIN_EMPTYING_DROP_PCT
    )


def fill_rate_pct_per_day(
    points: Sequence[FillPoint], *, since: datetime | None = None
) -> FillRate | None:
    """Estimate the fill speed of the current cycle with Theil-Sen (§8.4).

    The slope is the median of the slopes between all pairs of ``OK`` points at or
    after ``since`` (at most the latest 200), which ignores a few outliers.
    Reliability is ``low`` with fewer than 4 points, less than a day of data, or no
    known emptying (``since`` is ``None``: not one full cycle seen yet); ``high``
    with at least 8 points over at least 3 days; ``medium`` otherwise.

    :param points: fill points of one bin, any order.
    :param since: the last emptying; points before it belong to older cycles.
    :returns: the rate in percentage points per day, ``None`` with fewer than two
        points at distinct times.
    """
    usable = _ok_points(points, since)[-MAX_RATE_POINTS:]
    slopes = [
        (b.fill_pct - a.fill_pct) * _DAY_S / dt_s
        for i, a in enumerate(usable)
        for b in usable[i + 1 :]
        if (dt_s := (b.measured_at - a.measured_at).total_seconds()) > 0
    ]
    if not slopes:
        return None
    span = usable[-1].measured_at - usable[0].measured_at
    if since is None or len(usable) < 4 or span < timedelta(days=1):
        reliability = Reliability.LOW
    elif len(usable) >= 8 and span >= timedelta(days=3):
        reliability = Reliability.HIGH
    else:
        reliability = Reliability.MEDIUM
    return FillRate(
        pct_per_day=round(statistics.median(slopes), 2),
        reliability=reliability,
        points=len(usable),
        span=span,
    )


def cold_start_rate(rates: Sequence[FillRate]) -> FillRate | None:
    """Borrow the mean rate of similar bins for a bin without a cycle (§8.4).

    :param rates: rates of bins of the same model, isle or area.
    :returns: their mean with reliability ``low``, ``None`` if there are none.
    """
    if not rates:
        return None
    return FillRate(
        pct_per_day=round(statistics.fmean(r.pct_per_day for r in rates), 2),
        reliability=Reliability.LOW,
        points=0,
        span=timedelta(0),
    )


def projected_fill_pct(level: FillPoint, rate: FillRate, at: datetime) -> float:
    """Project the level linearly to a later time, clamped to 0..100 (§8.5).

    :param level: the current (filtered) level.
    :param rate: the fill rate.
    :param at: timezone-aware time to project to; earlier times give the level.
    :returns: projected fill level 0.0..100.0 %.
    """
    days = max(0.0, (at - level.measured_at).total_seconds() / _DAY_S)
    return round(min(100.0, max(0.0, level.fill_pct + rate.pct_per_day * days)), 1)


def predict_full_at(
    level: FillPoint, rate: FillRate | None, *, threshold_pct: float
) -> Forecast | None:
    """Predict when the bin reaches its threshold (§8.4).

    :param level: the current (filtered) level.
    :param rate: the fill rate, e.g. from :func:`fill_rate_pct_per_day`.
    :param threshold_pct: the bin's threshold, 0..100 %.
    :returns: the forecast: ``full_at`` is ``level.measured_at`` when the level is
        already at the threshold, ``None`` when the rate is not positive or the
        threshold is more than a year away; ``None`` overall without a rate.
    """
    if rate is None:
        return None
    full_at: datetime | None = None
    if level.fill_pct >= threshold_pct:
        full_at = level.measured_at
    elif rate.pct_per_day > 0:
        days = (threshold_pct - level.fill_pct) / rate.pct_per_day
        if days <= MAX_FORECAST_DAYS:
            full_at = level.measured_at + timedelta(days=days)
    return Forecast(
        full_at=full_at,
        threshold_pct=threshold_pct,
        rate_pct_per_day=rate.pct_per_day,
        reliability=rate.reliability,
    )


def assess_bin(
    points: Sequence[FillPoint],
    *,
    threshold_pct: float,
    similar_rates: Sequence[FillRate] = (),
    collected_at: datetime | None = None,
) -> BinAssessment:
    """Run emptying detection, filtering, rate and forecast over one bin's history.

    :param points: the bin's fill points, any order and quality.
    :param threshold_pct: the bin's threshold, 0..100 %.
    :param similar_rates: rates of similar bins, used until this bin has a rate.
    :param collected_at: when a crew last reported emptying the bin, if ever: a known
        emptying, so readings from before it no longer count for the level (one
        reading after a collection would otherwise be outvoted by the two full
        readings before it, and the bin would show full again).
    :returns: the assessment; ``level`` is ``None`` when no accepted reading is
        newer than the last emptying (detected or reported).
    """
    emptyings = tuple(detect_emptying(points))
    cycle_starts = sorted(
        {e.emptied_at for e in emptyings} | ({collected_at} if collected_at else set())
    )
    since = cycle_starts[-1] if cycle_starts else None
    level = filtered_fill(points, since=since)
    rate = fill_rate_pct_per_day(points, since=since)
    if rate is None and since is not None:
        rate = _previous_cycle_rate(points, cycle_starts)
    rate = rate or cold_start_rate(similar_rates)
    forecast = (
        None
        if level is None
        else predict_full_at(level, rate, threshold_pct=threshold_pct)
    )
    return BinAssessment(level=level, emptyings=emptyings, rate=rate, forecast=forecast)


def _previous_cycle_rate(
    points: Sequence[FillPoint], cycle_starts: Sequence[datetime]
) -> FillRate | None:
    """The rate of the latest earlier cycle that has one: a cycle only just begun
    (no reading, or one, since the emptying) fills about as fast as the last one."""
    starts: list[datetime | None] = [None, *cycle_starts[:-1]]
    for start, end in reversed(list(zip(starts, cycle_starts, strict=True))):
        cycle = [p for p in points if p.measured_at < end]
        rate = fill_rate_pct_per_day(cycle, since=start)
        if rate is not None:
            return rate
    return None


def _ok_points(points: Sequence[FillPoint], since: datetime | None) -> list[FillPoint]:
    # Shared MQTT subscriptions reorder messages (§4), so always sort first.
    return sorted(
        (
            p
            for p in points
            if p.flag is QualityFlag.OK and (since is None or p.measured_at >= since)
        ),
        key=lambda p: p.measured_at,
    )


# ------------------------------------------------------------------------- alerts


def evaluate_alerts(
    readings: Sequence[Reading],
    *,
    level_pct: float | None,
    threshold_pct: float,
    geometry: SensorGeometry,
    report_interval: timedelta,
    now: datetime,
    rules: AlertRules | None = None,
) -> list[Alert]:
    """List the alerts active on a bin now.

    - ``bin_full``: the filtered level is at or above the threshold;
    - ``overflow``: the last ``rules.overflow_after_readings`` readings were all
      closer than the full distance.  Such readings are only suspicious, so they
      never move the level, yet the bin is overflowing or its sensor blocked: both
      want a visit;
    - ``fire``: the latest reading has a fire/temperature alarm or a temperature at
      or above ``rules.fire_temperature_c``;
    - ``tilted``: the latest reading of a wall-mounted sensor is tilted;
    - ``lid_open``: a lid-mounted sensor has reported tilt on every reading for at
      least ``rules.lid_open_after``;
    - ``moved``: the latest reading says the sensor left its geofence;
    - ``low_battery``: the latest battery report is at or below the limit;
    - ``sensor_fault``: the last ``rules.fault_after_readings`` readings all had no
      usable echo (distance 0 or a fault the sensor reported);
    - ``sensor_silent``: nothing received for ``silent_after_intervals`` report
      intervals, or never.

    :param readings: recent readings of the bin's sensor, any order and quality.
    :param level_pct: the filtered level 0..100 %, ``None`` if unknown.
    :param threshold_pct: the bin's threshold, 0..100 %.
    :param geometry: the sensor's calibration and mounting.
    :param report_interval: the sensor's expected time between readings.
    :param now: timezone-aware current time.
    :param rules: thresholds; :class:`AlertRules` defaults when ``None``.
    :returns: alerts, most severe first.
    :raises ValueError: ``now`` is naive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    rules = rules or AlertRules()
    ordered = sorted(readings, key=lambda r: r.measured_at)
    alerts: list[Alert] = []
    if level_pct is not None and level_pct >= threshold_pct:
        alerts.append(
            Alert(
                AlertKind.BIN_FULL,
                Severity.WARNING,
                f"Bin is {level_pct:g} % full (threshold {threshold_pct:g} %).",
            )
        )
    if not ordered:
        alerts.append(
            Alert(AlertKind.SENSOR_SILENT, Severity.WARNING, "Sensor never reported.")
        )
        return _sorted_alerts(alerts)

    latest = ordered[-1]
    mounting = geometry.mounting
    recent = ordered[-rules.overflow_after_readings :]
    if len(recent) >= rules.overflow_after_readings and all(
        _in_blind_zone(r, geometry) for r in recent
    ):
        alerts.append(
            Alert(
                AlertKind.OVERFLOW,
                Severity.WARNING,
                "Sensor reads closer than the full line: overflowing or blocked.",
                _run_start(ordered, lambda r: _in_blind_zone(r, geometry)),
            )
        )
    hot = (
        latest.temperature_c is not None
        and latest.temperature_c >= rules.fire_temperature_c
    )
    if latest.fire_alarm or hot:
        detail = (
            f"temperature {latest.temperature_c:g} °C"
            if latest.temperature_c is not None
            else "fire alarm"
        )
        alerts.append(
            Alert(
                AlertKind.FIRE,
                Severity.CRITICAL,
                f"Possible fire: {detail}.",
                latest.measured_at,
            )
        )
    if latest.tilt and mounting is Mounting.WALL:
        alerts.append(
            Alert(
                AlertKind.TILTED,
                Severity.WARNING,
                "Container is tipped over.",
                _run_start(ordered, lambda r: bool(r.tilt)),
            )
        )
    if latest.tilt and mounting is Mounting.LID:
        since = _run_start(ordered, lambda r: bool(r.tilt))
        if now - since >= rules.lid_open_after:
            alerts.append(
                Alert(AlertKind.LID_OPEN, Severity.WARNING, "Lid is left open.", since)
            )
    if latest.moved:
        alerts.append(
            Alert(
                AlertKind.MOVED,
                Severity.WARNING,
                "Container left its place.",
                _run_start(ordered, lambda r: bool(r.moved)),
            )
        )
    battery = next(
        (
            r
            for r in reversed(ordered)
            if r.battery_pct is not None or r.battery_v is not None
        ),
        None,
    )
    if battery is not None and _battery_low(battery, rules):
        alerts.append(
            Alert(
                AlertKind.LOW_BATTERY,
                Severity.INFO,
                "Sensor battery is low.",
                battery.measured_at,
            )
        )
    recent = ordered[-rules.fault_after_readings :]
    if len(recent) >= rules.fault_after_readings and all(map(_no_echo, recent)):
        alerts.append(
            Alert(
                AlertKind.SENSOR_FAULT,
                Severity.WARNING,
                f"Sensor gave no usable echo {len(recent)} times in a row.",
                _run_start(ordered, _no_echo),
            )
        )
    last_heard = max(r.received_at for r in ordered)
    if now - last_heard > report_interval * rules.silent_after_intervals:
        alerts.append(
            Alert(
                AlertKind.SENSOR_SILENT,
                Severity.WARNING,
                f"No reading since {last_heard.isoformat()}.",
                last_heard,
            )
        )
    return _sorted_alerts(alerts)


def _in_blind_zone(reading: Reading, geometry: SensorGeometry) -> bool:
    if reading.tilt and geometry.mounting is Mounting.LID:
        return False
    if reading.sensor_fault == "blind_zone":
        return True
    distance_mm = reading.distance_mm
    return distance_mm is not None and 0 < distance_mm < geometry.full_distance_mm


def _no_echo(reading: Reading) -> bool:
    return reading.distance_mm == 0 or reading.sensor_fault in (
        "no_echo",
        "interference",
        "weak_echo",
    )


def _battery_low(reading: Reading, rules: AlertRules) -> bool:
    if reading.battery_pct is not None:
        return reading.battery_pct <= rules.low_battery_pct
    return reading.battery_v is not None and reading.battery_v <= rules.low_battery_v


def _run_start(ordered: Sequence[Reading], condition: _ReadingTest) -> datetime:
    """Time of the first reading of the latest unbroken run meeting ``condition``."""
    start = ordered[-1].measured_at
    for reading in reversed(ordered):
        if not condition(reading):
            break
        start = reading.measured_at
    return start


_SEVERITY_ORDER: Final = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _sorted_alerts(alerts: list[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: (_SEVERITY_ORDER[a.severity], a.kind.value))


def _check_geometry(empty_distance_mm: int, full_distance_mm: int) -> None:
    if not 0 <= full_distance_mm < empty_distance_mm:
        raise InvalidGeometry(
            f"full distance {full_distance_mm} mm must be below empty distance "
            f"{empty_distance_mm} mm and not negative"
        )
