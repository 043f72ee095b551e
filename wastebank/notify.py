"""Member notifications, the pure part: phone numbers, message texts, request bodies, retries.

Nothing here touches the database or the network. :mod:`wastebank.services.notifications`
writes the outbox rows; :mod:`wastebank.notifications_worker` sends them.

Messages are Indonesian and short: an SMS of more than 160 GSM-7 characters is billed as
several, so the SMS form leaves out the greeting and the thanks.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from wastebank.ledger import format_rp

#: Channel kinds a bank may configure.
CHANNEL_KINDS = ("whatsapp_http", "sms_http")
#: What a notification is about.
NOTIFICATION_KINDS = ("deposit", "payout")
#: ``pending`` waits for the worker; ``sent`` got a 2xx; ``failed`` gave up (a 4xx, or
#: out of retries); ``skipped`` was never sendable (no phone, opted out, channel off).
NOTIFICATION_STATUSES = ("pending", "sent", "failed", "skipped")

#: Delays before the 2nd, 3rd, ... attempt (1 min, 5 min, 30 min, 2 h); the attempt
#: after the last delay is the last one, so a message is tried at most 5 times.
RETRY_DELAYS_S = (60, 300, 1800, 7200)
MAX_ATTEMPTS = len(RETRY_DELAYS_S) + 1
#: A gateway's Retry-After is honoured up to this long (it may not park us for days).
MAX_RETRY_AFTER_S = 6 * 3600

PHONE_PLACEHOLDER = "{phone}"
PHONE_DIGITS_PLACEHOLDER = "{phone_digits}"
MESSAGE_PLACEHOLDER = "{message}"
#: The body sent when a channel has no template of its own.
DEFAULT_BODY_TEMPLATE: dict[str, Any] = {"phone": "{phone}", "message": "{message}"}

_SEPARATORS = re.compile(r"[\s\-.()/]")


def normalise_phone(raw: str | None) -> str | None:
    """An Indonesian mobile number in E.164 (``+628…``), or None when it is not one.

    Accepts what members write on forms: ``0812-3456-789``, ``62812…``, ``+62 812…``,
    ``0062812…`` and ``812…``. Landlines and foreign numbers give None: WhatsApp and
    SMS gateways of an Indonesian bank reach mobiles (``8`` after the country code,
    9 to 12 digits in all).

    :param raw: the number as stored on the member, or None.
    :returns: ``+62`` followed by 9 to 12 digits, or None.
    """
    if raw is None:
        return None
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+"):
        text = text[1:]
        if not text.startswith("62"):
            return None
    elif text.startswith("0062"):
        text = text[2:]
    if not text.isdigit() or not text.isascii():
        return None
    if text.startswith("62"):
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        national = text
    if not national.startswith("8") or not 9 <= len(national) <= 12:
        return None
    return f"+62{national}"


def format_kg(weight_kg: Decimal) -> str:
    """``12,5 kg`` in the Indonesian way (decimal comma, no trailing zeros)."""
    text = f"{weight_kg.normalize():f}" if weight_kg else "0"
    return f"{text.replace('.', ',')} kg"


@dataclass(frozen=True)
class DepositFacts:
    """What a deposit message says."""

    bank_name: str
    member_name: str
    receipt_no: str
    total_rp: int
    #: kilograms of the kg lines (pieces and litres are not weighed)
    weight_kg: Decimal
    #: ``save`` (credited to savings) or ``cash`` (paid on the spot)
    mode: str
    balance_rp: int


@dataclass(frozen=True)
class PayoutFacts:
    """What a payout message says."""

    bank_name: str
    member_name: str
    receipt_no: str
    amount_rp: int
    fee_rp: int
    net_rp: int
    balance_rp: int


def deposit_message(facts: DepositFacts, *, short: bool = False) -> str:
    """The Indonesian text sent after a deposit.

    :param facts: the deposit, its member and the balance after it.
    :param short: the SMS form (one 160-character SMS for ordinary names and amounts).
    """
    weight = f"{format_kg(facts.weight_kg)}, " if facts.weight_kg > 0 else ""
    how = "ditabung" if facts.mode == "save" else "dibayar tunai"
    amount = format_rp(facts.total_rp)
    balance = format_rp(facts.balance_rp)
    if short:
        return (
            f"{facts.bank_name}: setoran {facts.receipt_no} {weight}{amount} ({how}). "
            f"Saldo {balance}."
        )
    return (
        f"Halo {facts.member_name}, setoran sampah Anda di {facts.bank_name} sudah "
        f"dicatat. No. {facts.receipt_no}: {weight}{amount} ({how}). "
        f"Saldo tabungan Anda sekarang {balance}. Terima kasih sudah memilah sampah!"
    )


def payout_message(facts: PayoutFacts, *, short: bool = False) -> str:
    """The Indonesian text sent after a withdrawal was paid out.

    :param facts: the payout, its member and the balance after it.
    :param short: the SMS form.
    """
    fee = (
        f" (biaya {format_rp(facts.fee_rp)}, diterima {format_rp(facts.net_rp)})"
        if facts.fee_rp
        else ""
    )
    amount = format_rp(facts.amount_rp)
    balance = format_rp(facts.balance_rp)
    if short:
        return (
            f"{facts.bank_name}: penarikan {facts.receipt_no} {amount}{fee} dibayar. "
            f"Saldo {balance}."
        )
    return (
        f"Halo {facts.member_name}, penarikan tabungan Anda di {facts.bank_name} "
        f"sudah dibayarkan. No. {facts.receipt_no}: {amount}{fee}. "
        f"Sisa saldo tabungan Anda {balance}."
    )


def template_problem(template: Any) -> str | None:
    """Why a channel's JSON body template cannot be used, or None when it can.

    A template is a JSON object whose string values may hold ``{phone}``,
    ``{phone_digits}`` and ``{message}``; the message and one form of the phone must
    appear somewhere, or the gateway could not know what to send to whom.
    """
    if not isinstance(template, dict) or not template:
        return "The body template must be a non-empty JSON object."
    strings = list(_strings(template))
    if not any(MESSAGE_PLACEHOLDER in s for s in strings):
        return "The body template must contain {message}."
    if not any(
        PHONE_PLACEHOLDER in s or PHONE_DIGITS_PLACEHOLDER in s for s in strings
    ):
        return "The body template must contain {phone} or {phone_digits}."
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def render_body(template: dict[str, Any] | None, phone: str, message: str) -> bytes:
    """The JSON request body for one message.

    Placeholders are replaced inside the template's strings, after parsing and before
    serialising, so a message with quotes or braces can never break the JSON or add
    fields (no ``str.format`` on the template).

    :param template: the channel's template, or None for :data:`DEFAULT_BODY_TEMPLATE`.
    :param phone: the recipient in E.164 (``+628…``).
    :param message: the text.
    :returns: UTF-8 JSON.
    """
    values = {
        PHONE_PLACEHOLDER: phone,
        PHONE_DIGITS_PLACEHOLDER: phone.lstrip("+"),
        MESSAGE_PLACEHOLDER: message,
    }

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            # One pass over the placeholders, so a message containing "{phone}" stays.
            return re.sub(
                r"\{phone\}|\{phone_digits\}|\{message\}",
                lambda match: values[match.group(0)],
                value,
            )
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    body = fill(template if template is not None else DEFAULT_BODY_TEMPLATE)
    return json.dumps(body, ensure_ascii=False).encode()


class Outcome(StrEnum):
    """What to do with a message after one attempt."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


