"""Services of organisations, members and cards, and the helpers every service uses.

Every service takes the SQLAlchemy session first and an :class:`~wastebank.access.Actor`
when the action is scoped; it flushes but never commits (the adapter commits).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from wastebank import cards, ledger
from wastebank.access import Action, Actor, Role, reaches, require
from wastebank.exceptions import (
    BankNotFound,
    CardNotFound,
    CardRevoked,
    CategoryNotFound,
    DuplicateCode,
    IdempotencyKeyReused,
    InvalidHierarchy,
    InvalidPeriod,
    InvalidReference,
    InvalidValue,
    MemberNotFound,
    PermissionDenied,
    WasteBankError,
)
from wastebank.extensions import SessionLike
from wastebank.models import (
    WEEKDAYS,
    AuditEntry,
    Bank,
    BankCounterSettings,
    City,
    LedgerEntry,
    Member,
    MemberCard,
    User,
    WasteCategory,
    utcnow,
)

#: Longest district (kecamatan) name, as ``Bank.district`` and ``Bin.district`` hold.
DISTRICT_MAX_LENGTH = 120


# -- helpers ---------------------------------------------------------------------------
def actor_for(user: User) -> Actor:
    """The access-control view of a logged-in user."""
    return Actor(
        role=Role(user.role),
        user_id=user.id,
        bank_id=user.bank_id,
        city_id=user.city_id,
    )


def find_bank(session: SessionLike, actor: Actor, code: str) -> Bank:
    """The bank with ``code`` if the actor reaches it, else :class:`BankNotFound`.

    No role check: the caller has required the action it is about to do.
    """
    bank = session.scalar(sa.select(Bank).where(Bank.code == code.strip().upper()))
    if bank is None or not reaches(actor, bank.ref):
        raise BankNotFound(f"No bank with code {code}.")
    return bank


def find_category(
    session: SessionLike,
    code: str,
    *,
    field_name: str = "category",
    error: type[WasteBankError] = CategoryNotFound,
) -> WasteCategory:
    """The active category with ``code``, else ``error`` on ``field_name``.

    :param error: :class:`CategoryNotFound` (404) when the category is the resource,
        :class:`InvalidReference` (422) when a request line merely names it.
    """
    category = session.scalar(
        sa.select(WasteCategory).where(WasteCategory.code == code.strip().upper())
    )
    if category is None or not category.active:
        raise error(f"No category with code {code}.", field=field_name)
    return category


def check_quantity(
    quantity: Decimal,
    *,
    field_name: str,
    maximum: Decimal = ledger.MAX_LINE_QUANTITY,
    too_large: str = ledger.TOO_LARGE,
    not_a_number: str = ledger.NOT_A_NUMBER,
) -> None:
    """Raise :class:`InvalidValue` on ``field_name`` unless ``quantity`` may be a line.

    The rule is :func:`wastebank.ledger.check_quantity`; the keyword arguments are
    passed to it (the back office allows larger lines and words them differently).
    """
    problem = ledger.check_quantity(
        quantity, maximum=maximum, too_large=too_large, not_a_number=not_a_number
    )
    if problem:
        raise InvalidValue(problem, field=field_name)


def member_balance_rp(session: SessionLike, member_id: int) -> int:
    """A member's savings balance: the sum of their ledger entries, in rupiah."""
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_rp), 0)).where(
                LedgerEntry.member_id == member_id
            )
        )
        or 0
    )


def visible_bank_filter(actor: Actor) -> sa.ColumnElement[bool]:
    """SQL condition on :class:`Bank` equivalent to :func:`wastebank.access.reaches`."""
    if actor.role is Role.ADMIN:
        return sa.true()
    if actor.role is Role.DLH and actor.city_id is not None:
        return Bank.city_id == actor.city_id
    if actor.role is Role.MANAGER and actor.bank_id is not None:
        return sa.or_(Bank.id == actor.bank_id, Bank.parent_id == actor.bank_id)
    if actor.role is Role.CASHIER and actor.bank_id is not None:
        return Bank.id == actor.bank_id
    return sa.false()


