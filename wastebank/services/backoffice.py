"""Services of the back office: stock, buyers, sales, cash book, the books, summaries.

Stock is kept per bank and category in the category's unit (kg, pcs or litre) and valued
at average cost in whole rupiah. Every command that moves stock first locks the stock rows
it touches (:func:`lock_stock`, in category order so two commands never wait on each other
in a circle), then reads what is on hand, then writes; so two concurrent sales can never
sell the same kilograms, on SQLite or PostgreSQL. Sales and deposits alike lock the stock
before the bank's receipt sequence (:func:`~wastebank.services.core.next_receipt_no`), for
the same reason. Out-movements are valued at the average cost at that moment; the last
kilogram out takes whatever value is left, so the value of an empty stock is always
exactly zero.

Sales go to pengepul and industry buyers. A unit's *shipment* to its induk is the induk's
purchase (:mod:`wastebank.services.shipments`): the books here read shipments as the
unit's income once the induk received them, and as "in transit" (no money) until then.
City tonnage counts waste once, at the first point of collection (deposits), so shipments
are transfers, never new intake.

Like every service module: session first, actor second; flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from wastebank import ledger
from wastebank.access import Action, Actor, reaches, reaches_city
from wastebank.exceptions import (
    BuyerNotFound,
    DuplicateCode,
    InsufficientStock,
    InvalidReference,
    InvalidValue,
    NotFound,
    SaleNotFound,
)
from wastebank.extensions import SessionLike, insert_ignoring_conflicts
from wastebank.models import (
    EXPENSE_CATEGORIES,
    INCOME_CATEGORIES,
    SALE_BUYER_KINDS,
    Bank,
    Buyer,
    CashEntry,
    City,
    Deposit,
    DepositLine,
    LedgerEntry,
    Member,
    Sale,
    SaleLine,
    Shipment,
    ShipmentLine,
    StockAdjustment,
    StockLevel,
    StockMovement,
    WasteCategory,
    Withdrawal,
    utcnow,
)
from wastebank.services.catalogue import (
    category_as_recorded,
    check_amount,
    check_price,
)
from wastebank.services.core import (
    add_idempotent,
    audit,
    check_quantity,
    find_bank,
    find_category,
    idempotent_replay,
    next_receipt_no,
    period_bounds,
    register_member,
    require,
    visible_bank_filter,
)

#: The largest quantity one sale line or adjustment may carry (100 t): a truckload to
#: industry is large, but more is a typing error.
MAX_SALE_QUANTITY = Decimal("100000")
ZERO = Decimal("0")


def check_line_quantity(quantity: Decimal, *, field_name: str) -> None:
    """Refuse a sale, shipment or adjustment quantity that cannot be a line (422)."""
    check_quantity(
        quantity,
        field_name=field_name,
        maximum=MAX_SALE_QUANTITY,
        too_large="At most {maximum} in one line.",
        not_a_number="The quantity must be more than zero.",
    )


def _round_rp(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _between(column: Any, start: dt.datetime | None, end: dt.datetime | None) -> Any:
    condition: sa.ColumnElement[bool] = sa.true()
    if start is not None:
        condition = sa.and_(condition, column >= start)
    if end is not None:
        condition = sa.and_(condition, column < end)
    return condition


# -- stock: locks and movements ---------------------------------------------------------
def lock_stock(
    session: SessionLike, bank_id: int, category_ids: Iterable[int]
) -> dict[int, StockLevel]:
    """Lock (creating if needed) a bank's stock rows and return them, freshly read.

    Two statements whatever the number of categories: one INSERT-ignore creates the
    missing rows, one SELECT ... FOR NO KEY UPDATE (the lock an UPDATE would take) locks
    and reads them in category order, so two commands never wait for each other in a
    circle. On SQLite, FOR UPDATE is not rendered: the INSERT is a write even when it
    inserts nothing, so it takes the database write lock before anything is read.
    """
    ids = sorted(set(category_ids))
    if not ids:
        return {}
    session.execute(
        insert_ignoring_conflicts(session, StockLevel.__table__).values(
            [
                {
                    "bank_id": bank_id,
                    "category_id": category_id,
                    "quantity": ZERO,
                    "value_rp": 0,
                }
                for category_id in ids
            ]
        )
    )
    levels = session.scalars(
        sa.select(StockLevel)
        .where(StockLevel.bank_id == bank_id, StockLevel.category_id.in_(ids))
        .order_by(StockLevel.category_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return {level.category_id: level for level in levels}


def out_cost_rp(level_quantity: Decimal, level_value_rp: int, quantity: Decimal) -> int:
    """The average-cost value of taking ``quantity`` out of a stock.

    :param level_quantity: on hand before, >= ``quantity``.
    :param level_value_rp: its value in rupiah.
    :param quantity: what goes out, > 0.
    :returns: the value leaving, rounded half up; all of it when the stock empties.
    """
    if quantity >= level_quantity:
        return level_value_rp
    return _round_rp(Decimal(level_value_rp) * quantity / level_quantity)


def move_stock(
    session: SessionLike,
    level: StockLevel,
    kind: str,
    quantity: Decimal,
    value_rp: int,
    at: dt.datetime,
    **links: int | None,
) -> StockMovement:
    """Write one movement and apply it to ``level``, locked by :func:`lock_stock`.

    :param quantity: signed, in the category's unit (negative: out).
    :param value_rp: signed, at average cost for an out-movement.
    :param links: the record that moved it (``sale_id=``, ``shipment_id=``...).
    """
    level.quantity = Decimal(level.quantity) + quantity
    level.value_rp = level.value_rp + value_rp
    if level.quantity < 0 or level.value_rp < 0:  # pragma: no cover - checked before
        raise InsufficientStock("Stock cannot go below zero.")
    movement = StockMovement(
        bank_id=level.bank_id,
        category_id=level.category_id,
        kind=kind,
        quantity=quantity,
        value_rp=value_rp,
        occurred_at=at,
        **links,
    )
    session.add(movement)
    return movement


def shortage(bank: Bank, category: WasteCategory, on_hand: Decimal, field: str) -> Any:
    """The :class:`InsufficientStock` error of a line needing more than ``on_hand``."""
    return InsufficientStock(
        f"Only {on_hand.normalize():f} {category.unit} of {category.code} is in stock "
        f"at {bank.code}.",
        field=field,
    )


def stock_in_for_deposit(
    session: SessionLike, deposit: Deposit, levels: Mapping[int, StockLevel]
) -> None:
    """Put a new deposit's lines into the bank's stock at their purchase value.

    Called by :func:`wastebank.services.counter.record_deposit` in its transaction,
    with the ``levels`` it locked (:func:`lock_stock`) before taking a receipt number.
    """
    for line in deposit.lines:
        move_stock(
            session,
            levels[line.category_id],
            "deposit",
            line.quantity,
            line.value_rp,
            deposit.occurred_at,
            deposit_id=deposit.id,
        )


def stock_out_for_reversal(session: SessionLike, deposit: Deposit) -> None:
    """Take a reversed deposit's lines out of stock at average cost.

    Called by :func:`wastebank.services.counter.reverse_deposit` before it writes.

    :raises InsufficientStock: the waste was sold or shipped already.
    """
    levels = lock_stock(
        session, deposit.bank_id, (line.category_id for line in deposit.lines)
    )
    needed: dict[int, Decimal] = defaultdict(Decimal)
    for line in deposit.lines:
        needed[line.category_id] += line.quantity
    for category_id, quantity in needed.items():
        level = levels[category_id]
        if quantity > level.quantity:
            raise InsufficientStock(
                f"Reversing {deposit.receipt_no} would take {quantity.normalize():f} "
                f"{level.category.unit} of {level.category.code} out of stock, but only "
                f"{Decimal(level.quantity).normalize():f} is left (sold or shipped)."
            )
    now = utcnow()
    for line in deposit.lines:
        level = levels[line.category_id]
        cost = out_cost_rp(Decimal(level.quantity), level.value_rp, line.quantity)
        move_stock(
            session,
            level,
            "deposit_reversal",
            -line.quantity,
            -cost,
            now,
            deposit_id=deposit.id,
        )


@dataclass(frozen=True)
class StockPosition:
    """What a bank has of one category, and what it cost on average."""

    category: WasteCategory
    quantity: Decimal
    value_rp: int

    @property
    def average_cost_rp(self) -> int | None:
        """Average cost per unit, rounded half up (None when nothing is on hand)."""
        if self.quantity <= 0:
            return None
        return _round_rp(Decimal(self.value_rp) / self.quantity)


def stock(
    session: SessionLike, actor: Actor, bank_code: str
) -> tuple[Bank, list[StockPosition]]:
    """A bank's stock on hand per category (categories ever stocked), by code."""
    require(actor, Action.BOOKS_READ)
    bank = find_bank(session, actor, bank_code)
    rows = session.scalars(
        sa.select(StockLevel)
        .join(StockLevel.category)
        .where(StockLevel.bank_id == bank.id)
        .options(selectinload(StockLevel.category))
        .order_by(WasteCategory.code)
    )
    return bank, [
        StockPosition(row.category, Decimal(row.quantity), row.value_rp) for row in rows
    ]


