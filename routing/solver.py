"""Route optimisation with OR-Tools: the only module that imports ``ortools``.

Two layers share one model-building path:

* :func:`solve_indexed` solves an :class:`IndexedModel`, a vehicle routing
  problem already reduced to integers over numbered nodes (distance and
  duration matrices, demand vectors, windows, penalties, reload nodes). The
  benchmark loader :mod:`routing.vrplib` uses it directly.
* :func:`solve` maps a :class:`~routing.problem.CollectionProblem` onto an
  :class:`IndexedModel` (scaling kg to grams, m³ to litres and rupiah to
  1/18 000 rupiah so that every cost coefficient is an integer), checks what can
  be checked before solving, calls :func:`solve_indexed` and turns the answer
  into a :class:`~routing.problem.RoutePlan`.

Multiple trips follow the usual OR-Tools reload model: each facility gets
optional copies whose load transit is minus the largest capacity, the load
dimension has slack up to that capacity only at copies, and the load at the
end of a route is capped at zero so that every truck unloads before going home.
On top of that each truck owns a private copy of every facility it may use,
exactly one of which ends its route even when the truck stays home (reached
from the depot at no cost and in no time); its fixed cost and the leg home are
charged on the arcs into that copy. Every truck therefore always "has" its last
unloading, so inserting a single bin never needs a second node (the pitfall of
copies left unused while extra vehicles are opened), and the shared copies
serve the earlier unloadings; their number bounds the number of trips.

Costs: rupiah per km on the arcs, and rupiah per hour on driving and service
time, also on the arcs (waiting is not charged: a span cost would make OR-Tools
solve a small LP for every move it evaluates, several times slower).

Searches are seeded: the seed permutes the internal node order, which changes
the whole trajectory of OR-Tools' heuristics. With a wall-clock limit the
result also depends on how much work fits into the limit, hence on the
machine's load; ``SearchConfig(time_limit_is_work_limit=True)`` counts the
budget in solutions instead and makes runs exactly repeatable.
"""

from __future__ import annotations

import itertools
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.exceptions import EmptyProblem, InfeasibleProblem
from routing.problem import (
    CollectionProblem,
    Facility,
    Route,
    RoutePlan,
    Stop,
    Vehicle,
    Visit,
    VisitKind,
    route_cost_rp,
)

__all__ = [
    "COLLECTION_SEARCH",
    "COST_UNITS_PER_RP",
    "IndexedModel",
    "IndexedRoute",
    "IndexedSolution",
    "IndexedVehicle",
    "SearchConfig",
    "solve",
    "solve_indexed",
]

logger = logging.getLogger(__name__)

#: Objective units per rupiah. Cost per km times metres is in 1/1000 rupiah and
#: cost per hour times seconds in 1/3600 rupiah; 18 000 is their least common
#: multiple, so both become integer coefficients (18 per rp/km, 5 per rp/h).
COST_UNITS_PER_RP = 18_000
_ARC_UNITS_PER_RP_PER_KM = COST_UNITS_PER_RP // 1000
_SPAN_UNITS_PER_RP_PER_HOUR = COST_UNITS_PER_RP // 3600

# OptionalBoolean values of the routing parameters (1 is "unspecified" and
# makes the whole parameter set invalid).
_BOOL_FALSE = 2
_BOOL_TRUE = 3

_GRAMS_PER_KG = 1000
_LITRES_PER_M3 = 1000


# --------------------------------------------------------------------------
# Integer model
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexedVehicle:
    """A vehicle of an :class:`IndexedModel`.

    :param start: node where its route starts.
    :param end: node where its route ends.
    :param capacities: one capacity per load dimension, in that dimension's units.
    :param arc_cost_coef: objective units per metre (per distance unit).
    :param duration_class: index of its travel-time matrix in the model.
    :param shift: earliest start and latest end of the route, seconds; ``None``
        = the model's whole horizon.
    :param span_cost_coef: objective units per second of route duration
        (waiting included; makes every move evaluation solve a small LP).
    :param time_cost_coef: objective units per second of driving and service,
        charged on the arcs (waiting excluded; much faster to search).
    :param fixed_cost: objective units charged when the vehicle is used.
    :param rest_break: ``(earliest_start, latest_start, duration)`` in seconds.
    :param initial_loads: load on board at the start, one per load dimension
        (empty = none). A loaded vehicle is always used: its free arc to a final
        node (see ``IndexedModel.final_nodes``) is a real one.
    """

    start: int
    end: int
    capacities: tuple[int, ...]
    arc_cost_coef: int = 1
    duration_class: int = 0
    shift: tuple[int, int] | None = None
    span_cost_coef: int = 0
    time_cost_coef: int = 0
    fixed_cost: int = 0
    rest_break: tuple[int, int, int] | None = None
    initial_loads: tuple[int, ...] = ()

    @property
    def starts_loaded(self) -> bool:
        """True when something is on board at the start."""
        return any(self.initial_loads)


