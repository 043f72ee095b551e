"""Database models of the waste-bank domain: cities, banks, users, members, cards, audit."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wastebank.access import BankRef, Role
from wastebank.extensions import UTCDateTime, db

if TYPE_CHECKING:
    from wastebank.models.counter import BankCounterSettings


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC (what every ``*_at`` column stores)."""
    return dt.datetime.now(dt.UTC)


BANK_KINDS = ("unit", "induk")
MEMBER_KINDS = ("person", "collective")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class City(db.Model):  # type: ignore[name-defined]
    """A city (kota/kabupaten) whose DLH oversees the banks, bins and routes in it."""

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    province: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    dlh_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )


class Bank(db.Model):  # type: ignore[name-defined]
    """A waste bank: a unit (BSU) or an induk (BSI) that units may belong to."""

    __tablename__ = "banks"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('unit', 'induk')", name="kind"),
        # Only units have a parent (and it must be an induk, which the service checks).
        sa.CheckConstraint(
            "kind = 'unit' OR parent_id IS NULL", name="induk_no_parent"
        ),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name="not_own_parent"
        ),
        sa.CheckConstraint("next_member_seq >= 1", name="next_member_seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=True, index=True
    )
    city_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cities.id"), nullable=True, index=True
    )
    address: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    #: the kecamatan the bank is in, spelled as on the city's bins (``Bin.district``),
    #: so that the DLH dashboard can put banks and bins of a district side by side
    district: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    latitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: comma-separated weekday abbreviations (``sat,sun``); empty means by appointment
    opening_days: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    #: the next member sequence number; only ever increases, so numbers are never reused
    next_member_seq: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )

    parent: Mapped[Bank | None] = relationship(remote_side=[id], back_populates="units")
    units: Mapped[list[Bank]] = relationship(back_populates="parent")
    city: Mapped[City | None] = relationship()
    #: withdrawal rules and the receipt counter (None until first set or used)
    counter_settings: Mapped[BankCounterSettings | None] = relationship(viewonly=True)

    @property
    def ref(self) -> BankRef:
        """The facts :func:`wastebank.access.reaches` needs."""
        return BankRef(bank_id=self.id, city_id=self.city_id, parent_id=self.parent_id)

    @property
    def opening_days_list(self) -> list[str]:
        return [day for day in self.opening_days.split(",") if day]


class User(db.Model):  # type: ignore[name-defined]
    """A person who logs in: admin, DLH staff, bank manager, cashier or driver."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'dlh', 'manager', 'cashier', 'driver')", name="role"
        ),
        sa.CheckConstraint(
            "role NOT IN ('manager', 'cashier') OR bank_id IS NOT NULL",
            name="bank_role_has_bank",
        ),
        sa.CheckConstraint("role <> 'dlh' OR city_id IS NOT NULL", name="dlh_has_city"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    full_name: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    bank_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=True, index=True
    )
    city_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cities.id"), nullable=True, index=True
    )
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    last_login_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )

    bank: Mapped[Bank | None] = relationship()
    city: Mapped[City | None] = relationship()

    # Flask-Login's protocol, written out so the model does not inherit a mixin.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class ApiToken(db.Model):  # type: ignore[name-defined]
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()


class UserSession(db.Model):  # type: ignore[name-defined]
    """A browser login. The signed session cookie carries a random key; only its SHA-256
    is stored, and every request checks it here, so that logging out, a password change
    or deactivation ends the session on the server (a copied cookie stops working)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id"), nullable=False, index=True
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):  # type: ignore[name-defined]
    """Login attempts in the current window from one source address: for one username,
    or (``username`` empty) for every username tried from the address. Kept in the
    database so that every gunicorn worker counts on the same rows."""

    __tablename__ = "login_throttles"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    #: set by the first attempt over the limit; every attempt is refused until then
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Member(db.Model):  # type: ignore[name-defined]
    """A member (nasabah) of one bank: the buku induk nasabah. Never deleted."""

    __tablename__ = "members"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "seq"),
        sa.CheckConstraint("kind IN ('person', 'collective')", name="kind"),
        sa.CheckConstraint("nik IS NULL OR length(nik) = 16", name="nik_length"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    member_no: Mapped[str] = mapped_column(sa.String(48), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="person")
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str | None] = mapped_column(sa.String(20), nullable=True, index=True)
    address: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    rt: Mapped[str | None] = mapped_column(sa.String(3), nullable=True)
    rw: Mapped[str | None] = mapped_column(sa.String(3), nullable=True)
    kelurahan: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    nik: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    #: bumped by every money-moving command; the UPDATE is the member's lock (a row lock on
    #: PostgreSQL, the write lock on SQLite), so a member's commands never interleave
    ledger_version: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, server_default="0"
    )
    joined_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    bank: Mapped[Bank] = relationship()
    cards: Mapped[list[MemberCard]] = relationship(
        back_populates="member", order_by="MemberCard.id"
    )

    @property
    def active_card(self) -> MemberCard | None:
        """The card that resolves today (the newest one not revoked)."""
        live = [card for card in self.cards if card.revoked_at is None]
        return live[-1] if live else None


class MemberCard(db.Model):  # type: ignore[name-defined]
    """A printed card; reissuing one revokes the previous token for good."""

    __tablename__ = "member_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id"), nullable=False, index=True
    )
    # Stored as is (not hashed): cards must be printable again at any time. The token is
    # random and carries no personal data; see README "Member cards".
    token: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    issued_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    member: Mapped[Member] = relationship(back_populates="cards")


class AuditEntry(db.Model):  # type: ignore[name-defined]
    """Append-only record of permission-relevant and money-moving actions."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    object_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    object_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    bank_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=True, index=True
    )
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
