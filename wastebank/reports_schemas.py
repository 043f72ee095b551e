"""Schemas of the diversion report and the DLH inputs behind it (shape and ranges only).

Kept beside :mod:`wastebank.reports_api` rather than in :mod:`wastebank.schemas` so the
report's wire format is read in one place.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from routing.energy import (
    CLIMATE_ZONES,
    COMPONENT_KEYS,
    GWP_CH4,
    MCF_BY_SITE_TYPE,
    STREAM_COMPOSITIONS,
)
from wastebank.fields import (
    BoundedDate,
    BoundedDateTime,
    DecimalNumber,
    JsonBoolean,
    Name,
    Pattern,
)
from wastebank.models import MASS_BASES, TPA_DELIVERY_SOURCES, TREATMENT_PATHWAYS
from wastebank.schemas import StrippedSchema

_CITY = Pattern(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$", error="1-16 letters, digits, - or _."
)
#: A weighbridge ticket number: visible ASCII, as printed on the ticket.
_TICKET = Pattern(r"^[\x21-\x7e]{1,40}$", error="1-40 visible ASCII characters.")
#: The largest single mass an input may carry, kg (a day at a large city's TPA).
MAX_MASS_KG = Decimal("10000000")
REPORT_FORMATS = ("json", "csv", "xlsx")
FIGURE_BASES = ("measured", "estimated", "not_available")
#: What a treatment input may be: a waste component or a bin stream.
TREATMENT_MATERIALS = (*COMPONENT_KEYS, *STREAM_COMPOSITIONS)


def _three_decimals(value: Decimal) -> None:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        raise ValidationError("At most 3 decimals (grams).")


def _mass(*, required: bool = True, minimum_inclusive: bool = False) -> fields.Decimal:
    options: dict[str, Any] = (
        {"required": True} if required else {"load_default": Decimal("0")}
    )
    return DecimalNumber(
        validate=[
            validate.Range(min=0, min_inclusive=minimum_inclusive, max=MAX_MASS_KG),
            _three_decimals,
        ],
        metadata={"description": "kg, up to 3 decimals"},
        **options,
    )


# -- the report ------------------------------------------------------------------------------
class DiversionReportQueryArgsSchema(Schema):
    city = fields.String(required=True, validate=_CITY)
    from_ = BoundedDate(
        data_key="from",
        required=True,
        metadata={"description": "first day, the city's local date"},
    )
    to = BoundedDate(
        required=True,
        metadata={"description": "last day, inclusive; the same calendar year"},
    )
    gwp = fields.String(
        load_default="ar5",
        validate=validate.OneOf(list(GWP_CH4)),
        metadata={"description": "GWP-100 set of CH4: ar5 (28) by default"},
    )
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(REPORT_FORMATS),
        metadata={"description": "json (default), csv or xlsx"},
    )


class FigureSchema(Schema):
    key = fields.String(required=True)
    section = fields.String(required=True)
    label_id = fields.String(required=True, metadata={"description": "Indonesian"})
    label_en = fields.String(required=True, metadata={"description": "English"})
    value = fields.Float(
        allow_none=True,
        metadata={"description": "kg to 3 decimals; other units unrounded"},
    )
    unit = fields.String(required=True)
    basis = fields.String(metadata={"enum": list(FIGURE_BASES)})
    source = fields.String(
        required=True, metadata={"description": "what the figure is computed from"}
    )


class DiversionReportSchema(Schema):
    city = fields.String(attribute="city_code")
    city_name = fields.String()
    timezone = fields.String()
    from_ = fields.Date(data_key="from", attribute="date_from")
    to = fields.Date(attribute="date_to")
    days = fields.Integer()
    year = fields.Integer()
    period_start_at = fields.AwareDateTime(attribute="start_at")
    period_end_at = fields.AwareDateTime(
        attribute="end_at", metadata={"description": "exclusive"}
    )
    parameters = fields.Dict(keys=fields.String())
    figures = fields.Method(
        "_figures",
        metadata={"description": "figure key -> figure; breakdowns are key.kind.name"},
    )
    notes = fields.List(fields.String())

    def _figures(self, report: Any) -> dict[str, Any]:
        figure = FigureSchema()
        return {item.key: figure.dump(item) for item in report.figures}


# -- TPA deliveries ---------------------------------------------------------------------------
class TpaDeliveryCreateSchema(StrippedSchema):
    city = fields.String(required=True, validate=_CITY)
    facility = Name(required=True, validate=validate.Length(min=1, max=120))
    ticket_no = fields.String(required=True, validate=_TICKET)
    delivered_at = BoundedDateTime(required=True)
    net_weight_kg = _mass()
    source = fields.String(
        load_default="weighbridge", validate=validate.OneOf(TPA_DELIVERY_SOURCES)
    )
    truck_code = fields.String(load_default=None, validate=validate.Length(max=32))
    note = fields.String(load_default=None, validate=validate.Length(max=255))


class TpaDeliverySchema(Schema):
    id = fields.Integer()
    city = fields.Function(lambda delivery: delivery.city.code)
    facility = fields.String()
    ticket_no = fields.String()
    delivered_at = fields.AwareDateTime()
    net_weight_kg = fields.Decimal(as_string=True)
    source = fields.String(metadata={"enum": list(TPA_DELIVERY_SOURCES)})
    truck_code = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    entered_by = fields.Integer(attribute="entered_by_id", allow_none=True)
    created_at = fields.AwareDateTime()


class WasteFlowQueryArgsSchema(Schema):
    city = fields.String(required=True, validate=_CITY)
    from_ = BoundedDate(data_key="from", load_default=None)
    to = BoundedDate(load_default=None, metadata={"description": "inclusive"})


# -- treatment inputs ------------------------------------------------------------------------
class TreatmentInputCreateSchema(StrippedSchema):
    city = fields.String(required=True, validate=_CITY)
    facility = Name(required=True, validate=validate.Length(min=1, max=120))
    treated_on = BoundedDate(
        required=True,
        metadata={"description": "local date, or the last day of the period summed"},
    )
    pathway = fields.String(required=True, validate=validate.OneOf(TREATMENT_PATHWAYS))
    material = fields.String(
        required=True,
        validate=validate.OneOf(TREATMENT_MATERIALS),
        metadata={"description": "a waste component or a bin stream"},
    )
    mass_kg = _mass()
    residue_kg = _mass(required=False, minimum_inclusive=True)
    basis = fields.String(load_default="measured", validate=validate.OneOf(MASS_BASES))
    note = fields.String(load_default=None, validate=validate.Length(max=255))

    @validates_schema
    def _residue_within_mass(self, data: dict[str, Any], **kwargs: Any) -> None:
        mass, residue = data.get("mass_kg"), data.get("residue_kg")
        if mass is not None and residue is not None and residue > mass:
            raise ValidationError(
                "The residue cannot exceed the mass fed.", "residue_kg"
            )


class TreatmentInputSchema(Schema):
    id = fields.Integer()
    city = fields.Function(lambda item: item.city.code)
    facility = fields.String()
    treated_on = fields.Date()
    pathway = fields.String(metadata={"enum": list(TREATMENT_PATHWAYS)})
    material = fields.String()
    mass_kg = fields.Decimal(as_string=True)
    residue_kg = fields.Decimal(as_string=True)
    basis = fields.String(metadata={"enum": list(MASS_BASES)})
    note = fields.String(allow_none=True)
    entered_by = fields.Integer(attribute="entered_by_id", allow_none=True)
    created_at = fields.AwareDateTime()


# -- the city's waste profile ----------------------------------------------------------------
class JakstradaTargetSchema(Schema):
    reduction_pct = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    handling_pct = fields.Float(required=True, validate=validate.Range(min=0, max=100))


class WasteProfileUpdateSchema(Schema):
    """Every field optional; ``null`` clears a value (its default then applies)."""

    population = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=1, max=100_000_000)
    )
    population_year = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=1900, max=2200)
    )
    generation_kg_per_capita_per_day = DecimalNumber(
        allow_none=True,
        validate=[
            validate.Range(min=0, min_inclusive=False, max=10),
            _three_decimals,
        ],
        metadata={"description": "from a survey (SNI 19-3964-1994); null: default"},
    )
    generation_source = fields.String(
        allow_none=True, validate=validate.Length(max=200)
    )
    tpa_name = Name(allow_none=True, validate=validate.Length(max=120))
    tpa_site_type = fields.String(
        allow_none=True,
        validate=validate.OneOf(list(MCF_BY_SITE_TYPE)),
        metadata={"description": "IPCC site type, sets the MCF"},
    )
    tpa_controlled = JsonBoolean(
        allow_none=True,
        metadata={"description": "the TPA meets WaCT's basic control level"},
    )
    tpa_remaining_airspace_m3 = DecimalNumber(
        allow_none=True, validate=validate.Range(min=0, max=Decimal("1e12"))
    )
    tpa_airspace_surveyed_on = BoundedDate(allow_none=True)
    in_place_density_t_per_m3 = DecimalNumber(
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=2),
        metadata={"description": "measured at the TPA; null: 0.6"},
    )
    cover_soil_fraction = DecimalNumber(
        allow_none=True, validate=validate.Range(min=0, max=1)
    )
    climate_zone = fields.String(
        allow_none=True, validate=validate.OneOf(CLIMATE_ZONES)
    )
    jakstrada_targets = fields.Dict(
        keys=fields.String(validate=Pattern(r"^(19|20|21)\d\d$")),
        values=fields.Nested(JakstradaTargetSchema),
        allow_none=True,
        metadata={
            "description": 'by year: {"2026": {"reduction_pct", "handling_pct"}}'
        },
    )


class WasteProfileSchema(WasteProfileUpdateSchema):
    city = fields.Function(lambda profile: profile.city.code)
    generation_kg_per_capita_per_day = DecimalNumber(as_string=True, allow_none=True)
    tpa_remaining_airspace_m3 = DecimalNumber(as_string=True, allow_none=True)
    in_place_density_t_per_m3 = DecimalNumber(as_string=True, allow_none=True)
    cover_soil_fraction = DecimalNumber(as_string=True, allow_none=True)
    updated_at = fields.AwareDateTime(allow_none=True)
