"""Services of the counter: prices, deposits, savings, withdrawals.

Money-moving commands first lock the member (:func:`lock_member`), then read the balance,
then write, so two commands for one member never interleave on SQLite or PostgreSQL.
Commands that carry an idempotency key return the original record when replayed with the
same request, and refuse the key when the request differs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from wastebank import cards, ledger
from wastebank.access import Action, Actor, oversees, reaches
from wastebank.exceptions import (
    AlreadyReversed,
    BelowMinimumWithdrawal,
    DepositNotFound,
    InsufficientBalance,
    InvalidReference,
    InvalidTransition,
    InvalidValue,
    MemberInactive,
    NoPrice,
    NothingLeftAfterFee,
    PermissionDenied,
    PriceOutOfBounds,
    SameApproverAndPayer,
    WithdrawalNotFound,
)
from wastebank.extensions import SessionLike
from wastebank.models import (
    HOLDING_STATUSES,
    Bank,
    BankCounterSettings,
    Deposit,
    DepositLine,
    LedgerEntry,
    Member,
    PriceRule,
    WasteCategory,
    Withdrawal,
    utcnow,
)
from wastebank.services import backoffice, notifications
from wastebank.services.catalogue import (
    category_as_recorded,
    check_price,
    list_categories,
)
from wastebank.services.core import (
    add_idempotent,
    audit,
    check_quantity,
    clean_district,
    find_bank,
    find_category,
    get_member,
    idempotent_replay,
    member_balance_rp,
    next_receipt_no,
    require,
    resolve_card,
)


def local_date(bank: Bank, at: dt.datetime) -> dt.date:
    """The calendar date at ``at`` in the bank's time zone (prices change at midnight WIT)."""
    return at.astimezone(ZoneInfo(bank.timezone)).date()


# -- prices ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PriceQuote:
    """The buying price of one category in force at a bank on a day, and where it is from."""

    category: WasteCategory
    price_rp: int
    source_bank_code: str  # the bank itself, or its induk when inherited
    effective_from: dt.date
    floor_rp: int | None
    ceiling_rp: int | None


def _rule_in_force(
    session: SessionLike, bank_id: int, category_id: int, day: dt.date
) -> PriceRule | None:
    return session.scalar(
        sa.select(PriceRule)
        .where(
            PriceRule.bank_id == bank_id,
            PriceRule.category_id == category_id,
            PriceRule.effective_from <= day,
        )
        .order_by(PriceRule.effective_from.desc())
        .limit(1)
    )


def price_in_force(
    session: SessionLike, bank: Bank, category: WasteCategory, day: dt.date
) -> PriceQuote | None:
    """The bank's own price on ``day``, else its induk's, else None."""
    for source in (bank, bank.parent):
        if source is None:
            continue
        rule = _rule_in_force(session, source.id, category.id, day)
        if rule is not None:
            return PriceQuote(
                category=category,
                price_rp=rule.price_rp,
                source_bank_code=source.code,
                effective_from=rule.effective_from,
                floor_rp=rule.floor_rp,
                ceiling_rp=rule.ceiling_rp,
            )
    return None


def price_list(
    session: SessionLike, actor: Actor, bank_code: str, *, day: dt.date | None = None
) -> tuple[Bank, list[PriceQuote]]:
    """Every active category with a price in force at the bank on ``day`` (today)."""
    require(actor, Action.MEMBERS_READ)
    bank = find_bank(session, actor, bank_code)
    day = day or local_date(bank, utcnow())
    quotes = [
        quote
        for category in list_categories(session)
        if (quote := price_in_force(session, bank, category, day)) is not None
    ]
    return bank, quotes


