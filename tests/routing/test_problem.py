"""Problem and plan dataclasses: validation, units and the cost formula."""

from __future__ import annotations

from decimal import Decimal

import pytest

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
    route_cost_rp,
)

H = 3600


def vehicle(**kw: object) -> Vehicle:
    """A 5 t truck at garage G."""
    args: dict[str, object] = {
        "vehicle_id": "T1",
        "depot_id": "G",
        "capacity_kg": Decimal(5000),
        "capacity_m3": Decimal(10),
    }
    args.update(kw)
    return Vehicle(**args)  # type: ignore[arg-type]


def problem(**kw: object) -> CollectionProblem:
    """One garage, one TPA, one truck, one bin."""
    args: dict[str, object] = {
        "depots": (Depot("G", -3.70, 128.18),),
        "facilities": (Facility("TPA", -3.65, 128.25),),
        "vehicles": (vehicle(),),
        "stops": (Stop("B1", -3.69, 128.19, Decimal(100), Decimal("0.5")),),
    }
    args.update(kw)
    return CollectionProblem(**args)  # type: ignore[arg-type]


def test_quantities_become_decimals() -> None:
    stop = Stop("B1", 0.0, 0.0, 12.5, 0.1)  # type: ignore[arg-type]
    assert stop.demand_kg == Decimal("12.5")
    assert stop.demand_m3 == Decimal("0.1")
    assert vehicle(capacity_kg=5000).capacity_kg == Decimal(5000)


def test_allowed_ids_become_frozensets() -> None:
    assert vehicle(allowed_facility_ids=["TPA"]).allowed_facility_ids == frozenset(
        {"TPA"}
    )


def test_reversed_time_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        TimeWindow(10, 5)


def test_window_bounds_are_inclusive() -> None:
    window = TimeWindow(8 * H, 9 * H)
    assert window.contains(8 * H)
    assert window.contains(9 * H)
    assert not window.contains(9 * H + 1)


@pytest.mark.parametrize(
    "kw",
    [
        {"capacity_kg": Decimal(0)},
        {"shift_start_s": 10 * H, "shift_end_s": 9 * H},
        {"speed_factor": 0.0},
        {"cost_rp_per_km": -1},
        {"rest_break": Break(5 * H, 6 * H, 1800)},  # before the 06:00 shift
        {"rest_break": Break(13 * H, 14 * H, 1800)},  # ends after 14:00
    ],
)
def test_invalid_vehicles_are_rejected(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="T1"):
        vehicle(**kw)


def test_invalid_stops_and_facilities_are_rejected() -> None:
    with pytest.raises(ValueError, match="demands"):
        Stop("B1", 0.0, 0.0, Decimal(-1), Decimal(0))
    with pytest.raises(ValueError, match="penalty"):
        Stop(
            "B1",
            0.0,
            0.0,
            Decimal(1),
            Decimal(0),
            priority=Priority.OPTIONAL,
            penalty_rp=-5,
        )
    with pytest.raises(ValueError, match="opening hours"):
        Facility("TPA", 0.0, 0.0, opening_hours=())
    with pytest.raises(ValueError, match="latest_start_s"):
        Break(10 * H, 9 * H, 60)


def test_place_ids_must_be_unique_across_kinds() -> None:
    with pytest.raises(ValueError, match="unique"):
        problem(stops=(Stop("G", 0.0, 0.0, Decimal(1), Decimal(0)),))


def test_cross_references_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown depot"):
        problem(vehicles=(vehicle(depot_id="nowhere"),))
    with pytest.raises(ValueError, match="unknown facilities"):
        problem(vehicles=(vehicle(allowed_facility_ids=frozenset({"RDF"})),))
    with pytest.raises(ValueError, match="unknown vehicles"):
        problem(
            stops=(
                Stop(
                    "B1",
                    0.0,
                    0.0,
                    Decimal(1),
                    Decimal(0),
                    allowed_vehicle_ids=frozenset({"T9"}),
                ),
            )
        )
    with pytest.raises(ValueError, match="vehicle ids"):
        problem(vehicles=(vehicle(), vehicle()))


def test_places_come_in_matrix_order() -> None:
    assert [p.place_id for p in problem().places()] == ["G", "TPA", "B1"]


def test_lookups_by_id() -> None:
    p = problem()
    assert p.depot("G").depot_id == "G"
    assert p.facility("TPA").unload_s == 900
    assert p.vehicle("T1").capacity_m3 == Decimal(10)
    assert p.stop("B1").priority is Priority.MUST
    with pytest.raises(KeyError):
        p.stop("nope")


def test_route_cost_combines_fixed_distance_and_time_rounded_half_up() -> None:
    truck = vehicle(cost_rp_per_km=4000, cost_rp_per_hour=60_000, fixed_cost_rp=100_000)
    # 12.5 km * 4000 + 1.5 h * 60 000 + 100 000
    assert route_cost_rp(truck, 12_500, 5400) == 50_000 + 90_000 + 100_000
    # 1 m at 1500 rp/km = 1.5 rp -> 2 rp
    assert route_cost_rp(vehicle(cost_rp_per_km=1500), 1, 0) == 2


def test_slower_trucks_take_longer() -> None:
    assert vehicle(speed_factor=0.8).travel_s(100) == 125
    assert vehicle().travel_s(100) == 100


def test_plan_totals_add_up_the_routes() -> None:
    def route(vid: str, metres: int, seconds: int) -> Route:
        return Route(
            vid,
            "G",
            0,
            seconds,
            (),
            0,
            None,
            metres,
            seconds,
            Decimal(10),
            Decimal(1),
            1,
            7,
        )

    plan = RoutePlan.from_routes(
        [route("T1", 1000, 3600), route("T2", 500, 1800)], ["B9"], 42
    )
    assert plan.distance_m == 1500
    assert plan.distance_km == 1.5
    assert plan.duration_h == 1.5
    assert plan.collected_kg == Decimal(20)
    assert plan.trips == 2
    assert plan.cost_rp == 14
    assert plan.dropped_stop_ids == ("B9",)
    assert plan.penalty_rp == 42