@dataclass(frozen=True)
class IndexedModel:
    """A routing problem over nodes ``0 .. n-1``, all quantities integers.

    :param distance: ``n x n`` arc lengths (metres, or the instance's unit).
    :param vehicles: the fleet.
    :param demands: per load dimension, the demand of every node.
    :param durations: travel-time matrices, one per duration class; empty = no
        time dimension at all (pure capacitated problems).
    :param service_s: service time of every node (time dimension only).
    :param time_windows: per node, allowed start-of-service windows; an empty
        tuple for a node (or for the whole model) means no constraint.
    :param horizon: largest time value, seconds.
    :param reload_nodes: nodes where the load is emptied (facility copies);
        optional at no penalty.
    :param end_empty: force every route to end with zero load.
    :param penalties: per node, the cost of leaving it out, or ``None`` for a
        mandatory node; an empty tuple means every node is mandatory.
    :param allowed_vehicles: per node, the vehicles that may visit it, or ``None``.
    :param mandatory_penalty: if set, mandatory nodes get this (huge) penalty
        instead of being hard constraints, so that a first solution always
        exists; callers must check :attr:`IndexedSolution.dropped`.
    :param final_nodes: per vehicle (or empty for none), candidate last nodes:
        exactly one of them ends the vehicle's route, even when it serves
        nothing. The arc from the vehicle's start to them costs nothing and
        takes no time, and the vehicle's fixed cost is charged on every other
        arc into them, so an unused vehicle costs only a constant.
    :param first_nodes: per vehicle (or empty for none), private nodes exactly one
        of which is the vehicle's first visit (a truck too full to collect
        anything unloads first when the day is re-planned). Insertion heuristics
        add one node at a time, so they could not put a bin behind an unloading
        that only that bin needs.
    """

    distance: Sequence[Sequence[int]]
    vehicles: tuple[IndexedVehicle, ...]
    demands: tuple[tuple[int, ...], ...] = ()
    durations: tuple[Sequence[Sequence[int]], ...] = ()
    service_s: tuple[int, ...] = ()
    time_windows: tuple[tuple[tuple[int, int], ...], ...] = ()
    horizon: int = 0
    reload_nodes: frozenset[int] = frozenset()
    end_empty: bool = False
    penalties: tuple[int | None, ...] = ()
    allowed_vehicles: tuple[tuple[int, ...] | None, ...] = ()
    mandatory_penalty: int | None = None
    final_nodes: tuple[tuple[int, ...], ...] = ()
    first_nodes: tuple[tuple[int, ...], ...] = ()

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return len(self.distance)

    def depot_nodes(self) -> set[int]:
        """Nodes used as a route start or end."""
        return {v.start for v in self.vehicles} | {v.end for v in self.vehicles}


@dataclass(frozen=True)
class IndexedRoute:
    """One vehicle's route in an :class:`IndexedSolution`.

    :param nodes: visited nodes in order, start and end excluded.
    :param service_start_s: start of service at each visited node (time models).
    :param start_s: departure time (time models).
    :param end_s: arrival time at the end node (time models).
    :param break_start_s: start of the rest break, if the vehicle has one.
    """

    vehicle: int
    nodes: tuple[int, ...]
    service_start_s: tuple[int, ...] = ()
    start_s: int = 0
    end_s: int = 0
    break_start_s: int | None = None


@dataclass(frozen=True)
class IndexedSolution:
    """The routes of every vehicle, the nodes left out and the objective value."""

    routes: tuple[IndexedRoute, ...]
    dropped: tuple[int, ...]
    objective: int


@dataclass(frozen=True)
class SearchConfig:
    """How OR-Tools searches. The defaults are the benchmarked configuration.

    :param first_solution: a ``FirstSolutionStrategy`` name.
    :param metaheuristic: ``"ILS"`` (iterated local search: SISR ruin and
        local cheapest insertion, simulated-annealing acceptance) or a
        ``LocalSearchMetaheuristic`` name such as ``"GUIDED_LOCAL_SEARCH"``.
    :param restarts: independent runs, each with its own node order (seed) and
        an equal share of the remaining time; the best is kept.
    :param sisr_avg_removed: SISR's average number of removed visits.
    :param sisr_max_sequence: SISR's longest removed string.
    :param sisr_bypass: SISR's bypass factor.
    :param lean_operators: switch off the three heavy insertion-LNS operators.
    :param time_limit_is_work_limit: interpret the time limit as a budget of
        ``work_units_per_s`` solutions instead of wall-clock seconds, making runs
        exactly repeatable whatever the machine load (a wall-clock cap of
        ``wall_cap_factor`` times the limit plus ``wall_cap_extra_s`` still
        applies, for searches that stop finding solutions).
    :param work_units_per_s: solutions per second of budget for that mode.
    :param wall_cap_factor: see ``time_limit_is_work_limit``. A search whose best
        plan drops every optional stop finds no further solutions and runs into
        the cap, so a service that answers requests may want a tighter one.
    :param wall_cap_extra_s: see ``time_limit_is_work_limit``, seconds.
    :param polish_fraction: share of each run's budget given to guided local
        search started from the iterated local search's best solution.
    :param final_descent: finish with a plain local search (greedy descent,
        outside the budget, capped at the budget or 1 s, more in work-limit
        mode) from the best solution; it removes idle unloadings left by
        ruin-and-recreate in reload models.
    :param sisr_portfolio: ``(avg_removed, bypass)`` pairs used by successive
        restarts in turn instead of the two single values, so that restarts
        differ in how hard they perturb, not only in their node order.
    :param operators_on: extra local search operators to switch on, by their
        ``local_search_operators`` field name (``use_cross_exchange``...).
    :param operators_off: operators to switch off, likewise.
    :param fallback_first_solution: collection problems only (:func:`solve`): a
        second ``FirstSolutionStrategy`` to search with, on the same budget, when
        the first search leaves out a stop it cannot have wanted to (a must-collect
        one, or one whose penalty is more than all the routes cost); the better
        plan is kept. ``None``: no second search.
    """

    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "ILS"
    restarts: int = 1
    sisr_avg_removed: int = 20
    sisr_max_sequence: int = 10
    sisr_bypass: float = 0.1
    lean_operators: bool = True
    time_limit_is_work_limit: bool = False
    work_units_per_s: int = 2000
    wall_cap_factor: float = 10.0
    wall_cap_extra_s: float = 2.0
    polish_fraction: float = 0.0
    final_descent: bool = False
    sisr_portfolio: tuple[tuple[int, float], ...] = ()
    operators_on: tuple[str, ...] = ()
    operators_off: tuple[str, ...] = ()
    fallback_first_solution: str | None = None

    def wall_bound_s(self, time_limit_s: float) -> float:
        """The longest :func:`solve` may search with this configuration, seconds.

        The sum of every wall-clock cap the search runs under: each restart's search
        (its polish included), its final descent, and all of it twice when a
        fallback search may follow. Building the model is not counted. A caller
        that runs a solve elsewhere waits this long (plus its own overhead) before
        taking the solve for lost.

        :param time_limit_s: the search budget passed to :func:`solve`, seconds.
        """
        restarts = max(1, self.restarts)
        slot_s = time_limit_s / restarts
        if self.time_limit_is_work_limit:
            search_s = self.wall_cap_factor * slot_s + self.wall_cap_extra_s
            descent_s = max(1.0, search_s)
            if self.polish_fraction > 0 and self.metaheuristic == "ILS":
                search_s += self.wall_cap_extra_s  # the polish has its own cap
        else:
            search_s, descent_s = slot_s, max(1.0, slot_s)
        per_search_s = restarts * (search_s + (descent_s if self.final_descent else 0))
        return per_search_s * (2 if self.fallback_first_solution else 1)


