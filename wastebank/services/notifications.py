"""Services of member notifications: the outbox, each bank's gateway, opt-outs, the queue.

The counter calls :func:`queue_deposit_notification` and :func:`queue_payout_notification`
inside its own transaction (a transactional outbox): the message row commits with the money
or not at all, and writing it can never make a deposit fail. The sender worker
(:mod:`wastebank.notifications_worker`) claims due rows with :func:`claim_due`, sends them
outside any transaction, and records each answer with :func:`record_attempt`.

Which rows are written:

- no gateway, or a disabled one: **no row** (nothing could send it, and a backlog must not
  go out in a burst when a gateway is switched on later);
- a gateway, but the member has no usable mobile number or opted out: a **skipped** row
  with the reason, so the manager can see why a member got nothing;
- otherwise a **pending** row, due at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from wastebank import notify
from wastebank.access import Action, Actor, reaches
from wastebank.exceptions import (
    ChannelDisabled,
    InvalidTransition,
    InvalidValue,
    NotificationChannelNotFound,
    NotificationNotFound,
)
from wastebank.extensions import SessionLike
from wastebank.models import (
    Bank,
    BankNotificationChannel,
    Deposit,
    Member,
    Notification,
    NotificationOptOut,
    Withdrawal,
    utcnow,
)
from wastebank.services.core import (
    audit,
    get_bank,
    get_member,
    member_balance_rp,
    require,
)

log = logging.getLogger(__name__)

#: Marks "leave the stored token as it is" in :func:`set_channel`.
KEEP = object()

_SKIP_NO_PHONE = "The member has no mobile number (08…/+628…) to send to."
_SKIP_OPTED_OUT = "The member asked not to receive messages."
_SKIP_CHANNEL_OFF = "The bank's gateway was switched off before sending."


# -- the outbox: written by the counter ------------------------------------------------
def _recipient(session: SessionLike, member: Member) -> tuple[str | None, str | None]:
    """The member's E.164 number, or None and why not."""
    if session.get(NotificationOptOut, member.id) is not None:
        return None, _SKIP_OPTED_OUT
    phone = notify.normalise_phone(member.phone)
    if phone is None:
        return None, _SKIP_NO_PHONE
    return phone, None


def _queue(
    session: SessionLike,
    *,
    bank: Bank,
    member: Member,
    source: Deposit | Withdrawal,
    now: dt.datetime | None,
) -> Notification | None:
    """Write the outbox row of one deposit or payout; never raise.

    Runs in a savepoint: whatever goes wrong here (a bug, a constraint) is logged and
    rolled back alone, and the counter's transaction carries on without a message.
    """
    # Most banks have no gateway: find that out without a savepoint.
    channel = session.get(BankNotificationChannel, bank.id)
    if channel is None or not channel.enabled:
        return None
    try:
        with session.begin_nested():
            phone, skip_reason = _recipient(session, member)
            short = channel.kind == "sms_http"
            balance_rp = member_balance_rp(session, member.id)
            if isinstance(source, Deposit):
                kind = "deposit"
                text = notify.deposit_message(
                    notify.DepositFacts(
                        bank_name=bank.name,
                        member_name=member.name,
                        receipt_no=source.receipt_no,
                        total_rp=source.total_rp,
                        weight_kg=source.total_weight_kg,
                        mode=source.mode,
                        balance_rp=balance_rp,
                    ),
                    short=short,
                )
            else:
                kind = "payout"
                text = notify.payout_message(
                    notify.PayoutFacts(
                        bank_name=bank.name,
                        member_name=member.name,
                        receipt_no=source.receipt_no,
                        amount_rp=source.amount_rp,
                        fee_rp=source.fee_rp,
                        net_rp=source.net_rp,
                        balance_rp=balance_rp,
                    ),
                    short=short,
                )
            now = now or utcnow()
            notification = Notification(
                bank_id=bank.id,
                member_id=member.id,
                kind=kind,
                deposit_id=source.id if kind == "deposit" else None,
                withdrawal_id=source.id if kind == "payout" else None,
                channel_kind=channel.kind,
                recipient=phone,
                message=text,
                status="pending" if phone else "skipped",
                attempts=0,
                next_attempt_at=now if phone else None,
                last_error=skip_reason,
                created_at=now,
                updated_at=now,
            )
            session.add(notification)
            session.flush()
            return notification
    except Exception:
        # A message is a courtesy; the member's money is not. Log and carry on.
        log.exception(
            "Could not queue the %s notification of %s",
            type(source).__name__,
            source.receipt_no,
        )
        return None


