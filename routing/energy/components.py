"""Waste components, their coefficients, and the compositions of streams.

Every coefficient cites ``reference/wte-reference.md`` (section and primary
source) and its confidence tag: [V] read in the source, [S] from a
transcription, [M] a standard value not re-read, [A] a project assumption
where the reference has no value (replace it with local data).

A *composition* is a mapping of component key -> mass fraction (wet basis,
summing to 1). Bin streams and waste-bank material classes map to
compositions, so every quantity downstream is computed per component.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from routing.energy.exceptions import (
    InvalidParameter,
    UnknownClimateZone,
    UnknownComponent,
)

__all__ = [
    "CLIMATE_ZONES",
    "COMPONENTS",
    "COMPONENT_KEYS",
    "DECAY_RATES_PER_YR",
    "DOCF_IPCC_2019",
    "FIELD_UNITS",
    "LATENT_HEAT_WATER_MJ_PER_KG",
    "LIQUID_DENSITY_KG_PER_L",
    "MATERIAL_COMPOSITIONS",
    "MIXED_WASTE_LOOSE_DENSITY_KG_PER_M3",
    "SIPSN_2023_COMPOSITION",
    "STREAM_COMPOSITIONS",
    "STREAM_LOOSE_DENSITY_KG_PER_M3",
    "WATER_PER_HYDROGEN_KG_PER_KG",
    "Component",
    "bin_collection_mass_kg",
    "check_climate_zone",
    "component",
    "composition_loose_density_kg_per_m3",
    "decay_rate_per_yr",
    "lhv_as_received_mj_per_kg",
    "loose_density_kg_per_m3",
    "material_composition",
    "material_mass_kg",
    "normalise_composition",
    "split_by_composition",
    "stream_composition",
]


def _check_non_negative(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0.0:
        raise InvalidParameter(
            name, f"{name} must be a finite number >= 0, got {value!r}."
        )


def _check_fraction(name: str, value: float) -> None:
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InvalidParameter(name, f"{name} must be between 0 and 1, got {value!r}.")


# --- IPCC 2006 Vol. 5 Ch. 3 Table 3.3: decay rate k (yr^-1), wte-reference §2.4 [S] ---

CLIMATE_ZONES: tuple[str, ...] = (
    "boreal_temperate_dry",
    "boreal_temperate_wet",
    "tropical_dry",
    "tropical_wet",
)

#: k by decay group and climate zone, in the order of :data:`CLIMATE_ZONES`.
#: ``bulk`` is the Table 3.3 bulk-waste row (used by callers without a split).
DECAY_RATES_PER_YR: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        group: MappingProxyType(dict(zip(CLIMATE_ZONES, values, strict=True)))
        for group, values in {
            "slow_paper_textiles": (0.04, 0.06, 0.045, 0.07),
            "slow_wood": (0.02, 0.03, 0.025, 0.035),
            "moderate": (0.05, 0.10, 0.065, 0.17),
            "rapid": (0.06, 0.185, 0.085, 0.40),
            "bulk": (0.05, 0.09, 0.065, 0.17),
        }.items()
    }
)

# --- LHV as received, wte-reference §6.1 ---

#: Latent heat of vaporisation of water at 25 °C, MJ/kg (wte-reference §6.1).
LATENT_HEAT_WATER_MJ_PER_KG = 2.442
#: kg of water formed per kg of hydrogen burnt, 18.015 / 2.016 (wte-reference §6.1).
WATER_PER_HYDROGEN_KG_PER_KG = 8.936

#: Units of the :class:`Component` fields, for display next to every value.
FIELD_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "moisture_fraction": "kg water / kg wet (0..1)",
        "hhv_dry_mj_per_kg": "MJ/kg dry",
        "hydrogen_dry_fraction": "kg H / kg dry (0..1)",
        "lhv_as_received_mj_per_kg": "MJ/kg wet, as received",
        "doc_fraction": "kg C / kg wet (0..1)",
        "dry_matter_fraction": "kg dry / kg wet (0..1)",
        "carbon_dry_fraction": "kg C / kg dry (0..1)",
        "fossil_carbon_fraction": "kg fossil C / kg C (0..1)",
        "decay_rate_per_yr": "yr^-1",
        "loose_density_kg_per_m3": "kg/m3, loose (bin or TPS)",
        "in_landfill_density_kg_per_m3": "kg/m3, in place, compacted",
        "inert_residue_fraction": "kg residue / kg wet (0..1)",
    }
)


def lhv_as_received_mj_per_kg(
    hhv_dry_mj_per_kg: float, moisture_fraction: float, hydrogen_dry_fraction: float
) -> float:
    """Lower heating value as received from the dry higher heating value.

    ``LHV_ar = HHV_dry (1 - w) - 2.442 (w + 8.936 H_dry (1 - w))`` (wte-reference
    §6.1). The result is negative for wet, nearly inert material: it then
    absorbs heat in a furnace.

    :param hhv_dry_mj_per_kg: higher heating value of the dry matter, MJ/kg, >= 0.
    :param moisture_fraction: moisture, wet basis, 0..1.
    :param hydrogen_dry_fraction: hydrogen content of the dry matter, 0..1.
    :returns: LHV as received, MJ/kg of wet material.
    :raises InvalidParameter: if an argument is out of range.
    """
    _check_non_negative("hhv_dry_mj_per_kg", hhv_dry_mj_per_kg)
    _check_fraction("moisture_fraction", moisture_fraction)
    _check_fraction("hydrogen_dry_fraction", hydrogen_dry_fraction)
    dry = 1.0 - moisture_fraction
    water_kg_per_kg = (
        moisture_fraction + WATER_PER_HYDROGEN_KG_PER_KG * hydrogen_dry_fraction * dry
    )
    return hhv_dry_mj_per_kg * dry - LATENT_HEAT_WATER_MJ_PER_KG * water_kg_per_kg


@dataclass(frozen=True)
class Component:
    """One IPCC waste component with its physical and decay coefficients.

    Units are in :data:`FIELD_UNITS`; ``sources`` maps a field name to the
    citation of its value.
    """

    key: str
    label: str
    moisture_fraction: float
    hhv_dry_mj_per_kg: float
    hydrogen_dry_fraction: float
    #: IPCC 2006 Table 2.4 DOC, wet basis (default value).
    doc_fraction: float
    doc_range: tuple[float, float] | None
    #: False for rubber/leather: its bracketed DOC is excluded unless asked for.
    doc_counted_by_default: bool
    dry_matter_fraction: float
    carbon_dry_fraction: float
    fossil_carbon_fraction: float
    #: Row of IPCC Table 3.3, or None for components without DOC.
    decay_group: str | None
    loose_density_kg_per_m3: float
    in_landfill_density_kg_per_m3: float
    #: Incombustible residue (ash) after burning, kg / kg wet (0..1).
    inert_residue_fraction: float
    sources: Mapping[str, str] = field(compare=False)

    @property
    def lhv_as_received_mj_per_kg(self) -> float:
        """LHV as received (MJ/kg wet) from HHV_dry, moisture and H (§6.1)."""
        return lhv_as_received_mj_per_kg(
            self.hhv_dry_mj_per_kg, self.moisture_fraction, self.hydrogen_dry_fraction
        )

    def decay_rate_per_yr(self, climate_zone: str) -> float:
        """IPCC 2006 Table 3.3 decay rate k (yr^-1) in ``climate_zone``.

        :param climate_zone: one of :data:`CLIMATE_ZONES`.
        :returns: k in yr^-1; 0.0 for components without degradable carbon.
        :raises UnknownClimateZone: if the zone is not an IPCC zone.
        """
        check_climate_zone(climate_zone)
        if self.decay_group is None:
            return 0.0
        return DECAY_RATES_PER_YR[self.decay_group][climate_zone]


def _hhv_dry(hhv_as_discarded_mj_per_kg: float, at_moisture_fraction: float) -> float:
    # Tchobanoglous quotes HHV as discarded at a typical moisture; the LHV
    # formula needs it per kg of dry matter.
    return hhv_as_discarded_mj_per_kg / (1.0 - at_moisture_fraction)


# Shared citations (wte-reference.md sections; the primary source is named there).
_S_MOIST = "§6.1 Pichtel 2005 Table 4.22 after Vesilind [V]"
_S_HHV = "§6.1 Tchobanoglous 1993 Tables 4-1/4-6, typical as discarded [M]"
_S_H = "§6.1 H_dry ≈ 0.06 for most organics [M]"
_S_T24 = "§2.2 IPCC 2006 Vol. 5 Ch. 2 Table 2.4 [S]"
_S_K = "§2.4 IPCC 2006 Vol. 5 Ch. 3 Table 3.3 [S]"
_S_LOOSE = "§8 Pichtel 2005 Table 4.22 after Vesilind [V]"
_S_PLACE = "§8 default in-place density without site data, 0.6 t/m3 (0.4-0.8) [M]"
_S_RESIDUE = "§6.1 Pichtel 2005 Table 4.19, inert residue, range mid-point [V]"
_S_NONE = "[A] no value in wte-reference; placeholder, replace with local data"

#: In-place density of compacted waste in a controlled landfill, kg/m3 (§8).
#: The reference gives no per-component in-place value, so all share it.
_IN_PLACE_KG_PER_M3 = 600.0
_H_ORGANIC = 0.06


def _sources(**overrides: str) -> Mapping[str, str]:
    base = {
        "moisture_fraction": _S_MOIST,
        "hhv_dry_mj_per_kg": _S_HHV,
        "hydrogen_dry_fraction": _S_H,
        "doc_fraction": _S_T24,
        "dry_matter_fraction": _S_T24,
        "carbon_dry_fraction": _S_T24,
        "fossil_carbon_fraction": _S_T24,
        "decay_rate_per_yr": _S_K,
        "loose_density_kg_per_m3": _S_LOOSE,
        "in_landfill_density_kg_per_m3": _S_PLACE,
        "inert_residue_fraction": _S_RESIDUE,
    }
    base.update(overrides)
    return MappingProxyType(base)


_COMPONENT_LIST: tuple[Component, ...] = (
    Component(
        key="food",
        label="Food waste (sisa makanan)",
        moisture_fraction=0.70,
        hhv_dry_mj_per_kg=_hhv_dry(4.65, 0.70),
        hydrogen_dry_fraction=_H_ORGANIC,
        doc_fraction=0.15,
        doc_range=(0.08, 0.20),
        doc_counted_by_default=True,
        dry_matter_fraction=0.40,
        carbon_dry_fraction=0.38,
        fossil_carbon_fraction=0.0,
        decay_group="rapid",
        loose_density_kg_per_m3=290.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.05,
        sources=_sources(hhv_dry_mj_per_kg=_S_HHV + ": 4,650 kJ/kg at 70 %"),
    ),
    Component(
        key="garden",
        label="Garden and park (kayu/ranting/daun)",
        moisture_fraction=0.60,
        hhv_dry_mj_per_kg=_hhv_dry(6.5, 0.60),
        hydrogen_dry_fraction=_H_ORGANIC,
        doc_fraction=0.20,
        doc_range=(0.18, 0.22),
        doc_counted_by_default=True,
        dry_matter_fraction=0.40,
        carbon_dry_fraction=0.49,
        fossil_carbon_fraction=0.0,
        decay_group="moderate",
        loose_density_kg_per_m3=104.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.04,
        sources=_sources(
            moisture_fraction="§6.1 Tchobanoglous 1993, yard 6,500 kJ/kg at 60 % [M]",
            hhv_dry_mj_per_kg=_S_HHV + ": yard 6,500 kJ/kg at 60 %",
            loose_density_kg_per_m3="§8 Tchobanoglous et al. 1977, garden, typical [V]",
        ),
    ),
    Component(
        key="paper",
        label="Paper and cardboard (kertas/karton)",
        moisture_fraction=0.05,
        hhv_dry_mj_per_kg=_hhv_dry(16.75, 0.06),
        hydrogen_dry_fraction=_H_ORGANIC,
        doc_fraction=0.40,
        doc_range=(0.36, 0.45),
        doc_counted_by_default=True,
        dry_matter_fraction=0.90,
        carbon_dry_fraction=0.46,
        fossil_carbon_fraction=0.01,
        decay_group="slow_paper_textiles",
        loose_density_kg_per_m3=70.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.06,
        sources=_sources(hhv_dry_mj_per_kg=_S_HHV + ": paper 16,750 kJ/kg at 6 %"),
    ),
    Component(
        key="wood",
        label="Wood (kayu, truly woody material)",
        moisture_fraction=0.20,
        hhv_dry_mj_per_kg=_hhv_dry(18.6, 0.20),
        hydrogen_dry_fraction=_H_ORGANIC,
        doc_fraction=0.43,
        doc_range=(0.39, 0.46),
        doc_counted_by_default=True,
        dry_matter_fraction=0.85,
        carbon_dry_fraction=0.50,
        fossil_carbon_fraction=0.0,
        decay_group="slow_wood",
        loose_density_kg_per_m3=240.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.013,
        sources=_sources(
            moisture_fraction="§6.1 Tchobanoglous 1993, wood 18,600 kJ/kg at 20 % [M]",
            hhv_dry_mj_per_kg=_S_HHV + ": wood 18,600 kJ/kg at 20 %",
            loose_density_kg_per_m3=(
                "[A] not in wte-reference; Tchobanoglous 1993 Table 4-1 wood, typical"
                " 240 kg/m3 [M]"
            ),
        ),
    ),
    Component(
        key="textiles",
        label="Textiles (kain/tekstil)",
        moisture_fraction=0.10,
        hhv_dry_mj_per_kg=_hhv_dry(17.45, 0.10),
        hydrogen_dry_fraction=_H_ORGANIC,
        doc_fraction=0.24,
        doc_range=(0.20, 0.40),
        doc_counted_by_default=True,
        dry_matter_fraction=0.80,
        carbon_dry_fraction=0.50,
        fossil_carbon_fraction=0.20,
        decay_group="slow_paper_textiles",
        loose_density_kg_per_m3=60.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.03,
        sources=_sources(hhv_dry_mj_per_kg=_S_HHV + ": textiles 17,450 kJ/kg at 10 %"),
    ),
    Component(
        key="nappies",
        label="Nappies (popok)",
        moisture_fraction=0.60,
        # Cellulose fluff dominates a nappy; paper's dry HHV stands in.
        hhv_dry_mj_per_kg=_hhv_dry(16.75, 0.06),
        hydrogen_dry_fraction=_H_ORGANIC,
        doc_fraction=0.24,
        doc_range=(0.18, 0.32),
        doc_counted_by_default=True,
        dry_matter_fraction=0.40,
        carbon_dry_fraction=0.70,
        fossil_carbon_fraction=0.10,
        # No Table 3.3 row; 40 CFR 98 Table HH-1 gives diapers the garden k (§2.4).
        decay_group="moderate",
        loose_density_kg_per_m3=250.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.06,
        sources=_sources(
            moisture_fraction="§2.2 IPCC 2006 Table 2.4, dry matter 40 % [S]",
            hhv_dry_mj_per_kg=_S_NONE + " (paper's dry HHV)",
            decay_rate_per_yr="§2.4 40 CFR 98 Table HH-1: garden k range [V]",
            loose_density_kg_per_m3=_S_NONE + " (Indonesian mixed waste, §8)",
            inert_residue_fraction=_S_NONE + " (paper's value)",
        ),
    ),
    Component(
        key="rubber_leather",
        label="Rubber and leather (karet/kulit)",
        moisture_fraction=0.02,
        hhv_dry_mj_per_kg=_hhv_dry(23.25, 0.02),
        hydrogen_dry_fraction=_H_ORGANIC,
        # Printed in brackets in Table 2.4: natural rubber hardly degrades
        # anaerobically, so it is excluded unless explicitly included (§2.2).
        doc_fraction=0.39,
        doc_range=None,
        doc_counted_by_default=False,
        dry_matter_fraction=0.84,
        carbon_dry_fraction=0.67,
        fossil_carbon_fraction=0.20,
        # Only used when the bracketed DOC is included: the slowest row.
        decay_group="slow_wood",
        loose_density_kg_per_m3=130.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.14,
        sources=_sources(
            moisture_fraction="§6.1 Tchobanoglous 1993, rubber 23,250 kJ/kg at 2 % [M]",
            hhv_dry_mj_per_kg=_S_HHV + ": rubber 23,250 kJ/kg at 2 %",
            carbon_dry_fraction=_S_T24 + " [M]",
            fossil_carbon_fraction=_S_T24 + " [M]",
            decay_rate_per_yr="[A] no Table 3.3 row; wood/straw (slowest) row",
            loose_density_kg_per_m3=(
                "[A] not in wte-reference; Tchobanoglous 1993 Table 4-1 rubber, typical"
                " 130 kg/m3 [M]"
            ),
        ),
    ),
    Component(
        key="plastics",
        label="Plastics (plastik)",
        moisture_fraction=0.02,
        hhv_dry_mj_per_kg=_hhv_dry(32.6, 0.02),
        hydrogen_dry_fraction=_H_ORGANIC,
        doc_fraction=0.0,
        doc_range=None,
        doc_counted_by_default=True,
        dry_matter_fraction=1.00,
        carbon_dry_fraction=0.75,
        fossil_carbon_fraction=1.00,
        decay_group=None,
        loose_density_kg_per_m3=60.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.13,
        sources=_sources(hhv_dry_mj_per_kg=_S_HHV + ": plastics 32,600 kJ/kg at 2 %"),
    ),
    Component(
        key="metal",
        label="Metal (logam)",
        moisture_fraction=0.02,
        # Mid-point of the tin-can range 225-1,100 kJ/kg (coatings and residues).
        hhv_dry_mj_per_kg=_hhv_dry((0.225 + 1.100) / 2.0, 0.02),
        hydrogen_dry_fraction=0.0,
        doc_fraction=0.0,
        doc_range=None,
        doc_counted_by_default=True,
        dry_matter_fraction=1.00,
        carbon_dry_fraction=0.0,
        fossil_carbon_fraction=0.0,
        decay_group=None,
        loose_density_kg_per_m3=200.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.945,
        sources=_sources(
            hhv_dry_mj_per_kg=(
                "§6.1 Pichtel 2005 Table 4.19, tin-can range mid-point [V]"
            ),
            hydrogen_dry_fraction="[A] inert",
        ),
    ),
    Component(
        key="glass",
        label="Glass (kaca)",
        moisture_fraction=0.02,
        hhv_dry_mj_per_kg=_hhv_dry((0.110 + 0.225) / 2.0, 0.02),
        hydrogen_dry_fraction=0.0,
        doc_fraction=0.0,
        doc_range=None,
        doc_counted_by_default=True,
        dry_matter_fraction=1.00,
        carbon_dry_fraction=0.0,
        fossil_carbon_fraction=0.0,
        decay_group=None,
        loose_density_kg_per_m3=200.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.945,
        sources=_sources(
            hhv_dry_mj_per_kg="§6.1 Pichtel 2005 Table 4.19, glass range mid-point [V]",
            hydrogen_dry_fraction="[A] inert",
        ),
    ),
    Component(
        key="other",
        label="Other, inert (lain-lain)",
        moisture_fraction=0.08,
        # IPCC treats "other inert" as without DOC; no energy is credited.
        hhv_dry_mj_per_kg=0.0,
        hydrogen_dry_fraction=0.0,
        doc_fraction=0.0,
        doc_range=None,
        doc_counted_by_default=True,
        dry_matter_fraction=0.90,
        carbon_dry_fraction=0.03,
        fossil_carbon_fraction=1.00,
        decay_group=None,
        loose_density_kg_per_m3=500.0,
        in_landfill_density_kg_per_m3=_IN_PLACE_KG_PER_M3,
        inert_residue_fraction=0.90,
        sources=_sources(
            moisture_fraction=_S_MOIST + ", ashes/dust",
            hhv_dry_mj_per_kg="[A] inert per §2.2 Table 2.4 (other inert)",
            hydrogen_dry_fraction="[A] inert",
            loose_density_kg_per_m3=_S_LOOSE + ", ashes/dust",
            inert_residue_fraction="[A] inert: IPCC Table 2.4 dry matter (other inert)",
        ),
    ),
)

#: Component table, keyed by component key.
COMPONENTS: Mapping[str, Component] = MappingProxyType(
    {c.key: c for c in _COMPONENT_LIST}
)
COMPONENT_KEYS: tuple[str, ...] = tuple(COMPONENTS)

#: IPCC 2019 Refinement Vol. 5 Ch. 3 Table 3.0 DOCf by decomposability
#: (wte-reference §3) [S]. Components absent here have no DOC.
DOCF_IPCC_2019: Mapping[str, float] = MappingProxyType(
    {
        "food": 0.7,
        "garden": 0.7,
        "paper": 0.5,
        "textiles": 0.5,
        "nappies": 0.5,
        "wood": 0.1,
    }
)

# --- Compositions (wte-reference §7.2) ---

#: SIPSN 2023 national composition (tintahijau row, §7.2 [V]) mapped to IPCC
#: components as in §7.2: kayu/ranting/daun -> garden, karet/kulit -> rubber_leather.
SIPSN_2023_COMPOSITION: Mapping[str, float] = MappingProxyType(
    {
        "food": 0.4012,
        "plastics": 0.1874,
        "garden": 0.1234,
        "paper": 0.1133,
        "metal": 0.0302,
        "textiles": 0.0254,
        "glass": 0.0246,
        "rubber_leather": 0.0216,
        "other": 0.0729,
    }
)


def _subset(keys: tuple[str, ...]) -> Mapping[str, float]:
    total = sum(SIPSN_2023_COMPOSITION[k] for k in keys)
    return MappingProxyType({k: SIPSN_2023_COMPOSITION[k] / total for k in keys})


_ORGANIC = _subset(("food", "garden"))
_RECYCLABLE = _subset(("paper", "plastics", "metal", "glass"))

#: Bin streams -> composition. Organic and recyclable bins hold those SIPSN
#: components in their national proportions. There is no published
#: composition of Indonesian residual bins and source separation is partial,
#: so residual is taken as the mixed (SIPSN 2023) composition [A].
STREAM_COMPOSITIONS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "residual": SIPSN_2023_COMPOSITION,
        "organic": _ORGANIC,
        "recyclable": _RECYCLABLE,
        "mixed": SIPSN_2023_COMPOSITION,
    }
)

#: Waste-bank material classes -> composition.
#: used_cooking_oil is kitchen fat, which IPCC counts as food waste; e_waste is
#: treated as inert "other" (no DOC, no credited energy) [A].
MATERIAL_COMPOSITIONS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "plastic": MappingProxyType({"plastics": 1.0}),
        "paper": MappingProxyType({"paper": 1.0}),
        "metal": MappingProxyType({"metal": 1.0}),
        "glass": MappingProxyType({"glass": 1.0}),
        "rubber_leather": MappingProxyType({"rubber_leather": 1.0}),
        "textile": MappingProxyType({"textiles": 1.0}),
        "organic": _ORGANIC,
        "used_cooking_oil": MappingProxyType({"food": 1.0}),
        "e_waste": MappingProxyType({"other": 1.0}),
        "other": MappingProxyType({"other": 1.0}),
    }
)

#: Loose density of mixed Indonesian household waste, kg/m3: SNI 19-3983-1995
#: implies 0.70 kg / 2.75 L ≈ 250 kg/m3; the literature gives 200-300 and TPA
#: Jalupang measured 215-239 as delivered (wte-reference §8) [V, derived].
#: Mixed waste packs denser than its separately measured components would.
MIXED_WASTE_LOOSE_DENSITY_KG_PER_M3 = 250.0


def check_climate_zone(climate_zone: str, field_name: str = "climate_zone") -> str:
    """Return ``climate_zone`` if it is an IPCC 2006 zone.

    :raises UnknownClimateZone: otherwise.
    """
    if climate_zone not in CLIMATE_ZONES:
        raise UnknownClimateZone(
            field_name,
            f"Unknown climate zone {climate_zone!r}; expected one of "
            + ", ".join(CLIMATE_ZONES)
            + ".",
        )
    return climate_zone


def component(key: str, field_name: str = "component") -> Component:
    """Look up a waste component.

    :param key: one of :data:`COMPONENT_KEYS`.
    :param field_name: the parameter name reported in the error.
    :returns: the :class:`Component`.
    :raises UnknownComponent: if ``key`` is not a component.
    """
    try:
        return COMPONENTS[key]
    except KeyError:
        raise UnknownComponent(
            field_name,
            f"Unknown waste component {key!r}; expected one of "
            + ", ".join(COMPONENT_KEYS)
            + ".",
        ) from None


def decay_rate_per_yr(key: str, climate_zone: str) -> float:
    """IPCC 2006 Table 3.3 decay rate k of a component, yr^-1 (§2.4).

    :raises UnknownComponent: if ``key`` is not a component.
    :raises UnknownClimateZone: if the zone is not an IPCC zone.
    """
    return component(key).decay_rate_per_yr(climate_zone)


def normalise_composition(
    fractions: Mapping[str, float], field_name: str = "composition"
) -> dict[str, float]:
    """Validate a composition and scale it to sum to 1.

    Published compositions do not always sum to 100 % (IPCC SE Asia: 100.7 %),
    so any non-negative weights with a positive sum are accepted.

    :param fractions: component key -> share (any non-negative unit).
    :returns: component key -> fraction, summing to 1.
    :raises UnknownComponent: for an unknown key.
    :raises InvalidParameter: for a negative or non-finite share or a zero sum.
    """
    for key, share in fractions.items():
        component(key, f"{field_name}.{key}")
        _check_non_negative(f"{field_name}.{key}", share)
    total = math.fsum(fractions.values())
    if total <= 0.0:
        raise InvalidParameter(field_name, "A composition needs a positive total.")
    return {key: share / total for key, share in fractions.items()}


def split_by_composition(
    mass_t: float, fractions: Mapping[str, float]
) -> dict[str, float]:
    """Split a mass over the components of a composition.

    :param mass_t: wet tonnes (or any mass unit, returned in the same), >= 0.
    :param fractions: component key -> share (normalised here).
    :returns: component key -> mass.
    :raises InvalidParameter: for a negative mass or a bad composition.
    :raises UnknownComponent: for an unknown component key.
    """
    _check_non_negative("mass_t", mass_t)
    return {key: mass_t * f for key, f in normalise_composition(fractions).items()}


def stream_composition(stream: str) -> Mapping[str, float]:
    """Composition of a bin stream: residual, organic, recyclable or mixed.

    :raises UnknownComponent: if ``stream`` is not a bin stream.
    """
    try:
        return STREAM_COMPOSITIONS[stream]
    except KeyError:
        raise UnknownComponent(
            "stream",
            f"Unknown bin stream {stream!r}; expected one of "
            + ", ".join(STREAM_COMPOSITIONS)
            + ".",
        ) from None


def material_composition(material: str) -> Mapping[str, float]:
    """Composition of a waste-bank material class (``plastic``, ``paper``, ...).

    :raises UnknownComponent: if ``material`` is not a material class.
    """
    try:
        return MATERIAL_COMPOSITIONS[material]
    except KeyError:
        raise UnknownComponent(
            "material",
            f"Unknown waste-bank material {material!r}; expected one of "
            + ", ".join(MATERIAL_COMPOSITIONS)
            + ".",
        ) from None


def composition_loose_density_kg_per_m3(fractions: Mapping[str, float]) -> float:
    """Loose density of a composition, assuming component volumes add up.

    ``1 / rho = sum_i f_i / rho_i`` with the loose component densities of §8.
    This is a lower bound for mixed waste, whose pieces fill each other's voids.

    :param fractions: component key -> share (normalised here).
    :returns: loose bulk density, kg/m3.
    :raises UnknownComponent: for an unknown key.
    :raises InvalidParameter: for a bad composition.
    """
    normalised = normalise_composition(fractions)
    specific_volume_m3_per_kg = math.fsum(
        f / COMPONENTS[k].loose_density_kg_per_m3 for k, f in normalised.items()
    )
    return 1.0 / specific_volume_m3_per_kg


#: Loose bulk density of each bin stream, kg/m3 (wte-reference §8). Mixed and
#: residual bins use the measured Indonesian mixed-waste value; organic and
#: recyclable bins combine their component densities by volume.
STREAM_LOOSE_DENSITY_KG_PER_M3: Mapping[str, float] = MappingProxyType(
    {
        "residual": MIXED_WASTE_LOOSE_DENSITY_KG_PER_M3,
        "organic": composition_loose_density_kg_per_m3(_ORGANIC),
        "recyclable": composition_loose_density_kg_per_m3(_RECYCLABLE),
        "mixed": MIXED_WASTE_LOOSE_DENSITY_KG_PER_M3,
    }
)


def loose_density_kg_per_m3(stream: str) -> float:
    """Loose bulk density of a bin stream, kg/m3 (wte-reference §8).

    ``residual`` and ``mixed``: 250 kg/m3 (Indonesian household waste,
    SNI 19-3983-1995). ``organic`` (food + garden) ≈ 204 kg/m3 and
    ``recyclable`` (paper, plastics, metal, glass) ≈ 71 kg/m3, from the loose
    component densities weighted by volume.

    :param stream: ``residual``, ``organic``, ``recyclable`` or ``mixed``.
    :returns: density in kg/m3, > 0.
    :raises UnknownComponent: if ``stream`` is not a bin stream.
    """
    stream_composition(stream)
    return STREAM_LOOSE_DENSITY_KG_PER_M3[stream]


#: Density of liquids the waste banks buy by the litre, kg/L. Used cooking oil
#: (minyak jelantah) is mostly palm olein, 0.90-0.92 kg/L at 25-30 °C
#: [A: not in wte-reference; weigh one litre of the bank's stock to replace it].
LIQUID_DENSITY_KG_PER_L: Mapping[str, float] = MappingProxyType(
    {"used_cooking_oil": 0.91}
)


def material_mass_kg(material: str, quantity: float, unit: str) -> float | None:
    """Wet mass of a quantity a waste bank bought, in kg.

    ``kg`` is the mass itself; ``litre`` is converted with
    :data:`LIQUID_DENSITY_KG_PER_L` where the material has a density; ``pcs``
    (pieces) and litres of other materials have no mass: the caller reports
    them as unweighed rather than guessing.

    :param material: a waste-bank material class (``plastic``, ...).
    :param quantity: amount in ``unit``, >= 0.
    :param unit: ``kg``, ``litre`` or ``pcs``.
    :returns: kg, or None when the quantity cannot be turned into a mass.
    :raises UnknownComponent: for an unknown material class.
    :raises InvalidParameter: for a negative quantity or an unknown unit.
    """
    material_composition(material)
    _check_non_negative("quantity", quantity)
    if unit == "kg":
        return quantity
    if unit == "litre":
        density = LIQUID_DENSITY_KG_PER_L.get(material)
        return None if density is None else quantity * density
    if unit == "pcs":
        return None
    raise InvalidParameter("unit", f"Unknown unit {unit!r}; expected kg, litre or pcs.")


def bin_collection_mass_kg(
    emptied_fill_fraction: float, capacity_l: float, stream: str
) -> float:
    """Mass taken out of a bin at one collection, estimated from its fill level.

    ``kg = emptied fill fraction x capacity (m3) x loose density of the stream``
    (wte-reference §1 rule 4 and §8: a volume-based mass states its basis, here
    loose waste in a bin). The fill fraction is the drop in level the sensor saw.

    :param emptied_fill_fraction: level before minus level after, 0..1.
    :param capacity_l: bin volume, litres, >= 0.
    :param stream: ``residual``, ``organic``, ``recyclable`` or ``mixed``.
    :returns: estimated wet kg.
    :raises InvalidParameter: for a fraction outside 0..1 or a negative capacity.
    :raises UnknownComponent: for an unknown stream.
    """
    _check_fraction("emptied_fill_fraction", emptied_fill_fraction)
    _check_non_negative("capacity_l", capacity_l)
    return emptied_fill_fraction * capacity_l / 1000.0 * loose_density_kg_per_m3(stream)
