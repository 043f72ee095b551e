"""Check a route plan against its problem, independently of the solver.

:func:`validate` recomputes every leg from the problem's own distance source
and lists every violated constraint; an empty list means the plan is feasible
as driven and its reported numbers are right. It shares nothing with
:mod:`routing.solver` but the problem definitions (including the cost formula
:func:`~routing.problem.route_cost_rp` and :meth:`~routing.problem.Vehicle.travel_s`,
which are part of the specification).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from routing.problem import (
    CollectionProblem,
    Facility,
    Route,
    RoutePlan,
    Stop,
    Vehicle,
    VisitKind,
    route_cost_rp,
)

__all__ = ["Violation", "validate"]


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    :param code: stable slug, e.g. ``capacity_kg`` or ``time_window``.
    :param message: a sentence for people.
    :param vehicle_id: the route concerned, if any.
    :param place_id: the stop or facility concerned, if any.
    """

    code: str
    message: str
    vehicle_id: str | None = None
    place_id: str | None = None


class _Checker:
    """Collects violations while walking a plan."""

    def __init__(self, problem: CollectionProblem) -> None:
        self.problem = problem
        places = problem.places()
        self.row = {p.place_id: k for k, p in enumerate(places)}
        matrices = problem.distance_source.matrices(places)
        self.dist_m = matrices.distance_m
        self.dur_s = matrices.duration_s
        self.stops = {s.stop_id: s for s in problem.stops}
        self.facilities = {f.facility_id: f for f in problem.facilities}
        self.vehicles = {v.vehicle_id: v for v in problem.vehicles}
        self.found: list[Violation] = []

    def add(
        self,
        code: str,
        message: str,
        vehicle_id: str | None = None,
        place_id: str | None = None,
    ) -> None:
        self.found.append(Violation(code, message, vehicle_id, place_id))

    # -- coverage -----------------------------------------------------------

    def check_coverage(self, plan: RoutePlan) -> None:
        served = Counter(sid for r in plan.routes for sid in r.stop_ids)
        dropped = Counter(plan.dropped_stop_ids)
        for sid, count in served.items():
            if count > 1:
                self.add(
                    "stop_duplicated",
                    f"stop {sid} is visited {count} times",
                    place_id=sid,
                )
        for sid, count in dropped.items():
            if sid not in self.stops:
                self.add(
                    "unknown_place",
                    f"dropped stop {sid} is not in the problem",
                    place_id=sid,
                )
            elif count > 1 or sid in served:
                self.add(
                    "stop_duplicated",
                    f"stop {sid} is both served and dropped",
                    place_id=sid,
                )
        for stop in self.problem.stops:
            sid = stop.stop_id
            if sid in served:
                continue
            if not stop.is_optional:
                self.add(
                    "stop_missing",
                    f"must-collect stop {sid} is not visited",
                    place_id=sid,
                )
            elif sid not in dropped:
                self.add(
                    "stop_unaccounted",
                    f"optional stop {sid} is neither visited nor listed as dropped",
                    place_id=sid,
                )
        expected_penalty = sum(
            self.stops[sid].penalty_rp
            for sid in set(plan.dropped_stop_ids)
            if sid in self.stops
        )
        if plan.penalty_rp != expected_penalty:
            self.add(
                "wrong_totals",
                f"plan penalty {plan.penalty_rp} rp != {expected_penalty} rp of the dropped stops",
            )

    # -- one route ----------------------------------------------------------

    def travel(self, vehicle: Vehicle, a: str, b: str) -> tuple[int, int]:
        return (
            self.dist_m[self.row[a]][self.row[b]],
            vehicle.travel_s(self.dur_s[self.row[a]][self.row[b]]),
        )

    def check_route(self, route: Route) -> None:
        vid = route.vehicle_id
        vehicle = self.vehicles[vid]
        if route.depot_id != vehicle.depot_id:
            self.add(
                "wrong_depot",
                f"route of {vid} starts at {route.depot_id}, its depot is {vehicle.depot_id}",
                vid,
            )
        if route.start_s < vehicle.shift_start_s:
            self.add("shift_exceeded", f"{vid} leaves before its shift starts", vid)
        if route.end_s > vehicle.shift_end_s:
            self.add("shift_exceeded", f"{vid} returns after its shift ends", vid)

        brk = vehicle.rest_break
        b_start = route.break_start_s
        if brk is None and b_start is not None:
            self.add("break_unexpected", f"{vid} has no break in its shift", vid)
            b_start = None
        if brk is not None and b_start is None:
            self.add("break_missing", f"{vid} takes no break", vid)
        b_dur = brk.duration_s if brk is not None else 0
        if brk is not None and b_start is not None:
            if not brk.earliest_start_s <= b_start <= brk.latest_start_s:
                self.add(
                    "break_window", f"{vid}'s break starts outside its window", vid
                )
            if b_start < vehicle.shift_start_s or b_start + b_dur > vehicle.shift_end_s:
                self.add("break_window", f"{vid}'s break is outside its shift", vid)
            if (
                b_start < route.start_s < b_start + b_dur
                or b_start < route.end_s < b_start + b_dur
            ):
                self.add(
                    "break_overlap",
                    f"{vid}'s break overlaps its departure or return",
                    vid,
                )

        def in_break(t0: int, t1: int) -> bool:
            """True when the break starts inside [t0, t1)."""
            return b_start is not None and t0 <= b_start < t1

        load_kg, load_m3 = vehicle.initial_load_kg, vehicle.initial_load_m3
        collected_kg, collected_m3 = Decimal(0), Decimal(0)
        distance, trips = 0, 0
        # Legs are measured from the vehicle's own start (its depot, or where it
        # was when the day was re-planned) even if the route claims another depot
        # (reported above as wrong_depot).
        prev_id, prev_dep = vehicle.start_depot_id, route.start_s
        for visit in route.visits:
            pid = visit.place_id
            if pid not in self.row or pid in {d.depot_id for d in self.problem.depots}:
                self.add("unknown_place", f"{vid} visits unknown place {pid}", vid, pid)
                continue
            leg_m, leg_s = self.travel(vehicle, prev_id, pid)
            distance += leg_m
            if visit.distance_m != leg_m or visit.travel_s != leg_s:
                self.add(
                    "wrong_leg",
                    f"leg {prev_id} -> {pid} is {leg_m} m / {leg_s} s, "
                    f"plan says {visit.distance_m} m / {visit.travel_s} s",
                    vid,
                    pid,
                )
            needed = leg_s
            if in_break(prev_dep, prev_dep + leg_s):
                needed += b_dur  # the break interrupts the drive
            if visit.arrival_s < prev_dep + needed:
                self.add(
                    "time_travel",
                    f"{vid} arrives at {pid} at {visit.arrival_s}, "
                    f"{prev_dep + needed - visit.arrival_s} s too early to have driven there",
                    vid,
                    pid,
                )
            if visit.start_s < visit.arrival_s:
                self.add(
                    "time_travel", f"{vid} starts at {pid} before arriving", vid, pid
                )
            if in_break(prev_dep, visit.start_s) and b_start is not None:
                if b_start + b_dur > visit.start_s:
                    self.add(
                        "break_overlap",
                        f"{vid}'s break overlaps the visit to {pid}",
                        vid,
                        pid,
                    )
                elif visit.start_s - prev_dep < leg_s + b_dur:
                    self.add(
                        "break_overlap",
                        f"{vid}'s break does not fit in the leg to {pid} with the drive",
                        vid,
                        pid,
                    )
            if b_start is not None and visit.start_s < b_start < visit.departure_s:
                self.add(
                    "break_overlap",
                    f"{vid}'s break starts during the visit to {pid}",
                    vid,
                    pid,
                )

            if visit.kind is VisitKind.UNLOAD:
                facility = self.facilities.get(pid)
                if facility is None:
                    self.add(
                        "unknown_place",
                        f"{vid} unloads at {pid}, not a facility",
                        vid,
                        pid,
                    )
                    continue
                self.check_unload(
                    vehicle, facility, visit.start_s, visit.departure_s, pid
                )
                load_kg, load_m3 = Decimal(0), Decimal(0)
                trips += 1
            else:
                stop = self.stops.get(pid)
                if stop is None:
                    self.add(
                        "unknown_place", f"{vid} serves {pid}, not a stop", vid, pid
                    )
                    continue
                self.check_stop(vehicle, stop, visit.start_s, visit.departure_s)
                load_kg += stop.demand_kg
                load_m3 += stop.demand_m3
                collected_kg += stop.demand_kg
                collected_m3 += stop.demand_m3
                if load_kg > vehicle.capacity_kg:
                    self.add(
                        "capacity_kg",
                        f"{vid} carries {load_kg} kg after {pid}, capacity {vehicle.capacity_kg}",
                        vid,
                        pid,
                    )
                if load_m3 > vehicle.capacity_m3:
                    self.add(
                        "capacity_m3",
                        f"{vid} carries {load_m3} m³ after {pid}, capacity {vehicle.capacity_m3}",
                        vid,
                        pid,
                    )
            if visit.load_kg != load_kg or visit.load_m3 != load_m3:
                self.add(
                    "wrong_load",
                    f"{vid} reports {visit.load_kg} kg / {visit.load_m3} m³ after {pid}, "
                    f"actual {load_kg} kg / {load_m3} m³",
                    vid,
                    pid,
                )
            prev_id, prev_dep = pid, visit.departure_s

        back_m, back_s = self.travel(vehicle, prev_id, vehicle.depot_id)
        distance += back_m
        if route.return_distance_m != back_m:
            self.add(
                "wrong_leg",
                f"{vid}'s last leg is {back_m} m, plan says {route.return_distance_m}",
                vid,
            )
        needed = back_s + (b_dur if in_break(prev_dep, prev_dep + back_s) else 0)
        if route.end_s < prev_dep + needed:
            self.add(
                "time_travel",
                f"{vid} is back at its depot too early to have driven there",
                vid,
            )
        if (
            in_break(prev_dep, route.end_s)
            and b_start is not None
            and (
                b_start + b_dur > route.end_s or route.end_s - prev_dep < back_s + b_dur
            )
        ):
            self.add(
                "break_overlap", f"{vid}'s break does not fit in the drive home", vid
            )
        if load_kg > 0 or load_m3 > 0:
            self.add(
                "not_empty_at_depot",
                f"{vid} returns to its depot with {load_kg} kg on board",
                vid,
            )
        self.check_route_totals(
            route, vehicle, distance, collected_kg, collected_m3, trips
        )

    def check_stop(
        self, vehicle: Vehicle, stop: Stop, start: int, departure: int
    ) -> None:
        vid, sid = vehicle.vehicle_id, stop.stop_id
        if not stop.may_be_served_by(vid):
            self.add("disallowed_vehicle", f"{vid} may not serve {sid}", vid, sid)
        if stop.time_windows and not any(w.contains(start) for w in stop.time_windows):
            self.add(
                "time_window",
                f"{vid} starts serving {sid} at {start}, outside its windows",
                vid,
                sid,
            )
        if departure < start + stop.service_s:
            self.add(
                "time_travel",
                f"{vid} leaves {sid} before the service is done",
                vid,
                sid,
            )

    def check_unload(
        self, vehicle: Vehicle, facility: Facility, start: int, departure: int, pid: str
    ) -> None:
        vid = vehicle.vehicle_id
        if not vehicle.may_unload_at(pid):
            self.add("disallowed_facility", f"{vid} may not unload at {pid}", vid, pid)
        end = start + facility.unload_s
        if not any(
            w.start_s <= start and end <= w.end_s for w in facility.opening_hours
        ):
            self.add(
                "facility_closed",
                f"{vid} unloads at {pid} from {start} to {end}, outside its opening hours",
                vid,
                pid,
            )
        if departure < end:
            self.add(
                "time_travel", f"{vid} leaves {pid} before unloading is done", vid, pid
            )

    def check_route_totals(
        self,
        route: Route,
        vehicle: Vehicle,
        distance: int,
        collected_kg: Decimal,
        collected_m3: Decimal,
        trips: int,
    ) -> None:
        vid = route.vehicle_id
        expected = {
            "distance_m": distance,
            "duration_s": route.end_s - route.start_s,
            "collected_kg": collected_kg,
            "collected_m3": collected_m3,
            "trips": trips,
            "cost_rp": route_cost_rp(vehicle, distance, route.end_s - route.start_s),
        }
        for name, value in expected.items():
            if getattr(route, name) != value:
                self.add(
                    "wrong_totals",
                    f"{vid}'s {name} is {getattr(route, name)}, should be {value}",
                    vid,
                )

    def check_plan_totals(self, plan: RoutePlan) -> None:
        expected = {
            "distance_m": sum(r.distance_m for r in plan.routes),
            "duration_s": sum(r.duration_s for r in plan.routes),
            "collected_kg": sum((r.collected_kg for r in plan.routes), Decimal(0)),
            "collected_m3": sum((r.collected_m3 for r in plan.routes), Decimal(0)),
            "trips": sum(r.trips for r in plan.routes),
            "cost_rp": sum(r.cost_rp for r in plan.routes),
        }
        for name, value in expected.items():
            if getattr(plan, name) != value:
                self.add(
                    "wrong_totals",
                    f"plan {name} is {getattr(plan, name)}, the routes add up to {value}",
                )


