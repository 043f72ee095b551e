"""Marshmallow schemas of the back office (shape and ranges only; rules are services').

Kept apart from :mod:`wastebank.schemas` so the back office reads as one piece; the
conventions are the same (``<Thing>Schema`` out, ``<Thing>CreateSchema`` in).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wastebank.fields import BoundedDate, DecimalNumber, Name, Pattern
from wastebank.models import (
    BUYER_KINDS,
    EXPENSE_CATEGORIES,
    INCOME_CATEGORIES,
    SALE_BUYER_KINDS,
    SHIPMENT_STATUSES,
)
from wastebank.schemas import _CODE, _ID, StrippedSchema

_RP = validate.Range(min=0, max=10**12)
_QUANTITY = validate.Range(min=0, min_inclusive=False, max=100_000)
_COSTS = "purchase cost: shown to managers, DLH and admins only"
#: The fields of a sale's or shipment's dump that only readers of costs get
#: (:data:`wastebank.access.Action.COSTS_READ`); the API leaves them out for the others.
COST_FIELDS = ("cost_rp", "margin_rp", "lines.cost_rp", "lines.margin_rp")


class PeriodQueryArgsSchema(Schema):
    """A period of local calendar days, both ends inclusive and optional."""

    from_ = BoundedDate(data_key="from", load_default=None)
    to = BoundedDate(
        load_default=None, metadata={"description": "inclusive, the bank's local date"}
    )


# -- stock ---------------------------------------------------------------------------------
class StockPositionSchema(Schema):
    category = fields.Function(lambda p: p.category.code)
    category_name = fields.Function(lambda p: p.category.name_id)
    unit = fields.Function(lambda p: p.category.unit)
    quantity = fields.Decimal(as_string=True)
    value_rp = fields.Integer(metadata={"description": "at average purchase cost"})
    average_cost_rp = fields.Integer(
        allow_none=True, metadata={"description": "per unit, rounded"}
    )


class StockAdjustmentCreateSchema(StrippedSchema):
    category = fields.String(required=True, validate=_CODE)
    quantity = DecimalNumber(
        required=True,
        validate=validate.Range(min=-100_000, max=100_000),
        metadata={"description": "signed: found more (+) or less (-) than the books"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=255))


class StockAdjustmentSchema(Schema):
    id = fields.Integer()
    category = fields.Function(lambda a: a.category.code)
    quantity = fields.Decimal(as_string=True)
    value_rp = fields.Integer()
    reason = fields.String()
    occurred_at = fields.AwareDateTime()


# -- buyers and sales ------------------------------------------------------------------
class BuyerCreateSchema(StrippedSchema):
    name = Name(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(
        required=True,
        validate=validate.OneOf(SALE_BUYER_KINDS),
        metadata={"description": "a unit ships to its induk: POST /shipments"},
    )
    phone = fields.String(load_default=None, validate=validate.Length(max=20))
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    nib = fields.String(
        load_default=None,
        validate=Pattern(r"^[0-9]{13}$", error="A NIB is 13 digits."),
    )


class BuyerSchema(Schema):
    id = fields.Integer()
    bank = fields.Function(lambda b: b.bank.code)
    name = fields.String()
    kind = fields.String(
        metadata={
            "enum": list(BUYER_KINDS),
            "description": "induk: from before shipments",
        }
    )
    induk = fields.Function(lambda b: b.induk_bank.code if b.induk_bank else None)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    nib = fields.String(allow_none=True)


class SaleLineCreateSchema(Schema):
    category = fields.String(required=True, validate=_CODE)
    quantity = DecimalNumber(
        required=True,
        validate=_QUANTITY,
        metadata={"description": "in the category's unit (kg for kg categories)"},
    )
    price_rp = fields.Integer(
        load_default=None,
        strict=True,
        validate=_RP,
        metadata={"description": "selling price per unit (per kg)"},
    )
    amount_rp = fields.Integer(
        load_default=None,
        strict=True,
        validate=_RP,
        metadata={"description": "or a lump amount for the line"},
    )

    @validates_schema
    def _price_or_amount(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("price_rp") is None) == (data.get("amount_rp") is None):
            raise ValidationError("Give either price_rp or amount_rp.", "price_rp")


class SaleCreateSchema(Schema):
    bank = fields.String(required=True, validate=_CODE)
    buyer = fields.Integer(required=True, strict=True, validate=_ID)
    lines = fields.List(
        fields.Nested(SaleLineCreateSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
    )
    note = fields.String(load_default=None, validate=validate.Length(max=255))


class SaleLineSchema(Schema):
    category = fields.String(attribute="category_code")
    category_name = fields.String()
    material = fields.String()
    unit = fields.String()
    quantity = fields.Decimal(as_string=True)
    price_rp = fields.Integer(allow_none=True)
    amount_rp = fields.Integer()
    cost_rp = fields.Integer(metadata={"description": f"average {_COSTS}"})
    margin_rp = fields.Integer(metadata={"description": _COSTS})


class SaleSchema(Schema):
    id = fields.Integer()
    receipt_no = fields.String()
    bank = fields.Function(lambda s: s.bank.code)
    buyer = fields.Nested(BuyerSchema)
    lines = fields.List(fields.Nested(SaleLineSchema))
    total_rp = fields.Integer()
    cost_rp = fields.Integer(metadata={"description": _COSTS})
    margin_rp = fields.Integer(metadata={"description": _COSTS})
    total_weight_kg = fields.Decimal(as_string=True)
    note = fields.String(allow_none=True)
    occurred_at = fields.AwareDateTime()


# -- shipments to the induk -------------------------------------------------------------
class ShipmentLineCreateSchema(Schema):
    category = fields.String(required=True, validate=_CODE)
    quantity = DecimalNumber(
        required=True,
        validate=_QUANTITY,
        metadata={"description": "in the category's unit (kg for kg categories)"},
    )


class ShipmentCreateSchema(Schema):
    bank = fields.String(
        required=True, validate=_CODE, metadata={"description": "the unit that ships"}
    )
    lines = fields.List(
        fields.Nested(ShipmentLineCreateSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "quantities only: the induk prices what it receives"},
    )
    note = fields.String(load_default=None, validate=validate.Length(max=255))


class ShipmentLineReceiveSchema(Schema):
    category = fields.String(required=True, validate=_CODE)
    quantity = DecimalNumber(
        required=True,
        validate=validate.Range(min=0, max=100_000),
        metadata={"description": "weighed at the induk; 0 when none of it arrived"},
    )


class ShipmentReceiveSchema(Schema):
    lines = fields.List(
        fields.Nested(ShipmentLineReceiveSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "every waste type of the shipment, once"},
    )
    note = fields.String(load_default=None, validate=validate.Length(max=255))


class ShipmentQueryArgsSchema(PeriodQueryArgsSchema):
    """A bank's shipments by status and dispatch date (local days, inclusive)."""

    status = fields.String(
        load_default=None, validate=validate.OneOf(SHIPMENT_STATUSES)
    )


