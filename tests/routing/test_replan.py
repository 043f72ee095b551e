"""Re-planning a dispatched day for the bins not yet done (API and service)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from routing import services
from routing.exceptions import ReplanRefused
from routing.models import RoutePlan, RouteStop
from routing.services.replan import MUST_PENALTY_RP, NO_TIME_LEFT
from routing.validate import validate
from tests import factories
from tests.routing.conftest import (
    SERVICE_DATE,
    TIME_LIMIT_S,
    WIT,
    Fleet,
    add_bin,
    offset,
    plan_and_dispatch,
    plan_today_round_the_clock,
)
from wastebank.access import SYSTEM, Actor, Role
from wastebank.models import User

PLANS = "/api/v1/route-plans"
ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}
BINS = {
    "AMB-A": offset(0.0, 0.0),
    "AMB-B": offset(0.012, 0.0),
    "AMB-C": offset(0.0, 0.012),
    "AMB-D": offset(0.012, 0.012),
}


@dataclass
class Day:
    fleet: Fleet
    driver: User
    plan_id: int
    route_id: int
    #: bin code -> stop id, in route order
    stops: dict[str, int]


@pytest.fixture
def day(db: Session, fleet: Fleet) -> Day:
    """Four full bins in Ambon on one route of truck T1, dispatched to ``sopir``."""
    for code, at in BINS.items():
        add_bin(db, code, fill_pct=95, at=at)
    factories.make_user(db, username="sopir.2", role="driver", city_code="AMB")
    db.commit()
    route = plan_and_dispatch(db, trucks=["T1"])
    plan = route.plan
    stops = {s.bin.code: s.id for s in route.stops if s.bin is not None}
    assert set(stops) == set(BINS)
    return Day(fleet, fleet.users["driver"], plan.id, route.id, stops)


def _actor(user: User) -> Actor:
    return Actor(Role(user.role), user_id=user.id, city_id=user.city_id)


def _report(
    db: Session, user: User, stop_id: int, kind: str, at: dt.datetime, **extra: Any
) -> None:
    services.record_stop_event(
        db,
        _actor(user),
        stop_id,
        kind=kind,
        occurred_at=at,
        idempotency_key=str(uuid.uuid4()),
        request_hash=uuid.uuid4().hex * 2,
        now=at,
        **extra,
    )
    db.commit()


def _at(hour: int, minute: int = 0) -> dt.datetime:
    """A time of the service day, WIT."""
    return dt.datetime(2026, 11, 20, hour, minute, tzinfo=WIT)


def _replan(db: Session, plan_id: int, now: dt.datetime, **kw: Any) -> RoutePlan:
    new = services.replan_route_plan(
        db, SYSTEM, plan_id, now=now, time_limit_s=TIME_LIMIT_S, **kw
    )
    db.commit()
    return services.get_route_plan(db, SYSTEM, new.id)


def _bins_of(plan: RoutePlan) -> list[str]:
    return [s.bin.code for r in plan.routes for s in r.stops if s.bin is not None]


def _order(day: Day) -> list[str]:
    return list(day.stops)


# -- what is left, and where the truck starts -----------------------------------------------------
def test_the_rest_of_the_day_starts_where_the_truck_is_with_its_load(
    db: Session, day: Day
) -> None:
    first, second, third, fourth = _order(day)
    _report(db, day.driver, day.stops[first], "collected", _at(5, 30))
    _report(db, day.driver, day.stops[second], "skipped", _at(5, 45), reason="blocked")
    _report(
        db, day.driver, day.stops[third], "skipped", _at(6, 0), reason="already_empty"
    )

    new = _replan(db, day.plan_id, _at(7, 0))

    assert new.replans_id == day.plan_id
    assert new.status == "planned"
    # Collected and already-empty bins are done; the blocked one is tried again.
    assert sorted(_bins_of(new)) == sorted([second, fourth])
    assert new.skips == []
    (route,) = new.routes
    assert route.truck.code == "T1"
    # It leaves from the last bin its driver reported on, not before 07:00 WIT.
    assert (route.start_lat, route.start_lon) == BINS[third]
    assert route.start_at >= _at(7, 0)
    # What it collected at the first bin is still on board.
    old_first = db.get(RouteStop, day.stops[first])
    assert old_first is not None and old_first.demand_kg is not None
    first_visit = route.stops[0]
    assert first_visit.kind == "stop" and first_visit.demand_kg is not None
    assert first_visit.load_after_kg == old_first.demand_kg + first_visit.demand_kg
    assert route.stops[-1].kind == "unload"
    # Planned as optional with a high penalty, but shown as what they are: must.
    assert {s.priority for s in route.stops if s.kind == "stop"} == {"must"}
    # The stored re-plan passes the independent check against its own snapshot.
    problem = services.stored_problem(new)
    assert validate(problem, services.stored_solution(new)) == []
    vehicle = problem.vehicle("T1")
    assert vehicle.start_id == "at:T1"
    assert vehicle.initial_load_kg == old_first.demand_kg
    assert vehicle.shift_start_s == 7 * 3600
    # The break (09:00-11:00) can still be taken.
    assert vehicle.rest_break is not None
    assert route.break_start_at is not None


def test_a_truck_with_nothing_reported_starts_at_its_depot(
    db: Session, day: Day
) -> None:
    new = _replan(db, day.plan_id, _at(6, 0))
    assert sorted(_bins_of(new)) == sorted(BINS)
    (route,) = new.routes
    assert (route.start_lat, route.start_lon) == (None, None)
    vehicle = services.stored_problem(new).vehicle("T1")
    assert vehicle.start_id is None
    assert vehicle.initial_load_kg == 0


def test_a_broken_truck_is_replaced_by_another_from_its_depot(
    db: Session, day: Day
) -> None:
    first = _order(day)[0]
    _report(db, day.driver, day.stops[first], "collected", _at(5, 30))
    new = _replan(db, day.plan_id, _at(8, 0), trucks=["t2"])
    (route,) = new.routes
    assert route.truck.code == "T2"
    assert (route.start_lat, route.start_lon) == (None, None)
    assert sorted(_bins_of(new)) == sorted(set(BINS) - {first})
    assert services.stored_problem(new).vehicle("T2").initial_load_kg == 0
    # Nobody drives T2 today: no suggestion; T1's driver may take it.
    assert services.suggested_drivers(db, new) == {}
    services.dispatch_plan(db, SYSTEM, new.id, [(route.id, "sopir")])
    db.commit()
    assert new.status == "dispatched"


def test_bins_that_no_longer_fit_in_the_day_are_left_out_not_refused(
    db: Session, day: Day
) -> None:
    # 12:30 WIT: half an hour of shift left for four bins and the TPA 13 km away.
    new = _replan(db, day.plan_id, _at(12, 30))
    left = {s.bin.code: s for s in new.left_out}
    assert left, "some bins cannot be done by 13:00"
    assert set(left) | set(_bins_of(new)) == set(BINS)
    assert {s.reason for s in left.values()} == {NO_TIME_LEFT}
    assert {s.penalty_rp for s in left.values()} == {MUST_PENALTY_RP}


def test_bins_that_filled_up_since_join_when_asked(db: Session, day: Day) -> None:
    first, *rest = _order(day)
    _report(db, day.driver, day.stops[first], "collected", _at(5, 30))
    # Not in the morning's plan: E is over its threshold now, F far from it.
    add_bin(db, "AMB-E", fill_pct=95, at=offset(0.006, 0.006))
    add_bin(db, "AMB-F", fill_pct=20, at=offset(0.006, 0.0))
    db.commit()

    plain = _replan(db, day.plan_id, _at(7, 0))
    assert sorted(_bins_of(plain)) == sorted(rest)

    new = _replan(db, day.plan_id, _at(7, 0), add_full_bins=True)
    # The plan's open bins and E; not F, and not the bin collected this morning.
    assert sorted(_bins_of(new)) == sorted([*rest, "AMB-E"])
    added = next(
        s for r in new.routes for s in r.stops if s.bin and s.bin.code == "AMB-E"
    )
    assert added.priority == "must"
    assert added.expected_fill_pct is not None and added.expected_fill_pct > 90
    assert new.parameters["add_full_bins"] is True
    problem = services.stored_problem(new)
    assert problem.stop("AMB-E").penalty_rp == MUST_PENALTY_RP
    assert validate(problem, services.stored_solution(new)) == []


def test_with_every_visit_done_only_a_newly_full_bin_is_left(
    db: Session, day: Day
) -> None:
    for stop_id in day.stops.values():
        _report(db, day.driver, stop_id, "collected", _at(6, 0))
    add_bin(db, "AMB-E", fill_pct=95, at=offset(0.006, 0.006))
    db.commit()
    with pytest.raises(ReplanRefused, match="Nothing is left"):
        services.replan_route_plan(db, SYSTEM, day.plan_id, now=_at(7, 0))
    db.rollback()

    new = _replan(db, day.plan_id, _at(7, 0), add_full_bins=True)
    assert _bins_of(new) == ["AMB-E"]
    # Dispatched and collected: nothing is left again, and E is done for today.
    services.dispatch_plan(
        db, SYSTEM, new.id, [(new.routes[0].id, day.driver.username)], now=_at(7, 5)
    )
    db.commit()
    (visit,) = [s for s in new.routes[0].stops if s.bin is not None]
    _report(db, day.driver, visit.id, "collected", _at(7, 30))
    with pytest.raises(ReplanRefused, match="no other bin must be collected"):
        services.replan_route_plan(
            db, SYSTEM, new.id, now=_at(7, 40), add_full_bins=True
        )


# -- dispatching the re-plan hands the day over ---------------------------------------------------
def test_dispatching_the_replan_hands_the_unfinished_visits_over(
    client: FlaskClient, db: Session, day: Day
) -> None:
    first, second, third, fourth = _order(day)
    _report(db, day.driver, day.stops[first], "collected", _at(5, 30))
    new = _replan(db, day.plan_id, _at(7, 0))
    (route,) = new.routes
    suggested = services.suggested_drivers(db, new)
    assert suggested == {route.id: "sopir"}
    # The driver of the old plan is not busy for the plan that takes it over.
    services.dispatch_plan(db, SYSTEM, new.id, list(suggested.items()))
    db.commit()
    db.expire_all()
    old = {
        s.bin.code: s
        for s in db.scalars(sa.select(RouteStop))
        if s.bin is not None and s.route_id == day.route_id
    }
    assert old[first].replaced_at is None
    assert old[first].state == "collected"
    for code in (second, third, fourth):
        assert old[code].replaced_at is not None
        assert old[code].state == "replaced"
    # The old unloading is handed over too: the new route plans its own.
    old_unload = db.scalars(
        sa.select(RouteStop).where(
            RouteStop.route_id == day.route_id, RouteStop.kind == "unload"
        )
    ).first()
    assert old_unload is not None and old_unload.state == "replaced"

    # The driver's phone shows both routes of the day: done and replaced visits of
    # the old one, then the new one.
    mine = client.get(
        "/api/v1/driver/routes",
        query_string={"date": SERVICE_DATE.isoformat()},
        headers=factories.auth_headers(db, day.driver),
    ).get_json()
    assert [r["plan"] for r in mine] == [day.plan_id, new.id]
    states = {s["bin"]: s["state"] for s in mine[0]["stops"] if s["bin"]}
    assert states == {
        first: "collected",
        second: "replaced",
        third: "replaced",
        fourth: "replaced",
    }
    assert {s["state"] for s in mine[1]["stops"]} == {"open"}

    # A report queued on the phone for a replaced visit still counts.
    _report(db, day.driver, day.stops[fourth], "collected", _at(7, 5))
    db.expire_all()
    replaced = db.get(RouteStop, day.stops[fourth])
    assert replaced is not None and replaced.state == "collected"
    assert replaced.bin is not None and replaced.bin.last_collected_at is not None


def test_a_replanned_plan_cannot_be_replanned_again_but_its_replan_can(
    db: Session, day: Day
) -> None:
    first, _second, *_ = _order(day)
    _report(db, day.driver, day.stops[first], "collected", _at(5, 30))
    new = _replan(db, day.plan_id, _at(7, 0))
    services.dispatch_plan(db, SYSTEM, new.id, [(new.routes[0].id, "sopir")])
    db.commit()
    with pytest.raises(ReplanRefused, match=f"re-planned already by plan {new.id}"):
        services.replan_route_plan(db, SYSTEM, day.plan_id, now=_at(8, 0))
    db.rollback()
    # On the new route, the driver empties its first bin; the next re-plan knows.
    new_first = next(s for s in new.routes[0].stops if s.kind == "stop")
    _report(db, day.driver, new_first.id, "collected", _at(7, 40))
    again = _replan(db, new.id, _at(8, 0))
    assert again.replans_id == new.id
    assert new_first.bin is not None
    assert new_first.bin.code not in _bins_of(again) + [
        s.bin.code for s in again.left_out
    ]
    assert first not in _bins_of(again)
    # Same driver again: busy neither on the first plan nor on the second.
    services.dispatch_plan(db, SYSTEM, again.id, [(again.routes[0].id, "sopir")])
    db.commit()
    assert again.status == "dispatched"


def test_of_two_replans_of_one_plan_only_the_first_dispatched_counts(
    db: Session, day: Day
) -> None:
    one = _replan(db, day.plan_id, _at(7, 0))
    two = _replan(db, day.plan_id, _at(7, 5), seed=2)
    services.dispatch_plan(db, SYSTEM, one.id, [(one.routes[0].id, "sopir")])
    db.commit()
    with pytest.raises(ReplanRefused, match=f"re-planned meanwhile by plan {one.id}"):
        services.dispatch_plan(db, SYSTEM, two.id, [(two.routes[0].id, "sopir.2")])
    db.rollback()
    db.expire_all()
    assert db.get(RoutePlan, two.id).status == "planned"  # type: ignore[union-attr]


# -- refusals ---------------------------------------------------------------------------------
def test_only_a_dispatched_plan_of_today_with_work_left_is_replanned(
    db: Session, day: Day, fleet: Fleet
) -> None:
    planned = services.create_route_plan(
        db, SYSTEM, service_date=SERVICE_DATE, city="AMB", time_limit_s=TIME_LIMIT_S
    )
    db.commit()
    with pytest.raises(ReplanRefused, match="not dispatched"):
        services.replan_route_plan(db, SYSTEM, planned.id, now=_at(7, 0))
    with pytest.raises(ReplanRefused, match="only today's"):
        services.replan_route_plan(
            db, SYSTEM, day.plan_id, now=_at(7, 0) + dt.timedelta(days=1)
        )
    with pytest.raises(ReplanRefused, match="shift is over"):
        services.replan_route_plan(db, SYSTEM, day.plan_id, now=_at(13, 30))
    for _code, stop_id in day.stops.items():
        _report(db, day.driver, stop_id, "collected", _at(6, 0))
    with pytest.raises(ReplanRefused, match="Nothing is left"):
        services.replan_route_plan(db, SYSTEM, day.plan_id, now=_at(7, 0))
    db.rollback()
    count = db.scalar(sa.select(sa.func.count()).select_from(RoutePlan))
    assert count == 2  # nothing stored by the refusals


# -- API ------------------------------------------------------------------------------------------
@pytest.fixture
def today_plan(db: Session, fleet: Fleet) -> RoutePlan:
    """Today's Ambon plan of two bins, dispatched to ``sopir``, whatever the hour."""
    for code, at in list(BINS.items())[:2]:
        add_bin(db, code, fill_pct=95, at=at)
    db.commit()
    return plan_today_round_the_clock(db)


