"""The cashier's counter (Indonesian first): scan a card, weigh in, print the receipt.

Pages: the counter with its scan box, member panel, deposit and withdrawal forms and the
day's transactions; receipts for 58 mm thermal printers (A4/A5 on request), whose QR code
opens the public check (:mod:`wastebank.receipt_views`). A scanned card token travels in a
POST body, never in a URL that a server logs or a browser keeps in its history.

Every money form carries an idempotency key made when the page is rendered, so a
double-click, a refresh or a retried request records once; a successful POST redirects to
the receipt (POST/redirect/GET).
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from wastebank import cards, counter_forms, ledger, security, services
from wastebank.access import Action, Actor
from wastebank.auth import ui_actor
from wastebank.exceptions import (
    BelowMinimumWithdrawal,
    CardNotFound,
    CardRevoked,
    CategoryNotFound,
    IdempotencyKeyReused,
    InsufficientBalance,
    InvalidReference,
    InvalidValue,
    MemberInactive,
    MemberNotFound,
    NoPrice,
    NothingLeftAfterFee,
    PriceAboveMaximum,
    WasteBankError,
)
from wastebank.extensions import db
from wastebank.fields import record_id
from wastebank.idempotency import new_form_key
from wastebank.models import Bank, Deposit, Member, Withdrawal, utcnow

bp = Blueprint("counter", __name__)

PAPER_SIZES = ("58", "a5", "a4")
#: The withdrawal form's fields that show their errors next to them.
WITHDRAWAL_FIELDS = ("amount", "method", "note")


# -- template filters -------------------------------------------------------------------
@bp.app_template_filter("rupiah")
def rupiah(amount_rp: int | None) -> str:
    """``Rp12.500``: whole rupiah with dots, as Indonesians write them."""
    return "" if amount_rp is None else ledger.format_rp(int(amount_rp))


@bp.app_template_filter("quantity")
def quantity_filter(quantity: Decimal | None) -> str:
    """A quantity in the reader's language without trailing zeros (``2,5`` in id)."""
    if quantity is None:
        return ""
    return format_decimal(quantity, format="#,##0.###", locale=get_locale())


@bp.app_template_filter("longdate")
def longdate(day: dt.date | None) -> str:
    """``Senin, 23 November 2026``: a calendar day in the reader's language."""
    return "" if day is None else format_date(day, format="full", locale=get_locale())


# -- helpers ----------------------------------------------------------------------------
def _counter_actor() -> Actor:
    """The logged-in user, who must be allowed to take deposits (cashier, manager)."""
    actor = ui_actor()
    if not actor.can(Action.DEPOSITS_WRITE):
        abort(403)
    return actor


def _verify_url(code: str) -> str:
    """The link a receipt prints and puts in its QR code: at the installation's public
    URL (never the request's Host), the code in the fragment (never sent to a server)."""
    return security.public_url_for("receipts.verify_receipt_form", anchor=code)


def _qr_data_uri(text: str) -> str:
    svg = cards.qr_svg(text)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@dataclass(frozen=True)
class DayTotals:
    """The end-of-day count of one bank's counter."""

    deposits: int
    weight_kg: Decimal
    deposits_rp: int
    saved_rp: int  # credited to savings
    cash_deposits_rp: int  # paid out in cash at once (jual langsung)
    payouts: int
    payouts_net_rp: int
    cash_payouts_net_rp: int

    @property
    def cash_out_rp(self) -> int:
        """What left the cash box: cash deposits plus cash withdrawals paid."""
        return self.cash_deposits_rp + self.cash_payouts_net_rp


def day_totals(deposits: list[Deposit], payouts: list[Withdrawal]) -> DayTotals:
    """Totals of a day's transactions; reversed deposits do not count."""
    live = [d for d in deposits if d.reversed_at is None]
    return DayTotals(
        deposits=len(live),
        weight_kg=sum((d.total_weight_kg for d in live), Decimal("0")),
        deposits_rp=sum(d.total_rp for d in live),
        saved_rp=sum(d.total_rp for d in live if d.mode == "save"),
        cash_deposits_rp=sum(d.total_rp for d in live if d.mode == "cash"),
        payouts=len(payouts),
        payouts_net_rp=sum(w.net_rp for w in payouts),
        cash_payouts_net_rp=sum(w.net_rp for w in payouts if w.method == "cash"),
    )


