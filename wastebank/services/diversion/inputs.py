"""What DLH enters about a city's waste flows: its profile, TPA tickets, treatment inputs.

Every service takes the session first and an actor; it flushes, never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

import sqlalchemy as sa

from routing.energy import (
    COMPONENTS,
    MCF_BY_SITE_TYPE,
    STREAM_COMPOSITIONS,
)
from wastebank.access import Action, Actor, reaches_city
from wastebank.exceptions import (
    CityNotFound,
    Conflict,
    DuplicateTicket,
    DuplicateTreatmentInput,
    InvalidValue,
    NotFound,
    StillReferenced,
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


# -- TPA deliveries and treatment inputs -----------------------------------------------------
# Both are a city's DLH entries with the same lifecycle: recorded once under a natural
# key (the same entry sent again is a replay), read and listed only within the actor's
# cities, deleted with an audit entry. The helpers below hold that lifecycle; the public
# services keep what differs: validation, the natural key, the messages, the period.
_Entry = TypeVar("_Entry", TpaDelivery, TreatmentInput)


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


def _record_once(
    session: SessionLike,
    actor: Actor,
    model: type[_Entry],
    values: Mapping[str, Any],
    natural_key: tuple[sa.ColumnElement[bool], ...],
    *,
    compared: Callable[[_Entry], dict[str, Any]],
    conflict: Conflict,
    action: str,
    snapshot: Callable[[_Entry], dict[str, Any]],
) -> tuple[_Entry, bool]:
    """Insert ``values`` as a new entry, or return the stored one under the same key.

    :param compared: the fields that must match for a stored entry to be a replay.
    :param action: the audit action of a new entry; a replay is not audited again.
    :returns: the entry and whether it is a replay.
    :raises Conflict: ``conflict``, when the stored entry differs from the one sent.
    """
    sent = model(**values)  # transient: only compared with a stored entry
    entry = _insert_once(session, model, values, natural_key)
    if entry is None:
        stored = session.scalar(sa.select(model).where(*natural_key))
        if stored is None or compared(stored) != compared(sent):
            raise conflict
        return stored, True
    audit(session, actor, action, entry, after=snapshot(entry))
    return entry, False


def _get_in_reach(
    session: SessionLike,
    actor: Actor,
    model: type[_Entry],
    entry_id: int,
    not_found: NotFound,
) -> _Entry:
    """The entry with ``entry_id``, if it belongs to a city the actor reaches.

    :raises NotFound: ``not_found``, also for another city's entry (404, as for banks).
    """
    require(actor, Action.REPORTS_READ)
    entry = session.get(model, entry_id)
    if entry is None or not reaches_city(actor, entry.city_id):
        raise not_found
    return entry


def _newest_first(
    session: SessionLike,
    model: type[_Entry],
    when: sa.orm.InstrumentedAttribute[Any],
    city: City,
    *,
    since: dt.date | dt.datetime | None,
    before: dt.date | dt.datetime | None,
    page: int,
    page_size: int,
) -> tuple[list[_Entry], int]:
    """A page of the city's entries with ``since <= when < before``, newest first.

    :returns: the page and the number of entries on all pages.
    """
    query = sa.select(model).where(model.city_id == city.id)
    if since is not None:
        query = query.where(when >= since)
    if before is not None:
        query = query.where(when < before)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(when.desc(), model.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(items), int(total or 0)


#: How a message names a row of a table that may point at an entry.
_REFERRER_NAMES = {"route_stop_events": "the driver's stop report"}


def _referrers(session: SessionLike, entry: Any) -> list[tuple[str, Any]]:
    """Rows of any table whose foreign key points at ``entry``: (table, primary key).

    Read from the metadata, so a table another package adds (routing's stop reports
    point at TPA deliveries) is found without this package importing it.
    """
    table = entry.__table__
    found: list[tuple[str, Any]] = []
    for other in table.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is not table:
                continue
            (primary_key, *_more) = other.primary_key.columns
            row = session.execute(
                sa.select(primary_key)
                .where(key.parent == getattr(entry, key.column.key))
                .limit(1)
            ).scalar()
            if row is not None:
                found.append((other.name, row))
    return found


def _delete_audited(
    session: SessionLike,
    actor: Actor,
    action: str,
    entry: _Entry,
    snapshot: Callable[[_Entry], dict[str, Any]],
) -> None:
    """Delete the entry; the audit log keeps its last state.

    :raises StillReferenced: another record points at the entry (its foreign key
        made the delete fail in the database: a 500); the message names it.
    """
    for table, row_id in _referrers(session, entry):
        what = _REFERRER_NAMES.get(table, f"a row of {table}")
        raise StillReferenced(
            f"It is part of {what} {row_id} and cannot be deleted on its own."
        )
    audit(session, actor, action, entry, before=snapshot(entry))
    session.delete(entry)
    session.flush()


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
    same_ticket = (
        TpaDelivery.city_id == city.id,
        TpaDelivery.ticket_no == values["ticket_no"],
    )
    return _record_once(
        session,
        actor,
        TpaDelivery,
        values,
        same_ticket,
        compared=_delivery_fields,
        conflict=DuplicateTicket(
            f"Ticket {values['ticket_no']} was recorded with other data.",
            field="ticket_no",
        ),
        action="tpa_delivery.create",
        snapshot=_delivery_snapshot,
    )


def get_tpa_delivery(
    session: SessionLike, actor: Actor, delivery_id: int
) -> TpaDelivery:
    """One delivery of a city the actor reaches."""
    not_found = TpaDeliveryNotFound(f"No TPA delivery with id {delivery_id}.")
    return _get_in_reach(session, actor, TpaDelivery, delivery_id, not_found)


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
    return _newest_first(
        session,
        TpaDelivery,
        TpaDelivery.delivered_at,
        city,
        since=start,
        before=end,
        page=page,
        page_size=page_size,
    )


def delete_tpa_delivery(session: SessionLike, actor: Actor, delivery_id: int) -> None:
    """Remove a mistaken delivery (admin, DLH of the city); the audit log keeps it."""
    require(actor, Action.WASTE_FLOWS_WRITE)
    delivery = get_tpa_delivery(session, actor, delivery_id)
    _delete_audited(session, actor, "tpa_delivery.delete", delivery, _delivery_snapshot)


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
    same_key = (
        TreatmentInput.city_id == city.id,
        TreatmentInput.facility == values["facility"],
        TreatmentInput.treated_on == treated_on,
        TreatmentInput.pathway == pathway,
        TreatmentInput.material == material,
    )
    return _record_once(
        session,
        actor,
        TreatmentInput,
        values,
        same_key,
        compared=_input_fields,
        conflict=DuplicateTreatmentInput(
            f"{values['facility']} has a {pathway} input of {material} on "
            f"{treated_on} with other masses; delete it first to correct it.",
            field="mass_kg",
        ),
        action="treatment_input.create",
        snapshot=_input_snapshot,
    )


def get_treatment_input(
    session: SessionLike, actor: Actor, input_id: int
) -> TreatmentInput:
    """One treatment input of a city the actor reaches."""
    not_found = TreatmentInputNotFound(f"No treatment input with id {input_id}.")
    return _get_in_reach(session, actor, TreatmentInput, input_id, not_found)


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
    period_bounds(city.timezone, date_from, date_to)  # refuses a reversed period
    # ``treated_on`` is a local date already: the period ends before the day after.
    day_after = date_to + dt.timedelta(days=1) if date_to is not None else None
    return _newest_first(
        session,
        TreatmentInput,
        TreatmentInput.treated_on,
        city,
        since=date_from,
        before=day_after,
        page=page,
        page_size=page_size,
    )


def delete_treatment_input(session: SessionLike, actor: Actor, input_id: int) -> None:
    """Remove a mistaken treatment input (admin, DLH of the city)."""
    require(actor, Action.WASTE_FLOWS_WRITE)
    item = get_treatment_input(session, actor, input_id)
    _delete_audited(session, actor, "treatment_input.delete", item, _input_snapshot)