class ShipmentLineSchema(Schema):
    category = fields.String(attribute="category_code")
    category_name = fields.String()
    material = fields.String()
    unit = fields.String()
    quantity = fields.Decimal(as_string=True, metadata={"description": "dispatched"})
    received_quantity = fields.Decimal(
        as_string=True,
        allow_none=True,
        metadata={"description": "weighed at the induk"},
    )
    variance = fields.Decimal(
        as_string=True,
        allow_none=True,
        metadata={"description": "received - dispatched"},
    )
    price_rp = fields.Integer(
        allow_none=True, metadata={"description": "the induk's buying price per unit"}
    )
    amount_rp = fields.Integer(allow_none=True)
    cost_rp = fields.Integer(metadata={"description": f"the unit's average {_COSTS}"})
    margin_rp = fields.Integer(allow_none=True, metadata={"description": _COSTS})


class ShipmentSummarySchema(Schema):
    """A shipment without its lines or money (the cash book's list of those in transit)."""

    id = fields.Integer()
    receipt_no = fields.String(metadata={"description": "the dispatch note's number"})
    bank = fields.Function(lambda s: s.bank.code, metadata={"description": "from"})
    induk = fields.Function(lambda s: s.induk_bank.code, metadata={"description": "to"})
    status = fields.String(metadata={"enum": list(SHIPMENT_STATUSES)})
    total_weight_kg = fields.Decimal(as_string=True, metadata={"description": "sent"})
    dispatched_at = fields.AwareDateTime()


class ShipmentSchema(ShipmentSummarySchema):
    lines = fields.List(fields.Nested(ShipmentLineSchema))
    received_weight_kg = fields.Decimal(as_string=True, allow_none=True)
    value_rp = fields.Integer(
        allow_none=True,
        metadata={"description": "what the induk pays; null until received"},
    )
    cost_rp = fields.Integer(metadata={"description": _COSTS})
    margin_rp = fields.Integer(allow_none=True, metadata={"description": _COSTS})
    note = fields.String(allow_none=True)
    received_at = fields.AwareDateTime(allow_none=True)
    receive_note = fields.String(allow_none=True)
    returned_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "rejected or cancelled: back at the unit"},
    )
    return_reason = fields.String(allow_none=True)


