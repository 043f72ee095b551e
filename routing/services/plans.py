"""Route plans: build the day's problem from bins and fleet, solve, check, store, read."""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer, selectinload

from routing import problem as core
from routing.distance import (
    DistanceSource,
    HaversineSource,
    Matrices,
    MatrixSource,
    OsrmSource,
    Place,
)
from routing.exceptions import (
    DistanceSourceUnavailable,
    InvalidRoutingReference,
    InvalidRoutingValue,
    NoTrucks,
    RoutePlanNotFound,
)
from routing.models import (
    Depot,
    Facility,
    Route,
    RoutePlan,
    RoutePlanSkip,
    RouteStop,
    Truck,
)
from routing.selection import BinState, SelectionPolicy, Skip, select_stops
from routing.services.common import (
    DEFAULT_SERVICE_S,
    DEFAULT_TIME_LIMIT_S,
    DISTANCE_SOURCE,
    PLAN_SEARCH,
    CityRef,
    city_filter,
    city_for_write,
    depot_place_id,
    facility_place_id,
    local_midnight,
    normalise_code,
    require,
    visible_city,
    windows_of,
)
from routing.services.solving import PlanSolver, solve_here
from routing.snapshot import problem_from_json, problem_to_json
from routing.solver import SearchConfig, solve
from routing.validate import validate
from telemetry import services as telemetry_services
from telemetry.models import Bin
from wastebank.access import Action, Actor
from wastebank.extensions import SessionLike

log = logging.getLogger(__name__)


def _core_facility(facility: Facility) -> core.Facility:
    return core.Facility(
        facility_id=facility_place_id(facility.code),
        lat=facility.lat,
        lon=facility.lon,
        kind=core.FacilityKind(facility.kind),
        opening_hours=windows_of(facility.opening_hours),
        unload_s=facility.unload_time_s,
    )


def _core_vehicle(truck: Truck, usable: Sequence[Facility]) -> core.Vehicle:
    own = {f.id for f in truck.facilities}
    allowed = (
        None
        if not own
        else frozenset(facility_place_id(f.code) for f in usable if f.id in own)
    )
    brk = truck.rest_break
    return core.Vehicle(
        vehicle_id=truck.code,
        depot_id=depot_place_id(truck.depot.code),
        capacity_kg=truck.capacity_kg,
        capacity_m3=truck.capacity_m3,
        shift_start_s=truck.shift_start_s,
        shift_end_s=truck.shift_end_s,
        rest_break=None if brk is None else core.Break(**brk),
        speed_factor=truck.speed_factor,
        cost_rp_per_km=truck.cost_rp_per_km,
        cost_rp_per_hour=truck.cost_rp_per_hour,
        fixed_cost_rp=truck.fixed_cost_rp,
        allowed_facility_ids=allowed,
    )


def _may_use(truck: Truck, facilities: Sequence[Facility]) -> bool:
    own = {f.id for f in truck.facilities}
    return not own or any(f.id in own for f in facilities)


def _choose_facilities(
    session: SessionLike, city: CityRef, code: str | None
) -> list[Facility]:
    if code is not None:
        facility = session.scalar(
            sa.select(Facility).where(
                Facility.code == normalise_code(code),
                Facility.city_id == city.city_id,
            )
        )
        if facility is None:
            raise InvalidRoutingReference(
                f"No facility with code {code} in {city.code}.", field="facility"
            )
        if not facility.active:
            raise InvalidRoutingValue(
                f"Facility {facility.code} is not active.", field="facility"
            )
        return [facility]
    tpas = list(
        session.scalars(
            sa.select(Facility)
            .where(
                Facility.city_id == city.city_id,
                Facility.active,
                Facility.kind == core.FacilityKind.TPA.value,
            )
            .order_by(Facility.code)
        ).all()
    )
    if not tpas:
        raise InvalidRoutingValue(
            f"{city.code} has no active TPA registered; name the facility to unload at.",
            field="facility",
        )
    return tpas