def set_price(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    category_code: str,
    *,
    price_rp: int,
    effective_from: dt.date,
    floor_rp: int | None = None,
    ceiling_rp: int | None = None,
) -> PriceRule:
    """Set a bank's buying price from ``effective_from`` on; earlier prices stay on record.

    Only an induk sets floor and ceiling bounds (for its units). A unit's own price must
    lie within the bounds of its induk's rule in force on ``effective_from``.

    :raises PriceAboveMaximum: the price, floor or ceiling is above the category's
        ceiling (``max_price_rp``).
    :raises PriceOutOfBounds: a unit's price outside its induk's bounds.
    """
    require(actor, Action.PRICES_WRITE)
    bank = find_bank(session, actor, bank_code)
    category = find_category(session, category_code)
    for field_name, value in (
        ("price_rp", price_rp),
        ("floor_rp", floor_rp),
        ("ceiling_rp", ceiling_rp),
    ):
        if value is not None:
            check_price(category, value, field_name=field_name)
    if (floor_rp is not None or ceiling_rp is not None) and bank.kind != "induk":
        raise InvalidValue(
            "Only an induk sets price bounds for its units.", field="floor_rp"
        )
    if floor_rp is not None and ceiling_rp is not None and floor_rp > ceiling_rp:
        raise InvalidValue("The floor is above the ceiling.", field="floor_rp")
    if bank.parent is not None:
        bounds = _rule_in_force(session, bank.parent.id, category.id, effective_from)
        if bounds is not None and not (
            (bounds.floor_rp is None or price_rp >= bounds.floor_rp)
            and (bounds.ceiling_rp is None or price_rp <= bounds.ceiling_rp)
        ):
            raise PriceOutOfBounds(
                f"{bank.parent.code} allows {category.code} between "
                f"{ledger.format_rp(bounds.floor_rp or 0)} and "
                f"{ledger.format_rp(bounds.ceiling_rp) if bounds.ceiling_rp else 'no ceiling'}.",
                field="price_rp",
            )
    rule = session.scalar(
        sa.select(PriceRule).where(
            PriceRule.bank_id == bank.id,
            PriceRule.category_id == category.id,
            PriceRule.effective_from == effective_from,
        )
    )
    before = None
    if rule is None:
        rule = PriceRule(bank=bank, category=category, effective_from=effective_from)
        session.add(rule)
    else:  # a correction of the same day's price
        before = {
            "price_rp": rule.price_rp,
            "floor_rp": rule.floor_rp,
            "ceiling_rp": rule.ceiling_rp,
        }
    rule.price_rp = price_rp
    rule.floor_rp = floor_rp
    rule.ceiling_rp = ceiling_rp
    rule.created_by_id = actor.user_id
    session.flush()
    audit(
        session,
        actor,
        "price.set",
        rule,
        bank_id=bank.id,
        before=before,
        after={
            "category": category.code,
            "price_rp": price_rp,
            "effective_from": effective_from.isoformat(),
            "floor_rp": floor_rp,
            "ceiling_rp": ceiling_rp,
        },
    )
    return rule


# -- savings -----------------------------------------------------------------------------
def lock_member(session: SessionLike, member_id: int) -> None:
    """Serialise money-moving commands of one member.

    The UPDATE takes the member's row lock on PostgreSQL; on SQLite it is the first write
    of the transaction, so it takes the database write lock before any balance is read.
    """
    session.execute(
        sa.update(Member)
        .where(Member.id == member_id)
        .values(ledger_version=Member.ledger_version + 1)
        .execution_options(synchronize_session=False)
    )


def member_position(session: SessionLike, member_id: int) -> ledger.Position:
    """A member's balance (sum of entries) and holds (pending withdrawals)."""
    held = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Withdrawal.amount_rp), 0)).where(
            Withdrawal.member_id == member_id, Withdrawal.status.in_(HOLDING_STATUSES)
        )
    )
    return ledger.Position(
        balance_rp=member_balance_rp(session, member_id), held_rp=int(held or 0)
    )


def positions(
    session: SessionLike, member_ids: Sequence[int]
) -> dict[int, ledger.Position]:
    """Positions of several members in two queries (for listings)."""
    if not member_ids:
        return {}
    balances = dict(
        session.execute(
            sa.select(LedgerEntry.member_id, sa.func.sum(LedgerEntry.amount_rp))
            .where(LedgerEntry.member_id.in_(member_ids))
            .group_by(LedgerEntry.member_id)
        ).all()
    )
    holds = dict(
        session.execute(
            sa.select(Withdrawal.member_id, sa.func.sum(Withdrawal.amount_rp))
            .where(
                Withdrawal.member_id.in_(member_ids),
                Withdrawal.status.in_(HOLDING_STATUSES),
            )
            .group_by(Withdrawal.member_id)
        ).all()
    )
    return {
        member_id: ledger.Position(
            int(balances.get(member_id) or 0), int(holds.get(member_id) or 0)
        )
        for member_id in member_ids
    }