def queue_deposit_notification(
    session: SessionLike, deposit: Deposit, *, now: dt.datetime | None = None
) -> Notification | None:
    """Queue the message about a deposit just recorded (in the deposit's transaction).

    :returns: the pending or skipped row, or None when the bank has no enabled gateway
        (or writing it failed, which is logged and never raised).
    """
    return _queue(
        session, bank=deposit.bank, member=deposit.member, source=deposit, now=now
    )


def queue_payout_notification(
    session: SessionLike, withdrawal: Withdrawal, *, now: dt.datetime | None = None
) -> Notification | None:
    """Queue the message about a withdrawal just paid (in the payment's transaction)."""
    return _queue(
        session,
        bank=withdrawal.bank,
        member=withdrawal.member,
        source=withdrawal,
        now=now,
    )


# -- the gateway of a bank -----------------------------------------------------------------
def _channel_snapshot(channel: BankNotificationChannel) -> dict[str, Any]:
    # The token itself never goes into the audit log either.
    return {
        "kind": channel.kind,
        "url": channel.url,
        "auth_header": channel.auth_header,
        "auth_token_set": channel.auth_token_set,
        "body_template": channel.body_template,
        "enabled": channel.enabled,
    }


def get_channel(
    session: SessionLike, actor: Actor, bank_code: str
) -> BankNotificationChannel:
    """The bank's gateway (its manager or an admin).

    :raises NotificationChannelNotFound: none was configured.
    """
    require(actor, Action.NOTIFICATIONS_READ)
    bank = get_bank(session, actor, bank_code)
    channel = session.get(BankNotificationChannel, bank.id)
    if channel is None:
        raise NotificationChannelNotFound(
            f"Bank {bank.code} has no notification gateway."
        )
    return channel


def set_channel(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    *,
    kind: str,
    url: str,
    auth_header: str | None = None,
    auth_token: str | object | None = KEEP,
    body_template: dict[str, Any] | None = None,
    enabled: bool = True,
    allowed_hosts: Sequence[str] = (),
) -> BankNotificationChannel:
    """Create or replace the bank's gateway.

    :param auth_token: the secret; :data:`KEEP` (the default) leaves a stored one as it
        is, so a manager can change the URL without typing the secret again; None
        removes it.
    :raises InvalidValue: the body template lacks ``{message}`` or a phone placeholder,
        or a token is given without a header name; the URL's host is not allowed
        (see :func:`wastebank.notify.gateway_host_problem`; host names are
        resolved only when sending).
    :param allowed_hosts: the installation's gateway allow-list.
    """
    require(actor, Action.NOTIFICATIONS_WRITE)
    bank = get_bank(session, actor, bank_code)
    host = urlsplit(url).hostname or ""
    literal = notify.ip_literal(host)
    problem = notify.gateway_host_problem(
        host, [literal] if literal else [], allowed_hosts
    )
    if problem:
        raise InvalidValue(problem, field="url")
    if body_template is not None:
        problem = notify.template_problem(body_template)
        if problem:
            raise InvalidValue(problem, field="body_template")
    channel = session.get(BankNotificationChannel, bank.id)
    before = _channel_snapshot(channel) if channel is not None else None
    if channel is None:
        channel = BankNotificationChannel(bank_id=bank.id)
        session.add(channel)
    token = channel.auth_token if auth_token is KEEP else auth_token
    if token and not auth_header:
        raise InvalidValue(
            "A secret token needs the name of the header that carries it.",
            field="auth_header",
        )
    channel.kind = kind
    channel.url = url
    channel.auth_header = auth_header
    channel.auth_token = token if isinstance(token, str) and token else None
    channel.body_template = body_template
    channel.enabled = enabled
    channel.updated_by_id = actor.user_id
    session.flush()
    audit(
        session,
        actor,
        "notification_channel.set",
        channel.bank,
        bank_id=bank.id,
        before=before,
        after=_channel_snapshot(channel),
    )
    return channel


