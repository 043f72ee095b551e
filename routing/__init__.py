"""Collection route planning and waste-to-energy estimates.

The pure core: a :class:`CollectionProblem` (depots, landfill/TPA facilities, vehicles,
stops) goes into :func:`solve` and a :class:`RoutePlan` comes out; :func:`validate`
checks any plan against its problem; :func:`select_stops` turns bin states into the stops
worth collecting today. The energy model lives in :mod:`routing.energy`. Nothing here
needs Flask, a database or a broker.
"""

from __future__ import annotations

from routing.distance import (
    HaversineSource,
    Matrices,
    MatrixSource,
    OsrmSource,
    Place,
)
from routing.exceptions import EmptyProblem, InfeasibleProblem, RoutingError
from routing.problem import (
    DAY_S,
    Break,
    CollectionProblem,
    Depot,
    Facility,
    FacilityKind,
    Priority,
    Route,
    RoutePlan,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
    Visit,
    VisitKind,
    route_cost_rp,
)
from routing.selection import BinState, SelectionPolicy, Skip, select_stop, select_stops
from routing.solver import SearchConfig, solve
from routing.validate import Violation, validate

__all__ = [
    "DAY_S",
    "BinState",
    "Break",
    "CollectionProblem",
    "Depot",
    "EmptyProblem",
    "Facility",
    "FacilityKind",
    "HaversineSource",
    "InfeasibleProblem",
    "Matrices",
    "MatrixSource",
    "OsrmSource",
    "Place",
    "Priority",
    "Route",
    "RoutePlan",
    "RoutingError",
    "SearchConfig",
    "SelectionPolicy",
    "Skip",
    "Stop",
    "StopKind",
    "TimeWindow",
    "Vehicle",
    "Violation",
    "Visit",
    "VisitKind",
    "route_cost_rp",
    "select_stop",
    "select_stops",
    "solve",
    "validate",
]
