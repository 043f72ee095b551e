"""Services of shipments from a unit bank to its induk: dispatch, receive, return.

A shipment is the induk's purchase, so the induk decides it:

1. The unit's own staff **dispatch** it (:func:`dispatch_shipment`): quantities only, no
   prices. The waste leaves the unit's stock at its average cost and is *in transit*; no
   money moves.
2. The induk's own staff **receive** it (:func:`receive_shipment`): they enter what the
   induk's scale weighed per line; each line is valued at the induk's buying price in
   force that day, and the variance between dispatched and received quantity stays on
   the line. Only now does the waste enter the induk's stock (at that value), the induk's
   cash book pay the unit (``purchase``) and the unit's cash book get the income
   (``sale``). The unit's margin is the value less the cost of what left its stock.
3. Until received, the induk may **reject** it or the unit **cancel** it
   (:func:`reject_shipment`, :func:`cancel_shipment`): the waste goes back into the
   unit's stock at the cost it left with, and nothing is paid.

Concurrency: commands on one shipment first lock its row (:func:`_lock_shipment`: a row
lock on PostgreSQL, the database write lock on SQLite), then the stock rows they move
(:func:`~wastebank.services.backoffice.lock_stock`), so two receipts of one shipment
receive it once and a receipt never races a cancellation. Dispatch and receipt carry an
``Idempotency-Key``: the same key and request replays, another request under the key is
refused. Like every service module: session first, actor second; flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from wastebank import ledger
from wastebank.access import Action, Actor, reaches, works_at
from wastebank.exceptions import (
    IdempotencyKeyReused,
    InvalidReference,
    InvalidTransition,
    InvalidValue,
    NoPrice,
    PermissionDenied,
    ShipmentNotFound,
)
from wastebank.extensions import SessionLike
from wastebank.models import (
    SHIPMENT_STATUSES,
    Bank,
    CashEntry,
    Shipment,
    ShipmentLine,
    WasteCategory,
    utcnow,
)
from wastebank.services.backoffice import (
    ZERO,
    check_line_quantity,
    lock_stock,
    move_stock,
    out_cost_rp,
    shortage,
)
from wastebank.services.catalogue import category_as_recorded
from wastebank.services.core import (
    add_idempotent,
    audit,
    find_bank,
    find_category,
    idempotent_replay,
    next_receipt_no,
    period_bounds,
    require,
)
from wastebank.services.counter import local_date, price_in_force


@dataclass(frozen=True)
class ShipmentLineInput:
    """One waste type and a quantity in its unit: dispatched, or weighed on receipt."""

    category: str
    quantity: Decimal


def _kg(lines: Sequence[ShipmentLine], quantities: Sequence[Decimal]) -> Decimal:
    return sum(
        (q for line, q in zip(lines, quantities, strict=True) if line.unit == "kg"),
        ZERO,
    )


# -- reading -------------------------------------------------------------------------------
def get_shipment(session: SessionLike, actor: Actor, shipment_id: int) -> Shipment:
    """A shipment the actor reaches from either end: the unit's or the induk's side.

    :raises ShipmentNotFound: no such shipment, or one of banks out of reach (404).
    """
    require(actor, Action.BOOKS_READ)
    shipment = session.get(Shipment, shipment_id)
    if shipment is None or not (
        reaches(actor, shipment.bank.ref) or reaches(actor, shipment.induk_bank.ref)
    ):
        raise ShipmentNotFound(f"No shipment with id {shipment_id}.")
    return shipment


def list_shipments(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    *,
    status: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[Bank, list[Shipment]]:
    """A bank's shipments, newest first: a unit's outgoing ones, an induk's incoming ones.

    :param status: only shipments in this status.
    :param start: only those dispatched on or after this local day.
    :param end: only those dispatched on or before this local day.
    """
    require(actor, Action.BOOKS_READ)
    bank = find_bank(session, actor, bank_code)
    if status is not None and status not in SHIPMENT_STATUSES:
        raise InvalidValue(
            f"A status is one of {', '.join(SHIPMENT_STATUSES)}.", field="status"
        )
    since, until = period_bounds(bank.timezone, start, end)
    query = (
        sa.select(Shipment)
        .where(sa.or_(Shipment.bank_id == bank.id, Shipment.induk_bank_id == bank.id))
        .options(
            selectinload(Shipment.lines),
            selectinload(Shipment.bank),
            selectinload(Shipment.induk_bank),
        )
        .order_by(Shipment.dispatched_at.desc(), Shipment.id.desc())
    )
    if status is not None:
        query = query.where(Shipment.status == status)
    if since is not None:
        query = query.where(Shipment.dispatched_at >= since)
    if until is not None:
        query = query.where(Shipment.dispatched_at < until)
    return bank, list(session.scalars(query))


# -- dispatch ------------------------------------------------------------------------------
def _dispatch_categories(
    session: SessionLike, lines: Sequence[ShipmentLineInput]
) -> list[WasteCategory]:
    """Check the dispatched lines' shape and name their categories (one line each)."""
    if not lines:
        raise InvalidValue("A shipment has at least one line.", field="lines")
    categories: list[WasteCategory] = []
    for index, line in enumerate(lines):
        check_line_quantity(line.quantity, field_name=f"lines.{index}.quantity")
        category = find_category(
            session,
            line.category,
            field_name=f"lines.{index}.category",
            error=InvalidReference,
        )
        if category in categories:
            # One line per waste type: the induk weighs each type once.
            raise InvalidValue(
                f"{category.code} is on an earlier line already.",
                field=f"lines.{index}.category",
            )
        categories.append(category)
    return categories