def adjust_stock(
    session: SessionLike,
    actor: Actor,
    *,
    bank_code: str,
    category_code: str,
    quantity: Decimal,
    reason: str,
    idempotency_key: str,
    request_hash: str,
    now: dt.datetime | None = None,
) -> tuple[StockAdjustment, bool]:
    """Correct the stock after a stock-taking (stock opname): ``quantity`` found more (+)
    or less (-) than the books say, valued at the average cost.

    :returns: the adjustment and whether it is a replay.
    :raises InsufficientStock: a negative correction larger than the stock on hand.
    """
    require(actor, Action.STOCK_ADJUST)
    bank = find_bank(session, actor, bank_code)
    category = find_category(session, category_code, error=InvalidReference)
    if quantity == 0:
        raise InvalidValue("A correction is not zero.", field="quantity")
    check_line_quantity(abs(quantity), field_name="quantity")
    if not reason.strip():
        raise InvalidValue("Give the reason of the correction.", field="reason")
    level = lock_stock(session, bank.id, [category.id])[category.id]
    existing = session.scalar(
        sa.select(StockAdjustment).where(
            StockAdjustment.bank_id == bank.id,
            StockAdjustment.idempotency_key == idempotency_key,
        )
    )
    if existing is not None:
        return idempotent_replay(existing, request_hash, "adjustment"), True
    on_hand = Decimal(level.quantity)
    if quantity < 0:
        if -quantity > on_hand:
            raise shortage(bank, category, on_hand, "quantity")
        value_rp = -out_cost_rp(on_hand, level.value_rp, -quantity)
    else:
        # Found stock is valued at the current average cost (nothing when none is known).
        value_rp = (
            _round_rp(Decimal(level.value_rp) * quantity / on_hand) if on_hand else 0
        )
    now = now or utcnow()
    adjustment = StockAdjustment(
        bank_id=bank.id,
        category_id=category.id,
        quantity=quantity,
        value_rp=value_rp,
        reason=reason.strip(),
        occurred_at=now,
        created_by_id=actor.user_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    add_idempotent(session, adjustment)
    move_stock(
        session,
        level,
        "adjustment",
        quantity,
        value_rp,
        now,
        adjustment_id=adjustment.id,
    )
    session.flush()
    audit(
        session,
        actor,
        "stock.adjust",
        adjustment,
        bank_id=bank.id,
        before={"quantity": str(on_hand)},
        after={
            "category": category.code,
            "quantity": str(quantity),
            "value_rp": value_rp,
            "reason": adjustment.reason,
        },
    )
    return adjustment, False


# -- buyers --------------------------------------------------------------------------------
def create_buyer(
    session: SessionLike,
    actor: Actor,
    *,
    bank_code: str,
    name: str,
    kind: str,
    phone: str | None = None,
    address: str | None = None,
    nib: str | None = None,
) -> Buyer:
    """Register a buyer of a bank: a pengepul or an industry buyer.

    :raises InvalidValue: kind ``induk``: a unit ships to its induk, it does not sell.
    :raises DuplicateCode: the bank has a buyer of that name already.
    """
    require(actor, Action.SALES_WRITE)
    bank = find_bank(session, actor, bank_code)
    if kind not in SALE_BUYER_KINDS:
        raise InvalidValue(
            "A buyer is a pengepul or an industry buyer; a unit sends waste to its "
            "induk as a shipment, which the induk weighs and prices.",
            field="kind",
        )
    name = name.strip()
    if session.scalar(
        sa.select(Buyer.id).where(Buyer.bank_id == bank.id, Buyer.name == name)
    ):
        raise DuplicateCode(f"{bank.code} has a buyer named {name}.", field="name")
    buyer = Buyer(
        bank_id=bank.id,
        name=name,
        kind=kind,
        phone=phone,
        address=address,
        nib=nib,
    )
    session.add(buyer)
    session.flush()
    audit(
        session,
        actor,
        "buyer.create",
        buyer,
        bank_id=bank.id,
        after={"name": name, "kind": kind},
    )
    return buyer


def list_buyers(session: SessionLike, actor: Actor, bank_code: str) -> list[Buyer]:
    """A bank's active buyers, by name."""
    require(actor, Action.BOOKS_READ)
    bank = find_bank(session, actor, bank_code)
    return list(
        session.scalars(
            sa.select(Buyer)
            .where(Buyer.bank_id == bank.id, Buyer.active.is_(True))
            .order_by(Buyer.name)
        )
    )


def get_buyer(session: SessionLike, actor: Actor, buyer_id: int) -> Buyer:
    """A buyer of a bank the actor reaches."""
    require(actor, Action.BOOKS_READ)
    buyer = session.get(Buyer, buyer_id)
    if buyer is None or not reaches(actor, buyer.bank.ref):
        raise BuyerNotFound(f"No buyer with id {buyer_id}.")
    return buyer


# -- sales ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SaleLineInput:
    """One category sold: a quantity in its unit and a price per unit or a lump amount."""

    category: str
    quantity: Decimal
    price_rp: int | None = None
    amount_rp: int | None = None


def record_sale(
    session: SessionLike,
    actor: Actor,
    *,
    bank_code: str,
    buyer_id: int,
    lines: Sequence[SaleLineInput],
    idempotency_key: str,
    request_hash: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Sale, bool]:
    """Sell stock to a pengepul or an industry buyer at the bank's own prices.

    Each line is valued at the stock's average cost (``cost_rp``), so the sale shows its
    margin. The income is posted to the bank's cash book. A buyer of the old kind
    ``induk`` is refused: the induk decides what a shipment is worth, so a unit cannot
    write an amount into the induk's books (:func:`wastebank.services.shipments.
    dispatch_shipment`).

    :returns: the sale and whether it is a replay of the same key and request.
    :raises InsufficientStock: a line needs more than is on hand; nothing is written.
    :raises PriceAboveMaximum: a line's price per unit (or its lump amount's) is above
        the category's ceiling.
    :raises IdempotencyKeyReused: the key was used for a different sale.
    :raises InvalidValue: the buyer is the bank's induk (field ``buyer``).
    """
    require(actor, Action.SALES_WRITE)
    bank = find_bank(session, actor, bank_code)
    buyer = session.get(Buyer, buyer_id)
    if buyer is None or buyer.bank_id != bank.id or not buyer.active:
        raise InvalidReference(
            f"{bank.code} has no buyer with id {buyer_id}.", field="buyer"
        )
    if buyer.kind not in SALE_BUYER_KINDS:
        raise InvalidValue(
            f"{buyer.name} is {bank.code}'s induk: dispatch a shipment (quantities "
            "only); the induk weighs it and pays its own prices when it receives it.",
            field="buyer",
        )
    if not lines:
        raise InvalidValue("A sale has at least one line.", field="lines")
    categories: list[WasteCategory] = []
    for index, line in enumerate(lines):
        check_line_quantity(line.quantity, field_name=f"lines.{index}.quantity")
        if (line.price_rp is None) == (line.amount_rp is None):
            raise InvalidValue(
                "Give either a price per unit or an amount.",
                field=f"lines.{index}.price_rp",
            )
        category = find_category(
            session,
            line.category,
            field_name=f"lines.{index}.category",
            error=InvalidReference,
        )
        # A price per unit, or a lump amount's, above the catalogue's ceiling.
        if line.price_rp is not None:
            check_price(category, line.price_rp, field_name=f"lines.{index}.price_rp")
        else:
            check_amount(
                category,
                line.quantity,
                int(line.amount_rp or 0),
                field_name=f"lines.{index}.amount_rp",
            )
        categories.append(category)
    levels = lock_stock(session, bank.id, (c.id for c in categories))
    existing = session.scalar(
        sa.select(Sale).where(
            Sale.bank_id == bank.id, Sale.idempotency_key == idempotency_key
        )
    )
    if existing is not None:
        return idempotent_replay(existing, request_hash, "sale"), True

    # Check every line against the stock before anything is written.
    needed: dict[int, Decimal] = defaultdict(Decimal)
    for index, (line, category) in enumerate(zip(lines, categories, strict=True)):
        needed[category.id] += line.quantity
        on_hand = Decimal(levels[category.id].quantity)
        if needed[category.id] > on_hand:
            raise shortage(bank, category, on_hand, f"lines.{index}.quantity")

    now = now or utcnow()
    remaining = {cid: (Decimal(lv.quantity), lv.value_rp) for cid, lv in levels.items()}
    sale_lines = []
    for line, category in zip(lines, categories, strict=True):
        quantity, value_rp = remaining[category.id]
        cost = out_cost_rp(quantity, value_rp, line.quantity)
        remaining[category.id] = (quantity - line.quantity, value_rp - cost)
        amount = (
            ledger.line_value_rp(line.quantity, line.price_rp)
            if line.price_rp is not None
            else int(line.amount_rp or 0)
        )
        sale_lines.append(
            SaleLine(
                **category_as_recorded(category),
                quantity=line.quantity,
                price_rp=line.price_rp,
                amount_rp=amount,
                cost_rp=cost,
            )
        )
    sale = Sale(
        bank_id=bank.id,
        buyer_id=buyer.id,
        receipt_no=next_receipt_no(session, bank, "S"),
        total_rp=sum(line.amount_rp for line in sale_lines),
        cost_rp=sum(line.cost_rp for line in sale_lines),
        total_weight_kg=sum(
            (line.quantity for line in sale_lines if line.unit == "kg"), ZERO
        ),
        note=note,
        occurred_at=now,
        created_by_id=actor.user_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        lines=sale_lines,
    )
    add_idempotent(session, sale)
    for sale_line in sale_lines:
        move_stock(
            session,
            levels[sale_line.category_id],
            "sale",
            -sale_line.quantity,
            -sale_line.cost_rp,
            now,
            sale_id=sale.id,
        )
    if sale.total_rp > 0:
        session.add(
            CashEntry(
                bank_id=bank.id,
                direction="in",
                category="sale",
                amount_rp=sale.total_rp,
                description=f"Penjualan {sale.receipt_no} ({buyer.name})",
                sale_id=sale.id,
                occurred_at=now,
                created_by_id=actor.user_id,
            )
        )
    session.flush()
    audit(
        session,
        actor,
        "sale.create",
        sale,
        bank_id=bank.id,
        after={
            "receipt_no": sale.receipt_no,
            "buyer": buyer.name,
            "total_rp": sale.total_rp,
            "cost_rp": sale.cost_rp,
        },
    )
    return sale, False


def get_sale(session: SessionLike, actor: Actor, sale_id: int) -> Sale:
    """A sale of a bank the actor reaches."""
    require(actor, Action.BOOKS_READ)
    sale = session.get(Sale, sale_id)
    if sale is None or not reaches(actor, sale.bank.ref):
        raise SaleNotFound(f"No sale with id {sale_id}.")
    return sale


# -- the cash book ---------------------------------------------------------------------
def record_cash_entry(
    session: SessionLike,
    actor: Actor,
    *,
    bank_code: str,
    direction: str,
    category: str,
    amount_rp: int,
    description: str,
    idempotency_key: str,
    request_hash: str,
    occurred_at: dt.datetime | None = None,
) -> tuple[CashEntry, bool]:
    """Write an expense (``out``) or other income (``in``) into a bank's cash book.

    :param occurred_at: when it happened, for an entry of an earlier day; default now.
    :returns: the entry and whether it is a replay.
    :raises InvalidValue: the category does not fit the direction, the amount is not
        positive, or ``occurred_at`` lies in the future (field ``occurred_on``).
    """
    require(actor, Action.CASH_WRITE)
    bank = find_bank(session, actor, bank_code)
    now = utcnow()
    if occurred_at is not None and occurred_at > now:
        # The cash book records what happened; a future date would sit in every
        # balance from today on before any money moved.
        raise InvalidValue(
            "A cash-book entry cannot be dated in the future.", field="occurred_on"
        )
    allowed = EXPENSE_CATEGORIES if direction == "out" else INCOME_CATEGORIES
    if direction not in ("in", "out") or category not in allowed:
        raise InvalidValue(
            f"An {'expense' if direction == 'out' else 'income'} is one of: "
            f"{', '.join(allowed)}.",
            field="category",
        )
    if amount_rp <= 0:
        raise InvalidValue("The amount must be more than zero.", field="amount_rp")
    existing = session.scalar(
        sa.select(CashEntry).where(
            CashEntry.bank_id == bank.id, CashEntry.idempotency_key == idempotency_key
        )
    )
    if existing is not None:
        return idempotent_replay(existing, request_hash, "cash entry"), True
    entry = CashEntry(
        bank_id=bank.id,
        direction=direction,
        category=category,
        amount_rp=amount_rp,
        description=description.strip(),
        occurred_at=occurred_at or now,
        created_by_id=actor.user_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    add_idempotent(session, entry)
    audit(
        session,
        actor,
        "cash.record",
        entry,
        bank_id=bank.id,
        after={"direction": direction, "category": category, "amount_rp": amount_rp},
    )
    return entry, False


@dataclass(frozen=True)
class CashLine:
    """One line of the buku kas: money in or out, and the balance after it."""

    at: dt.datetime
    category: str  # a cash-entry category, ``payout`` or ``cash_deposit``
    description: str
    in_rp: int
    out_rp: int
    balance_rp: int = 0
    reference: str = ""


@dataclass(frozen=True)
class CashBook:
    """A bank's cash book for a period: opening balance, lines, totals, closing balance."""

    bank: Bank
    start: dt.date | None
    end: dt.date | None
    opening_rp: int
    lines: list[CashLine]
    in_rp: int
    out_rp: int
    #: shipments from or to the bank still in transit: no money has moved for them yet
    in_transit: list[Shipment] = field(default_factory=list)

    @property
    def closing_rp(self) -> int:
        return self.opening_rp + self.in_rp - self.out_rp


def _in_transit(session: SessionLike, bank: Bank) -> list[Shipment]:
    """Shipments from (a unit) or to (an induk) ``bank`` not yet received or returned."""
    return list(
        session.scalars(
            sa.select(Shipment)
            .where(
                Shipment.status == "in_transit",
                sa.or_(Shipment.bank_id == bank.id, Shipment.induk_bank_id == bank.id),
            )
            .options(selectinload(Shipment.lines))
            .order_by(Shipment.dispatched_at, Shipment.id)
        )
    )


def _cash_entries_where(
    bank: Bank, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[Any, ...]:
    return (CashEntry.bank_id == bank.id, _between(CashEntry.occurred_at, start, end))


def _payouts_where(
    bank: Bank, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[Any, ...]:
    # Payouts to members: what was handed over (the fee stays in the bank).
    return (
        Withdrawal.bank_id == bank.id,
        Withdrawal.status == "paid",
        Withdrawal.amount_rp > Withdrawal.fee_rp,
        _between(Withdrawal.paid_at, start, end),
    )


def _cash_deposits_where(
    bank: Bank, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[Any, ...]:
    # Deposits paid in cash on the spot (a reversed one was a mistake, as at the counter).
    return (
        Deposit.bank_id == bank.id,
        Deposit.mode == "cash",
        Deposit.reversed_at.is_(None),
        Deposit.total_rp > 0,
        _between(Deposit.occurred_at, start, end),
    )


def _cash_before(session: SessionLike, bank: Bank, before: dt.datetime) -> int:
    """The cash balance from every movement before ``before``, summed in SQL."""
    signed = sa.case(
        (CashEntry.direction == "in", CashEntry.amount_rp), else_=-CashEntry.amount_rp
    )
    entries = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(signed), 0)).where(
            *_cash_entries_where(bank, None, before)
        )
    )
    payouts = session.scalar(
        sa.select(
            sa.func.coalesce(sa.func.sum(Withdrawal.amount_rp - Withdrawal.fee_rp), 0)
        ).where(*_payouts_where(bank, None, before))
    )
    deposits = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Deposit.total_rp), 0)).where(
            *_cash_deposits_where(bank, None, before)
        )
    )
    return int(entries or 0) - int(payouts or 0) - int(deposits or 0)


