"""Demo data for the day's work: today's route plan of Ambon, dispatched, with reports.

Called by ``wastebank.demo`` after the demo bins, fleet and drivers exist. Everything
goes through the real services, as the control room and the driver's phone would:
DLH Ambon plans today from the bins' current levels with a small, reproducible
budget, gives the routes to the demo drivers, and the first driver reports the
first bin collected and the second skipped (blocked). The driver's page
(``sopir.1``) and the control room's "today's routes" then have something to show.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from routing import services as routing_services
from routing.exceptions import RoutingError
from routing.models import Route, RoutePlan, RouteStop
from wastebank.extensions import SessionLike
from wastebank.idempotency import canonical_hash
from wastebank.models import City, User
from wastebank.services import actor_for

log = logging.getLogger(__name__)

CITY: Final = "AMB"
PLANNER: Final = "dlh.ambon"
#: The demo drivers, given the plan's routes in order.
DRIVERS: Final = ("sopir.1", "sopir.2")
#: Search budget (solutions counted, not wall-clock time: the same plan every time)
#: and seed: about half a second.
TIME_LIMIT_S: Final = 0.5
SEED: Final = 1


def _user(session: SessionLike, username: str) -> User:
    return session.scalars(sa.select(User).where(User.username == username)).one()


def load(session: SessionLike, *, now: dt.datetime | None = None) -> RoutePlan | None:
    """Plan, dispatch and start today's collection in Ambon (flushes only).

    Does nothing when Ambon has a plan for today already. A demo city whose bins
    cannot all be collected today (:class:`~routing.exceptions.RoutingError`) is
    left without a plan rather than failing the whole demo.

    :param now: the current time (UTC); the clock when omitted.
    :returns: the plan, or ``None`` when none was made.
    """
    now = now or dt.datetime.now(dt.UTC)
    zone = session.scalar(sa.select(City.timezone).where(City.code == CITY))
    today = now.astimezone(ZoneInfo(zone or "Asia/Jayapura")).date()
    city_id = sa.select(City.id).where(City.code == CITY).scalar_subquery()
    existing = sa.select(RoutePlan.id).where(
        RoutePlan.city_id == city_id, RoutePlan.service_date == today
    )
    if session.scalar(existing.limit(1)) is not None:
        return None
    planner = actor_for(_user(session, PLANNER))
    try:
        plan = routing_services.create_route_plan(
            session,
            planner,
            service_date=today,
            city=CITY,
            time_limit_s=TIME_LIMIT_S,
            seed=SEED,
        )
    except RoutingError as error:
        log.warning("Demo: no route plan for %s today: %s", CITY, error)
        return None
    # The first driver gets the route with the most bins, to report on two of them.
    routes = sorted(plan.routes, key=lambda r: (-len(_bin_stops(r)), r.id))
    assignments = [(r.id, d) for r, d in zip(routes, DRIVERS, strict=False)]
    if not assignments:
        return plan
    routing_services.dispatch_plan(session, planner, plan.id, assignments, now=now)
    _report_first_stops(session, routes[0], now)
    return plan


def _bin_stops(route: Route) -> list[RouteStop]:
    return [s for s in sorted(route.stops, key=lambda s: s.seq) if s.kind == "stop"]


def _report_first_stops(session: SessionLike, route: Route, now: dt.datetime) -> None:
    """The first driver's reports: first bin collected, second skipped (blocked)."""
    driver = actor_for(_user(session, DRIVERS[0]))
    bins = _bin_stops(route)
    reports = [
        {"kind": "collected", "note": "Demo: diangkut penuh."},
        {
            "kind": "skipped",
            "reason": "blocked",
            "note": "Demo: mobil parkir di depan TPS.",
        },
    ]
    for n, (stop, report) in enumerate(zip(bins, reports, strict=False)):
        # On the phone just before loading (never ahead of the clock), or at the
        # planned arrival when that has passed already; but after the bin's last
        # demo reading (readings run to the full hour), or the sensor would still
        # say the emptied bin is full.
        occurred_at = min(stop.arrival_at, now - dt.timedelta(minutes=10 - 5 * n))
        read_at = stop.bin.last_reading_at if stop.bin is not None else None
        if read_at is not None and occurred_at <= read_at < now:
            occurred_at = read_at + (now - read_at) / 2
        body = {**report, "occurred_at": occurred_at.isoformat()}
        routing_services.record_stop_event(
            session,
            driver,
            stop.id,
            kind=report["kind"],
            occurred_at=occurred_at,
            reason=report.get("reason"),
            note=report["note"],
            idempotency_key=f"demo-{stop.id}-{report['kind']}",
            request_hash=canonical_hash(body),
            now=now,
        )