def audit(
    session: SessionLike,
    actor: Actor,
    action: str,
    obj: Any,
    *,
    bank_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append an audit entry for ``action`` on ``obj`` (a model with an ``id``)."""
    session.add(
        AuditEntry(
            actor_id=actor.user_id,
            action=action,
            object_type=type(obj).__name__,
            object_id=str(obj.id),
            bank_id=bank_id,
            before=dict(before) if before is not None else None,
            after=dict(after) if after is not None else None,
        )
    )


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"Unknown time zone {name!r}.", field="timezone") from None
    return name


# -- cities and banks ------------------------------------------------------------------
def create_city(
    session: SessionLike,
    *,
    code: str,
    name: str,
    timezone: str,
    province: str | None = None,
    dlh_name: str | None = None,
) -> City:
    """Create a city; ``code`` is short and upper-case (``AMB``)."""
    code = code.strip().upper()
    if session.scalar(sa.select(City.id).where(City.code == code)) is not None:
        raise DuplicateCode(f"A city with code {code} already exists.", field="code")
    city = City(
        code=code,
        name=name,
        timezone=_check_timezone(timezone),
        province=province,
        dlh_name=dlh_name,
    )
    session.add(city)
    session.flush()
    return city


def get_city(session: SessionLike, code: str) -> City:
    """The city with ``code`` or :class:`InvalidReference`."""
    city = session.scalar(sa.select(City).where(City.code == code.strip().upper()))
    if city is None:
        raise InvalidReference(f"No city with code {code}.", field="city")
    return city


def control_room_city(session: SessionLike, actor: Actor, code: str | None) -> City:
    """The city whose collection the actor runs: a DLH's own, or any for an admin.

    :param code: the city an admin asks for; a DLH's own city is used whatever it is.
    :raises PermissionDenied: the role runs no city's collection.
    :raises InvalidReference: an admin named no city, or an unknown one.
    """
    require(actor, Action.ROUTES_WRITE)
    if actor.role is not Role.ADMIN:
        city = session.get(City, actor.city_id) if actor.city_id is not None else None
        if city is None:
            raise PermissionDenied("Your account belongs to no city.")
        return city
    if not code:
        raise InvalidReference("Choose a city.", field="city")
    return get_city(session, code)


def list_cities(session: SessionLike) -> list[City]:
    """Every city, by code."""
    return list(session.scalars(sa.select(City).order_by(City.code)).all())


def list_city_drivers(session: SessionLike, actor: Actor, city: City) -> list[User]:
    """The active drivers of a city, by username, for giving them routes.

    :raises PermissionDenied: the actor may not plan that city's routes.
    """
    require(actor, Action.ROUTES_WRITE)
    if actor.role is not Role.ADMIN and actor.city_id != city.id:
        raise PermissionDenied("You may only see the drivers of your own city.")
    return list(
        session.scalars(
            sa.select(User)
            .where(
                User.role == Role.DRIVER.value,
                User.city_id == city.id,
                User.active.is_(True),
            )
            .order_by(User.username)
        ).all()
    )


def create_bank(
    session: SessionLike,
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None = None,
    city_code: str | None = None,
    address: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    timezone: str | None = None,
    opening_days: list[str] | None = None,
    district: str | None = None,
) -> Bank:
    """Create a bank. A unit's parent must be an induk; an induk has no parent.

    The time zone defaults to the city's, then to Asia/Jayapura (WIT, Ambon).

    :param district: the kecamatan, spelled as on the city's bins; blank = none.
    """
    require(actor, Action.BANKS_WRITE)
    code = code.strip().upper()
    if kind not in ("unit", "induk"):
        raise InvalidValue(f"Unknown bank kind {kind!r}.", field="kind")
    if session.scalar(sa.select(Bank.id).where(Bank.code == code)) is not None:
        raise DuplicateCode(f"A bank with code {code} already exists.", field="code")
    parent = None
    if parent_code:
        parent = session.scalar(
            sa.select(Bank).where(Bank.code == parent_code.strip().upper())
        )
        if parent is None:
            raise InvalidReference(f"No bank with code {parent_code}.", field="parent")
        if kind != "unit" or parent.kind != "induk":
            raise InvalidHierarchy(
                "Only a unit can have a parent, and the parent must be an induk.",
                field="parent",
            )
    city = (
        get_city(session, city_code) if city_code else (parent.city if parent else None)
    )
    days = [day.lower() for day in opening_days or []]
    if any(day not in WEEKDAYS for day in days):
        raise InvalidValue(
            "Opening days are mon, tue, wed, thu, fri, sat, sun.", field="opening_days"
        )
    bank = Bank(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        city=city,
        address=address,
        district=clean_district(district),
        latitude=latitude,
        longitude=longitude,
        timezone=_check_timezone(
            timezone or (city.timezone if city else "Asia/Jayapura")
        ),
        opening_days=",".join(sorted(set(days), key=WEEKDAYS.index)),
    )
    session.add(bank)
    session.flush()
    audit(session, actor, "bank.create", bank, bank_id=bank.id, after={"code": code})
    return bank


def clean_district(district: str | None) -> str | None:
    """A district (kecamatan) name with spaces tidied; ``None`` when blank.

    :raises InvalidValue: longer than 120 characters.
    """
    text = " ".join((district or "").split())
    if len(text) > DISTRICT_MAX_LENGTH:
        raise InvalidValue(
            f"A district name has at most {DISTRICT_MAX_LENGTH} characters.",
            field="district",
        )
    return text or None


def get_bank(session: SessionLike, actor: Actor, code: str) -> Bank:
    """The bank with ``code`` if the actor reaches it, else :class:`BankNotFound`."""
    require(actor, Action.BANKS_READ)
    return find_bank(session, actor, code)


def list_banks(session: SessionLike, actor: Actor) -> list[Bank]:
    """Every bank the actor reaches, ordered by code."""
    require(actor, Action.BANKS_READ)
    return list(
        session.scalars(
            sa.select(Bank).where(visible_bank_filter(actor)).order_by(Bank.code)
        )
    )


# -- members ---------------------------------------------------------------------------
MEMBER_FIELDS = (
    "name",
    "kind",
    "phone",
    "address",
    "rt",
    "rw",
    "kelurahan",
    "nik",
    "active",
)


def _member_snapshot(member: Member) -> dict[str, Any]:
    return {field: getattr(member, field) for field in MEMBER_FIELDS}


def _writable_bank(session: SessionLike, actor: Actor, code: str) -> Bank:
    require(actor, Action.MEMBERS_WRITE)
    bank = session.scalar(sa.select(Bank).where(Bank.code == code.strip().upper()))
    if bank is None:
        raise InvalidReference(f"No bank with code {code}.", field="bank")
    if not reaches(actor, bank.ref):
        raise PermissionDenied(f"You may not register members at bank {bank.code}.")
    return bank


def member_number(bank: Bank, seq: int) -> str:
    """The printed member number, e.g. ``AMB-BSU01-000123`` (city, bank, sequence)."""
    prefix = f"{bank.city.code}-" if bank.city is not None else ""
    return f"{prefix}{bank.code}-{seq:06d}"


def register_member(
    session: SessionLike, actor: Actor, *, bank: str, **fields: Any
) -> Member:
    """Register a member at the bank with code ``bank`` and issue their first card.

    The member number comes from the bank's counter, incremented by one UPDATE (a row
    lock on PostgreSQL), so concurrent registrations never share or reuse a number.
    """
    bank_obj = _writable_bank(session, actor, bank)
    seq = (
        session.execute(
            sa.update(Bank)
            .where(Bank.id == bank_obj.id)
            .values(next_member_seq=Bank.next_member_seq + 1)
            .returning(Bank.next_member_seq)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        - 1
    )
    member = Member(
        bank=bank_obj,
        seq=seq,
        member_no=member_number(bank_obj, seq),
        **{key: value for key, value in fields.items() if key in MEMBER_FIELDS},
    )
    session.add(member)
    session.flush()
    session.add(MemberCard(member=member, token=cards.new_token()))
    session.flush()
    audit(
        session,
        actor,
        "member.create",
        member,
        bank_id=bank_obj.id,
        after=_member_snapshot(member),
    )
    return member


def get_member(session: SessionLike, actor: Actor, member_id: int) -> Member:
    """The member if the actor reaches their bank, else :class:`MemberNotFound`."""
    require(actor, Action.MEMBERS_READ)
    member = session.get(Member, member_id)
    if member is None or not reaches(actor, member.bank.ref):
        raise MemberNotFound(f"No member with id {member_id}.")
    return member


def search_members(
    session: SessionLike,
    actor: Actor,
    *,
    bank: str | None = None,
    q: str | None = None,
    active: bool | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Member], int]:
    """Members the actor reaches, optionally of one bank and matching ``q``.

    ``q`` matches part of the name, member number or phone number, ignoring case.

    :returns: one page of members ordered by member number, and the total count.
    """
    require(actor, Action.MEMBERS_READ)
    query = sa.select(Member).join(Member.bank).where(visible_bank_filter(actor))
    if bank:
        bank_obj = session.scalar(
            sa.select(Bank).where(Bank.code == bank.strip().upper())
        )
        if bank_obj is None:
            raise InvalidReference(f"No bank with code {bank}.", field="bank")
        if not reaches(actor, bank_obj.ref):
            raise PermissionDenied(
                f"You may not see the members of bank {bank_obj.code}."
            )
        query = query.where(Member.bank_id == bank_obj.id)
    if q and q.strip():
        escaped = (
            q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        pattern = f"%{escaped}%"
        query = query.where(
            sa.or_(
                Member.name.ilike(pattern, escape="\\"),
                Member.member_no.ilike(pattern, escape="\\"),
                Member.phone.ilike(pattern, escape="\\"),
            )
        )
    if active is not None:
        query = query.where(Member.active == active)
    total = (
        session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    )
    items = session.scalars(
        query.options(selectinload(Member.bank).selectinload(Bank.city))
        .order_by(Member.member_no)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return list(items), total


def update_member(
    session: SessionLike, actor: Actor, member_id: int, changes: Mapping[str, Any]
) -> Member:
    """Change a member's details; ``active: False`` deactivates (members are never deleted)."""
    member = get_member(session, actor, member_id)
    require(actor, Action.MEMBERS_WRITE)
    before = _member_snapshot(member)
    for key, value in changes.items():
        if key in MEMBER_FIELDS:
            setattr(member, key, value)
    session.flush()
    after = _member_snapshot(member)
    if after != before:
        audit(
            session,
            actor,
            "member.update",
            member,
            bank_id=member.bank_id,
            before=before,
            after=after,
        )
    return member


