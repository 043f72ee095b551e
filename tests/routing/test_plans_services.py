"""Service tests of route plans: selection from bin state, storage, the demo fleet."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from routing import services, validate
from routing.demo import load as load_routing_demo
from routing.exceptions import InvalidRoutingValue, NoTrucks
from routing.models import RoutePlan, Truck
from routing.snapshot import problem_from_json, problem_to_json
from telemetry import services as telemetry_services
from tests.routing.conftest import (
    LAST_READING_AT,
    SERVICE_DATE,
    TIME_LIMIT_S,
    Fleet,
    add_bin,
    make_truck,
    offset,
)
from wastebank import demo
from wastebank.access import SYSTEM, Actor, Role


def _plan(db: Session, **overrides: object) -> RoutePlan:
    args: dict[str, object] = {
        "city": "AMB",
        "service_date": SERVICE_DATE,
        "time_limit_s": TIME_LIMIT_S,
        "seed": 1,
    }
    args.update(overrides)
    return services.create_route_plan(db, SYSTEM, **args)  # type: ignore[arg-type]


def test_levels_grow_to_the_shift_start_and_the_threshold_decides(
    db: Session, fleet: Fleet
) -> None:
    """The level (filtered by telemetry) grows at the learned rate from the 04:00
    reading to the 05:00 shift start; below the 80 % threshold but full within two
    days, the bin is optional, and a 60 % override makes it a must."""
    bin_ = add_bin(db, "AMB-01", fill_pct=76, rate_pct_per_day=24)
    assert bin_.fill_pct is not None and bin_.fill_rate_pct_per_day is not None
    expected = bin_.fill_pct + bin_.fill_rate_pct_per_day / 24
    assert 60 < expected < 80

    default = _plan(db)
    stricter = _plan(db, threshold_pct=60)

    assert default.routes == []
    assert [s.bin.code for s in default.left_out] == ["AMB-01"]
    assert default.left_out[0].expected_fill_pct == pytest.approx(expected, abs=0.01)
    assert default.left_out[0].penalty_rp > 0
    (route,) = stricter.routes
    stop = route.stops[0]
    assert stop.bin.code == "AMB-01"
    assert stop.priority == "must"
    assert stop.expected_fill_pct == pytest.approx(expected, abs=0.01)
    assert stricter.parameters["threshold_pct"] == 60
    # Readings were at 04:00 WIT; the plan's times are UTC from local midnight.
    assert route.start_at >= LAST_READING_AT + dt.timedelta(hours=1)


def test_a_bin_emptied_after_its_last_reading_grows_from_the_collection(
    db: Session, fleet: Fleet
) -> None:
    """Read at 95 % at 04:00, emptied at 16:00: the next morning it is expected at
    13 h of growth (from 0 % at 16:00), not at 25 h from the reading."""
    bin_ = add_bin(db, "AMB-01", fill_pct=95, rate_pct_per_day=48)
    rate = bin_.fill_rate_pct_per_day
    assert rate is not None and rate > 0
    emptied_at = LAST_READING_AT + dt.timedelta(hours=12)
    telemetry_services.record_collection(db, bin_.id, emptied_at, now=emptied_at)
    db.commit()
    plan = _plan(db, service_date=SERVICE_DATE + dt.timedelta(days=1), threshold_pct=1)
    (route,) = plan.routes
    stop = route.stops[0]
    assert stop.expected_fill_pct == pytest.approx(rate * 13 / 24, abs=0.01)


def test_the_service_flushes_but_does_not_commit(db: Session, fleet: Fleet) -> None:
    add_bin(db, "AMB-01", fill_pct=95)
    db.commit()
    plan = _plan(db)
    assert plan.id is not None
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(RoutePlan)) == 0


def test_a_day_with_nothing_to_collect_is_an_empty_plan_with_reasons(
    db: Session, fleet: Fleet
) -> None:
    bin_ = add_bin(db, "AMB-01", fill_pct=10, rate_pct_per_day=3)
    assert bin_.fill_pct is not None and bin_.fill_rate_pct_per_day is not None

    plan = _plan(db)

    assert plan.routes == []
    assert plan.distance_m == plan.trips == plan.cost_rp == 0
    (skip,) = plan.skipped
    assert skip.bin.code == "AMB-01"
    assert "below threshold" in skip.reason
    expected_fill = bin_.fill_pct + bin_.fill_rate_pct_per_day / 24
    assert skip.expected_fill_pct == pytest.approx(expected_fill, abs=0.01)
    assert skip.days_to_full == pytest.approx(
        (100 - expected_fill) / bin_.fill_rate_pct_per_day, abs=0.01
    )


def test_only_the_trucks_asked_for_and_able_to_unload_there_are_used(
    db: Session, fleet: Fleet
) -> None:
    services.create_facility(
        db, SYSTEM, code="RDF-1", name="RDF", kind="rdf_plant", city="AMB",
        lat=-3.66, lon=128.22,
    )  # fmt: skip
    make_truck(db, "T3", facilities=["RDF-1"])
    add_bin(db, "AMB-01", fill_pct=95)
    add_bin(db, "AMB-02", fill_pct=95, at=offset(0.01, 0.0))

    plan = _plan(db)  # default fleet: T3 may not unload at the TPA, so it is left out
    assert {r.truck.code for r in plan.routes} <= {"T1", "T2"}
    assert {v["vehicle_id"] for v in plan.problem["vehicles"]} == {"T1", "T2"}
    with pytest.raises(InvalidRoutingValue, match="T3 may not unload at TPA-TOISAPU"):
        _plan(db, trucks=["T3"])
    # At the RDF plant every truck may unload (T1 and T2 have no restriction).
    anywhere = _plan(db, facility="RDF-1")
    assert {v["vehicle_id"] for v in anywhere.problem["vehicles"]} == {"T1", "T2", "T3"}
    rdf = _plan(db, facility="RDF-1", trucks=["T3"])
    assert {r.truck.code for r in rdf.routes} == {"T3"}
    assert {s.facility.code for r in rdf.routes for s in r.stops if s.facility} == {
        "RDF-1"
    }


def test_inactive_trucks_are_not_planned(db: Session, fleet: Fleet) -> None:
    for truck in db.scalars(sa.select(Truck)):
        truck.active = False
    add_bin(db, "AMB-01", fill_pct=95)
    with pytest.raises(NoTrucks, match="AMB has no active truck"):
        _plan(db)


def test_admin_must_name_the_city(db: Session, fleet: Fleet) -> None:
    with pytest.raises(InvalidRoutingValue) as raised:
        services.create_route_plan(
            db, Actor(role=Role.ADMIN, user_id=1), service_date=SERVICE_DATE
        )
    assert raised.value.field == "city"


def test_a_problem_snapshot_survives_json(db: Session, fleet: Fleet) -> None:
    make_truck(db, "NIGHT", shift_start_s=0, shift_end_s=8 * 3600, rest_break=None)
    add_bin(db, "AMB-01", fill_pct=95, access_windows=[["22:00", "02:00"]])
    plan = _plan(db, trucks=["NIGHT"])
    assert [s.bin.code for r in plan.routes for s in r.stops if s.bin] == ["AMB-01"]
    problem = services.stored_problem(plan)
    # A window across midnight becomes two: after midnight and until 02:00 next day.
    (stop,) = problem.stops
    assert [(w.start_s, w.end_s) for w in stop.time_windows] == [
        (0, 2 * 3600),
        (22 * 3600, 26 * 3600),
    ]
    assert problem_from_json(problem_to_json(problem)) == problem


def test_the_demo_fleet_plans_tomorrow_from_the_demo_bins(db: Session) -> None:
    demo.load(db, password_method="pbkdf2:sha256:1000")
    load_routing_demo(db)  # a second run adds nothing
    assert db.scalar(sa.select(sa.func.count()).select_from(Truck)) == 4
    zone_today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()

    plan = services.create_route_plan(
        db,
        SYSTEM,
        city="AMB",
        service_date=zone_today + dt.timedelta(days=1),
        time_limit_s=TIME_LIMIT_S,
    )

    assert plan.routes
    assert {s.facility.code for r in plan.routes for s in r.stops if s.facility} == {
        "AMB-TPA-TOISAPU"
    }
    assert validate(services.stored_problem(plan), services.stored_solution(plan)) == []
