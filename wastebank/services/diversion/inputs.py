"""What DLH enters about a city's waste flows: its profile, TPA tickets, treatment inputs.

Every service takes the session first and an actor; it flushes, never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from routing.energy import (
    COMPONENTS,
    MCF_BY_SITE_TYPE,
    STREAM_COMPOSITIONS,
)
from wastebank.access import Action, Actor, reaches_city
from wastebank.exceptions import (
    CityNotFound,
    DuplicateTicket,
    DuplicateTreatmentInput,
    InvalidValue,
    TpaDeliveryNotFound,
    TreatmentInputNotFound,
)
from wastebank.extensions import SessionLike, insert_ignoring_conflicts
from wastebank.models import (
    MASS_BASES,
    TPA_DELIVERY_SOURCES,
    TREATMENT_PATHWAYS,
    City,
    CityWasteProfile,
    TpaDelivery,
    TreatmentInput,
    utcnow,
)
from wastebank.services.core import audit, period_bounds, require

_KG = Decimal("0.001")
#: Profile fields that may be changed through :func:`update_waste_profile`.
PROFILE_FIELDS = (
    "population",
    "population_year",
    "generation_kg_per_capita_per_day",
    "generation_source",
    "tpa_name",
    "tpa_site_type",
    "tpa_controlled",
    "tpa_remaining_airspace_m3",
    "tpa_airspace_surveyed_on",
    "in_place_density_t_per_m3",
    "cover_soil_fraction",
    "climate_zone",
    "jakstrada_targets",
)

MEASURED, ESTIMATED, NOT_AVAILABLE = "measured", "estimated", "not_available"


def _kg(value: float | Decimal) -> Decimal:
    """A mass in kg with 3 decimals, rounded half up once."""
    return Decimal(repr(value) if isinstance(value, float) else value).quantize(
        _KG, rounding=ROUND_HALF_UP
    )


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value in allowed:
        return value
    raise InvalidValue(
        f"Unknown {field} {value!r}: give one of " + ", ".join(allowed) + ".",
        field=field,
    )


def _positive_kg(value: Decimal, field: str) -> Decimal:
    if not Decimal(value).is_finite() or _kg(value) <= 0:
        raise InvalidValue("Give a mass above 0 kg.", field=field)
    return _kg(value)


def _text(value: str, field: str, max_length: int) -> str:
    text = value.strip()
    if not text or len(text) > max_length:
        raise InvalidValue(
            f"Give a {field} of 1 to {max_length} characters.", field=field
        )
    return text


def _basis(*bases: str) -> str:
    """A sum is estimated as soon as one of its parts is (as in routing.energy)."""
    return ESTIMATED if ESTIMATED in bases else MEASURED


# -- cities ------------------------------------------------------------------------------
def _city(session: SessionLike, actor: Actor, code: str, action: Action) -> City:
    """The city with ``code`` if the actor's role may do ``action`` and reaches it.

    :raises PermissionDenied: the role may not do ``action`` at all (403).
    :raises CityNotFound: no such city, or another city's (404, as for banks).
    """
    require(actor, action)
    city = session.scalar(sa.select(City).where(City.code == code.strip().upper()))
    if city is None or not reaches_city(actor, city.id):
        raise CityNotFound(f"No city with code {code}.", field="city")
    return city


def get_waste_profile(
    session: SessionLike, actor: Actor, city_code: str
) -> CityWasteProfile:
    """The city's waste profile; an unsaved empty one when none was entered yet."""
    city = _city(session, actor, city_code, Action.REPORTS_READ)
    profile = session.get(CityWasteProfile, city.id)
    return (
        profile if profile is not None else CityWasteProfile(city_id=city.id, city=city)
    )


def _profile_snapshot(profile: CityWasteProfile) -> dict[str, Any]:
    return {
        name: (str(value) if isinstance(value, Decimal | dt.date) else value)
        for name in PROFILE_FIELDS
        if (value := getattr(profile, name)) is not None
    }


