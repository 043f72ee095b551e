"""Thirty days of collection in a synthetic city: fixed schedule versus sensors.

A city the size of a few Ambon districts: a few hundred bins with stochastic
daily fill, four trucks in one garage, one TPA about 10 km out of town (13 km by
road). Bins fill at a median 12 %/day (lognormal, sigma 0.5, capped at 80): a
660 l bin holds about 165 kg at 250 kg/m³ (wte-reference §8), i.e. 20 kg/day
for some 30-40 people at 0.5-0.7 kg/cap/day. ``--median-fill 25`` doubles the
users per bin, which makes the every-second-day schedule nearly right for most
bins, and leaves sensors little to save. Every
day each policy picks its bins, :func:`routing.solve` plans the routes (every
plan is checked with :func:`routing.validate.validate`), the chosen bins are
emptied and then every bin fills for a day.

* **Policy A** (fixed schedule): every bin every second day, half the city on
  even days and half on odd days.
* **Policy B** (sensors): :mod:`routing.selection` on the morning readings,
  with fill rates learned from the readings (exponential moving average) and
  a rate margin of 1.6, the 90th percentile of the daily variation
  (exp(1.28 x 0.35)).

Printed per policy: km, truck-hours, TPA trips, tonnes collected, bins
emptied, overflowing bin-days (a bin that ends a day above 100 %), infeasible
must-collect stops and plan violations. Fixed seed, and by default a solver
budget counted in solutions rather than seconds, so the printed numbers do not
depend on the machine's load; a few minutes.

    python benchmarks/city.py [--days 30] [--bins 300] [--work 200 | --time-limit S] [--seed 7]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing.energy import loose_density_kg_per_m3
from routing.exceptions import InfeasibleProblem
from routing.problem import (
    Break,
    CollectionProblem,
    Depot,
    Facility,
    Priority,
    Stop,
    TimeWindow,
    Vehicle,
)
from routing.selection import BinState, SelectionPolicy, select_stops
from routing.solver import COLLECTION_SEARCH, SearchConfig, solve
from routing.validate import validate

CENTRE = (-3.6950, 128.1810)  # Ambon city centre
TPA_BEARING = (0.834, 0.552)  # unit vector (north, east): out of town, into the hills
GARAGE = (-3.7000, 128.1900)
H = 3600
COMPACTION = (
    1.5  # compactor truck, wte-reference §8 (loose 250, in truck ~300-450 kg/m³)
)


@dataclass
class Bin:
    """The true state of one bin (what the sensor reads, plus its hidden mean rate)."""

    bin_id: str
    lat: float
    lon: float
    capacity_l: float
    stream: str
    mean_rate_pct: float
    fill_pct: float
    rate_estimate_pct: float


@dataclass
class Totals:
    """What a policy did over the whole simulation."""

    distance_m: int = 0
    duration_s: int = 0
    trips: int = 0
    collected_kg: float = 0.0
    emptied: int = 0
    overflow_bin_days: int = 0
    infeasible_stops: int = 0
    violations: int = 0
    solve_s: float = 0.0
    per_day_km: list[float] = field(default_factory=list)


def make_city(
    n_bins: int, rng: random.Random, median_fill_pct: float = 12.0
) -> list[Bin]:
    """Bins scattered around the centre, denser near it."""
    bins = []
    for k in range(n_bins):
        radius_km = 5.0 * math.sqrt(rng.random())
        angle = rng.uniform(0, 2 * math.pi)
        lat = CENTRE[0] + radius_km / 111.0 * math.sin(angle)
        lon = CENTRE[1] + radius_km / 111.0 * math.cos(angle)
        capacity = rng.choices([240.0, 660.0, 1100.0], weights=[3, 5, 2])[0]
        stream = rng.choices(["mixed", "organic", "recyclable"], weights=[7, 2, 1])[0]
        rate = min(80.0, rng.lognormvariate(math.log(median_fill_pct), 0.5))
        bins.append(
            Bin(f"B{k:03d}", lat, lon, capacity, stream, rate, rng.uniform(0, 60), 25.0)
        )
    return bins


def fleet() -> tuple[Vehicle, ...]:
    """Four compactor trucks, 06:00-14:00 with a 30 min break."""
    return tuple(
        Vehicle(
            vehicle_id=f"DK{k}",
            depot_id="garage",
            capacity_kg=Decimal(5000),
            capacity_m3=Decimal(12),
            shift_start_s=6 * H,
            shift_end_s=14 * H,
            rest_break=Break(10 * H, 12 * H, 30 * 60),
            cost_rp_per_km=4_000,
            cost_rp_per_hour=60_000,
        )
        for k in range(4)
    )


def tpa_location(tpa_km: float) -> tuple[float, float]:
    """The TPA, ``tpa_km`` straight-line km from the centre (road about 1.3 times that)."""
    return (
        CENTRE[0] + tpa_km / 111.0 * TPA_BEARING[0],
        CENTRE[1] + tpa_km / 111.0 * TPA_BEARING[1],
    )


def day_problem(stops: list[Stop], tpa_km: float = 10.0) -> CollectionProblem:
    """The day's problem for a list of stops."""
    return CollectionProblem(
        depots=(Depot("garage", *GARAGE),),
        facilities=(
            Facility(
                "tpa",
                *tpa_location(tpa_km),
                opening_hours=(TimeWindow(6 * H, 18 * H),),
                unload_s=15 * 60,
            ),
        ),
        vehicles=fleet(),
        stops=tuple(stops),
    )


