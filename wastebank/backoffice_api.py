"""JSON API of the back office under ``/api/v1``: stock, buyers, sales, shipments, cash
book, totals.

Thin adapters over :mod:`wastebank.services.backoffice` and
:mod:`wastebank.services.shipments`. POSTs that create money or stock records need an
``Idempotency-Key`` header, as deposits do. The purchase cost and margin of sales and
shipments are left out of the answers of those who may not read them (cashiers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, jsonify
from flask.views import MethodView
from marshmallow import Schema

from wastebank import backoffice_xlsx
from wastebank.access import Action, Actor
from wastebank.auth import api_actor, authenticate_bearer
from wastebank.backoffice_schemas import (
    COST_FIELDS,
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
    ShipmentCreateSchema,
    ShipmentQueryArgsSchema,
    ShipmentReceiveSchema,
    ShipmentSchema,
    SipsnQueryArgsSchema,
    SipsnRowSchema,
    StockAdjustmentCreateSchema,
    StockAdjustmentSchema,
    StockPositionSchema,
)
from wastebank.extensions import db
from wastebank.idempotency import created, request_hash
from wastebank.rest import BINARY, Blueprint
from wastebank.schemas import IdempotencyHeaderSchema, ReasonSchema
from wastebank.services import backoffice, get_bank, shipments
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


def _dump(schema: type[Schema], obj: Any, actor: Actor, *, many: bool = False) -> Any:
    """``obj`` as JSON; without cost and margin for a reader who may not see them.

    The response schema documents every field; the answer leaves these out rather than
    sending them empty, so nothing about a purchase cost reaches a cashier.
    """
    hidden = () if actor.can(Action.COSTS_READ) else COST_FIELDS
    return jsonify(schema(many=many, exclude=hidden).dump(obj))


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
    """Record a sale to a pengepul or industry buyer (to the induk: ``/shipments``)."""
    actor = api_actor()
    sale, replayed = backoffice.record_sale(
        db.session,
        actor,
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
    return created(_dump(SaleSchema, sale, actor), replayed)


@bp.route("/sales/<int:sale_id>")
@bp.response(200, SaleSchema)
def get_sale(sale_id: int) -> Any:
    """One sale with its lines (costs and margin for managers, DLH and admins)."""
    actor = api_actor()
    return _dump(SaleSchema, backoffice.get_sale(db.session, actor, sale_id), actor)


@bp.route("/banks/<string:bank_code>/sales")
@bp.arguments(PeriodQueryArgsSchema, location="query")
@bp.response(200, SaleSchema(many=True))
def list_sales(args: dict[str, Any], bank_code: str) -> Any:
    """The sales of a period (local dates, ``to`` inclusive); shipments: ``/shipments``."""
    actor = api_actor()
    book = backoffice.sales_book(
        db.session, actor, bank_code, start=args["from_"], end=args["to"]
    )
    return _dump(SaleSchema, book.sales, actor, many=True)


# -- shipments to the induk -----------------------------------------------------------------
@bp.route("/shipments", methods=["POST"])
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.arguments(ShipmentCreateSchema)
@bp.response(201, ShipmentSchema)
@bp.alt_response(409, description="Not enough stock, or a reused Idempotency-Key")
def dispatch_shipment(headers: dict[str, Any], args: dict[str, Any]) -> Any:
    """Dispatch a shipment from a unit to its induk (the unit's own staff): quantities
    only; it is in transit until the induk receives it."""
    actor = api_actor()
    shipment, replayed = shipments.dispatch_shipment(
        db.session,
        actor,
        bank_code=args["bank"],
        lines=[
            shipments.ShipmentLineInput(line["category"], line["quantity"])
            for line in args["lines"]
        ],
        note=args["note"],
        idempotency_key=headers["idempotency_key"],
        request_hash=request_hash(),
    )
    db.session.commit()
    return created(_dump(ShipmentSchema, shipment, actor), replayed)


@bp.route("/shipments/<int:shipment_id>")
@bp.response(200, ShipmentSchema)
def get_shipment(shipment_id: int) -> Any:
    """One shipment, seen from the unit or from its induk."""
    actor = api_actor()
    shipment = shipments.get_shipment(db.session, actor, shipment_id)
    return _dump(ShipmentSchema, shipment, actor)


@bp.route("/banks/<string:bank_code>/shipments")
@bp.arguments(ShipmentQueryArgsSchema, location="query")
@bp.response(200, ShipmentSchema(many=True))
def list_shipments(args: dict[str, Any], bank_code: str) -> Any:
    """A unit's shipments to its induk, or an induk's from its units; newest first."""
    actor = api_actor()
    _bank, rows = shipments.list_shipments(
        db.session,
        actor,
        bank_code,
        status=args["status"],
        start=args["from_"],
        end=args["to"],
    )
    return _dump(ShipmentSchema, rows, actor, many=True)


@bp.route("/shipments/<int:shipment_id>/receive", methods=["POST"])
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.arguments(ShipmentReceiveSchema)
@bp.response(200, ShipmentSchema)
@bp.alt_response(409, description="Not in transit, or a reused Idempotency-Key")
def receive_shipment(
    headers: dict[str, Any], args: dict[str, Any], shipment_id: int
) -> Any:
    """Receive a shipment at the induk (the induk's own managers and cashiers): the
    weighed quantity of every line, valued at the induk's buying prices today."""
    actor = api_actor()
    shipment, replayed = shipments.receive_shipment(
        db.session,
        actor,
        shipment_id,
        lines=[
            shipments.ShipmentLineInput(line["category"], line["quantity"])
            for line in args["lines"]
        ],
        note=args["note"],
        idempotency_key=headers["idempotency_key"],
        request_hash=request_hash(),
    )
    db.session.commit()
    return (
        _dump(ShipmentSchema, shipment, actor),
        200,
        {"Idempotent-Replayed": "true" if replayed else "false"},
    )


@bp.route("/shipments/<int:shipment_id>/reject", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, ShipmentSchema)
def reject_shipment(args: dict[str, Any], shipment_id: int) -> Any:
    """The induk's manager refuses a shipment in transit; it goes back to the unit."""
    actor = api_actor()
    shipment = shipments.reject_shipment(
        db.session, actor, shipment_id, reason=args["reason"]
    )
    db.session.commit()
    return _dump(ShipmentSchema, shipment, actor)


@bp.route("/shipments/<int:shipment_id>/cancel", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, ShipmentSchema)
def cancel_shipment(args: dict[str, Any], shipment_id: int) -> Any:
    """The unit's manager calls back a shipment in transit; it goes back into stock."""
    actor = api_actor()
    shipment = shipments.cancel_shipment(
        db.session, actor, shipment_id, reason=args["reason"]
    )
    db.session.commit()
    return _dump(ShipmentSchema, shipment, actor)


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
