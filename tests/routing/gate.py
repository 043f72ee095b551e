"""A gate before the core's solve, for tests that need a plan to be "being computed".

:class:`Gate` has :func:`routing.solver.solve`'s signature and is picklable, so the
planner can run it in its child process (it is put in place of
``routing.services.plans.solve``). On a problem it stops (one with ``depot_id`` among
its depots, or any), it leaves a ``started-*`` file, then waits until the test opens
it, and then solves for real; or it crashes or raises, to test the planner's clean-up.
Files, not events, because the gate runs in another process.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.problem import CollectionProblem, RoutePlan
from routing.solver import solve

#: Longest a test waits for something the gate reports, seconds: a safety net against
#: a hung test, never an assertion about speed.
PATIENCE_S = 120.0


@dataclass(frozen=True)
class Gate:
    """Stands before :func:`routing.solver.solve`.

    :param directory: where it leaves its files.
    :param depot_id: stop only problems with this depot (``depot:<code>``); ``None``:
        every problem.
    :param action: ``"wait"`` until opened, ``"crash"`` (the process exits at once),
        ``"raise"`` (a bug in the solver) or ``"empty"`` (answer a plan without routes).
    """

    directory: str
    depot_id: str | None = None
    action: str = "wait"

    def __call__(
        self, problem: CollectionProblem, time_limit_s: float, seed: int, **kw: Any
    ) -> RoutePlan:
        if self.depot_id is None or any(
            depot.depot_id == self.depot_id for depot in problem.depots
        ):
            Path(self.directory, f"started-{os.getpid()}-{uuid.uuid4().hex}").touch()
            if self.action == "crash":
                os._exit(3)
            if self.action == "raise":
                raise RuntimeError("a bug in the solver")
            if self.action == "empty":
                return RoutePlan.from_routes((), (), 0)
            while not Path(self.directory, "open").exists():
                time.sleep(0.01)
        return solve(problem, time_limit_s, seed, **kw)

    def started(self) -> int:
        """How many solves reached the gate."""
        return len(list(Path(self.directory).glob("started-*")))

    def pids(self) -> list[int]:
        """The processes the gate ran in."""
        return [
            int(path.name.split("-")[1])
            for path in Path(self.directory).glob("started-*")
        ]

    def open(self) -> None:
        """Let every waiting solve (and later ones) through."""
        Path(self.directory, "open").touch()


def wait_until(condition: Any, what: str) -> None:
    """Wait until ``condition()`` holds (polling); fail after :data:`PATIENCE_S`."""
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)
