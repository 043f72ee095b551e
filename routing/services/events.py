"""Drivers' reports on the stops of their routes: collected, skipped, unloaded.

:func:`record_stop_event` stores one report and applies its effect in the same
transaction: a ``collected`` bin is recorded as emptied in telemetry
(:func:`telemetry.services.record_collection`), an ``unloaded`` load becomes a TPA
delivery with its weighbridge ticket
(:func:`wastebank.services.diversion.inputs.record_tpa_delivery`), and a ``skipped``
stop stays open for re-planning. Phones queue reports while offline and send them
when they reconnect, each under its own ``Idempotency-Key``: the same request under
the same key is a replay and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import Decimal
from typing import Final

import sqlalchemy as sa
from PIL.JpegImagePlugin import JpegImageFile
from sqlalchemy.orm import joinedload, undefer

from routing.exceptions import (
    InvalidRoutingValue,
    RouteStopNotFound,
    RouteStopPhotoNotFound,
)
from routing.models import (
    EVENT_VISIT_KIND,
    SKIP_REASONS,
    STOP_EVENT_KINDS,
    Route,
    RoutePlan,
    RouteStop,
    RouteStopEvent,
    RouteStopPhoto,
    utcnow,
)
from routing.services.common import local_midnight, require, visible_city
from telemetry import services as telemetry_services
from wastebank.access import Action, Actor, Role
from wastebank.exceptions import IdempotencyKeyReused
from wastebank.extensions import SessionLike
from wastebank.services.core import add_idempotent, idempotent_replay
from wastebank.services.diversion.inputs import record_tpa_delivery

log = logging.getLogger(__name__)

#: How far ahead of the server's clock a phone's clock may run.
CLOCK_SKEW: Final = dt.timedelta(minutes=5)
#: Longest note a driver may add, characters.
MAX_NOTE = 500
#: Largest photo, bytes: the driver's page shrinks photos to about 100-250 KB.
MAX_PHOTO_BYTES: Final = 512 * 1024
#: Largest photo, pixels per side. A phone's full-size picture is about 4000 x 3000 (the
#: driver's page sends 1280 px); a file of a few KB can claim 65535 x 65535 in its
#: header, and the browser that opens it would decode 12 GB of pixels.
MAX_PHOTO_SIDE_PX: Final = 8000


def _jpeg_size(photo: bytes) -> tuple[int, int] | None:
    """Width and height from a JPEG's header, or None when it is not a readable JPEG.

    Only the header is read (Pillow decodes pixels lazily, and never here), and the
    JPEG reader is used directly: ``Image.open`` would also warn or fail on a huge
    size, before the size can be refused with a message.
    """
    try:
        with JpegImageFile(io.BytesIO(photo)) as image:
            width, height = image.size
    except (SyntaxError, OSError, ValueError, EOFError):
        # Pillow's readers raise SyntaxError for "not this format".
        return None
    return width, height


def _check_photo(photo: bytes) -> None:
    """Refuse a photo that is too large, not a JPEG, or claims too many pixels."""
    if len(photo) > MAX_PHOTO_BYTES:
        raise InvalidRoutingValue(
            f"The photo is larger than {MAX_PHOTO_BYTES // 1024} KB; send a smaller one.",
            field="photo",
        )
    size = _jpeg_size(photo)
    if size is None:
        raise InvalidRoutingValue("The photo must be a JPEG image.", field="photo")
    if max(size) > MAX_PHOTO_SIDE_PX:
        raise InvalidRoutingValue(
            f"The photo is {size[0]} x {size[1]} pixels; at most "
            f"{MAX_PHOTO_SIDE_PX} x {MAX_PHOTO_SIDE_PX}.",
            field="photo",
        )


def _own_stop(session: SessionLike, actor: Actor, stop_id: int) -> RouteStop:
    """The stop, if it is on a route dispatched to the actor.

    :raises RouteStopNotFound: no such stop, or on someone else's route (the answer
        is the same, so a driver learns nothing of other routes).
    """
    if actor.user_id is None:
        raise RouteStopNotFound(f"No stop with id {stop_id} on your routes.")
    stop = session.scalar(
        sa.select(RouteStop)
        .join(Route, RouteStop.route_id == Route.id)
        .join(RoutePlan, Route.plan_id == RoutePlan.id)
        .where(
            RouteStop.id == stop_id,
            Route.driver_id == actor.user_id,
            RoutePlan.status != "cancelled",
        )
        .options(joinedload(RouteStop.route).joinedload(Route.plan))
    )
    if stop is None:
        raise RouteStopNotFound(f"No stop with id {stop_id} on your routes.")
    return stop


def _lock_route(session: SessionLike, route_id: int) -> None:
    """Serialise the reports on one route.

    The UPDATE takes the route's row lock on PostgreSQL; on SQLite it is the first
    write of the transaction, so it takes the database write lock before the key is
    looked up. Concurrent copies of one report then find the first one stored.
    """
    session.execute(
        sa.update(Route)
        .where(Route.id == route_id)
        .values(driver_id=Route.driver_id)
        .execution_options(synchronize_session=False)
    )


def _check_fields(
    stop: RouteStop,
    *,
    kind: str,
    occurred_at: dt.datetime,
    reason: str | None,
    note: str | None,
    ticket_no: str | None,
    net_weight_kg: Decimal | None,
    photo: bytes | None,
    now: dt.datetime,
) -> None:
    """The rules a schema cannot check, or that the service must check itself.

    :raises InvalidRoutingValue: naming the field at fault.
    """
    if kind not in STOP_EVENT_KINDS:
        raise InvalidRoutingValue(
            f"Unknown kind {kind!r}: give one of " + ", ".join(STOP_EVENT_KINDS) + ".",
            field="kind",
        )
    if EVENT_VISIT_KIND[kind] != stop.kind:
        allowed = [k for k, visit in EVENT_VISIT_KIND.items() if visit == stop.kind]
        raise InvalidRoutingValue(
            f"Stop {stop.id} is a{'n' if stop.kind == 'unload' else ''} {stop.kind}: "
            f"report {' or '.join(allowed)}, not {kind}.",
            field="kind",
        )
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise InvalidRoutingValue("Give the time with its zone.", field="occurred_at")
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidRoutingValue(
            "The time lies in the future; check the phone's clock.",
            field="occurred_at",
        )
    plan = stop.route.plan
    earliest = local_midnight(plan.service_date - dt.timedelta(days=1), plan.timezone)
    if occurred_at < earliest:
        raise InvalidRoutingValue(
            f"The time is before the route's day ({plan.service_date.isoformat()}) "
            "and the day before it.",
            field="occurred_at",
        )
    if kind == "skipped":
        if reason not in SKIP_REASONS:
            raise InvalidRoutingValue(
                "Say why the stop was skipped: " + ", ".join(SKIP_REASONS) + ".",
                field="reason",
            )
    elif reason is not None:
        raise InvalidRoutingValue("Only a skipped stop has a reason.", field="reason")
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidRoutingValue(
            f"A note has at most {MAX_NOTE} characters.", field="note"
        )
    if photo is not None:
        _check_photo(photo)
    if kind == "unloaded":
        if not (ticket_no or "").strip():
            raise InvalidRoutingValue(
                "Give the weighbridge ticket number.", field="ticket_no"
            )
        if net_weight_kg is None:
            raise InvalidRoutingValue(
                "Give the net weight on the ticket, kg.", field="net_weight_kg"
            )
    else:
        for name, value in (("ticket_no", ticket_no), ("net_weight_kg", net_weight_kg)):
            if value is not None:
                raise InvalidRoutingValue(
                    f"Only an unloading has a {name}.", field=name
                )


def record_stop_event(
    session: SessionLike,
    actor: Actor,
    stop_id: int,
    *,
    kind: str,
    occurred_at: dt.datetime,
    reason: str | None = None,
    note: str | None = None,
    ticket_no: str | None = None,
    net_weight_kg: Decimal | None = None,
    photo: bytes | None = None,
    idempotency_key: str,
    request_hash: str,
    now: dt.datetime | None = None,
) -> tuple[RouteStopEvent, bool]:
    """Record a driver's report on a stop of their route, and apply its effect.

    A later report on the same stop supersedes the earlier one (both are kept).
    Effects, in the same transaction: ``collected`` records the bin's emptying in
    telemetry; ``unloaded`` records a TPA delivery of the plan's city (the facility's
    name, the ticket, the net weight, ``delivered_at`` = ``occurred_at``, source
    ``weighbridge``, the route's truck); ``skipped`` changes nothing else.

    :param stop_id: the route stop.
    :param kind: ``collected`` or ``skipped`` (a bin stop), ``unloaded`` (an unload).
    :param occurred_at: timezone-aware time it happened on the phone; at most 5 min
        ahead of ``now``, not before the route's service day minus one day.
    :param reason: why it was skipped (required for ``skipped``, else none).
    :param note: free text, at most 500 characters.
    :param ticket_no: weighbridge ticket number (``unloaded`` only, required).
    :param net_weight_kg: net weight on the ticket, kg (``unloaded`` only, required).
    :param photo: a JPEG of at most :data:`MAX_PHOTO_BYTES` and
        :data:`MAX_PHOTO_SIDE_PX` pixels a side, for any kind.
    :param idempotency_key: the phone's key for this report, unique per driver.
    :param request_hash: what "the same request" means (:mod:`wastebank.idempotency`).
    :param now: the current time (UTC); the clock when omitted.
    :returns: the event and whether it is a replay of an earlier identical request.
    :raises RoutingAccessDenied: the role is not a driver's.
    :raises RouteStopNotFound: no such stop on a route dispatched to the actor.
    :raises IdempotencyKeyReused: the key was used for a different request.
    :raises InvalidRoutingValue: a field breaks a rule (the error names it).
    :raises DuplicateTicket: the ticket was recorded with other data.
    """
    require(actor, Action.ROUTE_EVENTS_WRITE)
    stop = _own_stop(session, actor, stop_id)
    _lock_route(session, stop.route_id)
    existing = session.scalar(
        sa.select(RouteStopEvent).where(
            RouteStopEvent.driver_id == actor.user_id,
            RouteStopEvent.idempotency_key == idempotency_key,
        )
    )
    if existing is not None:
        # The hash covers the body only: the same body on another stop is another
        # request.
        if existing.stop_id != stop.id:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a report on another stop; "
                "use a new key."
            )
        return idempotent_replay(existing, request_hash, "stop report"), True
    now = now or utcnow()
    if note is not None:
        note = note.strip() or None
    _check_fields(
        stop,
        kind=kind,
        occurred_at=occurred_at,
        reason=reason,
        note=note,
        ticket_no=ticket_no,
        net_weight_kg=net_weight_kg,
        photo=photo,
        now=now,
    )
    route, plan = stop.route, stop.route.plan
    delivery_id = None
    # Always true for an unloading once checked (an unload stop has its facility).
    if (
        kind == "unloaded"
        and stop.facility is not None
        and ticket_no
        and net_weight_kg is not None
    ):
        # The ticket goes into the city's TPA deliveries as DLH would enter it; the
        # driver is only allowed this one door, so act as the plan's city office
        # with the driver's user id (entered by the driver, audited as theirs).
        office = Actor(Role.DLH, user_id=actor.user_id, city_id=plan.city_id)
        delivery, _ = record_tpa_delivery(
            session,
            office,
            city_code=plan.city_code,
            facility=stop.facility.name,
            ticket_no=ticket_no,
            delivered_at=occurred_at,
            net_weight_kg=net_weight_kg,
            source="weighbridge",
            truck_code=route.truck.code,
            now=now,
        )
        delivery_id = delivery.id
        ticket_no, net_weight_kg = delivery.ticket_no, delivery.net_weight_kg
    event = RouteStopEvent(
        stop_id=stop.id,
        driver_id=actor.user_id,
        kind=kind,
        reason=reason,
        note=note,
        ticket_no=ticket_no,
        net_weight_kg=net_weight_kg,
        tpa_delivery_id=delivery_id,
        occurred_at=occurred_at.astimezone(dt.UTC),
        received_at=now,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    add_idempotent(session, event)
    if photo is not None:
        session.add(
            RouteStopPhoto(
                event_id=event.id,
                content_type="image/jpeg",
                size_bytes=len(photo),
                data=photo,
            )
        )
    if kind == "collected" and stop.bin_id is not None:
        telemetry_services.record_collection(session, stop.bin_id, occurred_at, now=now)
    session.flush()
    # The stop's reports are read-only on the stop: read them again with this one.
    session.expire(stop, ["events"])
    log.info(
        "Stop %s of route %s: %s reported by user %s",
        stop.id,
        route.id,
        kind,
        actor.user_id,
    )
    return event, False


def get_stop_photo(session: SessionLike, actor: Actor, event_id: int) -> RouteStopPhoto:
    """The photo of a report, bytes loaded.

    The driver who made the report sees it; so do planners (DLH) of the plan's city
    and admins.

    :raises RouteStopPhotoNotFound: no such report, no photo on it, or not one the
        actor may see (the answer is the same).
    """
    query = (
        sa.select(RouteStopPhoto)
        .join(RouteStopEvent, RouteStopPhoto.event_id == RouteStopEvent.id)
        .join(RouteStop, RouteStopEvent.stop_id == RouteStop.id)
        .join(Route, RouteStop.route_id == Route.id)
        .join(RoutePlan, Route.plan_id == RoutePlan.id)
        .where(RouteStopPhoto.event_id == event_id)
        .options(undefer(RouteStopPhoto.data))
    )
    if actor.role is Role.DRIVER:
        query = query.where(RouteStopEvent.driver_id == actor.user_id)
    else:
        require(actor, Action.ROUTES_READ)
        query = query.where(visible_city(actor, RoutePlan.city_id))
    photo = session.scalar(query)
    if photo is None:
        raise RouteStopPhotoNotFound(f"No photo on report {event_id}.")
    return photo