def validate(problem: CollectionProblem, plan: RoutePlan) -> list[Violation]:
    """List every constraint of ``problem`` that ``plan`` violates.

    Checked: every must-collect stop served exactly once, optional stops served
    at most once or listed as dropped; one route per known vehicle, from its start
    (its depot, or its ``start_id``) to its own depot, within its shift; a route
    for every vehicle that starts loaded; legs as the distance source measures them
    and arrivals no earlier than driving allows; time windows; facilities open
    for the whole unloading and allowed for the truck; stops allowed for the
    truck; loads (kg and m³, from the initial load) within capacity, reported correctly after every
    visit, and zero on return; the break taken inside its window, off any visit
    and fitting its leg; every route and plan total, including costs and penalties.

    :param problem: the problem the plan claims to solve.
    :param plan: the plan to check.
    :returns: the violations, in the order they were found; empty if feasible.
    """
    checker = _Checker(problem)
    seen: set[str] = set()
    for route in plan.routes:
        vid = route.vehicle_id
        if vid not in checker.vehicles:
            checker.add("unknown_vehicle", f"route for unknown vehicle {vid}", vid)
            continue
        if vid in seen:
            checker.add("duplicate_route", f"{vid} has more than one route", vid)
        seen.add(vid)
        checker.check_route(route)
    for vehicle in problem.vehicles:
        if vehicle.starts_loaded and vehicle.vehicle_id not in seen:
            checker.add(
                "not_empty_at_depot",
                f"{vehicle.vehicle_id} starts loaded and has no route to unload",
                vehicle.vehicle_id,
            )
    checker.check_coverage(plan)
    checker.check_plan_totals(plan)
    return checker.found