# -- cash book ---------------------------------------------------------------------------
class CashEntryCreateSchema(StrippedSchema):
    bank = fields.String(required=True, validate=_CODE)
    direction = fields.String(
        load_default="out", validate=validate.OneOf(["in", "out"])
    )
    category = fields.String(
        required=True,
        validate=validate.OneOf(EXPENSE_CATEGORIES + INCOME_CATEGORIES),
        metadata={
            "description": f"out: {', '.join(EXPENSE_CATEGORIES)}; "
            f"in: {', '.join(INCOME_CATEGORIES)}"
        },
    )
    amount_rp = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=10**12)
    )
    description = fields.String(required=True, validate=validate.Length(min=1, max=255))
    occurred_on = BoundedDate(
        load_default=None, metadata={"description": "local date; default: now"}
    )


class CashEntrySchema(Schema):
    id = fields.Integer()
    bank = fields.Function(lambda e: e.bank.code)
    direction = fields.String()
    category = fields.String()
    amount_rp = fields.Integer()
    description = fields.String()
    occurred_at = fields.AwareDateTime()


class CashLineSchema(Schema):
    at = fields.AwareDateTime()
    category = fields.String()
    description = fields.String()
    reference = fields.String()
    in_rp = fields.Integer()
    out_rp = fields.Integer()
    balance_rp = fields.Integer()


class CashBookSchema(Schema):
    bank = fields.Function(lambda b: b.bank.code)
    opening_rp = fields.Integer()
    in_rp = fields.Integer()
    out_rp = fields.Integer()
    closing_rp = fields.Integer()
    lines = fields.List(fields.Nested(CashLineSchema))
    in_transit = fields.List(
        fields.Nested(ShipmentSummarySchema),
        metadata={"description": "shipments not yet received: no money has moved"},
    )


class ProfitAndLossSchema(Schema):
    bank = fields.Function(lambda p: p.bank.code)
    sales_rp = fields.Integer()
    cost_of_sales_rp = fields.Integer()
    gross_margin_rp = fields.Integer()
    withdrawal_fees_rp = fields.Integer()
    other_income_rp = fields.Integer()
    stock_adjustments_rp = fields.Integer()
    expenses_rp = fields.Dict(keys=fields.String(), values=fields.Integer())
    total_expenses_rp = fields.Integer()
    net_rp = fields.Integer()
    shipments_rp = fields.Integer(
        metadata={"description": "of sales_rp: shipments the induk received"}
    )
    in_transit_cost_rp = fields.Integer(
        metadata={
            "description": "shipments not received at the end, at cost; not in net"
        }
    )


class FiguresSchema(Schema):
    received_kg = fields.Decimal(
        as_string=True, metadata={"description": "from members: counted once"}
    )
    received_rp = fields.Integer()
    shipments_in_kg = fields.Decimal(as_string=True)
    managed_kg = fields.Decimal(as_string=True)
    sold_kg = fields.Decimal(as_string=True)
    shipped_kg = fields.Decimal(as_string=True)
    in_transit_kg = fields.Decimal(
        as_string=True, metadata={"description": "of shipped_kg: not yet received"}
    )
    sales_rp = fields.Integer()
    cost_of_sales_rp = fields.Integer()
    margin_rp = fields.Integer()
    expenses_rp = fields.Integer()
    payouts_rp = fields.Integer()
    deposits = fields.Integer()


class BankTotalsSchema(Schema):
    bank = fields.Function(lambda row: row.bank.code)
    kind = fields.Function(lambda row: row.bank.kind)
    figures = fields.Nested(FiguresSchema)


class CityTotalsSchema(Schema):
    city = fields.Function(lambda t: t.city.code)
    banks = fields.List(fields.Nested(BankTotalsSchema))
    total = fields.Nested(
        FiguresSchema,
        metadata={"description": "shipments between the city's banks count once"},
    )


class SipsnQueryArgsSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class SipsnRowSchema(Schema):
    bank = fields.Function(lambda r: r.bank.code)
    name = fields.Function(lambda r: r.bank.name)
    kind = fields.Function(lambda r: r.bank.kind)
    report_unit = fields.String(metadata={"description": "kg for units, t for induk"})
    received_kg = fields.Decimal(as_string=True)
    managed_kg = fields.Decimal(as_string=True)
    previous_managed_kg = fields.Decimal(as_string=True)
    by_destination_kg = fields.Dict(
        keys=fields.String(), values=fields.Decimal(as_string=True)
    )
    checks = fields.List(
        fields.String(),
        metadata={"description": "no_data, outlier_history, outlier_peers, unit_swap"},
    )