def _search_parameters(config: SearchConfig, time_limit_s: float) -> object:
    enums = routing_enums_pb2
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        enums.FirstSolutionStrategy, config.first_solution
    )
    if config.metaheuristic == "ILS":
        params.local_search_metaheuristic = (
            enums.LocalSearchMetaheuristic.GREEDY_DESCENT
        )
        params.use_iterated_local_search = True
        ils = params.iterated_local_search_parameters
        ils.perturbation_strategy = 1  # RUIN_AND_RECREATE
        rr = ils.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = config.sisr_max_sequence
        sisr.avg_num_removed_visits = config.sisr_avg_removed
        sisr.bypass_factor = config.sisr_bypass
        rr.recreate_strategy.heuristic = (
            enums.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
        )
        ils.improve_perturbed_solution = True
        sa = ils.reference_solution_acceptance_strategy.simulated_annealing
        sa.cooling_schedule_strategy = 1  # EXPONENTIAL
        sa.automatic_temperatures = True
        ils.best_solution_acceptance_strategy.greedy_descent.SetInParent()
    else:
        params.local_search_metaheuristic = getattr(
            enums.LocalSearchMetaheuristic, config.metaheuristic
        )
    if config.lean_operators:
        ops = params.local_search_operators
        ops.use_global_cheapest_insertion_path_lns = _BOOL_FALSE
        ops.use_local_cheapest_insertion_path_lns = _BOOL_FALSE
        ops.use_relocate_path_global_cheapest_insertion_insert_unperformed = _BOOL_FALSE
    for name in config.operators_on:
        setattr(params.local_search_operators, name, _BOOL_TRUE)
    for name in config.operators_off:
        setattr(params.local_search_operators, name, _BOOL_FALSE)
    if config.time_limit_is_work_limit:
        params.solution_limit = max(1, int(time_limit_s * config.work_units_per_s))
        # A search that stops finding solutions (e.g. when dropping every
        # optional stop is best) would otherwise never end.
        cap_s = config.wall_cap_factor * time_limit_s + config.wall_cap_extra_s
        params.time_limit.FromMilliseconds(int(cap_s * 1000))
    else:
        params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    return params


def _node_order(model: IndexedModel, seed: int) -> list[int]:
    """Internal order of the nodes: identity for seed 0, else a seeded shuffle."""
    order = list(range(model.num_nodes))
    if seed:
        random.Random(seed).shuffle(order)  # noqa: S311 (diversification, not security)
    return order


