"""Dispatch: a stored plan's routes go to drivers for the day; drivers read their own.

:func:`dispatch_plan` assigns each route of a plan to a driver (a user with role
``driver`` of the plan's city); the route keeps its truck. A driver drives one route a
day: one already dispatched on another route of the same service day, in this plan or
another, is refused with :class:`~routing.exceptions.DriverBusy`. Sending the same
assignments again changes nothing; giving a route to another driver is a reassignment,
audited with the driver before and after.

:func:`list_driver_routes` is the driver's side: their own dispatched routes of a day,
with the stops in order.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from routing.exceptions import (
    DriverBusy,
    InvalidRoutingReference,
    InvalidRoutingValue,
    ReplanRefused,
    RoutePlanNotFound,
)
from routing.models import Route, RoutePlan, RouteStop, Truck, utcnow
from routing.services.common import CITIES, require, visible_city
from routing.services.plans import get_route_plan
from wastebank.access import Action, Actor, Role
from wastebank.extensions import SessionLike
from wastebank.services.core import audit

log = logging.getLogger(__name__)

#: The audit action of a route given to a driver (first dispatch or reassignment).
AUDIT_ACTION = "route.dispatch"

# Only the columns dispatch needs of wastebank's users table.
_users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("role", sa.String),
    sa.column("city_id", sa.Integer),
    sa.column("active", sa.Boolean),
)


def _field(n: int, name: str) -> str:
    return f"assignments.{n}.{name}"


def _lock_plan(session: SessionLike, actor: Actor, plan_id: int) -> None:
    """Lock the plan row (PostgreSQL), so dispatches of one plan run one at a time.

    :raises RoutePlanNotFound: no such plan, or not in the actor's city.
    """
    found = session.scalar(
        sa.select(RoutePlan.id)
        .where(RoutePlan.id == plan_id, visible_city(actor, RoutePlan.city_id))
        .with_for_update()
    )
    if found is None:
        raise RoutePlanNotFound(f"No route plan with id {plan_id}.")


def _drivers(
    session: SessionLike, plan: RoutePlan, assignments: Sequence[tuple[int, str]]
) -> list[tuple[Route, int, str]]:
    """Check every assignment; the route, driver id and username of each, in order.

    :raises InvalidRoutingReference: a route not of the plan, or no such driver.
    :raises InvalidRoutingValue: a route or driver named twice.
    """
    routes = {route.id: route for route in plan.routes}
    usernames = [driver.strip().lower() for _, driver in assignments]
    # Only active drivers of the plan's city count: anyone else reads as unknown, so
    # that a DLH officer learns nothing of another city's staff.
    found = {
        row.username: int(row.id)
        for row in session.execute(
            sa.select(_users.c.id, _users.c.username)
            .where(
                _users.c.username.in_(set(usernames)),
                _users.c.role == Role.DRIVER.value,
                _users.c.city_id == plan.city_id,
                _users.c.active.is_(True),
            )
            .order_by(_users.c.id)
            # Concurrent dispatches of one driver wait for each other, so that the
            # busy check below sees the other's assignment.
            .with_for_update()
        )
    }
    checked: list[tuple[Route, int, str]] = []
    seen_routes: set[int] = set()
    seen_drivers: set[str] = set()
    for n, ((route_id, _), username) in enumerate(
        zip(assignments, usernames, strict=True)
    ):
        route = routes.get(route_id)
        if route is None:
            raise InvalidRoutingReference(
                f"Route {route_id} is not a route of plan {plan.id}.",
                field=_field(n, "route"),
            )
        if route_id in seen_routes:
            raise InvalidRoutingValue(
                f"Route {route_id} is assigned more than once.",
                field=_field(n, "route"),
            )
        if username in seen_drivers:
            raise InvalidRoutingValue(
                f"Driver {username} is assigned more than once; "
                "a driver drives one route a day.",
                field=_field(n, "driver"),
            )
        driver_id = found.get(username)
        if driver_id is None:
            raise InvalidRoutingReference(
                f"No active driver with username {username} in {plan.city_code}.",
                field=_field(n, "driver"),
            )
        seen_routes.add(route_id)
        seen_drivers.add(username)
        checked.append((route, driver_id, username))
    return checked


def _check_not_busy(
    session: SessionLike, plan: RoutePlan, checked: Sequence[tuple[Route, int, str]]
) -> None:
    """Refuse a driver already on a route of the day outside this request.

    Routes named in the request are left out: they are about to get the driver given
    for them, so drivers may swap routes in one request.

    :raises DriverBusy: naming the driver, the day and the other route.
    """
    route_ids = [route.id for route, _, _ in checked]
    # The plans this one re-plans: their routes are what this one takes over.
    replaced = _replanned_plans(session, plan)
    by_driver = {
        driver_id: (n, username) for n, (_, driver_id, username) in enumerate(checked)
    }
    other = session.execute(
        sa.select(Route.id, Route.driver_id, Route.plan_id, Truck.code)
        .join(RoutePlan, Route.plan_id == RoutePlan.id)
        .join(Truck, Route.truck_id == Truck.id)
        .where(
            Route.driver_id.in_(list(by_driver)),
            Route.id.not_in(route_ids),
            Route.plan_id.not_in(replaced),
            RoutePlan.service_date == plan.service_date,
            RoutePlan.status != "cancelled",
        )
        .order_by(Route.id)
    ).first()
    if other is None:
        return
    n, username = by_driver[int(other.driver_id)]
    raise DriverBusy(
        f"Driver {username} is already dispatched on {plan.service_date.isoformat()}: "
        f"route {other.id} (truck {other.code}) of plan {other.plan_id}.",
        field=_field(n, "driver"),
    )


def _replanned_plans(session: SessionLike, plan: RoutePlan) -> list[int]:
    """The ids of the plans ``plan`` re-plans, directly or through other re-plans."""
    found: list[int] = []
    parent = plan.replans_id
    while parent is not None and parent not in found:
        found.append(parent)
        parent = session.scalar(
            sa.select(RoutePlan.replans_id).where(RoutePlan.id == parent)
        )
    return found


def _check_still_current(session: SessionLike, plan: RoutePlan) -> None:
    """Refuse a re-plan whose plan was re-planned by another one meanwhile.

    :raises ReplanRefused: naming the other re-plan.
    """
    if plan.replans_id is None:
        return
    other = session.scalar(
        sa.select(RoutePlan.id).where(
            RoutePlan.replans_id == plan.replans_id,
            RoutePlan.id != plan.id,
            RoutePlan.status == "dispatched",
        )
    )
    if other is not None:
        raise ReplanRefused(
            f"Plan {plan.replans_id} was re-planned meanwhile by plan {other}, "
            f"which is dispatched: plan {plan.id} is out of date."
        )


def _hand_over(session: SessionLike, plan: RoutePlan, at: dt.datetime) -> int:
    """Mark the unfinished visits of the plan that ``plan`` re-plans as replaced.

    :returns: how many visits were handed over.
    """
    if plan.replans_id is None:
        return 0
    old = session.scalars(
        sa.select(RouteStop)
        .join(Route, RouteStop.route_id == Route.id)
        .where(Route.plan_id == plan.replans_id, RouteStop.replaced_at.is_(None))
        .options(selectinload(RouteStop.events))
    ).all()
    handed = [stop for stop in old if not stop.done]
    for stop in handed:
        stop.replaced_at = at
    return len(handed)


def _state(route: Route) -> dict[str, Any]:
    return {
        "plan": route.plan_id,
        "truck": route.truck.code,
        "driver": route.driver_username,
        "dispatched_at": None
        if route.dispatched_at is None
        else route.dispatched_at.isoformat(),
    }


def dispatch_plan(
    session: SessionLike,
    actor: Actor,
    plan_id: int,
    assignments: Sequence[tuple[int, str]],
    *,
    now: dt.datetime | None = None,
) -> RoutePlan:
    """Assign routes of a stored plan to drivers for its service day.

    Dispatching a re-plan (``replans_id``) hands over the unfinished visits of the
    plan it re-plans (:func:`routing.services.replan_route_plan`): its drivers are
    not busy for this one, and their visits not yet done are marked replaced once
    every route of the re-plan has a driver.

    All assignments are checked before any is applied: a refused request changes
    nothing. A route whose driver is unchanged is left as it is (no audit entry), so
    the same request may be sent again. The plan becomes ``dispatched`` once every
    route has a driver.

    :param plan_id: the plan.
    :param assignments: ``(route id, driver username)`` pairs; errors name them as
        ``assignments.N.route`` / ``assignments.N.driver`` (N from 0).
    :param now: the dispatch time (UTC); the current time when omitted.
    :returns: the plan (flushed).
    :raises RoutingAccessDenied: the role may not plan routes.
    :raises RoutePlanNotFound: no such plan, or not in the actor's city.
    :raises InvalidRoutingReference: a route not of this plan, or no active driver
        of the plan's city with that username.
    :raises InvalidRoutingValue: a route or driver named twice.
    :raises DriverBusy: a driver is already on another route of the same day.
    :raises ReplanRefused: a re-plan whose plan another dispatched re-plan replaced.
    """
    require(actor, Action.ROUTES_WRITE)
    _lock_plan(session, actor, plan_id)
    plan = get_route_plan(session, actor, plan_id)
    if plan.replans_id is not None:
        # The plan it re-plans too: two re-plans of one plan dispatch one at a time.
        _lock_plan(session, actor, plan.replans_id)
        _check_still_current(session, plan)
    checked = _drivers(session, plan, assignments)
    _check_not_busy(session, plan, checked)
    at = now or utcnow()
    changed = []
    for route, driver_id, username in checked:
        if route.driver_id == driver_id:
            continue
        before = _state(route)
        route.driver_id = driver_id
        route.dispatched_at = at
        route.dispatched_by_id = actor.user_id
        after = {**before, "driver": username, "dispatched_at": at.isoformat()}
        audit(session, actor, AUDIT_ACTION, route, before=before, after=after)
        changed.append(route)
    if plan.status == "planned" and all(r.driver_id is not None for r in plan.routes):
        plan.status = "dispatched"
        handed = _hand_over(session, plan, at)
        if handed:
            log.info(
                "Plan %s: %d unfinished visit(s) of plan %s handed over",
                plan.id,
                handed,
                plan.replans_id,
            )
    session.flush()
    for route in changed:
        # The username is a column property: read it again for the new driver.
        session.expire(route, ["driver_username"])
    if changed:
        log.info(
            "Plan %s: %d route(s) dispatched by user %s",
            plan.id,
            len(changed),
            actor.user_id,
        )
    return plan


def _driver_today(
    session: SessionLike, actor: Actor, default_timezone: str, now: dt.datetime | None
) -> dt.date:
    """Today in the driver's city's zone (``default_timezone`` without a city)."""
    zone = None
    if actor.city_id is not None:
        zone = session.scalar(
            sa.select(CITIES.c.timezone).where(CITIES.c.id == actor.city_id)
        )
    return (now or utcnow()).astimezone(ZoneInfo(zone or default_timezone)).date()


def list_driver_routes(
    session: SessionLike,
    actor: Actor,
    service_date: dt.date | None = None,
    *,
    default_timezone: str = "Asia/Jayapura",
    now: dt.datetime | None = None,
) -> list[Route]:
    """The acting driver's dispatched routes of a day, stops in order.

    Only routes dispatched to the actor are ever returned: there is no way to ask
    for another driver's.

    :param service_date: the day, in the city's calendar; ``None`` = today in the
        zone of the driver's city (``default_timezone`` for a driver without one).
    :param now: the current time (UTC), for "today"; the clock when omitted.
    :raises RoutingAccessDenied: the role is not one that drives (only drivers).
    """
    require(actor, Action.OWN_ROUTES_READ)
    if actor.user_id is None:
        return []
    if service_date is None:
        service_date = _driver_today(session, actor, default_timezone, now)
    routes = session.scalars(
        sa.select(Route)
        .join(RoutePlan, Route.plan_id == RoutePlan.id)
        .where(
            Route.driver_id == actor.user_id,
            RoutePlan.service_date == service_date,
            RoutePlan.status != "cancelled",
        )
        .options(
            selectinload(Route.plan),
            selectinload(Route.truck),
            selectinload(Route.depot),
            selectinload(Route.stops).selectinload(RouteStop.bin),
            selectinload(Route.stops).selectinload(RouteStop.facility),
            selectinload(Route.stops).selectinload(RouteStop.events),
        )
        .order_by(Route.start_at, Route.id)
    ).all()
    return list(routes)