def _post(
    session: SessionLike,
    member: Member,
    kind: str,
    amount_rp: int,
    description: str,
    *,
    deposit: Deposit | None = None,
    withdrawal: Withdrawal | None = None,
    at: dt.datetime | None = None,
) -> LedgerEntry:
    entry = LedgerEntry(
        created_at=at or utcnow(),
        member_id=member.id,
        bank_id=member.bank_id,
        kind=kind,
        amount_rp=amount_rp,
        deposit_id=deposit.id if deposit else None,
        withdrawal_id=withdrawal.id if withdrawal else None,
        description=description,
    )
    session.add(entry)
    return entry


def counter_settings(session: SessionLike, bank: Bank) -> BankCounterSettings:
    """The bank's withdrawal rules (defaults when never set)."""
    settings = session.get(BankCounterSettings, bank.id)
    if settings is None:
        settings = BankCounterSettings(bank_id=bank.id)
        session.add(settings)
        session.flush()
    return settings


@dataclass(frozen=True)
class DepositLineInput:
    """One weighed category as the counter sends it."""

    category: str
    quantity: Decimal


def record_deposit(
    session: SessionLike,
    actor: Actor,
    *,
    lines: Sequence[DepositLineInput],
    idempotency_key: str,
    request_hash: str,
    member_id: int | None = None,
    card: str | None = None,
    mode: str = "save",
    now: dt.datetime | None = None,
) -> tuple[Deposit, bool]:
    """Weigh in a deposit: price each line, and credit the total unless paid in cash.

    :returns: the deposit and whether it is a replay of an earlier identical request.
    :raises IdempotencyKeyReused: the key was used for a different request.
    :raises NoPrice: a category has no price in force (nothing is written).
    :raises PriceAboveMaximum: the price in force is above the category's ceiling.
    :raises MemberInactive: the member was deactivated.
    """
    require(actor, Action.DEPOSITS_WRITE)
    member = (
        get_member(session, actor, member_id)
        if member_id
        else resolve_card(session, actor, card or "")
    )
    lock_member(session, member.id)
    existing = session.scalar(
        sa.select(Deposit).where(
            Deposit.bank_id == member.bank_id,
            Deposit.idempotency_key == idempotency_key,
        )
    )
    if existing is not None:
        return idempotent_replay(existing, request_hash, "deposit"), True
    if not member.active:
        raise MemberInactive(
            "This member is inactive; reactivate them first.", field="member"
        )
    if not lines:
        raise InvalidValue("A deposit has at least one line.", field="lines")
    now = now or utcnow()
    bank = member.bank
    day = local_date(bank, now)
    deposit_lines = []
    for index, line in enumerate(lines):
        check_quantity(line.quantity, field_name=f"lines.{index}.quantity")
        category = find_category(
            session,
            line.category,
            field_name=f"lines.{index}.category",
            error=InvalidReference,
        )
        quote = price_in_force(session, bank, category, day)
        if quote is None:
            raise NoPrice(
                f"{category.code} has no buying price at {bank.code}.",
                field=f"lines.{index}.category",
            )
        # A price set before the ceilings existed, or above a lowered one, credits
        # nothing until a manager sets a price within the ceiling.
        check_price(category, quote.price_rp, field_name=f"lines.{index}.category")
        deposit_lines.append(
            DepositLine(
                **category_as_recorded(category),
                quantity=line.quantity,
                price_rp=quote.price_rp,
                value_rp=ledger.line_value_rp(line.quantity, quote.price_rp),
            )
        )
    # The stock before the receipt number, the order a sale takes them in, so a deposit
    # and a sale at one bank never wait for each other in a circle (PostgreSQL).
    levels = backoffice.lock_stock(
        session, bank.id, (line.category_id for line in deposit_lines)
    )
    deposit = Deposit(
        bank_id=bank.id,
        member_id=member.id,
        receipt_no=next_receipt_no(session, bank, "D"),
        verify_code=cards.new_token(),
        mode=mode,
        total_rp=sum(line.value_rp for line in deposit_lines),
        total_weight_kg=sum(
            (dl.quantity for dl in deposit_lines if dl.unit == "kg"), Decimal("0")
        ),
        occurred_at=now,
        created_by_id=actor.user_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        lines=deposit_lines,
    )
    add_idempotent(session, deposit)
    if mode == "save" and deposit.total_rp > 0:
        _post(
            session,
            member,
            "deposit",
            deposit.total_rp,
            f"Setoran {deposit.receipt_no}",
            deposit=deposit,
            at=now,
        )
    # The waste goes into the bank's stock in the same transaction as the credit.
    backoffice.stock_in_for_deposit(session, deposit, levels)
    session.flush()
    audit(
        session,
        actor,
        "deposit.create",
        deposit,
        bank_id=bank.id,
        after={
            "receipt_no": deposit.receipt_no,
            "total_rp": deposit.total_rp,
            "mode": mode,
        },
    )
    # The member's message goes into the outbox of this transaction; it cannot fail it.
    notifications.queue_deposit_notification(session, deposit, now=now)
    return deposit, False


