"""The notification sender: ``flask --app wsgi notifications send``, in its own process.

Each round claims a batch of due messages and commits (see
:func:`wastebank.services.notifications.claim_due`), POSTs them one by one with a
timeout, and commits each answer on its own. No database transaction is open while a
request is on the wire, so a slow gateway never holds a lock the counter needs.
``create_app`` starts nothing: the sender runs only when this command is started.

HTTP uses the standard library (``urllib.request``). Redirects are not followed: a POST
redirected by urllib turns into a GET without its body, and a gateway URL that redirects
is a configuration error to fix, not something to retry.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPException
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from wastebank import __version__, notify
from wastebank.extensions import db
from wastebank.models import utcnow
from wastebank.services import notifications as service
from wastebank.services.notifications import AttemptResult, OutgoingMessage

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_BATCH = 20
DEFAULT_INTERVAL_S = 5.0
#: How much of a gateway's error answer is kept (enough for its error message).
ERROR_BODY_CHARS = 200

Sender = Callable[[OutgoingMessage, float], AttemptResult]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(message: OutgoingMessage, timeout_s: float) -> AttemptResult:
    """POST one message to its gateway and say how it went (never raises for I/O).

    :param message: the claimed message with its URL, headers and JSON body.
    :param timeout_s: for connecting and for each read, in seconds.
    """
    if not message.url.lower().startswith(("http://", "https://")):
        # The schema and a check constraint allow nothing else; never open file: URLs.
        return AttemptResult(None, error="Not an http(s) URL.", permanent=True)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        message.url,
        data=message.body,
        headers={**message.headers, "User-Agent": f"wastebank/{__version__}"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout_s) as response:
            response.read(ERROR_BODY_CHARS)
            return AttemptResult(status_code=response.status)
    except urllib.error.HTTPError as error:
        body = error.read(ERROR_BODY_CHARS).decode("utf-8", "replace")
        return AttemptResult(
            status_code=error.code,
            error=f"HTTP {error.code}: {body}".strip(),
            retry_after_s=notify.parse_retry_after(error.headers.get("Retry-After")),
        )
    except ValueError as error:
        # An unusable URL or header value: repeating the request cannot help.
        return AttemptResult(status_code=None, error=str(error), permanent=True)
    except (urllib.error.URLError, HTTPException, OSError) as error:
        # Refused, reset, timed out, DNS: the gateway may be back later.
        reason = getattr(error, "reason", error)
        return AttemptResult(
            status_code=None, error=f"{type(error).__name__}: {reason}"
        )


def gateway_refusal(url: str, allowed: tuple[str, ...]) -> AttemptResult | None:
    """Resolve the gateway's host and refuse it when it may not be called.

    :returns: None when the message may go; else the result to record: permanent
        for a host that is not allowed, a retry when the name does not resolve.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except ValueError as error:
        return AttemptResult(None, error=f"Unusable URL: {error}", permanent=True)
    except OSError as error:
        return AttemptResult(None, error=f"DNS: {host}: {error}")
    addresses = [str(info[4][0]) for info in infos]
    problem = notify.gateway_host_problem(host, addresses, allowed)
    return (
        None if problem is None else AttemptResult(None, error=problem, permanent=True)
    )


@dataclass
class RoundReport:
    """What one round of the sender did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_due(
    *,
    batch: int = DEFAULT_BATCH,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sender: Sender = post_json,
    now: Callable[[], dt.datetime] = utcnow,
) -> RoundReport:
    """One round: claim up to ``batch`` due messages, send each, record each answer.

    :param sender: how a message goes out; the HTTP POST in production. It is
        not called for a gateway host that may not be called (see
        :func:`gateway_refusal`).
    :param now: the clock (tests move it forward instead of sleeping).
    """
    # The claim must outlast sending the whole batch, or another worker would take
    # messages that are still in flight.
    lease_s = int(batch * timeout_s) + 60
    claimed = service.claim_due(db.session, now=now(), batch=batch, lease_s=lease_s)
    db.session.commit()
    report = RoundReport(claimed=len(claimed))
    allowed = notify.allowed_hosts(current_app.config["NOTIFY_ALLOWED_HOSTS"])
    for message in claimed:
        result = gateway_refusal(message.url, allowed) or sender(message, timeout_s)
        status = service.record_attempt(db.session, message, result, now=now())
        db.session.commit()
        if status == "sent":
            report.sent += 1
        elif status == "pending":
            report.retrying += 1
            log.warning("Notification %s will be retried: %s", message.id, result.error)
        elif status == "failed":
            report.failed += 1
            log.warning("Notification %s failed: %s", message.id, result.error)
    return report


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT; the worker finishes its message and exits."""
    stop = threading.Event()

    def _handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        signum: signal.signal(signum, _handler)
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


notifications_cli = AppGroup(
    "notifications", help="WhatsApp / SMS messages to members."
)


@notifications_cli.command("send")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_INTERVAL_S,
    show_default=True,
    help="Seconds between rounds when nothing was due.",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1, max=500),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Messages claimed per round.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.5, max=120),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="HTTP timeout per message, in seconds.",
)
def send(once: bool, interval: float, batch: int, timeout_s: float) -> None:
    """Send due messages to the banks' gateways, retrying with backoff."""
    total = RoundReport()
    with _stop_on_signals() as stop:
        while not stop.is_set():
            try:
                report = send_due(batch=batch, timeout_s=timeout_s)
            except SQLAlchemyError:
                db.session.rollback()
                if once:
                    raise
                # The database is away for a moment; try again next round.
                log.exception("Notification round failed")
                report = RoundReport()
            for field in ("claimed", "sent", "retrying", "failed"):
                setattr(total, field, getattr(total, field) + getattr(report, field))
            if once:
                # --once drains what is due now (more than one batch if need be).
                if report.claimed < batch:
                    break
                continue
            if report.claimed < batch:
                stop.wait(interval)
    click.echo(json.dumps(total.__dict__))


@notifications_cli.command("purge")
@click.option(
    "--older-than-days",
    "days",
    type=click.IntRange(min=30),
    default=365,
    show_default=True,
    help="Delete finished messages (sent, failed, skipped) created before this.",
)
def purge(days: int) -> None:
    """Delete old finished messages: they hold members' phone numbers and texts."""
    before = utcnow() - dt.timedelta(days=days)
    deleted = service.purge_finished(db.session, before=before)
    db.session.commit()
    click.echo(json.dumps({"deleted": deleted, "before": before.isoformat()}))
