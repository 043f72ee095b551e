"""JSON API of the waste-bank domain under ``/api/v1`` (thin adapters over services)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response
from flask.views import MethodView

from wastebank import cards, services
from wastebank.auth import api_actor, authenticate_bearer
from wastebank.extensions import db
from wastebank.idempotency import created, request_hash
from wastebank.models import utcnow
from wastebank.rest import BINARY, Blueprint
from wastebank.schemas import (
    BankCreateSchema,
    BankSchema,
    BankUpdateSchema,
    CardLookupSchema,
    CardSchema,
    CategoryCreateSchema,
    CategorySchema,
    CategoryUpdateSchema,
    DepositCreateSchema,
    DepositSchema,
    IdempotencyHeaderSchema,
    MemberCreateSchema,
    MemberQueryArgsSchema,
    MemberSchema,
    MemberUpdateSchema,
    PriceListQueryArgsSchema,
    PriceQuoteSchema,
    PriceRuleSchema,
    PriceSetSchema,
    ReasonSchema,
    StatementQueryArgsSchema,
    StatementSchema,
    WithdrawalCreateSchema,
    WithdrawalSchema,
)

bp = Blueprint(
    "wastebank_api",
    __name__,
    url_prefix="/api/v1",
    description="Banks, members and member cards.",
)


@bp.before_request
def _require_token() -> None:
    authenticate_bearer()


# -- banks -----------------------------------------------------------------------------
@bp.route("/banks")
class Banks(MethodView):
    @bp.response(200, BankSchema(many=True))
    def get(self) -> Any:
        """List the banks you can see."""
        return services.list_banks(db.session, api_actor())

    @bp.arguments(BankCreateSchema)
    @bp.response(201, BankSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Create a bank (admin)."""
        bank = services.create_bank(
            db.session,
            api_actor(),
            code=args["code"],
            name=args["name"],
            kind=args["kind"],
            parent_code=args["parent"],
            city_code=args["city"],
            address=args["address"],
            latitude=args["latitude"],
            longitude=args["longitude"],
            timezone=args["timezone"],
            opening_days=args["opening_days"],
            district=args["district"],
        )
        db.session.commit()
        return bank


@bp.route("/banks/<string:bank_code>")
@bp.response(200, BankSchema)
def get_bank(bank_code: str) -> Any:
    """One bank by its code."""
    return services.get_bank(db.session, api_actor(), bank_code)


def _with_positions(members: list[Any]) -> list[Any]:
    """Attach each member's savings position (two queries for the whole page)."""
    positions = services.positions(db.session, [member.id for member in members])
    for member in members:
        member.position = positions[member.id]
    return members


# -- members ---------------------------------------------------------------------------
@bp.route("/members")
class Members(MethodView):
    @bp.arguments(MemberQueryArgsSchema, location="query")
    @bp.response(200, MemberSchema(many=True))
    @bp.paginate(page_size=50, max_page_size=1000)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Search members by name, member number or phone; total in X-Pagination."""
        items, total = services.search_members(
            db.session,
            api_actor(),
            bank=args["bank"],
            q=args["q"],
            active=args["active"],
            page=pagination_parameters.page,
            page_size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return _with_positions(items)

    @bp.arguments(MemberCreateSchema)
    @bp.response(201, MemberSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Register a member; the response has the new member number."""
        member = services.register_member(db.session, api_actor(), **args)
        db.session.commit()
        return _with_positions([member])[0]


@bp.route("/members/<int:member_id>")
class MemberById(MethodView):
    @bp.response(200, MemberSchema)
    def get(self, member_id: int) -> Any:
        """One member, with ``balance_rp`` and ``available_rp``."""
        return _with_positions(
            [services.get_member(db.session, api_actor(), member_id)]
        )[0]

    @bp.arguments(MemberUpdateSchema)
    @bp.response(200, MemberSchema)
    def patch(self, args: dict[str, Any], member_id: int) -> Any:
        """Change a member's details, or deactivate with ``{"active": false}``."""
        member = services.update_member(db.session, api_actor(), member_id, args)
        db.session.commit()
        return _with_positions([member])[0]


# -- cards -----------------------------------------------------------------------------
@bp.route("/members/<int:member_id>/card.png")
@bp.response(
    200, BINARY, description="The card's QR code (PNG)", content_type="image/png"
)
def get_card_png(member_id: int) -> Response:
    """The member card's QR code as PNG."""
    card = services.member_card(db.session, api_actor(), member_id)
    db.session.commit()
    return Response(cards.qr_png(card.token), mimetype="image/png")


@bp.route("/members/<int:member_id>/card.svg")
@bp.response(
    200, BINARY, description="The card's QR code (SVG)", content_type="image/svg+xml"
)
def get_card_svg(member_id: int) -> Response:
    """The member card's QR code as SVG."""
    card = services.member_card(db.session, api_actor(), member_id)
    db.session.commit()
    return Response(cards.qr_svg(card.token), mimetype="image/svg+xml")


