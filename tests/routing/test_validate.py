"""The independent plan checker catches every kind of violation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from routing.distance import MatrixSource
from routing.problem import (
    Break,
    CollectionProblem,
    Depot,
    Facility,
    Priority,
    Route,
    RoutePlan,
    Stop,
    TimeWindow,
    Vehicle,
    Visit,
    VisitKind,
)
from routing.validate import validate

H = 3600
IDS = ("G", "G2", "F", "F2", "A", "B")
# Symmetric distances in metres; durations at 10 m/s.
_D = {
    ("G", "F"): 10_000,
    ("G", "F2"): 12_000,
    ("G", "A"): 2_000,
    ("G", "B"): 3_000,
    ("F", "F2"): 5_000,
    ("F", "A"): 9_000,
    ("F", "B"): 8_000,
    ("F2", "A"): 11_000,
    ("F2", "B"): 10_000,
    ("A", "B"): 1_500,
}
_D.update(
    {("G2", b): d for (a, b), d in list(_D.items()) if a == "G"} | {("G", "G2"): 1_000}
)


def _dist(a: str, b: str) -> int:
    return 0 if a == b else _D.get((a, b), _D.get((b, a), 0))


SOURCE = MatrixSource(
    IDS,
    tuple(tuple(_dist(a, b) for b in IDS) for a in IDS),
    tuple(tuple(_dist(a, b) // 10 for b in IDS) for a in IDS),
)


def make_problem(**vehicle_changes: object) -> CollectionProblem:
    """Depot G, TPA F (F2 a second plant), stops A (window 07-09) and B, one truck."""
    vehicle = Vehicle(
        vehicle_id="T1",
        depot_id="G",
        capacity_kg=Decimal(1000),
        capacity_m3=Decimal(5),
        shift_start_s=6 * H,
        shift_end_s=14 * H,
        rest_break=Break(10 * H, 12 * H, 1800),
        cost_rp_per_km=1000,
        cost_rp_per_hour=36_000,
    )
    vehicle = replace(vehicle, **vehicle_changes)  # type: ignore[arg-type]
    return CollectionProblem(
        depots=(Depot("G", -3.70, 128.18),),
        facilities=(
            Facility(
                "F",
                -3.62,
                128.23,
                opening_hours=(TimeWindow(7 * H, 17 * H),),
                unload_s=600,
            ),
            Facility("F2", -3.60, 128.20, unload_s=600),
        ),
        vehicles=(vehicle,),
        stops=(
            Stop(
                "A",
                -3.69,
                128.18,
                Decimal(400),
                Decimal(2),
                service_s=60,
                time_windows=(TimeWindow(7 * H, 9 * H),),
            ),
            Stop("B", -3.69, 128.19, Decimal(500), Decimal(2), service_s=60),
        ),
        distance_source=SOURCE,
    )


def visit(
    kind: VisitKind, pid: str, t: int, service: int, kg: int, m3: int, leg: int
) -> Visit:
    """A visit arriving and starting at ``t``."""
    return Visit(kind, pid, t, t, t + service, Decimal(kg), Decimal(m3), leg, leg // 10)


def make_plan() -> RoutePlan:
    """G -> A -> B -> F -> G, leaving 06:56:40, break at 10:00 back at the garage."""
    visits = (
        visit(VisitKind.STOP, "A", 25_200, 60, 400, 2, 2_000),
        visit(VisitKind.STOP, "B", 25_410, 60, 900, 4, 1_500),
        visit(VisitKind.UNLOAD, "F", 26_270, 600, 0, 0, 8_000),
    )
    route = Route(
        vehicle_id="T1",
        depot_id="G",
        start_s=25_000,
        end_s=27_870,
        visits=visits,
        return_distance_m=10_000,
        break_start_s=10 * H,
        distance_m=21_500,
        duration_s=2_870,
        collected_kg=Decimal(900),
        collected_m3=Decimal(4),
        trips=1,
        cost_rp=21_500 + 28_700,
    )
    return RoutePlan.from_routes([route], [], 0)


def codes(problem: CollectionProblem, plan: RoutePlan) -> set[str]:
    """The violation codes found."""
    return {v.code for v in validate(problem, plan)}


def with_route(plan: RoutePlan, **changes: object) -> RoutePlan:
    """Replace fields of the first route, keeping the plan totals as they were."""
    route = replace(plan.routes[0], **changes)  # type: ignore[arg-type]
    return replace(plan, routes=(route, *plan.routes[1:]))


def with_visit(plan: RoutePlan, k: int, **changes: object) -> RoutePlan:
    """Replace fields of visit ``k`` of the first route."""
    visits = list(plan.routes[0].visits)
    visits[k] = replace(visits[k], **changes)  # type: ignore[arg-type]
    return with_route(plan, visits=tuple(visits))


def test_hand_made_plan_is_valid() -> None:
    assert validate(make_problem(), make_plan()) == []


def test_missing_must_stop_is_reported() -> None:
    plan = make_plan()
    plan = with_route(plan, visits=(plan.routes[0].visits[0], plan.routes[0].visits[2]))
    assert "stop_missing" in codes(make_problem(), plan)


def test_duplicated_visit_is_reported() -> None:
    plan = make_plan()
    v = plan.routes[0].visits
    assert "stop_duplicated" in codes(
        make_problem(), with_route(plan, visits=(v[0], v[0], *v[1:]))
    )


def test_stop_both_served_and_dropped_is_reported() -> None:
    plan = replace(make_plan(), dropped_stop_ids=("A",))
    assert "stop_duplicated" in codes(make_problem(), plan)


def test_unaccounted_optional_stop_is_reported() -> None:
    problem = make_problem()
    problem = replace(
        problem,
        stops=(problem.stops[0], replace(problem.stops[1], priority=Priority.OPTIONAL)),
    )
    plan = make_plan()
    plan = with_route(plan, visits=(plan.routes[0].visits[0], plan.routes[0].visits[2]))
    assert "stop_unaccounted" in codes(problem, plan)
    assert "stop_missing" not in codes(problem, plan)


def test_weight_over_capacity_is_reported() -> None:
    assert "capacity_kg" in codes(make_problem(capacity_kg=Decimal(800)), make_plan())


def test_volume_over_capacity_is_reported() -> None:
    found = codes(make_problem(capacity_m3=Decimal(3)), make_plan())
    assert "capacity_m3" in found
    assert "capacity_kg" not in found


def test_wrong_reported_load_is_reported() -> None:
    assert "wrong_load" in codes(
        make_problem(), with_visit(make_plan(), 1, load_kg=Decimal(500))
    )


def test_load_on_board_at_the_depot_is_reported() -> None:
    plan = make_plan()
    plan = with_route(plan, visits=plan.routes[0].visits[:2])
    assert "not_empty_at_depot" in codes(make_problem(), plan)


def test_time_window_violation_is_reported() -> None:
    problem = make_problem()
    late_a = replace(problem.stops[0], time_windows=(TimeWindow(8 * H, 9 * H),))
    problem = replace(problem, stops=(late_a, problem.stops[1]))
    assert "time_window" in codes(problem, make_plan())


def test_arriving_faster_than_driving_is_reported() -> None:
    assert "time_travel" in codes(
        make_problem(), with_visit(make_plan(), 1, arrival_s=25_300)
    )


def test_leaving_before_service_ends_is_reported() -> None:
    assert "time_travel" in codes(
        make_problem(), with_visit(make_plan(), 0, departure_s=25_230)
    )


def test_wrong_leg_length_is_reported() -> None:
    assert "wrong_leg" in codes(
        make_problem(), with_visit(make_plan(), 0, distance_m=1_999)
    )


def test_shift_exceeded_is_reported() -> None:
    assert "shift_exceeded" in codes(make_problem(shift_start_s=25_100), make_plan())
    late = with_route(make_plan(), end_s=14 * H + 1, duration_s=14 * H + 1 - 25_000)
    assert "shift_exceeded" in codes(make_problem(), late)


def test_closed_facility_is_reported() -> None:
    problem = make_problem()
    closed = replace(problem.facilities[0], opening_hours=(TimeWindow(8 * H, 17 * H),))
    problem = replace(problem, facilities=(closed, problem.facilities[1]))
    assert "facility_closed" in codes(problem, make_plan())


def test_unloading_past_closing_time_is_reported() -> None:
    problem = make_problem()
    closing = replace(problem.facilities[0], opening_hours=(TimeWindow(7 * H, 26_500),))
    problem = replace(problem, facilities=(closing, problem.facilities[1]))
    assert "facility_closed" in codes(problem, make_plan())


def test_disallowed_facility_is_reported() -> None:
    found = codes(make_problem(allowed_facility_ids=frozenset({"F2"})), make_plan())
    assert "disallowed_facility" in found


def test_disallowed_vehicle_is_reported() -> None:
    problem = make_problem()
    a = replace(problem.stops[0], allowed_vehicle_ids=frozenset())
    problem = replace(problem, stops=(a, problem.stops[1]))
    assert "disallowed_vehicle" in codes(problem, make_plan())


def test_missing_break_is_reported() -> None:
    assert "break_missing" in codes(
        make_problem(), with_route(make_plan(), break_start_s=None)
    )


def test_break_outside_its_window_is_reported() -> None:
    assert "break_window" in codes(
        make_problem(), with_route(make_plan(), break_start_s=12 * H + 1)
    )


def test_break_during_a_visit_is_reported() -> None:
    problem = make_problem(rest_break=Break(7 * H, 12 * H, 1800))
    assert "break_overlap" in codes(
        problem, with_route(make_plan(), break_start_s=25_220)
    )


def test_break_squeezed_into_a_short_leg_is_reported() -> None:
    problem = make_problem(rest_break=Break(7 * H, 12 * H, 1800))
    assert "break_overlap" in codes(
        problem, with_route(make_plan(), break_start_s=25_270)
    )


def test_break_taken_on_the_road_with_enough_time_is_valid() -> None:
    """A break between B and F is fine when the arrival at F allows for it."""
    problem = make_problem(rest_break=Break(7 * H, 12 * H, 1800))
    plan = make_plan()
    shift = 1800
    v = plan.routes[0].visits
    moved = replace(
        v[2],
        arrival_s=v[2].arrival_s + shift,
        start_s=v[2].start_s + shift,
        departure_s=v[2].departure_s + shift,
    )
    plan = with_route(
        plan,
        visits=(v[0], v[1], moved),
        break_start_s=25_470,
        end_s=27_870 + shift,
        duration_s=2_870 + shift,
        cost_rp=21_500 + 46_700,
    )
    plan = RoutePlan.from_routes(plan.routes, [], 0)
    assert validate(problem, plan) == []


def test_unexpected_break_is_reported() -> None:
    assert "break_unexpected" in codes(make_problem(rest_break=None), make_plan())


def test_wrong_route_totals_are_reported() -> None:
    for field, value in [
        ("distance_m", 21_499),
        ("trips", 2),
        ("cost_rp", 1),
        ("collected_kg", Decimal(1)),
        ("duration_s", 1),
    ]:
        assert "wrong_totals" in codes(
            make_problem(), with_route(make_plan(), **{field: value})
        )


def test_wrong_plan_totals_are_reported() -> None:
    changes: list[tuple[str, Any]] = [
        ("distance_m", 1),
        ("trips", 3),
        ("cost_rp", 5),
        ("penalty_rp", 7),
        ("duration_s", 2),
        ("collected_m3", Decimal(9)),
    ]
    for field, value in changes:
        assert "wrong_totals" in codes(
            make_problem(), replace(make_plan(), **{field: value})
        )


def test_unknown_and_duplicate_vehicles_are_reported() -> None:
    plan = make_plan()
    stranger = replace(plan.routes[0], vehicle_id="T9")
    assert "unknown_vehicle" in codes(
        make_problem(), replace(plan, routes=(plan.routes[0], stranger))
    )
    twice = replace(plan, routes=(plan.routes[0], plan.routes[0]))
    assert "duplicate_route" in codes(make_problem(), twice)


def test_wrong_depot_is_reported() -> None:
    problem = make_problem()
    problem = replace(problem, depots=(*problem.depots, Depot("G2", -3.7, 128.1)))
    assert "wrong_depot" in codes(problem, with_route(make_plan(), depot_id="G2"))


@pytest.mark.parametrize("pid", ["nowhere", "G"])
def test_visit_to_an_unknown_place_is_reported(pid: str) -> None:
    assert "unknown_place" in codes(
        make_problem(), with_visit(make_plan(), 0, place_id=pid)
    )


def test_unload_at_a_stop_is_reported() -> None:
    plan = with_visit(make_plan(), 2, place_id="A")
    assert "unknown_place" in codes(make_problem(), plan)
