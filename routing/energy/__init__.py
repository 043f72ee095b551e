"""Waste-to-energy and landfill-diversion science core (pure, standard library).

- :mod:`~routing.energy.components`: component table, stream and material
  compositions, loose densities.
- :mod:`~routing.energy.fod`: IPCC 2006 first-order decay and methane commitment.
- :mod:`~routing.energy.landgem`: US EPA LandGEM v3.02 cross-check.
- :mod:`~routing.energy.pathways`: incineration, RDF, AD, LFG recovery, composting.
- :mod:`~routing.energy.diversion`: diverted mass, airspace, TPA life, avoided CH4.
- :mod:`~routing.energy.targets`: Jakstranas progress and SDG 11.6.1 parameters.

Coefficients and equations: ``reference/wte-reference.md`` and the README's Methods.
Results are unrounded; round for display only.
"""

from __future__ import annotations

from routing.energy.components import (
    CLIMATE_ZONES,
    COMPONENT_KEYS,
    COMPONENTS,
    DOCF_IPCC_2019,
    LIQUID_DENSITY_KG_PER_L,
    MATERIAL_COMPOSITIONS,
    SIPSN_2023_COMPOSITION,
    STREAM_COMPOSITIONS,
    Component,
    bin_collection_mass_kg,
    composition_loose_density_kg_per_m3,
    decay_rate_per_yr,
    lhv_as_received_mj_per_kg,
    loose_density_kg_per_m3,
    material_composition,
    material_mass_kg,
    normalise_composition,
    split_by_composition,
    stream_composition,
)
from routing.energy.diversion import (
    GWP_CH4,
    PATHWAYS,
    AvoidedMethane,
    DiversionSummary,
    DivertedMass,
    TpaLifespan,
    airspace_m3,
    avoided_methane,
    co2e_t,
    diversion_fraction,
    gwp_ch4,
    summarise_diversion,
    tpa_lifespan,
)
from routing.energy.exceptions import (
    EnergyModelError,
    InvalidParameter,
    InvalidYearRange,
    UnknownClimateZone,
    UnknownComponent,
)
from routing.energy.fod import (
    MCF_BY_SITE_TYPE,
    FodParameters,
    FodResult,
    FodYear,
    MethaneCommitment,
    mcf_for_site_type,
    methane_commitment,
    run_fod,
)
from routing.energy.landgem import (
    LANDGEM_DEFAULTS,
    LandgemParameters,
    LandgemResult,
    ch4_density_kg_per_m3,
    landgem_lifetime_ch4_m3,
    landgem_methane_potential_m3_per_mg,
    run_landgem,
)
from routing.energy.pathways import (
    compost,
    digest_anaerobically,
    incinerate,
    methane_yield_nm3_per_t_from_bmp,
    mixture_lhv_mj_per_kg,
    produce_rdf,
    recover_landfill_gas,
    to_normal_m3,
)
from routing.energy.targets import (
    MassFigure,
    RateFigure,
    estimate_msw_generation,
    jakstranas_progress,
    sdg_11_6_1_parameters,
)

__all__ = [
    "CLIMATE_ZONES",
    "COMPONENTS",
    "COMPONENT_KEYS",
    "DOCF_IPCC_2019",
    "GWP_CH4",
    "LANDGEM_DEFAULTS",
    "LIQUID_DENSITY_KG_PER_L",
    "MATERIAL_COMPOSITIONS",
    "MCF_BY_SITE_TYPE",
    "PATHWAYS",
    "SIPSN_2023_COMPOSITION",
    "STREAM_COMPOSITIONS",
    "AvoidedMethane",
    "Component",
    "DiversionSummary",
    "DivertedMass",
    "EnergyModelError",
    "FodParameters",
    "FodResult",
    "FodYear",
    "InvalidParameter",
    "InvalidYearRange",
    "LandgemParameters",
    "LandgemResult",
    "MassFigure",
    "MethaneCommitment",
    "RateFigure",
    "TpaLifespan",
    "UnknownClimateZone",
    "UnknownComponent",
    "airspace_m3",
    "avoided_methane",
    "bin_collection_mass_kg",
    "ch4_density_kg_per_m3",
    "co2e_t",
    "composition_loose_density_kg_per_m3",
    "compost",
    "decay_rate_per_yr",
    "digest_anaerobically",
    "diversion_fraction",
    "estimate_msw_generation",
    "gwp_ch4",
    "incinerate",
    "jakstranas_progress",
    "landgem_lifetime_ch4_m3",
    "landgem_methane_potential_m3_per_mg",
    "lhv_as_received_mj_per_kg",
    "loose_density_kg_per_m3",
    "material_composition",
    "material_mass_kg",
    "mcf_for_site_type",
    "methane_commitment",
    "methane_yield_nm3_per_t_from_bmp",
    "mixture_lhv_mj_per_kg",
    "normalise_composition",
    "produce_rdf",
    "recover_landfill_gas",
    "run_fod",
    "run_landgem",
    "sdg_11_6_1_parameters",
    "split_by_composition",
    "stream_composition",
    "summarise_diversion",
    "to_normal_m3",
    "tpa_lifespan",
]
