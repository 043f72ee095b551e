"""The back office in the browser (Indonesian first): stock, sales, cash book, the books.

Managers sell, adjust stock and write expenses for the banks they reach (an induk's manager
also for its units); cashiers and DLH staff read, cashiers without the purchase cost and
margin of sales. Shipments to the induk have their own pages
(:mod:`wastebank.shipment_views`). Every book is a printable page and, with
``?format=xlsx``, a spreadsheet. Money forms carry an idempotency key made when the page is
rendered, so a double-click or a refresh records once (POST/redirect/GET).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from wastebank import backoffice_xlsx, ledger, member_import, services
from wastebank.access import Action, Actor, Role, works_at
from wastebank.auth import ui_actor
from wastebank.backoffice_schemas import (
    BuyerCreateSchema,
    CashEntryCreateSchema,
    SaleCreateSchema,
    StockAdjustmentCreateSchema,
)
from wastebank.counter_forms import parse_amount_rp, parse_quantity
from wastebank.exceptions import (
    DuplicateCode,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidReference,
    InvalidValue,
    PriceAboveMaximum,
    WasteBankError,
)
from wastebank.extensions import db
from wastebank.fields import parse_date
from wastebank.idempotency import canonical_hash, new_form_key
from wastebank.messages import N_
from wastebank.models import (
    EXPENSE_CATEGORIES,
    INCOME_CATEGORIES,
    SALE_BUYER_KINDS,
    Bank,
    utcnow,
)
from wastebank.services import backoffice, shipments

bp = Blueprint("backoffice", __name__)

#: Names shown for stored slugs; N_ puts them in the catalog, templates translate them.
LABELS = {
    # buyers and banks
    "pengepul": N_("collector (pengepul)"),
    "industry": N_("industry"),
    "induk": N_("induk bank"),
    "unit": N_("unit bank"),
    # shipments to the induk
    "in_transit": N_("in transit"),
    "received": N_("received"),
    "rejected": N_("rejected by the induk"),
    "cancelled": N_("cancelled by the unit"),
    # cash-book categories
    "sale": N_("sale"),
    "purchase": N_("purchase from a unit"),
    "payout": N_("payout to a member"),
    "cash_deposit": N_("deposit paid in cash"),
    "operations": N_("operations"),
    "transport": N_("transport"),
    "honorarium": N_("honorarium"),
    "equipment": N_("equipment"),
    "rent": N_("rent"),
    "other": N_("other expense"),
    "grant": N_("grant"),
    "other_income": N_("other income"),
    # SIPSN destinations and plausibility checks
    "daur_ulang": N_("recycling"),
    "up_cycle": N_("up-cycling"),
    "kompos": N_("compost"),
    "pakan_ternak": N_("animal feed"),
    "energi": N_("energy"),
    "no_data": N_("no data"),
    "outlier_history": N_("far from last year"),
    "outlier_peers": N_("far from similar banks"),
    "unit_swap": N_("kg and t mixed up?"),
}


#: Problems an import reports (from the service and the reader), for the catalog.
IMPORT_MESSAGES = (
    N_("A member with this NIK exists."),
    N_("The same NIK as an earlier row."),
    N_("Already a member (same name and phone)."),
    N_("perorangan or kolektif."),
)


@bp.context_processor
def _labels() -> dict[str, Any]:
    def label(slug: str) -> str:
        return _(LABELS[slug]) if slug in LABELS else slug

    return {"label": label}


#: Empty line rows the sale form offers (no script needed to add one).
SALE_FORM_LINES = 5


# -- helpers -------------------------------------------------------------------------------
def _actor(action: Action = Action.BOOKS_READ) -> Actor:
    actor = ui_actor()
    if not actor.can(action):
        abort(403)
    return actor


def _today(bank: Bank) -> dt.date:
    return services.local_date(bank, utcnow())


def _period(
    bank_zone: str, *, default: str = "month"
) -> tuple[dt.date | None, dt.date | None]:
    """``?from=&to=`` as dates; by default the current month in the bank's zone."""

    def parse(name: str) -> dt.date | None:
        raw = request.args.get(name, "").strip()
        if not raw:
            return None
        try:
            return parse_date(raw)
        except ValidationError:
            abort(400)

    start, end = parse("from"), parse("to")
    if (
        start is None
        and end is None
        and default == "month"
        and "from" not in request.args
    ):
        today = dt.datetime.now(ZoneInfo(bank_zone)).date()
        start = today.replace(day=1)
        end = today
    return start, end


