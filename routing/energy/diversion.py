"""Landfill diversion: mass, airspace, TPA lifespan and avoided methane.

Follows wte-reference §1 (rules 3 and 4), §4 (GWP), §7.1 (the four buckets)
and §8 (airspace formulas). Avoided CH4 is FOD run on the diverted stream
alone, which equals baseline FOD minus project FOD because FOD is linear.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from routing.energy.exceptions import InvalidParameter
from routing.energy.fod import (
    FodParameters,
    check_deposits,
    methane_commitment,
    run_fod,
)

__all__ = [
    "DEFAULT_IN_PLACE_DENSITY_T_PER_M3",
    "GWP_CH4",
    "GWP_N2O",
    "PATHWAYS",
    "AvoidedMethane",
    "AvoidedMethaneYear",
    "DiversionSummary",
    "DivertedMass",
    "TpaLifespan",
    "airspace_m3",
    "avoided_methane",
    "co2e_t",
    "diversion_fraction",
    "gwp_ch4",
    "summarise_diversion",
    "tpa_lifespan",
]

#: GWP-100 of CH4 by assessment (wte-reference §4 [S]). Landfill, compost
#: and AD methane is non-fossil, so AR6's applicable value is 27.0; the
#: default is AR5 (28), which Paris Agreement ETF reporting uses.
GWP_CH4: Mapping[str, float] = MappingProxyType(
    {
        "ar5": 28.0,
        "ar5_with_feedbacks": 34.0,
        "ar5_fossil": 30.0,
        "ar6_non_fossil": 27.0,
        "ar6_fossil": 29.8,
        "ar6_generic": 27.9,
        "ar4": 25.0,
    }
)
#: GWP-100 of N2O (wte-reference §4 [S]), for composting emissions.
GWP_N2O: Mapping[str, float] = MappingProxyType({"ar5": 265.0, "ar6": 273.0})

#: In-place density of a dozer-compacted controlled landfill without site
#: data, t/m3; range 0.4-0.8 (wte-reference §8 [M]).
DEFAULT_IN_PLACE_DENSITY_T_PER_M3 = 0.6

#: Diversion pathways. ``reduction`` and ``reuse`` are pengurangan at source
#: (limiting generation, reuse); ``recycling`` is bank sampah and TPS3R
#: sorting; the rest are pengolahan (Perpres 97/2017, wte-reference §7.1).
#: ``other`` is pengolahan without an energy model: black soldier fly larvae,
#: animal feed (bahan baku pakan ternak), up-cycling (SIPSN destinations).
PATHWAYS: tuple[str, ...] = (
    "reduction",
    "reuse",
    "recycling",
    "composting",
    "anaerobic_digestion",
    "rdf",
    "incineration",
    "other",
)


def gwp_ch4(gwp_set: str) -> float:
    """GWP-100 of CH4 for ``gwp_set`` (a key of :data:`GWP_CH4`).

    :raises InvalidParameter: for an unknown set.
    """
    try:
        return GWP_CH4[gwp_set]
    except KeyError:
        raise InvalidParameter(
            "gwp_set",
            f"Unknown GWP set {gwp_set!r}; expected one of " + ", ".join(GWP_CH4) + ".",
        ) from None


def co2e_t(ch4_t: float, gwp_set: str = "ar5") -> float:
    """CO2-equivalent of a CH4 mass, t (``ch4_t x GWP``).

    :param ch4_t: CH4, t (may be negative for a net increase avoided).
    :param gwp_set: key of :data:`GWP_CH4`; default ``ar5`` (28).
    :returns: t CO2e.
    :raises InvalidParameter: for an unknown GWP set.
    """
    return ch4_t * gwp_ch4(gwp_set)


def _check_positive(name: str, value: float) -> None:
    if not math.isfinite(value) or value <= 0.0:
        raise InvalidParameter(name, f"{name} must be > 0, got {value!r}.")


def _check_non_negative(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0.0:
        raise InvalidParameter(
            name, f"{name} must be a finite number >= 0, got {value!r}."
        )


def airspace_m3(
    mass_t: float,
    *,
    in_place_density_t_per_m3: float = DEFAULT_IN_PLACE_DENSITY_T_PER_M3,
    cover_soil_fraction: float = 0.0,
) -> float:
    """Landfill airspace a mass occupies once compacted (wte-reference §8).

    ``airspace (m3) = t / rho_in-place (t/m3) x (1 + cover fraction)``.

    :param mass_t: wet t, >= 0.
    :param in_place_density_t_per_m3: measured at the site, else 0.6 (0.4-0.8).
    :param cover_soil_fraction: cover soil as a share of the waste volume,
        0..1; often 0.15-0.25 of cell volume; default 0 (no cover).
    :returns: m3 of airspace.
    :raises InvalidParameter: for a negative mass, non-positive density or a
        cover fraction outside 0..1.
    """
    _check_non_negative("mass_t", mass_t)
    _check_positive("in_place_density_t_per_m3", in_place_density_t_per_m3)
    if not math.isfinite(cover_soil_fraction) or not 0.0 <= cover_soil_fraction <= 1.0:
        raise InvalidParameter(
            "cover_soil_fraction", "cover_soil_fraction must be 0..1."
        )
    return mass_t / in_place_density_t_per_m3 * (1.0 + cover_soil_fraction)


def diversion_fraction(diverted_t: float, landfilled_t: float) -> float | None:
    """Share of the waste handled that was kept out of the TPA (§7.1).

    ``diverted / (diverted + landfilled)``. ``diverted_t`` is net of the residues
    that still went to the TPA, which the weighbridge counts in ``landfilled_t``,
    so nothing is counted twice.

    :param diverted_t: mass kept out of the TPA, t, >= 0.
    :param landfilled_t: mass delivered to the TPA over the same period, t, >= 0.
    :returns: 0..1, or None when both masses are zero.
    :raises InvalidParameter: for a negative mass.
    """
    _check_non_negative("diverted_t", diverted_t)
    _check_non_negative("landfilled_t", landfilled_t)
    handled_t = diverted_t + landfilled_t
    return diverted_t / handled_t if handled_t > 0.0 else None


@dataclass(frozen=True)
class TpaLifespan:
    """Remaining TPA life without and with diversion, years.

    ``life_with_diversion_yr`` and ``extension_yr`` are None when nothing is
    landfilled any more (the TPA never fills).
    """

    remaining_airspace_m3: float
    airspace_used_without_m3_per_yr: float
    airspace_used_with_m3_per_yr: float
    life_without_diversion_yr: float | None
    life_with_diversion_yr: float | None
    extension_yr: float | None


def tpa_lifespan(
    remaining_airspace_m3: float,
    landfilled_t_per_yr: float,
    diverted_t_per_yr: float,
    *,
    in_place_density_t_per_m3: float = DEFAULT_IN_PLACE_DENSITY_T_PER_M3,
    cover_soil_fraction: float = 0.0,
) -> TpaLifespan:
    """TPA lifespan extension from diversion (wte-reference §8).

    ``life = remaining airspace / (annual t to the TPA / rho x (1 + cover))``;
    extension = life with diversion - life without, for the same airspace.
    Settlement and decomposition are ignored, so the figure is conservative.

    :param remaining_airspace_m3: surveyed remaining airspace, m3, >= 0.
    :param landfilled_t_per_yr: t/yr that would reach the TPA without
        diversion, >= 0.
    :param diverted_t_per_yr: t/yr kept out, 0..``landfilled_t_per_yr``.
    :param in_place_density_t_per_m3: see :func:`airspace_m3`.
    :param cover_soil_fraction: see :func:`airspace_m3`.
    :returns: a :class:`TpaLifespan`.
    :raises InvalidParameter: for negative inputs or diversion above inflow.
    """
    _check_non_negative("remaining_airspace_m3", remaining_airspace_m3)
    _check_non_negative("landfilled_t_per_yr", landfilled_t_per_yr)
    _check_non_negative("diverted_t_per_yr", diverted_t_per_yr)
    if diverted_t_per_yr > landfilled_t_per_yr:
        raise InvalidParameter(
            "diverted_t_per_yr",
            "Diverted mass exceeds the mass that would be landfilled.",
        )
    options = {
        "in_place_density_t_per_m3": in_place_density_t_per_m3,
        "cover_soil_fraction": cover_soil_fraction,
    }
    without_m3 = airspace_m3(landfilled_t_per_yr, **options)
    with_m3 = airspace_m3(landfilled_t_per_yr - diverted_t_per_yr, **options)
    life_without = remaining_airspace_m3 / without_m3 if without_m3 > 0.0 else None
    life_with = remaining_airspace_m3 / with_m3 if with_m3 > 0.0 else None
    return TpaLifespan(
        remaining_airspace_m3=remaining_airspace_m3,
        airspace_used_without_m3_per_yr=without_m3,
        airspace_used_with_m3_per_yr=with_m3,
        life_without_diversion_yr=life_without,
        life_with_diversion_yr=life_with,
        extension_yr=(
            life_with - life_without
            if life_with is not None and life_without is not None
            else None
        ),
    )


@dataclass(frozen=True)
class DivertedMass:
    """Mass sent to one pathway instead of the TPA.

    :ivar pathway: one of :data:`PATHWAYS`.
    :ivar mass_t_by_component: component key -> wet t, each >= 0.
    :ivar residue_to_landfill_fraction: share of the mass that still goes to
        the TPA as rejects or ash, 0..1 (measure it; default 0).
    """

    pathway: str
    mass_t_by_component: Mapping[str, float]
    residue_to_landfill_fraction: float = 0.0

    def __post_init__(self) -> None:
        """Validate and freeze."""
        if self.pathway not in PATHWAYS:
            raise InvalidParameter(
                "pathway",
                f"Unknown pathway {self.pathway!r}; expected one of "
                + ", ".join(PATHWAYS)
                + ".",
            )
        check_deposits(self.mass_t_by_component, "mass_t_by_component")
        fraction = self.residue_to_landfill_fraction
        if not math.isfinite(fraction) or not 0.0 <= fraction <= 1.0:
            raise InvalidParameter(
                "residue_to_landfill_fraction",
                "residue_to_landfill_fraction must be 0..1.",
            )
        object.__setattr__(
            self,
            "mass_t_by_component",
            MappingProxyType(dict(self.mass_t_by_component)),
        )


@dataclass(frozen=True)
class DiversionSummary:
    """Mass kept out of the TPA by pathway, net of residues, and its airspace.

    ``treated_t_by_pathway`` is the gross mass handled; ``residue_t_by_pathway``
    the part still landfilled; ``diverted_t_by_pathway`` the difference.
    """

    treated_t_by_pathway: Mapping[str, float]
    residue_t_by_pathway: Mapping[str, float]
    diverted_t_by_pathway: Mapping[str, float]
    diverted_t_by_component: Mapping[str, float]
    diverted_t: float
    residue_t: float
    airspace_saved_m3: float
    in_place_density_t_per_m3: float
    cover_soil_fraction: float


def summarise_diversion(
    diverted: Sequence[DivertedMass],
    *,
    in_place_density_t_per_m3: float = DEFAULT_IN_PLACE_DENSITY_T_PER_M3,
    cover_soil_fraction: float = 0.0,
) -> DiversionSummary:
    """Sum diverted masses by pathway and component; airspace saved (§7.1, §8).

    Residues are assumed to have the composition of their pathway's input.

    :param diverted: one :class:`DivertedMass` per pathway (repeats are added).
    :param in_place_density_t_per_m3: see :func:`airspace_m3`.
    :param cover_soil_fraction: see :func:`airspace_m3`.
    :returns: a :class:`DiversionSummary`, unrounded.
    :raises InvalidParameter: for a bad density or cover fraction.
    """
    treated: dict[str, float] = {}
    residue: dict[str, float] = {}
    by_component: dict[str, float] = {}
    for item in diverted:
        mass_t = math.fsum(item.mass_t_by_component.values())
        treated[item.pathway] = treated.get(item.pathway, 0.0) + mass_t
        residue[item.pathway] = (
            residue.get(item.pathway, 0.0) + mass_t * item.residue_to_landfill_fraction
        )
        kept = 1.0 - item.residue_to_landfill_fraction
        for key, component_t in item.mass_t_by_component.items():
            by_component[key] = by_component.get(key, 0.0) + component_t * kept
    net = {pathway: treated[pathway] - residue[pathway] for pathway in treated}
    diverted_t = math.fsum(net.values())
    return DiversionSummary(
        treated_t_by_pathway=MappingProxyType(treated),
        residue_t_by_pathway=MappingProxyType(residue),
        diverted_t_by_pathway=MappingProxyType(net),
        diverted_t_by_component=MappingProxyType(by_component),
        diverted_t=diverted_t,
        residue_t=math.fsum(residue.values()),
        airspace_saved_m3=airspace_m3(
            diverted_t,
            in_place_density_t_per_m3=in_place_density_t_per_m3,
            cover_soil_fraction=cover_soil_fraction,
        ),
        in_place_density_t_per_m3=in_place_density_t_per_m3,
        cover_soil_fraction=cover_soil_fraction,
    )


@dataclass(frozen=True)
class AvoidedMethaneYear:
    """CH4 the TPA does not emit in one year because of diversion."""

    year: int
    ch4_avoided_t: float
    co2e_avoided_t: float


@dataclass(frozen=True)
class AvoidedMethane:
    """Avoided landfill CH4 by year, and the commitment of each diverted year.

    Every CO2e figure is at ``gwp_ch4`` of ``gwp_set``.
    """

    years: tuple[AvoidedMethaneYear, ...]
    commitment_ch4_t_by_deposit_year: Mapping[int, float]
    commitment_co2e_t_by_deposit_year: Mapping[int, float]
    gwp_set: str
    gwp_ch4: float
    parameters: FodParameters

    @property
    def total_ch4_avoided_t(self) -> float:
        """CH4 avoided over the reported years, t."""
        return math.fsum(row.ch4_avoided_t for row in self.years)

    def year(self, year: int) -> AvoidedMethaneYear:
        """The row of calendar year ``year``.

        :raises InvalidParameter: if ``year`` is outside the run.
        """
        index = year - self.years[0].year
        if not 0 <= index < len(self.years):
            raise InvalidParameter("year", f"Year {year} is outside the run.")
        return self.years[index]


def avoided_methane(
    diverted_t_by_year: Mapping[int, Mapping[str, float]],
    parameters: FodParameters | None = None,
    *,
    start_year: int | None = None,
    end_year: int | None = None,
    gwp_set: str = "ar5",
) -> AvoidedMethane:
    """CH4 and CO2e avoided by keeping waste out of the TPA (§1 rule 3).

    The TPA's FOD parameters (MCF, climate zone, OX, recovery) apply to the
    diverted stream as if it had been landfilled. Treatment emissions
    (composting, AD) are not subtracted; see :mod:`routing.energy.pathways`.

    :param diverted_t_by_year: year -> component key -> wet t diverted.
    :param parameters: FOD parameters of the TPA the waste would have reached.
    :param start_year: first year reported (see :func:`run_fod`).
    :param end_year: last year reported (see :func:`run_fod`).
    :param gwp_set: key of :data:`GWP_CH4`; default ``ar5`` (28).
    :returns: an :class:`AvoidedMethane`, unrounded.
    :raises InvalidParameter: for a bad mass, parameter or GWP set.
    :raises InvalidYearRange: for a bad year range.
    """
    gwp = gwp_ch4(gwp_set)
    params = parameters if parameters is not None else FodParameters()
    fod = run_fod(diverted_t_by_year, params, start_year=start_year, end_year=end_year)
    commitment = {
        year: methane_commitment(deposits, params).ch4_t
        for year, deposits in sorted(diverted_t_by_year.items())
    }
    return AvoidedMethane(
        years=tuple(
            AvoidedMethaneYear(
                year=row.year,
                ch4_avoided_t=row.ch4_emitted_t,
                co2e_avoided_t=row.ch4_emitted_t * gwp,
            )
            for row in fod.years
        ),
        commitment_ch4_t_by_deposit_year=MappingProxyType(commitment),
        commitment_co2e_t_by_deposit_year=MappingProxyType(
            {year: ch4_t * gwp for year, ch4_t in commitment.items()}
        ),
        gwp_set=gwp_set,
        gwp_ch4=gwp,
        parameters=params,
    )