def _solve_once(
    model: IndexedModel, order: list[int], time_limit_s: float, config: SearchConfig
) -> IndexedSolution | None:
    """Build the OR-Tools model over ``order`` and search once."""
    n = model.num_nodes
    pos = {node: k for k, node in enumerate(order)}
    manager = pywrapcp.RoutingIndexManager(
        n,
        len(model.vehicles),
        [pos[v.start] for v in model.vehicles],
        [pos[v.end] for v in model.vehicles],
    )
    routing = pywrapcp.RoutingModel(manager)
    depots = model.depot_nodes()
    # final node -> its vehicle
    final_of = {node: v for v, nodes in enumerate(model.final_nodes) for node in nodes}
    first_of = {node: v for v, nodes in enumerate(model.first_nodes) for node in nodes}

    def reorder(matrix: Sequence[Sequence[int]], coef: int = 1) -> list[list[int]]:
        return [[coef * matrix[a][b] for b in order] for a in order]

    def with_free_final_arcs(matrix: list[list[int]], cost: bool) -> list[list[int]]:
        # An unused vehicle "visits" its final node at no cost and in no time.
        # For costs, everything a used vehicle pays at the end of its day
        # (its fixed cost and the leg home) moves onto the arcs into its final
        # node, so that activating a vehicle costs exactly its real route; each
        # final node is private to one vehicle, so its column can carry that.
        # A loaded vehicle keeps the real arc: it must drive to unload.
        for node, v in final_of.items():
            j, start = pos[node], pos[model.vehicles[v].start]
            if cost:
                end = pos[model.vehicles[v].end]
                charge = model.vehicles[v].fixed_cost + matrix[j][end]
                matrix[j][end] = 0
                for row in matrix:
                    row[j] += charge
            if not model.vehicles[v].starts_loaded:
                matrix[start][j] = 0
        return matrix

    # Arc costs: one registered matrix per distinct coefficient.
    arc_evaluators: dict[tuple[int, int, int], int] = {}
    service = model.service_s or (0,) * n
    for v, veh in enumerate(model.vehicles):
        key = (
            veh.arc_cost_coef,
            veh.time_cost_coef,
            veh.duration_class if veh.time_cost_coef else -1,
        )
        if key not in arc_evaluators:
            matrix = reorder(model.distance, veh.arc_cost_coef)
            if veh.time_cost_coef:
                dur = model.durations[veh.duration_class]
                for i, a in enumerate(order):
                    row = matrix[i]
                    for j, b in enumerate(order):
                        row[j] += veh.time_cost_coef * (service[a] + dur[a][b])
            arc_evaluators[key] = routing.RegisterTransitMatrix(
                with_free_final_arcs(matrix, cost=True)
            )
        routing.SetArcCostEvaluatorOfVehicle(arc_evaluators[key], v)
        has_final = v < len(model.final_nodes) and model.final_nodes[v]
        if veh.fixed_cost and not has_final:
            routing.SetFixedCostOfVehicle(veh.fixed_cost, v)

    # Load dimensions. Reload nodes empty the truck through their slack.
    for k, demand in enumerate(model.demands):
        max_cap = max(veh.capacities[k] for veh in model.vehicles)
        vector = [
            -max_cap if node in model.reload_nodes else demand[node] for node in order
        ]
        evaluator = routing.RegisterUnaryTransitVector(vector)
        slack = max_cap if model.reload_nodes else 0
        loaded = any(veh.starts_loaded for veh in model.vehicles)
        routing.AddDimensionWithVehicleCapacity(
            evaluator,
            slack,
            [veh.capacities[k] for veh in model.vehicles],
            not loaded,
            f"load{k}",
        )
        dim = routing.GetDimensionOrDie(f"load{k}")
        if loaded:
            for v, veh in enumerate(model.vehicles):
                initial = veh.initial_loads[k] if veh.initial_loads else 0
                dim.CumulVar(routing.Start(v)).SetValue(initial)
        if model.reload_nodes:
            for index in range(routing.Size()):
                if order[manager.IndexToNode(index)] not in model.reload_nodes:
                    dim.SlackVar(index).SetValue(0)
        if model.end_empty:
            for v in range(len(model.vehicles)):
                dim.CumulVar(routing.End(v)).SetMax(0)

    time_dim = None
    break_intervals: dict[int, object] = {}
    if model.durations:
        evaluators = [
            routing.RegisterTransitMatrix(
                with_free_final_arcs(
                    [[service[a] + matrix[a][b] for b in order] for a in order],
                    cost=False,
                )
            )
            for matrix in model.durations
        ]
        routing.AddDimensionWithVehicleTransits(
            [evaluators[veh.duration_class] for veh in model.vehicles],
            model.horizon,
            model.horizon,
            False,
            "time",
        )
        time_dim = routing.GetDimensionOrDie("time")
        for node, windows in enumerate(model.time_windows):
            if not windows or node in depots:
                continue
            cumul = time_dim.CumulVar(manager.NodeToIndex(pos[node]))
            ordered = sorted(windows)
            cumul.SetRange(ordered[0][0], ordered[-1][1])
            for (_, end_a), (start_b, _) in itertools.pairwise(ordered):
                if start_b > end_a + 1:
                    cumul.RemoveInterval(end_a + 1, start_b - 1)
        visit_transits = [
            service[order[manager.IndexToNode(i)]] for i in range(routing.Size())
        ]
        solver = routing.solver()
        for v, veh in enumerate(model.vehicles):
            lo, hi = veh.shift if veh.shift is not None else (0, model.horizon)
            time_dim.CumulVar(routing.Start(v)).SetRange(lo, hi)
            time_dim.CumulVar(routing.End(v)).SetRange(lo, hi)
            if veh.span_cost_coef:
                time_dim.SetSpanCostCoefficientForVehicle(veh.span_cost_coef, v)
            # Come back as early as possible, then leave as late as that
            # allows: no idle time at the garage is counted in the route.
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
            routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
            if veh.rest_break is not None:
                earliest, latest, duration = veh.rest_break
                interval = solver.FixedDurationIntervalVar(
                    earliest, latest, duration, False, f"break{v}"
                )
                break_intervals[v] = interval
                time_dim.SetBreakIntervalsOfVehicle([interval], v, visit_transits)

    # Disjunctions and allowed vehicles. A vehicle's private final (or first) nodes:
    # exactly one is performed, by that vehicle, right before its end (after its start).
    for private, last in ((model.final_nodes, True), (model.first_nodes, False)):
        for v, candidates in enumerate(private):
            if not candidates:
                continue
            indices = [manager.NodeToIndex(pos[node]) for node in candidates]
            routing.AddDisjunction(indices)  # no penalty: exactly one is performed
            for index in indices:
                routing.VehicleVar(index).SetValues([-1, v])
                if last:
                    routing.NextVar(index).SetValues([index, routing.End(v)])
            if not last:
                routing.NextVar(routing.Start(v)).SetValues(indices)
    for node in range(n):
        if node in depots or node in final_of or node in first_of:
            continue
        index = manager.NodeToIndex(pos[node])
        penalty = model.penalties[node] if model.penalties else None
        if node in model.reload_nodes:
            routing.AddDisjunction([index], 0)
        elif penalty is not None:
            routing.AddDisjunction([index], penalty)
        elif model.mandatory_penalty is not None:
            routing.AddDisjunction([index], model.mandatory_penalty)
        allowed = model.allowed_vehicles[node] if model.allowed_vehicles else None
        if allowed is not None:
            # SetAllowedVehiclesForIndex rejects every Python sequence in the
            # 9.15 bindings; restricting the vehicle variable is equivalent
            # (-1 stands for "not performed").
            routing.VehicleVar(index).SetValues([-1, *allowed])

    polish_s = (
        time_limit_s * config.polish_fraction if config.metaheuristic == "ILS" else 0.0
    )
    params = _search_parameters(config, time_limit_s - polish_s)
    if config.metaheuristic == "ILS":
        assignment = routing.SolveWithIteratedLocalSearch(params)
    else:
        assignment = routing.SolveWithParameters(params)
    if assignment is None:
        return None
    if polish_s > 0:
        gls = _search_parameters(
            replace(config, metaheuristic="GUIDED_LOCAL_SEARCH"), polish_s
        )
        assignment = (
            routing.SolveFromAssignmentWithParameters(assignment, gls) or assignment
        )
    if config.final_descent:
        # Greedy descent stops at its local optimum; the cap only guards
        # against a huge model. In work-limit mode the cap is generous, so that
        # it never cuts the descent and runs stay repeatable.
        cap_s = (
            config.wall_cap_factor * time_limit_s + config.wall_cap_extra_s
            if config.time_limit_is_work_limit
            else time_limit_s
        )
        descent = _search_parameters(
            replace(
                config, metaheuristic="GREEDY_DESCENT", time_limit_is_work_limit=False
            ),
            max(1.0, cap_s),
        )
        assignment = (
            routing.SolveFromAssignmentWithParameters(assignment, descent) or assignment
        )

    break_starts: dict[str, int] = {}
    intervals = assignment.IntervalVarContainer()
    for i in range(intervals.Size()):
        element = intervals.Element(i)
        if element.PerformedValue():
            break_starts[element.Var().Name()] = element.StartValue()

    routes = []
    visited: set[int] = set()
    for v in range(len(model.vehicles)):
        index = routing.Start(v)
        nodes: list[int] = []
        times: list[int] = []
        start_s = end_s = 0
        if time_dim is not None:
            start_s = assignment.Value(time_dim.CumulVar(index))
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = order[manager.IndexToNode(index)]
            nodes.append(node)
            visited.add(node)
            if time_dim is not None:
                times.append(assignment.Value(time_dim.CumulVar(index)))
            index = assignment.Value(routing.NextVar(index))
        if time_dim is not None:
            end_s = assignment.Value(time_dim.CumulVar(index))
        routes.append(
            IndexedRoute(
                vehicle=v,
                nodes=tuple(nodes),
                service_start_s=tuple(times),
                start_s=start_s,
                end_s=end_s,
                break_start_s=break_starts.get(f"break{v}"),
            )
        )
    dropped = tuple(
        node
        for node in range(n)
        if node not in depots and node not in model.reload_nodes and node not in visited
    )
    return IndexedSolution(tuple(routes), dropped, assignment.ObjectiveValue())