@bp.route("/members/<int:member_id>/card/reissue", methods=["POST"])
@bp.response(201, CardSchema)
def reissue_card(member_id: int) -> Any:
    """Issue a new card for a lost one; the old token stops resolving (410)."""
    card = services.reissue_card(db.session, api_actor(), member_id)
    db.session.commit()
    return card


@bp.route("/card-lookups", methods=["POST"])
@bp.arguments(CardLookupSchema)
@bp.response(200, CardSchema)
@bp.alt_response(404, description="No such card (or not in your banks)")
@bp.alt_response(410, description="The card was replaced by a reissued one")
def look_up_card(args: dict[str, Any]) -> Any:
    """Resolve a scanned card token to its member (what a counter calls after a scan).

    The token is in the body, so it stays out of URLs and with them access logs.
    """
    return _card_of(args["token"])


@bp.route("/cards/<string:token>")
@bp.doc(deprecated=True)
@bp.response(200, CardSchema)
@bp.alt_response(404, description="No such card (or not in your banks)")
@bp.alt_response(410, description="The card was replaced by a reissued one")
def resolve_card(token: str) -> Any:
    """Resolve a card token in the URL (kept for older clients; the URL, token and all,
    lands in access logs: use ``POST /card-lookups``)."""
    return _card_of(token)


def _card_of(token: str) -> Any:
    member = services.resolve_card(db.session, api_actor(), token)
    _with_positions([member])
    return member.active_card


