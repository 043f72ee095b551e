"""Models of shipments from a unit bank to its induk.

A shipment is the induk's purchase, so the induk decides what it is worth: the unit
dispatches quantities only (its stock goes out at average cost, "in transit"), and the
induk's staff weigh what arrived and receive it at the induk's buying prices in force. Only
then does the shipment enter the induk's stock and both banks' cash books. Until then, or
when it is rejected or cancelled, no money moves.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wastebank.extensions import UTCDateTime, db
from wastebank.models.core import Bank, User, utcnow

#: in_transit: dispatched, not yet decided by the induk; received: weighed and paid at
#: the induk's prices; rejected (by the induk) or cancelled (by the unit): the waste went
#: back into the unit's stock at the cost it left with.
SHIPMENT_STATUSES = ("in_transit", "received", "rejected", "cancelled")
#: The statuses in which the waste is back at the unit and nothing was paid.
RETURNED_STATUSES = ("rejected", "cancelled")


class Shipment(db.Model):  # type: ignore[name-defined]
    """A unit's shipment to its induk: the dispatch note (surat jalan) and its receipt."""

    __tablename__ = "shipments"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "idempotency_key"),
        sa.UniqueConstraint("induk_bank_id", "receive_idempotency_key"),
        sa.CheckConstraint(
            "status IN ('in_transit', 'received', 'rejected', 'cancelled')",
            name="status",
        ),
        sa.CheckConstraint("cost_rp >= 0", name="cost_not_negative"),
        sa.CheckConstraint(
            "value_rp IS NULL OR value_rp >= 0", name="value_not_negative"
        ),
        # A received shipment has its receipt; one that is not has none.
        sa.CheckConstraint(
            "(status = 'received') = (received_at IS NOT NULL AND value_rp IS NOT NULL)",
            name="received_has_value",
        ),
        sa.CheckConstraint(
            "(status IN ('rejected', 'cancelled')) = (returned_at IS NOT NULL)",
            name="returned_has_time",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the unit that dispatched it
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    #: the unit's induk, which receives it
    induk_bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    #: the dispatch note's number, from the unit's receipt sequence (``BSU01-P000012``)
    receipt_no: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(12), nullable=False, default="in_transit"
    )
    #: dispatched weight of the kg lines
    total_weight_kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    #: the unit's average cost of everything that left its stock
    cost_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    dispatched_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    dispatched_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    received_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True, index=True
    )
    received_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    #: received weight of the kg lines, as weighed at the induk
    received_weight_kg: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 3), nullable=True
    )
    #: what the induk pays: the received quantities at its buying prices in force
    value_rp: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    receive_note: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    receive_idempotency_key: Mapped[str | None] = mapped_column(
        sa.String(80), nullable=True
    )
    receive_request_hash: Mapped[str | None] = mapped_column(
        sa.String(64), nullable=True
    )

    #: when a rejected or cancelled shipment went back into the unit's stock
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    returned_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    return_reason: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)

    bank: Mapped[Bank] = relationship(foreign_keys=[bank_id])
    induk_bank: Mapped[Bank] = relationship(foreign_keys=[induk_bank_id])
    dispatched_by: Mapped[User | None] = relationship(foreign_keys=[dispatched_by_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])
    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment",
        order_by="ShipmentLine.id",
        cascade="all, delete-orphan",
    )

    @property
    def in_transit(self) -> bool:
        return self.status == "in_transit"

    @property
    def margin_rp(self) -> int | None:
        """The unit's margin: what the induk paid less the cost of what left (received)."""
        return None if self.value_rp is None else self.value_rp - self.cost_rp


class ShipmentLine(db.Model):  # type: ignore[name-defined]
    """One waste type of a shipment: dispatched, and (once received) weighed and valued."""

    __tablename__ = "shipment_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("cost_rp >= 0", name="cost_not_negative"),
        sa.CheckConstraint(
            "received_quantity IS NULL OR received_quantity >= 0",
            name="received_not_negative",
        ),
        sa.CheckConstraint(
            "amount_rp IS NULL OR amount_rp >= 0", name="amount_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shipments.id"), nullable=False, index=True
    )
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("waste_categories.id"), nullable=False, index=True
    )
    category_code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    category_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    material: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    #: dispatched, in the category's unit (kg for kg categories)
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    #: the unit's average cost of the dispatched quantity
    cost_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    #: weighed at the induk (None until received; 0 when nothing of it arrived)
    received_quantity: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 3), nullable=True
    )
    #: the induk's buying price per unit in force on the day of receipt (None for a
    #: shipment recorded before receipts existed with a lump amount)
    price_rp: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    #: received quantity times price, rounded once (None until received)
    amount_rp: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")

    @property
    def variance(self) -> Decimal | None:
        """Received less dispatched (negative: less arrived); None until received."""
        if self.received_quantity is None:
            return None
        return Decimal(self.received_quantity) - Decimal(self.quantity)

    @property
    def margin_rp(self) -> int | None:
        return None if self.amount_rp is None else self.amount_rp - self.cost_rp
