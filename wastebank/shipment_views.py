"""Shipments to the induk in the browser (Indonesian first): dispatch, receive, return.

The unit's staff dispatch a shipment from their stock (quantities only); the induk's
staff see it in transit and receive it with the weighed quantity of every line (errors
next to the line); a unit's manager may cancel it and the induk's manager reject it
while it is in transit. The shipment's page is its dispatch note and, once received, its
receipt; both print on A5. Forms carry an idempotency key made when the page is rendered
(POST/redirect/GET), as the sale form does.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import Schema, ValidationError

from wastebank import services
from wastebank.access import Action, Actor, works_at
from wastebank.backoffice_schemas import ShipmentCreateSchema, ShipmentReceiveSchema
from wastebank.backoffice_views import LABELS, _actor, _period
from wastebank.counter_forms import parse_quantity
from wastebank.exceptions import (
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidTransition,
    InvalidValue,
    NoPrice,
    PermissionDenied,
    WasteBankError,
)
from wastebank.extensions import db
from wastebank.idempotency import canonical_hash, new_form_key
from wastebank.models import Bank, Shipment
from wastebank.schemas import ReasonSchema
from wastebank.services import backoffice, shipments

bp = Blueprint("shipments", __name__)


@bp.context_processor
def _labels() -> dict[str, Any]:
    def label(slug: str) -> str:
        return _(LABELS[slug]) if slug in LABELS else slug

    return {"label": label}


def _may_dispatch(actor: Actor, bank: Bank) -> bool:
    return (
        actor.can(Action.SALES_WRITE)
        and bank.parent_id is not None
        and works_at(actor, bank.id)
    )


def _may_receive(actor: Actor, shipment: Shipment) -> bool:
    return (
        shipment.in_transit
        and actor.can(Action.SHIPMENTS_RECEIVE)
        and works_at(actor, shipment.induk_bank_id)
    )


def _line_error(error: WasteBankError) -> str:
    """What a line's field shows for a domain error of that line."""
    if isinstance(error, InsufficientStock):
        return _("Not enough in stock. Nothing was saved.")
    if isinstance(error, NoPrice):
        return _("The induk has no buying price for this waste type yet.")
    if isinstance(error, InvalidValue) and error.field and "category" in error.field:
        return _("This waste type is on another line already.")
    return _("At most three decimals, and at most 100.000 in one line.")


def _general_error(error: WasteBankError) -> str:
    """What the top of a form shows for an error of the whole shipment."""
    if isinstance(error, IdempotencyKeyReused):
        return _("This form was already used. Check the list, then enter it again.")
    if isinstance(error, InvalidTransition):
        return _("This shipment was received, rejected or cancelled already.")
    return _("The form could not be saved. Please check it and try again.")


def _split(error: WasteBankError, codes: list[str]) -> tuple[dict[str, str], list[str]]:
    """A domain error as (errors by waste type, errors of the whole form)."""
    parts = (error.field or "").split(".")
    if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit():
        index = int(parts[1])
        if index < len(codes):
            return {codes[index]: _line_error(error)}, []
    return {}, [_general_error(error)]


def _load(
    schema: Schema, data: dict[str, Any], codes: list[str]
) -> tuple[dict[str, Any] | None, dict[str, str], list[str]]:
    """``data`` loaded by the API's own schema (one validation path), or its problems:
    by waste type (``codes`` in line order), and of the whole form."""
    try:
        return schema.load(data), {}, []
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
    lines = messages.get("lines")
    by_line = {
        codes[index]: _("At most three decimals, and at most 100.000 in one line.")
        for index in (lines if isinstance(lines, dict) else {})
        if isinstance(index, int) and index < len(codes)
    }
    general = [_("The note is at most 255 characters.")] if "note" in messages else []
    if not by_line and not general:
        general = [_("The form could not be saved. Please check it and try again.")]
    return None, by_line, general


# -- the list and the document ---------------------------------------------------------
@bp.get("/banks/<bank_code>/shipments")
@login_required
def list_shipments(bank_code: str) -> Any:
    """A unit's shipments to its induk, or an induk's from its units: those in transit,
    then the others dispatched in the period (this month by default)."""
    actor = _actor()
    bank = services.get_bank(db.session, actor, bank_code)
    start, end = _period(bank.timezone)
    _bank, in_transit = shipments.list_shipments(
        db.session, actor, bank.code, status="in_transit"
    )
    _bank, dispatched = shipments.list_shipments(
        db.session, actor, bank.code, start=start, end=end
    )
    return render_template(
        "backoffice/shipments.html",
        bank=bank,
        start=start,
        end=end,
        in_transit=in_transit,
        others=[s for s in dispatched if not s.in_transit],
        may_dispatch=_may_dispatch(actor, bank),
        may_receive=actor.can(Action.SHIPMENTS_RECEIVE) and works_at(actor, bank.id),
    )