def schedule_stops(bins: list[Bin], day: int) -> list[Stop]:
    """Policy A: half the bins on even days, the other half on odd days."""
    stops = []
    for k, b in enumerate(bins):
        if k % 2 != day % 2:
            continue
        loose_m3 = min(b.fill_pct, 100.0) / 100.0 * b.capacity_l / 1000.0
        stops.append(
            Stop(
                stop_id=b.bin_id,
                lat=b.lat,
                lon=b.lon,
                demand_kg=Decimal(
                    repr(round(loose_m3 * loose_density_kg_per_m3(b.stream), 3))
                ),
                demand_m3=Decimal(repr(round(loose_m3 / COMPACTION, 4))),
                priority=Priority.MUST,
            )
        )
    return stops


def sensor_stops(bins: list[Bin], policy: SelectionPolicy) -> list[Stop]:
    """Policy B: select on the morning readings and learned rates."""
    states = [
        BinState(
            bin_id=b.bin_id,
            lat=b.lat,
            lon=b.lon,
            fill_pct=b.fill_pct,
            fill_rate_pct_per_day=b.rate_estimate_pct,
            capacity_l=b.capacity_l,
            stream=b.stream,
        )
        for b in bins
    ]
    stops, _ = select_stops(states, policy)
    return stops


def plan_day(stops: list[Stop], search: Search, seed: int, totals: Totals) -> set[str]:
    """Solve a day (dropping must-collect stops the fleet cannot fit) and return bins emptied."""
    while stops:
        problem = day_problem(stops, search.tpa_km)
        started = time.monotonic()
        try:
            plan = solve(problem, search.limit_s, seed, config=search.config)
        except InfeasibleProblem as exc:
            if not exc.stop_ids:  # no plan at all within the limit: give it more time
                search = replace(search, limit_s=2 * search.limit_s)
                continue
            totals.infeasible_stops += len(exc.stop_ids)
            stops = [s for s in stops if s.stop_id not in set(exc.stop_ids)]
            continue
        finally:
            totals.solve_s += time.monotonic() - started
        totals.violations += len(validate(problem, plan))
        totals.distance_m += plan.distance_m
        totals.duration_s += plan.duration_s
        totals.trips += plan.trips
        totals.collected_kg += float(plan.collected_kg)
        totals.per_day_km.append(plan.distance_m / 1000)
        return {sid for r in plan.routes for sid in r.stop_ids}
    return set()


@dataclass(frozen=True)
class Search:
    """The solver budget per day: seconds, or a work budget when the config says so."""

    limit_s: float
    config: SearchConfig
    tpa_km: float = 10.0
    rate_margin: float = 1.6
    median_fill_pct: float = 12.0