def classify(status_code: int | None) -> Outcome:
    """Sent, retried or given up, by the gateway's HTTP status.

    :param status_code: the answer's status, or None when there was none (timeout,
        refused or reset connection, DNS failure).
    :returns: SENT for 2xx; RETRY for no answer, 5xx, 429 and 408 (the gateway's own
        timeout); FAILED for any other status (a 4xx is our request's fault and a 3xx
        means the URL is wrong: repeating it will not help).
    """
    if status_code is None:
        return Outcome.RETRY
    if 200 <= status_code < 300:
        return Outcome.SENT
    if status_code >= 500 or status_code in (408, 429):
        return Outcome.RETRY
    return Outcome.FAILED


def next_attempt_at(
    attempts: int, now: dt.datetime, *, retry_after_s: int | None = None
) -> dt.datetime | None:
    """When to try again after ``attempts`` failed attempts, or None to give up.

    :param attempts: attempts made so far, the failed one included (1 or more).
    :param now: the time of the failed attempt (timezone-aware).
    :param retry_after_s: the gateway's ``Retry-After`` in seconds, if it sent one; it
        lengthens the delay, never shortens it, and counts up to :data:`MAX_RETRY_AFTER_S`.
    :returns: ``now`` plus 1 min, 5 min, 30 min, 2 h after the 1st to 4th attempt;
        None after the 5th.
    """
    if attempts >= MAX_ATTEMPTS:
        return None
    delay_s = RETRY_DELAYS_S[max(attempts, 1) - 1]
    if retry_after_s is not None:
        delay_s = max(delay_s, min(retry_after_s, MAX_RETRY_AFTER_S))
    return now + dt.timedelta(seconds=delay_s)


def parse_retry_after(value: str | None) -> int | None:
    """Seconds from a ``Retry-After`` header given in seconds (dates are ignored)."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


# -- which gateways may be called ---------------------------------------------------------
#: The setting that lists the gateway hosts a bank may configure.
ALLOWED_HOSTS_SETTING = "WASTEBANK_NOTIFY_ALLOWED_HOSTS"


def allowed_hosts(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The allow-list from its setting: a list, or one comma-separated string."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(h.strip().lower().rstrip(".") for h in items if h.strip())


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def gateway_host_problem(
    host: str, addresses: Iterable[str], allowed: Sequence[str]
) -> str | None:
    """Why the worker may not POST to ``host``, or None when it may.

    A bank manager types the gateway URL, and the worker keeps the start of a
    gateway's error answer where the manager can read it; without a rule, that
    makes the server a proxy into its own network (SSRF). The rule: a host on the
    allow-list (``api.example.com`` or ``*.example.com``) is always fine; with an
    allow-list, nothing else is; without one, any host whose addresses are all
    public is.

    :param host: the URL's host name or IP literal.
    :param addresses: what it resolves to (the literal itself for an IP).
    :param allowed: the allow-list, see :func:`allowed_hosts`.
    """
    name = host.lower().rstrip(".").strip("[]")
    if any(_host_matches(name, pattern) for pattern in allowed):
        return None
    if allowed:
        return (
            f"The gateway host {name} is not among the allowed hosts ("
            + ", ".join(allowed)
            + f"); the administrator sets them in {ALLOWED_HOSTS_SETTING}."
        )
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            return f"The gateway host {name} resolves to an unusable address."
        if not ip.is_global:
            return (
                f"The gateway host {name} is a private or local address ({ip}); "
                f"the administrator must list it in {ALLOWED_HOSTS_SETTING}."
            )
    return None


def ip_literal(host: str) -> str | None:
    """``host`` as an IP address string when it is one, else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None