# -- cards -----------------------------------------------------------------------------
def member_card(session: SessionLike, actor: Actor, member_id: int) -> MemberCard:
    """The member's current card (one is issued if the member somehow has none)."""
    member = get_member(session, actor, member_id)
    card = member.active_card
    if card is None:
        require(actor, Action.CARDS_REISSUE)
        card = MemberCard(member=member, token=cards.new_token())
        session.add(card)
        session.flush()
    return card


def resolve_card(session: SessionLike, actor: Actor, scanned: str) -> Member:
    """The member a scanned card token belongs to.

    :raises CardNotFound: the text is no token, no card has it, or the card's bank is
        outside the actor's reach (indistinguishable on purpose).
    :raises CardRevoked: the card was replaced by a reissued one.
    """
    require(actor, Action.MEMBERS_READ)
    token = cards.normalize_token(scanned)
    card = (
        session.scalar(sa.select(MemberCard).where(MemberCard.token == token))
        if token
        else None
    )
    if card is None or not reaches(actor, card.member.bank.ref):
        raise CardNotFound("No member card with this code.")
    if card.revoked_at is not None:
        raise CardRevoked("This card was replaced by a new one and no longer works.")
    return card.member


def reissue_card(session: SessionLike, actor: Actor, member_id: int) -> MemberCard:
    """Revoke the member's current card(s) and issue a new token (lost or damaged card)."""
    member = get_member(session, actor, member_id)
    require(actor, Action.CARDS_REISSUE)
    now = utcnow()
    for card in member.cards:
        if card.revoked_at is None:
            card.revoked_at = now
    card = MemberCard(member=member, token=cards.new_token(), issued_at=now)
    session.add(card)
    session.flush()
    audit(session, actor, "card.reissue", member, bank_id=member.bank_id)
    return card