def solve_indexed(
    model: IndexedModel,
    *,
    time_limit_s: float,
    seed: int = 0,
    config: SearchConfig | None = None,
) -> IndexedSolution | None:
    """Solve an integer model; ``None`` when no solution was found in time.

    :param model: the problem.
    :param time_limit_s: total budget, seconds, shared by the restarts.
    :param seed: 0 keeps the natural node order for the first run; other
        values shuffle it. Restart ``r`` uses seed ``seed * 1009 + r``.
    :param config: search configuration (defaults: :class:`SearchConfig`).
    :returns: the best solution over the restarts, or ``None``.
    """
    config = config or SearchConfig()
    restarts = max(1, config.restarts)
    deadline = time.monotonic() + time_limit_s
    best: IndexedSolution | None = None
    for r in range(restarts):
        if config.time_limit_is_work_limit:
            slot = time_limit_s / restarts
        else:
            slot = max(0.05, (deadline - time.monotonic()) / (restarts - r))
        run_config = config
        if config.sisr_portfolio:
            removed, bypass = config.sisr_portfolio[r % len(config.sisr_portfolio)]
            run_config = replace(config, sisr_avg_removed=removed, sisr_bypass=bypass)
        solution = _solve_once(
            model, _node_order(model, seed * 1009 + r), slot, run_config
        )
        if solution is not None and (
            best is None or solution.objective < best.objective
        ):
            best = solution
    return best


# --------------------------------------------------------------------------
# Collection problems
# --------------------------------------------------------------------------


def _ceil_units(value: Decimal, per_unit: int) -> int:
    return int((value * per_unit).to_integral_value(rounding=ROUND_CEILING))


def _floor_units(value: Decimal, per_unit: int) -> int:
    return int((value * per_unit).to_integral_value(rounding=ROUND_FLOOR))


def _unload_windows(facility: Facility) -> list[tuple[int, int]]:
    """Windows for the *start* of unloading, so that it also ends in time."""
    return [
        (w.start_s, w.end_s - facility.unload_s)
        for w in facility.opening_hours
        if w.end_s - facility.unload_s >= w.start_s
    ]


def _earliest_in(windows: Sequence[tuple[int, int]], t: int) -> int | None:
    """Earliest time >= t inside one of ``windows`` (empty = unconstrained)."""
    if not windows:
        return t
    candidates = [max(t, lo) for lo, hi in windows if max(t, lo) <= hi]
    return min(candidates) if candidates else None


@dataclass(frozen=True)
class _Layout:
    """How a collection problem's places map onto model nodes."""

    place_index: dict[str, int]  # place id -> row in the distance source's matrices
    node_place: list[int]  # node -> place row
    node_facility: dict[int, Facility]
    node_stop: dict[int, Stop]
    depot_node: dict[str, int]
    fleet: list[
        Vehicle
    ]  # model vehicle -> truck (trucks that can serve nothing are left out)


def _check_stops(
    problem: CollectionProblem,
    dist_s: Sequence[Sequence[int]],
    place_index: dict[str, int],
) -> tuple[list[Stop], list[Stop], dict[str, list[int]]]:
    """Find, for every stop, the vehicles that could serve it on a route of its own.

    :returns: stops kept, optional stops that no vehicle can serve, and per
        kept stop the indices of the vehicles that can.
    :raises InfeasibleProblem: naming the first must-collect stop no vehicle can serve.
    """
    kept: list[Stop] = []
    unservable: list[Stop] = []
    servers: dict[str, list[int]] = {}
    for stop in problem.stops:
        reasons: list[str] = []
        ok: list[int] = []
        s_row = place_index[stop.stop_id]
        windows = [(w.start_s, w.end_s) for w in stop.time_windows]
        for v, veh in enumerate(problem.vehicles):
            if not stop.may_be_served_by(veh.vehicle_id):
                reasons.append(f"{veh.vehicle_id} is not allowed")
                continue
            if stop.demand_kg > veh.capacity_kg or stop.demand_m3 > veh.capacity_m3:
                reasons.append(f"{veh.vehicle_id} is too small")
                continue
            d_row = place_index[veh.depot_id]
            start_row = place_index[veh.start_depot_id]
            start = _earliest_in(
                windows, veh.shift_start_s + veh.travel_s(dist_s[start_row][s_row])
            )
            if start is None:
                reasons.append(
                    f"{veh.vehicle_id} cannot arrive within the time windows"
                )
                continue
            leave = start + stop.service_s
            home_in_time = False
            for fac in problem.facilities:
                if not veh.may_unload_at(fac.facility_id):
                    continue
                f_row = place_index[fac.facility_id]
                unload = _earliest_in(
                    _unload_windows(fac), leave + veh.travel_s(dist_s[s_row][f_row])
                )
                if unload is None:
                    continue
                back = unload + fac.unload_s + veh.travel_s(dist_s[f_row][d_row])
                if back <= veh.shift_end_s:
                    home_in_time = True
                    break
            if home_in_time:
                ok.append(v)
            else:
                reasons.append(
                    f"{veh.vehicle_id} cannot serve it, unload and return within its shift"
                )
        if ok:
            kept.append(stop)
            servers[stop.stop_id] = ok
        elif stop.is_optional:
            unservable.append(stop)
        else:
            heaviest = max(
                (v.capacity_kg for v in problem.vehicles), default=Decimal(0)
            )
            if stop.demand_kg > heaviest:
                detail = (
                    f"its {stop.demand_kg} kg exceed every truck's capacity "
                    f"(largest {heaviest} kg)"
                )
            elif not problem.vehicles:
                detail = "there are no vehicles"
            else:
                detail = "; ".join(reasons)
            raise InfeasibleProblem(
                f"Stop {stop.stop_id} cannot be collected: {detail}.", (stop.stop_id,)
            )
    return kept, unservable, servers


