"""Form schemas of the cashier's counter: a deposit with its lines, a withdrawal request.

HTML forms send repeated fields (``category``/``quantity`` once per line); the schemas turn
them into service inputs. They check shape and ranges only: whether a category exists, has
a price, or the balance suffices are service rules. Messages are English msgids that the
view translates (they are marked with ``N_`` so the catalog carries them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate
from werkzeug.datastructures import MultiDict

from wastebank import ledger
from wastebank.fields import Pattern
from wastebank.idempotency import canonical_hash
from wastebank.messages import N_
from wastebank.models import DEPOSIT_MODES, WITHDRAWAL_METHODS
from wastebank.services import DepositLineInput

#: The largest withdrawal the form accepts (Rp1 billion): more is a typing error.
MAX_WITHDRAWAL_RP = 1_000_000_000

# What the view shows, translated; N_ puts the msgids in the catalog.
KEY_MISSING = N_("This form has expired. Please reload the page and enter it again.")
CHOOSE_CATEGORY = N_("Choose a waste type.")
QUANTITY_NOT_A_NUMBER = N_("The quantity must be a number, for example 2,5.")
QUANTITY_NOT_POSITIVE = N_("The quantity must be more than zero.")
QUANTITY_TOO_LARGE = N_(
    "At most %(max)s in one line: split the delivery or check the scale."
)
QUANTITY_TOO_PRECISE = N_("At most three decimals (grams).")
NO_LINES = N_("Add at least one line with a waste type and a quantity.")
LINES_MISMATCH = N_("The lines of the form do not match; please reload the page.")
AMOUNT_NOT_A_NUMBER = N_("Enter the amount in whole rupiah, for example 50.000.")
AMOUNT_OUT_OF_RANGE = N_("The amount must be between Rp1 and Rp1.000.000.000.")
CHOOSE_MEMBER = N_("Scan the member's card first.")
CHOOSE_MODE = N_("Choose how the deposit is settled.")
CHOOSE_METHOD = N_("Choose a payout method.")
NOTE_TOO_LONG = N_("The note is at most 255 characters.")

_KEY = Pattern(r"^[A-Za-z0-9-]{8,80}$", error=KEY_MISSING)
# One optional sign, digits, and at most one decimal mark (after thousands marks are gone).
_QUANTITY = re.compile(r"^(-?)(\d{1,9})(?:[.,](\d{1,9}))?$")
_AMOUNT = re.compile(r"^\d{1,3}(?:([.,]?)\d{3})*$|^\d+$")


def parse_quantity(text: str) -> Decimal | None:
    """Read a quantity as a cashier types it: ``2,5`` (Indonesian) or ``2.5``.

    When both marks occur (``1.234,5`` or ``1,234.5``) the last one is the decimal mark.
    A single mark is always decimal: scales show ``1.500`` for one and a half kilograms.

    :returns: the quantity, or None when the text is not a plain number.
    """
    text = text.strip().replace(" ", "")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal_mark == "," else ",", "")
    match = _QUANTITY.match(text)
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    return Decimal(f"{sign}{whole}.{fraction or '0'}")


def parse_amount_rp(text: str) -> int | None:
    """Read a rupiah amount: ``50000``, ``50.000``, ``Rp 50.000``; None if it is not one."""
    text = text.strip().replace(" ", "")
    if text[:2].lower() == "rp":
        text = text[2:]
    if not _AMOUNT.match(text):
        return None
    return int(text.replace(".", "").replace(",", ""))


def quantity_problem(quantity: Decimal) -> str | None:
    """The msgid of what is wrong with a line quantity, or None when it is fine."""
    if quantity <= 0:
        return QUANTITY_NOT_POSITIVE
    if quantity > ledger.MAX_LINE_QUANTITY:
        return QUANTITY_TOO_LARGE
    if quantity != quantity.quantize(ledger.QUANTITY_PLACES):
        return QUANTITY_TOO_PRECISE
    return None


class DepositFormSchema(Schema):
    """The counter's deposit form: member, settlement mode and parallel line lists.

    Loads to ``{"idempotency_key", "member", "mode", "lines": [DepositLineInput]}``. Rows
    left completely blank are skipped (the page always offers an empty row).
    """

    idempotency_key = fields.String(
        required=True, validate=_KEY, error_messages={"required": KEY_MISSING}
    )
    member = fields.Integer(
        required=True,
        validate=validate.Range(min=1, error=CHOOSE_MEMBER),
        error_messages={"required": CHOOSE_MEMBER, "invalid": CHOOSE_MEMBER},
    )
    mode = fields.String(
        load_default="save", validate=validate.OneOf(DEPOSIT_MODES, error=CHOOSE_MODE)
    )
    category = fields.List(fields.String(), load_default=list)
    quantity = fields.List(fields.String(), load_default=list)

    @post_load
    def _make_lines(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        categories: list[str] = data.pop("category")
        quantities: list[str] = data.pop("quantity")
        if len(categories) != len(quantities):
            raise ValidationError({"lines": [LINES_MISMATCH]})
        lines: list[DepositLineInput] = []
        errors: dict[int, list[str]] = {}
        for index, (raw_code, raw_quantity) in enumerate(
            zip(categories, quantities, strict=True)
        ):
            code, text = raw_code.strip().upper(), raw_quantity.strip()
            if not code and not text:
                continue
            if not code or len(code) > 16:
                errors[index] = [CHOOSE_CATEGORY]
                continue
            quantity = parse_quantity(text)
            problem = (
                QUANTITY_NOT_A_NUMBER
                if quantity is None
                else quantity_problem(quantity)
            )
            if problem is not None or quantity is None:
                errors[index] = [problem or QUANTITY_NOT_A_NUMBER]
                continue
            lines.append(DepositLineInput(category=code, quantity=quantity))
        if errors:
            raise ValidationError({"lines": errors})
        if not lines:
            raise ValidationError({"lines": [NO_LINES]})
        data["lines"] = lines
        return data


class WithdrawalFormSchema(Schema):
    """The counter's withdrawal request form (the amount as typed, dots allowed)."""

    idempotency_key = fields.String(
        required=True, validate=_KEY, error_messages={"required": KEY_MISSING}
    )
    member = fields.Integer(
        required=True,
        validate=validate.Range(min=1, error=CHOOSE_MEMBER),
        error_messages={"required": CHOOSE_MEMBER, "invalid": CHOOSE_MEMBER},
    )
    amount = fields.String(
        required=True, error_messages={"required": AMOUNT_NOT_A_NUMBER}
    )
    method = fields.String(
        load_default="cash",
        validate=validate.OneOf(WITHDRAWAL_METHODS, error=CHOOSE_METHOD),
    )
    note = fields.String(
        load_default=None, validate=validate.Length(max=255, error=NOTE_TOO_LONG)
    )

    @post_load
    def _amount(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        amount_rp = parse_amount_rp(data.pop("amount"))
        if amount_rp is None:
            raise ValidationError({"amount": [AMOUNT_NOT_A_NUMBER]})
        if not 1 <= amount_rp <= MAX_WITHDRAWAL_RP:
            raise ValidationError({"amount": [AMOUNT_OUT_OF_RANGE]})
        data["amount_rp"] = amount_rp
        data["note"] = (data["note"] or "").strip() or None
        return data


def deposit_form_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The deposit fields of a posted form, as :class:`DepositFormSchema` loads them."""
    return {
        "idempotency_key": form.get("idempotency_key", ""),
        "member": form.get("member", ""),
        "mode": form.get("mode", "save"),
        "category": list(form.getlist("category")),
        "quantity": list(form.getlist("quantity")),
    }


def withdrawal_form_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The withdrawal fields of a posted form, as :class:`WithdrawalFormSchema` loads them."""
    return {
        "idempotency_key": form.get("idempotency_key", ""),
        "member": form.get("member", ""),
        "amount": form.get("amount", ""),
        "method": form.get("method", "cash"),
        "note": form.get("note", ""),
    }


def deposit_request_hash(
    member_id: int, mode: str, lines: Sequence[DepositLineInput]
) -> str:
    """SHA-256 of a canonical JSON of member, mode and lines.

    Quantities are written with three decimals, so ``2,5`` and ``2.500`` hash alike: a
    replay of the same weighing is recognised however the cashier typed it.
    """
    return canonical_hash(
        {
            "member": member_id,
            "mode": mode,
            "lines": [
                [line.category, str(line.quantity.quantize(ledger.QUANTITY_PLACES))]
                for line in lines
            ],
        }
    )


def withdrawal_request_hash(
    member_id: int, amount_rp: int, method: str, note: str | None
) -> str:
    """SHA-256 of a canonical JSON of a withdrawal request."""
    return canonical_hash(
        {"member": member_id, "amount_rp": amount_rp, "method": method, "note": note}
    )
