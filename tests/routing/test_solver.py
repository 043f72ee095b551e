"""Solver invariants on small collection problems; every plan is validated."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from routing.distance import MatrixSource
from routing.exceptions import EmptyProblem, InfeasibleProblem
from routing.problem import (
    Break,
    CollectionProblem,
    Depot,
    Facility,
    Priority,
    RoutePlan,
    Stop,
    TimeWindow,
    Vehicle,
    VisitKind,
)
from routing.snapshot import problem_from_json
from routing.solver import COLLECTION_SEARCH, SearchConfig, solve
from routing.validate import validate

H = 3600
LIMIT_S = 0.5  # the search always runs to its limit: keep it tiny


def truck(
    vehicle_id: str, capacity_kg: int = 1000, capacity_m3: int = 10, **kw: Any
) -> Vehicle:
    """A truck at garage G working 06:00-14:00."""
    return Vehicle(
        vehicle_id,
        kw.pop("depot_id", "G"),
        Decimal(capacity_kg),
        Decimal(capacity_m3),
        **kw,
    )


def city(n_stops: int, seed: int = 1, **stop_kw: Any) -> list[Stop]:
    """Stops scattered within about 3 km of the garage."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    return [
        Stop(
            f"S{k}",
            -3.70 + rng.uniform(-0.025, 0.025),
            128.18 + rng.uniform(-0.025, 0.025),
            Decimal(rng.randint(50, 200)),
            Decimal("0.4"),
            **stop_kw,
        )
        for k in range(n_stops)
    ]


def problem_with(
    stops: list[Stop], vehicles: list[Vehicle], **kw: Any
) -> CollectionProblem:
    """Garage G, TPA 'TPA' about 9 km away open 07:00-17:00, unloading 15 min."""
    facilities = kw.pop(
        "facilities",
        (
            Facility(
                "TPA",
                -3.65,
                128.24,
                opening_hours=(TimeWindow(7 * H, 17 * H),),
                unload_s=900,
            ),
        ),
    )
    return CollectionProblem(
        (Depot("G", -3.70, 128.18),),
        facilities,
        tuple(vehicles),
        tuple(stops),
        **kw,
    )


def assert_invariants(problem: CollectionProblem, plan: RoutePlan) -> None:
    """Validator clean, every must-stop once, loads within capacity, totals add up."""
    assert validate(problem, plan) == []
    served = [sid for r in plan.routes for sid in r.stop_ids]
    assert len(served) == len(set(served))
    must = {s.stop_id for s in problem.stops if not s.is_optional}
    assert must <= set(served)
    assert set(served) | set(plan.dropped_stop_ids) == {
        s.stop_id for s in problem.stops
    }
    for route in plan.routes:
        vehicle = problem.vehicle(route.vehicle_id)
        assert route.depot_id == vehicle.depot_id
        assert all(v.load_kg <= vehicle.capacity_kg for v in route.visits)
        assert all(v.load_m3 <= vehicle.capacity_m3 for v in route.visits)
        assert route.visits[-1].kind is VisitKind.UNLOAD
        assert (
            route.distance_m
            == sum(v.distance_m for v in route.visits) + route.return_distance_m
        )
    assert plan.distance_m == sum(r.distance_m for r in plan.routes)
    assert plan.trips == sum(r.trips for r in plan.routes)


def test_plan_serves_every_stop_and_unloads_before_going_home() -> None:
    problem = problem_with(city(12), [truck("T1", 5000), truck("T2", 5000)])
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    assert plan.trips >= 1
    assert plan.collected_kg == sum(s.demand_kg for s in problem.stops)


