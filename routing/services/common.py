"""Shared parts of the routing services: cities, permissions, times, place ids."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from routing import problem as core
from routing.distance import DistanceSource, HaversineSource, OsrmSource
from routing.exceptions import (
    DuplicateRoutingCode,
    InvalidRoutingReference,
    InvalidRoutingValue,
    RoutingAccessDenied,
)
from routing.solver import COLLECTION_SEARCH
from wastebank import access
from wastebank.access import Action, Actor, Role, reaches_city
from wastebank.extensions import SessionLike

log = logging.getLogger(__name__)

#: Search budget of a plan when the request names none, seconds.
DEFAULT_TIME_LIMIT_S: Final = 5.0
#: Crew time at a bin whose own service time is not recorded, seconds.
DEFAULT_SERVICE_S: Final = 120
#: Unloading time of a facility when none is given, seconds.
DEFAULT_UNLOAD_S: Final = 900
#: The search used for plans: the core's collection search, with its budget counted
#: in solutions rather than wall-clock seconds, so that the stored seed and time
#: limit reproduce a plan exactly whatever the server's load. The wall-clock cap
#: (2 x the limit + 1 s) bounds a request whose search stops finding solutions.
PLAN_SEARCH: Final = replace(
    COLLECTION_SEARCH,
    time_limit_is_work_limit=True,
    wall_cap_factor=2.0,
    wall_cap_extra_s=1.0,
)
#: Distances and durations: straight line x 1.3 at 25 km/h (routing.distance), unless
#: an OSRM server is configured (see :func:`distance_source_for`).
DISTANCE_SOURCE: Final = HaversineSource()


def distance_source_for(
    osrm_url: str | None, *, profile: str = "driving", timeout_s: float = 30.0
) -> DistanceSource:
    """The distance source of route plans, from the settings the caller read.

    :param osrm_url: an OSRM server root (``WASTEBANK_OSRM_URL``); empty or
        ``None`` = :data:`DISTANCE_SOURCE` (haversine).
    :param profile: the OSRM profile (``WASTEBANK_OSRM_PROFILE``).
    :param timeout_s: the OSRM request timeout (``WASTEBANK_OSRM_TIMEOUT_S``), seconds.
    """
    if not osrm_url:
        return DISTANCE_SOURCE
    return OsrmSource(str(osrm_url), profile=str(profile), timeout_s=float(timeout_s))


_DEPOT_PREFIX = "depot:"
_FACILITY_PREFIX = "facility:"

#: Only the columns routing needs of wastebank's cities table, without importing it.
CITIES = sa.table(
    "cities",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("timezone", sa.String),
)


# -- cities and permissions ----------------------------------------------------------------
@dataclass(frozen=True)
class CityRef:
    """What the planner needs of a city."""

    city_id: int
    code: str
    timezone: str


def require(actor: Actor, action: Action) -> None:
    """Refuse an actor whose role may not do ``action`` at all.

    The rule and message are :func:`wastebank.access.require`'s; the error is
    routing's own (the same ``permission_denied`` type in the API).
    """
    access.require(actor, action, RoutingAccessDenied)


def city_by_code(session: SessionLike, code: str, field: str = "city") -> CityRef:
    """The city with this code, or :class:`InvalidRoutingReference` on ``field``."""
    row = session.execute(
        sa.select(CITIES.c.id, CITIES.c.code, CITIES.c.timezone).where(
            CITIES.c.code == code.strip().upper()
        )
    ).one_or_none()
    if row is None:
        raise InvalidRoutingReference(f"No city with code {code}.", field=field)
    return CityRef(int(row.id), str(row.code), str(row.timezone))


def city_timezone(session: SessionLike, code: str) -> str:
    """The time zone of a city.

    :raises InvalidRoutingReference: no city with that code.
    """
    return city_by_code(session, code).timezone


def city_for_write(session: SessionLike, actor: Actor, code: str | None) -> CityRef:
    """The city named (or the actor's own), checked against the actor's reach."""
    if code is None:
        if actor.city_id is None:
            raise InvalidRoutingValue("Give the city (its code).", field="city")
        row = session.execute(
            sa.select(CITIES.c.code).where(CITIES.c.id == actor.city_id)
        ).one()
        code = str(row.code)
    city = city_by_code(session, code)
    if not reaches_city(actor, city.city_id):
        raise RoutingAccessDenied(
            "You may only plan and manage the fleet of your own city.", field="city"
        )
    return city


def visible_city(actor: Actor, column: Any) -> sa.ColumnElement[bool]:
    """SQL condition equivalent to :func:`wastebank.access.reaches_city` on ``column``."""
    if actor.role is Role.ADMIN:
        return sa.true()
    if actor.city_id is not None:
        return column == actor.city_id
    return sa.false()


def city_filter(
    session: SessionLike, column: Any, city: str | None
) -> sa.ColumnElement[bool]:
    """SQL condition: ``column`` is the city with code ``city`` (any when ``None``)."""
    if not city:
        return sa.true()
    city_id = session.scalar(
        sa.select(CITIES.c.id).where(CITIES.c.code == city.strip().upper())
    )
    return column == city_id if city_id is not None else sa.false()


def normalise_code(code: str) -> str:
    """Registry codes are compared upper-case and without surrounding spaces."""
    return code.strip().upper()


def check_new_code(session: SessionLike, model: Any, code: str, what: str) -> None:
    """Refuse a registry code that is taken (:class:`DuplicateRoutingCode`)."""
    if session.scalar(sa.select(model.id).where(model.code == code)) is not None:
        raise DuplicateRoutingCode(
            f"A {what} with code {code} exists already.", field="code"
        )


# -- times ---------------------------------------------------------------------------------
def windows_of(windows: Sequence[Sequence[str]]) -> tuple[core.TimeWindow, ...]:
    """``"HH:MM"`` windows as seconds; one that ends before it starts crosses midnight."""
    found = []
    for start, end in windows:
        start_s, end_s = core.parse_time_of_day(start), core.parse_time_of_day(end)
        if end_s >= start_s:
            found.append(core.TimeWindow(start_s, end_s))
        else:
            found += [
                core.TimeWindow(0, end_s),
                core.TimeWindow(start_s, core.DAY_S + end_s),
            ]
    return tuple(found)


def local_midnight(service_date: dt.date, timezone: str) -> dt.datetime:
    """Midnight starting ``service_date`` in ``timezone``, as a UTC datetime."""
    local = dt.datetime.combine(service_date, dt.time(), tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.UTC)


def depot_place_id(code: str) -> str:
    """The problem's place id of a depot."""
    return _DEPOT_PREFIX + code


def facility_place_id(code: str) -> str:
    """The problem's place id of a facility."""
    return _FACILITY_PREFIX + code
