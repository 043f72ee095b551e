"""JSON API of the back office under ``/api/v1``: stock, buyers, sales, cash book, totals.

Thin adapters over :mod:`wastebank.services.backoffice`. POSTs that create money or stock
records need an ``Idempotency-Key`` header, as deposits do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response
from flask.views import MethodView

from wastebank import backoffice_xlsx
from wastebank.auth import api_actor, authenticate_bearer
from wastebank.backoffice_schemas import (
    BuyerCreateSchema,
    BuyerSchema,
    CashBookSchema,
    CashEntryCreateSchema,
    CashEntrySchema,
    CityTotalsSchema,
    PeriodQueryArgsSchema,
    ProfitAndLossSchema,
    SaleCreateSchema,
    SaleSchema,
    SipsnQueryArgsSchema,
    SipsnRowSchema,
    StockAdjustmentCreateSchema,
    StockAdjustmentSchema,
    StockPositionSchema,
)
from wastebank.extensions import db
from wastebank.idempotency import created, request_hash
from wastebank.rest import BINARY, Blueprint
from wastebank.schemas import IdempotencyHeaderSchema
from wastebank.services import backoffice, get_bank
from wastebank.spreadsheets import XLSX_CONTENT_TYPE

bp = Blueprint(
    "backoffice_api",
    __name__,
    url_prefix="/api/v1",
    description="Back office: stock, buyers, sales and shipments, cash book, books.",
)


@bp.before_request
def _require_token() -> None:
    authenticate_bearer()


# -- stock ---------------------------------------------------------------------------------
@bp.route("/banks/<string:bank_code>/stock")
@bp.response(200, StockPositionSchema(many=True))
def get_stock(bank_code: str) -> Any:
    """Stock on hand per category, valued at average purchase cost."""
    _bank, rows = backoffice.stock(db.session, api_actor(), bank_code)
    return rows


@bp.route("/banks/<string:bank_code>/stock-adjustments", methods=["POST"])
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.arguments(StockAdjustmentCreateSchema)
@bp.response(201, StockAdjustmentSchema)
@bp.alt_response(409, description="Less on hand than the correction takes")
def adjust_stock(headers: dict[str, Any], args: dict[str, Any], bank_code: str) -> Any:
    """Correct the stock after stock-taking (manager), with a reason."""
    adjustment, replayed = backoffice.adjust_stock(
        db.session,
        api_actor(),
        bank_code=bank_code,
        category_code=args["category"],
        quantity=args["quantity"],
        reason=args["reason"],
        idempotency_key=headers["idempotency_key"],
        request_hash=request_hash(),
    )
    db.session.commit()
    return created(adjustment, replayed)


# -- buyers --------------------------------------------------------------------------------
@bp.route("/banks/<string:bank_code>/buyers")
class Buyers(MethodView):
    @bp.response(200, BuyerSchema(many=True))
    def get(self, bank_code: str) -> Any:
        """The bank's buyers: pengepul, industry, and its induk."""
        return backoffice.list_buyers(db.session, api_actor(), bank_code)

    @bp.arguments(BuyerCreateSchema)
    @bp.response(201, BuyerSchema)
    def post(self, args: dict[str, Any], bank_code: str) -> Any:
        """Register a buyer (manager); kind ``induk`` is the bank's own induk."""
        buyer = backoffice.create_buyer(
            db.session, api_actor(), bank_code=bank_code, **args
        )
        db.session.commit()
        return buyer


# -- sales ---------------------------------------------------------------------------------
@bp.route("/sales", methods=["POST"])
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.arguments(SaleCreateSchema)
@bp.response(201, SaleSchema)
@bp.alt_response(409, description="Not enough stock, or a reused Idempotency-Key")
def record_sale(headers: dict[str, Any], args: dict[str, Any]) -> Any:
    """Record a sale; to the bank's induk it is a shipment, received by the induk too."""
    sale, replayed = backoffice.record_sale(
        db.session,
        api_actor(),
        bank_code=args["bank"],
        buyer_id=args["buyer"],
        lines=[
            backoffice.SaleLineInput(
                category=line["category"],
                quantity=line["quantity"],
                price_rp=line["price_rp"],
                amount_rp=line["amount_rp"],
            )
            for line in args["lines"]
        ],
        note=args["note"],
        idempotency_key=headers["idempotency_key"],
        request_hash=request_hash(),
    )
    db.session.commit()
    return created(sale, replayed)


