"""US EPA LandGEM v3.02 first-order decay model (bulk waste), a cross-check.

``Q_CH4 = sum_i sum_{j=0.1..1.0} k * L0 * (M_i / 10) * e^(-k t_ij)``
(LandGEM v3.02 User's Guide, EPA-600/R-05/047; wte-reference §5 [V]).
Waste accepted in year i emits from year i + 1; in year T its ten sections
have ages ``(T - i) - j``, j = 0.1..1.0, i.e. 0.0..0.9 in the first emitting
year (the Saltykoff1986/krasGEM convention, wte-reference §5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from routing.energy.exceptions import InvalidParameter, InvalidYearRange
from routing.energy.fod import CH4_PER_C_T_PER_T, DEFAULT_HORIZON_YR, MAX_HORIZON_YR

__all__ = [
    "CH4_MOLAR_MASS_G_PER_MOL",
    "GAS_CONSTANT_J_PER_MOL_K",
    "LANDGEM_DEFAULTS",
    "LANDGEM_SECTIONS",
    "STANDARD_PRESSURE_KPA",
    "LandgemParameters",
    "LandgemResult",
    "LandgemYear",
    "ch4_density_kg_per_m3",
    "landgem_lifetime_ch4_m3",
    "landgem_methane_potential_m3_per_mg",
    "run_landgem",
]

#: Molar mass of CH4, g/mol, and the molar gas constant, J/(mol K)
#: (wte-reference §5, "CH4 density" and test case E).
CH4_MOLAR_MASS_G_PER_MOL = 16.043
GAS_CONSTANT_J_PER_MOL_K = 8.314462618
STANDARD_PRESSURE_KPA = 101.325
#: LandGEM splits each year's acceptance into ten sections of 0.1 year.
LANDGEM_SECTIONS = 10


def ch4_density_kg_per_m3(
    temperature_c: float, pressure_kpa: float = STANDARD_PRESSURE_KPA
) -> float:
    """Ideal-gas density of CH4 (wte-reference §5).

    0 °C: 0.716; 15.6 °C (60 °F): 0.677; 20 °C: 0.667; 25 °C: 0.656 kg/m3.

    :param temperature_c: gas temperature, °C, > -273.15.
    :param pressure_kpa: absolute pressure, kPa, > 0.
    :returns: density, kg/m3.
    :raises InvalidParameter: for a temperature at or below absolute zero or a
        non-positive pressure.
    """
    if not math.isfinite(temperature_c) or temperature_c <= -273.15:
        raise InvalidParameter("temperature_c", "Temperature must be above -273.15 °C.")
    if not math.isfinite(pressure_kpa) or pressure_kpa <= 0.0:
        raise InvalidParameter("pressure_kpa", "Pressure must be positive.")
    return (
        pressure_kpa
        * CH4_MOLAR_MASS_G_PER_MOL
        / (GAS_CONSTANT_J_PER_MOL_K * (temperature_c + 273.15))
    )


def landgem_methane_potential_m3_per_mg(
    doc_fraction: float,
    *,
    docf: float = 0.5,
    mcf: float = 1.0,
    methane_fraction: float = 0.5,
    temperature_c: float = 15.56,
) -> float:
    """LandGEM L0 from IPCC parameters, m3 CH4 per Mg (wte-reference §5).

    ``L0 = DOC * DOCf * MCF * F * 16/12 * 1000 / rho_CH4``. With DOC 1 and the
    defaults this gives 492.2 m3/Mg at 60 °F; EPA GHGRP help Q102 publishes
    493.5 x DOC (test case E).

    :param doc_fraction: DOC, kg C / kg wet, 0..1.
    :param docf: DOCf, 0..1.
    :param mcf: MCF, 0..1.
    :param methane_fraction: F, 0..1.
    :param temperature_c: reference temperature of the gas volume, °C.
    :returns: L0 in m3 CH4 / Mg at ``temperature_c`` and 101.325 kPa.
    :raises InvalidParameter: for a fraction outside 0..1.
    """
    for name, value in (
        ("doc_fraction", doc_fraction),
        ("docf", docf),
        ("mcf", mcf),
        ("methane_fraction", methane_fraction),
    ):
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            raise InvalidParameter(
                name, f"{name} must be between 0 and 1, got {value!r}."
            )
    ch4_kg_per_mg = (
        doc_fraction * docf * mcf * methane_fraction * CH4_PER_C_T_PER_T * 1000.0
    )
    return ch4_kg_per_mg / ch4_density_kg_per_m3(temperature_c)


@dataclass(frozen=True)
class LandgemParameters:
    """LandGEM inputs (defaults: CAA conventional, wte-reference §5).

    :ivar decay_rate_per_yr: k, yr^-1, > 0.
    :ivar methane_potential_m3_per_mg: L0, m3 CH4 per Mg, >= 0.
    :ivar methane_fraction: CH4 share of landfill gas by volume, (0..1] (0.5).
    :ivar nmoc_ppmv: NMOC concentration as hexane, ppmv (reported only).
    :ivar first_section_age_yr: age of the youngest section in the first
        emitting year: 0.0 (ages 0.0-0.9, default) or up to 0.1 (ages
        0.1-1.0, the other reading of the guide; -0.25 % at k = 0.05).
    :ivar ch4_reference_temperature_c: temperature at which m3 are converted
        to tonnes; 25 °C as in AP-42 (0.656 kg/m3) [M].
    """

    decay_rate_per_yr: float = 0.05
    methane_potential_m3_per_mg: float = 170.0
    methane_fraction: float = 0.5
    nmoc_ppmv: float = 4000.0
    first_section_age_yr: float = 0.0
    ch4_reference_temperature_c: float = 25.0

    def __post_init__(self) -> None:
        """Validate ranges."""
        if not math.isfinite(self.decay_rate_per_yr) or self.decay_rate_per_yr <= 0.0:
            raise InvalidParameter("decay_rate_per_yr", "k must be a positive number.")
        for name in ("methane_potential_m3_per_mg", "nmoc_ppmv"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0.0:
                raise InvalidParameter(name, f"{name} must be >= 0, got {value!r}.")
        if (
            not math.isfinite(self.methane_fraction)
            or not 0.0 < self.methane_fraction <= 1.0
        ):
            raise InvalidParameter(
                "methane_fraction", "methane_fraction must be in (0, 1]."
            )
        if not 0.0 <= self.first_section_age_yr <= 0.1:
            raise InvalidParameter(
                "first_section_age_yr", "first_section_age_yr must be within 0..0.1."
            )
        ch4_density_kg_per_m3(self.ch4_reference_temperature_c)


#: LandGEM v3.02 default parameter sets (wte-reference §5 [S]).
LANDGEM_DEFAULTS: Mapping[str, LandgemParameters] = MappingProxyType(
    {
        "caa_conventional": LandgemParameters(0.05, 170.0, nmoc_ppmv=4000.0),
        "caa_arid": LandgemParameters(0.02, 170.0, nmoc_ppmv=4000.0),
        "inventory_conventional": LandgemParameters(0.04, 100.0, nmoc_ppmv=600.0),
        "inventory_arid": LandgemParameters(0.02, 100.0, nmoc_ppmv=600.0),
        "inventory_wet": LandgemParameters(0.7, 96.0, nmoc_ppmv=600.0),
    }
)


@dataclass(frozen=True)
class LandgemYear:
    """LandGEM output of one calendar year."""

    year: int
    ch4_m3: float
    landfill_gas_m3: float
    ch4_t: float


@dataclass(frozen=True)
class LandgemResult:
    """Result of :func:`run_landgem`, one row per year."""

    parameters: LandgemParameters
    years: tuple[LandgemYear, ...]
    ch4_density_kg_per_m3: float

    def year(self, year: int) -> LandgemYear:
        """The row of calendar year ``year``.

        :raises InvalidParameter: if ``year`` is outside the run.
        """
        index = year - self.years[0].year
        if not 0 <= index < len(self.years):
            raise InvalidParameter("year", f"Year {year} is outside the run.")
        return self.years[index]

    @property
    def total_ch4_m3(self) -> float:
        """CH4 over all reported years, m3."""
        return math.fsum(row.ch4_m3 for row in self.years)


def run_landgem(
    accepted_mg_by_year: Mapping[int, float],
    parameters: LandgemParameters | None = None,
    *,
    start_year: int | None = None,
    end_year: int | None = None,
) -> LandgemResult:
    """Run LandGEM v3.02 for yearly waste acceptance (bulk, Mg = t).

    :param accepted_mg_by_year: year -> Mg accepted, each >= 0.
    :param parameters: k, L0, ...; default CAA conventional (0.05, 170).
    :param start_year: first year reported; default the first acceptance year.
    :param end_year: last year reported; default last acceptance + 50; the
        span from the first acceptance may not exceed 200 years.
    :returns: CH4 and landfill gas in m3/yr (and t at the reference
        temperature), unrounded.
    :raises InvalidParameter: for a negative mass or missing range.
    :raises InvalidYearRange: for a backwards range or one over 200 years.
    """
    params = parameters if parameters is not None else LandgemParameters()
    for year, mass_mg in accepted_mg_by_year.items():
        if isinstance(year, bool) or not isinstance(year, int):
            raise InvalidParameter("accepted_mg_by_year", f"Bad year {year!r}.")
        if not math.isfinite(mass_mg) or mass_mg < 0.0:
            raise InvalidParameter(
                f"accepted_mg_by_year.{year}", f"Mass must be >= 0, got {mass_mg!r}."
            )
    years = list(accepted_mg_by_year)
    if start_year is None:
        if not years:
            raise InvalidParameter(
                "accepted_mg_by_year", "Give at least one year or a start_year."
            )
        start_year = min(years)
    if end_year is None:
        end_year = max([start_year, *years]) + DEFAULT_HORIZON_YR
    if end_year < start_year:
        raise InvalidYearRange(
            "end_year", f"end_year {end_year} is before {start_year}."
        )
    first_year = min([start_year, *years])
    if end_year - first_year + 1 > MAX_HORIZON_YR:
        raise InvalidYearRange(
            "end_year", f"The run spans more than {MAX_HORIZON_YR} years."
        )

    k = params.decay_rate_per_yr
    # The ten sections of a deposit in its first emitting year; in later years
    # every section is older by the same whole number of years, so the section
    # sum factors out as e^(-k (T - i - 1)) x section_factor.
    section_ages_yr = [
        (1.0 - j / LANDGEM_SECTIONS) + params.first_section_age_yr
        for j in range(1, LANDGEM_SECTIONS + 1)
    ]
    section_factor = math.fsum(math.exp(-k * age) for age in section_ages_yr)
    density = ch4_density_kg_per_m3(params.ch4_reference_temperature_c)
    rows = []
    for year in range(start_year, end_year + 1):
        ch4_m3 = math.fsum(
            k
            * params.methane_potential_m3_per_mg
            * (mass_mg / LANDGEM_SECTIONS)
            * math.exp(-k * (year - accepted - 1))
            * section_factor
            for accepted, mass_mg in accepted_mg_by_year.items()
            if accepted < year
        )
        rows.append(
            LandgemYear(
                year=year,
                ch4_m3=ch4_m3,
                landfill_gas_m3=ch4_m3 / params.methane_fraction,
                ch4_t=ch4_m3 * density / 1000.0,
            )
        )
    return LandgemResult(
        parameters=params, years=tuple(rows), ch4_density_kg_per_m3=density
    )


def landgem_lifetime_ch4_m3(
    accepted_mg: float, parameters: LandgemParameters | None = None
) -> float:
    """Lifetime CH4 of one year's acceptance under LandGEM, m3 (wte-reference §5).

    ``L0 x M x (k/10) / (1 - e^(-k/10))`` (times ``e^(-k a)`` for a first
    section age a > 0): slightly above L0 x M because each tenth-year section
    is credited its start-of-section rate. The FOD equivalent is L0 x M.

    :param accepted_mg: Mg accepted in one year, >= 0.
    :param parameters: k and L0; default CAA conventional.
    :returns: m3 CH4 summed over an infinite horizon.
    :raises InvalidParameter: for a negative mass.
    """
    params = parameters if parameters is not None else LandgemParameters()
    if not math.isfinite(accepted_mg) or accepted_mg < 0.0:
        raise InvalidParameter("accepted_mg", "accepted_mg must be >= 0.")
    step = params.decay_rate_per_yr / LANDGEM_SECTIONS
    return (
        params.methane_potential_m3_per_mg
        * accepted_mg
        * step
        / -math.expm1(-step)
        * math.exp(-params.decay_rate_per_yr * params.first_section_age_yr)
    )