def dispatch_shipment(
    session: SessionLike,
    actor: Actor,
    *,
    bank_code: str,
    lines: Sequence[ShipmentLineInput],
    idempotency_key: str,
    request_hash: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Shipment, bool]:
    """Send waste from a unit to its induk: quantities only; it is in transit until the
    induk receives it.

    Each line leaves the unit's stock at its average cost (``cost_rp``). Nothing is
    written to either cash book and the induk's stock does not change.

    :returns: the shipment and whether it is a replay of the same key and request.
    :raises PermissionDenied: the actor is not the unit's own staff (an induk's manager
        reaches its units but does not ship for them).
    :raises InvalidValue: the bank has no induk, or a line is malformed.
    :raises InsufficientStock: a line needs more than is on hand; nothing is written.
    :raises IdempotencyKeyReused: the key was used for a different shipment.
    """
    require(actor, Action.SALES_WRITE)
    bank = find_bank(session, actor, bank_code)
    if not works_at(actor, bank.id):
        raise PermissionDenied(f"Only {bank.code}'s own staff dispatch its shipments.")
    if bank.parent_id is None:
        raise InvalidValue(
            f"{bank.code} belongs to no induk; sell to a pengepul or industry instead.",
            field="bank",
        )
    categories = _dispatch_categories(session, lines)
    levels = lock_stock(session, bank.id, (c.id for c in categories))
    existing = session.scalar(
        sa.select(Shipment).where(
            Shipment.bank_id == bank.id, Shipment.idempotency_key == idempotency_key
        )
    )
    if existing is not None:
        return idempotent_replay(existing, request_hash, "shipment"), True
    for index, (line, category) in enumerate(zip(lines, categories, strict=True)):
        on_hand = Decimal(levels[category.id].quantity)
        if line.quantity > on_hand:
            raise shortage(bank, category, on_hand, f"lines.{index}.quantity")

    now = now or utcnow()
    shipment_lines = []
    for line, category in zip(lines, categories, strict=True):
        level = levels[category.id]
        shipment_lines.append(
            ShipmentLine(
                **category_as_recorded(category),
                quantity=line.quantity,
                cost_rp=out_cost_rp(
                    Decimal(level.quantity), level.value_rp, line.quantity
                ),
            )
        )
    shipment = Shipment(
        bank_id=bank.id,
        induk_bank_id=bank.parent_id,
        receipt_no=next_receipt_no(session, bank, "P"),
        status="in_transit",
        total_weight_kg=_kg(shipment_lines, [line.quantity for line in lines]),
        cost_rp=sum(line.cost_rp for line in shipment_lines),
        note=note,
        dispatched_at=now,
        dispatched_by_id=actor.user_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        lines=shipment_lines,
    )
    add_idempotent(session, shipment)
    for shipment_line in shipment_lines:
        move_stock(
            session,
            levels[shipment_line.category_id],
            "shipment_out",
            -shipment_line.quantity,
            -shipment_line.cost_rp,
            now,
            shipment_id=shipment.id,
        )
    session.flush()
    audit(
        session,
        actor,
        "shipment.dispatch",
        shipment,
        bank_id=bank.id,
        after={
            "receipt_no": shipment.receipt_no,
            "to": shipment.induk_bank.code,
            "lines": {
                line.category_code: str(line.quantity) for line in shipment_lines
            },
            "cost_rp": shipment.cost_rp,
        },
    )
    return shipment, False