# -- the outbox as the back office sees it -----------------------------------------------
def list_notifications(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    *,
    status: str | None = None,
    kind: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Notification], int]:
    """One page of a bank's messages, newest first, and the total count."""
    require(actor, Action.NOTIFICATIONS_READ)
    bank = get_bank(session, actor, bank_code)
    query = sa.select(Notification).where(Notification.bank_id == bank.id)
    if status:
        query = query.where(Notification.status == status)
    if kind:
        query = query.where(Notification.kind == kind)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.options(selectinload(Notification.member))  # the schema shows member_no
        .order_by(Notification.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return list(items), int(total or 0)


def retry_notification(
    session: SessionLike,
    actor: Actor,
    notification_id: int,
    *,
    now: dt.datetime | None = None,
) -> Notification:
    """Send a failed message again, with a fresh round of attempts.

    The recipient is read again from the member, so a corrected phone number is used.

    :raises InvalidTransition: the message is not ``failed``.
    :raises ChannelDisabled: the bank has no enabled gateway now.
    :raises InvalidValue: the member has no usable number now, or opted out.
    """
    require(actor, Action.NOTIFICATIONS_WRITE)
    notification = session.get(Notification, notification_id)
    if notification is None or not reaches(actor, notification.bank.ref):
        raise NotificationNotFound(f"No notification with id {notification_id}.")
    if notification.status != "failed":
        raise InvalidTransition(
            f"Only a failed message can be retried; this one is {notification.status}."
        )
    channel = session.get(BankNotificationChannel, notification.bank_id)
    if channel is None or not channel.enabled:
        raise ChannelDisabled("The bank's gateway is not enabled; enable it first.")
    phone, problem = _recipient(session, notification.member)
    if phone is None:
        raise InvalidValue(problem or _SKIP_NO_PHONE, field="member")
    now = now or utcnow()
    notification.recipient = phone
    notification.status = "pending"
    notification.attempts = 0
    notification.next_attempt_at = now
    notification.updated_at = now
    session.flush()
    audit(
        session,
        actor,
        "notification.retry",
        notification,
        bank_id=notification.bank_id,
        after={"last_error": notification.last_error},
    )
    return notification


# -- opt-out -----------------------------------------------------------------------------
def opted_out_at(
    session: SessionLike, actor: Actor, member_id: int
) -> dt.datetime | None:
    """When the member opted out of messages, or None."""
    member = get_member(session, actor, member_id)
    opt_out = session.get(NotificationOptOut, member.id)
    return opt_out.opted_out_at if opt_out is not None else None


def set_opt_out(
    session: SessionLike, actor: Actor, member_id: int, *, opted_out: bool
) -> dt.datetime | None:
    """Record the member's wish (at the counter); later messages are skipped.

    :returns: when they opted out, or None when they (again) receive messages.
    """
    member = get_member(session, actor, member_id)
    require(actor, Action.MEMBERS_WRITE)
    opt_out = session.get(NotificationOptOut, member.id)
    if opted_out and opt_out is None:
        opt_out = NotificationOptOut(member_id=member.id, recorded_by_id=actor.user_id)
        session.add(opt_out)
        session.flush()
        audit(
            session, actor, "member.notifications_off", member, bank_id=member.bank_id
        )
    elif not opted_out and opt_out is not None:
        session.delete(opt_out)
        session.flush()
        audit(session, actor, "member.notifications_on", member, bank_id=member.bank_id)
        return None
    return opt_out.opted_out_at if opt_out is not None else None


# -- the queue: used by the sender worker (no actor: it is the system) ------------------
@dataclass(frozen=True)
class OutgoingMessage:
    """Everything needed to send one claimed message, detached from the session."""

    id: int
    #: attempts including this one; the result is recorded only if it still matches
    attempt: int
    url: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt gave."""

    #: the answer's status, or None when there was none (timeout, refused, reset)
    status_code: int | None
    #: what to keep in ``last_error`` when it was not a success
    error: str | None = None
    #: the gateway's Retry-After, in seconds
    retry_after_s: int | None = None
    #: set when the request could not even be built (retrying cannot help)
    permanent: bool = False


def purge_finished(session: SessionLike, *, before: dt.datetime) -> int:
    """Delete the messages finished (sent, failed, skipped) before ``before``.

    They hold members' phone numbers and the text of their transactions; the deposit
    or payout itself stays in the books, so an old message only says that it was
    sent. Pending messages are never touched.

    :returns: how many were deleted.
    """
    result = session.execute(
        sa.delete(Notification)
        .where(Notification.status != "pending", Notification.created_at < before)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_due(
    session: SessionLike, *, now: dt.datetime, batch: int, lease_s: int
) -> list[OutgoingMessage]:
    """Claim up to ``batch`` due pending messages for this worker.

    One UPDATE counts the attempt and moves ``next_attempt_at`` ``lease_s`` ahead, so no
    other worker takes them while they are in flight; if this worker dies, they fall due
    again when the lease runs out (a message is sent at least once, rarely twice). On
    PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``, so several workers never
    wait for each other. SQLite takes its write lock for the UPDATE instead (one worker
    is the supported set-up there).

    The caller commits before sending: no transaction stays open over the network.
    """
    due = (
        sa.select(Notification.id)
        .where(Notification.status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    ids = list(
        session.scalars(
            sa.update(Notification)
            .where(Notification.id.in_(due))
            .values(
                attempts=Notification.attempts + 1,
                next_attempt_at=now + dt.timedelta(seconds=lease_s),
                updated_at=now,
            )
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not ids:
        return []
    rows = session.execute(
        sa.select(Notification, BankNotificationChannel)
        .outerjoin(
            BankNotificationChannel,
            BankNotificationChannel.bank_id == Notification.bank_id,
        )
        .where(Notification.id.in_(ids))
        .order_by(Notification.next_attempt_at, Notification.id)
        .execution_options(populate_existing=True)
    ).all()
    claimed = []
    for notification, channel in rows:
        if channel is None or not channel.enabled or notification.recipient is None:
            # Switched off after the message was queued: it will not be sent later in
            # a burst either. The claim was not an attempt.
            notification.status = "skipped"
            notification.attempts -= 1
            notification.next_attempt_at = None
            notification.last_error = _SKIP_CHANNEL_OFF
            continue
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if channel.auth_header and channel.auth_token:
            headers[channel.auth_header] = channel.auth_token
        claimed.append(
            OutgoingMessage(
                id=notification.id,
                attempt=notification.attempts,
                url=channel.url,
                headers=headers,
                body=notify.render_body(
                    channel.body_template, notification.recipient, notification.message
                ),
            )
        )
    session.flush()
    return claimed


def record_attempt(
    session: SessionLike,
    message: OutgoingMessage,
    result: AttemptResult,
    *,
    now: dt.datetime,
) -> str | None:
    """Mark a claimed message sent, due again later (backoff), or failed.

    :returns: the new status (``sent``, ``pending`` or ``failed``), or None when the
        claim had run out and another worker took the message meanwhile.
    """
    outcome = (
        notify.Outcome.FAILED
        if result.permanent
        else notify.classify(result.status_code)
    )
    values: dict[str, Any] = {"updated_at": now}
    if outcome is notify.Outcome.SENT:
        values.update(status="sent", sent_at=now, next_attempt_at=None)
    else:
        values["last_error"] = (result.error or "No answer.")[:500]
        retry_at = (
            notify.next_attempt_at(
                message.attempt, now, retry_after_s=result.retry_after_s
            )
            if outcome is notify.Outcome.RETRY
            else None
        )
        if retry_at is None:
            values.update(status="failed", next_attempt_at=None)
        else:
            values.update(status="pending", next_attempt_at=retry_at)
    updated = session.execute(
        sa.update(Notification)
        .where(
            Notification.id == message.id,
            Notification.status == "pending",
            Notification.attempts == message.attempt,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return str(values["status"]) if updated.rowcount else None  # type: ignore[attr-defined]