def _intermediate_copies(fleet: Sequence[Vehicle], stops: Sequence[Stop]) -> int:
    """Copies of each facility for unloadings before the last one of a route:
    enough to carry the whole demand in the smallest truck, plus one."""
    smallest_kg = min(v.capacity_kg for v in fleet)
    smallest_m3 = min(v.capacity_m3 for v in fleet)
    total_kg = sum((s.demand_kg for s in stops), Decimal(0))
    total_m3 = sum((s.demand_m3 for s in stops), Decimal(0))
    loads = max(math.ceil(total_kg / smallest_kg), math.ceil(total_m3 / smallest_m3))
    return min(loads + 1, len(fleet) * 10)


def _must_unload_first(vehicle: Vehicle, stops: Sequence[Stop]) -> bool:
    """True when a loaded truck cannot take even the smallest of ``stops``."""
    if not vehicle.starts_loaded or not stops:
        return False
    return min(s.demand_kg for s in stops) > (
        vehicle.capacity_kg - vehicle.initial_load_kg
    ) or min(s.demand_m3 for s in stops) > (
        vehicle.capacity_m3 - vehicle.initial_load_m3
    )


def _build_model(
    problem: CollectionProblem,
    stops: Sequence[Stop],
    servers: dict[str, list[int]],
    dist_m: Sequence[Sequence[int]],
    dist_s: Sequence[Sequence[int]],
    place_index: dict[str, int],
) -> tuple[IndexedModel, _Layout]:
    """Map the problem onto integer nodes: depots, facility copies, stops.

    Each truck gets a private copy of every facility it may use as its last
    unloading (exactly one is performed, see ``IndexedModel.final_nodes``);
    the other copies are shared, optional, and serve the earlier unloadings.
    """
    # Trucks that can serve something, and loaded ones (they must still unload).
    fleet_index = sorted(
        {v for ok in servers.values() for v in ok}
        | {v for v, veh in enumerate(problem.vehicles) if veh.starts_loaded}
    )
    fleet = [problem.vehicles[v] for v in fleet_index]
    to_fleet = {v: k for k, v in enumerate(fleet_index)}
    node_place: list[int] = []
    depot_node: dict[str, int] = {}
    used = {v.depot_id for v in fleet} | {v.start_depot_id for v in fleet}
    for depot in problem.depots:
        if depot.depot_id not in used:
            continue  # not a node: the model would make it a stop to visit
        depot_node[depot.depot_id] = len(node_place)
        node_place.append(place_index[depot.depot_id])
    node_facility: dict[int, Facility] = {}
    final_nodes: list[tuple[int, ...]] = []
    for veh in fleet:
        mine = []
        for fac in problem.facilities:
            if veh.may_unload_at(fac.facility_id) and _unload_windows(fac):
                mine.append(len(node_place))
                node_facility[len(node_place)] = fac
                node_place.append(place_index[fac.facility_id])
        final_nodes.append(tuple(mine))
    finals = {node for nodes in final_nodes for node in nodes}
    first_nodes: list[tuple[int, ...]] = []
    for k, veh in zip(fleet_index, fleet, strict=True):
        mine = []
        if _must_unload_first(veh, [s for s in stops if k in servers[s.stop_id]]):
            for fac in problem.facilities:
                if veh.may_unload_at(fac.facility_id) and _unload_windows(fac):
                    mine.append(len(node_place))
                    node_facility[len(node_place)] = fac
                    node_place.append(place_index[fac.facility_id])
        first_nodes.append(tuple(mine))
    privates = finals | {node for nodes in first_nodes for node in nodes}
    copies = _intermediate_copies(fleet, stops)
    for fac in problem.facilities:
        if not any(
            v.may_unload_at(fac.facility_id) for v in fleet
        ) or not _unload_windows(fac):
            continue
        for _ in range(copies):
            node_facility[len(node_place)] = fac
            node_place.append(place_index[fac.facility_id])
    node_stop: dict[int, Stop] = {}
    for stop in stops:
        node_stop[len(node_place)] = stop
        node_place.append(place_index[stop.stop_id])
    n = len(node_place)

    speed_classes = sorted({v.speed_factor for v in fleet})
    durations = tuple(
        [
            [round(dist_s[node_place[a]][node_place[b]] / factor) for b in range(n)]
            for a in range(n)
        ]
        for factor in speed_classes
    )
    distance = [
        [dist_m[node_place[a]][node_place[b]] for b in range(n)] for a in range(n)
    ]

    service = [0] * n
    windows: list[tuple[tuple[int, int], ...]] = [()] * n
    demand_g = [0] * n
    demand_l = [0] * n
    penalties: list[int | None] = [None] * n
    allowed: list[tuple[int, ...] | None] = [None] * n
    for node, fac in node_facility.items():
        service[node] = fac.unload_s
        windows[node] = tuple(_unload_windows(fac))
        if node not in privates:
            allowed[node] = tuple(
                v for v, veh in enumerate(fleet) if veh.may_unload_at(fac.facility_id)
            )
    optional_units = 0
    for node, stop in node_stop.items():
        service[node] = stop.service_s
        windows[node] = tuple((w.start_s, w.end_s) for w in stop.time_windows)
        demand_g[node] = _ceil_units(stop.demand_kg, _GRAMS_PER_KG)
        demand_l[node] = _ceil_units(stop.demand_m3, _LITRES_PER_M3)
        if stop.is_optional:
            penalties[node] = stop.penalty_rp * COST_UNITS_PER_RP
            optional_units += penalties[node] or 0
        servable = servers[stop.stop_id]
        if len(servable) < len(fleet):
            allowed[node] = tuple(to_fleet[v] for v in servable)

    no_cost = all(v.cost_rp_per_km == 0 and v.cost_rp_per_hour == 0 for v in fleet)
    vehicles = []
    for veh in fleet:
        brk = veh.rest_break
        vehicles.append(
            IndexedVehicle(
                start=depot_node[veh.start_depot_id],
                end=depot_node[veh.depot_id],
                capacities=(
                    _floor_units(veh.capacity_kg, _GRAMS_PER_KG),
                    _floor_units(veh.capacity_m3, _LITRES_PER_M3),
                ),
                # Without any cost rate, minimise distance.
                arc_cost_coef=1
                if no_cost
                else veh.cost_rp_per_km * _ARC_UNITS_PER_RP_PER_KM,
                duration_class=speed_classes.index(veh.speed_factor),
                shift=(veh.shift_start_s, veh.shift_end_s),
                time_cost_coef=veh.cost_rp_per_hour * _SPAN_UNITS_PER_RP_PER_HOUR,
                fixed_cost=veh.fixed_cost_rp * COST_UNITS_PER_RP,
                rest_break=(
                    None
                    if brk is None
                    else (brk.earliest_start_s, brk.latest_start_s, brk.duration_s)
                ),
                initial_loads=(
                    _ceil_units(veh.initial_load_kg, _GRAMS_PER_KG),
                    _ceil_units(veh.initial_load_m3, _LITRES_PER_M3),
                )
                if veh.starts_loaded
                else (),
            )
        )
    horizon = max(v.shift_end_s for v in fleet) + 1
    # Dropping a must-collect stop must cost more than any set of routes and
    # any set of optional stops, yet a sum of them must still fit in int64.
    mandatory = max(10**13, 4 * optional_units + 1)
    model = IndexedModel(
        distance=distance,
        vehicles=tuple(vehicles),
        demands=(tuple(demand_g), tuple(demand_l)),
        durations=durations,
        service_s=tuple(service),
        time_windows=tuple(windows),
        horizon=horizon,
        reload_nodes=frozenset(node_facility),
        end_empty=True,
        penalties=tuple(penalties),
        allowed_vehicles=tuple(allowed),
        mandatory_penalty=mandatory,
        final_nodes=tuple(final_nodes),
        first_nodes=tuple(first_nodes) if any(first_nodes) else (),
    )
    layout = _Layout(
        place_index, node_place, node_facility, node_stop, depot_node, fleet
    )
    return model, layout