def test_multi_trip_when_demand_is_several_truckloads() -> None:
    """40 stops of 50-200 kg with one 1 t truck: at least ceil(total / 1 t) unloads."""
    stops = city(40)
    total = sum(s.demand_kg for s in stops)
    problem = problem_with(
        stops,
        [truck("T1", 1000, shift_end_s=20 * H)],
        facilities=(Facility("TPA", -3.68, 128.20, unload_s=600),),
    )
    plan = solve(problem, time_limit_s=1.0, seed=0)
    assert_invariants(problem, plan)
    assert plan.trips >= -(-total // 1000)
    assert plan.trips >= 4


def test_multi_trip_volume_limited() -> None:
    """The volume, not the weight, forces the extra trips."""
    stops = [replace(s, demand_kg=Decimal(10), demand_m3=Decimal(1)) for s in city(12)]
    problem = problem_with(stops, [truck("T1", 10_000, 4, shift_end_s=20 * H)])
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    assert plan.trips >= 3


def _line_problem(capacity_kg: int) -> CollectionProblem:
    """Garage at km 0, four 100 kg stops at km 2, 4, 6, 8 and the TPA at km 10."""
    ids = ("G", "TPA", "A", "B", "C", "D")
    km = {"G": 0, "TPA": 10, "A": 2, "B": 4, "C": 6, "D": 8}
    dist = tuple(tuple(1000 * abs(km[a] - km[b]) for b in ids) for a in ids)
    dur = tuple(tuple(d // 10 for d in row) for row in dist)
    stops = [
        Stop(s, 0.0, 0.0, Decimal(100), Decimal("0.1"), service_s=0) for s in "ABCD"
    ]
    return problem_with(
        stops,
        [truck("T1", capacity_kg, cost_rp_per_km=1000)],
        facilities=(Facility("TPA", 0.0, 0.0, unload_s=0),),
        distance_source=MatrixSource(ids, dist, dur),
    )


def _line_optimum_m(problem: CollectionProblem) -> int:
    """Brute force: every order of the stops and every set of unloads."""
    source = problem.distance_source
    assert isinstance(source, MatrixSource)
    pos = {pid: k for k, pid in enumerate(source.place_ids)}
    cap = problem.vehicles[0].capacity_kg
    best = None
    for order in itertools.permutations(problem.stops):
        for dumps in itertools.product([False, True], repeat=len(order) - 1):
            path, load, ok = ["G"], Decimal(0), True
            for stop, dump_after in zip(order, [*dumps, True], strict=True):
                load += stop.demand_kg
                ok &= load <= cap
                path.append(stop.stop_id)
                if dump_after:
                    path.append("TPA")
                    load = Decimal(0)
            path.append("G")
            if ok:
                length = sum(
                    source.distance_m[pos[a]][pos[b]]
                    for a, b in itertools.pairwise(path)
                )
                best = length if best is None else min(best, length)
    assert best is not None
    return best


@pytest.mark.parametrize("capacity_kg", [400, 200, 100])
def test_tiny_instance_reaches_its_known_optimum(capacity_kg: int) -> None:
    problem = _line_problem(capacity_kg)
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    assert plan.distance_m == _line_optimum_m(problem)


def test_time_windows_are_met() -> None:
    stops = city(15)
    stops = [
        replace(
            s,
            time_windows=(TimeWindow(8 * H, 9 * H),)
            if k % 3 == 0
            else (TimeWindow(10 * H, 11 * H), TimeWindow(12 * H, 13 * H))
            if k % 3 == 1
            else (),
        )
        for k, s in enumerate(stops)
    ]
    problem = problem_with(stops, [truck("T1", 5000), truck("T2", 5000)])
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    for route in plan.routes:
        for visit in route.visits:
            if visit.kind is VisitKind.STOP:
                stop = problem.stop(visit.place_id)
                assert not stop.time_windows or any(
                    w.contains(visit.start_s) for w in stop.time_windows
                )


def test_facility_opening_hours_are_respected() -> None:
    """The TPA opens at 11:00: every unloading starts then or later."""
    tpa = Facility(
        "TPA", -3.65, 128.24, opening_hours=(TimeWindow(11 * H, 17 * H),), unload_s=900
    )
    problem = problem_with(city(10), [truck("T1", 5000)], facilities=(tpa,))
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    unloads = [v for r in plan.routes for v in r.visits if v.kind is VisitKind.UNLOAD]
    assert unloads
    assert all(v.start_s >= 11 * H for v in unloads)


def test_optional_stops_are_dropped_only_when_not_worth_it() -> None:
    near = Stop(
        "near",
        -3.701,
        128.181,
        Decimal(10),
        Decimal("0.1"),
        priority=Priority.OPTIONAL,
        penalty_rp=1_000_000,
    )
    far = Stop(
        "far",
        -3.90,
        128.40,
        Decimal(10),
        Decimal("0.1"),
        priority=Priority.OPTIONAL,
        penalty_rp=1,
    )
    problem = problem_with(
        [*city(5), near, far],
        [truck("T1", 5000, cost_rp_per_km=4000, cost_rp_per_hour=50_000)],
    )
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    assert plan.dropped_stop_ids == ("far",)
    assert plan.penalty_rp == 1


def test_heterogeneous_fleet_uses_the_big_truck_for_the_heavy_stop() -> None:
    heavy = Stop("heavy", -3.705, 128.185, Decimal(3000), Decimal(2))
    problem = problem_with(
        [*city(8), heavy], [truck("small", 1000), truck("big", 4000)]
    )
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    owner = next(r.vehicle_id for r in plan.routes if "heavy" in r.stop_ids)
    assert owner == "big"


def test_trucks_unload_only_at_allowed_facilities() -> None:
    facilities = (
        Facility("TPA", -3.65, 128.24, unload_s=900),
        Facility("compost", -3.71, 128.19, unload_s=300),
    )
    vehicles = [
        truck("T1", 1500, allowed_facility_ids=frozenset({"TPA"})),
        truck("T2", 1500, allowed_facility_ids=frozenset({"compost"})),
    ]
    problem = problem_with(city(20), vehicles, facilities=facilities)
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    for route in plan.routes:
        allowed = problem.vehicle(route.vehicle_id).allowed_facility_ids
        assert allowed is not None
        assert {
            v.place_id for v in route.visits if v.kind is VisitKind.UNLOAD
        } <= allowed


def test_stops_restricted_to_some_vehicles() -> None:
    stops = [
        replace(s, allowed_vehicle_ids=frozenset({"T2"})) if k < 4 else s
        for k, s in enumerate(city(10))
    ]
    problem = problem_with(stops, [truck("T1", 5000), truck("T2", 5000)])
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    for route in plan.routes:
        if route.vehicle_id == "T1":
            assert not {"S0", "S1", "S2", "S3"} & set(route.stop_ids)


def test_breaks_are_taken_inside_their_window() -> None:
    """Long routes over the lunch window: the break is placed and validated."""
    vehicles = [
        truck(
            f"T{k}",
            1500,
            shift_start_s=7 * H,
            shift_end_s=16 * H,
            rest_break=Break(11 * H, 12 * H, 1800),
        )
        for k in range(2)
    ]
    stops = [replace(s, service_s=600) for s in city(24)]
    problem = problem_with(stops, vehicles)
    plan = solve(problem, time_limit_s=1.0, seed=0)
    assert_invariants(problem, plan)
    for route in plan.routes:
        assert route.break_start_s is not None
        assert 11 * H <= route.break_start_s <= 12 * H
        busy = [(v.start_s, v.departure_s) for v in route.visits]
        assert all(
            not (a < route.break_start_s + 1800 and route.break_start_s < b)
            for a, b in busy
        )


def test_slower_truck_takes_longer_on_the_same_legs() -> None:
    problem = problem_with(city(6), [truck("slow", 5000, speed_factor=0.5)])
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    first = plan.routes[0].visits[0]
    places = problem.places()
    row = {p.place_id: k for k, p in enumerate(places)}
    base_s = problem.distance_source.matrices(places).duration_s[row["G"]][
        row[first.place_id]
    ]
    assert first.travel_s == round(base_s / 0.5)
    assert first.travel_s > 0


def test_costs_follow_the_vehicle_rates() -> None:
    problem = problem_with(
        city(6),
        [
            truck(
                "T1",
                5000,
                cost_rp_per_km=4000,
                cost_rp_per_hour=60_000,
                fixed_cost_rp=100_000,
            )
        ],
    )
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    route = plan.routes[0]
    expected = 100_000 + 4 * route.distance_m + round(60_000 * route.duration_s / 3600)
    assert abs(route.cost_rp - expected) <= 1


def test_same_seed_same_plan_with_a_work_limit() -> None:
    problem = problem_with(city(15), [truck("T1", 1000), truck("T2", 1000)])
    config = SearchConfig(time_limit_is_work_limit=True, work_units_per_s=200)
    first = solve(problem, time_limit_s=1.0, seed=3, config=config)
    second = solve(problem, time_limit_s=1.0, seed=3, config=config)
    assert first == second
    assert_invariants(problem, first)


def test_no_stops_is_an_empty_problem() -> None:
    with pytest.raises(EmptyProblem) as err:
        solve(problem_with([], [truck("T1")]), time_limit_s=LIMIT_S)
    assert err.value.code == "empty_problem"


def test_bin_heavier_than_every_truck_is_infeasible() -> None:
    huge = Stop("huge", -3.70, 128.18, Decimal(9000), Decimal(1))
    with pytest.raises(InfeasibleProblem, match="huge") as err:
        solve(
            problem_with([*city(3), huge], [truck("T1", 1000), truck("T2", 5000)]),
            time_limit_s=LIMIT_S,
        )
    assert err.value.code == "infeasible_problem"
    assert err.value.stop_ids == ("huge",)


def test_stop_out_of_reach_within_the_shift_is_infeasible() -> None:
    faraway = Stop("faraway", -5.5, 130.0, Decimal(10), Decimal("0.1"))
    with pytest.raises(InfeasibleProblem, match="faraway"):
        solve(problem_with([*city(3), faraway], [truck("T1")]), time_limit_s=LIMIT_S)


def test_window_before_the_shift_is_infeasible() -> None:
    early = Stop(
        "early",
        -3.70,
        128.18,
        Decimal(10),
        Decimal("0.1"),
        time_windows=(TimeWindow(3 * H, 4 * H),),
    )
    with pytest.raises(InfeasibleProblem, match="early"):
        solve(problem_with([*city(3), early], [truck("T1")]), time_limit_s=LIMIT_S)


def test_unreachable_optional_stop_is_dropped_not_an_error() -> None:
    faraway = Stop(
        "faraway",
        -5.5,
        130.0,
        Decimal(10),
        Decimal("0.1"),
        priority=Priority.OPTIONAL,
        penalty_rp=10,
    )
    problem = problem_with([*city(3), faraway], [truck("T1")])
    plan = solve(problem, time_limit_s=LIMIT_S)
    assert_invariants(problem, plan)
    assert plan.dropped_stop_ids == ("faraway",)


def test_too_much_work_for_the_fleet_names_the_stops_left() -> None:
    """Each stop fits alone, but not all of them within one short shift."""
    stops = [replace(s, service_s=1800) for s in city(12)]
    problem = problem_with(
        stops, [truck("T1", 5000, shift_start_s=7 * H, shift_end_s=11 * H)]
    )
    with pytest.raises(InfeasibleProblem) as err:
        solve(problem, time_limit_s=LIMIT_S)
    assert err.value.stop_ids
    assert err.value.stop_ids[0] in str(err.value)


# -- re-planning during the day: a truck starts where it is, with what it carries ------
def _mid_day_problem(vehicles: list[Vehicle], stops: list[Stop]) -> CollectionProblem:
    """Garage G and the truck's position P (near the TPA), as re-planning builds it."""
    return CollectionProblem(
        (Depot("G", -3.70, 128.18), Depot("P", -3.66, 128.23)),
        (Facility("TPA", -3.65, 128.24, unload_s=900),),
        tuple(vehicles),
        tuple(stops),
    )


def test_a_truck_that_starts_elsewhere_leaves_from_there_and_ends_at_its_depot() -> (
    None
):
    stops = city(5)
    problem = _mid_day_problem(
        [truck("T1", 5000, start_id="P", shift_start_s=10 * H)], stops
    )
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    (route,) = plan.routes
    assert route.start_s >= 10 * H
    assert route.depot_id == "G"
    # The first leg is measured from P, not from the garage.
    source = problem.distance_source
    places = {p.place_id: p for p in problem.places()}
    first = route.visits[0].place_id
    from_p = source.matrices([places["P"], places[first]]).distance_m[0][1]
    from_g = source.matrices([places["G"], places[first]]).distance_m[0][1]
    assert from_p != from_g
    assert route.visits[0].distance_m == from_p
    # The same route checked as if it left from the garage is wrong.
    at_garage = replace(problem, vehicles=(truck("T1", 5000, shift_start_s=10 * H),))
    assert any(v.code == "wrong_leg" for v in validate(at_garage, plan))


def test_initial_load_counts_against_capacity_and_is_unloaded() -> None:
    """900 of 1000 kg on board: the first 150 kg bin needs an unload before it."""
    stops = [Stop("S1", -3.69, 128.19, Decimal(150), Decimal("0.4"))]
    loaded = truck(
        "T1",
        1000,
        start_id="P",
        initial_load_kg=Decimal(900),
        # Crew time costs: without it an idle extra unloading is free.
        cost_rp_per_hour=60_000,
    )
    problem = _mid_day_problem([loaded], stops)
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    (route,) = plan.routes
    kinds = [v.kind for v in route.visits]
    assert kinds == [VisitKind.UNLOAD, VisitKind.STOP, VisitKind.UNLOAD]
    assert route.collected_kg == Decimal(150)  # what it carried is not "collected" here
    # Loads count from the initial load: the same route without its first unloading
    # overloads the truck, and the check says so.
    shortcut = replace(route, visits=route.visits[1:])
    codes = {v.code for v in validate(problem, replace(plan, routes=(shortcut,)))}
    assert "capacity_kg" in codes


def test_a_loaded_truck_with_nothing_to_collect_still_goes_to_unload() -> None:
    """Optional bins not worth it: the loaded truck still drives P -> TPA -> G."""
    far = [
        Stop(
            "S1",
            -3.80,
            128.30,
            Decimal(50),
            Decimal("0.1"),
            priority=Priority.OPTIONAL,
            penalty_rp=0,
        )
    ]
    loaded = truck(
        "T1",
        1000,
        start_id="P",
        initial_load_kg=Decimal(400),
        initial_load_m3=Decimal(2),
    )
    idle = truck("T2", 1000)
    problem = _mid_day_problem([loaded, idle], far)
    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    assert [r.vehicle_id for r in plan.routes] == ["T1"]
    (route,) = plan.routes
    assert [v.kind for v in route.visits] == [VisitKind.UNLOAD]
    assert route.distance_m > 0
    # Without that route the loaded truck would keep its load: the check says so.
    no_routes = RoutePlan.from_routes((), plan.dropped_stop_ids, plan.penalty_rp)
    assert any(v.code == "not_empty_at_depot" for v in validate(problem, no_routes))


def test_a_second_trip_needing_an_unloading_and_a_bin_at_once_is_found() -> None:
    """The demo day re-planned at 02:00 WIT (snapshot): the truck stands at a blocked
    bin with 2.76 of its 6 m3 on board, and its three bins (7.8 m3) need a second
    trip. Local cheapest insertion adds one node at a time and leaves two of them
    out; the fallback search (parallel insertion) serves all three."""
    data = Path(__file__).parent / "data" / "replan_loaded_truck.json"
    problem = problem_from_json(json.loads(data.read_text()))
    assert {s.penalty_rp for s in problem.stops} == {10_000_000}

    alone = replace(COLLECTION_SEARCH, fallback_first_solution=None)
    missed = solve(problem, time_limit_s=LIMIT_S, seed=0, config=alone)
    assert len(missed.dropped_stop_ids) == 2  # what the re-plan used to propose

    plan = solve(problem, time_limit_s=LIMIT_S, seed=0)
    assert_invariants(problem, plan)
    assert plan.dropped_stop_ids == ()
    (route,) = plan.routes
    kinds = [v.kind for v in route.visits]
    assert kinds.count(VisitKind.UNLOAD) == 2
    assert kinds[-1] is VisitKind.UNLOAD
    assert plan.penalty_rp == 0


def test_start_id_and_initial_load_are_checked() -> None:
    with pytest.raises(ValueError, match="initial load"):
        truck("T1", 1000, initial_load_kg=Decimal(1001))
    with pytest.raises(ValueError, match="unknown depot X"):
        problem_with(city(1), [truck("T1", start_id="X")])
