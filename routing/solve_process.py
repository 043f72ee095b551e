"""Running a solve in a child process, so that it never holds the server's interpreter.

OR-Tools searches in C++ while holding Python's global interpreter lock (GIL), so a
solve running in a server thread stops every other thread of its process: ``/healthz``
and the counter pages served by the same gunicorn worker wait for the whole search, and
gunicorn kills a worker whose main thread misses its heartbeat for ``--timeout``
seconds (30 by default). :func:`run_in_child` runs one call in a child process and
waits for its answer on a pipe, which releases the GIL.

* **A fresh child per call**, not a pool: a call that outlives its deadline is killed,
  and a child that dies (out of memory, a crash in OR-Tools) takes no other call with
  it; a broken pool would fail every call queued on it.
* **Forkserver start**: children are forked from a small server process started once
  per calling process, at its first call (never at import or in ``create_app``), from
  a fresh interpreter that has imported :mod:`routing.solver` and OR-Tools already, so
  a child starts in milliseconds. A plain ``fork`` of a threaded web worker would copy
  locks held by its other threads and the sockets of its database connections.
* **Everything crosses the pipe pickled**: the target is named by reference (a
  module-level function), its arguments and result are the core's dataclasses, and an
  exception raised in the child is raised again in the caller with the child's
  traceback as a note.

Pure standard library and :mod:`routing` core: no web, ORM or database here.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any, Final, TypeVar

from routing.exceptions import PlannerFailed, RoutingError

__all__ = ["CHILD_OVERHEAD_S", "run_in_child"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Added to a call's own deadline for starting the child, building the model and
#: sending the answer back, seconds.
CHILD_OVERHEAD_S: Final = 30.0
#: Imported once by the forkserver, so that each child starts with OR-Tools loaded;
#: ``__main__`` (the stdlib's default) so that children do not import it each again.
_PRELOAD: Final = ["__main__", "routing.solver"]

_context: ForkServerContext | None = None
_context_lock = threading.Lock()


def _forkserver() -> ForkServerContext:
    """The forkserver context, configured on first use in this process."""
    global _context  # one per process, created lazily
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _context = context
        return _context


def _child(
    sender: multiprocessing.connection.Connection,
    target: Callable[..., Any],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
) -> None:
    """The child's body: call ``target`` and send ``("ok", result)`` or
    ``("error", exception)`` back."""
    try:
        outcome: tuple[str, Any] = ("ok", target(*args, **kwargs))
    except Exception as error:  # every error goes back to the caller
        if not isinstance(error, RoutingError):
            error.add_note("In the planner process:\n" + traceback.format_exc())
        outcome = ("error", error)
    try:
        sender.send(outcome)
    except Exception as error:  # an answer that cannot be pickled
        sender.send(("error", RuntimeError(f"unpicklable answer: {error!r}")))
    finally:
        sender.close()


def run_in_child(
    target: Callable[..., T],
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    deadline_s: float,
    heartbeat: Callable[[], None] | None = None,
    heartbeat_s: float = 15.0,
) -> T:
    """``target(*args, **kwargs)`` in a child process; its result or its exception.

    :param target: a module-level function (pickled by reference).
    :param args: positional arguments (pickled).
    :param kwargs: keyword arguments (pickled).
    :param deadline_s: how long to wait for the answer, seconds; the child is then
        killed.
    :param heartbeat: called every ``heartbeat_s`` while waiting (e.g. to renew a
        lease); it should not raise.
    :param heartbeat_s: seconds between heartbeats.
    :raises PlannerFailed: the child died without answering, or did not answer
        within ``deadline_s`` (it is killed).
    :raises Exception: whatever ``target`` raised, raised again here.
    """
    context = _forkserver()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(sender, target, tuple(args), dict(kwargs or {})),
        name="wastebank-planner",
        daemon=True,
    )
    try:
        process.start()
    finally:
        sender.close()  # the child holds the only writer: its death ends the pipe
    try:
        kind, value = _wait(receiver, process, deadline_s, heartbeat, heartbeat_s)
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if kind == "error":
        raise value
    return value


def _wait(
    receiver: multiprocessing.connection.Connection,
    process: BaseProcess,
    deadline_s: float,
    heartbeat: Callable[[], None] | None,
    heartbeat_s: float,
) -> tuple[str, Any]:
    """The child's answer, waiting without the GIL and beating the heart."""
    deadline = time.monotonic() + deadline_s
    while True:
        left_s = deadline - time.monotonic()
        if left_s <= 0:
            log.error(
                "Planner process %s overran %.0f s; killed", process.pid, deadline_s
            )
            raise PlannerFailed(
                f"The planner did not finish within {deadline_s:.0f} s and was "
                "stopped; nothing was stored. Try again with a smaller time_limit_s."
            )
        if receiver.poll(min(left_s, heartbeat_s)):
            try:
                answer: tuple[str, Any] = receiver.recv()
            except EOFError:
                process.join(5)
                log.error(
                    "Planner process %s died (exit code %s)",
                    process.pid,
                    process.exitcode,
                )
                raise PlannerFailed(
                    "The planner process stopped unexpectedly (exit code "
                    f"{process.exitcode}, e.g. out of memory); nothing was stored. "
                    "Try again; tell the administrator if it happens again."
                ) from None
            return answer
        if heartbeat is not None:
            heartbeat()