# -- the induk's decision ------------------------------------------------------------------
def _lock_shipment(session: SessionLike, shipment: Shipment) -> None:
    """Serialise commands on one shipment, then read it afresh.

    The UPDATE takes the row lock on PostgreSQL; on SQLite it is the transaction's first
    write, so it takes the database write lock before the status is read again.
    """
    session.execute(
        sa.update(Shipment)
        .where(Shipment.id == shipment.id)
        .values(status=Shipment.status)
        .execution_options(synchronize_session=False)
    )
    session.refresh(shipment)


def _received_quantities(
    shipment: Shipment, lines: Sequence[ShipmentLineInput]
) -> dict[int, tuple[int, Decimal]]:
    """The input line and weighed quantity of each shipment line (by line id).

    Every line of the shipment is weighed exactly once; 0 means none of it arrived.
    """
    by_code = {line.category_code: line for line in shipment.lines}
    weighed: dict[int, tuple[int, Decimal]] = {}
    for index, line in enumerate(lines):
        code = line.category.strip().upper()
        shipment_line = by_code.get(code)
        if shipment_line is None:
            raise InvalidValue(
                f"{code} is not in shipment {shipment.receipt_no}.",
                field=f"lines.{index}.category",
            )
        if shipment_line.id in weighed:
            raise InvalidValue(
                f"{code} is weighed on an earlier line already.",
                field=f"lines.{index}.category",
            )
        if line.quantity != 0:  # 0 is fine: none of it arrived
            check_line_quantity(line.quantity, field_name=f"lines.{index}.quantity")
        weighed[shipment_line.id] = (index, line.quantity)
    missing = [code for code, line in by_code.items() if line.id not in weighed]
    if missing:
        raise InvalidValue(
            f"Weigh every line of the shipment; missing: {', '.join(missing)}.",
            field="lines",
        )
    return weighed


def _receive_replay(
    session: SessionLike,
    shipment: Shipment,
    idempotency_key: str,
    request_hash: str,
) -> Shipment | None:
    """The shipment when this receipt replays its own, None when it is a new receipt.

    :raises IdempotencyKeyReused: the key received another shipment, or this one with
        other quantities.
    """
    if shipment.receive_idempotency_key == idempotency_key:
        if shipment.receive_request_hash != request_hash:
            raise IdempotencyKeyReused(
                "This Idempotency-Key received this shipment with other quantities; "
                "use a new key."
            )
        return shipment
    other = session.scalar(
        sa.select(Shipment.id).where(
            Shipment.induk_bank_id == shipment.induk_bank_id,
            Shipment.receive_idempotency_key == idempotency_key,
        )
    )
    if other is not None:
        raise IdempotencyKeyReused(
            "This Idempotency-Key received another shipment; use a new key."
        )
    return None