def _wants_xlsx() -> bool:
    return request.args.get("format") == "xlsx"


def _error_message(
    error: WasteBankError, lines: list[dict[str, Any]] | None = None
) -> str:
    """A sentence in the user's language for the errors these forms can meet."""
    parts = (error.field or "").split(".")
    number = int(parts[1]) + 1 if len(parts) >= 2 and parts[1].isdigit() else None
    if isinstance(error, InsufficientStock):
        category = ""
        if lines and number is not None and number <= len(lines):
            category = str(lines[number - 1].get("category", ""))
        if number is not None:
            return _(
                "Line %(number)s: not enough %(category)s in stock. Nothing was saved.",
                number=number,
                category=category,
            )
        return _("Not enough stock for this. Nothing was saved.")
    if isinstance(error, PriceAboveMaximum) and number is not None:
        return _(
            "Line %(number)s: the price is above the catalogue's maximum for this "
            "waste type, %(max)s per unit. Nothing was saved.",
            number=number,
            max=ledger.format_rp(error.max_price_rp),
        )
    if isinstance(error, IdempotencyKeyReused):
        return _("This form was already used. Check the list, then enter it again.")
    if isinstance(error, DuplicateCode):
        return _("A buyer with this name exists already.")
    if isinstance(error, InvalidReference) and error.field == "buyer":
        return _("Choose a buyer of this bank.")
    if isinstance(error, InvalidReference):
        return _("A waste type is not in the catalogue.")
    if isinstance(error, InvalidValue) and error.field == "kind":
        return _("A buyer is a pengepul or an industry buyer.")
    if isinstance(error, InvalidValue) and error.field == "buyer":
        return _("Waste for the induk is sent as a shipment, not sold.")
    return _("The form could not be saved. Please check it and try again.")


def _form_errors(messages: Any) -> list[str]:
    sentences: list[str] = []

    def walk(value: Any, prefix: str = "") -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                label = prefix
                if isinstance(key, int) or str(key).isdigit():
                    label = _("Line %(number)s", number=int(key) + 1) + ": "
                walk(inner, label)
        elif isinstance(value, list):
            for item in value:
                walk(item, prefix)
        else:
            sentences.append(prefix + _(str(value)))

    walk(messages)
    return sentences


# -- the back office home ------------------------------------------------------------------
@bp.get("/backoffice")
@login_required
def index() -> Any:
    """Where the back office starts: your bank, or the banks you oversee."""
    actor = _actor()
    if actor.role in (Role.MANAGER, Role.CASHIER) and current_user.bank is not None:
        return redirect(
            url_for("backoffice.bank_home", bank_code=current_user.bank.code)
        )
    banks = services.list_banks(db.session, actor)
    cities = sorted({(b.city.code, b.city.name) for b in banks if b.city is not None})
    return render_template("backoffice/index.html", banks=banks, cities=cities)


@bp.get("/banks/<bank_code>/backoffice")
@login_required
def bank_home(bank_code: str) -> Any:
    """A bank's stock, buyers and books, with the manager's forms."""
    actor = _actor()
    bank, stock = backoffice.stock(db.session, actor, bank_code)
    return _render_home(actor, bank, stock)