def get_deposit(session: SessionLike, actor: Actor, deposit_id: int) -> Deposit:
    """A deposit of a bank the actor reaches."""
    require(actor, Action.MEMBERS_READ)
    deposit = session.get(Deposit, deposit_id)
    if deposit is None or not reaches(actor, deposit.bank.ref):
        raise DepositNotFound(f"No deposit with id {deposit_id}.")
    return deposit


def reverse_deposit(
    session: SessionLike, actor: Actor, deposit_id: int, *, reason: str
) -> Deposit:
    """Undo a deposit by a counter-entry (manager); the deposit itself is never edited.

    :raises AlreadyReversed: it was reversed before.
    :raises InsufficientBalance: the member has already used the money (available < total).
    """
    require(actor, Action.DEPOSITS_REVERSE)
    deposit = get_deposit(session, actor, deposit_id)
    lock_member(session, deposit.member_id)
    session.refresh(deposit)
    if deposit.reversed_at is not None:
        raise AlreadyReversed(f"Deposit {deposit.receipt_no} was reversed already.")
    if deposit.mode == "save" and deposit.total_rp > 0:
        position = member_position(session, deposit.member_id)
        if position.available_rp < deposit.total_rp:
            raise InsufficientBalance(
                f"Reversing {ledger.format_rp(deposit.total_rp)} would overdraw the member: "
                f"only {ledger.format_rp(position.available_rp)} is available."
            )
    # The waste leaves the stock again; refused when it was sold or shipped already.
    backoffice.stock_out_for_reversal(session, deposit)
    if deposit.mode == "save" and deposit.total_rp > 0:
        _post(
            session,
            deposit.member,
            "reversal",
            -deposit.total_rp,
            f"Koreksi setoran {deposit.receipt_no}",
            deposit=deposit,
        )
    deposit.reversed_at = utcnow()
    deposit.reversed_by_id = actor.user_id
    deposit.reversal_reason = reason
    session.flush()
    audit(
        session,
        actor,
        "deposit.reverse",
        deposit,
        bank_id=deposit.bank_id,
        after={"reason": reason},
    )
    return deposit


# -- withdrawals ---------------------------------------------------------------------------
def request_withdrawal(
    session: SessionLike,
    actor: Actor,
    *,
    member_id: int,
    amount_rp: int,
    method: str,
    idempotency_key: str,
    request_hash: str,
    note: str | None = None,
) -> tuple[Withdrawal, bool]:
    """Ask to pay out savings; the amount is held at once.

    :returns: the withdrawal and whether it is a replay.
    :raises BelowMinimumWithdrawal: under the bank's minimum.
    :raises NothingLeftAfterFee: the bank's fee takes the whole amount.
    :raises InsufficientBalance: more than the available balance.
    """
    require(actor, Action.WITHDRAWALS_REQUEST)
    member = get_member(session, actor, member_id)
    lock_member(session, member.id)
    existing = session.scalar(
        sa.select(Withdrawal).where(
            Withdrawal.bank_id == member.bank_id,
            Withdrawal.idempotency_key == idempotency_key,
        )
    )
    if existing is not None:
        return idempotent_replay(existing, request_hash, "withdrawal"), True
    if not member.active:
        raise MemberInactive("This member is inactive.", field="member")
    settings = counter_settings(session, member.bank)
    if amount_rp < settings.min_withdrawal_rp:
        raise BelowMinimumWithdrawal(
            f"The minimum withdrawal at {member.bank.code} is "
            f"{ledger.format_rp(settings.min_withdrawal_rp)}.",
            field="amount_rp",
        )
    fee_rp = _fee_leaving_a_payout(amount_rp, settings)
    position = member_position(session, member.id)
    if amount_rp > position.available_rp:
        raise InsufficientBalance(
            f"Withdrawal of {ledger.format_rp(amount_rp)} exceeds the available balance of "
            f"{ledger.format_rp(position.available_rp)}.",
            field="amount_rp",
        )
    withdrawal = Withdrawal(
        bank_id=member.bank_id,
        member_id=member.id,
        receipt_no=next_receipt_no(session, member.bank, "W"),
        verify_code=cards.new_token(),
        amount_rp=amount_rp,
        fee_rp=fee_rp,
        method=method,
        note=note,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        requested_by_id=actor.user_id,
    )
    add_idempotent(session, withdrawal)
    audit(
        session,
        actor,
        "withdrawal.request",
        withdrawal,
        bank_id=member.bank_id,
        after={"amount_rp": amount_rp},
    )
    return withdrawal, False