def receive_shipment(
    session: SessionLike,
    actor: Actor,
    shipment_id: int,
    *,
    lines: Sequence[ShipmentLineInput],
    idempotency_key: str,
    request_hash: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Shipment, bool]:
    """The induk weighs a shipment and buys it at its own prices in force today.

    Each line keeps the weighed quantity, the price, its value and (read back) the
    variance against the dispatched quantity. The received quantities enter the induk's
    stock at their value; the induk's cash book pays the unit the total, and the unit's
    cash book gets it as income.

    :param lines: every waste type of the shipment once, with the weighed quantity (0:
        none of it arrived).
    :returns: the shipment and whether it is a replay of the same key and request.
    :raises PermissionDenied: the actor is not the induk's own staff.
    :raises InvalidTransition: the shipment was received, rejected or cancelled before.
    :raises NoPrice: the induk has no buying price for a waste type of the shipment.
    :raises IdempotencyKeyReused: the key received another shipment or other quantities.
    """
    require(actor, Action.SHIPMENTS_RECEIVE)
    shipment = get_shipment(session, actor, shipment_id)
    induk = shipment.induk_bank
    if not works_at(actor, induk.id):
        raise PermissionDenied(f"Only {induk.code}'s own staff receive its shipments.")
    _lock_shipment(session, shipment)
    replay = _receive_replay(session, shipment, idempotency_key, request_hash)
    if replay is not None:
        return replay, True
    if shipment.status != "in_transit":
        raise InvalidTransition(
            f"Shipment {shipment.receipt_no} is {shipment.status.replace('_', ' ')}; "
            "it cannot be received again."
        )
    weighed = _received_quantities(shipment, lines)
    now = now or utcnow()
    prices = _induk_prices(session, shipment, weighed, local_date(induk, now))
    levels = lock_stock(session, induk.id, (s.category_id for s in shipment.lines))
    for shipment_line in shipment.lines:
        _index, quantity = weighed[shipment_line.id]
        shipment_line.received_quantity = quantity
        shipment_line.price_rp = prices[shipment_line.id]
        shipment_line.amount_rp = ledger.line_value_rp(
            quantity, prices[shipment_line.id]
        )
        if quantity > 0:
            move_stock(
                session,
                levels[shipment_line.category_id],
                "shipment_in",
                quantity,
                shipment_line.amount_rp,
                now,
                shipment_id=shipment.id,
            )
    shipment.status = "received"
    shipment.received_at = now
    shipment.received_by_id = actor.user_id
    shipment.received_weight_kg = _kg(
        shipment.lines, [weighed[line.id][1] for line in shipment.lines]
    )
    shipment.value_rp = sum(line.amount_rp or 0 for line in shipment.lines)
    shipment.receive_note = note
    shipment.receive_idempotency_key = idempotency_key
    shipment.receive_request_hash = request_hash
    _post_payment(session, actor, shipment, now)
    session.flush()
    audit(
        session,
        actor,
        "shipment.receive",
        shipment,
        bank_id=induk.id,
        after={
            "receipt_no": shipment.receipt_no,
            "value_rp": shipment.value_rp,
            "variance": {
                line.category_code: str(line.variance) for line in shipment.lines
            },
        },
    )
    return shipment, False


def _induk_prices(
    session: SessionLike,
    shipment: Shipment,
    weighed: dict[int, tuple[int, Decimal]],
    day: dt.date,
) -> dict[int, int]:
    """The induk's buying price in force on ``day`` for each line (by line id).

    :raises NoPrice: a waste type has none; the error names the input line.
    """
    prices: dict[int, int] = {}
    for line in shipment.lines:
        category = session.get(WasteCategory, line.category_id)
        assert category is not None  # noqa: S101 - a line's category is never deleted
        quote = price_in_force(session, shipment.induk_bank, category, day)
        if quote is None:
            raise NoPrice(
                f"{shipment.induk_bank.code} has no buying price for {category.code} "
                f"on {day.isoformat()}; set one before receiving.",
                field=f"lines.{weighed[line.id][0]}.category",
            )
        prices[line.id] = quote.price_rp
    return prices