@bp.route("/sales/<int:sale_id>")
@bp.response(200, SaleSchema)
def get_sale(sale_id: int) -> Any:
    """One sale with its lines, costs and margin."""
    return backoffice.get_sale(db.session, api_actor(), sale_id)


@bp.route("/banks/<string:bank_code>/sales")
@bp.arguments(PeriodQueryArgsSchema, location="query")
@bp.response(200, SaleSchema(many=True))
def list_sales(args: dict[str, Any], bank_code: str) -> Any:
    """The buku penjualan of a period (local dates, ``to`` inclusive)."""
    book = backoffice.sales_book(
        db.session, api_actor(), bank_code, start=args["from_"], end=args["to"]
    )
    return book.sales


# -- cash book -----------------------------------------------------------------------------
@bp.route("/cash-entries", methods=["POST"])
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.arguments(CashEntryCreateSchema)
@bp.response(201, CashEntrySchema)
def record_cash_entry(headers: dict[str, Any], args: dict[str, Any]) -> Any:
    """Write an expense (``out``) or other income (``in``) into a bank's cash book."""
    actor = api_actor()
    occurred_at = None
    if args["occurred_on"] is not None:
        bank = get_bank(db.session, actor, args["bank"])
        zone = ZoneInfo(bank.timezone)
        now = dt.datetime.now(zone)
        if args["occurred_on"] != now.date():
            # A day other than today is booked at local noon of that day.
            occurred_at = dt.datetime.combine(args["occurred_on"], dt.time(12), zone)
    entry, replayed = backoffice.record_cash_entry(
        db.session,
        actor,
        bank_code=args["bank"],
        direction=args["direction"],
        category=args["category"],
        amount_rp=args["amount_rp"],
        description=args["description"],
        occurred_at=occurred_at,
        idempotency_key=headers["idempotency_key"],
        request_hash=request_hash(),
    )
    db.session.commit()
    return created(entry, replayed)


@bp.route("/banks/<string:bank_code>/cash-book")
@bp.arguments(PeriodQueryArgsSchema, location="query")
@bp.response(200, CashBookSchema)
def get_cash_book(args: dict[str, Any], bank_code: str) -> Any:
    """The buku kas: income, expenses and payouts with a running balance."""
    return backoffice.cash_book(
        db.session, api_actor(), bank_code, start=args["from_"], end=args["to"]
    )


@bp.route("/banks/<string:bank_code>/profit-and-loss")
@bp.arguments(PeriodQueryArgsSchema, location="query")
@bp.response(200, ProfitAndLossSchema)
def get_profit_and_loss(args: dict[str, Any], bank_code: str) -> Any:
    """Profit and loss of a period: sales less cost at average cost, fees, expenses."""
    return backoffice.profit_and_loss(
        db.session, api_actor(), bank_code, start=args["from_"], end=args["to"]
    )


@bp.route("/cities/<string:city_code>/totals")
@bp.arguments(PeriodQueryArgsSchema, location="query")
@bp.response(200, CityTotalsSchema)
def get_city_totals(args: dict[str, Any], city_code: str) -> Any:
    """Every bank of a city and the city's total, with shipments counted once."""
    return backoffice.city_totals(
        db.session, api_actor(), city_code, start=args["from_"], end=args["to"]
    )


@bp.route("/banks/<string:bank_code>/books/<string:book>.xlsx")
@bp.arguments(PeriodQueryArgsSchema, location="query")
@bp.response(
    200, BINARY, description="The book as a spreadsheet", content_type=XLSX_CONTENT_TYPE
)
def get_book_xlsx(args: dict[str, Any], bank_code: str, book: str) -> Response:
    """A book as XLSX: ``induk-nasabah``, ``penimbangan``, ``penjualan`` or ``kas``."""
    return backoffice_xlsx.bank_book_download(
        db.session, api_actor(), bank_code, book, start=args["from_"], end=args["to"]
    )


@bp.route("/cities/<string:city_code>/sipsn")
@bp.arguments(SipsnQueryArgsSchema, location="query")
@bp.response(200, SipsnRowSchema(many=True))
def get_sipsn(args: dict[str, Any], city_code: str) -> Any:
    """SIPSN figures per bank for a year, with plausibility checks (kg; see report_unit)."""
    _city, rows = backoffice.sipsn_report(
        db.session, api_actor(), city_code, year=args["year"]
    )
    return rows
