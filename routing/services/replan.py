"""Re-planning a dispatched day for the stops not yet done.

During the day a truck breaks down, a street is blocked, a driver is slower than
planned: DLH re-plans. :func:`replan_route_plan` takes today's dispatched plan and
plans what is left of it as a new plan (``replans_id`` = the old one):

* **what is left**: the bin visits nobody has reported done (collected, or skipped
  as already empty) and whose bin was not emptied today on another route; visits
  skipped as blocked, inaccessible or other are tried again. Every one becomes
  optional, a former must-collect bin with a penalty far above any route's cost, so
  that bins no truck can still fit in today are listed as left out instead of the
  whole re-plan failing;
* **each truck** starts where its driver last reported (the bin emptied or the
  facility unloaded at; its depot if nothing was reported yet) at the current time,
  with what it collected since its last unloading on board (the stops' planned
  demand), and its break kept only if it can still start; trucks whose shift is
  over are left out. Other active trucks of the city may be added: they leave their
  depot empty;
* **bins that filled up since** (``add_full_bins``): the city's bins that must be
  collected now by the selection rules (at or over the threshold) and are on no
  route dispatched today join as optional bins with the same penalty.

The new plan is stored as ``planned``, with each route's suggested driver (the one
who drives that truck today). Dispatching it (:func:`routing.services.dispatch_plan`)
hands the old plan's unfinished visits over: they are marked ``replaced_at`` and
drivers see the new route. A report that still arrives for a replaced visit counts.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from routing import problem as core
from routing.distance import DistanceSource
from routing.exceptions import (
    InvalidRoutingReference,
    InvalidRoutingValue,
    ReplanRefused,
)
from routing.models import (
    Facility,
    Route,
    RoutePlan,
    RoutePlanSkip,
    RouteStop,
    RouteStopEvent,
    Truck,
    utcnow,
)
from routing.selection import select_stops
from routing.services.common import (
    DISTANCE_SOURCE,
    PLAN_SEARCH,
    facility_place_id,
    local_midnight,
    normalise_code,
    require,
)
from routing.services.plans import (
    _Candidate,
    _candidates,
    _core_vehicle,
    _solve_checked,
    _store_routes,
    _totals,
    _with_fixed_distances,
    get_route_plan,
    stored_problem,
)
from routing.services.solving import PlanSolver, solve_here
from routing.snapshot import problem_to_json
from routing.solver import SearchConfig
from telemetry import services as telemetry_services
from telemetry.models import Bin
from wastebank.access import Action, Actor
from wastebank.extensions import SessionLike

log = logging.getLogger(__name__)

#: Search budget of a re-plan when the request names none, seconds: the trucks wait.
DEFAULT_REPLAN_TIME_LIMIT_S: Final = 3.0
#: Penalty of leaving out a bin that had to be collected: far above any route's cost,
#: so the solver leaves one out only when no truck can still fit it in today.
MUST_PENALTY_RP: Final = 10_000_000
#: Reason stored for a bin the re-plan could not fit into the rest of the day.
NO_TIME_LEFT = "no truck can still fit it in today"
#: Place id prefix of a truck's position in a re-plan's problem.
_POSITION = "at:"


@dataclass(frozen=True)
class TruckState:
    """Where a truck is and what it carries, from its driver's reports today.

    :param lat: position, or ``None`` when nothing was reported (at its depot).
    :param lon: position.
    :param load_kg: collected since its last unloading, kg (planned demands).
    :param load_m3: likewise, m³.
    """

    lat: float | None
    lon: float | None
    load_kg: Decimal
    load_m3: Decimal


def truck_state(
    session: SessionLike, truck_id: int, service_date: dt.date
) -> TruckState:
    """A truck's position and load from the reports on its routes of the day.

    Routes of every plan of the day count (a truck re-planned twice has reports on
    three routes); the reports are taken in the order they happened.
    """
    events = session.execute(
        sa.select(
            RouteStopEvent.kind,
            RouteStop.demand_kg,
            RouteStop.demand_m3,
            Bin.lat.label("bin_lat"),
            Bin.lon.label("bin_lon"),
            Facility.lat.label("facility_lat"),
            Facility.lon.label("facility_lon"),
        )
        .join(RouteStop, RouteStopEvent.stop_id == RouteStop.id)
        .join(Route, RouteStop.route_id == Route.id)
        .join(RoutePlan, Route.plan_id == RoutePlan.id)
        .outerjoin(Bin, RouteStop.bin_id == Bin.id)
        .outerjoin(Facility, RouteStop.facility_id == Facility.id)
        .where(
            Route.truck_id == truck_id,
            RoutePlan.service_date == service_date,
            RoutePlan.status != "cancelled",
        )
        .order_by(RouteStopEvent.occurred_at, RouteStopEvent.id)
    ).all()
    lat = lon = None
    load_kg, load_m3 = Decimal(0), Decimal(0)
    for row in events:
        if row.kind == "unloaded":
            lat, lon = row.facility_lat, row.facility_lon
            load_kg, load_m3 = Decimal(0), Decimal(0)
        else:
            lat, lon = row.bin_lat, row.bin_lon
            if row.kind == "collected":
                load_kg += row.demand_kg or 0
                load_m3 += row.demand_m3 or 0
    return TruckState(lat, lon, load_kg, load_m3)


def _bin_of(stop: RouteStop) -> Bin:
    """The bin of a bin visit (the table's check guarantees it has one)."""
    if stop.bin is None:
        raise ValueError(f"route stop {stop.id} is not a bin visit")
    return stop.bin


def _open_stops(plan: RoutePlan, midnight: dt.datetime) -> list[RouteStop]:
    """The plan's bin visits still to do, in route order."""
    found = []
    for route in plan.routes:
        for stop in route.stops:
            if stop.kind != "stop" or stop.replaced_at is not None or stop.done:
                continue
            emptied = stop.bin.last_collected_at if stop.bin is not None else None
            if emptied is not None and emptied >= midnight:
                continue  # emptied today on another route
            found.append(stop)
    return found


def _dispatched_that_day(plan: RoutePlan) -> tuple[sa.ColumnElement[bool], ...]:
    """Conditions on ``Route`` joined to ``RoutePlan``: a route given to a driver, of
    a plan of ``plan``'s city and day that was not cancelled."""
    return (
        RoutePlan.city_id == plan.city_id,
        RoutePlan.service_date == plan.service_date,
        RoutePlan.status != "cancelled",
        Route.driver_id.is_not(None),
    )


def _newly_full(
    session: SessionLike, plan: RoutePlan, midnight: dt.datetime, now: dt.datetime
) -> tuple[list[core.Stop], list[_Candidate]]:
    """The city's bins that must be collected now and are on no route of the day.

    Bins on a dispatched route of any of the day's plans are left to those routes
    (done, or among the visits the re-plan takes over), and so are bins emptied
    today. The level is the bin's, grown to ``now`` as the planner grows it.
    """
    on_routes = set(
        session.scalars(
            sa.select(RouteStop.bin_id)
            .join(Route, RouteStop.route_id == Route.id)
            .join(RoutePlan, Route.plan_id == RoutePlan.id)
            .where(*_dispatched_that_day(plan), RouteStop.bin_id.is_not(None))
        )
    )
    bins = [
        b
        for b in telemetry_services.active_bins_of_city(session, plan.city_id)
        if b.id not in on_routes
        and (b.last_collected_at is None or b.last_collected_at < midnight)
    ]
    candidates = _candidates(bins, plan.threshold_pct, now)
    stops, _ = select_stops(c.state for c in candidates if c.state is not None)
    must = [stop for stop in stops if not stop.is_optional]
    codes = {stop.stop_id for stop in must}
    return must, [c for c in candidates if c.bin.code in codes]


def _check_replannable(session: SessionLike, plan: RoutePlan, now: dt.datetime) -> None:
    if plan.status != "dispatched":
        raise ReplanRefused(
            f"Plan {plan.id} is not dispatched yet: plan the day again instead."
        )
    today = now.astimezone(ZoneInfo(plan.timezone)).date()
    if plan.service_date != today:
        raise ReplanRefused(
            f"Plan {plan.id} is for {plan.service_date.isoformat()}; only today's "
            f"({today.isoformat()}) dispatched plan can be re-planned."
        )
    newer = session.scalar(
        sa.select(RoutePlan.id).where(
            RoutePlan.replans_id == plan.id, RoutePlan.status == "dispatched"
        )
    )
    if newer is not None:
        raise ReplanRefused(
            f"Plan {plan.id} was re-planned already by plan {newer}: re-plan that one."
        )


def _extra_trucks(
    session: SessionLike, plan: RoutePlan, codes: Sequence[str]
) -> dict[str, Truck]:
    found = {
        t.code: t
        for t in session.scalars(
            sa.select(Truck)
            .where(Truck.city_id == plan.city_id, Truck.code.in_(codes))
            .options(selectinload(Truck.depot), selectinload(Truck.facilities))
        )
    }
    for code in codes:
        truck = found.get(code)
        if truck is None:
            raise InvalidRoutingReference(
                f"No truck with code {code} in {plan.city_code}.", field="trucks"
            )
        if not truck.active or not truck.depot.active:
            raise InvalidRoutingValue(
                f"Truck {code} (or its depot) is not active.", field="trucks"
            )
    return found


def _resume(vehicle: core.Vehicle, now_s: int) -> core.Vehicle | None:
    """The vehicle from ``now_s`` on: ``None`` when its shift is over."""
    start_s = max(vehicle.shift_start_s, now_s)
    if start_s >= vehicle.shift_end_s:
        return None
    brk = vehicle.rest_break
    if brk is not None and brk.earliest_start_s < start_s:
        brk = (
            None
            if brk.latest_start_s < start_s
            else replace(brk, earliest_start_s=start_s)
        )
    # Start and load come from today's reports, not from an earlier re-plan.
    return replace(
        vehicle,
        shift_start_s=start_s,
        rest_break=brk,
        start_id=None,
        initial_load_kg=Decimal(0),
        initial_load_m3=Decimal(0),
    )


def replan_route_plan(
    session: SessionLike,
    actor: Actor,
    plan_id: int,
    *,
    trucks: Sequence[str] | None = None,
    time_limit_s: float = DEFAULT_REPLAN_TIME_LIMIT_S,
    seed: int = 0,
    add_full_bins: bool = False,
    now: dt.datetime | None = None,
    search: SearchConfig = PLAN_SEARCH,
    distance_source: DistanceSource = DISTANCE_SOURCE,
    solver: PlanSolver = solve_here,
) -> RoutePlan:
    """Plan the rest of today's dispatched plan from where the trucks are.

    :param plan_id: today's dispatched plan (the newest of the day's re-plans).
    :param trucks: truck codes to use; ``None`` = the plan's trucks. A truck of the
        plan that is left out (broken down) gives its visits to the others; another
        active truck of the city starts from its depot.
    :param time_limit_s: search budget, seconds.
    :param seed: makes the search reproducible.
    :param add_full_bins: also plan the city's bins that must be collected now and
        are on no route dispatched today (they filled up since the morning).
    :param now: the time of the re-plan (UTC); the clock when omitted.
    :param distance_source: where distances come from (see
        :func:`~routing.services.plans.create_route_plan`).
    :param solver: where the search runs (likewise).
    :returns: the new plan (``planned``, flushed), with ``replans_id`` set.
    :raises RoutingAccessDenied: the role may not plan, or not in that city.
    :raises RoutePlanNotFound: no such plan, or not in the actor's city.
    :raises ReplanRefused: the plan is not dispatched, not today's, re-planned
        already, or nothing is left to do (every visit done, and no bin to add);
        or no truck's shift has time left.
    :raises InvalidRoutingReference: an unknown truck.
    :raises InvalidRoutingValue: an inactive truck.
    :raises DistanceSourceUnavailable: the OSRM server did not answer.
    :raises PlannerBusy: ``solver``'s limits are reached (nothing is stored).
    :raises PlannerFailed: ``solver``'s process died or overran (nothing is stored).
    """
    require(actor, Action.ROUTES_WRITE)
    plan = get_route_plan(session, actor, plan_id)
    now = now or utcnow()
    _check_replannable(session, plan, now)
    midnight = local_midnight(plan.service_date, plan.timezone)
    now_s = round((now - midnight).total_seconds())
    remaining = _open_stops(plan, midnight)
    added_stops, added = (
        _newly_full(session, plan, midnight, now) if add_full_bins else ([], [])
    )
    if not remaining and not added:
        raise ReplanRefused(
            f"Nothing is left to re-plan: every bin of plan {plan.id} is done"
            + (", and no other bin must be collected now." if add_full_bins else ".")
        )
    stored = stored_problem(plan)
    plan_trucks = {route.truck.code: route.truck for route in plan.routes}
    wanted = (
        list(plan_trucks)
        if trucks is None
        else list(dict.fromkeys(normalise_code(c) for c in trucks))
    )
    if not wanted:
        raise InvalidRoutingValue("Name at least one truck.", field="trucks")
    extra = _extra_trucks(session, plan, [c for c in wanted if c not in plan_trucks])
    facility_rows = {
        facility_place_id(f.code): f
        for f in session.scalars(
            sa.select(Facility).where(Facility.city_id == plan.city_id)
        )
        if facility_place_id(f.code) in {x.facility_id for x in stored.facilities}
    }
    # Home depots only: an earlier re-plan's positions are stale.
    depots = [d for d in stored.depots if not d.depot_id.startswith(_POSITION)]
    depot_ids = {d.depot_id for d in depots}
    vehicles: list[core.Vehicle] = []
    fleet: list[Truck] = []
    starts: dict[str, TruckState] = {}
    for code in wanted:
        truck = plan_trucks.get(code) or extra[code]
        if code in plan_trucks:
            vehicle = stored.vehicle(code)
        else:
            vehicle = _core_vehicle(truck, list(facility_rows.values()))
            if vehicle.depot_id not in depot_ids:
                depots.append(
                    core.Depot(vehicle.depot_id, truck.depot.lat, truck.depot.lon)
                )
                depot_ids.add(vehicle.depot_id)
        resumed = _resume(vehicle, now_s)
        if resumed is None:
            log.info("Re-plan of plan %s: truck %s's shift is over", plan.id, code)
            continue
        state = truck_state(session, truck.id, plan.service_date)
        if state.lat is not None and state.lon is not None:
            start_id = _POSITION + code
            depots.append(core.Depot(start_id, state.lat, state.lon))
            load_kg = min(state.load_kg, resumed.capacity_kg)
            load_m3 = min(state.load_m3, resumed.capacity_m3)
            resumed = replace(
                resumed,
                start_id=start_id,
                initial_load_kg=load_kg,
                initial_load_m3=load_m3,
            )
            starts[code] = state
        vehicles.append(resumed)
        fleet.append(truck)
    if not vehicles:
        raise ReplanRefused(
            "Every truck's shift is over: nothing can be re-planned today."
        )
    stops = []
    for stop_row in remaining:
        stop = stored.stop(_bin_of(stop_row).code)
        penalty = MUST_PENALTY_RP if not stop.is_optional else stop.penalty_rp
        allowed = stop.allowed_vehicle_ids
        stops.append(
            replace(
                stop,
                priority=core.Priority.OPTIONAL,
                penalty_rp=penalty,
                allowed_vehicle_ids=None
                if allowed is None
                else frozenset(allowed) & {v.vehicle_id for v in vehicles},
            )
        )
    stops.extend(
        replace(stop, priority=core.Priority.OPTIONAL, penalty_rp=MUST_PENALTY_RP)
        for stop in added_stops
    )
    problem = core.CollectionProblem(
        depots=tuple(depots),
        facilities=stored.facilities,
        vehicles=tuple(vehicles),
        stops=tuple(stops),
        distance_source=distance_source,
    )
    problem, origin = _with_fixed_distances(problem)
    solution = _solve_checked(
        problem,
        time_limit_s,
        seed,
        search,
        solver,
        city=plan.city_code,
        what=f"the re-plan of plan {plan.id}",
    )
    new = RoutePlan(
        city_id=plan.city_id,
        timezone=plan.timezone,
        service_date=plan.service_date,
        status="planned",
        replans_id=plan.id,
        parameters={
            "city": plan.city_code,
            "date": plan.service_date.isoformat(),
            "replans": plan.id,
            "at": now.astimezone(dt.UTC).isoformat(),
            "trucks": None if trucks is None else wanted,
            "time_limit_s": time_limit_s,
            "seed": seed,
            "add_full_bins": add_full_bins,
        },
        threshold_pct=plan.threshold_pct,
        time_limit_s=time_limit_s,
        seed=seed,
        problem=problem_to_json(problem, origin=origin),
        **_totals(solution),
        created_by_id=actor.user_id,
    )
    by_code = {
        _bin_of(s).code: _Candidate(_bin_of(s), None, s.expected_fill_pct)
        for s in remaining
    }
    by_code.update((c.bin.code, c) for c in added)
    _store_routes(
        new, solution, problem, fleet, list(facility_rows.values()), by_code, midnight
    )
    # The solver saw every bin as optional; people read the bins' own priority.
    priority = {_bin_of(s).code: s.priority for s in remaining}
    priority.update((c.bin.code, core.Priority.MUST.value) for c in added)
    for route in new.routes:
        start = starts.get(route.truck.code)
        if start is not None:
            route.start_lat, route.start_lon = start.lat, start.lon
        for visit in route.stops:
            if visit.bin is not None:
                visit.priority = priority[visit.bin.code]
    for code in solution.dropped_stop_ids:
        candidate = by_code[code]
        stop = problem.stop(code)
        new.skips.append(
            RoutePlanSkip(
                bin=candidate.bin,
                kind="left_out",
                reason=NO_TIME_LEFT
                if stop.penalty_rp == MUST_PENALTY_RP
                else "optional: not worth the detour in the rest of the day",
                expected_fill_pct=candidate.expected_fill_pct,
                penalty_rp=stop.penalty_rp,
            )
        )
    session.add(new)
    session.flush()
    log.info(
        "Plan %s re-planned as plan %s at %s: %d bins left, %d added, %d left out",
        plan.id,
        new.id,
        now.isoformat(),
        len(remaining),
        len(added),
        len(solution.dropped_stop_ids),
    )
    return new


def suggested_drivers(session: SessionLike, plan: RoutePlan) -> dict[int, str]:
    """Route id -> the username of the driver who drives its truck today.

    For a re-plan: the driver of the truck's route in the plan it re-plans (or any
    dispatched route of the day); empty for a route of a truck nobody drives today.
    """
    routes = session.execute(
        sa.select(Route.truck_id, Route.driver_username)
        .join(RoutePlan, Route.plan_id == RoutePlan.id)
        .where(*_dispatched_that_day(plan))
        .order_by(Route.dispatched_at, Route.id)
    ).all()
    by_truck = {row.truck_id: row.driver_username for row in routes}
    return {
        route.id: by_truck[route.truck_id]
        for route in plan.routes
        if route.truck_id in by_truck
    }