def _choose_trucks(
    session: SessionLike,
    city: CityRef,
    codes: Sequence[str] | None,
    depot_codes: Sequence[str] | None,
    facilities: Sequence[Facility],
) -> list[Truck]:
    query = (
        sa.select(Truck)
        .where(Truck.city_id == city.city_id)
        .options(selectinload(Truck.depot), selectinload(Truck.facilities))
        .order_by(Truck.code)
    )
    depot_ids: set[int] | None = None
    if depot_codes is not None:
        depot_ids = set()
        for depot_code in depot_codes:
            depot = session.scalar(
                sa.select(Depot).where(
                    Depot.code == normalise_code(depot_code),
                    Depot.city_id == city.city_id,
                )
            )
            if depot is None:
                raise InvalidRoutingReference(
                    f"No depot with code {depot_code} in {city.code}.", field="depots"
                )
            depot_ids.add(depot.id)
    if codes is None:
        trucks = [
            t
            for t in session.scalars(query.where(Truck.active)).all()
            if (depot_ids is None or t.depot_id in depot_ids)
            and t.depot.active
            and _may_use(t, facilities)
        ]
        if not trucks:
            raise NoTrucks(
                f"{city.code} has no active truck"
                + (" at the depots asked for" if depot_ids is not None else "")
                + " that may unload at "
                + ", ".join(f.code for f in facilities)
                + ": register trucks first.",
                (),
            )
        return trucks
    wanted = [normalise_code(c) for c in codes]
    if not wanted:
        raise NoTrucks("The request names no trucks.", ())
    found = {t.code: t for t in session.scalars(query.where(Truck.code.in_(wanted)))}
    for code in wanted:
        truck = found.get(code)
        if truck is None:
            raise InvalidRoutingReference(
                f"No truck with code {code} in {city.code}.", field="trucks"
            )
        if not truck.active:
            raise InvalidRoutingValue(f"Truck {code} is not active.", field="trucks")
        if depot_ids is not None and truck.depot_id not in depot_ids:
            raise InvalidRoutingValue(
                f"Truck {code} is based at {truck.depot.code}, not at the depots asked for.",
                field="trucks",
            )
        if not _may_use(truck, facilities):
            raise InvalidRoutingValue(
                f"Truck {code} may not unload at "
                + ", ".join(f.code for f in facilities)
                + ".",
                field="trucks",
            )
    return [found[code] for code in dict.fromkeys(wanted)]


@dataclass(frozen=True)
class _Candidate:
    """A bin considered for the day: its state projected to the collection time."""

    bin: Bin
    state: BinState | None  # None: no reading yet
    expected_fill_pct: float | None


def _candidates(
    bins: Sequence[Bin], threshold_pct: float | None, collect_at: dt.datetime
) -> list[_Candidate]:
    """Each bin's state as expected when the trucks set out.

    The level grows at the learned rate from the last reading (or from a collection
    after it, when the bin is taken as empty) to ``collect_at`` (never past
    100 %), so that a plan made the evening before sees the bins as the crews will
    find them.
    """
    found = []
    for bin_ in bins:
        if bin_.fill_pct is None:
            found.append(_Candidate(bin_, None, None))
            continue
        rate = max(0.0, bin_.fill_rate_pct_per_day or 0.0)
        expected = bin_.fill_pct
        # The level is as of the last reading, or of a collection after it (then 0 %).
        since = bin_.last_reading_at
        if bin_.last_collected_at is not None and (
            since is None or bin_.last_collected_at > since
        ):
            since = bin_.last_collected_at
        if since is not None and collect_at > since:
            days = (collect_at - since).total_seconds() / 86_400
            expected = min(100.0, expected + rate * days)
        expected = round(expected, 2)
        state = BinState(
            bin_id=bin_.code,
            lat=bin_.lat,
            lon=bin_.lon,
            fill_pct=expected,
            fill_rate_pct_per_day=rate,
            capacity_l=float(bin_.capacity_l),
            stream=bin_.stream,
            threshold_pct=threshold_pct or bin_.fill_threshold_pct,
            service_s=bin_.service_time_s
            if bin_.service_time_s is not None
            else DEFAULT_SERVICE_S,
            time_windows=windows_of(bin_.access_windows),
        )
        found.append(_Candidate(bin_, state, expected))
    return found