def _cash_items(
    session: SessionLike,
    bank: Bank,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> list[CashLine]:
    """The cash movements of a bank in ``[start, end)``, unordered, without balances."""
    items: list[CashLine] = []
    for entry in session.scalars(
        sa.select(CashEntry).where(*_cash_entries_where(bank, start, end))
    ):
        items.append(
            CashLine(
                at=entry.occurred_at,
                category=entry.category,
                description=entry.description,
                in_rp=entry.amount_rp if entry.direction == "in" else 0,
                out_rp=entry.amount_rp if entry.direction == "out" else 0,
                reference=f"K{entry.id}",
            )
        )
    for withdrawal in session.scalars(
        sa.select(Withdrawal)
        .where(*_payouts_where(bank, start, end))
        .options(selectinload(Withdrawal.member))
    ):
        assert withdrawal.paid_at is not None  # noqa: S101 - paid implies paid_at
        items.append(
            CashLine(
                at=withdrawal.paid_at,
                category="payout",
                description=f"Penarikan {withdrawal.member.name}",
                in_rp=0,
                out_rp=withdrawal.net_rp,
                reference=withdrawal.receipt_no,
            )
        )
    for deposit in session.scalars(
        sa.select(Deposit)
        .where(*_cash_deposits_where(bank, start, end))
        .options(selectinload(Deposit.member))
    ):
        items.append(
            CashLine(
                at=deposit.occurred_at,
                category="cash_deposit",
                description=f"Setoran tunai {deposit.member.name}",
                in_rp=0,
                out_rp=deposit.total_rp,
                reference=deposit.receipt_no,
            )
        )
    return items


def cash_book(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> CashBook:
    """The buku kas of ``[start, end]`` (local days): sales, expenses, payouts to members.

    The opening balance is everything before ``start`` (summed by the database: a
    book of one month in the fifth year loads that month, not five years); each line
    carries the balance after it. Shipments in transit are listed apart: they are not
    money until the induk receives them.
    """
    require(actor, Action.BOOKS_READ)
    bank = find_bank(session, actor, bank_code)
    since, until = period_bounds(bank.timezone, start, end)
    opening = 0 if since is None else _cash_before(session, bank, since)
    in_period = sorted(
        _cash_items(session, bank, since, until), key=lambda i: (i.at, i.reference)
    )
    balances = ledger.running_balances(opening, [i.in_rp - i.out_rp for i in in_period])
    lines = [
        CashLine(
            at=i.at,
            category=i.category,
            description=i.description,
            in_rp=i.in_rp,
            out_rp=i.out_rp,
            balance_rp=balance,
            reference=i.reference,
        )
        for i, balance in zip(in_period, balances, strict=True)
    ]
    return CashBook(
        bank=bank,
        start=start,
        end=end,
        opening_rp=opening,
        lines=lines,
        in_rp=sum(i.in_rp for i in lines),
        out_rp=sum(i.out_rp for i in lines),
        in_transit=_in_transit(session, bank),
    )


@dataclass(frozen=True)
class ProfitAndLoss:
    """A bank's result for a period (laba rugi), in rupiah.

    Buying waste is not an expense: it becomes stock, and its cost is expensed when the
    waste is sold (``cost_of_sales_rp``, at average cost). A unit's shipment is sold when
    its induk receives it; until then it is in transit, at cost, outside the result.
    """

    bank: Bank
    start: dt.date | None
    end: dt.date | None
    sales_rp: int  # sales to buyers and shipments the induk received
    cost_of_sales_rp: int
    withdrawal_fees_rp: int
    other_income_rp: int
    stock_adjustments_rp: int  # found (+) or lost (-) stock at average cost
    expenses_rp: dict[str, int] = field(default_factory=dict)
    #: of ``sales_rp``: what the induk paid for received shipments
    shipments_rp: int = 0
    #: shipments dispatched to the induk but not received at the end of the period, at
    #: the cost they left the stock with (not in the result)
    in_transit_cost_rp: int = 0

    @property
    def gross_margin_rp(self) -> int:
        return self.sales_rp - self.cost_of_sales_rp

    @property
    def total_expenses_rp(self) -> int:
        return sum(self.expenses_rp.values())

    @property
    def net_rp(self) -> int:
        return (
            self.gross_margin_rp
            + self.withdrawal_fees_rp
            + self.other_income_rp
            + self.stock_adjustments_rp
            - self.total_expenses_rp
        )


def profit_and_loss(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ProfitAndLoss:
    """The profit and loss of ``[start, end]`` (local days).

    A received shipment counts on the day the induk received it.
    """
    require(actor, Action.BOOKS_READ)
    bank = find_bank(session, actor, bank_code)
    since, until = period_bounds(bank.timezone, start, end)
    sales_rp, cost_rp = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(Sale.total_rp), 0),
            sa.func.coalesce(sa.func.sum(Sale.cost_rp), 0),
        ).where(Sale.bank_id == bank.id, _between(Sale.occurred_at, since, until))
    ).one()
    shipped_rp, shipped_cost_rp = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(Shipment.value_rp), 0),
            sa.func.coalesce(sa.func.sum(Shipment.cost_rp), 0),
        ).where(
            Shipment.bank_id == bank.id,
            Shipment.status == "received",
            _between(Shipment.received_at, since, until),
        )
    ).one()
    fees_rp = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Withdrawal.fee_rp), 0)).where(
            Withdrawal.bank_id == bank.id,
            Withdrawal.status == "paid",
            _between(Withdrawal.paid_at, since, until),
        )
    )
    adjustments_rp = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StockMovement.value_rp), 0)).where(
            StockMovement.bank_id == bank.id,
            StockMovement.kind == "adjustment",
            _between(StockMovement.occurred_at, since, until),
        )
    )
    by_category = dict(
        session.execute(
            sa.select(CashEntry.category, sa.func.sum(CashEntry.amount_rp))
            .where(
                CashEntry.bank_id == bank.id,
                CashEntry.category.in_((*EXPENSE_CATEGORIES, *INCOME_CATEGORIES)),
                _between(CashEntry.occurred_at, since, until),
            )
            .group_by(CashEntry.category)
        ).all()
    )
    return ProfitAndLoss(
        bank=bank,
        start=start,
        end=end,
        sales_rp=int(sales_rp) + int(shipped_rp or 0),
        cost_of_sales_rp=int(cost_rp) + int(shipped_cost_rp or 0),
        withdrawal_fees_rp=int(fees_rp or 0),
        other_income_rp=sum(int(by_category.get(c, 0)) for c in INCOME_CATEGORIES),
        stock_adjustments_rp=int(adjustments_rp or 0),
        expenses_rp={
            c: int(by_category[c]) for c in EXPENSE_CATEGORIES if c in by_category
        },
        shipments_rp=int(shipped_rp or 0),
        in_transit_cost_rp=_in_transit_cost_rp(session, bank, until),
    )