# -- counter: catalogue, prices, bank rules ------------------------------------------------
@bp.route("/categories")
class Categories(MethodView):
    @bp.response(200, CategorySchema(many=True))
    def get(self) -> Any:
        """The waste categories banks buy."""
        return services.list_categories(db.session)

    @bp.arguments(CategoryCreateSchema)
    @bp.response(201, CategorySchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Add a category (admins: the catalogue is every city's)."""
        category = services.create_category(db.session, api_actor(), **args)
        db.session.commit()
        return category


@bp.route("/categories/<string:category_code>", methods=["PATCH"])
@bp.arguments(CategoryUpdateSchema)
@bp.response(200, CategorySchema)
def update_category(args: dict[str, Any], category_code: str) -> Any:
    """Change a category's price ceiling (admins); prices above it are refused (422)."""
    category = services.set_max_price(
        db.session, api_actor(), category_code, max_price_rp=args["max_price_rp"]
    )
    db.session.commit()
    return category


@bp.route("/banks/<string:bank_code>/prices")
@bp.arguments(PriceListQueryArgsSchema, location="query")
@bp.response(200, PriceQuoteSchema(many=True))
def list_prices(args: dict[str, Any], bank_code: str) -> Any:
    """Buying prices in force at the bank today (or ``on``), inherited from the induk."""
    _bank, quotes = services.price_list(
        db.session, api_actor(), bank_code, day=args["on"]
    )
    return quotes


@bp.route("/banks/<string:bank_code>/prices/<string:category_code>", methods=["PUT"])
@bp.arguments(PriceSetSchema)
@bp.response(200, PriceRuleSchema)
def set_price(args: dict[str, Any], bank_code: str, category_code: str) -> Any:
    """Set a buying price from a date on; history is kept. Floor/ceiling: induk only.

    Every price is at most the category's ``max_price_rp`` (422 ``price_above_maximum``).
    """
    actor = api_actor()
    effective_from = args["effective_from"]
    if effective_from is None:
        bank = services.get_bank(db.session, actor, bank_code)
        effective_from = services.local_date(bank, utcnow())
    rule = services.set_price(
        db.session,
        actor,
        bank_code,
        category_code,
        price_rp=args["price_rp"],
        effective_from=effective_from,
        floor_rp=args["floor_rp"],
        ceiling_rp=args["ceiling_rp"],
    )
    db.session.commit()
    return rule


@bp.route("/banks/<string:bank_code>", methods=["PATCH"])
@bp.arguments(BankUpdateSchema)
@bp.response(200, BankSchema)
def update_bank(args: dict[str, Any], bank_code: str) -> Any:
    """Change the bank's district and withdrawal rules (its manager or an admin).

    ``separate_approver_and_payer`` is a control: only an admin or, for a unit, its
    induk's manager changes it (403 for the bank's own manager).
    """
    services.update_bank(db.session, api_actor(), bank_code, args)
    db.session.commit()
    return services.get_bank(db.session, api_actor(), bank_code)


# -- counter: deposits ----------------------------------------------------------------------
@bp.route("/deposits", methods=["POST"])
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.arguments(DepositCreateSchema)
@bp.response(201, DepositSchema)
@bp.alt_response(409, description="The Idempotency-Key was used for another request")
def record_deposit(headers: dict[str, Any], args: dict[str, Any]) -> Any:
    """Weigh in a deposit (``Idempotency-Key`` required; a replay returns the original)."""
    deposit, replayed = services.record_deposit(
        db.session,
        api_actor(),
        member_id=args["member"],
        card=args["card"],
        mode=args["mode"],
        lines=[
            services.DepositLineInput(line["category"], line["quantity"])
            for line in args["lines"]
        ],
        idempotency_key=headers["idempotency_key"],
        request_hash=request_hash(),
    )
    db.session.commit()
    deposit.balance_rp = services.member_position(
        db.session, deposit.member_id
    ).balance_rp
    return created(deposit, replayed)


@bp.route("/deposits/<int:deposit_id>")
@bp.response(200, DepositSchema)
def get_deposit(deposit_id: int) -> Any:
    """One deposit with its lines and price snapshots."""
    deposit = services.get_deposit(db.session, api_actor(), deposit_id)
    deposit.balance_rp = services.member_position(
        db.session, deposit.member_id
    ).balance_rp
    return deposit


@bp.route("/deposits/<int:deposit_id>/reversal", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(201, DepositSchema)
def reverse_deposit(args: dict[str, Any], deposit_id: int) -> Any:
    """Reverse a mistaken deposit with a counter-entry (manager); refused if it would overdraw."""
    deposit = services.reverse_deposit(
        db.session, api_actor(), deposit_id, reason=args["reason"]
    )
    db.session.commit()
    deposit.balance_rp = services.member_position(
        db.session, deposit.member_id
    ).balance_rp
    return deposit


@bp.route("/members/<int:member_id>/statement")
@bp.arguments(StatementQueryArgsSchema, location="query")
@bp.response(200, StatementSchema)
def get_statement(args: dict[str, Any], member_id: int) -> Any:
    """The savings book: entries with a running balance, dates in the bank's zone."""
    actor = api_actor()
    member = services.get_member(db.session, actor, member_id)
    zone = ZoneInfo(member.bank.timezone)
    start = (
        dt.datetime.combine(args["from_"], dt.time(), zone) if args["from_"] else None
    )
    end = (
        dt.datetime.combine(args["to"] + dt.timedelta(days=1), dt.time(), zone)
        if args["to"]
        else None
    )
    return services.statement(db.session, actor, member_id, start=start, end=end)


# -- counter: withdrawals -------------------------------------------------------------------
def _with_available(withdrawal: Any) -> Any:
    withdrawal.available_rp = services.member_position(
        db.session, withdrawal.member_id
    ).available_rp
    return withdrawal


@bp.route("/withdrawals", methods=["POST"])
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.arguments(WithdrawalCreateSchema)
@bp.response(201, WithdrawalSchema)
@bp.alt_response(409, description="More than the available balance, or a reused key")
def request_withdrawal(headers: dict[str, Any], args: dict[str, Any]) -> Any:
    """Request a payout; the amount is held until it is paid or rejected."""
    withdrawal, replayed = services.request_withdrawal(
        db.session,
        api_actor(),
        member_id=args["member"],
        amount_rp=args["amount_rp"],
        method=args["method"],
        note=args["note"],
        idempotency_key=headers["idempotency_key"],
        request_hash=request_hash(),
    )
    db.session.commit()
    return created(_with_available(withdrawal), replayed)


@bp.route("/withdrawals/<int:withdrawal_id>")
@bp.response(200, WithdrawalSchema)
def get_withdrawal(withdrawal_id: int) -> Any:
    """One withdrawal request and its state."""
    return _with_available(
        services.get_withdrawal(db.session, api_actor(), withdrawal_id)
    )


@bp.route("/withdrawals/<int:withdrawal_id>/approve", methods=["POST"])
@bp.response(200, WithdrawalSchema)
def approve_withdrawal(withdrawal_id: int) -> Any:
    """Approve (manager); the fee is fixed now."""
    withdrawal = services.approve_withdrawal(db.session, api_actor(), withdrawal_id)
    db.session.commit()
    return _with_available(withdrawal)


@bp.route("/withdrawals/<int:withdrawal_id>/reject", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, WithdrawalSchema)
def reject_withdrawal(args: dict[str, Any], withdrawal_id: int) -> Any:
    """Reject (manager); the hold is released."""
    withdrawal = services.reject_withdrawal(
        db.session, api_actor(), withdrawal_id, reason=args["reason"]
    )
    db.session.commit()
    return _with_available(withdrawal)


@bp.route("/withdrawals/<int:withdrawal_id>/pay", methods=["POST"])
@bp.response(200, WithdrawalSchema)
def pay_withdrawal(withdrawal_id: int) -> Any:
    """Pay out an approved withdrawal: the hold becomes a debit."""
    withdrawal = services.pay_withdrawal(db.session, api_actor(), withdrawal_id)
    db.session.commit()
    return _with_available(withdrawal)