# -- route plans ---------------------------------------------------------------------------
class InvalidPlanError(RuntimeError):
    """The solver returned a plan that :func:`routing.validate` rejects: a bug."""


def create_route_plan(
    session: SessionLike,
    actor: Actor,
    *,
    service_date: dt.date,
    city: str | None = None,
    trucks: Sequence[str] | None = None,
    depots: Sequence[str] | None = None,
    facility: str | None = None,
    threshold_pct: float | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    seed: int = 0,
    policy: SelectionPolicy | None = None,
    search: SearchConfig = PLAN_SEARCH,
    distance_source: DistanceSource = DISTANCE_SOURCE,
    solver: PlanSolver = solve_here,
) -> RoutePlan:
    """Plan a city's collection for a day from the bins' current state, and store it.

    :param service_date: the day, in the city's calendar.
    :param city: city code; a DLH user's own city when omitted.
    :param trucks: truck codes; ``None`` = every active truck of the city (at
        ``depots``, if given) that may unload at the facility.
    :param depots: depot codes whose trucks to use; ``None`` = all.
    :param facility: where to unload; ``None`` = the city's active TPAs.
    :param threshold_pct: fill level at or above which a bin must be collected,
        for every bin; ``None`` = each bin's own threshold.
    :param time_limit_s: search budget (see :data:`PLAN_SEARCH`), seconds.
    :param seed: makes the search reproducible.
    :param policy: the selection rules (defaults: :class:`SelectionPolicy`).
    :param search: the search configuration.
    :param distance_source: where distances and durations come from (see
        :func:`~routing.services.common.distance_source_for`); anything but a
        :class:`HaversineSource` is measured once, and the plan is solved, checked
        and stored with those matrices.
    :param solver: where the search runs: in this process, or in a child process
        under the planner's limits (:class:`~routing.services.solving.SlottedSolver`).
    :returns: the stored plan (flushed).
    :raises RoutingAccessDenied: the role may not plan, or not in that city.
    :raises InvalidRoutingReference: an unknown city, truck, depot or facility.
    :raises InvalidRoutingValue: an inactive or unsuitable truck or facility.
    :raises NoTrucks: no truck is available.
    :raises InfeasibleProblem: a bin that must be collected cannot be, naming it.
    :raises DistanceSourceUnavailable: the OSRM server did not answer, or refused.
    :raises PlannerBusy: ``solver``'s limits are reached (nothing is stored).
    :raises PlannerFailed: ``solver``'s process died or overran (nothing is stored).
    """
    require(actor, Action.ROUTES_WRITE)
    city_ref = city_for_write(session, actor, city)
    facilities = _choose_facilities(session, city_ref, facility)
    fleet = _choose_trucks(session, city_ref, trucks, depots, facilities)
    depots_used = {t.depot.code: t.depot for t in fleet}
    midnight = local_midnight(service_date, city_ref.timezone)
    collect_at = midnight + dt.timedelta(seconds=min(t.shift_start_s for t in fleet))
    candidates = _candidates(
        telemetry_services.active_bins_of_city(session, city_ref.city_id),
        threshold_pct,
        collect_at,
    )
    by_code = {c.bin.code: c for c in candidates}
    stops, skips = select_stops(
        (c.state for c in candidates if c.state is not None), policy
    )
    problem = core.CollectionProblem(
        depots=tuple(
            core.Depot(depot_place_id(d.code), d.lat, d.lon)
            for d in sorted(depots_used.values(), key=lambda d: d.code)
        ),
        facilities=tuple(_core_facility(f) for f in facilities),
        vehicles=tuple(_core_vehicle(t, facilities) for t in fleet),
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
        city=city_ref.code,
        what=f"{city_ref.code} on {service_date}",
    )
    plan = RoutePlan(
        city_id=city_ref.city_id,
        timezone=city_ref.timezone,
        service_date=service_date,
        status="planned",
        parameters={
            "city": city_ref.code,
            "date": service_date.isoformat(),
            "trucks": None if trucks is None else [normalise_code(c) for c in trucks],
            "depots": None if depots is None else [normalise_code(c) for c in depots],
            "facility": None if facility is None else normalise_code(facility),
            "threshold_pct": threshold_pct,
            "time_limit_s": time_limit_s,
            "seed": seed,
        },
        threshold_pct=threshold_pct,
        time_limit_s=time_limit_s,
        seed=seed,
        problem=problem_to_json(problem, origin=origin),
        **_totals(solution),
        created_by_id=actor.user_id,
    )
    _store_routes(plan, solution, problem, fleet, facilities, by_code, midnight)
    _store_skips(plan, solution, problem, skips, candidates)
    session.add(plan)
    session.flush()
    return plan


