"""Marshmallow schemas of the routing API: shape and ranges only.

The energy schemas validate the bodies of ``POST /api/v1/energy/estimate`` and
``POST /api/v1/energy/landfill-methane`` (and the same bodies given to
``flask energy ...``). Keys are checked against the component keys and climate
zones exported by :mod:`routing.energy`; defaults are read from the core's own
signatures and :class:`~routing.energy.FodParameters`, so they cannot drift.
Model rules beyond ranges stay in the core, which raises
:class:`~routing.energy.InvalidParameter`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from routing.energy import (
    CLIMATE_ZONES,
    COMPONENT_KEYS,
    FodParameters,
    compost,
    digest_anaerobically,
    incinerate,
    produce_rdf,
    recover_landfill_gas,
)
from routing.energy.fod import MAX_HORIZON_YR

__all__ = [
    "ENERGY_PATHWAYS",
    "MAX_MASS_KG",
    "MAX_MASS_T",
    "MAX_YEAR",
    "MIN_YEAR",
    "AnaerobicDigestionParametersSchema",
    "CompostingParametersSchema",
    "EnergyEstimateRequestSchema",
    "EnergyEstimateSchema",
    "EstimateParametersSchema",
    "IncinerationParametersSchema",
    "LandfillGasRecoveryParametersSchema",
    "LandfillMethaneParametersSchema",
    "LandfillMethaneRequestSchema",
    "LandfillMethaneSchema",
    "PathwayEstimateSchema",
    "RdfParametersSchema",
]

#: Energy pathways the estimate answers for, in report order. The diversion-only
#: pathways of :data:`routing.energy.PATHWAYS` (reduction, reuse, recycling)
#: recover no energy, so they are not offered here.
ENERGY_PATHWAYS: tuple[str, ...] = (
    "incineration",
    "rdf",
    "anaerobic_digestion",
    "composting",
    "landfill_gas_recovery",
)

#: Calendar years a landfill-methane run may use.
MIN_YEAR = 1900
MAX_YEAR = 2200
#: Upper bound of one component's mass. It only keeps sums finite: 1e12 kg is
#: about 500 years of the world's municipal solid waste.
MAX_MASS_KG = 1e12
MAX_MASS_T = MAX_MASS_KG / 1000.0

_COMPONENT = validate.OneOf(
    COMPONENT_KEYS, error="Unknown waste component; expected one of {choices}."
)
_CLIMATE_ZONE = validate.OneOf(
    CLIMATE_ZONES, error="Unknown climate zone; expected one of {choices}."
)
_PATHWAY = validate.OneOf(
    ENERGY_PATHWAYS, error="Unknown energy pathway; expected one of {choices}."
)
_FRACTION = validate.Range(min=0.0, max=1.0, error="Must be between 0 and 1.")
_YEAR = validate.Range(min=MIN_YEAR, max=MAX_YEAR, error="Must be a year {min}..{max}.")


def _core_default(function: Callable[..., object], name: str) -> Any:
    """The default of keyword ``name`` of a core function (one source of truth)."""
    default = inspect.signature(function).parameters[name].default
    if isinstance(default, Mapping):
        return dict(default)
    if isinstance(default, tuple):
        return list(default)
    return default


_FOD_DEFAULTS = FodParameters()


def _fraction(description: str, default: float) -> fields.Float:
    return fields.Float(
        load_default=default,
        validate=_FRACTION,
        metadata={"description": f"{description}, 0..1 (default {default})."},
    )


def _bounded(description: str, default: float, low: float, high: float) -> fields.Float:
    return fields.Float(
        load_default=default,
        validate=validate.Range(min=low, max=high),
        metadata={"description": f"{description} (default {default})."},
    )


def _mass_by_component(unit: str, maximum: float, **kwargs: Any) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=_COMPONENT),
        values=fields.Float(
            validate=validate.Range(
                min=0.0, max=maximum, error=f"Must be 0..{maximum:g} {unit}."
            )
        ),
        **kwargs,
    )


# -- estimate: per-pathway parameters ---------------------------------------------------
class IncinerationParametersSchema(Schema):
    """Mass-burn incineration (wte-reference §6.2)."""

    net_electrical_efficiency = _fraction(
        "Net electrical efficiency eta_el,net (typical 0.18-0.25)",
        _core_default(incinerate, "net_electrical_efficiency"),
    )
    lhv_mj_per_kg = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=-10.0, max=60.0),
        metadata={
            "description": "Measured LHV as received, MJ/kg (-10..60). Default: the "
            "mass-weighted component LHV; the echo gives the value used."
        },
    )


class RdfParametersSchema(Schema):
    """Refuse-derived fuel (wte-reference §6.2)."""

    rdf_mass_yield_fraction = _fraction(
        "t RDF per t fed (0.25-0.50)",
        _core_default(produce_rdf, "rdf_mass_yield_fraction"),
    )
    rdf_lhv_mj_per_kg = _bounded(
        "LHV of the RDF as produced, MJ/kg, 0..60",
        _core_default(produce_rdf, "rdf_lhv_mj_per_kg"),
        0.0,
        60.0,
    )


class AnaerobicDigestionParametersSchema(Schema):
    """Anaerobic digestion with a gas-engine CHP (wte-reference §6.3, §6.4)."""

    biogas_yield_nm3_per_t_by_component = fields.Dict(
        keys=fields.String(validate=_COMPONENT),
        values=fields.Float(validate=validate.Range(min=0.0, max=1000.0)),
        load_default=lambda: _core_default(
            digest_anaerobically, "biogas_yield_nm3_per_t_by_component"
        ),
        metadata={
            "description": "Nm3 biogas per wet t of each digested component, 0..1000; "
            "components without a yield are not digested (default food 120)."
        },
    )
    methane_fraction = _fraction(
        "CH4 share of the biogas (0.55-0.65)",
        _core_default(digest_anaerobically, "methane_fraction"),
    )
    ch4_lhv_mj_per_nm3 = _bounded(
        "CH4 lower heating value, MJ/Nm3, 0..100",
        _core_default(digest_anaerobically, "ch4_lhv_mj_per_nm3"),
        0.0,
        100.0,
    )
    chp_electrical_efficiency = _fraction(
        "Gas-engine CHP electrical efficiency (0.35-0.42)",
        _core_default(digest_anaerobically, "chp_electrical_efficiency"),
    )
    ch4_emission_kg_per_t = _bounded(
        "Fugitive plant CH4, kg per wet t fed, 0..1000",
        _core_default(digest_anaerobically, "ch4_emission_kg_per_t"),
        0.0,
        1000.0,
    )


class CompostingParametersSchema(Schema):
    """Composting mass balance and emissions (wte-reference §6.4)."""

    mass_reduction_fraction = _fraction(
        "Wet mass lost as water and CO2 (0.4-0.7)",
        _core_default(compost, "mass_reduction_fraction"),
    )
    compostable_components = fields.List(
        fields.String(validate=_COMPONENT),
        load_default=lambda: _core_default(compost, "compostable_components"),
        metadata={
            "description": "Components the composter accepts (default food, garden)."
        },
    )
    ch4_emission_kg_per_t = _bounded(
        "CH4 emitted, kg per wet t fed, 0..1000",
        _core_default(compost, "ch4_emission_kg_per_t"),
        0.0,
        1000.0,
    )
    n2o_emission_kg_per_t = _bounded(
        "N2O emitted, kg per wet t fed, 0..1000",
        _core_default(compost, "n2o_emission_kg_per_t"),
        0.0,
        1000.0,
    )


class LandfillGasRecoveryParametersSchema(Schema):
    """Landfilling with gas collection: lifetime CH4 of the mass (§2.5, §6.3)."""

    mcf = _fraction("Methane correction factor MCF (IPCC Table 3.1)", _FOD_DEFAULTS.mcf)
    docf = _fraction("Fraction of DOC that decomposes, DOCf", _FOD_DEFAULTS.docf)
    f = _fraction(
        "CH4 share of landfill gas by volume, F", _FOD_DEFAULTS.methane_fraction
    )
    collection_efficiency = _fraction(
        "Share of the generated CH4 captured (0.60-0.85)",
        _core_default(recover_landfill_gas, "collection_efficiency"),
    )
    ch4_lhv_mj_per_nm3 = _bounded(
        "CH4 lower heating value, MJ/Nm3, 0..100",
        _core_default(recover_landfill_gas, "ch4_lhv_mj_per_nm3"),
        0.0,
        100.0,
    )
    engine_electrical_efficiency = _fraction(
        "Gas-engine electrical efficiency (0.35-0.42)",
        _core_default(recover_landfill_gas, "engine_electrical_efficiency"),
    )


def _defaults(schema: type[Schema]) -> Callable[[], Any]:
    return lambda: schema().load({})


class EstimateParametersSchema(Schema):
    """Coefficients of every pathway; each one left out takes its default."""

    incineration = fields.Nested(
        IncinerationParametersSchema,
        load_default=_defaults(IncinerationParametersSchema),
    )
    rdf = fields.Nested(
        RdfParametersSchema, load_default=_defaults(RdfParametersSchema)
    )
    anaerobic_digestion = fields.Nested(
        AnaerobicDigestionParametersSchema,
        load_default=_defaults(AnaerobicDigestionParametersSchema),
    )
    composting = fields.Nested(
        CompostingParametersSchema, load_default=_defaults(CompostingParametersSchema)
    )
    landfill_gas_recovery = fields.Nested(
        LandfillGasRecoveryParametersSchema,
        load_default=_defaults(LandfillGasRecoveryParametersSchema),
    )


# -- estimate: request and response -----------------------------------------------------
class EnergyEstimateRequestSchema(Schema):
    """Body of ``POST /api/v1/energy/estimate``."""

    mass_kg = _mass_by_component(
        "kg",
        MAX_MASS_KG,
        required=True,
        metadata={"description": "Component key -> wet kg, each >= 0; at least one."},
    )
    pathways = fields.List(
        fields.String(validate=_PATHWAY),
        load_default=lambda: list(ENERGY_PATHWAYS),
        validate=validate.Length(min=1, error="Give at least one pathway."),
        metadata={
            "description": "Pathways to estimate, in the order wanted "
            "(default: all of " + ", ".join(ENERGY_PATHWAYS) + ")."
        },
    )
    parameters = fields.Nested(
        EstimateParametersSchema,
        load_default=_defaults(EstimateParametersSchema),
        metadata={"description": "Per-pathway coefficients overriding the defaults."},
    )

    @validates_schema
    def _some_mass(self, data: dict[str, Any], **kwargs: Any) -> None:
        # A Length validator on a Dict would render as minLength in the OpenAPI.
        if data.get("mass_kg") == {}:
            raise ValidationError("Give at least one component.", "mass_kg")

    @validates_schema
    def _no_repeated_pathway(self, data: dict[str, Any], **kwargs: Any) -> None:
        pathways = data.get("pathways") or []
        if len(set(pathways)) != len(pathways):
            raise ValidationError("A pathway is listed twice.", "pathways")


class PathwayEstimateSchema(Schema):
    """Result of one pathway. Masses in wet t, gas volumes in Nm3 (0 °C)."""

    energy_mj = fields.Float(
        required=True,
        metadata={
            "description": "Energy recovered as fuel or gas: incineration heat input, "
            "RDF fuel energy, CH4 energy of biogas or recovered landfill gas; "
            "0 for composting."
        },
    )
    electricity_kwh = fields.Float(
        required=True,
        metadata={
            "description": "Electricity generated; 0 where none is (RDF, compost)."
        },
    )
    mass_fed_t = fields.Float(metadata={"description": "Mass the pathway treats."})
    residue_t = fields.Float(
        metadata={
            "description": "Mass left for the TPA: incinerator ash, RDF rejects and "
            "evaporated water, undigested or rejected components."
        }
    )
    lhv_mj_per_kg = fields.Float(metadata={"description": "Incineration: LHV used."})
    lhv_viable = fields.Boolean(
        metadata={"description": "Incineration: annual LHV >= 7 MJ/kg (World Bank)."}
    )
    fossil_co2_t = fields.Float(metadata={"description": "Incineration: fossil CO2."})
    rdf_t = fields.Float(metadata={"description": "RDF produced."})
    biogas_nm3 = fields.Float(metadata={"description": "AD: biogas."})
    ch4_nm3 = fields.Float(
        metadata={"description": "AD or LFG: CH4 produced/recovered."}
    )
    ch4_t = fields.Float(metadata={"description": "AD or LFG: CH4 produced/recovered."})
    ch4_emitted_t = fields.Float(
        metadata={
            "description": "CH4 escaping: plant leakage, compost, uncollected LFG."
        }
    )
    n2o_emitted_t = fields.Float(metadata={"description": "Composting: N2O emitted."})
    compost_t = fields.Float(metadata={"description": "Composting: compost produced."})
    ch4_generated_t = fields.Float(
        metadata={"description": "LFG: lifetime CH4 generated (methane commitment)."}
    )


class EnergyEstimateSchema(Schema):
    """Answer of ``POST /api/v1/energy/estimate``; numbers are unrounded."""

    mass_kg = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    total_mass_kg = fields.Float(required=True)
    pathways = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(PathwayEstimateSchema),
        required=True,
        metadata={"description": "Pathway name -> its result, in the order asked."},
    )
    parameters = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        required=True,
        metadata={
            "description": "Pathway name -> every coefficient used, defaults filled in."
        },
    )


# -- landfill methane -------------------------------------------------------------------
class LandfillMethaneRequestSchema(Schema):
    """Body of ``POST /api/v1/energy/landfill-methane`` (IPCC 2006 FOD)."""

    deposits_t = fields.Dict(
        keys=fields.Integer(validate=_YEAR),
        values=_mass_by_component("t", MAX_MASS_T),
        required=True,
        metadata={
            "description": f'Year ("2025", {MIN_YEAR}..{MAX_YEAR}) -> component key -> '
            "wet t deposited; at least one year."
        },
    )
    climate = fields.String(
        required=True,
        validate=_CLIMATE_ZONE,
        metadata={"description": "IPCC climate zone selecting k (Table 3.3)."},
    )
    mcf = fields.Float(
        required=True,
        validate=_FRACTION,
        metadata={"description": "Methane correction factor, 0..1 (Table 3.1)."},
    )
    docf = _fraction("Fraction of DOC that decomposes, DOCf", _FOD_DEFAULTS.docf)
    f = _fraction(
        "CH4 share of landfill gas by volume, F", _FOD_DEFAULTS.methane_fraction
    )
    ox = _fraction("Oxidation factor OX (0.1 with an oxidising cover)", 0.0)
    recovery = _fraction(
        "Share of the generated CH4 recovered each year, R",
        _FOD_DEFAULTS.recovery_fraction,
    )
    reaction_start_month = fields.Integer(
        load_default=_FOD_DEFAULTS.reaction_start_month,
        strict=True,
        validate=validate.Range(min=1, max=13),
        metadata={
            "description": "Annex 3A.1 M, 1..13; 13 (default) as printed, 1 CDM Tool 04."
        },
    )
    first_year = fields.Integer(
        required=True,
        strict=True,
        validate=_YEAR,
        metadata={"description": "First year reported (earlier deposits still count)."},
    )
    last_year = fields.Integer(
        required=True,
        strict=True,
        validate=_YEAR,
        metadata={
            "description": f"Last year reported; at most {MAX_HORIZON_YR} years are "
            "modelled, counted from the earliest deposit or first_year."
        },
    )

    @validates_schema
    def _some_deposit(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("deposits_t") == {}:
            raise ValidationError("Give at least one deposit year.", "deposits_t")

    @validates_schema
    def _year_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "first_year" not in data or "last_year" not in data:
            return
        first, last = data["first_year"], data["last_year"]
        if last < first:
            raise ValidationError(
                f"last_year {last} is before first_year {first}.", "last_year"
            )
        # The core simulates from the earliest deposit, so it counts in the span.
        start = min([first, *data.get("deposits_t", {})])
        if last - start + 1 > MAX_HORIZON_YR:
            raise ValidationError(
                f"The run {start}..{last} spans more than {MAX_HORIZON_YR} years.",
                "last_year",
            )


class LandfillMethaneParametersSchema(Schema):
    """Every FOD coefficient a landfill-methane run used."""

    climate = fields.String(required=True)
    mcf = fields.Float(required=True)
    docf = fields.Float(required=True)
    f = fields.Float(required=True)
    ox = fields.Float(required=True)
    recovery = fields.Float(required=True)
    reaction_start_month = fields.Integer(required=True)
    first_year = fields.Integer(required=True)
    last_year = fields.Integer(required=True)
    doc_by_component = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={"description": "DOC (kg C / kg wet) per deposited component."},
    )
    docf_by_component = fields.Dict(keys=fields.String(), values=fields.Float())
    decay_rate_by_component_per_yr = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={"description": "k (yr^-1, IPCC Table 3.3) per deposited component."},
    )


def _by_year(description: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={"description": description},
    )


class LandfillMethaneSchema(Schema):
    """Answer of ``POST /api/v1/energy/landfill-methane``; numbers are unrounded."""

    ch4_t = _by_year(
        'Year ("2026") -> t CH4 emitted, after recovery and oxidation (Eq. 3.1).'
    )
    ch4_generated_t = _by_year("Year -> t CH4 generated (Eq. 3.6).")
    ch4_recovered_t = _by_year("Year -> t CH4 recovered.")
    total_ch4_t = fields.Float(required=True)
    total_ch4_generated_t = fields.Float(required=True)
    parameters = fields.Nested(LandfillMethaneParametersSchema, required=True)