#: Search used for collection problems: local cheapest insertion builds a
#: better first plan than parallel cheapest insertion when trucks unload
#: several times (143 km against 148 km on a 150-bin day of benchmarks/city.py).
#: Local cheapest insertion (also ILS's recreate step) adds one node at a time, so
#: it can miss a trip that needs an unloading and a bin at once: the demo truck
#: re-planned mid-day with 2.8 of 6 m3 on board left two must-collect bins out.
#: Parallel insertion builds such routes; it runs only when something was missed.
COLLECTION_SEARCH = SearchConfig(
    first_solution="LOCAL_CHEAPEST_INSERTION",
    final_descent=True,
    fallback_first_solution="PARALLEL_CHEAPEST_INSERTION",
)


def _left_out_by_failure(model: IndexedModel, solution: IndexedSolution) -> bool:
    """Whether the search left out a stop by failing rather than by choice.

    A must-collect stop, or one whose penalty is more than all the routes of the
    solution cost together, is never cheaper to leave out than to serve with some
    route; dropping it means the search did not find a way to fit it in.
    """
    if not solution.dropped:
        return False
    # None: a mandatory node (the model's penalties are empty when all are).
    penalties = [
        model.penalties[n] if model.penalties else None for n in solution.dropped
    ]
    chosen = [p for p in penalties if p is not None]
    if len(chosen) < len(penalties):
        return True
    return max(chosen) > solution.objective - sum(chosen)  # all routes' cost


def _arrival(
    departure: int, travel: int, break_start: int | None, vehicle: Vehicle
) -> int:
    """Arrival after a leg: the break lengthens it only if it starts before the
    truck would have arrived; otherwise it is taken while waiting."""
    brk = vehicle.rest_break
    if (
        brk is not None
        and break_start is not None
        and departure <= break_start < departure + travel
    ):
        return departure + travel + brk.duration_s
    return departure + travel


