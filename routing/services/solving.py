"""Where route plans are solved: in this process (the CLI), or in a child process
under the planner's limits (the web server).

A solve is CPU-bound and holds its process's interpreter lock for seconds to minutes.
Until planning moves off the request path, the web server bounds how many plans are
computed at once, so that its threads keep answering ``/healthz`` and the counters:

* **Limits:** at most ``max_per_city`` plans (default 1) of one city and
  ``max_concurrent`` (default 2, below the server's threads) in all are computed at
  once. Beyond that a plan is refused at once with :class:`PlannerBusy` (503 with
  ``Retry-After``) instead of queueing on a server thread.
* **Slots in the database** (:class:`~routing.models.PlannerSlot`), so that the limits
  hold across gunicorn workers and across hosts sharing the database, the same way on
  SQLite and PostgreSQL: a scope with a limit of N has N rows; a slot is taken with one
  ``UPDATE … WHERE holder IS NULL OR lease_until < now`` (atomic on both backends: a
  concurrent claim of the same row waits for the first and then finds it taken),
  released in ``finally``, and its lease renewed while the solve runs, so that a slot
  left by a process that died is free again within :data:`LEASE_S`.
* **A child process per solve** (:func:`routing.solve_process.run_in_child`): the
  request thread waits without the interpreter lock, and a solve that overruns its
  search's own wall-clock bound (plus :data:`~routing.solve_process.CHILD_OVERHEAD_S`)
  is killed (:class:`PlannerFailed`, 503).

The slot transactions are the solver's own (a short session on the engine, committed
at once): other processes must see a slot while the caller's transaction is still
open, and the caller's session is never committed here.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from routing import problem as core
from routing.exceptions import PlannerBusy
from routing.models import PlannerSlot, utcnow
from routing.solve_process import CHILD_OVERHEAD_S, run_in_child
from routing.solver import SearchConfig
from wastebank.extensions import SessionLike, insert_ignoring_conflicts

log = logging.getLogger(__name__)

#: The scope of the installation-wide limit.
ALL: Final = "all"
#: How long a slot stays taken without its holder renewing it, seconds.
LEASE_S: Final = 60.0
#: How often a holder renews its lease while its solve runs, seconds.
RENEW_EVERY_S: Final = 15.0

#: :func:`routing.solver.solve`, or a function with its signature.
SolveFunction = Callable[..., core.RoutePlan]


class PlanSolver(Protocol):
    """Runs ``solve(problem, time_limit_s, seed, config=search)`` for a city's plan."""

    def __call__(
        self,
        solve: SolveFunction,
        problem: core.CollectionProblem,
        time_limit_s: float,
        seed: int,
        search: SearchConfig,
        *,
        city: str,
    ) -> core.RoutePlan: ...


def solve_here(
    solve: SolveFunction,
    problem: core.CollectionProblem,
    time_limit_s: float,
    seed: int,
    search: SearchConfig,
    *,
    city: str,
) -> core.RoutePlan:
    """Solve in this process, without a slot: for a process of its own (the CLI)."""
    return solve(problem, time_limit_s, seed, config=search)


# -- slots -----------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannerLimits:
    """How many plans may be computed at once.

    :param max_concurrent: in all (``WASTEBANK_PLAN_MAX_CONCURRENT``), >= 1.
    :param max_per_city: of one city (``WASTEBANK_PLAN_MAX_PER_CITY``), >= 1.
    """

    max_concurrent: int
    max_per_city: int

    def __post_init__(self) -> None:
        if self.max_concurrent < 1 or self.max_per_city < 1:
            raise ValueError(
                "WASTEBANK_PLAN_MAX_CONCURRENT and WASTEBANK_PLAN_MAX_PER_CITY must "
                "be at least 1"
            )

    def scopes(self, city: str) -> tuple[tuple[str, int], ...]:
        """The (scope, limit) pairs a plan of ``city`` needs a slot of, in the order
        they are taken (always the same order, so claims never deadlock)."""
        per_city = min(self.max_per_city, self.max_concurrent)
        return ((f"city:{city}", per_city), (ALL, self.max_concurrent))