def update_waste_profile(
    session: SessionLike, actor: Actor, city_code: str, changes: Mapping[str, Any]
) -> CityWasteProfile:
    """Change fields of the city's profile (admin, DLH of the city); None clears one.

    :raises InvalidValue: an unknown field, TPA site type or climate zone.
    """
    city = _city(session, actor, city_code, Action.WASTE_FLOWS_WRITE)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidValue(
            f"Unknown profile field {sorted(unknown)[0]}.", field=sorted(unknown)[0]
        )
    site_type = changes.get("tpa_site_type")
    if site_type is not None and site_type not in MCF_BY_SITE_TYPE:
        raise InvalidValue(
            f"Unknown TPA site type {site_type!r}.", field="tpa_site_type"
        )
    profile = session.get(CityWasteProfile, city.id)
    if profile is None:
        profile = CityWasteProfile(city_id=city.id)
        session.add(profile)
    before = _profile_snapshot(profile)
    for name, value in changes.items():
        setattr(profile, name, value)
    profile.updated_by_id = actor.user_id
    session.flush()
    audit(
        session,
        actor,
        "waste_profile.update",
        city,
        before=before,
        after=_profile_snapshot(profile),
    )
    return profile


# -- TPA deliveries ------------------------------------------------------------------------
def _delivery_fields(delivery: TpaDelivery) -> dict[str, Any]:
    return {
        "facility": delivery.facility,
        "delivered_at": delivery.delivered_at.astimezone(dt.UTC),
        "net_weight_kg": _kg(delivery.net_weight_kg),
        "source": delivery.source,
        "truck_code": delivery.truck_code,
        "note": delivery.note,
    }


def _delivery_snapshot(delivery: TpaDelivery) -> dict[str, Any]:
    fields = _delivery_fields(delivery)
    return {
        **fields,
        "ticket_no": delivery.ticket_no,
        "delivered_at": fields["delivered_at"].isoformat(),
        "net_weight_kg": str(fields["net_weight_kg"]),
    }


def _insert_once(
    session: SessionLike,
    model: type[Any],
    values: Mapping[str, Any],
    natural_key: tuple[sa.ColumnElement[bool], ...],
) -> Any | None:
    """Insert a row unless its natural key exists; the new row, or None.

    A replay raced by a concurrent one is skipped by the conflict clause.
    """
    if session.scalar(sa.select(model.id).where(*natural_key)) is not None:
        return None
    table = model.__table__
    new_id = session.execute(
        insert_ignoring_conflicts(session, table).values(**values).returning(table.c.id)
    ).scalar_one_or_none()
    return None if new_id is None else session.get(model, new_id)