def _fee_rule(settings: BankCounterSettings) -> ledger.FeeRule:
    return ledger.FeeRule(
        kind=ledger.FeeKind(settings.fee_kind), value=settings.fee_value
    )


def _fee_leaving_a_payout(amount_rp: int, settings: BankCounterSettings) -> int:
    """The bank's fee on ``amount_rp``, refused when it leaves nothing to pay out.

    :raises NothingLeftAfterFee: the fee is the whole amount (``net_rp`` would be 0).
    """
    fee_rp = ledger.fee_rp(amount_rp, _fee_rule(settings))
    if fee_rp >= amount_rp:
        raise NothingLeftAfterFee(
            f"The fee of {ledger.format_rp(fee_rp)} takes the whole withdrawal of "
            f"{ledger.format_rp(amount_rp)}: nothing would be paid out.",
            field="amount_rp",
        )
    return fee_rp


def get_withdrawal(
    session: SessionLike, actor: Actor, withdrawal_id: int
) -> Withdrawal:
    """A withdrawal of a bank the actor reaches."""
    require(actor, Action.MEMBERS_READ)
    withdrawal = session.get(Withdrawal, withdrawal_id)
    if withdrawal is None or not reaches(actor, withdrawal.bank.ref):
        raise WithdrawalNotFound(f"No withdrawal with id {withdrawal_id}.")
    return withdrawal


def _locked_withdrawal(
    session: SessionLike, actor: Actor, withdrawal_id: int
) -> Withdrawal:
    withdrawal = get_withdrawal(session, actor, withdrawal_id)
    lock_member(session, withdrawal.member_id)
    session.refresh(withdrawal)
    return withdrawal


def approve_withdrawal(
    session: SessionLike, actor: Actor, withdrawal_id: int
) -> Withdrawal:
    """Approve a requested withdrawal (manager); the fee is fixed at this moment.

    :raises NothingLeftAfterFee: the fee, as the bank's rule is now, takes it all.
    """
    require(actor, Action.WITHDRAWALS_DECIDE)
    withdrawal = _locked_withdrawal(session, actor, withdrawal_id)
    if withdrawal.status != "requested":
        raise InvalidTransition(f"A {withdrawal.status} withdrawal cannot be approved.")
    settings = counter_settings(session, withdrawal.bank)
    # The fee may have changed since the request: it must still leave a payout.
    withdrawal.fee_rp = _fee_leaving_a_payout(withdrawal.amount_rp, settings)
    withdrawal.status = "approved"
    withdrawal.approved_by_id = actor.user_id
    withdrawal.decided_at = utcnow()
    session.flush()
    audit(
        session,
        actor,
        "withdrawal.approve",
        withdrawal,
        bank_id=withdrawal.bank_id,
        after={"fee_rp": withdrawal.fee_rp},
    )
    return withdrawal


def reject_withdrawal(
    session: SessionLike, actor: Actor, withdrawal_id: int, *, reason: str
) -> Withdrawal:
    """Reject a requested or approved withdrawal; the hold is released."""
    require(actor, Action.WITHDRAWALS_DECIDE)
    withdrawal = _locked_withdrawal(session, actor, withdrawal_id)
    if withdrawal.status not in HOLDING_STATUSES:
        raise InvalidTransition(f"A {withdrawal.status} withdrawal cannot be rejected.")
    withdrawal.status = "rejected"
    withdrawal.rejected_by_id = actor.user_id
    withdrawal.rejection_reason = reason
    withdrawal.decided_at = utcnow()
    session.flush()
    audit(
        session,
        actor,
        "withdrawal.reject",
        withdrawal,
        bank_id=withdrawal.bank_id,
        after={"reason": reason},
    )
    return withdrawal