def _in_transit_cost_rp(
    session: SessionLike, bank: Bank, until: dt.datetime | None
) -> int:
    """The cost of a unit's shipments in transit at ``until`` (now when None)."""
    if until is None:
        open_at_end: Any = Shipment.status == "in_transit"
    else:
        # Dispatched before the end, and not yet received or returned at the end.
        open_at_end = sa.and_(
            Shipment.dispatched_at < until,
            sa.or_(
                Shipment.status == "in_transit",
                Shipment.received_at >= until,
                Shipment.returned_at >= until,
            ),
        )
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Shipment.cost_rp), 0)).where(
                Shipment.bank_id == bank.id, open_at_end
            )
        )
        or 0
    )


# -- the books -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterRow:
    """One member of the buku induk nasabah, with their savings now."""

    member: Member
    balance_rp: int


def member_register(
    session: SessionLike, actor: Actor, bank_code: str
) -> tuple[Bank, list[RegisterRow]]:
    """The buku induk nasabah: every member of the bank (also inactive ones), by number."""
    require(actor, Action.BOOKS_READ)
    bank = find_bank(session, actor, bank_code)
    members = list(
        session.scalars(
            sa.select(Member).where(Member.bank_id == bank.id).order_by(Member.seq)
        )
    )
    balances = dict(
        session.execute(
            sa.select(LedgerEntry.member_id, sa.func.sum(LedgerEntry.amount_rp))
            .where(LedgerEntry.bank_id == bank.id)
            .group_by(LedgerEntry.member_id)
        ).all()
    )
    return bank, [RegisterRow(m, int(balances.get(m.id) or 0)) for m in members]


