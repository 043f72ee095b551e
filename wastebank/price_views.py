"""A bank's price list page (managers): the prices in force, a form to set one, the rules.

A price set here goes through the API's :class:`~wastebank.schemas.PriceSetSchema` and
:func:`wastebank.services.set_price`, so the same limits hold (the induk's floor and
ceiling, the catalogue's maximum per waste type), each refusal shown next to its field.
The bank's withdrawal rules are shown read-only: the fee and minimum are changed through
the API, and the rule that approver and payer differ only by someone above the bank.
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_date
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import ValidationError

from wastebank import ledger, services
from wastebank.access import Action, Actor
from wastebank.auth import ui_actor
from wastebank.counter_forms import parse_amount_rp
from wastebank.exceptions import (
    CategoryNotFound,
    InvalidValue,
    PriceAboveMaximum,
    PriceOutOfBounds,
    WasteBankError,
)
from wastebank.extensions import db
from wastebank.models import Bank, utcnow
from wastebank.schemas import PriceSetSchema

bp = Blueprint("prices", __name__)

#: The form's amount fields and the service arguments they become.
_AMOUNTS = {"price": "price_rp", "floor": "floor_rp", "ceiling": "ceiling_rp"}
#: A service or schema field name -> the form field its error is shown next to.
_FORM_FIELD = {
    "category": "category",
    "effective_from": "effective_from",
    **{arg: name for name, arg in _AMOUNTS.items()},
}


def _prices_actor() -> Actor:
    """The logged-in user, who must be allowed to set prices (managers, admins)."""
    actor = ui_actor()
    if not actor.can(Action.PRICES_WRITE):
        abort(403)
    return actor


def _render(
    actor: Actor,
    bank: Bank,
    form: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The page: the form, every category with its price in force, the rules."""
    _bank, quotes = services.price_list(db.session, actor, bank.code)
    in_force = {quote.category.code: quote for quote in quotes}
    categories = services.list_categories(db.session)
    today = services.local_date(bank, utcnow())
    page = render_template(
        "backoffice/prices.html",
        bank=bank,
        categories=categories,
        rows=[(category, in_force.get(category.code)) for category in categories],
        short_date=lambda day: format_date(day, "medium", locale=get_locale()),
        rules=services.counter_settings(db.session, bank),
        today=today,
        form=form or {"effective_from": today.isoformat()},
        errors=errors or {},
    )
    return page, status


@bp.get("/banks/<bank_code>/prices")
@login_required
def show_prices(bank_code: str) -> Any:
    """The bank's prices in force today and the form to set one."""
    actor = _prices_actor()
    return _render(actor, services.get_bank(db.session, actor, bank_code))


def _load_form(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form as :class:`PriceSetSchema` loads it, or the errors by form field."""
    errors: dict[str, list[str]] = {}
    raw: dict[str, Any] = {"effective_from": form["effective_from"] or None}
    if not form["category"]:
        errors["category"] = [_("Choose a waste type.")]
    for name, arg in _AMOUNTS.items():
        amount = parse_amount_rp(form[name]) if form[name] else None
        if form[name] and amount is None:
            errors[name] = [_("Enter an amount in whole rupiah, for example 1.500.")]
        raw[arg] = amount
    if raw["price_rp"] is None and "price" not in errors:
        errors["price"] = [_("Enter the price in whole rupiah.")]
    if errors:
        return {}, errors
    try:
        return PriceSetSchema().load(raw), {}
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        return {}, {
            _FORM_FIELD.get(key, "price"): [
                _("Enter a date.")
                if key == "effective_from"
                else _("Enter an amount in whole rupiah, for example 1.500.")
            ]
            for key in messages
        }


def _refusal(error: WasteBankError, bank: Bank) -> str:
    """A sentence in the user's language for what :func:`services.set_price` refused."""
    if isinstance(error, PriceAboveMaximum):
        return _(
            "Above the catalogue's maximum for this waste type: at most %(max)s per "
            "unit. An admin changes the maximum.",
            max=ledger.format_rp(error.max_price_rp),
        )
    if isinstance(error, PriceOutOfBounds):
        return _("Outside the floor and ceiling the induk set for this waste type.")
    if isinstance(error, CategoryNotFound):
        return _("Choose a waste type.")
    if bank.kind == "induk":  # the bounds an induk gives its units contradict
        return _("The floor is above the ceiling.")
    return _("Only an induk sets a floor and a ceiling for its units.")


@bp.post("/banks/<bank_code>/prices")
@login_required
def set_price(bank_code: str) -> Any:
    """Set a buying price from a date on; a refused one is shown again with the reason."""
    actor = _prices_actor()
    bank = services.get_bank(db.session, actor, bank_code)
    form = {
        name: request.form.get(name, "").strip()
        for name in ("category", "effective_from", *_AMOUNTS)
    }
    args, errors = _load_form(form)
    if errors:
        return _render(actor, bank, form, errors, 422)
    try:
        services.set_price(
            db.session,
            actor,
            bank.code,
            form["category"],
            price_rp=args["price_rp"],
            effective_from=args["effective_from"]
            or services.local_date(bank, utcnow()),
            floor_rp=args["floor_rp"],
            ceiling_rp=args["ceiling_rp"],
        )
    except (CategoryNotFound, InvalidValue) as exc:
        db.session.rollback()
        field = _FORM_FIELD.get(exc.field or "", "price")
        return _render(actor, bank, form, {field: [_refusal(exc, bank)]}, 422)
    db.session.commit()
    flash(_("Price saved."), "success")
    return redirect(url_for("prices.show_prices", bank_code=bank.code), 303)
