"""National and SDG targets: Jakstranas progress and SDG 11.6.1 parameters.

Pure functions of plain inputs. Every mass carries a basis, ``measured``
(weighbridge, survey) or ``estimated`` (e.g. population x per-capita rate);
a rate is ``estimated`` as soon as one of its inputs is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from routing.energy.exceptions import InvalidParameter

__all__ = [
    "BASES",
    "GENERATION_RATE_KG_PER_CAPITA_PER_DAY",
    "JAKSTRANAS_HANDLING_TARGET_FRACTION",
    "JAKSTRANAS_REDUCTION_TARGET_FRACTION",
    "JAKSTRANAS_TARGET_YEAR",
    "JakstranasProgress",
    "MassFigure",
    "RateFigure",
    "Sdg1161Parameters",
    "estimate_msw_generation",
    "generation_rate_kg_per_capita_per_day",
    "jakstranas_progress",
    "sdg_11_6_1_parameters",
]

BASES: tuple[str, ...] = ("measured", "estimated")

#: Jakstranas (Perpres 97/2017) targets for household and household-like
#: waste by 2025: 30 % pengurangan, 70 % penanganan (wte-reference §7.1 [V]).
JAKSTRANAS_REDUCTION_TARGET_FRACTION = 0.30
JAKSTRANAS_HANDLING_TARGET_FRACTION = 0.70
JAKSTRANAS_TARGET_YEAR = 2025

#: Per-capita MSW generation, kg/cap/day, for estimates where no SNI
#: 19-3964-1994 survey exists (wte-reference §7.3): SNI 19-3983-1995 kota
#: kecil (< 100 k people) 0.625-0.70 and kota sedang (100-500 k) 0.70-0.80,
#: mid-points [V, as quoted]; larger cities, which the SNI does not cover,
#: IPCC 2006 Table 2.1 South-East Asia 0.74 [M].
GENERATION_RATE_KG_PER_CAPITA_PER_DAY: Mapping[str, float] = MappingProxyType(
    {
        "kota_kecil": (0.625 + 0.70) / 2.0,
        "kota_sedang": (0.70 + 0.80) / 2.0,
        "ipcc_south_east_asia": 0.74,
    }
)


def _check_basis(name: str, basis: str) -> None:
    if basis not in BASES:
        raise InvalidParameter(name, f"{name} must be 'measured' or 'estimated'.")


def _check_non_negative(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0.0:
        raise InvalidParameter(
            name, f"{name} must be a finite number >= 0, got {value!r}."
        )


def _check_not_above(name: str, part_t: float, whole_name: str, whole_t: float) -> None:
    # A relative tolerance absorbs float noise in sums of weighbridge lines.
    if part_t > whole_t * (1.0 + 1e-9):
        raise InvalidParameter(name, f"{name} ({part_t!r} t) exceeds {whole_name}.")


@dataclass(frozen=True)
class MassFigure:
    """A mass over a reporting period, t, with its basis.

    :ivar mass_t: wet tonnes over the period, >= 0.
    :ivar basis: ``measured`` or ``estimated``.
    """

    mass_t: float
    basis: str = "measured"

    def __post_init__(self) -> None:
        """Validate."""
        _check_non_negative("mass_t", self.mass_t)
        _check_basis("basis", self.basis)


@dataclass(frozen=True)
class RateFigure:
    """A share, 0..1 (unrounded), with its basis."""

    fraction: float
    basis: str


def _rate(numerator: MassFigure, denominator: MassFigure) -> RateFigure:
    basis = (
        "estimated"
        if "estimated" in (numerator.basis, denominator.basis)
        else "measured"
    )
    return RateFigure(fraction=numerator.mass_t / denominator.mass_t, basis=basis)


def generation_rate_kg_per_capita_per_day(population: int) -> float:
    """Default per-capita MSW generation for a city of ``population`` (§7.3).

    :param population: inhabitants, > 0.
    :returns: kg/cap/day: 0.6625 below 100,000, 0.75 up to 500,000, else 0.74.
    :raises InvalidParameter: for a non-positive population.
    """
    if (
        isinstance(population, bool)
        or not isinstance(population, int)
        or population <= 0
    ):
        raise InvalidParameter("population", "population must be a positive integer.")
    if population < 100_000:
        return GENERATION_RATE_KG_PER_CAPITA_PER_DAY["kota_kecil"]
    if population <= 500_000:
        return GENERATION_RATE_KG_PER_CAPITA_PER_DAY["kota_sedang"]
    return GENERATION_RATE_KG_PER_CAPITA_PER_DAY["ipcc_south_east_asia"]


def estimate_msw_generation(
    population: int,
    kg_per_capita_per_day: float | None = None,
    *,
    days: float = 365.0,
) -> MassFigure:
    """Estimate MSW generation as population x per-capita rate (WaCT, §7.3).

    :param population: inhabitants, > 0.
    :param kg_per_capita_per_day: generation rate; default
        :func:`generation_rate_kg_per_capita_per_day`.
    :param days: length of the reporting period, days, > 0 (default a year).
    :returns: an ``estimated`` :class:`MassFigure` in t over ``days``.
    :raises InvalidParameter: for a bad population, rate or period.
    """
    default_rate = generation_rate_kg_per_capita_per_day(population)
    rate = default_rate if kg_per_capita_per_day is None else kg_per_capita_per_day
    _check_non_negative("kg_per_capita_per_day", rate)
    if not math.isfinite(days) or days <= 0.0:
        raise InvalidParameter("days", "days must be > 0.")
    return MassFigure(mass_t=population * rate * days / 1000.0, basis="estimated")


@dataclass(frozen=True)
class JakstranasProgress:
    """Progress against the Jakstranas 2025 targets (§7.1).

    ``managed`` is SIPSN's *sampah terkelola* (pengurangan + penanganan);
    ``unmanaged_t`` the rest (*tidak terkelola*).
    """

    generated: MassFigure
    reduction: RateFigure
    handling: RateFigure
    managed: RateFigure
    unmanaged_t: float
    reduction_target_fraction: float
    handling_target_fraction: float
    reduction_target_met: bool
    handling_target_met: bool
    #: Extra t/period of pengurangan or penanganan needed; 0 when met.
    reduction_shortfall_t: float
    handling_shortfall_t: float


def jakstranas_progress(
    generated: MassFigure,
    reduction: MassFigure,
    handling: MassFigure,
    *,
    reduction_target_fraction: float = JAKSTRANAS_REDUCTION_TARGET_FRACTION,
    handling_target_fraction: float = JAKSTRANAS_HANDLING_TARGET_FRACTION,
) -> JakstranasProgress:
    """Pengurangan and penanganan shares against the Jakstranas targets.

    Definitions (UU 18/2008 Pasal 19-22; PP 81/2012; §7.1): pengurangan =
    limiting generation + recycling + reuse; penanganan = sorting,
    collection, transport, treatment and final disposal of the rest.

    :param generated: MSW generated over the period (timbulan), > 0.
    :param reduction: pengurangan over the same period.
    :param handling: penanganan over the same period; reduction + handling
        may not exceed generated.
    :param reduction_target_fraction: default 0.30, 0..1.
    :param handling_target_fraction: default 0.70, 0..1.
    :returns: a :class:`JakstranasProgress`, unrounded.
    :raises InvalidParameter: for a zero generation, a share above the
        generation or a target outside 0..1.
    """
    if generated.mass_t <= 0.0:
        raise InvalidParameter("generated", "generated must be > 0 t.")
    for name, target in (
        ("reduction_target_fraction", reduction_target_fraction),
        ("handling_target_fraction", handling_target_fraction),
    ):
        if not math.isfinite(target) or not 0.0 <= target <= 1.0:
            raise InvalidParameter(name, f"{name} must be 0..1.")
    _check_not_above("reduction", reduction.mass_t, "generated", generated.mass_t)
    _check_not_above("handling", handling.mass_t, "generated", generated.mass_t)
    managed_t = reduction.mass_t + handling.mass_t
    _check_not_above(
        "handling", managed_t, "generated (with reduction)", generated.mass_t
    )
    managed_basis = (
        "estimated" if "estimated" in (reduction.basis, handling.basis) else "measured"
    )
    reduction_rate = _rate(reduction, generated)
    handling_rate = _rate(handling, generated)
    return JakstranasProgress(
        generated=generated,
        reduction=reduction_rate,
        handling=handling_rate,
        managed=_rate(
            MassFigure(min(managed_t, generated.mass_t), managed_basis), generated
        ),
        unmanaged_t=max(generated.mass_t - managed_t, 0.0),
        reduction_target_fraction=reduction_target_fraction,
        handling_target_fraction=handling_target_fraction,
        reduction_target_met=reduction_rate.fraction >= reduction_target_fraction,
        handling_target_met=handling_rate.fraction >= handling_target_fraction,
        reduction_shortfall_t=max(
            reduction_target_fraction * generated.mass_t - reduction.mass_t, 0.0
        ),
        handling_shortfall_t=max(
            handling_target_fraction * generated.mass_t - handling.mass_t, 0.0
        ),
    )


@dataclass(frozen=True)
class Sdg1161Parameters:
    """SDG 11.6.1 parameters as in UN-Habitat's Waste Wise Cities Tool.

    ``controlled_rate`` is indicator 11.6.1 itself: MSW collected and managed
    in controlled facilities / total MSW generated.
    """

    msw_generated: MassFigure
    msw_collected: MassFigure
    msw_controlled: MassFigure
    msw_recovered: MassFigure
    collection_rate: RateFigure
    controlled_rate: RateFigure
    recovery_rate: RateFigure
    #: Share of the population with basic collection service, if given.
    population_served: RateFigure | None


def sdg_11_6_1_parameters(
    *,
    generated: MassFigure,
    collected: MassFigure,
    controlled: MassFigure,
    recovered: MassFigure,
    population: int | None = None,
    population_served: int | None = None,
    population_served_basis: str = "measured",
) -> Sdg1161Parameters:
    """SDG 11.6.1 parameters from plain masses (UN-Habitat WaCT).

    All masses cover the same period (WaCT reports t/day).

    :param generated: total MSW generated; use :func:`estimate_msw_generation`
        where no household survey exists. > 0.
    :param collected: MSW collected, <= generated.
    :param controlled: MSW managed in controlled facilities (recovery and
        disposal sites meeting WaCT's control criteria), <= generated.
    :param recovered: MSW recovered (recycled, composted, ...), <= generated.
    :param population: inhabitants, > 0, with ``population_served``.
    :param population_served: inhabitants with basic collection service.
    :param population_served_basis: ``measured`` or ``estimated``.
    :returns: :class:`Sdg1161Parameters`, unrounded.
    :raises InvalidParameter: for a zero generation or a part above it.
    """
    if generated.mass_t <= 0.0:
        raise InvalidParameter("generated", "generated must be > 0 t.")
    for name, part in (
        ("collected", collected),
        ("controlled", controlled),
        ("recovered", recovered),
    ):
        _check_not_above(name, part.mass_t, "generated", generated.mass_t)
    served: RateFigure | None = None
    if population is not None or population_served is not None:
        if (
            population is None
            or isinstance(population, bool)
            or not isinstance(population, int)
            or population <= 0
        ):
            raise InvalidParameter(
                "population", "population must be a positive integer."
            )
        if (
            population_served is None
            or isinstance(population_served, bool)
            or not isinstance(population_served, int)
            or not 0 <= population_served <= population
        ):
            raise InvalidParameter(
                "population_served", "population_served must be 0..population."
            )
        _check_basis("population_served_basis", population_served_basis)
        served = RateFigure(population_served / population, population_served_basis)
    return Sdg1161Parameters(
        msw_generated=generated,
        msw_collected=collected,
        msw_controlled=controlled,
        msw_recovered=recovered,
        collection_rate=_rate(collected, generated),
        controlled_rate=_rate(controlled, generated),
        recovery_rate=_rate(recovered, generated),
        population_served=served,
    )