def _solve_checked(
    problem: core.CollectionProblem,
    time_limit_s: float,
    seed: int,
    search: SearchConfig,
    solver: PlanSolver,
    *,
    city: str,
    what: str,
) -> core.RoutePlan:
    """Solve with ``solver`` (an empty plan without stops) and check the answer
    independently.

    :param city: the plan's city code (the solver's per-city limit).
    :param what: names the plan in the log, e.g. ``"AMB on 2026-11-20"``.
    :raises InvalidPlanError: the check found a violation (a bug).
    """
    if problem.stops:
        solution = solver(solve, problem, time_limit_s, seed, search, city=city)
    else:
        solution = core.RoutePlan.from_routes((), (), 0)
    violations = validate(problem, solution)
    if violations:
        log.error("Invalid plan for %s: %s", what, violations)
        raise InvalidPlanError(
            f"The planner produced an invalid plan ({violations[0].message}); "
            "this is a bug."
        )
    return solution


def _totals(solution: core.RoutePlan) -> dict[str, Any]:
    """A solution's totals, as :class:`RoutePlan` columns."""
    return {
        "distance_m": solution.distance_m,
        "duration_s": solution.duration_s,
        "collected_kg": solution.collected_kg,
        "collected_m3": solution.collected_m3,
        "trips": solution.trips,
        "cost_rp": solution.cost_rp,
        "penalty_rp": solution.penalty_rp,
    }


def _with_fixed_distances(
    problem: core.CollectionProblem,
) -> tuple[core.CollectionProblem, dict[str, Any] | None]:
    """The problem with its matrices measured once, and where they came from.

    A haversine source stays as it is (the snapshot keeps its parameters); any other
    source becomes a :class:`MatrixSource`, so that the solver and the check use the
    same numbers and the stored plan can be checked again without the server.
    """
    source = problem.distance_source
    if isinstance(source, HaversineSource):
        return problem, None
    places = problem.places()
    origin: dict[str, Any]
    if isinstance(source, OsrmSource):
        matrices = _ask_osrm(source, places)
        origin = {
            "kind": "osrm",
            "base_url": _without_credentials(source.base_url),
            "profile": source.profile,
        }
    else:
        matrices = source.matrices(places)
        origin = {"kind": "matrix"}
    fixed = MatrixSource(
        tuple(p.place_id for p in places), matrices.distance_m, matrices.duration_s
    )
    return replace(problem, distance_source=fixed), origin


