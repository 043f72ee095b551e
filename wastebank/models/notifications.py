"""Models of member notifications: each bank's gateway, the outbox, and opt-outs.

The outbox row is written in the transaction of the deposit or payout it reports, so a
message exists exactly when the money moved; a separate worker sends it later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wastebank.extensions import UTCDateTime, db
from wastebank.models.core import Bank, Member, utcnow
from wastebank.notify import CHANNEL_KINDS, NOTIFICATION_KINDS, NOTIFICATION_STATUSES


class BankNotificationChannel(db.Model):  # type: ignore[name-defined]
    """How one bank reaches its members: a WhatsApp gateway or an SMS service over HTTP.

    ``auth_token`` is a secret: it is stored because every request needs it, and never
    leaves the server (schemas show only whether one is set).
    """

    __tablename__ = "bank_notification_channels"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {CHANNEL_KINDS!r}", name="kind"),
        sa.CheckConstraint(
            "url LIKE 'http://%' OR url LIKE 'https://%'", name="url_http"
        ),
    )

    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    #: e.g. ``Authorization`` (with a token ``Bearer …``) or ``X-Api-Key``
    auth_header: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    auth_token: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    #: JSON object with ``{phone}``/``{phone_digits}`` and ``{message}``; None = default
    body_template: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )

    bank: Mapped[Bank] = relationship()

    @property
    def auth_token_set(self) -> bool:
        """Whether a secret token is stored (what the API shows instead of the token)."""
        return bool(self.auth_token)


class NotificationOptOut(db.Model):  # type: ignore[name-defined]
    """A member who asked not to receive WhatsApp or SMS messages from the bank."""

    __tablename__ = "notification_opt_outs"

    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id"), primary_key=True
    )
    opted_out_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )


class Notification(db.Model):  # type: ignore[name-defined]
    """One message to a member about one deposit or payout (the outbox)."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {NOTIFICATION_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"status IN {NOTIFICATION_STATUSES!r}", name="status"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # Exactly one source, matching the kind.
        sa.CheckConstraint(
            "(kind = 'deposit' AND deposit_id IS NOT NULL AND withdrawal_id IS NULL)"
            " OR (kind = 'payout' AND withdrawal_id IS NOT NULL AND deposit_id IS NULL)",
            name="one_source",
        ),
        sa.CheckConstraint(
            "status NOT IN ('pending', 'sent') OR recipient IS NOT NULL",
            name="sendable_has_recipient",
        ),
        # What the worker scans: due pending rows.
        sa.Index(
            "ix_notifications_status_next_attempt_at", "status", "next_attempt_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("banks.id"), nullable=False, index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    # One message per source at most: a replayed or raced request cannot add a second.
    deposit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deposits.id"), nullable=True, unique=True
    )
    withdrawal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("withdrawals.id"), nullable=True, unique=True
    )
    #: the channel kind the text was written for (SMS texts are shorter)
    channel_kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    #: E.164, ``+628…``; None only on a skipped row
    recipient: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )
    #: why it failed or was skipped; for a retry, what went wrong last time
    last_error: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    bank: Mapped[Bank] = relationship()
    member: Mapped[Member] = relationship()
