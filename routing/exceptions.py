"""Domain errors of the routing package, each with a stable ``code`` slug.

The web layer maps these codes to HTTP statuses (``wastebank/errors.py``); the
exceptions themselves know nothing about HTTP.
"""

from __future__ import annotations

__all__ = ["EmptyProblem", "InfeasibleProblem", "RoutingError"]


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