def _to_plan(
    problem: CollectionProblem,
    solution: IndexedSolution,
    layout: _Layout,
    dist_m: Sequence[Sequence[int]],
    dist_s: Sequence[Sequence[int]],
    left_out: Sequence[Stop],
) -> RoutePlan:
    """Turn node sequences and service times into a plan with loads and totals."""
    routes: list[Route] = []
    for iroute in solution.routes:
        veh = layout.fleet[iroute.vehicle]
        if not veh.starts_loaded and not any(
            node in layout.node_stop for node in iroute.nodes
        ):
            continue  # an unused truck only "visits" its private final copy
        depot_row = layout.place_index[veh.depot_id]
        brk = veh.rest_break
        visits: list[Visit] = []
        prev_row, prev_departure = (
            layout.place_index[veh.start_depot_id],
            iroute.start_s,
        )
        load_kg, load_m3 = veh.initial_load_kg, veh.initial_load_m3
        collected_kg, collected_m3 = Decimal(0), Decimal(0)
        trips = 0
        distance = 0

        for node, start in zip(iroute.nodes, iroute.service_start_s, strict=True):
            if (
                node in layout.node_facility
                and visits
                and visits[-1].kind is VisitKind.UNLOAD
                and visits[-1].place_id == layout.node_facility[node].facility_id
            ):
                # A second unloading in a row at the same place unloads nothing;
                # a search that counts no time cost may leave one (it costs 0 m).
                continue
            row = layout.node_place[node]
            leg_m = dist_m[prev_row][row]
            travel = veh.travel_s(dist_s[prev_row][row])
            arrival = _arrival(prev_departure, travel, iroute.break_start_s, veh)
            if node in layout.node_facility:
                fac = layout.node_facility[node]
                kind, place_id, service = (
                    VisitKind.UNLOAD,
                    fac.facility_id,
                    fac.unload_s,
                )
                load_kg, load_m3 = Decimal(0), Decimal(0)
                trips += 1
            else:
                stop = layout.node_stop[node]
                kind, place_id, service = VisitKind.STOP, stop.stop_id, stop.service_s
                load_kg += stop.demand_kg
                load_m3 += stop.demand_m3
                collected_kg += stop.demand_kg
                collected_m3 += stop.demand_m3
            visits.append(
                Visit(
                    kind=kind,
                    place_id=place_id,
                    arrival_s=arrival,
                    start_s=start,
                    departure_s=start + service,
                    load_kg=load_kg,
                    load_m3=load_m3,
                    distance_m=leg_m,
                    travel_s=travel,
                )
            )
            distance += leg_m
            prev_row, prev_departure = row, start + service
        return_m = dist_m[prev_row][depot_row]
        distance += return_m
        end_s = max(
            iroute.end_s,
            _arrival(
                prev_departure,
                veh.travel_s(dist_s[prev_row][depot_row]),
                iroute.break_start_s,
                veh,
            ),
        )
        duration = end_s - iroute.start_s
        routes.append(
            Route(
                vehicle_id=veh.vehicle_id,
                depot_id=veh.depot_id,
                start_s=iroute.start_s,
                end_s=end_s,
                visits=tuple(visits),
                return_distance_m=return_m,
                break_start_s=iroute.break_start_s if brk is not None else None,
                distance_m=distance,
                duration_s=duration,
                collected_kg=collected_kg,
                collected_m3=collected_m3,
                trips=trips,
                cost_rp=route_cost_rp(veh, distance, duration),
            )
        )
    dropped = [layout.node_stop[n] for n in solution.dropped] + list(left_out)
    return RoutePlan.from_routes(
        routes,
        [s.stop_id for s in dropped],
        sum(s.penalty_rp for s in dropped),
    )


def solve(
    problem: CollectionProblem,
    time_limit_s: float = 5.0,
    seed: int = 0,
    *,
    config: SearchConfig | None = None,
) -> RoutePlan:
    """Plan the day's routes.

    Every must-collect stop is served exactly once; optional stops are served
    when that costs less than their penalty. Every route starts and ends at
    its truck's depot, unloads at an allowed, open facility whenever the truck
    would otherwise overflow and always before going home, and fits the shift,
    the break and the time windows.

    :param problem: the day's problem.
    :param time_limit_s: search budget, seconds (the search uses all of it).
    :param seed: makes runs reproducible; different seeds explore differently.
    :param config: search configuration; the default suits collection problems.
    :returns: the plan.
    :raises EmptyProblem: when there are no stops.
    :raises InfeasibleProblem: naming a must-collect stop that no truck can
        serve, or that the search could not fit in.
    """
    if not problem.stops:
        raise EmptyProblem("There are no stops to collect.")
    places = problem.places()
    place_index = {p.place_id: k for k, p in enumerate(places)}
    matrices = problem.distance_source.matrices(places)
    dist_m, dist_s = matrices.distance_m, matrices.duration_s
    stops, left_out, servers = _check_stops(problem, dist_s, place_index)
    if not stops and not any(v.starts_loaded for v in problem.vehicles):
        return RoutePlan.from_routes(
            (), [s.stop_id for s in left_out], sum(s.penalty_rp for s in left_out)
        )
    model, layout = _build_model(problem, stops, servers, dist_m, dist_s, place_index)
    search = config or COLLECTION_SEARCH
    solution = solve_indexed(model, time_limit_s=time_limit_s, seed=seed, config=search)
    fallback = search.fallback_first_solution
    if solution is not None and fallback and _left_out_by_failure(model, solution):
        retry = solve_indexed(
            model,
            time_limit_s=time_limit_s,
            seed=seed,
            config=replace(
                search, first_solution=fallback, fallback_first_solution=None
            ),
        )
        if retry is not None and retry.objective < solution.objective:
            logger.info(
                "fallback search served %d more stops",
                len(solution.dropped) - len(retry.dropped),
            )
            solution = retry
    if solution is None:
        # The model makes every stop droppable, so this means no time at all.
        raise InfeasibleProblem(
            f"No plan found within {time_limit_s} s; give the solver more time."
        )
    missed = [
        layout.node_stop[n]
        for n in solution.dropped
        if not layout.node_stop[n].is_optional
    ]
    if missed:
        ids = tuple(s.stop_id for s in missed)
        raise InfeasibleProblem(
            f"Stop {ids[0]} cannot be fitted into any route"
            + (
                f" (nor {len(ids) - 1} other must-collect stops)"
                if len(ids) > 1
                else ""
            )
            + ": the trucks' shifts, capacities and trips are too short for the demand.",
            ids,
        )
    logger.debug("objective %s, %d dropped", solution.objective, len(solution.dropped))
    return _to_plan(problem, solution, layout, dist_m, dist_s, left_out)
