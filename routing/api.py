"""JSON API of routing under ``/api/v1``: the waste-to-energy calculators.

``POST /api/v1/energy/estimate`` and ``POST /api/v1/energy/landfill-methane`` are
calculators over the pure :mod:`routing.energy` core: any authenticated user may
call them, and nothing is stored. :func:`estimate_energy` and
:func:`estimate_landfill_methane` turn a loaded request into the response body;
``flask energy ...`` (:mod:`routing.cli`) calls the same two functions, so both
adapters give the same numbers.
"""

from __future__ import annotations

import math
from typing import Any

from routing.energy import (
    EnergyModelError,
    FodParameters,
    InvalidParameter,
    compost,
    digest_anaerobically,
    incinerate,
    methane_commitment,
    produce_rdf,
    recover_landfill_gas,
    run_fod,
)
from routing.energy.pathways import MJ_PER_KWH
from routing.schemas import (
    EnergyEstimateRequestSchema,
    EnergyEstimateSchema,
    LandfillMethaneRequestSchema,
    LandfillMethaneSchema,
)
from wastebank.auth import authenticate_bearer
from wastebank.errors import register_domain_errors
from wastebank.rest import Blueprint
from wastebank.schemas import ErrorSchema

bp = Blueprint(
    "routing_api",
    __name__,
    url_prefix="/api/v1",
    description="Waste-to-energy and landfill-methane calculators (IPCC 2006).",
)

register_domain_errors(
    [(InvalidParameter, 422), (EnergyModelError, 422)], family=EnergyModelError
)

#: OpenAPI security requirement: a user's bearer token.
_BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@bp.before_request
def _require_token() -> None:
    authenticate_bearer()


# -- the calculations (shared with routing.cli) -----------------------------------------
def _incineration(mass_t: dict[str, float], options: dict[str, Any]) -> tuple[Any, Any]:
    result = incinerate(mass_t, **options)
    used = {**options, "lhv_mj_per_kg": result.lhv_mj_per_kg}
    used["lhv_from_composition"] = options["lhv_mj_per_kg"] is None
    return {
        "energy_mj": result.heat_input_kwh * MJ_PER_KWH,
        "electricity_kwh": result.electricity_kwh,
        "mass_fed_t": result.mass_t,
        "residue_t": result.ash_residue_t,
        "lhv_mj_per_kg": result.lhv_mj_per_kg,
        "lhv_viable": result.lhv_viable,
        "fossil_co2_t": result.fossil_co2_t,
    }, used


def _rdf(mass_t: dict[str, float], options: dict[str, Any]) -> tuple[Any, Any]:
    result = produce_rdf(mass_t, **options)
    return {
        "energy_mj": result.rdf_energy_kwh * MJ_PER_KWH,
        # RDF leaves as a fuel (e.g. for a cement kiln); no electricity is made here.
        "electricity_kwh": 0.0,
        "mass_fed_t": result.mass_t,
        "residue_t": result.mass_not_in_rdf_t,
        "rdf_t": result.rdf_t,
    }, options


def _anaerobic_digestion(
    mass_t: dict[str, float], options: dict[str, Any]
) -> tuple[Any, Any]:
    result = digest_anaerobically(mass_t, **options)
    return {
        "energy_mj": result.ch4_energy_kwh * MJ_PER_KWH,
        "electricity_kwh": result.electricity_kwh,
        "mass_fed_t": result.mass_fed_t,
        "residue_t": result.mass_not_digested_t,
        "biogas_nm3": result.biogas_nm3,
        "ch4_nm3": result.ch4_nm3,
        "ch4_t": result.ch4_t,
        "ch4_emitted_t": result.ch4_emitted_t,
    }, options


def _composting(mass_t: dict[str, float], options: dict[str, Any]) -> tuple[Any, Any]:
    result = compost(mass_t, **options)
    return {
        "energy_mj": 0.0,
        "electricity_kwh": 0.0,
        "mass_fed_t": result.mass_fed_t,
        "residue_t": result.mass_rejected_t,
        "compost_t": result.compost_t,
        "ch4_emitted_t": result.ch4_emitted_t,
        "n2o_emitted_t": result.n2o_emitted_t,
    }, options


def _landfill_gas_recovery(
    mass_t: dict[str, float], options: dict[str, Any]
) -> tuple[Any, Any]:
    # Lifetime basis: the methane commitment of the mass is everything it will
    # generate (the FOD sum to infinity), so the climate zone does not matter.
    parameters = FodParameters(
        mcf=options["mcf"], docf=options["docf"], methane_fraction=options["f"]
    )
    generated_t = methane_commitment(mass_t, parameters).ch4_t
    result = recover_landfill_gas(
        generated_t,
        collection_efficiency=options["collection_efficiency"],
        ch4_lhv_mj_per_nm3=options["ch4_lhv_mj_per_nm3"],
        engine_electrical_efficiency=options["engine_electrical_efficiency"],
    )
    return {
        "energy_mj": result.ch4_recovered_nm3 * options["ch4_lhv_mj_per_nm3"],
        "electricity_kwh": result.electricity_kwh,
        "mass_fed_t": math.fsum(mass_t.values()),
        "ch4_generated_t": result.ch4_generated_t,
        "ch4_nm3": result.ch4_recovered_nm3,
        "ch4_t": result.ch4_recovered_t,
        "ch4_emitted_t": result.ch4_not_collected_t,
    }, options