def simulate(
    policy_name: str, n_bins: int, days: int, search: Search, seed: int
) -> Totals:
    """Run one policy over ``days`` days; the city and its fill noise depend only on ``seed``."""
    city_rng = random.Random(seed)
    bins = make_city(n_bins, city_rng, search.median_fill_pct)
    noise = random.Random(seed + 1)
    policy = SelectionPolicy(
        compaction_ratio=COMPACTION, rate_margin=search.rate_margin
    )
    totals = Totals()
    for day in range(days):
        stops = (
            schedule_stops(bins, day)
            if policy_name == "A"
            else sensor_stops(bins, policy)
        )
        emptied = plan_day(stops, search, seed + day, totals)
        totals.emptied += len(emptied)
        for b in bins:
            if b.bin_id in emptied:
                b.fill_pct = 0.0
            before = b.fill_pct
            # Daily generation varies around the bin's mean (lognormal, mean 1).
            increment = b.mean_rate_pct * noise.lognormvariate(-0.06, 0.35)
            b.fill_pct = before + increment
            if b.fill_pct > 100.0:
                totals.overflow_bin_days += 1
                b.fill_pct = min(b.fill_pct, 130.0)  # what spills is lost to the street
            observed = min(b.fill_pct, 100.0) - before
            b.rate_estimate_pct = 0.7 * b.rate_estimate_pct + 0.3 * max(observed, 0.0)
    return totals


def main() -> int:
    """Run both policies and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--bins", type=int, default=300)
    parser.add_argument(
        "--work",
        type=int,
        default=200,
        help="solver budget per day in OR-Tools solutions (reproducible on a busy machine)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="wall-clock seconds per day instead",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--tpa-km",
        type=float,
        default=10.0,
        help="straight-line km from the centre to the TPA",
    )
    parser.add_argument(
        "--rate-margin",
        type=float,
        default=1.6,
        help="policy B's fill-rate safety factor",
    )
    parser.add_argument(
        "--median-fill",
        type=float,
        default=12.0,
        help="median fill rate of the bins, %%/day",
    )
    args = parser.parse_args()

    if args.time_limit is not None:
        search = Search(args.time_limit, COLLECTION_SEARCH)
        budget = f"{args.time_limit:g} s per daily plan"
    else:
        config = replace(
            COLLECTION_SEARCH, time_limit_is_work_limit=True, work_units_per_s=args.work
        )
        search = Search(1.0, config)
        budget = f"{args.work} solutions per daily plan"
    search = replace(
        search,
        tpa_km=args.tpa_km,
        rate_margin=args.rate_margin,
        median_fill_pct=args.median_fill,
    )
    started = time.monotonic()
    results = {p: simulate(p, args.bins, args.days, search, args.seed) for p in "AB"}
    print(
        f"City: {args.bins} bins (median fill {args.median_fill:g} %/day), 4 trucks, "
        f"1 TPA {args.tpa_km:g} km out, {args.days} days, seed {args.seed}, "
        f"B's rate margin {args.rate_margin:g}, "
        f"{budget}\n"
    )
    rows: list[tuple[str, Callable[[Totals], float], str]] = [
        ("km", lambda t: t.distance_m / 1000, "{:.1f}"),
        ("truck-hours", lambda t: t.duration_s / 3600, "{:.1f}"),
        ("TPA trips", lambda t: t.trips, "{:d}"),
        ("tonnes collected", lambda t: t.collected_kg / 1000, "{:.1f}"),
        ("bins emptied", lambda t: t.emptied, "{:d}"),
        ("overflowing bin-days", lambda t: t.overflow_bin_days, "{:d}"),
        ("infeasible must-stops", lambda t: t.infeasible_stops, "{:d}"),
        ("plan violations", lambda t: t.violations, "{:d}"),
        ("solver seconds", lambda t: t.solve_s, "{:.0f}"),
    ]
    print(
        f"| {'metric':<22} | {'A: fixed schedule':>17} | {'B: sensors':>10} | {'B vs A':>8} |"
    )
    print(f"|{'-' * 24}|{'-' * 19}|{'-' * 12}|{'-' * 10}|")
    for label, get, fmt in rows:
        va, vb = get(results["A"]), get(results["B"])
        change = f"{100 * (vb - va) / va:+.1f} %" if va else "-"
        print(
            f"| {label:<22} | {fmt.format(va):>17} | {fmt.format(vb):>10} | {change:>8} |"
        )
    a, b = results["A"], results["B"]
    km_cut = 1 - b.distance_m / a.distance_m
    met = km_cut >= 0.30 and b.overflow_bin_days < a.overflow_bin_days
    print(
        f"\nB drives {abs(100 * km_cut):.1f} % {'fewer' if km_cut >= 0 else 'more'} km, "
        f"with {b.overflow_bin_days - a.overflow_bin_days:+d} overflowing bin-days: "
        f"aim (>= 30 % fewer km, fewer overflows) {'met' if met else 'NOT met'}."
    )
    print(f"Total run time {time.monotonic() - started:.0f} s.")
    return 0 if a.violations == b.violations == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
