"""Energy and treatment pathways for a mass of waste given by component.

Incineration, refuse-derived fuel (RDF), anaerobic digestion (AD), landfill
gas (LFG) recovery and composting. Every efficiency and yield is a keyword
parameter whose default and range are documented with their source
(wte-reference §6, §11). Results are unrounded; energies are in kWh.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from routing.energy.components import COMPONENTS
from routing.energy.exceptions import InvalidParameter
from routing.energy.fod import check_deposits
from routing.energy.landgem import STANDARD_PRESSURE_KPA, ch4_density_kg_per_m3

__all__ = [
    "AD_CH4_EMISSION_KG_PER_T",
    "BIOGAS_YIELD_NM3_PER_T",
    "CH4_LHV_MJ_PER_NM3",
    "CH4_NORMAL_DENSITY_KG_PER_NM3",
    "COMPOSTABLE_COMPONENTS",
    "COMPOSTING_CH4_EMISSION_KG_PER_T",
    "COMPOSTING_N2O_EMISSION_KG_PER_T",
    "MJ_PER_KWH",
    "WORLD_BANK_MIN_AVERAGE_LHV_MJ_PER_KG",
    "AnaerobicDigestionResult",
    "CompostingResult",
    "IncinerationResult",
    "LandfillGasRecoveryResult",
    "RdfResult",
    "compost",
    "digest_anaerobically",
    "incinerate",
    "methane_yield_nm3_per_t_from_bmp",
    "mixture_lhv_mj_per_kg",
    "produce_rdf",
    "recover_landfill_gas",
    "to_normal_m3",
]

MJ_PER_KWH = 3.6

#: CH4 lower heating value at 0 °C, 1 atm: 35.8 MJ/Nm3 = 9.94 kWh/Nm3
#: (wte-reference §6.3 [V]).
CH4_LHV_MJ_PER_NM3 = 35.8
#: Ideal-gas CH4 density at 0 °C, 101.325 kPa (0.716 kg/Nm3, §5 / §6.3).
CH4_NORMAL_DENSITY_KG_PER_NM3 = ch4_density_kg_per_m3(0.0)
#: Mass-burn viability: annual average LHV >= 7 MJ/kg, never below 6
#: (World Bank 2000, wte-reference §6.1 [M]).
WORLD_BANK_MIN_AVERAGE_LHV_MJ_PER_KG = 7.0
#: Biogas yield of source-separated food waste, Nm3 per wet t: 100-150,
#: default 120 (wte-reference §6.3 [M]); other components are not fed.
BIOGAS_YIELD_NM3_PER_T: Mapping[str, float] = MappingProxyType({"food": 120.0})
#: CH4 emitted by AD at biogas plants, kg per wet t (0.8 g/kg; IPCC 2006
#: Vol. 5 Ch. 4 Table 4.1, wte-reference §6.4 [S]).
AD_CH4_EMISSION_KG_PER_T = 0.8
#: Composting CH4 and N2O, kg per wet t (4 and 0.24 g/kg; same table [S]).
COMPOSTING_CH4_EMISSION_KG_PER_T = 4.0
COMPOSTING_N2O_EMISSION_KG_PER_T = 0.24
#: Components a windrow or TPS3R composter accepts [A].
COMPOSTABLE_COMPONENTS: tuple[str, ...] = ("food", "garden")
# Carbon to CO2 mass ratio, 44/12 (IPCC 2006 Vol. 5 Ch. 5 Eq. 5.2).
_CO2_PER_C = 44.0 / 12.0


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidParameter(
            name, f"{name} must be within {low}..{high}, got {value!r}."
        )


def _total_t(mass_t_by_component: Mapping[str, float]) -> float:
    check_deposits(mass_t_by_component, "mass_t_by_component")
    return math.fsum(mass_t_by_component.values())


def to_normal_m3(
    volume_m3: float, temperature_c: float, pressure_kpa: float = STANDARD_PRESSURE_KPA
) -> float:
    """Convert a gas volume to Nm3 (0 °C, 101.325 kPa), ideal gas (§6.3).

    :param volume_m3: measured volume, m3, >= 0.
    :param temperature_c: measurement temperature, °C.
    :param pressure_kpa: absolute measurement pressure, kPa.
    :returns: volume at normal conditions, Nm3.
    :raises InvalidParameter: for a negative volume or impossible state.
    """
    _check_range("volume_m3", volume_m3, 0.0, math.inf)
    return (
        volume_m3
        * ch4_density_kg_per_m3(temperature_c, pressure_kpa)
        / CH4_NORMAL_DENSITY_KG_PER_NM3
    )


def mixture_lhv_mj_per_kg(mass_t_by_component: Mapping[str, float]) -> float:
    """Mass-weighted LHV as received of a mixture (§6.1), MJ/kg wet.

    :param mass_t_by_component: component key -> wet t, total > 0.
    :returns: LHV, MJ/kg; negative if the mixture absorbs heat.
    :raises InvalidParameter: for a negative mass or a zero total.
    """
    total_t = _total_t(mass_t_by_component)
    if total_t <= 0.0:
        raise InvalidParameter("mass_t_by_component", "The total mass must be > 0.")
    return (
        math.fsum(
            mass_t * COMPONENTS[key].lhv_as_received_mj_per_kg
            for key, mass_t in mass_t_by_component.items()
        )
        / total_t
    )


@dataclass(frozen=True)
class IncinerationResult:
    """Mass-burn incineration with electricity export."""

    mass_t: float
    lhv_mj_per_kg: float
    net_electrical_efficiency: float
    heat_input_kwh: float
    electricity_kwh: float
    ash_residue_t: float
    fossil_co2_t: float
    #: LHV >= 7 MJ/kg, the World Bank annual-average threshold.
    lhv_viable: bool


def incinerate(
    mass_t_by_component: Mapping[str, float],
    *,
    net_electrical_efficiency: float = 0.22,
    lhv_mj_per_kg: float | None = None,
) -> IncinerationResult:
    """Electricity from mass-burn incineration (wte-reference §6.2).

    ``E_el (kWh) = t * 1000 * LHV (MJ/kg) * eta_el,net / 3.6``; a mixture with
    LHV <= 0 yields no electricity. Fossil CO2 follows IPCC 2006 Vol. 5 Ch. 5
    Eq. 5.2 with OF = 1: ``sum_j SW_j * dm_j * CF_j * FCF_j * 44/12``.

    :param mass_t_by_component: component key -> wet t fed, each >= 0.
    :param net_electrical_efficiency: eta_el,net, default 0.22, typical range
        0.18-0.25 (EU Waste Incineration BREF; World Bank guide [M]); 0..1.
    :param lhv_mj_per_kg: measured LHV as received, MJ/kg; default the
        mass-weighted component LHV (§6.1), which for clean US material
        runs above measured Indonesian values (Jakarta ≈ 5.9 MJ/kg).
    :returns: an :class:`IncinerationResult`.
    :raises InvalidParameter: for a bad mass or efficiency.
    """
    total_t = _total_t(mass_t_by_component)
    _check_range("net_electrical_efficiency", net_electrical_efficiency, 0.0, 1.0)
    if lhv_mj_per_kg is None:
        lhv = mixture_lhv_mj_per_kg(mass_t_by_component) if total_t > 0.0 else 0.0
    else:
        _check_range("lhv_mj_per_kg", lhv_mj_per_kg, -math.inf, math.inf)
        lhv = lhv_mj_per_kg
    heat_kwh = total_t * 1000.0 * max(lhv, 0.0) / MJ_PER_KWH
    fossil_c_t = math.fsum(
        mass_t
        * COMPONENTS[key].dry_matter_fraction
        * COMPONENTS[key].carbon_dry_fraction
        * COMPONENTS[key].fossil_carbon_fraction
        for key, mass_t in mass_t_by_component.items()
    )
    return IncinerationResult(
        mass_t=total_t,
        lhv_mj_per_kg=lhv,
        net_electrical_efficiency=net_electrical_efficiency,
        heat_input_kwh=heat_kwh,
        electricity_kwh=heat_kwh * net_electrical_efficiency,
        ash_residue_t=math.fsum(
            mass_t * COMPONENTS[key].inert_residue_fraction
            for key, mass_t in mass_t_by_component.items()
        ),
        fossil_co2_t=fossil_c_t * _CO2_PER_C,
        lhv_viable=lhv >= WORLD_BANK_MIN_AVERAGE_LHV_MJ_PER_KG,
    )


@dataclass(frozen=True)
class RdfResult:
    """Refuse-derived fuel production (e.g. bio-drying, as at TPA Tritih Lor)."""

    mass_t: float
    rdf_t: float
    rdf_lhv_mj_per_kg: float
    rdf_energy_kwh: float
    #: Water evaporated plus rejects; where rejects go is the caller's data.
    mass_not_in_rdf_t: float


def produce_rdf(
    mass_t_by_component: Mapping[str, float],
    *,
    rdf_mass_yield_fraction: float = 0.375,
    rdf_lhv_mj_per_kg: float = 11.2,
) -> RdfResult:
    """RDF mass and fuel energy from mixed waste (wte-reference §6.2).

    :param mass_t_by_component: component key -> wet t fed, each >= 0.
    :param rdf_mass_yield_fraction: t RDF per t fed; 0.25-0.50 depending on
        drying and rejects [M], default the mid-point 0.375; 0..1.
    :param rdf_lhv_mj_per_kg: LHV of the RDF as produced; default 11.2 MJ/kg,
        Jakarta bio-dried RDF at 37.9 % moisture [V]; a plastic-rich RDF
        reaches 19.6 (Thai study [V]). EN 15359 classes start at 3 MJ/kg.
    :returns: an :class:`RdfResult`; the energy is fuel heat (thermal kWh),
        e.g. for a cement kiln.
    :raises InvalidParameter: for a bad mass, yield or LHV.
    """
    total_t = _total_t(mass_t_by_component)
    _check_range("rdf_mass_yield_fraction", rdf_mass_yield_fraction, 0.0, 1.0)
    _check_range("rdf_lhv_mj_per_kg", rdf_lhv_mj_per_kg, 0.0, 60.0)
    rdf_t = total_t * rdf_mass_yield_fraction
    return RdfResult(
        mass_t=total_t,
        rdf_t=rdf_t,
        rdf_lhv_mj_per_kg=rdf_lhv_mj_per_kg,
        rdf_energy_kwh=rdf_t * 1000.0 * rdf_lhv_mj_per_kg / MJ_PER_KWH,
        mass_not_in_rdf_t=total_t - rdf_t,
    )


def methane_yield_nm3_per_t_from_bmp(
    total_solids_fraction: float,
    volatile_solids_fraction_of_ts: float,
    bmp_l_ch4_per_kg_vs: float,
) -> float:
    """CH4 yield of a feedstock from its BMP, Nm3 CH4 per wet t (§6.3).

    ``TS x VS/TS x BMP``: L/kg VS x kg VS/t x 1e-3 m3/L x 1000 kg/t. Source-
    separated food waste: BMP 467-529 L CH4/kg VS (Browne & Murphy 2013).

    :param total_solids_fraction: TS, kg dry / kg wet, 0..1.
    :param volatile_solids_fraction_of_ts: VS/TS, 0..1.
    :param bmp_l_ch4_per_kg_vs: biochemical methane potential, L CH4 (0 °C)
        per kg VS added, >= 0.
    :returns: Nm3 CH4 per wet tonne.
    :raises InvalidParameter: for an out-of-range argument.
    """
    _check_range("total_solids_fraction", total_solids_fraction, 0.0, 1.0)
    _check_range(
        "volatile_solids_fraction_of_ts", volatile_solids_fraction_of_ts, 0.0, 1.0
    )
    _check_range("bmp_l_ch4_per_kg_vs", bmp_l_ch4_per_kg_vs, 0.0, 2000.0)
    return total_solids_fraction * volatile_solids_fraction_of_ts * bmp_l_ch4_per_kg_vs


@dataclass(frozen=True)
class AnaerobicDigestionResult:
    """Anaerobic digestion with a gas-engine CHP; gas volumes in Nm3 (0 °C)."""

    mass_fed_t: float
    mass_not_digested_t: float
    biogas_nm3: float
    ch4_nm3: float
    ch4_t: float
    ch4_energy_kwh: float
    electricity_kwh: float
    #: Fugitive CH4 of the plant (IPCC 2006 Vol. 5 Table 4.1).
    ch4_emitted_t: float


def digest_anaerobically(
    mass_t_by_component: Mapping[str, float],
    *,
    biogas_yield_nm3_per_t_by_component: Mapping[str, float] = BIOGAS_YIELD_NM3_PER_T,
    methane_fraction: float = 0.60,
    ch4_lhv_mj_per_nm3: float = CH4_LHV_MJ_PER_NM3,
    chp_electrical_efficiency: float = 0.38,
    ch4_emission_kg_per_t: float = AD_CH4_EMISSION_KG_PER_T,
) -> AnaerobicDigestionResult:
    """Biogas, CH4 and CHP electricity from digestible components (§6.3).

    ``CH4 (Nm3) = t x biogas (Nm3/t) x CH4 fraction``;
    ``E_el (kWh) = CH4 (Nm3) x 35.8 MJ/Nm3 x eta_el / 3.6``.

    :param mass_t_by_component: component key -> wet t, each >= 0. Only keys
        with a biogas yield are digested; the rest is ``mass_not_digested_t``.
    :param biogas_yield_nm3_per_t_by_component: Nm3 biogas per wet t; default
        food 120 (range 100-150 [M]); derive locally, e.g. with
        :func:`methane_yield_nm3_per_t_from_bmp`.
    :param methane_fraction: CH4 share of the biogas, 0..1; default 0.60
        (55-65 % [M]).
    :param ch4_lhv_mj_per_nm3: 35.8 MJ/Nm3 [V] (35.9 also circulates).
    :param chp_electrical_efficiency: gas-engine CHP, default 0.38, typical
        0.35-0.42 [M]; 0..1.
    :param ch4_emission_kg_per_t: plant CH4 leakage per wet t fed, default
        0.8 kg/t (IPCC 2006 Vol. 5 Table 4.1 [S]).
    :returns: an :class:`AnaerobicDigestionResult`.
    :raises InvalidParameter: for a bad mass, yield or efficiency.
    """
    total_t = _total_t(mass_t_by_component)
    for key, yield_nm3 in biogas_yield_nm3_per_t_by_component.items():
        check_deposits({key: yield_nm3}, "biogas_yield_nm3_per_t_by_component")
    _check_range("methane_fraction", methane_fraction, 0.0, 1.0)
    _check_range("ch4_lhv_mj_per_nm3", ch4_lhv_mj_per_nm3, 0.0, 100.0)
    _check_range("chp_electrical_efficiency", chp_electrical_efficiency, 0.0, 1.0)
    _check_range("ch4_emission_kg_per_t", ch4_emission_kg_per_t, 0.0, 1000.0)
    fed_t = math.fsum(
        mass_t
        for key, mass_t in mass_t_by_component.items()
        if key in biogas_yield_nm3_per_t_by_component
    )
    biogas_nm3 = math.fsum(
        mass_t * biogas_yield_nm3_per_t_by_component[key]
        for key, mass_t in mass_t_by_component.items()
        if key in biogas_yield_nm3_per_t_by_component
    )
    ch4_nm3 = biogas_nm3 * methane_fraction
    energy_kwh = ch4_nm3 * ch4_lhv_mj_per_nm3 / MJ_PER_KWH
    return AnaerobicDigestionResult(
        mass_fed_t=fed_t,
        mass_not_digested_t=total_t - fed_t,
        biogas_nm3=biogas_nm3,
        ch4_nm3=ch4_nm3,
        ch4_t=ch4_nm3 * CH4_NORMAL_DENSITY_KG_PER_NM3 / 1000.0,
        ch4_energy_kwh=energy_kwh,
        electricity_kwh=energy_kwh * chp_electrical_efficiency,
        ch4_emitted_t=fed_t * ch4_emission_kg_per_t / 1000.0,
    )


@dataclass(frozen=True)
class LandfillGasRecoveryResult:
    """Landfill gas collection and use in a gas engine; CH4 volumes in Nm3."""

    ch4_generated_t: float
    ch4_recovered_t: float
    ch4_recovered_nm3: float
    ch4_not_collected_t: float
    electricity_kwh: float


def recover_landfill_gas(
    ch4_generated_t: float,
    *,
    collection_efficiency: float = 0.75,
    ch4_lhv_mj_per_nm3: float = CH4_LHV_MJ_PER_NM3,
    engine_electrical_efficiency: float = 0.38,
) -> LandfillGasRecoveryResult:
    """Electricity from collected landfill CH4 (§2.3 R, §6.3).

    Pass the FOD ``ch4_generated_t`` of a year; the recovered CH4 is R_T of
    IPCC Eq. 3.1 (subtract it before oxidation).

    :param ch4_generated_t: CH4 generated in the landfill, t, >= 0.
    :param collection_efficiency: share captured, 0..1. Default 0.75, the
        value AP-42 §2.4 most often assumes (reported 0.60-0.85) [A: not in
        wte-reference; verify]. An open dump without wells has 0.
    :param ch4_lhv_mj_per_nm3: 35.8 MJ/Nm3 [V].
    :param engine_electrical_efficiency: gas engine, default 0.38, typical
        0.35-0.42 [M]; 0..1.
    :returns: a :class:`LandfillGasRecoveryResult`.
    :raises InvalidParameter: for a bad argument.
    """
    _check_range("ch4_generated_t", ch4_generated_t, 0.0, math.inf)
    _check_range("collection_efficiency", collection_efficiency, 0.0, 1.0)
    _check_range("ch4_lhv_mj_per_nm3", ch4_lhv_mj_per_nm3, 0.0, 100.0)
    _check_range("engine_electrical_efficiency", engine_electrical_efficiency, 0.0, 1.0)
    recovered_t = ch4_generated_t * collection_efficiency
    recovered_nm3 = recovered_t * 1000.0 / CH4_NORMAL_DENSITY_KG_PER_NM3
    return LandfillGasRecoveryResult(
        ch4_generated_t=ch4_generated_t,
        ch4_recovered_t=recovered_t,
        ch4_recovered_nm3=recovered_nm3,
        ch4_not_collected_t=ch4_generated_t - recovered_t,
        electricity_kwh=recovered_nm3
        * ch4_lhv_mj_per_nm3
        * engine_electrical_efficiency
        / MJ_PER_KWH,
    )


@dataclass(frozen=True)
class CompostingResult:
    """Composting: mass balance and process emissions (t)."""

    mass_fed_t: float
    mass_rejected_t: float
    compost_t: float
    mass_loss_t: float
    ch4_emitted_t: float
    n2o_emitted_t: float


def compost(
    mass_t_by_component: Mapping[str, float],
    *,
    mass_reduction_fraction: float = 0.5,
    compostable_components: Collection[str] = COMPOSTABLE_COMPONENTS,
    ch4_emission_kg_per_t: float = COMPOSTING_CH4_EMISSION_KG_PER_T,
    n2o_emission_kg_per_t: float = COMPOSTING_N2O_EMISSION_KG_PER_T,
) -> CompostingResult:
    """Mass reduction and emissions of composting (§6.4).

    :param mass_t_by_component: component key -> wet t, each >= 0; keys not
        in ``compostable_components`` are rejects.
    :param mass_reduction_fraction: wet mass lost as water and CO2, 0..1;
        default 0.5, range about 0.4-0.7 [A: not in wte-reference; measure
        with the TPS3R's scales].
    :param compostable_components: default food and garden.
    :param ch4_emission_kg_per_t: default 4 kg CH4 per wet t (IPCC 2006
        Vol. 5 Table 4.1 [S]).
    :param n2o_emission_kg_per_t: default 0.24 kg N2O per wet t (same [S]).
    :returns: a :class:`CompostingResult`.
    :raises InvalidParameter: for a bad argument.
    :raises UnknownComponent: for an unknown compostable component.
    """
    total_t = _total_t(mass_t_by_component)
    check_deposits(dict.fromkeys(compostable_components, 0.0), "compostable_components")
    _check_range("mass_reduction_fraction", mass_reduction_fraction, 0.0, 1.0)
    _check_range("ch4_emission_kg_per_t", ch4_emission_kg_per_t, 0.0, 1000.0)
    _check_range("n2o_emission_kg_per_t", n2o_emission_kg_per_t, 0.0, 1000.0)
    fed_t = math.fsum(
        mass_t
        for key, mass_t in mass_t_by_component.items()
        if key in compostable_components
    )
    loss_t = fed_t * mass_reduction_fraction
    return CompostingResult(
        mass_fed_t=fed_t,
        mass_rejected_t=total_t - fed_t,
        compost_t=fed_t - loss_t,
        mass_loss_t=loss_t,
        ch4_emitted_t=fed_t * ch4_emission_kg_per_t / 1000.0,
        n2o_emitted_t=fed_t * n2o_emission_kg_per_t / 1000.0,
    )