def claim_slots(
    session: SessionLike,
    city: str,
    limits: PlannerLimits,
    *,
    holder: str,
    time_limit_s: float,
    now: dt.datetime,
) -> None:
    """Take a slot of ``city`` and one of the installation for ``holder``.

    Executes in the session's transaction (the caller commits, or rolls back on
    :class:`PlannerBusy` so that nothing stays taken).

    :param time_limit_s: the plan's budget: when it should be done (``Retry-After``).
    :param now: the current time (UTC).
    :raises PlannerBusy: every slot of the city, or of the installation, is taken.
    """
    lease_until = now + dt.timedelta(seconds=LEASE_S)
    expected_end_at = now + dt.timedelta(seconds=time_limit_s)
    for scope, limit in limits.scopes(city):
        session.execute(
            insert_ignoring_conflicts(session, PlannerSlot.__table__),
            [{"scope": scope, "slot": slot} for slot in range(limit)],
        )
        for slot in range(limit):
            taken = session.execute(
                sa.update(PlannerSlot)
                .where(
                    PlannerSlot.scope == scope,
                    PlannerSlot.slot == slot,
                    sa.or_(PlannerSlot.holder.is_(None), PlannerSlot.lease_until < now),
                )
                .values(
                    holder=holder,
                    lease_until=lease_until,
                    expected_end_at=expected_end_at,
                )
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                break
        else:
            raise _busy(session, scope, limit, city, now)


def _busy(
    session: SessionLike, scope: str, limit: int, city: str, now: dt.datetime
) -> PlannerBusy:
    """The refusal, with the time until the first running plan of ``scope`` should be
    done (at least 1 s)."""
    ends = session.scalars(
        sa.select(PlannerSlot.expected_end_at).where(
            PlannerSlot.scope == scope,
            PlannerSlot.slot < limit,
            PlannerSlot.lease_until >= now,
        )
    ).all()
    soonest = min((end for end in ends if end is not None), default=now)
    retry_after_s = max(1, math.ceil((soonest - now).total_seconds()))
    if scope == ALL:
        what = (
            f"The server is computing {limit} route plan{'s' if limit > 1 else ''} "
            "already, as many as it may at once (WASTEBANK_PLAN_MAX_CONCURRENT)"
        )
    else:
        what = (
            f"A route plan for {city} is being computed already (at most {limit} "
            "at once per city, WASTEBANK_PLAN_MAX_PER_CITY)"
        )
    return PlannerBusy(
        f"{what}. Nothing was stored; try again in {retry_after_s} s.", retry_after_s
    )


def renew_slots(session: SessionLike, holder: str, now: dt.datetime) -> int:
    """Extend ``holder``'s leases by :data:`LEASE_S` from ``now``; how many it holds."""
    result = session.execute(
        sa.update(PlannerSlot)
        .where(PlannerSlot.holder == holder)
        .values(lease_until=now + dt.timedelta(seconds=LEASE_S))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def release_slots(session: SessionLike, holder: str) -> None:
    """Free ``holder``'s slots (a slot another holder took after the lease ran out is
    left alone)."""
    session.execute(
        sa.update(PlannerSlot)
        .where(PlannerSlot.holder == holder)
        .values(holder=None, lease_until=None, expected_end_at=None)
        .execution_options(synchronize_session=False)
    )


def new_holder() -> str:
    """A holder name unique to one plan, that says where it runs: host:pid:random."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(6)}"


# -- the web server's solver -----------------------------------------------------------
@dataclass(frozen=True)
class SlottedSolver:
    """Solve in a child process while holding a slot of the city and one of the
    installation (a :class:`PlanSolver`).

    :param engine: the database of the slots (the app's engine).
    :param limits: how many plans may run at once.
    """

    engine: sa.Engine
    limits: PlannerLimits

    def __call__(
        self,
        solve: SolveFunction,
        problem: core.CollectionProblem,
        time_limit_s: float,
        seed: int,
        search: SearchConfig,
        *,
        city: str,
    ) -> core.RoutePlan:
        """Claim, solve in a child, release.

        :raises PlannerBusy: the city's or the installation's limit is reached.
        :raises PlannerFailed: the child died, or overran and was killed.
        """
        holder = new_holder()
        with self._transaction() as session:
            claim_slots(
                session,
                city,
                self.limits,
                holder=holder,
                time_limit_s=time_limit_s,
                now=utcnow(),
            )
        try:
            return run_in_child(
                solve,
                (problem, time_limit_s, seed),
                {"config": search},
                deadline_s=search.wall_bound_s(time_limit_s) + CHILD_OVERHEAD_S,
                heartbeat=lambda: self._renew(holder),
                heartbeat_s=RENEW_EVERY_S,
            )
        finally:
            self._release(holder)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    def _renew(self, holder: str) -> None:
        try:
            with self._transaction() as session:
                held = renew_slots(session, holder, utcnow())
        except SQLAlchemyError:
            log.warning(
                "Could not renew the planner slots of %s", holder, exc_info=True
            )
            return
        if not held:
            # The lease ran out (the database was unreachable) and was taken over:
            # this plan finishes, one more than the limits allow for a while.
            log.warning("Planner slots of %s were lost before it finished", holder)

    def _release(self, holder: str) -> None:
        try:
            with self._transaction() as session:
                release_slots(session, holder)
        except SQLAlchemyError:
            log.warning(
                "Could not release the planner slots of %s; they free themselves "
                "within %.0f s",
                holder,
                LEASE_S,
                exc_info=True,
            )