def test_api_replans_and_suggests_the_same_driver(
    client: FlaskClient, db: Session, fleet: Fleet, today_plan: RoutePlan
) -> None:
    answer = client.post(
        f"{PLANS}/{today_plan.id}/replan",
        json={"time_limit_s": TIME_LIMIT_S},
        headers=factories.auth_headers(db, fleet.users["dlh"]),
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["replans"] == today_plan.id
    assert body["status"] == "planned"
    served = [s["bin"] for r in body["routes"] for s in r["stops"] if s["bin"]]
    assert sorted(served) == sorted(list(BINS)[:2])
    assert body["left_out"] == []
    assert body["suggested_assignments"] == [
        {"route": r["id"], "driver": "sopir"} for r in body["routes"]
    ]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(body) == set(spec["components"]["schemas"]["Replan"]["properties"])
    post = spec["paths"]["/api/v1/route-plans/{plan_id}/replan"]["post"]
    assert {"201", "401", "403", "404", "409", "422", "503"} <= set(post["responses"])


def test_api_refusals_are_one_envelope_and_store_nothing(
    client: FlaskClient, db: Session, fleet: Fleet, today_plan: RoutePlan
) -> None:
    def post(plan_id: int, user: User, body: Any = None) -> Any:
        return client.post(
            f"{PLANS}/{plan_id}/replan",
            json=body if body is not None else {},
            headers=factories.auth_headers(db, user),
        )

    before = db.scalar(sa.select(sa.func.count()).select_from(RoutePlan))
    cases = [
        (post(today_plan.id, fleet.users["driver"]), 403, "permission_denied"),
        (
            post(today_plan.id, fleet.users["dlh_other_city"]),
            404,
            "route_plan_not_found",
        ),
        (
            post(today_plan.id, fleet.users["dlh"], {"trucks": ["NOPE"]}),
            422,
            "invalid_reference",
        ),
        (
            post(today_plan.id, fleet.users["dlh"], {"trucks": []}),
            422,
            "validation_error",
        ),
        (
            post(today_plan.id, fleet.users["dlh"], {"time_limit_s": 0}),
            422,
            "validation_error",
        ),
        (
            post(today_plan.id, fleet.users["dlh"], {"add_full_bins": "maybe"}),
            422,
            "validation_error",
        ),
        (post(2**31 - 1, fleet.users["dlh"]), 404, "route_plan_not_found"),
    ]
    for answer, status, code in cases:
        body = answer.get_json()
        assert answer.status_code == status, body
        assert set(body) == ENVELOPE_KEYS
        assert body["type"] == code, body
    # Dispatch it by re-planning and dispatching; re-planning the old one is 409.
    first = post(today_plan.id, fleet.users["dlh"], {"time_limit_s": TIME_LIMIT_S})
    assert first.status_code == 201
    new = first.get_json()
    client.post(
        f"{PLANS}/{new['id']}/dispatch",
        json={"assignments": new["suggested_assignments"]},
        headers=factories.auth_headers(db, fleet.users["dlh"]),
    )
    again = post(today_plan.id, fleet.users["dlh"])
    assert again.status_code == 409
    assert again.get_json()["type"] == "replan_refused"
    db.expire_all()
    after = db.scalar(sa.select(sa.func.count()).select_from(RoutePlan))
    assert after == (before or 0) + 1