def _render_home(
    actor: Actor,
    bank: Bank,
    stock: list[backoffice.StockPosition] | None = None,
    *,
    adjustment_form: dict[str, Any] | None = None,
    adjustment_errors: list[str] | None = None,
    buyer_form: dict[str, Any] | None = None,
    buyer_errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    if stock is None:
        _bank, stock = backoffice.stock(db.session, actor, bank.code)
    _bank, in_transit = shipments.list_shipments(
        db.session, actor, bank.code, status="in_transit"
    )
    page = render_template(
        "backoffice/bank.html",
        bank=bank,
        stock=stock,
        stock_value_rp=sum(row.value_rp for row in stock),
        buyers=backoffice.list_buyers(db.session, actor, bank.code),
        categories=services.list_categories(db.session),
        can_sell=actor.can(Action.SALES_WRITE),
        can_ship=actor.can(Action.SALES_WRITE)
        and bank.parent_id is not None
        and works_at(actor, bank.id),
        can_receive=actor.can(Action.SHIPMENTS_RECEIVE) and works_at(actor, bank.id),
        in_transit=in_transit,
        can_adjust=actor.can(Action.STOCK_ADJUST),
        can_write_cash=actor.can(Action.CASH_WRITE),
        can_set_prices=actor.can(Action.PRICES_WRITE),
        adjustment_form=adjustment_form or {"idempotency_key": new_form_key()},
        adjustment_errors=adjustment_errors or [],
        buyer_form=buyer_form or {},
        buyer_errors=buyer_errors or [],
        buyer_kinds=SALE_BUYER_KINDS,
        books=tuple(backoffice_xlsx.BANK_BOOKS),
        year=_today(bank).year,
    )
    return page, status


@bp.post("/banks/<bank_code>/buyers")
@login_required
def create_buyer(bank_code: str) -> Any:
    """Register a buyer (manager)."""
    actor = _actor(Action.SALES_WRITE)
    bank = services.get_bank(db.session, actor, bank_code)
    form = {k: request.form.get(k, "") for k in ("name", "kind", "phone", "address")}
    try:
        args = BuyerCreateSchema(as_form=True).load(form)
        backoffice.create_buyer(db.session, actor, bank_code=bank.code, **args)
    except ValidationError as exc:
        return _render_home(
            actor,
            bank,
            buyer_form=form,
            buyer_errors=_form_errors(exc.messages),
            status=422,
        )
    except (DuplicateCode, InvalidValue) as exc:
        db.session.rollback()
        return _render_home(
            actor, bank, buyer_form=form, buyer_errors=[_error_message(exc)], status=409
        )
    db.session.commit()
    flash(_("Buyer registered."), "success")
    return redirect(url_for("backoffice.bank_home", bank_code=bank.code), 303)


@bp.post("/banks/<bank_code>/stock-adjustments")
@login_required
def adjust_stock(bank_code: str) -> Any:
    """A stock-taking correction with a reason (manager)."""
    actor = _actor(Action.STOCK_ADJUST)
    bank = services.get_bank(db.session, actor, bank_code)
    form = {
        k: request.form.get(k, "")
        for k in ("idempotency_key", "category", "quantity", "reason")
    }
    quantity = parse_quantity(form["quantity"])
    try:
        if quantity is None:
            raise ValidationError(
                {"quantity": [_("The quantity must be a number, for example 2,5.")]}
            )
        args = StockAdjustmentCreateSchema(as_form=True).load(
            {
                "category": form["category"],
                "quantity": str(quantity),
                "reason": form["reason"],
            }
        )
        backoffice.adjust_stock(
            db.session,
            actor,
            bank_code=bank.code,
            category_code=args["category"],
            quantity=args["quantity"],
            reason=args["reason"],
            idempotency_key=form["idempotency_key"] or new_form_key(),
            request_hash=canonical_hash(args),
        )
    except ValidationError as exc:
        return _render_home(
            actor,
            bank,
            adjustment_form=form,
            adjustment_errors=_form_errors(exc.messages),
            status=422,
        )
    except WasteBankError as exc:
        db.session.rollback()
        form["idempotency_key"] = new_form_key()
        return _render_home(
            actor,
            bank,
            adjustment_form=form,
            adjustment_errors=[_error_message(exc)],
            status=409,
        )
    db.session.commit()
    flash(_("Stock corrected."), "success")
    return redirect(url_for("backoffice.bank_home", bank_code=bank.code), 303)


# -- sales -----------------------------------------------------------------------------------
def _render_sale_form(
    actor: Actor,
    bank: Bank,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    _bank, stock = backoffice.stock(db.session, actor, bank.code)
    form = form or {"idempotency_key": new_form_key(), "lines": []}
    lines = list(form.get("lines", []))
    lines += [{}] * max(0, SALE_FORM_LINES - len(lines))
    page = render_template(
        "backoffice/sale_new.html",
        bank=bank,
        stock=[row for row in stock if row.quantity > 0],
        # Waste for the induk goes as a shipment (quantities only), never as a sale.
        buyers=[
            buyer
            for buyer in backoffice.list_buyers(db.session, actor, bank.code)
            if buyer.kind in SALE_BUYER_KINDS
        ],
        form=form,
        lines=lines,
        errors=errors or [],
        can_ship=bank.parent_id is not None and works_at(actor, bank.id),
    )
    return page, status


@bp.get("/banks/<bank_code>/sales/new")
@login_required
def new_sale(bank_code: str) -> Any:
    """The sale form: a buyer, and lines from the stock on hand."""
    actor = _actor(Action.SALES_WRITE)
    bank = services.get_bank(db.session, actor, bank_code)
    return _render_sale_form(actor, bank)


@bp.post("/banks/<bank_code>/sales")
@login_required
def record_sale(bank_code: str) -> Any:
    """Record a sale to a pengepul or industry buyer and show its receipt."""
    actor = _actor(Action.SALES_WRITE)
    bank = services.get_bank(db.session, actor, bank_code)
    rows = zip(
        request.form.getlist("category"),
        request.form.getlist("quantity"),
        request.form.getlist("price"),
        strict=False,
    )
    lines: list[dict[str, Any]] = []
    problems: dict[int, list[str]] = {}
    for code, raw_quantity, raw_price in rows:
        code, raw_quantity, raw_price = (
            code.strip(),
            raw_quantity.strip(),
            raw_price.strip(),
        )
        if not (code or raw_quantity or raw_price):
            continue
        number = len(lines)
        lines.append({"category": code, "quantity": raw_quantity, "price": raw_price})
        quantity, price = parse_quantity(raw_quantity), parse_amount_rp(raw_price)
        if not code:
            problems[number] = [_("Choose a waste type.")]
        elif quantity is None or quantity <= 0:
            problems[number] = [_("The quantity must be a number, for example 2,5.")]
        elif price is None:
            problems[number] = [_("Enter the price per unit in whole rupiah.")]
    form: dict[str, Any] = {
        "idempotency_key": request.form.get("idempotency_key", ""),
        "buyer": request.form.get("buyer", ""),
        "note": request.form.get("note", ""),
        "lines": lines,
    }
    try:
        if problems:
            raise ValidationError({"lines": problems})
        if not lines:
            raise ValidationError({"lines": [_("Add at least one line.")]})
        if not form["buyer"].isdigit():
            raise ValidationError({"buyer": [_("Choose a buyer of this bank.")]})
        args = SaleCreateSchema().load(
            {
                "bank": bank.code,
                "buyer": int(form["buyer"]),
                "note": form["note"].strip() or None,
                "lines": [
                    {
                        "category": line["category"],
                        "quantity": str(parse_quantity(line["quantity"])),
                        "price_rp": parse_amount_rp(line["price"]),
                    }
                    for line in lines
                ],
            }
        )
    except ValidationError as exc:
        return _render_sale_form(actor, bank, form, _form_errors(exc.messages), 422)
    try:
        sale, replay = backoffice.record_sale(
            db.session,
            actor,
            bank_code=bank.code,
            buyer_id=args["buyer"],
            note=args["note"],
            lines=[
                backoffice.SaleLineInput(
                    category=line["category"],
                    quantity=line["quantity"],
                    price_rp=line["price_rp"],
                )
                for line in args["lines"]
            ],
            idempotency_key=form["idempotency_key"] or new_form_key(),
            request_hash=canonical_hash(args),
        )
    except WasteBankError as exc:
        db.session.rollback()
        if isinstance(exc, IdempotencyKeyReused):
            form["idempotency_key"] = new_form_key()
        status = 422 if isinstance(exc, InvalidValue | InvalidReference) else 409
        return _render_sale_form(
            actor, bank, form, [_error_message(exc, lines)], status
        )
    db.session.commit()
    if replay:
        flash(_("This sale had already been recorded; nothing was added."), "info")
    else:
        flash(_("Sale recorded."), "success")
    return redirect(url_for("backoffice.sale_receipt", sale_id=sale.id), 303)


@bp.get("/sales/<int:sale_id>")
@login_required
def sale_receipt(sale_id: int) -> Any:
    """A sale's receipt (nota penjualan), A5 for the buyer and the bank's file."""
    actor = _actor()
    sale = backoffice.get_sale(db.session, actor, sale_id)
    return render_template(
        "backoffice/sale_receipt.html",
        sale=sale,
        show_costs=actor.can(Action.COSTS_READ),
    )


# -- cash book -------------------------------------------------------------------------------
def _render_cash_form(
    bank: Bank,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    form = form or {"idempotency_key": new_form_key(), "direction": "out"}
    page = render_template(
        "backoffice/cash_new.html",
        bank=bank,
        form=form,
        errors=errors or [],
        expense_categories=EXPENSE_CATEGORIES,
        income_categories=INCOME_CATEGORIES,
        today=_today(bank),
    )
    return page, status


@bp.get("/banks/<bank_code>/cash-entries/new")
@login_required
def new_cash_entry(bank_code: str) -> Any:
    """The form for an expense or other income."""
    actor = _actor(Action.CASH_WRITE)
    return _render_cash_form(services.get_bank(db.session, actor, bank_code))


@bp.post("/banks/<bank_code>/cash-entries")
@login_required
def record_cash_entry(bank_code: str) -> Any:
    """Write an expense or other income into the buku kas."""
    actor = _actor(Action.CASH_WRITE)
    bank = services.get_bank(db.session, actor, bank_code)
    form = {
        k: request.form.get(k, "")
        for k in ("idempotency_key", "category", "amount", "description", "occurred_on")
    }
    category = form["category"]
    direction = "in" if category in INCOME_CATEGORIES else "out"
    try:
        amount_rp = parse_amount_rp(form["amount"])
        if amount_rp is None:
            raise ValidationError(
                {"amount": [_("Enter the amount in whole rupiah, for example 50.000.")]}
            )
        args = CashEntryCreateSchema(as_form=True).load(
            {
                "bank": bank.code,
                "direction": direction,
                "category": category,
                "amount_rp": amount_rp,
                "description": form["description"],
                "occurred_on": form["occurred_on"],
            }
        )
    except ValidationError as exc:
        return _render_cash_form(bank, form, _form_errors(exc.messages), 422)
    occurred_at = None
    if args["occurred_on"] is not None and args["occurred_on"] != _today(bank):
        occurred_at = dt.datetime.combine(
            args["occurred_on"], dt.time(12), ZoneInfo(bank.timezone)
        )
    try:
        backoffice.record_cash_entry(
            db.session,
            actor,
            bank_code=bank.code,
            direction=direction,
            category=category,
            amount_rp=args["amount_rp"],
            description=args["description"],
            occurred_at=occurred_at,
            idempotency_key=form["idempotency_key"] or new_form_key(),
            request_hash=canonical_hash(args),
        )
    except WasteBankError as exc:
        db.session.rollback()
        form["idempotency_key"] = new_form_key()
        return _render_cash_form(bank, form, [_error_message(exc)], 409)
    db.session.commit()
    flash(_("Saved in the cash book."), "success")
    return redirect(
        url_for("backoffice.show_book", bank_code=bank.code, book="kas"), 303
    )


# -- the books -----------------------------------------------------------------------------
@bp.get("/banks/<bank_code>/books/<book>")
@login_required
def show_book(bank_code: str, book: str) -> Any:
    """One of the bank's books as a printable page, or ``?format=xlsx``."""
    actor = _actor()
    spec = backoffice_xlsx.bank_book(book)
    bank = services.get_bank(db.session, actor, bank_code)
    start, end = _period(bank.timezone, default="all" if spec.all_dates else "month")
    if _wants_xlsx():
        return backoffice_xlsx.bank_book_download(
            db.session, actor, bank.code, book, start=start, end=end
        )
    data = spec.read(db.session, actor, bank.code, start=start, end=end)
    return render_template(
        f"backoffice/book_{book.replace('-', '_')}.html",
        bank=bank,
        start=start,
        end=end,
        book=book,
        **spec.page(data),
    )


@bp.get("/members/<int:member_id>/savings-book")
@login_required
def savings_book(member_id: int) -> Any:
    """A member's buku tabungan for a period (all of it by default)."""
    actor = _actor()
    member = services.get_member(db.session, actor, member_id)
    start, end = _period(member.bank.timezone, default="all")
    since, until = backoffice.period_bounds(member.bank.timezone, start, end)
    statement = services.statement(db.session, actor, member_id, start=since, end=until)
    if _wants_xlsx():
        return backoffice_xlsx.savings_book_download(statement, start, end)
    return render_template(
        "backoffice/book_tabungan.html",
        member=member,
        bank=member.bank,
        statement=statement,
        start=start,
        end=end,
    )


@bp.get("/banks/<bank_code>/profit-and-loss")
@login_required
def profit_and_loss(bank_code: str) -> Any:
    """The bank's profit and loss for a period (this month by default)."""
    actor = _actor()
    bank = services.get_bank(db.session, actor, bank_code)
    start, end = _period(bank.timezone)
    pnl = backoffice.profit_and_loss(db.session, actor, bank.code, start=start, end=end)
    return render_template(
        "backoffice/profit_and_loss.html", bank=bank, pnl=pnl, start=start, end=end
    )


def _summary_args(zone: str) -> tuple[int, int | None]:
    today = dt.datetime.now(ZoneInfo(zone)).date()
    year = request.args.get("year", type=int) or today.year
    month = request.args.get("month", type=int)
    if not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        abort(400)
    return year, month


def _render_summary(result: backoffice.Summary, scope: dict[str, Any]) -> Any:
    if _wants_xlsx():
        code = scope.get("bank_code") or scope.get("city_code")
        return backoffice_xlsx.summary_download(result, str(code))
    return render_template("backoffice/summary.html", summary=result, scope=scope)


@bp.get("/banks/<bank_code>/summary")
@login_required
def bank_summary(bank_code: str) -> Any:
    """A bank's monthly (``?month=``) or yearly summary."""
    actor = _actor()
    bank = services.get_bank(db.session, actor, bank_code)
    year, month = _summary_args(bank.timezone)
    result = backoffice.summary(
        db.session, actor, year=year, month=month, bank_code=bank.code
    )
    return _render_summary(result, {"bank_code": bank.code})


@bp.get("/cities/<city_code>/summary")
@login_required
def city_summary(city_code: str) -> Any:
    """A city's monthly or yearly summary, with tonnage counted once."""
    actor = _actor()
    try:
        city = services.get_city(db.session, city_code)
    except InvalidReference:
        abort(404)
    year, month = _summary_args(city.timezone)
    result = backoffice.summary(
        db.session, actor, year=year, month=month, city_code=city.code
    )
    return _render_summary(result, {"city_code": city.code})


@bp.get("/cities/<city_code>/sipsn")
@login_required
def sipsn_report(city_code: str) -> Any:
    """The SIPSN figures of a city's banks for a year, checked before export."""
    actor = _actor()
    try:
        city = services.get_city(db.session, city_code)
    except InvalidReference:
        abort(404)
    year, _month = _summary_args(city.timezone)
    city, rows = backoffice.sipsn_report(db.session, actor, city.code, year=year)
    if _wants_xlsx():
        return backoffice_xlsx.sipsn_download(city.code, city.name, year, rows)
    return render_template(
        "backoffice/sipsn.html",
        city=city,
        year=year,
        rows=rows,
        destinations=backoffice.SIPSN_DESTINATIONS,
    )


# -- bulk import of members --------------------------------------------------------------
@bp.route("/banks/<bank_code>/members/import", methods=["GET", "POST"])
@login_required
def import_members(bank_code: str) -> Any:
    """Import a typed-in paper register; a dry run (the default) only reports."""
    actor = _actor(Action.MEMBERS_WRITE)
    bank = services.get_bank(db.session, actor, bank_code)
    if request.method != "POST":  # GET, and HEAD like it (HEAD is not CSRF-checked)
        return render_template("backoffice/import.html", bank=bank, report=None)
    upload = request.files.get("file")
    dry_run = request.form.get("dry_run") == "1"
    error = None
    report = None
    if upload is None or not upload.filename:
        error = _("Choose a file.")
    else:
        try:
            rows, problems = member_import.read_register(
                upload.read(), upload.filename, bank.code
            )
        except member_import.UnreadableFile:
            error = _("The file could not be read: use XLSX or CSV with a Nama column.")
        else:
            report = backoffice.import_members(
                db.session, actor, bank.code, rows, problems=problems, dry_run=dry_run
            )
            if report.imported:
                db.session.commit()
                flash(
                    _("%(count)s members imported.", count=len(report.imported)),
                    "success",
                )
            else:
                db.session.rollback()
    status = 422 if error or (report and not report.ok) else 200
    return (
        render_template(
            "backoffice/import.html", bank=bank, report=report, error=error
        ),
        status,
    )