def pay_withdrawal(
    session: SessionLike, actor: Actor, withdrawal_id: int
) -> Withdrawal:
    """Pay an approved withdrawal: the hold becomes a debit of the savings.

    :raises SameApproverAndPayer: the bank wants two people and this one approved it.
    """
    require(actor, Action.WITHDRAWALS_PAY)
    withdrawal = _locked_withdrawal(session, actor, withdrawal_id)
    if withdrawal.status != "approved":
        raise InvalidTransition(f"A {withdrawal.status} withdrawal cannot be paid.")
    settings = counter_settings(session, withdrawal.bank)
    if (
        settings.separate_approver_and_payer
        and withdrawal.approved_by_id == actor.user_id
    ):
        raise SameApproverAndPayer(
            "At this bank another person must pay out what you approved."
        )
    withdrawal.status = "paid"
    withdrawal.paid_by_id = actor.user_id
    withdrawal.paid_at = utcnow()
    _post(
        session,
        withdrawal.member,
        "withdrawal",
        -withdrawal.amount_rp,
        f"Penarikan {withdrawal.receipt_no}",
        withdrawal=withdrawal,
    )
    session.flush()
    audit(
        session,
        actor,
        "withdrawal.pay",
        withdrawal,
        bank_id=withdrawal.bank_id,
        after={"net_rp": withdrawal.net_rp},
    )
    notifications.queue_payout_notification(session, withdrawal)
    return withdrawal


#: The withdrawal rules of a bank, as :func:`update_counter_settings` changes them.
WITHDRAWAL_RULE_FIELDS = (
    "min_withdrawal_rp",
    "fee_kind",
    "fee_value",
    "separate_approver_and_payer",
)

#: The rules that are controls. "Approver and payer are two people" exists to restrain
#: the bank's own manager, so that manager cannot lift it: only someone above the bank
#: can (:func:`wastebank.access.oversees`). The minimum and the fee are the bank's terms
#: to its members: they restrain nobody who moves money, a fee goes into the bank's own
#: books, and one that takes the whole amount is refused at every withdrawal
#: (:class:`NothingLeftAfterFee`). They stay with the bank's manager, audited.
CONTROL_FIELDS = ("separate_approver_and_payer",)


def update_bank(
    session: SessionLike, actor: Actor, bank_code: str, changes: Mapping[str, Any]
) -> Bank:
    """Change a bank's district (kecamatan) and withdrawal rules (its manager or an admin).

    Keys absent from ``changes`` stay as they are; a ``district`` of ``None`` or blank
    clears it. A changed district is audited (``bank.district``), the rules as in
    :func:`update_counter_settings`, which also says who may change a control.
    """
    require(actor, Action.BANK_SETTINGS_WRITE)
    bank = find_bank(session, actor, bank_code)
    # The rules first: a refused control leaves the district unchanged too.
    if any(field in changes for field in WITHDRAWAL_RULE_FIELDS):
        update_counter_settings(session, actor, bank.code, changes)
    if "district" in changes:
        district = clean_district(changes["district"])
        if district != bank.district:
            before = {"district": bank.district}
            bank.district = district
            session.flush()
            audit(
                session,
                actor,
                "bank.district",
                bank,
                bank_id=bank.id,
                before=before,
                after={"district": district},
            )
    return bank


def _check_controls(
    actor: Actor,
    bank: Bank,
    settings: BankCounterSettings,
    changes: Mapping[str, Any],
) -> None:
    """Refuse a changed control unless ``actor`` stands above ``bank``.

    Sending a control unchanged is fine (a client may PATCH the whole rule set).

    :raises PermissionDenied: naming the control and who may change it.
    """
    for field in CONTROL_FIELDS:
        if field not in changes or changes[field] == getattr(settings, field):
            continue
        if actor.can(Action.BANK_CONTROLS_WRITE) and oversees(actor, bank.ref):
            continue
        who = (
            f"an admin or the manager of {bank.parent.code}"
            if bank.parent is not None
            else "an admin"
        )
        raise PermissionDenied(
            f"Only {who} changes {field} at {bank.code}: it is a control on the "
            "bank's own staff.",
            field=field,
        )