_PATHWAY_FUNCTIONS = {
    "incineration": _incineration,
    "rdf": _rdf,
    "anaerobic_digestion": _anaerobic_digestion,
    "composting": _composting,
    "landfill_gas_recovery": _landfill_gas_recovery,
}


def estimate_energy(args: dict[str, Any]) -> dict[str, Any]:
    """Energy, electricity and by-products of each pathway asked for.

    :param args: a body loaded by :class:`~routing.schemas.EnergyEstimateRequestSchema`.
    :returns: the :class:`~routing.schemas.EnergyEstimateSchema` body, unrounded.
    :raises EnergyModelError: if the core refuses a parameter.
    """
    mass_kg: dict[str, float] = args["mass_kg"]
    mass_t = {key: kg / 1000.0 for key, kg in mass_kg.items()}
    results: dict[str, Any] = {}
    used: dict[str, Any] = {}
    for pathway in args["pathways"]:
        options = dict(args["parameters"][pathway])
        results[pathway], used[pathway] = _PATHWAY_FUNCTIONS[pathway](mass_t, options)
    return {
        "mass_kg": mass_kg,
        "total_mass_kg": math.fsum(mass_kg.values()),
        "pathways": results,
        "parameters": used,
    }


def estimate_landfill_methane(args: dict[str, Any]) -> dict[str, Any]:
    """Landfill methane by year with the IPCC 2006 FOD model, per component.

    :param args: a body loaded by :class:`~routing.schemas.LandfillMethaneRequestSchema`.
    :returns: the :class:`~routing.schemas.LandfillMethaneSchema` body, unrounded;
        years are string keys.
    :raises EnergyModelError: if the core refuses a parameter.
    """
    parameters = FodParameters(
        climate_zone=args["climate"],
        mcf=args["mcf"],
        docf=args["docf"],
        methane_fraction=args["f"],
        oxidation_fraction=args["ox"],
        recovery_fraction=args["recovery"],
        reaction_start_month=args["reaction_start_month"],
    )
    result = run_fod(
        args["deposits_t"],
        parameters,
        start_year=args["first_year"],
        end_year=args["last_year"],
    )
    return {
        "ch4_t": {str(row.year): row.ch4_emitted_t for row in result.years},
        "ch4_generated_t": {str(row.year): row.ch4_generated_t for row in result.years},
        "ch4_recovered_t": {str(row.year): row.ch4_recovered_t for row in result.years},
        "total_ch4_t": result.total_ch4_emitted_t,
        "total_ch4_generated_t": result.total_ch4_generated_t,
        "parameters": {
            "climate": parameters.climate_zone,
            "mcf": parameters.mcf,
            "docf": parameters.docf,
            "f": parameters.methane_fraction,
            "ox": parameters.oxidation_fraction,
            "recovery": parameters.recovery_fraction,
            "reaction_start_month": parameters.reaction_start_month,
            "first_year": result.start_year,
            "last_year": result.end_year,
            "doc_by_component": dict(result.doc_by_component),
            "docf_by_component": dict(result.docf_by_component),
            "decay_rate_by_component_per_yr": dict(
                result.decay_rate_by_component_per_yr
            ),
        },
    }


# -- endpoints ---------------------------------------------------------------------------
@bp.route("/energy/estimate", methods=["POST"])
@bp.arguments(EnergyEstimateRequestSchema)
@bp.response(200, EnergyEstimateSchema)
@bp.alt_response(401, schema=ErrorSchema, description="Missing or invalid token")
@bp.doc(security=_BEARER)
def create_energy_estimate(args: dict[str, Any]) -> dict[str, Any]:
    """Estimate energy and electricity of a waste mass, per treatment pathway.

    Masses are wet kg by component; results are unrounded, with every coefficient
    used echoed in ``parameters``.
    """
    return estimate_energy(args)


@bp.route("/energy/landfill-methane", methods=["POST"])
@bp.arguments(LandfillMethaneRequestSchema)
@bp.response(200, LandfillMethaneSchema)
@bp.alt_response(401, schema=ErrorSchema, description="Missing or invalid token")
@bp.doc(security=_BEARER)
def create_landfill_methane_estimate(args: dict[str, Any]) -> dict[str, Any]:
    """Landfill methane by year (IPCC 2006 first-order decay, per component).

    ``ch4_t`` is emitted after recovery and oxidation; ``ch4_generated_t`` before.
    Results are unrounded.
    """
    return estimate_landfill_methane(args)