def _translate(msgid: str) -> str:
    return _(msgid, max=format_decimal(ledger.MAX_LINE_QUANTITY, locale=get_locale()))


def _form_errors(messages: Any) -> list[str]:
    """Marshmallow's nested messages as readable sentences (``Baris 2: ...``)."""
    sentences: list[str] = []
    if not isinstance(messages, dict):
        return [_translate(str(m)) for m in messages]
    for problems in messages.values():
        if isinstance(problems, dict):  # lines: {index: [messages]}
            for index, line_problems in sorted(problems.items()):
                for problem in line_problems:
                    sentences.append(
                        _(
                            "Line %(number)s: %(problem)s",
                            number=int(index) + 1,
                            problem=_translate(problem),
                        )
                    )
        else:
            sentences.extend(_translate(str(problem)) for problem in problems)
    return sentences


def _domain_error_message(error: WasteBankError) -> str:
    """A sentence in the user's language for the errors the counter forms can meet."""
    if isinstance(error, CategoryNotFound | InvalidReference):
        return _("A waste type is not in the catalogue. Choose from the price list.")
    if isinstance(error, NoPrice):
        return _("A waste type has no buying price at this bank today.")
    if isinstance(error, MemberInactive):
        return _("This member is inactive; a manager must reactivate them first.")
    if isinstance(error, IdempotencyKeyReused):
        return _(
            "This form was already used for another transaction. Check today's "
            "transactions, then enter it again."
        )
    if isinstance(error, InsufficientBalance):
        return _("The amount is more than the member's available balance.")
    if isinstance(error, BelowMinimumWithdrawal):
        return _("The amount is below this bank's minimum withdrawal.")
    if isinstance(error, NothingLeftAfterFee):
        return _(
            "The fee takes the whole amount, so nothing would be paid out. "
            "Enter a larger amount."
        )
    if isinstance(error, PriceAboveMaximum):
        return _(
            "The price of this waste type is above the catalogue's maximum. "
            "A manager must set a correct price first."
        )
    return _("The form could not be saved. Please check it and try again.")


def _line_prefixed(error: WasteBankError) -> str:
    """The error's sentence, led by ``Baris N:`` when the service named the line."""
    message = _domain_error_message(error)
    parts = (error.field or "").split(".")
    if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit():
        return _(
            "Line %(number)s: %(problem)s", number=int(parts[1]) + 1, problem=message
        )
    return message


def _member_from_form(actor: Actor, raw: Any) -> Member | None:
    """The member a refused form was about, to show the panel again (None if unknown)."""
    try:
        return services.get_member(db.session, actor, int(raw))
    except (TypeError, ValueError, MemberNotFound):
        return None


def _render_counter(
    actor: Actor,
    member: Member | None,
    *,
    deposit_form: dict[str, Any] | None = None,
    deposit_errors: list[str] | None = None,
    withdrawal_form: dict[str, Any] | None = None,
    withdrawal_errors: list[str] | None = None,
    withdrawal_field_errors: dict[str, list[str]] | None = None,
    candidates: list[Member] | None = None,
    scan_error: str | None = None,
    scanned: str = "",
    status: int = 200,
) -> tuple[str, int]:
    """The counter page: scan box, member panel and forms, and the day's transactions."""
    position = quotes = None
    if member is not None:
        position = services.member_position(db.session, member.id)
        _bank, quotes = services.price_list(db.session, actor, member.bank.code)
    bank: Bank | None = member.bank if member is not None else current_user.bank
    deposits: list[Deposit] = []
    payouts: list[Withdrawal] = []
    day = None
    if bank is not None:
        day = services.local_date(bank, utcnow())
        deposits, payouts = services.day_transactions(db.session, actor, bank, day)
    deposit_form = deposit_form or {"idempotency_key": new_form_key(), "mode": "save"}
    lines = list(
        zip(
            deposit_form.get("category", []),
            deposit_form.get("quantity", []),
            strict=False,
        )
    ) or [("", "")]
    withdrawal_form = withdrawal_form or {"idempotency_key": new_form_key()}
    page = render_template(
        "wastebank/counter/counter.html",
        member=member,
        position=position,
        quotes=quotes or [],
        deposit_form=deposit_form,
        deposit_errors=deposit_errors or [],
        lines=lines,
        withdrawal_form=withdrawal_form,
        withdrawal_errors=withdrawal_errors or [],
        withdrawal_field_errors=withdrawal_field_errors or {},
        candidates=candidates or [],
        scan_error=scan_error,
        # Keep what was typed only when it found nobody, so it can be corrected; else
        # the box is empty for the next card.
        scanned=scanned if member is None else "",
        bank=bank,
        day=day,
        deposits=deposits,
        payouts=payouts,
        totals=day_totals(deposits, payouts),
        max_quantity=ledger.MAX_LINE_QUANTITY,
    )
    return page, status