def update_counter_settings(
    session: SessionLike, actor: Actor, bank_code: str, changes: Mapping[str, Any]
) -> BankCounterSettings:
    """Change a bank's withdrawal minimum, fee and approver rule.

    The bank's manager (or an induk's manager for its units, or an admin) sets the
    minimum and the fee; a control (:data:`CONTROL_FIELDS`) only an admin or, for a unit,
    its induk's manager. Every call is audited (``bank.settings``) with the rules before
    and after and who changed them.

    :raises PermissionDenied: a control changed by the bank's own manager.
    """
    require(actor, Action.BANK_SETTINGS_WRITE)
    bank = find_bank(session, actor, bank_code)
    settings = counter_settings(session, bank)
    _check_controls(actor, bank, settings, changes)
    fields = WITHDRAWAL_RULE_FIELDS
    before = {field: getattr(settings, field) for field in fields}
    for field in fields:
        if field in changes:
            setattr(settings, field, changes[field])
    # 100 % would take every withdrawal whole, whichever of the two fields changed.
    if settings.fee_kind == "percent" and settings.fee_value >= 10_000:
        raise InvalidValue(
            "A percentage fee is below 10000 basis points (100 %).", field="fee_value"
        )
    session.flush()
    audit(
        session,
        actor,
        "bank.settings",
        bank,
        bank_id=bank.id,
        before=before,
        after={field: getattr(settings, field) for field in fields},
    )
    return settings


# -- statements and receipts --------------------------------------------------------------
@dataclass(frozen=True)
class StatementLine:
    entry: LedgerEntry
    balance_rp: int


@dataclass(frozen=True)
class Statement:
    """A member's savings book for a period: opening balance, entries, closing balance."""

    member: Member
    opening_rp: int
    lines: list[StatementLine]
    closing_rp: int


def statement(
    session: SessionLike,
    actor: Actor,
    member_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> Statement:
    """Entries of ``[start, end)`` with the running balance after each."""
    member = get_member(session, actor, member_id)
    opening = 0
    if start is not None:
        opening = int(
            session.scalar(
                sa.select(
                    sa.func.coalesce(sa.func.sum(LedgerEntry.amount_rp), 0)
                ).where(
                    LedgerEntry.member_id == member.id, LedgerEntry.created_at < start
                )
            )
            or 0
        )
    query = sa.select(LedgerEntry).where(LedgerEntry.member_id == member.id)
    if start is not None:
        query = query.where(LedgerEntry.created_at >= start)
    if end is not None:
        query = query.where(LedgerEntry.created_at < end)
    entries = list(
        session.scalars(query.order_by(LedgerEntry.created_at, LedgerEntry.id))
    )
    balances = ledger.running_balances(opening, [e.amount_rp for e in entries])
    return Statement(
        member=member,
        opening_rp=opening,
        lines=[StatementLine(e, b) for e, b in zip(entries, balances, strict=True)],
        closing_rp=balances[-1] if balances else opening,
    )


def receipt_by_code(session: SessionLike, code: str) -> Deposit | Withdrawal | None:
    """The deposit or payout behind a public verification code (no actor: it is public)."""
    token = cards.normalize_token(code)
    if token is None:
        return None
    deposit = session.scalar(sa.select(Deposit).where(Deposit.verify_code == token))
    if deposit is not None:
        return deposit
    return session.scalar(sa.select(Withdrawal).where(Withdrawal.verify_code == token))


def day_transactions(
    session: SessionLike, actor: Actor, bank: Bank, day: dt.date
) -> tuple[list[Deposit], list[Withdrawal]]:
    """A bank's deposits and paid withdrawals on a local calendar day (end-of-day count)."""
    require(actor, Action.MEMBERS_READ)
    zone = ZoneInfo(bank.timezone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = start + dt.timedelta(days=1)
    deposits = list(
        session.scalars(
            sa.select(Deposit)
            .where(
                Deposit.bank_id == bank.id,
                Deposit.occurred_at >= start,
                Deposit.occurred_at < end,
            )
            .options(selectinload(Deposit.member))
            .order_by(Deposit.occurred_at)
        )
    )
    payouts = list(
        session.scalars(
            sa.select(Withdrawal)
            .where(
                Withdrawal.bank_id == bank.id,
                Withdrawal.paid_at >= start,
                Withdrawal.paid_at < end,
            )
            .options(selectinload(Withdrawal.member))
            .order_by(Withdrawal.paid_at)
        )
    )
    return deposits, payouts