def record_tpa_delivery(
    session: SessionLike,
    actor: Actor,
    *,
    city_code: str,
    facility: str,
    ticket_no: str,
    delivered_at: dt.datetime,
    net_weight_kg: Decimal,
    source: str = "weighbridge",
    truck_code: str | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[TpaDelivery, bool]:
    """Record a load delivered to the TPA: a weighbridge ticket, or a DLH estimate.

    The ticket number is the natural key: sending the same ticket again with the
    same data returns the stored delivery (a replay); with other data it is refused.
    This is the one door into ``tpa_deliveries``; truck trips (issue 7) will call it.

    :param delivered_at: timezone-aware time the load crossed the weighbridge.
    :param net_weight_kg: gross minus tare, kg, > 0, 3 decimals.
    :param source: ``weighbridge`` (measured) or ``estimate``.
    :returns: the delivery and whether it is a replay.
    :raises DuplicateTicket: the ticket number was recorded with other data.
    :raises InvalidValue: a delivery more than a day in the future or without a
        time zone, a mass of 0 kg or less, an unknown source, an empty facility
        or ticket number.
    """
    city = _city(session, actor, city_code, Action.WASTE_FLOWS_WRITE)
    now = now or utcnow()
    if delivered_at.tzinfo is None:
        raise InvalidValue(
            "Give the delivery time with its zone.", field="delivered_at"
        )
    if delivered_at > now + dt.timedelta(days=1):
        raise InvalidValue("A delivery cannot lie in the future.", field="delivered_at")
    values: dict[str, Any] = {
        "city_id": city.id,
        "facility": _text(facility, "facility", 120),
        "ticket_no": _text(ticket_no, "ticket_no", 40).upper(),
        "delivered_at": delivered_at,
        "net_weight_kg": _positive_kg(net_weight_kg, "net_weight_kg"),
        "source": _choice(source, TPA_DELIVERY_SOURCES, "source"),
        "truck_code": truck_code.strip().upper() if truck_code else None,
        "note": note,
        "entered_by_id": actor.user_id,
    }
    sent = TpaDelivery(**values)  # transient: only compared with a stored ticket
    same_ticket = (
        TpaDelivery.city_id == city.id,
        TpaDelivery.ticket_no == sent.ticket_no,
    )
    delivery = _insert_once(session, TpaDelivery, values, same_ticket)
    if delivery is None:
        stored = session.scalar(sa.select(TpaDelivery).where(*same_ticket))
        if stored is None or _delivery_fields(stored) != _delivery_fields(sent):
            raise DuplicateTicket(
                f"Ticket {sent.ticket_no} was recorded with other data.",
                field="ticket_no",
            )
        return stored, True
    audit(
        session,
        actor,
        "tpa_delivery.create",
        delivery,
        after=_delivery_snapshot(delivery),
    )
    return delivery, False


def get_tpa_delivery(
    session: SessionLike, actor: Actor, delivery_id: int
) -> TpaDelivery:
    """One delivery of a city the actor reaches."""
    require(actor, Action.REPORTS_READ)
    delivery = session.get(TpaDelivery, delivery_id)
    if delivery is None or not reaches_city(actor, delivery.city_id):
        raise TpaDeliveryNotFound(f"No TPA delivery with id {delivery_id}.")
    return delivery


def list_tpa_deliveries(
    session: SessionLike,
    actor: Actor,
    *,
    city_code: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[TpaDelivery], int]:
    """A city's deliveries, newest first, local dates ``from``..``to`` inclusive."""
    city = _city(session, actor, city_code, Action.REPORTS_READ)
    start, end = period_bounds(city.timezone, date_from, date_to)
    query = sa.select(TpaDelivery).where(TpaDelivery.city_id == city.id)
    if start is not None:
        query = query.where(TpaDelivery.delivered_at >= start)
    if end is not None:
        query = query.where(TpaDelivery.delivered_at < end)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(TpaDelivery.delivered_at.desc(), TpaDelivery.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(items), int(total or 0)


def delete_tpa_delivery(session: SessionLike, actor: Actor, delivery_id: int) -> None:
    """Remove a mistaken delivery (admin, DLH of the city); the audit log keeps it."""
    require(actor, Action.WASTE_FLOWS_WRITE)
    delivery = get_tpa_delivery(session, actor, delivery_id)
    audit(
        session,
        actor,
        "tpa_delivery.delete",
        delivery,
        before=_delivery_snapshot(delivery),
    )
    session.delete(delivery)
    session.flush()


# -- treatment inputs ----------------------------------------------------------------------
def _check_material(material: str) -> str:
    if material in COMPONENTS or material in STREAM_COMPOSITIONS:
        return material
    raise InvalidValue(
        f"Unknown material {material!r}: give a waste component ("
        + ", ".join(COMPONENTS)
        + ") or a bin stream ("
        + ", ".join(STREAM_COMPOSITIONS)
        + ").",
        field="material",
    )


def _input_fields(item: TreatmentInput) -> dict[str, Any]:
    return {
        "mass_kg": _kg(item.mass_kg),
        "residue_kg": _kg(item.residue_kg),
        "basis": item.basis,
        "note": item.note,
    }


def _input_snapshot(item: TreatmentInput) -> dict[str, Any]:
    return {
        "facility": item.facility,
        "treated_on": item.treated_on.isoformat(),
        "pathway": item.pathway,
        "material": item.material,
        "mass_kg": str(_kg(item.mass_kg)),
        "residue_kg": str(_kg(item.residue_kg)),
        "basis": item.basis,
    }


def record_treatment_input(
    session: SessionLike,
    actor: Actor,
    *,
    city_code: str,
    facility: str,
    treated_on: dt.date,
    pathway: str,
    material: str,
    mass_kg: Decimal,
    residue_kg: Decimal = Decimal("0"),
    basis: str = "measured",
    note: str | None = None,
) -> tuple[TreatmentInput, bool]:
    """Record waste fed to a treatment (admin, DLH of the city).

    The natural key is (facility, day, pathway, material): the same input sent again
    is a replay; the same key with other masses is refused.

    :param material: a waste component (``food``) or a bin stream (``organic``).
    :param mass_kg: wet kg fed, > 0.
    :param residue_kg: kg of rejects or ash that still went to the TPA, 0..mass.
    :returns: the input and whether it is a replay.
    :raises DuplicateTreatmentInput: the key was recorded with other masses.
    :raises InvalidValue: an unknown material, pathway or basis, a mass of 0 kg
        or less, a residue below 0 or above the mass, an empty facility.
    """
    city = _city(session, actor, city_code, Action.WASTE_FLOWS_WRITE)
    _check_material(material)
    _choice(pathway, TREATMENT_PATHWAYS, "pathway")
    _choice(basis, MASS_BASES, "basis")
    mass = _positive_kg(mass_kg, "mass_kg")
    residue = _kg(residue_kg) if Decimal(residue_kg).is_finite() else Decimal(-1)
    if not 0 <= residue <= mass:
        raise InvalidValue(
            "The residue lies between 0 kg and the mass fed.", field="residue_kg"
        )
    values: dict[str, Any] = {
        "city_id": city.id,
        "facility": _text(facility, "facility", 120),
        "treated_on": treated_on,
        "pathway": pathway,
        "material": material,
        "mass_kg": mass,
        "residue_kg": residue,
        "basis": basis,
        "note": note,
        "entered_by_id": actor.user_id,
    }
    sent = TreatmentInput(**values)
    same_key = (
        TreatmentInput.city_id == city.id,
        TreatmentInput.facility == sent.facility,
        TreatmentInput.treated_on == treated_on,
        TreatmentInput.pathway == pathway,
        TreatmentInput.material == material,
    )
    item = _insert_once(session, TreatmentInput, values, same_key)
    if item is None:
        stored = session.scalar(sa.select(TreatmentInput).where(*same_key))
        if stored is None or _input_fields(stored) != _input_fields(sent):
            raise DuplicateTreatmentInput(
                f"{sent.facility} has a {pathway} input of {material} on {treated_on} "
                "with other masses; delete it first to correct it.",
                field="mass_kg",
            )
        return stored, True
    audit(session, actor, "treatment_input.create", item, after=_input_snapshot(item))
    return item, False


def get_treatment_input(
    session: SessionLike, actor: Actor, input_id: int
) -> TreatmentInput:
    """One treatment input of a city the actor reaches."""
    require(actor, Action.REPORTS_READ)
    item = session.get(TreatmentInput, input_id)
    if item is None or not reaches_city(actor, item.city_id):
        raise TreatmentInputNotFound(f"No treatment input with id {input_id}.")
    return item


def list_treatment_inputs(
    session: SessionLike,
    actor: Actor,
    *,
    city_code: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[TreatmentInput], int]:
    """A city's treatment inputs, newest first, ``from``..``to`` inclusive."""
    city = _city(session, actor, city_code, Action.REPORTS_READ)
    query = sa.select(TreatmentInput).where(TreatmentInput.city_id == city.id)
    period_bounds(city.timezone, date_from, date_to)  # refuses a reversed period
    if date_from is not None:
        query = query.where(TreatmentInput.treated_on >= date_from)
    if date_to is not None:
        query = query.where(TreatmentInput.treated_on <= date_to)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(TreatmentInput.treated_on.desc(), TreatmentInput.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(items), int(total or 0)


def delete_treatment_input(session: SessionLike, actor: Actor, input_id: int) -> None:
    """Remove a mistaken treatment input (admin, DLH of the city)."""
    require(actor, Action.WASTE_FLOWS_WRITE)
    item = get_treatment_input(session, actor, input_id)
    audit(session, actor, "treatment_input.delete", item, before=_input_snapshot(item))
    session.delete(item)
    session.flush()