# -- the counter ----------------------------------------------------------------------------
@bp.get("/counter")
@login_required
def show_counter() -> Any:
    """The cashier's home screen; ``?member=ID`` opens a member."""
    actor = _counter_actor()
    member_id = request.args.get("member", type=record_id)
    member: Member | None = None
    scan_error, status = None, 200
    try:
        if member_id:
            member = services.get_member(db.session, actor, member_id)
    except MemberNotFound:
        scan_error, status = _not_found_message(), 404
    return _render_counter(actor, member, scan_error=scan_error, status=status)


def _not_found_message() -> str:
    return _("No member with this card, number or name at your bank.")


@bp.post("/counter/scan")
@login_required
def scan_card() -> Any:
    """Open the member behind a scanned card, or a typed member number or name.

    The scan arrives in the POST body, never in the URL, so card tokens stay out of
    access logs and the browser's history; a found member is shown at
    ``/counter?member=ID`` (POST/redirect/GET).
    """
    actor = _counter_actor()
    card = request.form.get("card", "").strip()
    candidates: list[Member] = []
    try:
        if not card:
            return redirect(url_for("counter.show_counter"), 303)
        if cards.normalize_token(card) is None:
            # Not a card code: the number or name of a member who forgot their card.
            candidates, _total = services.search_members(
                db.session, actor, q=card, page_size=10
            )
            if not candidates:
                raise MemberNotFound(card)
            if len(candidates) > 1:
                return _render_counter(actor, None, candidates=candidates, scanned=card)
            member = candidates[0]
        else:
            member = services.resolve_card(db.session, actor, card)
    except (CardNotFound, MemberNotFound):
        return _render_counter(
            actor, None, scan_error=_not_found_message(), scanned=card, status=404
        )
    except CardRevoked:
        return _render_counter(
            actor,
            None,
            scan_error=_(
                "This member card was replaced by a new one and no longer works."
            ),
            scanned=card,
            status=410,
        )
    return redirect(url_for("counter.show_counter", member=member.id), 303)


@bp.post("/counter/deposits")
@login_required
def record_deposit() -> Any:
    """Weigh in a deposit; a replay of the same form returns the first receipt."""
    actor = _counter_actor()
    form = counter_forms.deposit_form_data(request.form)
    try:
        args = counter_forms.DepositFormSchema().load(form)
    except ValidationError as exc:
        member = _member_from_form(actor, form["member"])
        return _render_counter(
            actor,
            member,
            deposit_form=form,
            deposit_errors=_form_errors(exc.messages),
            status=422,
        )
    request_hash = counter_forms.deposit_request_hash(
        args["member"], args["mode"], args["lines"]
    )
    try:
        deposit, replay = services.record_deposit(
            db.session,
            actor,
            member_id=args["member"],
            lines=args["lines"],
            mode=args["mode"],
            idempotency_key=args["idempotency_key"],
            request_hash=request_hash,
        )
    except (
        CategoryNotFound,
        InvalidReference,
        InvalidValue,
        MemberInactive,
        IdempotencyKeyReused,
    ) as exc:
        db.session.rollback()
        conflict = isinstance(exc, IdempotencyKeyReused | MemberInactive)
        if isinstance(exc, IdempotencyKeyReused):
            form["idempotency_key"] = new_form_key()
        return _render_counter(
            actor,
            _member_from_form(actor, args["member"]),
            deposit_form=form,
            deposit_errors=[_line_prefixed(exc)],
            status=409 if conflict else 422,
        )
    db.session.commit()
    if replay:
        flash(_("This deposit had already been recorded; nothing was added."), "info")
    else:
        flash(_("Deposit recorded."), "success")
    return redirect(url_for("counter.deposit_receipt", deposit_id=deposit.id), 303)


