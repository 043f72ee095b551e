"""Models of the counter: catalogue, prices, deposits, savings ledger, withdrawals.

Split from :mod:`wastebank.models` to keep each module readable; both define tables on the
same metadata.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wastebank.extensions import UTCDateTime, db
from wastebank.models.core import Bank, Member, User, utcnow

#: SIPSN-usable material classes of the national waste information system.
MATERIALS = (
    "plastic",
    "paper",
    "metal",
    "glass",
    "rubber_leather",
    "textile",
    "organic",
    "used_cooking_oil",
    "e_waste",
    "other",
)
UNITS = ("kg", "pcs", "litre")

#: The ceiling on a price per unit (``max_price_rp``) of a category added without one,
#: by material: about ten times the dearest price a bank or pengepul pays for that
#: material in the sources below, so that no real price is refused and a typing error
#: (a price in the billions) is. Copper is the dearest common metal and e-waste boards
#: come near it. Sources (Rp per kg paid to members or by pengepul): Maluku Tengah DLH
#: bank list (ambon.tribunnews.com, 2021-07-31); Bank Sampah USK, Banda Aceh
#: (aceh.tribunnews.com, 2024-06-22); pengepul in Kota Metro (jejamo.com, 2023-07-14:
#: copper 85,000, brass 55,000, aluminium 18,000); scrap copper 2025 at 105,000-115,000
#: (medialogam.com, "Harga Perkilo Tembaga 2025"); used cooking oil 3,500-5,000 per litre
#: (tempo.co, 2024-08-05). Per-category values of the demo catalogue are in
#: :mod:`wastebank.demo_counter`.
DEFAULT_MAX_PRICE_RP: dict[str, int] = {
    "plastic": 50_000,
    "paper": 25_000,
    "metal": 1_000_000,
    "glass": 10_000,
    "rubber_leather": 25_000,
    "textile": 25_000,
    "organic": 10_000,
    "used_cooking_oil": 60_000,
    "e_waste": 1_000_000,
    "other": 100_000,
}
DEPOSIT_MODES = ("save", "cash")
WITHDRAWAL_METHODS = ("cash", "transfer", "ewallet")
WITHDRAWAL_STATUSES = ("requested", "approved", "paid", "rejected")
#: Statuses whose amount is held (not available) until paid or rejected.
HOLDING_STATUSES = ("requested", "approved")


class WasteCategory(db.Model):  # type: ignore[name-defined]
    """A kind of waste the banks buy (PET bottles, cardboard, copper, used cooking oil...)."""

    __tablename__ = "waste_categories"
    __table_args__ = (
        sa.CheckConstraint(f"material IN {MATERIALS!r}", name="material"),
        sa.CheckConstraint(f"unit IN {UNITS!r}", name="unit"),
        sa.CheckConstraint("max_price_rp > 0", name="max_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    name_id: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    name_en: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    material: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    #: the highest price per unit any bank may pay or ask for it (set by an admin)
    max_price_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )


class PriceRule(db.Model):  # type: ignore[name-defined]
    """A bank's buying price for a category from a date on (history is kept).

    An induk's rule may carry floor and ceiling bounds for its units' own prices.
    """

    __tablename__ = "price_rules"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "category_id", "effective_from"),
        sa.CheckConstraint("price_rp >= 0", name="price_not_negative"),
        sa.CheckConstraint(
            "floor_rp IS NULL OR ceiling_rp IS NULL OR floor_rp <= ceiling_rp",
            name="floor_below_ceiling",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("waste_categories.id"), nullable=False, index=True
    )
    price_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    effective_from: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    floor_rp: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    ceiling_rp: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )

    category: Mapped[WasteCategory] = relationship()
    bank: Mapped[Bank] = relationship()


class Deposit(db.Model):  # type: ignore[name-defined]
    """One weighing at the counter (buku penimbangan). Final once written; never edited."""

    __tablename__ = "deposits"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "idempotency_key"),
        sa.CheckConstraint("mode IN ('save', 'cash')", name="mode"),
        sa.CheckConstraint("total_rp >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id"), nullable=False, index=True
    )
    receipt_no: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    #: the code of the public verification link /r/<code>
    verify_code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    mode: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    total_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    total_weight_kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    reversed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reversed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    reversal_reason: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)

    bank: Mapped[Bank] = relationship()
    member: Mapped[Member] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    lines: Mapped[list[DepositLine]] = relationship(
        back_populates="deposit",
        order_by="DepositLine.id",
        cascade="all, delete-orphan",
    )


class DepositLine(db.Model):  # type: ignore[name-defined]
    """One weighed category with the price in force, snapshotted for ever."""

    __tablename__ = "deposit_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("price_rp >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deposit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("deposits.id"), nullable=False, index=True
    )
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("waste_categories.id"), nullable=False, index=True
    )
    category_code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    category_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    material: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    price_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    value_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    deposit: Mapped[Deposit] = relationship(back_populates="lines")


class Withdrawal(db.Model):  # type: ignore[name-defined]
    """A request to pay out savings: requested -> approved -> paid, or rejected."""

    __tablename__ = "withdrawals"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "idempotency_key"),
        sa.CheckConstraint("amount_rp > 0", name="amount_positive"),
        sa.CheckConstraint(
            "fee_rp >= 0 AND fee_rp <= amount_rp", name="fee_within_amount"
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'paid', 'rejected')", name="status"
        ),
        sa.CheckConstraint("method IN ('cash', 'transfer', 'ewallet')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id"), nullable=False, index=True
    )
    receipt_no: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    verify_code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    amount_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    fee_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    method: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(10), nullable=False, default="requested"
    )
    note: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    requested_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    rejected_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    rejection_reason: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paid_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )

    bank: Mapped[Bank] = relationship()
    member: Mapped[Member] = relationship()

    @property
    def net_rp(self) -> int:
        """What the member receives: the amount less the fee."""
        return self.amount_rp - self.fee_rp


class LedgerEntry(db.Model):  # type: ignore[name-defined]
    """An append-only line of a member's savings book (buku tabungan).

    The balance is the sum of a member's entries; nothing else stores it.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('deposit', 'reversal', 'withdrawal')", name="kind"
        ),
        sa.CheckConstraint("amount_rp <> 0", name="amount_not_zero"),
        # Each source posts at most once: a retried or raced request cannot double-credit.
        sa.UniqueConstraint("kind", "deposit_id"),
        sa.UniqueConstraint("kind", "withdrawal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id"), nullable=False, index=True
    )
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    amount_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    deposit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deposits.id"), nullable=True
    )
    withdrawal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("withdrawals.id"), nullable=True
    )
    description: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )


class BankCounterSettings(db.Model):  # type: ignore[name-defined]
    """A bank's withdrawal rules: minimum, fee, and whether approver and payer differ."""

    __tablename__ = "bank_counter_settings"
    __table_args__ = (
        sa.CheckConstraint("min_withdrawal_rp >= 0", name="min_not_negative"),
        sa.CheckConstraint("fee_kind IN ('none', 'percent', 'fixed')", name="fee_kind"),
        sa.CheckConstraint("fee_value >= 0", name="fee_not_negative"),
    )

    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id"), primary_key=True)
    min_withdrawal_rp: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0
    )
    fee_kind: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="none")
    #: basis points for a percentage fee (250 = 2.5 %), rupiah for a fixed one
    fee_value: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    separate_approver_and_payer: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=True
    )
    next_receipt_seq: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
