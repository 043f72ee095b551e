"""Domain errors of the routing package, each with a stable ``code`` slug.

The web layer maps these codes to HTTP statuses (``wastebank/errors.py``); the
exceptions themselves know nothing about HTTP.
"""

from __future__ import annotations

__all__ = [
    "DistanceSourceUnavailable",
    "DriverBusy",
    "DuplicateRoutingCode",
    "EmptyProblem",
    "InfeasibleProblem",
    "InvalidRoutingReference",
    "InvalidRoutingValue",
    "NoTrucks",
    "PlannerBusy",
    "PlannerFailed",
    "ReplanRefused",
    "RoutePlanNotFound",
    "RouteStopNotFound",
    "RouteStopPhotoNotFound",
    "RoutingAccessDenied",
    "RoutingConflict",
    "RoutingError",
    "RoutingFieldError",
]


class RoutingError(Exception):
    """Base class of every routing error.

    :param message: a human-readable sentence.
    """

    code: str = "routing_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InfeasibleProblem(RoutingError):
    """The request cannot be served: a stop no vehicle can reach, a bin too heavy...

    :param message: a sentence naming the culprit.
    :param stop_ids: the stops at fault, when known.
    """

    code = "infeasible_problem"

    def __init__(self, message: str, stop_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.stop_ids = stop_ids


class EmptyProblem(RoutingError):
    """There is nothing to plan: no stops, or no vehicles."""

    code = "empty_problem"


class NoTrucks(InfeasibleProblem):
    """No truck is available for the request (none registered, active or chosen)."""

    field = "trucks"


# -- errors of the registry and the route-plan service (raised by routing.services) ----
# Their HTTP statuses are registered by ``routing/plans_api.py``.


class RoutingFieldError(RoutingError):
    """A service error about one input field.

    :param message: a human-readable sentence.
    :param field: the input field the error is about, if any.
    """

    code = "routing_field_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RoutePlanNotFound(RoutingFieldError):
    """No route plan with that id, or not one the user may see (404)."""

    code = "route_plan_not_found"


class RouteStopNotFound(RoutingFieldError):
    """No route stop with that id on a route dispatched to the driver (404)."""

    code = "route_stop_not_found"


class RouteStopPhotoNotFound(RoutingFieldError):
    """No photo on that report, or not one the caller may see (404)."""

    code = "photo_not_found"


class InvalidRoutingReference(RoutingFieldError):
    """The request names a city, truck, depot or facility that does not exist (422)."""

    code = "invalid_reference"


class InvalidRoutingValue(RoutingFieldError):
    """A value breaks a rule a schema cannot check (422)."""

    code = "invalid_value"


class RoutingConflict(RoutingFieldError):
    """The request conflicts with the current state (409)."""

    code = "conflict"


class DuplicateRoutingCode(RoutingConflict):
    """A truck, depot or facility with that code exists already (409)."""

    code = "duplicate_code"


class DriverBusy(RoutingConflict):
    """The driver is already dispatched on another route of the same day (409)."""

    code = "driver_busy"


class ReplanRefused(RoutingConflict):
    """The plan cannot be re-planned now: not dispatched, not today's, already
    re-planned, or nothing left to do (409)."""

    code = "replan_refused"


class DistanceSourceUnavailable(RoutingError):
    """The configured routing engine (OSRM) did not answer, or answered an error (503).

    :param message: a sentence naming the server and what went wrong.
    """

    code = "distance_source_unavailable"
    field = "distance_source"


class PlannerBusy(RoutingError):
    """As many plans as the settings allow are being computed, for the city or in all
    (503, with ``Retry-After``); nothing is stored.

    :param message: a sentence saying which limit was reached.
    :param retry_after_s: when a running plan is expected to be done, seconds (>= 1).
    """

    code = "planner_busy"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PlannerFailed(RoutingError):
    """The planner's process died, or did not answer within its deadline and was
    stopped (503); nothing is stored."""

    code = "planner_failed"


class RoutingAccessDenied(RoutingFieldError):
    """The user's role may not do this, or not in that city (403)."""

    code = "permission_denied"