def _without_credentials(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port is not None else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _osrm_error_detail(error: urllib.error.HTTPError) -> str:
    """``HTTP 400: InvalidQuery: …`` from an error answer's JSON body, when it has one."""
    detail = f"HTTP {error.code}"
    try:
        body = json.loads(error.read())
    except (OSError, ValueError):
        return detail
    if isinstance(body, dict) and body.get("code"):
        detail += f": {body['code']}"
        if body.get("message"):
            detail += f": {body['message']}"
    return detail


def _ask_osrm(source: OsrmSource, places: Sequence[Place]) -> Matrices:
    """Ask the OSRM ``table`` service; any failure becomes one clear error."""
    try:
        matrices = source.matrices(places)
    except urllib.error.HTTPError as error:
        detail = _osrm_error_detail(error)
    except TimeoutError:
        detail = f"no answer within {source.timeout_s:g} s"
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            detail = f"no answer within {source.timeout_s:g} s"
        else:
            detail = f"unreachable ({error.reason})"
    except OSError as error:
        detail = f"unreachable ({error})"
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        # parse_osrm_table: a "code" other than "Ok", a missing matrix, not JSON.
        detail = str(error) or type(error).__name__
    else:
        if len(matrices.distance_m) == len(places):
            return matrices
        detail = f"a {len(matrices.distance_m)}-place table for {len(places)} places"
    where = _without_credentials(source.base_url)
    log.warning("OSRM table request to %s failed: %s", where, detail)
    raise DistanceSourceUnavailable(
        f"The OSRM server at {where} (WASTEBANK_OSRM_URL) gave no road distances: "
        f"{detail}. Nothing was planned; fix the server or the setting and try again."
    )


def _store_routes(
    plan: RoutePlan,
    solution: core.RoutePlan,
    problem: core.CollectionProblem,
    fleet: Sequence[Truck],
    facilities: Sequence[Facility],
    candidates: Mapping[str, _Candidate],
    midnight: dt.datetime,
) -> None:
    def at(seconds: int) -> dt.datetime:
        return midnight + dt.timedelta(seconds=seconds)

    trucks = {t.code: t for t in fleet}
    facility_rows = {facility_place_id(f.code): f for f in facilities}
    for route in solution.routes:
        truck = trucks[route.vehicle_id]
        row = Route(
            truck=truck,
            depot=truck.depot,
            start_at=at(route.start_s),
            end_at=at(route.end_s),
            break_start_at=None
            if route.break_start_s is None
            else at(route.break_start_s),
            distance_m=route.distance_m,
            return_distance_m=route.return_distance_m,
            duration_s=route.duration_s,
            collected_kg=route.collected_kg,
            collected_m3=route.collected_m3,
            trips=route.trips,
            cost_rp=route.cost_rp,
        )
        for seq, visit in enumerate(route.visits, start=1):
            stop_row = RouteStop(
                seq=seq,
                kind=visit.kind.value,
                arrival_at=at(visit.arrival_s),
                start_at=at(visit.start_s),
                departure_at=at(visit.departure_s),
                distance_m=visit.distance_m,
                travel_s=visit.travel_s,
                load_after_kg=visit.load_kg,
                load_after_m3=visit.load_m3,
            )
            if visit.kind is core.VisitKind.STOP:
                stop = problem.stop(visit.place_id)
                candidate = candidates[visit.place_id]
                stop_row.bin = candidate.bin
                stop_row.expected_fill_pct = candidate.expected_fill_pct
                stop_row.demand_kg = stop.demand_kg
                stop_row.demand_m3 = stop.demand_m3
                stop_row.priority = stop.priority.value
            else:
                stop_row.facility = facility_rows[visit.place_id]
            row.stops.append(stop_row)
        plan.routes.append(row)


def _store_skips(
    plan: RoutePlan,
    solution: core.RoutePlan,
    problem: core.CollectionProblem,
    skips: Sequence[Skip],
    candidates: Sequence[_Candidate],
) -> None:
    by_code = {c.bin.code: c for c in candidates}
    largest_kg = max(v.capacity_kg for v in problem.vehicles)
    largest_m3 = max(v.capacity_m3 for v in problem.vehicles)
    for code in solution.dropped_stop_ids:
        stop = problem.stop(code)
        candidate = by_code[code]
        if stop.demand_kg > largest_kg or stop.demand_m3 > largest_m3:
            reason = "optional, and larger than every truck"
        else:
            reason = (
                f"optional: collecting it costs more than leaving it "
                f"(Rp {stop.penalty_rp:,}), or no truck can fit it in"
            )
        plan.skips.append(
            RoutePlanSkip(
                bin=candidate.bin,
                kind="left_out",
                reason=reason,
                expected_fill_pct=candidate.expected_fill_pct,
                days_to_full=_days(candidate),
                penalty_rp=stop.penalty_rp,
            )
        )
    for skip in skips:
        candidate = by_code[skip.bin_id]
        plan.skips.append(
            RoutePlanSkip(
                bin=candidate.bin,
                kind="skipped",
                reason=skip.reason,
                expected_fill_pct=candidate.expected_fill_pct,
                days_to_full=_days(candidate),
            )
        )
    for candidate in candidates:
        if candidate.state is None:
            plan.skips.append(
                RoutePlanSkip(
                    bin=candidate.bin, kind="skipped", reason="no fill reading yet"
                )
            )


def _days(candidate: _Candidate) -> float | None:
    if candidate.state is None:
        return None
    days = candidate.state.days_to_full()
    return None if days == float("inf") else round(days, 3)


def _plan_query(actor: Actor) -> sa.Select[RoutePlan]:
    return sa.select(RoutePlan).where(visible_city(actor, RoutePlan.city_id))


def get_route_plan(session: SessionLike, actor: Actor, plan_id: int) -> RoutePlan:
    """One stored plan with its routes, stops and skipped bins.

    :raises RoutingAccessDenied: the role may not read plans.
    :raises RoutePlanNotFound: no such plan, or not in the actor's city.
    """
    require(actor, Action.ROUTES_READ)
    plan = session.scalar(
        _plan_query(actor)
        .where(RoutePlan.id == plan_id)
        .options(
            selectinload(RoutePlan.routes).selectinload(Route.truck),
            selectinload(RoutePlan.routes).selectinload(Route.depot),
            selectinload(RoutePlan.routes)
            .selectinload(Route.stops)
            .selectinload(RouteStop.bin),
            selectinload(RoutePlan.routes)
            .selectinload(Route.stops)
            .selectinload(RouteStop.facility),
            selectinload(RoutePlan.skips).selectinload(RoutePlanSkip.bin),
        )
    )
    if plan is None:
        raise RoutePlanNotFound(f"No route plan with id {plan_id}.")
    return plan


def list_route_plans(
    session: SessionLike,
    actor: Actor,
    *,
    city: str | None = None,
    service_date: dt.date | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[RoutePlan], int]:
    """The plans the actor may see, newest service day first.

    :returns: the page's plans and the total number matching.
    """
    require(actor, Action.ROUTES_READ)
    query = _plan_query(actor).where(city_filter(session, RoutePlan.city_id, city))
    if service_date is not None:
        query = query.where(RoutePlan.service_date == service_date)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = session.scalars(
        # A listing shows no problem snapshot (with OSRM it holds whole matrices).
        query.options(selectinload(RoutePlan.routes), defer(RoutePlan.problem))
        .order_by(RoutePlan.service_date.desc(), RoutePlan.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(items), int(total or 0)


# -- reading a stored plan back --------------------------------------------------------------
def stored_problem(plan: RoutePlan) -> core.CollectionProblem:
    """The problem the plan was solved from (its snapshot)."""
    return problem_from_json(plan.problem)


def stored_solution(plan: RoutePlan) -> core.RoutePlan:
    """The stored routes as the core's :class:`~routing.problem.RoutePlan`.

    Times go back to seconds since local midnight of the service day, so that
    :func:`routing.validate` can check what was stored against
    :func:`stored_problem`.
    """
    midnight = local_midnight(plan.service_date, plan.timezone)

    def seconds(at: dt.datetime) -> int:
        return round((at - midnight).total_seconds())

    routes = []
    for route in plan.routes:
        visits = tuple(
            core.Visit(
                kind=core.VisitKind(stop.kind),
                place_id=stop.bin.code
                if stop.bin is not None
                else facility_place_id(stop.facility.code),  # type: ignore[union-attr]
                arrival_s=seconds(stop.arrival_at),
                start_s=seconds(stop.start_at),
                departure_s=seconds(stop.departure_at),
                load_kg=stop.load_after_kg,
                load_m3=stop.load_after_m3,
                distance_m=stop.distance_m,
                travel_s=stop.travel_s,
            )
            for stop in route.stops
        )
        routes.append(
            core.Route(
                vehicle_id=route.truck.code,
                depot_id=depot_place_id(route.depot.code),
                start_s=seconds(route.start_at),
                end_s=seconds(route.end_at),
                visits=visits,
                return_distance_m=route.return_distance_m,
                break_start_s=None
                if route.break_start_at is None
                else seconds(route.break_start_at),
                distance_m=route.distance_m,
                duration_s=route.duration_s,
                collected_kg=route.collected_kg,
                collected_m3=route.collected_m3,
                trips=route.trips,
                cost_rp=route.cost_rp,
            )
        )
    dropped = [s.bin.code for s in plan.skips if s.kind == "left_out"]
    return core.RoutePlan.from_routes(routes, dropped, plan.penalty_rp)
