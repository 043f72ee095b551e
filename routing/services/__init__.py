"""Routing services: the fleet registry and stored route plans.

Every service takes the SQLAlchemy session first and an
:class:`~wastebank.access.Actor` second; it flushes but never commits (the API view
or CLI command commits). Admins act in every city, DLH staff in their own; other
roles may not use the planner.

:func:`create_route_plan` turns the bins' current state (read through
:mod:`telemetry.services`) and the registered trucks, depots and facilities into a
:class:`~routing.problem.CollectionProblem`, picks the bins with
:func:`~routing.selection.select_stops`, solves it with :func:`~routing.solver.solve`,
re-checks the answer with :func:`~routing.validate.validate` and stores it.

Times: the core counts seconds since local midnight of the service day in the
city's zone; stored times are UTC. Place ids in the problem are the bin codes for
stops, ``depot:<code>`` and ``facility:<code>`` for the rest, so that the core's
messages name bins as people know them.

Modules: :mod:`~routing.services.common` (cities, permissions, times),
:mod:`~routing.services.fleet` (depots, facilities, trucks),
:mod:`~routing.services.plans` (route plans), :mod:`~routing.services.dispatch`
(routes to drivers; a driver's own routes), :mod:`~routing.services.events`
(drivers' reports on their stops), :mod:`~routing.services.replan` (the rest of a
dispatched day from where the trucks are), :mod:`~routing.services.solving` (where a
plan is solved: in this process, or in a child process under the planner's limits)
and :mod:`~routing.services.geojson`.
"""

from __future__ import annotations

from routing.problem import format_time_of_day
from routing.services.common import (
    DEFAULT_TIME_LIMIT_S,
    PLAN_SEARCH,
    city_timezone,
    depot_place_id,
    distance_source_for,
    facility_place_id,
    local_midnight,
)
from routing.services.dispatch import (
    dispatch_plan,
    list_driver_routes,
)
from routing.services.events import get_stop_photo, record_stop_event
from routing.services.fleet import (
    create_depot,
    create_facility,
    create_truck,
    list_depots,
    list_facilities,
    list_trucks,
)
from routing.services.geojson import route_plan_geojson
from routing.services.plans import (
    InvalidPlanError,
    create_route_plan,
    get_route_plan,
    list_route_plans,
    stored_problem,
    stored_solution,
)
from routing.services.replan import (
    DEFAULT_REPLAN_TIME_LIMIT_S,
    replan_route_plan,
    suggested_drivers,
)
from routing.services.solving import (
    PlannerLimits,
    PlanSolver,
    SlottedSolver,
    solve_here,
)

__all__ = [
    "DEFAULT_REPLAN_TIME_LIMIT_S",
    "DEFAULT_TIME_LIMIT_S",
    "PLAN_SEARCH",
    "InvalidPlanError",
    "PlanSolver",
    "PlannerLimits",
    "SlottedSolver",
    "city_timezone",
    "create_depot",
    "create_facility",
    "create_route_plan",
    "create_truck",
    "depot_place_id",
    "dispatch_plan",
    "distance_source_for",
    "facility_place_id",
    "format_time_of_day",
    "get_route_plan",
    "get_stop_photo",
    "list_depots",
    "list_driver_routes",
    "list_facilities",
    "list_route_plans",
    "list_trucks",
    "local_midnight",
    "record_stop_event",
    "replan_route_plan",
    "route_plan_geojson",
    "solve_here",
    "stored_problem",
    "stored_solution",
    "suggested_drivers",
]
