"""The fleet registry: depots (garages), disposal facilities and trucks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from routing import problem as core
from routing.exceptions import (
    InvalidRoutingReference,
    InvalidRoutingValue,
)
from routing.models import (
    Depot,
    Facility,
    Truck,
)
from routing.services.common import (
    DEFAULT_UNLOAD_S,
    check_new_code,
    city_filter,
    city_for_write,
    normalise_code,
    require,
    visible_city,
    windows_of,
)
from wastebank.access import Action, Actor
from wastebank.extensions import SessionLike


# -- depots --------------------------------------------------------------------------------
def list_depots(
    session: SessionLike, actor: Actor, *, city: str | None = None
) -> list[Depot]:
    """The depots the actor may see, by code."""
    require(actor, Action.ROUTES_READ)
    return list(
        session.scalars(
            sa.select(Depot)
            .where(
                visible_city(actor, Depot.city_id),
                city_filter(session, Depot.city_id, city),
            )
            .order_by(Depot.code)
        ).all()
    )


def create_depot(
    session: SessionLike,
    actor: Actor,
    *,
    code: str,
    name: str,
    lat: float,
    lon: float,
    city: str | None = None,
    address: str | None = None,
) -> Depot:
    """Register a garage.

    :param city: city code; a DLH user's own city when omitted.
    :raises RoutingAccessDenied: the role may not manage the fleet, or not there.
    :raises DuplicateRoutingCode: the code is taken.
    """
    require(actor, Action.ROUTES_WRITE)
    city_ref = city_for_write(session, actor, city)
    code = normalise_code(code)
    check_new_code(session, Depot, code, "depot")
    depot = Depot(
        code=code,
        name=name,
        city_id=city_ref.city_id,
        lat=lat,
        lon=lon,
        address=address,
        active=True,
    )
    session.add(depot)
    session.flush()
    return depot


# -- facilities ----------------------------------------------------------------------------
def list_facilities(
    session: SessionLike, actor: Actor, *, city: str | None = None
) -> list[Facility]:
    """The disposal facilities the actor may see, by code."""
    require(actor, Action.ROUTES_READ)
    return list(
        session.scalars(
            sa.select(Facility)
            .where(
                visible_city(actor, Facility.city_id),
                city_filter(session, Facility.city_id, city),
            )
            .order_by(Facility.code)
        ).all()
    )


def create_facility(
    session: SessionLike,
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: str,
    lat: float,
    lon: float,
    city: str | None = None,
    address: str | None = None,
    opening_hours: Sequence[Sequence[str]] = (("00:00", "24:00"),),
    unload_time_s: int = DEFAULT_UNLOAD_S,
) -> Facility:
    """Register a TPA, transfer station, RDF or composting plant.

    :param opening_hours: ``[["06:00", "18:00"], ...]`` in the city's local time:
        unloading starts and ends inside one window.
    :param unload_time_s: time to weigh in and unload one truck, seconds.
    :raises RoutingAccessDenied: the role may not manage the fleet, or not there.
    :raises DuplicateRoutingCode: the code is taken.
    :raises InvalidRoutingValue: the opening hours leave no time to unload.
    """
    require(actor, Action.ROUTES_WRITE)
    city_ref = city_for_write(session, actor, city)
    code = normalise_code(code)
    check_new_code(session, Facility, code, "facility")
    try:
        core.Facility(
            facility_id=code,
            lat=lat,
            lon=lon,
            kind=core.FacilityKind(kind),
            opening_hours=windows_of(opening_hours),
            unload_s=unload_time_s,
        )
    except ValueError as error:
        raise InvalidRoutingValue(str(error), field="opening_hours") from None
    windows = windows_of(opening_hours)
    if not any(w.end_s - w.start_s >= unload_time_s for w in windows):
        raise InvalidRoutingValue(
            f"No opening window is long enough to unload ({unload_time_s} s).",
            field="opening_hours",
        )
    facility = Facility(
        code=code,
        name=name,
        kind=kind,
        city_id=city_ref.city_id,
        lat=lat,
        lon=lon,
        address=address,
        opening_hours=[list(window) for window in opening_hours],
        unload_time_s=unload_time_s,
        active=True,
    )
    session.add(facility)
    session.flush()
    return facility


# -- trucks --------------------------------------------------------------------------------
def list_trucks(
    session: SessionLike,
    actor: Actor,
    *,
    city: str | None = None,
    active: bool | None = None,
) -> list[Truck]:
    """The trucks the actor may see, by code."""
    require(actor, Action.ROUTES_READ)
    query = (
        sa.select(Truck)
        .where(
            visible_city(actor, Truck.city_id),
            city_filter(session, Truck.city_id, city),
        )
        .options(selectinload(Truck.depot), selectinload(Truck.facilities))
        .order_by(Truck.code)
    )
    if active is not None:
        query = query.where(Truck.active == active)
    return list(session.scalars(query).all())


def create_truck(
    session: SessionLike,
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: str,
    depot: str,
    capacity_kg: Decimal | int | str,
    capacity_m3: Decimal | int | str,
    shift_start_s: int,
    shift_end_s: int,
    cost_rp_per_km: int,
    cost_rp_per_hour: int,
    city: str | None = None,
    plate_no: str | None = None,
    rest_break: Mapping[str, int] | None = None,
    speed_factor: float = 1.0,
    fixed_cost_rp: int = 0,
    facilities: Sequence[str] = (),
) -> Truck:
    """Register a truck.

    :param depot: code of its home garage, in the same city.
    :param capacity_kg: payload, kg.
    :param capacity_m3: body volume (compacted, for a compactor), m³.
    :param shift_start_s: earliest departure, seconds since local midnight.
    :param shift_end_s: latest return, seconds since local midnight.
    :param rest_break: ``{"earliest_start_s", "latest_start_s", "duration_s"}``.
    :param facilities: codes of the facilities it may unload at; empty = all.
    :raises RoutingAccessDenied: the role may not manage the fleet, or not there.
    :raises DuplicateRoutingCode: the code is taken.
    :raises InvalidRoutingReference: unknown depot or facility (or another city's).
    :raises InvalidRoutingValue: the shift, break or capacities do not fit together.
    """
    require(actor, Action.ROUTES_WRITE)
    city_ref = city_for_write(session, actor, city)
    code = normalise_code(code)
    check_new_code(session, Truck, code, "truck")
    home = session.scalar(
        sa.select(Depot).where(
            Depot.code == normalise_code(depot), Depot.city_id == city_ref.city_id
        )
    )
    if home is None:
        raise InvalidRoutingReference(
            f"No depot with code {depot} in {city_ref.code}.", field="depot"
        )
    allowed: list[Facility] = []
    for facility_code in facilities:
        found = session.scalar(
            sa.select(Facility).where(
                Facility.code == normalise_code(facility_code),
                Facility.city_id == city_ref.city_id,
            )
        )
        if found is None:
            raise InvalidRoutingReference(
                f"No facility with code {facility_code} in {city_ref.code}.",
                field="facilities",
            )
        allowed.append(found)
    brk = dict(rest_break) if rest_break else None
    try:
        core.Vehicle(
            vehicle_id=code,
            depot_id="depot",
            capacity_kg=Decimal(str(capacity_kg)),
            capacity_m3=Decimal(str(capacity_m3)),
            shift_start_s=shift_start_s,
            shift_end_s=shift_end_s,
            rest_break=None if brk is None else core.Break(**brk),
            speed_factor=speed_factor,
            cost_rp_per_km=cost_rp_per_km,
            cost_rp_per_hour=cost_rp_per_hour,
            fixed_cost_rp=fixed_cost_rp,
        )
    except ValueError as error:
        raise InvalidRoutingValue(str(error)) from None
    truck = Truck(
        code=code,
        name=name,
        kind=kind,
        plate_no=plate_no,
        city_id=city_ref.city_id,
        depot=home,
        capacity_kg=Decimal(str(capacity_kg)),
        capacity_m3=Decimal(str(capacity_m3)),
        shift_start_s=shift_start_s,
        shift_end_s=shift_end_s,
        break_earliest_start_s=brk["earliest_start_s"] if brk else None,
        break_latest_start_s=brk["latest_start_s"] if brk else None,
        break_duration_s=brk["duration_s"] if brk else None,
        speed_factor=speed_factor,
        cost_rp_per_km=cost_rp_per_km,
        cost_rp_per_hour=cost_rp_per_hour,
        fixed_cost_rp=fixed_cost_rp,
        facilities=allowed,
        active=True,
    )
    session.add(truck)
    session.flush()
    return truck