def bank_cards(
    session: SessionLike, actor: Actor, bank_code: str
) -> tuple[Bank, list[Member]]:
    """A bank's active members with their cards, for the print sheet."""
    bank = get_bank(session, actor, bank_code)
    require(actor, Action.MEMBERS_READ)
    members = session.scalars(
        sa.select(Member)
        .where(Member.bank_id == bank.id, Member.active.is_(True))
        .options(selectinload(Member.cards))
        .order_by(Member.seq)
    )
    return bank, list(members)


def next_receipt_no(session: SessionLike, bank: Bank, prefix: str) -> str:
    """``BSU01-D000042``: the bank's one receipt sequence, shared by deposits (D),
    payouts (W) and sales (S), so a number never repeats across kinds."""
    for _attempt in range(2):
        seq = session.execute(
            sa.update(BankCounterSettings)
            .where(BankCounterSettings.bank_id == bank.id)
            .values(next_receipt_seq=BankCounterSettings.next_receipt_seq + 1)
            .returning(BankCounterSettings.next_receipt_seq)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if seq is not None:
            return f"{bank.code}-{prefix}{seq - 1:06d}"
        try:
            with session.begin_nested():
                session.add(BankCounterSettings(bank_id=bank.id))
        except IntegrityError:
            pass  # another request created it first; the UPDATE now finds it
    raise RuntimeError(f"no counter settings for bank {bank.code}")  # pragma: no cover


def idempotent_replay(existing: Any, request_hash: str, what: str) -> Any:
    """The stored record of a repeated ``Idempotency-Key``, if the request is the same.

    :raises IdempotencyKeyReused: the key was used for a different request.
    """
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused(
            f"This Idempotency-Key was used for a different {what}; use a new key."
        )
    return existing


def add_idempotent(session: SessionLike, record: Any) -> None:
    """Insert a record that carries an idempotency key, in a savepoint.

    :raises IdempotencyKeyReused: a concurrent request took the same key first.
    """
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        raise IdempotencyKeyReused(
            "This Idempotency-Key is in use by another request; use a new key."
        ) from None


def period_bounds(
    zone: str, start: dt.date | None, end: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``[start, end]`` local calendar days as UTC-comparable ``[from, to)`` instants.

    :raises InvalidPeriod: ``end`` is before ``start``.
    """
    if start and end and end < start:
        raise InvalidPeriod("The end date is before the start date.", field="to")
    tz = ZoneInfo(zone)
    return (
        dt.datetime.combine(start, dt.time(), tz) if start else None,
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz) if end else None,
    )