@dataclass(frozen=True)
class WeighingRow:
    """One weighed line of the buku penimbangan."""

    deposit: Deposit
    line: DepositLine

    @property
    def counted(self) -> bool:
        """Whether the line counts in totals (its deposit was not reversed)."""
        return self.deposit.reversed_at is None


@dataclass(frozen=True)
class WeighingBook:
    bank: Bank
    start: dt.date | None
    end: dt.date | None
    rows: list[WeighingRow]
    total_weight_kg: Decimal
    total_rp: int


def weighing_book(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> WeighingBook:
    """The buku penimbangan: every deposit line of the period; reversed ones not counted."""
    require(actor, Action.BOOKS_READ)
    bank = find_bank(session, actor, bank_code)
    since, until = period_bounds(bank.timezone, start, end)
    deposits = session.scalars(
        sa.select(Deposit)
        .where(Deposit.bank_id == bank.id, _between(Deposit.occurred_at, since, until))
        .options(selectinload(Deposit.lines), selectinload(Deposit.member))
        .order_by(Deposit.occurred_at, Deposit.id)
    )
    rows = [WeighingRow(d, line) for d in deposits for line in d.lines]
    counted = [r for r in rows if r.counted]
    return WeighingBook(
        bank=bank,
        start=start,
        end=end,
        rows=rows,
        total_weight_kg=sum(
            (r.line.quantity for r in counted if r.line.unit == "kg"), ZERO
        ),
        total_rp=sum(r.line.value_rp for r in counted),
    )


@dataclass(frozen=True)
class SalesBookRow:
    """One line of the buku penjualan: a sale line, or a line of a shipment to the induk.

    A shipment's line is sold at the induk's price for the quantity it weighed; while the
    shipment is in transit it has no price or amount yet and counts in no total.
    """

    at: dt.datetime
    receipt_no: str
    buyer: str
    category_name: str
    unit: str
    quantity: Decimal
    price_rp: int | None
    amount_rp: int | None  # None: a shipment still in transit
    cost_rp: int
    sale_id: int | None = None
    shipment_id: int | None = None

    @property
    def in_transit(self) -> bool:
        return self.amount_rp is None

    @property
    def margin_rp(self) -> int | None:
        return None if self.amount_rp is None else self.amount_rp - self.cost_rp


def _sale_rows(sale: Sale) -> list[SalesBookRow]:
    return [
        SalesBookRow(
            at=sale.occurred_at,
            receipt_no=sale.receipt_no,
            buyer=sale.buyer.name,
            category_name=line.category_name,
            unit=line.unit,
            quantity=Decimal(line.quantity),
            price_rp=line.price_rp,
            amount_rp=line.amount_rp,
            cost_rp=line.cost_rp,
            sale_id=sale.id,
        )
        for line in sale.lines
    ]


def _shipment_rows(shipment: Shipment) -> list[SalesBookRow]:
    induk = shipment.induk_bank
    return [
        SalesBookRow(
            at=shipment.received_at or shipment.dispatched_at,
            receipt_no=shipment.receipt_no,
            buyer=f"{induk.code} · {induk.name}",
            category_name=line.category_name,
            unit=line.unit,
            quantity=Decimal(
                line.quantity
                if line.received_quantity is None
                else line.received_quantity
            ),
            price_rp=line.price_rp,
            amount_rp=line.amount_rp,
            cost_rp=line.cost_rp,
            shipment_id=shipment.id,
        )
        for line in shipment.lines
    ]


@dataclass(frozen=True)
class SalesBook:
    """The buku penjualan of a period; totals leave out shipments still in transit."""

    bank: Bank
    start: dt.date | None
    end: dt.date | None
    sales: list[Sale]
    #: shipments to the induk received in the period, or dispatched in it and in transit
    shipments: list[Shipment] = field(default_factory=list)
    #: whether the reader may see purchase cost and margin (:data:`Action.COSTS_READ`)
    show_costs: bool = True

    @property
    def rows(self) -> list[SalesBookRow]:
        rows = [row for sale in self.sales for row in _sale_rows(sale)]
        rows += [row for s in self.shipments for row in _shipment_rows(s)]
        return sorted(rows, key=lambda row: (row.at, row.receipt_no))

    @property
    def total_weight_kg(self) -> Decimal:
        return sum(
            (r.quantity for r in self.rows if r.unit == "kg" and not r.in_transit), ZERO
        )

    @property
    def total_rp(self) -> int:
        return sum(r.amount_rp or 0 for r in self.rows)

    @property
    def cost_rp(self) -> int:
        return sum(r.cost_rp for r in self.rows if not r.in_transit)

    @property
    def margin_rp(self) -> int:
        return self.total_rp - self.cost_rp


def sales_book(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> SalesBook:
    """The buku penjualan: sales of the period with buyer and margin, and the unit's
    shipments the induk received in it (or that were dispatched in it and are still in
    transit, without an amount)."""
    require(actor, Action.BOOKS_READ)
    bank = find_bank(session, actor, bank_code)
    since, until = period_bounds(bank.timezone, start, end)
    sales = list(
        session.scalars(
            sa.select(Sale)
            .where(Sale.bank_id == bank.id, _between(Sale.occurred_at, since, until))
            .options(selectinload(Sale.lines), selectinload(Sale.buyer))
            .order_by(Sale.occurred_at, Sale.id)
        )
    )
    shipments = list(
        session.scalars(
            sa.select(Shipment)
            .where(
                Shipment.bank_id == bank.id,
                sa.or_(
                    sa.and_(
                        Shipment.status == "received",
                        _between(Shipment.received_at, since, until),
                    ),
                    sa.and_(
                        Shipment.status == "in_transit",
                        _between(Shipment.dispatched_at, since, until),
                    ),
                ),
            )
            .options(selectinload(Shipment.lines), selectinload(Shipment.induk_bank))
        )
    )
    return SalesBook(
        bank=bank,
        start=start,
        end=end,
        sales=sales,
        shipments=shipments,
        show_costs=actor.can(Action.COSTS_READ),
    )


# -- summaries and city totals -----------------------------------------------------------
@dataclass
class Figures:
    """Totals of one bank (or a city) over one period; weights in kg, money in rupiah."""

    received_kg: Decimal = ZERO  # deposits from members: the first point of collection
    received_rp: int = 0
    shipments_in_kg: Decimal = ZERO  # received from units (intake that is a transfer)
    sold_kg: Decimal = ZERO  # to pengepul and industry: leaves the city's banks
    shipped_kg: Decimal = ZERO  # dispatched to the induk: a transfer inside the city
    in_transit_kg: Decimal = ZERO  # of shipped_kg: not yet received by the induk
    sales_rp: int = 0
    cost_of_sales_rp: int = 0
    expenses_rp: int = 0
    payouts_rp: int = 0
    deposits: int = 0

    @property
    def managed_kg(self) -> Decimal:
        """Waste handled by the bank (dikelola): its own intake plus shipments received."""
        return self.received_kg + self.shipments_in_kg

    @property
    def margin_rp(self) -> int:
        return self.sales_rp - self.cost_of_sales_rp

    def add(self, other: Figures) -> None:
        """Add another bank's figures (for city totals)."""
        for name in (
            "received_kg",
            "received_rp",
            "shipments_in_kg",
            "sold_kg",
            "shipped_kg",
            "in_transit_kg",
            "sales_rp",
            "cost_of_sales_rp",
            "expenses_rp",
            "payouts_rp",
            "deposits",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _figures(
    session: SessionLike,
    bank_ids: Sequence[int],
    since: dt.datetime | None,
    until: dt.datetime | None,
    *,
    group: str | None = None,
    zone: str = "UTC",
) -> dict[tuple[int, Any], Figures]:
    """Figures per (bank id, key); key is None, the month (1-12) or a category code.

    Grouping by month happens in Python (in the zone given), so SQLite and PostgreSQL
    agree without date functions.
    """
    tz = ZoneInfo(zone)
    result: dict[tuple[int, Any], Figures] = defaultdict(Figures)

    def key(bank_id: int, at: dt.datetime, code: str | None = None) -> tuple[int, Any]:
        if group == "month":
            return bank_id, at.astimezone(tz).month
        if group == "category":
            return bank_id, code
        return bank_id, None

    if not bank_ids:
        return result
    deposit_rows = session.execute(
        sa.select(
            Deposit.id,
            Deposit.bank_id,
            Deposit.occurred_at,
            DepositLine.category_code,
            DepositLine.unit,
            DepositLine.quantity,
            DepositLine.value_rp,
        )
        .join(DepositLine, DepositLine.deposit_id == Deposit.id)
        .where(
            Deposit.bank_id.in_(bank_ids),
            Deposit.reversed_at.is_(None),
            _between(Deposit.occurred_at, since, until),
        )
    ).all()
    counted: set[tuple[int, Any, int]] = set()
    for dep_id, bank_id, at, code, unit, quantity, value_rp in deposit_rows:
        figures = result[key(bank_id, at, code)]
        if unit == "kg":
            figures.received_kg += quantity
        figures.received_rp += value_rp
        marker = (*key(bank_id, at, code), dep_id)
        if marker not in counted:
            counted.add(marker)
            figures.deposits += 1
    sale_rows = session.execute(
        sa.select(
            Sale.bank_id,
            Sale.occurred_at,
            SaleLine.category_code,
            SaleLine.unit,
            SaleLine.quantity,
            SaleLine.amount_rp,
            SaleLine.cost_rp,
        )
        .join(SaleLine, SaleLine.sale_id == Sale.id)
        .where(Sale.bank_id.in_(bank_ids), _between(Sale.occurred_at, since, until))
    ).all()
    for bank_id, at, code, unit, quantity, amount_rp, cost_rp in sale_rows:
        figures = result[key(bank_id, at, code)]
        figures.sales_rp += amount_rp
        figures.cost_of_sales_rp += cost_rp
        if unit == "kg":
            figures.sold_kg += quantity
    _add_shipments(session, result, bank_ids, since, until, key)
    if group != "category":
        for bank_id, at, amount_rp in session.execute(
            sa.select(
                CashEntry.bank_id, CashEntry.occurred_at, CashEntry.amount_rp
            ).where(
                CashEntry.bank_id.in_(bank_ids),
                CashEntry.category.in_(EXPENSE_CATEGORIES),
                _between(CashEntry.occurred_at, since, until),
            )
        ):
            result[key(bank_id, at)].expenses_rp += amount_rp
        for bank_id, paid_at, net_rp in session.execute(
            sa.select(
                Withdrawal.bank_id,
                Withdrawal.paid_at,
                Withdrawal.amount_rp - Withdrawal.fee_rp,
            ).where(
                Withdrawal.bank_id.in_(bank_ids),
                Withdrawal.status == "paid",
                _between(Withdrawal.paid_at, since, until),
            )
        ):
            if paid_at is not None:
                result[key(bank_id, paid_at)].payouts_rp += net_rp
    return result


def _add_shipments(
    session: SessionLike,
    result: dict[tuple[int, Any], Figures],
    bank_ids: Sequence[int],
    since: dt.datetime | None,
    until: dt.datetime | None,
    key: Any,
) -> None:
    """Add the shipments of ``bank_ids`` to their figures.

    At the unit, a shipment counts as shipped (and, until received, in transit) when it
    was dispatched, and as a sale at the induk's value when the induk received it; at
    the induk, the weighed quantity counts as shipped in when it was received. Rejected
    and cancelled shipments went back into the unit's stock and count nowhere.
    """
    rows = session.execute(
        sa.select(
            Shipment.bank_id,
            Shipment.induk_bank_id,
            Shipment.status,
            Shipment.dispatched_at,
            Shipment.received_at,
            ShipmentLine.category_code,
            ShipmentLine.unit,
            ShipmentLine.quantity,
            ShipmentLine.received_quantity,
            ShipmentLine.amount_rp,
            ShipmentLine.cost_rp,
        )
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .where(
            sa.or_(
                Shipment.bank_id.in_(bank_ids), Shipment.induk_bank_id.in_(bank_ids)
            ),
            Shipment.status.in_(("in_transit", "received")),
            sa.or_(
                _between(Shipment.dispatched_at, since, until),
                _between(Shipment.received_at, since, until),
            ),
        )
    ).all()
    in_period = _in_period(since, until)
    for (
        unit_id,
        induk_id,
        status,
        dispatched_at,
        received_at,
        code,
        unit,
        quantity,
        received_quantity,
        amount_rp,
        cost_rp,
    ) in rows:
        is_kg = unit == "kg"
        if unit_id in bank_ids and in_period(dispatched_at) and is_kg:
            figures = result[key(unit_id, dispatched_at, code)]
            figures.shipped_kg += quantity
            if status == "in_transit":
                figures.in_transit_kg += quantity
        if status != "received" or not in_period(received_at):
            continue
        if unit_id in bank_ids:
            figures = result[key(unit_id, received_at, code)]
            figures.sales_rp += amount_rp or 0
            figures.cost_of_sales_rp += cost_rp
        if induk_id in bank_ids and is_kg and received_quantity is not None:
            result[
                key(induk_id, received_at, code)
            ].shipments_in_kg += received_quantity


def _in_period(since: dt.datetime | None, until: dt.datetime | None) -> Any:
    """A test of whether an instant lies in ``[since, until)`` (None: open ends)."""

    def test(at: dt.datetime | None) -> bool:
        return (
            at is not None
            and (since is None or at >= since)
            and (until is None or at < until)
        )

    return test


@dataclass(frozen=True)
class BankTotals:
    bank: Bank
    figures: Figures


@dataclass(frozen=True)
class CityTotals:
    """A city's banks over a period, with tonnage counted once.

    ``total.received_kg`` is what members brought to any bank (the first point of
    collection); a unit's shipment to its induk shows as ``shipped_kg`` at the unit and
    ``shipments_in_kg`` at the induk, and adds nothing to the city's intake. Summing every
    bank's ``managed_kg`` would count a shipped kilogram twice; that is the figure the
    national data gets wrong.
    """

    city: City
    start: dt.date | None
    end: dt.date | None
    banks: list[BankTotals]
    total: Figures


def city_totals(
    session: SessionLike,
    actor: Actor,
    city_code: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> CityTotals:
    """Every bank of a city with its figures, and the city's total counted once."""
    require(actor, Action.BOOKS_READ)
    city = session.scalar(sa.select(City).where(City.code == city_code.strip().upper()))
    if city is None or not reaches_city(actor, city.id):
        raise NotFound(f"No city with code {city_code}.")
    since, until = period_bounds(city.timezone, start, end)
    banks = list(
        session.scalars(
            sa.select(Bank)
            .where(Bank.city_id == city.id, visible_bank_filter(actor))
            .order_by(Bank.code)
        )
    )
    figures = _figures(session, [b.id for b in banks], since, until)
    rows = [BankTotals(b, figures.get((b.id, None), Figures())) for b in banks]
    total = Figures()
    for row in rows:
        total.add(row.figures)
    # Shipments between the city's own banks are transfers, not intake or sales.
    total.shipments_in_kg = ZERO
    return CityTotals(city=city, start=start, end=end, banks=rows, total=total)


@dataclass(frozen=True)
class Summary:
    """A bank's or a city's month or year: totals, by category, and (a year) by month."""

    title: str
    zone: str
    year: int
    month: int | None
    total: Figures
    by_category: dict[str, Figures]
    by_month: dict[int, Figures]
    by_bank: list[BankTotals]


def _period(year: int, month: int | None) -> tuple[dt.date, dt.date]:
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def _merge(rows: dict[tuple[int, Any], Figures]) -> dict[Any, Figures]:
    merged: dict[Any, Figures] = defaultdict(Figures)
    for (_bank_id, key), figures in rows.items():
        merged[key].add(figures)
    return dict(merged)


def summary(
    session: SessionLike,
    actor: Actor,
    *,
    year: int,
    month: int | None = None,
    bank_code: str | None = None,
    city_code: str | None = None,
) -> Summary:
    """A monthly (``month`` given) or yearly summary of one bank or of a whole city.

    A city's totals count tonnage once: shipments between its banks are transfers.
    """
    require(actor, Action.BOOKS_READ)
    start, end = _period(year, month)
    if bank_code:
        bank = find_bank(session, actor, bank_code)
        banks, zone, title = [bank], bank.timezone, f"{bank.code} · {bank.name}"
    elif city_code:
        totals = city_totals(session, actor, city_code, start=start, end=end)
        banks = [row.bank for row in totals.banks]
        zone, title = totals.city.timezone, totals.city.name
    else:
        raise InvalidValue("Give a bank or a city.", field="bank")
    since, until = period_bounds(zone, start, end)
    ids = [b.id for b in banks]
    per_bank = _figures(session, ids, since, until)
    total = Figures()
    for figures in per_bank.values():
        total.add(figures)
    by_category = dict(
        sorted(_merge(_figures(session, ids, since, until, group="category")).items())
    )
    if city_code:
        # Transfers inside the city are not intake.
        total.shipments_in_kg = ZERO
        for figures in by_category.values():
            figures.shipments_in_kg = ZERO
    by_month = (
        dict(
            sorted(
                _merge(
                    _figures(session, ids, since, until, group="month", zone=zone)
                ).items()
            )
        )
        if month is None
        else {}
    )
    return Summary(
        title=title,
        zone=zone,
        year=year,
        month=month,
        total=total,
        by_category=by_category,
        by_month=by_month,
        by_bank=[BankTotals(b, per_bank.get((b.id, None), Figures())) for b in banks]
        if city_code
        else [],
    )


# -- SIPSN ---------------------------------------------------------------------------------
#: SIPSN destinations of bank-sampah waste (the public record's split, plus energy).
SIPSN_DESTINATIONS = ("daur_ulang", "up_cycle", "kompos", "pakan_ternak", "energi")


def sipsn_destination(material: str) -> str:
    """Where a material class goes, for SIPSN: organic waste is composted, used cooking
    oil becomes biodiesel (energy), everything else is recycled. Up-cycling and animal
    feed are not recorded per deposit yet, so they stay zero."""
    if material == "organic":
        return "kompos"
    if material == "used_cooking_oil":
        return "energi"
    return "daur_ulang"


#: A bank whose tonnage differs from its reference by at least this factor is an outlier;
#: a factor near 1,000 suggests kilograms and tonnes were swapped.
OUTLIER_FACTOR = Decimal(5)
UNIT_SWAP_RANGE = (Decimal(500), Decimal(2000))


@dataclass(frozen=True)
class SipsnRow:
    """One bank's SIPSN figures for a year, and what looks wrong with them."""

    bank: Bank
    received_kg: Decimal  # sampah diterima: from its own members
    managed_kg: Decimal  # sampah dikelola: received plus shipments from its units
    by_destination_kg: dict[str, Decimal]
    previous_managed_kg: Decimal
    checks: list[str]  # no_data, outlier_history, outlier_peers, unit_swap

    @property
    def report_unit(self) -> str:
        """SIPSN's convention: units report kg/year, induk banks t/year."""
        return "t" if self.bank.kind == "induk" else "kg"

    def in_report_unit(self, kg: Decimal) -> Decimal:
        return (kg / 1000).quantize(Decimal("0.001")) if self.report_unit == "t" else kg


def _ratio_checks(value: Decimal, reference: Decimal, label: str) -> list[str]:
    if value <= 0 or reference <= 0:
        return []
    ratio = max(value / reference, reference / value)
    if UNIT_SWAP_RANGE[0] <= ratio <= UNIT_SWAP_RANGE[1]:
        return ["unit_swap"]
    if ratio >= OUTLIER_FACTOR:
        return [label]
    return []


def sipsn_report(
    session: SessionLike, actor: Actor, city_code: str, *, year: int
) -> tuple[City, list[SipsnRow]]:
    """Every bank of a city with its SIPSN figures for ``year`` and plausibility checks.

    Checks: ``no_data`` (nothing received or managed), ``outlier_history`` (5x more or
    less than the bank's previous year), ``outlier_peers`` (5x more or less than the
    median of the city's banks of the same kind), ``unit_swap`` (about 1,000x: kg and t
    mixed up). Figures come from transactions only, never typed-in totals.
    """
    totals = city_totals(
        session, actor, city_code, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31)
    )
    previous = city_totals(
        session,
        actor,
        city_code,
        start=dt.date(year - 1, 1, 1),
        end=dt.date(year - 1, 12, 31),
    )
    before = {row.bank.id: row.figures.managed_kg for row in previous.banks}
    since, until = period_bounds(
        totals.city.timezone, dt.date(year, 1, 1), dt.date(year, 12, 31)
    )
    ids = [row.bank.id for row in totals.banks]
    destinations: dict[int, dict[str, Decimal]] = {
        bank_id: dict.fromkeys(SIPSN_DESTINATIONS, ZERO) for bank_id in ids
    }
    for bank_id, material, quantity in session.execute(
        sa.select(Deposit.bank_id, DepositLine.material, DepositLine.quantity)
        .join(DepositLine, DepositLine.deposit_id == Deposit.id)
        .where(
            Deposit.bank_id.in_(ids),
            Deposit.reversed_at.is_(None),
            DepositLine.unit == "kg",
            _between(Deposit.occurred_at, since, until),
        )
    ):
        destinations[bank_id][sipsn_destination(material)] += quantity
    for to_id, material, received in session.execute(
        sa.select(
            Shipment.induk_bank_id,
            ShipmentLine.material,
            ShipmentLine.received_quantity,
        )
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .where(
            Shipment.induk_bank_id.in_(ids),
            Shipment.status == "received",
            ShipmentLine.unit == "kg",
            _between(Shipment.received_at, since, until),
        )
    ):
        destinations[to_id][sipsn_destination(material)] += received or ZERO
    medians: dict[str, Decimal] = {}
    for kind in ("unit", "induk"):
        values = sorted(
            r.figures.managed_kg
            for r in totals.banks
            if r.bank.kind == kind and r.figures.managed_kg > 0
        )
        if len(values) >= 3:  # a median of one or two banks says nothing
            medians[kind] = values[len(values) // 2]
    rows = []
    for row in totals.banks:
        managed = row.figures.managed_kg
        checks: list[str] = []
        if managed <= 0:
            checks.append("no_data")
        checks += _ratio_checks(
            managed, before.get(row.bank.id, ZERO), "outlier_history"
        )
        if row.bank.kind in medians:
            checks += [
                c
                for c in _ratio_checks(managed, medians[row.bank.kind], "outlier_peers")
                if c not in checks
            ]
        rows.append(
            SipsnRow(
                bank=row.bank,
                received_kg=row.figures.received_kg,
                managed_kg=managed,
                by_destination_kg=destinations[row.bank.id],
                previous_managed_kg=before.get(row.bank.id, ZERO),
                checks=checks,
            )
        )
    return totals.city, rows


# -- bulk import of members ------------------------------------------------------------------
@dataclass(frozen=True)
class RowProblem:
    """Why one row of an imported register cannot be taken (row 1 is the first data row)."""

    row: int
    field: str
    message: str


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or would do in a dry run."""

    bank: Bank
    rows: int
    problems: list[RowProblem]
    imported: list[Member]
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.problems


def import_members(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    rows: Sequence[tuple[int, dict[str, Any]]],
    *,
    problems: Sequence[RowProblem] = (),
    dry_run: bool = True,
) -> ImportReport:
    """Register the members of a paper register all at once, or none of them.

    :param rows: (row number, fields) of rows whose shape the adapter already checked.
    :param problems: the shape problems the adapter found; any problem imports nothing.
    :param dry_run: only report; nothing is written.
    :returns: the report; ``imported`` is empty unless every row was fine and it was not
        a dry run.
    """
    require(actor, Action.MEMBERS_WRITE)
    bank = find_bank(session, actor, bank_code)
    found = list(problems)
    existing_niks = set(
        session.scalars(
            sa.select(Member.nik).where(
                Member.bank_id == bank.id, Member.nik.is_not(None)
            )
        )
    )
    existing_people = {
        (name.casefold(), phone)
        for name, phone in session.execute(
            sa.select(Member.name, Member.phone).where(Member.bank_id == bank.id)
        )
    }
    seen_niks: dict[str, int] = {}
    for number, fields_ in rows:
        nik = fields_.get("nik")
        if nik:
            if nik in existing_niks:
                found.append(
                    RowProblem(number, "nik", "A member with this NIK exists.")
                )
            elif nik in seen_niks:
                found.append(
                    RowProblem(number, "nik", "The same NIK as an earlier row.")
                )
            seen_niks.setdefault(nik, number)
        if (fields_["name"].casefold(), fields_.get("phone")) in existing_people:
            found.append(
                RowProblem(number, "name", "Already a member (same name and phone).")
            )
    found.sort(key=lambda p: (p.row, p.field))
    imported: list[Member] = []
    if not found and not dry_run:
        imported = [
            register_member(session, actor, bank=bank.code, **fields_)
            for _number, fields_ in rows
        ]
        audit(
            session,
            actor,
            "member.import",
            bank,
            bank_id=bank.id,
            after={"members": len(imported)},
        )
    return ImportReport(
        bank=bank,
        rows=len(rows) + len({p.row for p in problems}),
        problems=found,
        imported=imported,
        dry_run=dry_run,
    )