def _render_document(
    actor: Actor,
    shipment: Shipment,
    *,
    reason_errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "backoffice/shipment.html",
        shipment=shipment,
        show_costs=actor.can(Action.COSTS_READ),
        may_receive=_may_receive(actor, shipment),
        may_cancel=shipment.in_transit
        and actor.can(Action.SALES_WRITE)
        and works_at(actor, shipment.bank_id),
        may_reject=shipment.in_transit
        and actor.can(Action.SALES_WRITE)
        and works_at(actor, shipment.induk_bank_id),
        reason_errors=reason_errors or {},
    )
    return page, status


@bp.get("/shipments/<int:shipment_id>")
@login_required
def show_shipment(shipment_id: int) -> Any:
    """The dispatch note (surat jalan) and, once received, the receipt; prints on A5."""
    actor = _actor()
    return _render_document(
        actor, shipments.get_shipment(db.session, actor, shipment_id)
    )


# -- dispatch ------------------------------------------------------------------------------
def _render_dispatch_form(
    actor: Actor,
    bank: Bank,
    form: dict[str, Any] | None = None,
    line_errors: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    _bank, stock = backoffice.stock(db.session, actor, bank.code)
    page = render_template(
        "backoffice/shipment_new.html",
        bank=bank,
        stock=[row for row in stock if row.quantity > 0],
        form=form or {"idempotency_key": new_form_key(), "quantities": {}},
        line_errors=line_errors or {},
        errors=errors or [],
    )
    return page, status


def _dispatchable_bank(bank_code: str) -> tuple[Actor, Bank]:
    actor = _actor(Action.SALES_WRITE)
    bank = services.get_bank(db.session, actor, bank_code)
    if not _may_dispatch(actor, bank):
        abort(403)
    return actor, bank


@bp.get("/banks/<bank_code>/shipments/new")
@login_required
def new_shipment(bank_code: str) -> Any:
    """The dispatch form: a quantity for each waste type in stock."""
    actor, bank = _dispatchable_bank(bank_code)
    return _render_dispatch_form(actor, bank)


@bp.post("/banks/<bank_code>/shipments")
@login_required
def dispatch_shipment(bank_code: str) -> Any:
    """Dispatch the shipment and show its dispatch note."""
    actor, bank = _dispatchable_bank(bank_code)
    quantities = {
        code.strip().upper(): raw.strip()
        for code, raw in zip(
            request.form.getlist("category"),
            request.form.getlist("quantity"),
            strict=False,
        )
    }
    form: dict[str, Any] = {
        "idempotency_key": request.form.get("idempotency_key", ""),
        "note": request.form.get("note", "").strip(),
        "quantities": quantities,
    }
    lines: list[shipments.ShipmentLineInput] = []
    line_errors: dict[str, str] = {}
    for code, raw in quantities.items():
        if not raw:
            continue
        quantity = parse_quantity(raw)
        if quantity is None or quantity <= 0:
            line_errors[code] = _("The quantity must be a number, for example 2,5.")
        else:
            lines.append(shipments.ShipmentLineInput(code, quantity))
    if not lines and not line_errors:
        errors = [_("Enter the quantity of at least one waste type.")]
        return _render_dispatch_form(actor, bank, form, errors=errors, status=422)
    if line_errors:
        return _render_dispatch_form(actor, bank, form, line_errors, status=422)
    args, line_errors, errors = _load(
        ShipmentCreateSchema(),
        {
            "bank": bank.code,
            "lines": [
                {"category": x.category, "quantity": str(x.quantity)} for x in lines
            ],
            "note": form["note"] or None,
        },
        [line.category for line in lines],
    )
    if args is None:
        return _render_dispatch_form(actor, bank, form, line_errors, errors, 422)
    try:
        shipment, replay = shipments.dispatch_shipment(
            db.session,
            actor,
            bank_code=bank.code,
            lines=lines,
            note=args["note"],
            idempotency_key=form["idempotency_key"] or new_form_key(),
            request_hash=canonical_hash(
                {"lines": [(x.category, str(x.quantity)) for x in lines], **form}
            ),
        )
    except WasteBankError as exc:
        db.session.rollback()
        if isinstance(exc, IdempotencyKeyReused):
            form["idempotency_key"] = new_form_key()
        by_line, errors = _split(exc, [line.category for line in lines])
        status = (
            409 if isinstance(exc, InsufficientStock | IdempotencyKeyReused) else 422
        )
        return _render_dispatch_form(actor, bank, form, by_line, errors, status)
    db.session.commit()
    if replay:
        flash(_("This shipment had already been sent; nothing was added."), "info")
    else:
        flash(
            _("Shipment sent. It is in transit until the induk receives it."), "success"
        )
    return redirect(url_for("shipments.show_shipment", shipment_id=shipment.id), 303)


# -- the induk receives ----------------------------------------------------------------------
def _receivable(shipment_id: int) -> tuple[Actor, Shipment]:
    actor = _actor(Action.SHIPMENTS_RECEIVE)
    shipment = shipments.get_shipment(db.session, actor, shipment_id)
    if not works_at(actor, shipment.induk_bank_id):
        abort(403)
    return actor, shipment


def _render_receive_form(
    actor: Actor,
    shipment: Shipment,
    form: dict[str, Any] | None = None,
    line_errors: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    induk = shipment.induk_bank
    _bank, quotes = services.price_list(db.session, actor, induk.code)
    page = render_template(
        "backoffice/shipment_receive.html",
        shipment=shipment,
        prices={quote.category.code: quote.price_rp for quote in quotes},
        form=form or {"idempotency_key": new_form_key(), "quantities": {}},
        line_errors=line_errors or {},
        errors=errors or [],
    )
    return page, status


@bp.get("/shipments/<int:shipment_id>/receive")
@login_required
def receive_form(shipment_id: int) -> Any:
    """The receiving form: the weighed quantity of every line of the shipment."""
    actor, shipment = _receivable(shipment_id)
    if not shipment.in_transit:
        return redirect(url_for("shipments.show_shipment", shipment_id=shipment.id))
    return _render_receive_form(actor, shipment)


@bp.post("/shipments/<int:shipment_id>/receive")
@login_required
def receive_shipment(shipment_id: int) -> Any:
    """Receive the shipment at the induk's prices and show its receipt."""
    actor, shipment = _receivable(shipment_id)
    codes = [line.category_code for line in shipment.lines]
    form: dict[str, Any] = {
        "idempotency_key": request.form.get("idempotency_key", ""),
        "note": request.form.get("note", "").strip(),
        "quantities": {
            code: request.form.get(f"received-{code}", "").strip() for code in codes
        },
    }
    weighed: list[shipments.ShipmentLineInput] = []
    line_errors: dict[str, str] = {}
    for code, raw in form["quantities"].items():
        quantity = parse_quantity(raw) if raw else None
        if not raw:
            line_errors[code] = _("Enter the weighed quantity (0 if none arrived).")
        elif quantity is None or quantity < 0:
            line_errors[code] = _("The quantity must be a number, for example 2,5.")
        else:
            weighed.append(shipments.ShipmentLineInput(code, quantity))
    if line_errors:
        return _render_receive_form(actor, shipment, form, line_errors, status=422)
    args, line_errors, errors = _load(
        ShipmentReceiveSchema(),
        {
            "lines": [
                {"category": x.category, "quantity": str(x.quantity)} for x in weighed
            ],
            "note": form["note"] or None,
        },
        [line.category for line in weighed],
    )
    if args is None:
        return _render_receive_form(actor, shipment, form, line_errors, errors, 422)
    try:
        shipment, replay = shipments.receive_shipment(
            db.session,
            actor,
            shipment.id,
            lines=weighed,
            note=args["note"],
            idempotency_key=form["idempotency_key"] or new_form_key(),
            request_hash=canonical_hash(
                {"lines": [(x.category, str(x.quantity)) for x in weighed], **form}
            ),
        )
    except WasteBankError as exc:
        db.session.rollback()
        if isinstance(exc, IdempotencyKeyReused):
            form["idempotency_key"] = new_form_key()
        by_line, errors = _split(exc, [line.category for line in weighed])
        status = 422 if isinstance(exc, InvalidValue) else 409
        shipment = shipments.get_shipment(db.session, actor, shipment_id)
        return _render_receive_form(actor, shipment, form, by_line, errors, status)
    db.session.commit()
    if replay:
        flash(_("This shipment had already been received; nothing was added."), "info")
    else:
        flash(_("Shipment received and paid at the induk's prices."), "success")
    return redirect(url_for("shipments.show_shipment", shipment_id=shipment.id), 303)


# -- back to the unit --------------------------------------------------------------------
def _return(shipment_id: int, decide: Any, done: str) -> Any:
    actor = _actor(Action.SALES_WRITE)
    shipment = shipments.get_shipment(db.session, actor, shipment_id)
    reason = request.form.get("reason", "").strip()
    try:
        reason = ReasonSchema().load({"reason": reason})["reason"]
    except ValidationError:
        problem = _("Longer than maximum length 255.") if reason else None
        return _render_document(
            actor,
            shipment,
            reason_errors={"reason": problem or _("Give the reason.")},
            status=422,
        )
    try:
        decide(db.session, actor, shipment.id, reason=reason)
    except PermissionDenied:
        abort(403)
    except InvalidTransition as exc:
        db.session.rollback()
        shipment = shipments.get_shipment(db.session, actor, shipment_id)
        return _render_document(
            actor, shipment, reason_errors={"reason": _general_error(exc)}, status=409
        )
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("shipments.show_shipment", shipment_id=shipment.id), 303)


@bp.post("/shipments/<int:shipment_id>/cancel")
@login_required
def cancel_shipment(shipment_id: int) -> Any:
    """The unit's manager calls the shipment back; the waste returns to its stock."""
    return _return(
        shipment_id,
        shipments.cancel_shipment,
        _("Shipment cancelled; the waste is back in stock."),
    )


@bp.post("/shipments/<int:shipment_id>/reject")
@login_required
def reject_shipment(shipment_id: int) -> Any:
    """The induk's manager refuses the shipment; the waste returns to the unit's stock."""
    return _return(
        shipment_id,
        shipments.reject_shipment,
        _("Shipment rejected; the waste is back in the unit's stock."),
    )
