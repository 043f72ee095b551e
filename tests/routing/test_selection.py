"""Which bins are collected, and their demand in kg and m³."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from routing.energy import UnknownComponent, loose_density_kg_per_m3
from routing.problem import Priority, Stop
from routing.selection import BinState, SelectionPolicy, Skip, select_stop, select_stops


def bin_state(fill: float, rate: float, **kw: object) -> BinState:
    """A 660 l residual bin with an 80 % threshold."""
    args: dict[str, object] = {
        "bin_id": "B1",
        "lat": -3.7,
        "lon": 128.18,
        "fill_pct": fill,
        "fill_rate_pct_per_day": rate,
        "capacity_l": 660.0,
        "stream": "residual",
    }
    args.update(kw)
    return BinState(**args)  # type: ignore[arg-type]


def as_stop(result: Stop | Skip) -> Stop:
    """Narrow to a Stop."""
    assert isinstance(result, Stop)
    return result


def test_bin_at_threshold_must_be_collected() -> None:
    stop = as_stop(select_stop(bin_state(80.0, 0.0)))
    assert stop.priority is Priority.MUST
    assert stop.penalty_rp == 0


def test_bin_predicted_to_overflow_before_next_service_must_be_collected() -> None:
    """70 % now, +35 %/day: over 100 % before tomorrow's service."""
    assert as_stop(select_stop(bin_state(70.0, 35.0))).priority is Priority.MUST


THREE_DAYS = SelectionPolicy(
    horizon_days=3.0, max_penalty_rp=100_000, min_penalty_rp=5_000
)


def test_less_frequent_service_makes_more_bins_urgent() -> None:
    policy = SelectionPolicy(days_to_next_service=3.0, horizon_days=5.0)
    assert as_stop(select_stop(bin_state(50.0, 20.0), policy)).priority is Priority.MUST
    assert (
        as_stop(select_stop(bin_state(50.0, 20.0), THREE_DAYS)).priority
        is Priority.OPTIONAL
    )


def test_bin_full_within_horizon_is_optional_and_sooner_costs_more() -> None:
    soon = as_stop(select_stop(bin_state(60.0, 30.0), THREE_DAYS))  # full in 1.33 days
    later = as_stop(select_stop(bin_state(40.0, 25.0), THREE_DAYS))  # full in 2.4 days
    assert soon.priority is later.priority is Priority.OPTIONAL
    assert 5_000 <= later.penalty_rp < soon.penalty_rp <= 100_000


def test_bin_full_exactly_at_the_horizon_gets_the_minimum_penalty() -> None:
    stop = as_stop(
        select_stop(bin_state(40.0, 20.0), THREE_DAYS)
    )  # full in exactly 3 days
    assert stop.penalty_rp == 5_000


def test_default_horizon_is_two_days() -> None:
    assert as_stop(select_stop(bin_state(60.0, 25.0))).priority is Priority.OPTIONAL
    assert isinstance(select_stop(bin_state(40.0, 25.0)), Skip)


def test_slow_or_static_bins_are_skipped_with_a_reason() -> None:
    slow = select_stop(bin_state(30.0, 10.0))
    assert isinstance(slow, Skip)
    assert slow.days_to_full == pytest.approx(7.0)
    assert "7.0 days" in slow.reason
    static = select_stop(bin_state(30.0, 0.0))
    assert isinstance(static, Skip)
    assert math.isinf(static.days_to_full)


def test_demand_comes_from_fill_capacity_and_stream_density() -> None:
    stop = as_stop(select_stop(bin_state(80.0, 0.0, stream="organic")))
    loose_m3 = 0.8 * 0.660
    assert stop.demand_m3 == Decimal(str(round(loose_m3, 4)))
    expected_kg = loose_m3 * loose_density_kg_per_m3("organic")
    assert float(stop.demand_kg) == pytest.approx(expected_kg, abs=0.001)


def test_streams_with_lighter_waste_weigh_less() -> None:
    residual = as_stop(select_stop(bin_state(90.0, 0.0, stream="residual")))
    recyclable = as_stop(select_stop(bin_state(90.0, 0.0, stream="recyclable")))
    assert recyclable.demand_kg < residual.demand_kg
    assert recyclable.demand_m3 == residual.demand_m3


def test_compaction_shrinks_the_volume_not_the_weight() -> None:
    loose = as_stop(select_stop(bin_state(90.0, 0.0)))
    packed = as_stop(
        select_stop(bin_state(90.0, 0.0), SelectionPolicy(compaction_ratio=1.5))
    )
    assert packed.demand_kg == loose.demand_kg
    assert packed.demand_m3 == pytest.approx(
        loose.demand_m3 / Decimal("1.5"), abs=Decimal("0.0001")
    )


def test_overflowing_bin_counts_as_full() -> None:
    over = as_stop(select_stop(bin_state(130.0, 10.0)))
    full = as_stop(select_stop(bin_state(100.0, 10.0)))
    assert over.demand_kg == full.demand_kg
    assert over.priority is Priority.MUST


def test_fill_ahead_adds_the_growth_until_collection() -> None:
    now = as_stop(select_stop(bin_state(80.0, 20.0)))
    later = as_stop(
        select_stop(bin_state(80.0, 20.0), SelectionPolicy(fill_ahead_days=0.5))
    )
    assert later.demand_m3 == pytest.approx(
        now.demand_m3 * Decimal("90") / Decimal("80")
    )


def test_stop_keeps_the_bin_identity_and_service_details() -> None:
    stop = as_stop(select_stop(bin_state(85.0, 5.0, bin_id="TPS-7", service_s=300)))
    assert (stop.stop_id, stop.lat, stop.lon, stop.service_s) == (
        "TPS-7",
        -3.7,
        128.18,
        300,
    )


def test_select_stops_splits_collected_and_skipped() -> None:
    states = [
        bin_state(90.0, 5.0, bin_id="a"),
        bin_state(10.0, 5.0, bin_id="b"),
        bin_state(60.0, 30.0, bin_id="c"),
    ]
    stops, skips = select_stops(states)
    assert [s.stop_id for s in stops] == ["a", "c"]
    assert [s.bin_id for s in skips] == ["b"]


def test_unknown_stream_is_an_error() -> None:
    with pytest.raises(UnknownComponent):
        select_stop(bin_state(90.0, 0.0, stream="plutonium"))


@pytest.mark.parametrize(
    "kw",
    [
        {"days_to_next_service": 0.0},
        {"horizon_days": 0.5},
        {"compaction_ratio": 0.0},
        {"rate_margin": 0.0},
        {"min_penalty_rp": 10, "max_penalty_rp": 5},
    ],
)
def test_policy_ranges_are_checked(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"need|must"):
        SelectionPolicy(**kw)  # type: ignore[arg-type]


def test_rate_margin_makes_the_forecast_cautious() -> None:
    """70 % at 25 %/day reaches 95 % tomorrow; with a 1.3 margin it would overflow."""
    state = bin_state(70.0, 25.0)
    assert as_stop(select_stop(state)).priority is Priority.OPTIONAL
    cautious = SelectionPolicy(rate_margin=1.3)
    assert as_stop(select_stop(state, cautious)).priority is Priority.MUST
    assert state.days_to_full(1.3) == pytest.approx(30.0 / 32.5)