def _post_payment(
    session: SessionLike, actor: Actor, shipment: Shipment, now: dt.datetime
) -> None:
    """The induk pays the unit for a received shipment: one line in each cash book."""
    if not shipment.value_rp:
        return  # nothing arrived that the induk pays for
    unit, induk = shipment.bank, shipment.induk_bank
    for bank, direction, category, description in (
        (unit, "in", "sale", f"Kiriman {shipment.receipt_no} diterima {induk.code}"),
        (
            induk,
            "out",
            "purchase",
            f"Pembelian dari {unit.code} ({shipment.receipt_no})",
        ),
    ):
        session.add(
            CashEntry(
                bank_id=bank.id,
                direction=direction,
                category=category,
                amount_rp=shipment.value_rp,
                description=description,
                shipment_id=shipment.id,
                occurred_at=now,
                created_by_id=actor.user_id,
            )
        )


def _return_to_unit(
    session: SessionLike,
    actor: Actor,
    shipment: Shipment,
    status: str,
    reason: str,
) -> Shipment:
    """Put an in-transit shipment back into the unit's stock at the cost it left with."""
    reason = reason.strip()
    if not reason:
        raise InvalidValue("Give the reason.", field="reason")
    _lock_shipment(session, shipment)
    if shipment.status != "in_transit":
        raise InvalidTransition(
            f"Shipment {shipment.receipt_no} is {shipment.status.replace('_', ' ')}; "
            f"it cannot be {status} now."
        )
    levels = lock_stock(
        session, shipment.bank_id, (line.category_id for line in shipment.lines)
    )
    now = utcnow()
    for line in shipment.lines:
        move_stock(
            session,
            levels[line.category_id],
            "shipment_return",
            Decimal(line.quantity),
            line.cost_rp,
            now,
            shipment_id=shipment.id,
        )
    shipment.status = status
    shipment.returned_at = now
    shipment.returned_by_id = actor.user_id
    shipment.return_reason = reason
    session.flush()
    audit(
        session,
        actor,
        f"shipment.{'reject' if status == 'rejected' else 'cancel'}",
        shipment,
        bank_id=shipment.bank_id,
        after={"receipt_no": shipment.receipt_no, "reason": reason},
    )
    return shipment


def reject_shipment(
    session: SessionLike, actor: Actor, shipment_id: int, *, reason: str
) -> Shipment:
    """The induk refuses a shipment in transit; the waste goes back into the unit's stock.

    :raises PermissionDenied: the actor is not a manager of the induk (or an admin).
    :raises InvalidTransition: the shipment is not in transit.
    """
    require(actor, Action.SALES_WRITE)
    shipment = get_shipment(session, actor, shipment_id)
    if not works_at(actor, shipment.induk_bank_id):
        raise PermissionDenied(
            f"Only {shipment.induk_bank.code}'s managers reject its shipments."
        )
    return _return_to_unit(session, actor, shipment, "rejected", reason)


def cancel_shipment(
    session: SessionLike, actor: Actor, shipment_id: int, *, reason: str
) -> Shipment:
    """The unit calls back a shipment before the induk received it; the waste goes back
    into its stock.

    :raises PermissionDenied: the actor is not a manager of the unit (or an admin).
    :raises InvalidTransition: the shipment is not in transit.
    """
    require(actor, Action.SALES_WRITE)
    shipment = get_shipment(session, actor, shipment_id)
    if not works_at(actor, shipment.bank_id):
        raise PermissionDenied(
            f"Only {shipment.bank.code}'s managers cancel its shipments."
        )
    return _return_to_unit(session, actor, shipment, "cancelled", reason)
