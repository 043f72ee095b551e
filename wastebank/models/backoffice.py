"""Models of the back office: stock, buyers, sales, the cash book (shipments: shipments.py).

Stock on hand is the sum of a bank's stock movements per category. :class:`StockLevel`
caches that sum (and its value at average cost) in one row per bank and category, and the
row doubles as the lock that serialises every command moving that stock; a test proves the
cache always equals the movements.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wastebank.extensions import UTCDateTime, db
from wastebank.models.core import Bank, User, utcnow
from wastebank.models.counter import WasteCategory

BUYER_KINDS = ("pengepul", "industry", "induk")
#: The kinds a bank registers and sells to (``induk`` buyers are left from before
#: shipments were the induk's purchases).
SALE_BUYER_KINDS = BUYER_KINDS[:2]
#: deposit (in), deposit_reversal (out), sale (out), shipment_out (out at the unit, into
#: transit), shipment_return (back in at the unit: rejected or cancelled), shipment_in (in
#: at the induk, when received), adjustment (either way, with a reason)
STOCK_MOVEMENT_KINDS = (
    "deposit",
    "deposit_reversal",
    "sale",
    "shipment_out",
    "shipment_return",
    "shipment_in",
    "adjustment",
)
CASH_DIRECTIONS = ("in", "out")
#: Categories of cash-book entries a manager types in (sales and received shipments post
#: their own).
EXPENSE_CATEGORIES = (
    "operations",
    "transport",
    "honorarium",
    "equipment",
    "rent",
    "other",
)
INCOME_CATEGORIES = ("grant", "other_income")
#: Every category a cash entry may carry: the typed ones plus the posted ``sale`` (also a
#: unit paid for a received shipment) and ``purchase`` (an induk paying its unit for one).
CASH_CATEGORIES = (*EXPENSE_CATEGORIES, *INCOME_CATEGORIES, "sale", "purchase")


class StockLevel(db.Model):  # type: ignore[name-defined]
    """Stock on hand of one category at one bank, in the category's unit, at average cost.

    Written only together with a :class:`StockMovement`. Every command that moves the
    stock locks this row first (:func:`wastebank.services.backoffice.lock_stock`: a row
    lock on PostgreSQL, the write lock on SQLite).
    """

    __tablename__ = "stock_levels"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        sa.CheckConstraint("value_rp >= 0", name="value_not_negative"),
    )

    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("waste_categories.id"), primary_key=True
    )
    quantity: Mapped[Decimal] = mapped_column(
        sa.Numeric(12, 3), nullable=False, default=Decimal("0")
    )
    #: what the stock on hand cost (rupiah): its quantity times the average cost
    value_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    #: unused since lock_stock locks with SELECT ... FOR NO KEY UPDATE; left for a
    #: migration to drop
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    category: Mapped[WasteCategory] = relationship()


class Buyer(db.Model):  # type: ignore[name-defined]
    """Someone a bank sells to: a pengepul or an industry buyer.

    Kind ``induk`` is left from when a shipment to the induk was a sale; such buyers are
    no longer created or sold to (a unit dispatches a :class:`Shipment` instead).
    """

    __tablename__ = "buyers"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "name"),
        sa.CheckConstraint("kind IN ('pengepul', 'industry', 'induk')", name="kind"),
        sa.CheckConstraint(
            "(kind = 'induk') = (induk_bank_id IS NOT NULL)", name="induk_has_bank"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    #: for kind ``induk`` (no longer created): the unit's induk
    induk_bank_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=True
    )
    phone: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    address: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    #: Nomor Induk Berusaha, the business licence number of a company buyer
    nib: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )

    bank: Mapped[Bank] = relationship(foreign_keys=[bank_id])
    induk_bank: Mapped[Bank | None] = relationship(foreign_keys=[induk_bank_id])


class Sale(db.Model):  # type: ignore[name-defined]
    """A sale to a pengepul or an industry buyer (buku penjualan), at the bank's prices.

    A unit's shipment to its induk is not a sale: the induk prices it (:class:`Shipment`).
    """

    __tablename__ = "sales"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "idempotency_key"),
        sa.CheckConstraint("total_rp >= 0", name="total_not_negative"),
        sa.CheckConstraint("cost_rp >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    buyer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("buyers.id"), nullable=False, index=True
    )
    receipt_no: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    total_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    #: the stock's average purchase cost of everything sold
    cost_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    total_weight_kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    bank: Mapped[Bank] = relationship(foreign_keys=[bank_id])
    buyer: Mapped[Buyer] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="sale", order_by="SaleLine.id", cascade="all, delete-orphan"
    )

    @property
    def margin_rp(self) -> int:
        """Selling total less the average purchase cost of what was sold."""
        return self.total_rp - self.cost_rp


class SaleLine(db.Model):  # type: ignore[name-defined]
    """One category sold: quantity, selling price, amount, and its purchase cost."""

    __tablename__ = "sale_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("amount_rp >= 0", name="amount_not_negative"),
        sa.CheckConstraint("cost_rp >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sales.id"), nullable=False, index=True
    )
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("waste_categories.id"), nullable=False, index=True
    )
    category_code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    category_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    material: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    #: in the category's unit; for ``kg`` categories this is the weight in kg
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    #: selling price per unit, when the line was priced per unit (None: a lump amount)
    price_rp: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    amount_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    cost_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    sale: Mapped[Sale] = relationship(back_populates="lines")

    @property
    def margin_rp(self) -> int:
        return self.amount_rp - self.cost_rp


class StockAdjustment(db.Model):  # type: ignore[name-defined]
    """A stock-taking correction (stock opname) with its reason."""

    __tablename__ = "stock_adjustments"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "idempotency_key"),
        sa.CheckConstraint("quantity <> 0", name="quantity_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("waste_categories.id"), nullable=False
    )
    #: signed: more found (+) or less found (-) than the books say
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    value_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    category: Mapped[WasteCategory] = relationship()


class StockMovement(db.Model):  # type: ignore[name-defined]
    """One change of a bank's stock of a category; append-only.

    ``quantity`` and ``value_rp`` are signed: positive in, negative out. Out-movements are
    valued at the average cost of the stock at that moment.
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {STOCK_MOVEMENT_KINDS!r}", name="kind"),
        sa.CheckConstraint("quantity <> 0", name="quantity_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("waste_categories.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    value_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    deposit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deposits.id"), nullable=True, index=True
    )
    sale_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sales.id"), nullable=True, index=True
    )
    adjustment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stock_adjustments.id"), nullable=True
    )
    shipment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shipments.id"), nullable=True, index=True
    )
    occurred_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )


class CashEntry(db.Model):  # type: ignore[name-defined]
    """A line of the cash book (buku kas) other than the counter's payouts to members.

    Sales post their income here; a received shipment posts the unit's income and the
    induk's purchase; managers type in expenses and other income. Payouts to members are
    read from the paid withdrawals and cash deposits, never copied here.
    """

    __tablename__ = "cash_entries"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "idempotency_key"),
        sa.CheckConstraint("direction IN ('in', 'out')", name="direction"),
        sa.CheckConstraint(f"category IN {CASH_CATEGORIES!r}", name="category"),
        sa.CheckConstraint("amount_rp > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    direction: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    category: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    amount_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    description: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    sale_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sales.id"), nullable=True, index=True
    )
    shipment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shipments.id"), nullable=True, index=True
    )
    occurred_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    #: None for entries a sale or shipment posts (it carries the key)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    bank: Mapped[Bank] = relationship()
    sale: Mapped[Sale | None] = relationship()