@bp.post("/counter/withdrawals")
@login_required
def request_withdrawal() -> Any:
    """Ask for a payout of savings; the amount is held until a manager decides."""
    actor = _counter_actor()
    form = counter_forms.withdrawal_form_data(request.form)
    try:
        args = counter_forms.WithdrawalFormSchema().load(form)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        return _render_counter(
            actor,
            _member_from_form(actor, form["member"]),
            withdrawal_form=form,
            # What is about a field the cashier typed is shown next to it.
            withdrawal_errors=_form_errors(
                {k: v for k, v in messages.items() if k not in WITHDRAWAL_FIELDS}
            ),
            withdrawal_field_errors={
                k: [_translate(str(m)) for m in v]
                for k, v in messages.items()
                if k in WITHDRAWAL_FIELDS
            },
            status=422,
        )
    try:
        withdrawal, replay = services.request_withdrawal(
            db.session,
            actor,
            member_id=args["member"],
            amount_rp=args["amount_rp"],
            method=args["method"],
            note=args["note"],
            idempotency_key=args["idempotency_key"],
            request_hash=counter_forms.withdrawal_request_hash(
                args["member"], args["amount_rp"], args["method"], args["note"]
            ),
        )
    except (InvalidValue, MemberInactive, InsufficientBalance) as exc:
        db.session.rollback()
        on_amount = exc.field == "amount_rp"
        message = _domain_error_message(exc)
        return _render_counter(
            actor,
            _member_from_form(actor, args["member"]),
            withdrawal_form=form,
            withdrawal_errors=[] if on_amount else [message],
            withdrawal_field_errors={"amount": [message]} if on_amount else {},
            status=422 if isinstance(exc, InvalidValue) else 409,
        )
    except IdempotencyKeyReused as exc:
        db.session.rollback()
        form["idempotency_key"] = new_form_key()
        return _render_counter(
            actor,
            _member_from_form(actor, args["member"]),
            withdrawal_form=form,
            withdrawal_errors=[_domain_error_message(exc)],
            status=409,
        )
    db.session.commit()
    if not replay:
        flash(
            _("Withdrawal requested. A manager approves it before it is paid out."),
            "success",
        )
    return redirect(
        url_for("counter.withdrawal_receipt", withdrawal_id=withdrawal.id), 303
    )


# -- receipts ----------------------------------------------------------------------------------
def _paper() -> str:
    paper = request.args.get("paper", "58").lower()
    return paper if paper in PAPER_SIZES else "58"


def _balance_after(actor: Actor, member_id: int, **source: int) -> int | None:
    """The member's balance right after the entry of this deposit or withdrawal."""
    book = services.statement(db.session, actor, member_id)
    ((column, source_id),) = source.items()
    for line in book.lines:
        if getattr(line.entry, column) == source_id:
            return line.balance_rp
    return None


@bp.get("/deposits/<int:deposit_id>/receipt")
@login_required
def deposit_receipt(deposit_id: int) -> Any:
    """A deposit's receipt, laid out for a 58 mm thermal printer (``?paper=a4|a5``)."""
    actor = ui_actor()
    deposit = services.get_deposit(db.session, actor, deposit_id)
    verify_url = _verify_url(deposit.verify_code)
    return render_template(
        "wastebank/receipts/deposit.html",
        deposit=deposit,
        balance_after_rp=_balance_after(
            actor, deposit.member_id, deposit_id=deposit.id
        ),
        verify_url=verify_url,
        qr=_qr_data_uri(verify_url),
        paper=_paper(),
    )


@bp.get("/withdrawals/<int:withdrawal_id>/receipt")
@login_required
def withdrawal_receipt(withdrawal_id: int) -> Any:
    """A withdrawal's slip: a request until paid, then the payout receipt."""
    actor = ui_actor()
    withdrawal = services.get_withdrawal(db.session, actor, withdrawal_id)
    verify_url = _verify_url(withdrawal.verify_code)
    balance_after_rp = None
    if withdrawal.status == "paid":
        balance_after_rp = _balance_after(
            actor, withdrawal.member_id, withdrawal_id=withdrawal.id
        )
    return render_template(
        "wastebank/receipts/withdrawal.html",
        withdrawal=withdrawal,
        balance_after_rp=balance_after_rp,
        verify_url=verify_url,
        qr=_qr_data_uri(verify_url),
        paper=_paper(),
    )
