"""The public receipt check behind every receipt's QR code (no login).

It shows only the bank, the date, the total, the status and the member's initials. New
receipts link to ``/receipts/verify#CODE``: the code is in the URL's fragment, which
browsers never send, so it stays out of access logs; a small static script takes it out of
the address bar and history and POSTs it. ``/r/<code>``, on receipts printed before, still
works.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from wastebank import services
from wastebank.extensions import csrf, db
from wastebank.models import Deposit

bp = Blueprint("receipts", __name__)


def initials(name: str) -> str:
    """``Elisabeth Sahetapy`` -> ``E. S.``: enough to recognise a receipt, not a person."""
    return " ".join(f"{word[0].upper()}." for word in name.split() if word[0].isalnum())


@bp.get("/receipts/verify")
def verify_receipt_form() -> Any:
    """Public: the page a receipt's QR code opens (``/receipts/verify#CODE``).

    The code travels in the URL's fragment, which browsers never send: a small script
    (``static/js/verify.js``) takes it out of the address bar and history and POSTs it.
    Without the script, or without a code, the page is a form to type the code into.
    """
    return render_template("wastebank/receipts/verify_form.html")


@bp.post("/receipts/verify")
@csrf.exempt  # a public, read-only lookup: a forged request learns and changes nothing
def check_receipt() -> Any:
    """Public: the result of a receipt check (the code in the POST body)."""
    return _verification(request.form.get("code", ""))


@bp.get("/r/<code>")
def verify_receipt(code: str) -> Any:
    """Public: the check behind the QR codes of receipts printed before the code moved
    into the fragment; kept so that those receipts can still be checked."""
    return _verification(code)


def _verification(code: str) -> Any:
    """Is this receipt real? Only bank, date, total and initials are shown."""
    record = services.receipt_by_code(db.session, code)
    if record is None:
        return render_template("wastebank/receipts/verify_unknown.html"), 404
    at: dt.datetime
    if isinstance(record, Deposit):
        at, total_rp = record.occurred_at, record.total_rp
        kind = _("Deposit")
        status = _("Valid") if record.reversed_at is None else _("Cancelled (reversed)")
        valid = record.reversed_at is None
    else:
        at, total_rp = record.paid_at or record.requested_at, record.amount_rp
        kind = _("Withdrawal")
        status = {
            "requested": _("Requested, not paid yet"),
            "approved": _("Approved, not paid yet"),
            "paid": _("Paid"),
            "rejected": _("Rejected"),
        }[record.status]
        valid = record.status != "rejected"
    return render_template(
        "wastebank/receipts/verify.html",
        kind=kind,
        status=status,
        valid=valid,
        bank=record.bank,
        at=at,
        total_rp=total_rp,
        initials=initials(record.member.name),
    )
