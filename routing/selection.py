"""Which bins to collect today, and how much each holds.

Rules (per bin, from its sensor state):

* **must-collect** when the bin is at or above its threshold, or is predicted
  to overflow (reach 100 %) before the next service day;
* **optional** when it would be full within the policy's horizon; its penalty
  for being left out grows the sooner it fills;
* **skipped** otherwise.

Demand: loose volume = fill fraction x bin capacity; weight = loose volume x
the stream's loose density (:func:`routing.energy.loose_density_kg_per_m3`,
``reference/wte-reference.md`` §8); volume in the truck = loose volume /
compaction ratio.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from routing.energy import loose_density_kg_per_m3
from routing.problem import Priority, Stop, StopKind, TimeWindow

__all__ = ["BinState", "SelectionPolicy", "Skip", "select_stop", "select_stops"]

_KG_QUANTUM = Decimal("0.001")
_M3_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class BinState:
    """A bin as its sensor last saw it.

    :param fill_pct: current fill level, percent of capacity (may exceed 100
        when overflowing; the excess is not collected as bin content).
    :param fill_rate_pct_per_day: expected growth of the fill level, percent per day.
    :param capacity_l: bin volume, litres.
    :param stream: ``residual``, ``organic``, ``recyclable`` or ``mixed``.
    :param threshold_pct: fill level at or above which the bin must be emptied.
    :param service_s: time to empty it, seconds.
    :param time_windows: when it may be emptied (seconds since local midnight).
    """

    bin_id: str
    lat: float
    lon: float
    fill_pct: float
    fill_rate_pct_per_day: float
    capacity_l: float
    stream: str
    threshold_pct: float = 80.0
    service_s: int = 60
    time_windows: tuple[TimeWindow, ...] = ()

    def days_to_full(self, rate_margin: float = 1.0) -> float:
        """Days until the bin reaches 100 % (inf if it does not fill).

        :param rate_margin: factor applied to the fill rate (> 1 is cautious).
        """
        if self.fill_pct >= 100.0:
            return 0.0
        if self.fill_rate_pct_per_day <= 0.0:
            return math.inf
        return (100.0 - self.fill_pct) / (self.fill_rate_pct_per_day * rate_margin)


@dataclass(frozen=True)
class SelectionPolicy:
    """Parameters of the selection rules.

    :param days_to_next_service: days from today's collection to the next
        service day (1.0 with daily service).
    :param horizon_days: a bin that will be full within this many days is
        optional today (``>= days_to_next_service``).
    :param max_penalty_rp: penalty of an optional bin that fills just after the
        next service day; it falls linearly to ``min_penalty_rp`` for a bin
        that fills at the end of the horizon. Collecting it later costs about
        a separate visit then (say 0.5 km at Rp 4,000/km plus a minute of a
        crew at Rp 60,000/h, about Rp 3,000), so penalties far above that
        send trucks across town for half-full bins.
    :param min_penalty_rp: the smallest penalty of an optional bin.
    :param compaction_ratio: loose volume / volume in the truck. 1.0 for an
        open dump truck; Indonesian household waste is about 250 kg/m³ loose
        and typically 297-445 kg/m³ in a compactor (wte-reference §8), i.e.
        about 1.2-1.8.
    :param rate_margin: the overflow forecast uses the fill rate times this
        factor, to absorb day-to-day variation of the waste generated (1.0 =
        trust the estimate).
    :param fill_ahead_days: days of growth to add to the current fill when
        estimating what will be collected (e.g. 0.25 for bins emptied in the
        afternoon of readings taken at dawn).
    """

    days_to_next_service: float = 1.0
    horizon_days: float = 2.0
    max_penalty_rp: int = 5_000
    min_penalty_rp: int = 500
    compaction_ratio: float = 1.0
    rate_margin: float = 1.0
    fill_ahead_days: float = 0.0

    def __post_init__(self) -> None:
        """Check the ranges."""
        if (
            self.days_to_next_service <= 0
            or self.horizon_days < self.days_to_next_service
        ):
            raise ValueError("need 0 < days_to_next_service <= horizon_days")
        if self.compaction_ratio <= 0:
            raise ValueError("compaction_ratio must be > 0")
        if self.rate_margin <= 0:
            raise ValueError("rate_margin must be > 0")
        if not 0 <= self.min_penalty_rp <= self.max_penalty_rp:
            raise ValueError("need 0 <= min_penalty_rp <= max_penalty_rp")


@dataclass(frozen=True)
class Skip:
    """A bin not collected today, and why.

    :param days_to_full: days until it is full at its current rate (inf if never).
    """

    bin_id: str
    reason: str
    days_to_full: float


def _demand(state: BinState, policy: SelectionPolicy) -> tuple[Decimal, Decimal]:
    fill = (
        state.fill_pct + max(0.0, state.fill_rate_pct_per_day) * policy.fill_ahead_days
    )
    fraction = min(max(fill, 0.0), 100.0) / 100.0
    loose_m3 = fraction * state.capacity_l / 1000.0
    kg = loose_m3 * loose_density_kg_per_m3(state.stream)
    m3 = loose_m3 / policy.compaction_ratio
    return (
        Decimal(repr(kg)).quantize(_KG_QUANTUM),
        Decimal(repr(m3)).quantize(_M3_QUANTUM),
    )


def select_stop(state: BinState, policy: SelectionPolicy | None = None) -> Stop | Skip:
    """Decide whether a bin is collected today and build its stop.

    :param state: the bin's sensor state.
    :param policy: the selection rules (defaults: :class:`SelectionPolicy`).
    :returns: a must-collect or optional :class:`~routing.problem.Stop`, or a
        :class:`Skip` with the reason.
    :raises routing.energy.UnknownComponent: for an unknown stream.
    """
    policy = policy or SelectionPolicy()
    days = state.days_to_full(policy.rate_margin)
    if state.fill_pct >= state.threshold_pct:
        priority, penalty = Priority.MUST, 0
    elif days <= policy.days_to_next_service:
        # Would overflow before the truck comes again.
        priority, penalty = Priority.MUST, 0
    elif days <= policy.horizon_days:
        span = policy.horizon_days - policy.days_to_next_service
        urgency = 1.0 if span == 0 else (policy.horizon_days - days) / span
        penalty = round(
            policy.min_penalty_rp
            + urgency * (policy.max_penalty_rp - policy.min_penalty_rp)
        )
        priority = Priority.OPTIONAL
    else:
        reason = (
            "below threshold and not filling"
            if math.isinf(days)
            else f"below threshold and full only in {days:.1f} days"
        )
        return Skip(state.bin_id, reason, days)
    demand_kg, demand_m3 = _demand(state, policy)
    return Stop(
        stop_id=state.bin_id,
        lat=state.lat,
        lon=state.lon,
        demand_kg=demand_kg,
        demand_m3=demand_m3,
        service_s=state.service_s,
        time_windows=state.time_windows,
        priority=priority,
        penalty_rp=penalty,
        kind=StopKind.BIN,
    )


def select_stops(
    states: Iterable[BinState], policy: SelectionPolicy | None = None
) -> tuple[list[Stop], list[Skip]]:
    """Apply :func:`select_stop` to many bins.

    :returns: the stops to plan (must-collect and optional) and the skipped bins.
    """
    stops: list[Stop] = []
    skips: list[Skip] = []
    for state in states:
        result = select_stop(state, policy)
        if isinstance(result, Skip):
            skips.append(result)
        else:
            stops.append(result)
    return stops, skips
