"""IPCC 2006 First Order Decay (FOD) model of landfill methane, per component.

Implements IPCC 2006 Vol. 5 Ch. 3 Eq. 3.1-3.7 as printed (wte-reference §2.5):
decomposable carbon deposited in year T enters the stock at the end of T and
starts to decay on 1 January of T + 1, i.e. reaction start month M = 13.
Annex 3A.1 (M < 13, decay in the deposition year) and the CDM Tool 04 timing
(M = 1) are available through :attr:`FodParameters.reaction_start_month`.

Every component is run with its own DOC and k and the results are summed.
The model is linear in the deposits, which is what makes "avoided methane of
the diverted stream" a plain FOD run on that stream (wte-reference §1 rule 3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from routing.energy.components import check_climate_zone, component
from routing.energy.exceptions import InvalidParameter, InvalidYearRange

__all__ = [
    "CH4_PER_C_T_PER_T",
    "DEFAULT_HORIZON_YR",
    "MAX_HORIZON_YR",
    "MCF_BY_SITE_TYPE",
    "FodParameters",
    "FodResult",
    "FodYear",
    "MethaneCommitment",
    "check_deposits",
    "mcf_for_site_type",
    "methane_commitment",
    "run_fod",
]

#: Molecular weight ratio CH4 / C, 16/12 (IPCC 2006 Eq. 3.3 / 3.6).
CH4_PER_C_T_PER_T = 16.0 / 12.0

#: Longest span of years a model run may cover (issue 6). 200 years is about
#: 40 half-lives of the slowest tropical component and 10 of boreal wood.
MAX_HORIZON_YR = 200
#: Years modelled after the last deposit when no end year is given: IPCC asks
#: for >= 3-5 half-lives of history (wte-reference §2.3); 50 years covers the
#: slowest tropical component (wood, t1/2 = 19.8 yr) to 83 %.
DEFAULT_HORIZON_YR = 50

#: Methane correction factor by site type (IPCC 2006 Vol. 5 Ch. 3 Table 3.1;
#: 2019 Refinement additions; Indonesian mapping), wte-reference §2.3 [S].
#: The Indonesian keys are a judgement to be documented per TPA.
MCF_BY_SITE_TYPE: Mapping[str, float] = MappingProxyType(
    {
        # IPCC 2006 Table 3.1
        "managed_anaerobic": 1.0,
        "managed_semi_aerobic": 0.5,
        "unmanaged_deep": 0.8,
        "unmanaged_shallow": 0.4,
        "uncategorised": 0.6,
        # IPCC 2019 Refinement
        "poorly_managed_semi_aerobic": 0.7,
        "active_aeration_well_managed": 0.4,
        "active_aeration_poorly_managed": 0.7,
        # Indonesian site categories (wte-reference §2.3, "Indonesian mapping")
        "open_dump_deep": 0.8,
        "open_dump_shallow": 0.4,
        "controlled_landfill": 1.0,
        "sanitary_landfill": 1.0,
        "semi_aerobic_fukuoka": 0.5,
    }
)


def mcf_for_site_type(site_type: str) -> float:
    """Methane correction factor of a site type (IPCC 2006 Table 3.1, §2.3).

    :param site_type: a key of :data:`MCF_BY_SITE_TYPE`.
    :returns: MCF, 0..1.
    :raises InvalidParameter: for an unknown site type.
    """
    try:
        return MCF_BY_SITE_TYPE[site_type]
    except KeyError:
        raise InvalidParameter(
            "site_type",
            f"Unknown site type {site_type!r}; expected one of "
            + ", ".join(MCF_BY_SITE_TYPE)
            + ".",
        ) from None


def _check_fraction(name: str, value: float) -> None:
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InvalidParameter(name, f"{name} must be between 0 and 1, got {value!r}.")


def _check_non_negative(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0.0:
        raise InvalidParameter(
            name, f"{name} must be a finite number >= 0, got {value!r}."
        )


def _frozen(mapping: Mapping[str, float] | None) -> Mapping[str, float] | None:
    return None if mapping is None else MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class FodParameters:
    """Parameters of an IPCC 2006 FOD run (defaults: wte-reference §11).

    :ivar climate_zone: IPCC zone selecting k (Table 3.3); Ambon and Mojokerto
        are ``tropical_wet``.
    :ivar mcf: methane correction factor, 0..1 (Table 3.1; see
        :func:`mcf_for_site_type`). Default 1.0, managed anaerobic.
    :ivar docf: fraction of DOC that decomposes, 0..1 (default 0.5, §2.3).
    :ivar docf_by_component: per-component DOCf overriding ``docf``, e.g.
        :data:`~routing.energy.components.DOCF_IPCC_2019`.
    :ivar methane_fraction: F, CH4 share of landfill gas by volume, 0..1 (0.5).
    :ivar oxidation_fraction: OX, 0..1 (0; 0.1 only with an oxidising cover).
    :ivar recovery_fraction: share of generated CH4 recovered each year, 0..1;
        subtracted before oxidation (Eq. 3.1).
    :ivar reaction_start_month: M of Annex 3A.1, 1..13 (13: as printed).
    :ivar include_rubber_leather_doc: count rubber/leather's bracketed DOC.
    :ivar doc_by_component: DOC (wet, 0..1) overriding Table 2.4, e.g. measured.
    :ivar decay_rate_by_component_per_yr: k (yr^-1, >= 0) overriding Table 3.3.
    """

    climate_zone: str = "tropical_wet"
    mcf: float = 1.0
    docf: float = 0.5
    docf_by_component: Mapping[str, float] | None = field(default=None, hash=False)
    methane_fraction: float = 0.5
    oxidation_fraction: float = 0.0
    recovery_fraction: float = 0.0
    reaction_start_month: int = 13
    include_rubber_leather_doc: bool = False
    doc_by_component: Mapping[str, float] | None = field(default=None, hash=False)
    decay_rate_by_component_per_yr: Mapping[str, float] | None = field(
        default=None, hash=False
    )

    def __post_init__(self) -> None:
        """Validate every parameter and freeze the override mappings."""
        check_climate_zone(self.climate_zone)
        for name in (
            "mcf",
            "docf",
            "methane_fraction",
            "oxidation_fraction",
            "recovery_fraction",
        ):
            _check_fraction(name, getattr(self, name))
        month = self.reaction_start_month
        if (
            isinstance(month, bool)
            or not isinstance(month, int)
            or not 1 <= month <= 13
        ):
            raise InvalidParameter(
                "reaction_start_month",
                f"reaction_start_month must be an integer 1..13, got {month!r}.",
            )
        for name, check in (
            ("docf_by_component", _check_fraction),
            ("doc_by_component", _check_fraction),
            ("decay_rate_by_component_per_yr", _check_non_negative),
        ):
            mapping: Mapping[str, float] | None = getattr(self, name)
            if mapping is None:
                continue
            for key, value in mapping.items():
                component(key, f"{name}.{key}")
                check(f"{name}.{key}", value)
            object.__setattr__(self, name, _frozen(mapping))

    def doc_fraction(self, key: str) -> float:
        """DOC (kg C / kg wet) used for component ``key``."""
        if self.doc_by_component is not None and key in self.doc_by_component:
            return self.doc_by_component[key]
        comp = component(key)
        if not comp.doc_counted_by_default and not self.include_rubber_leather_doc:
            return 0.0
        return comp.doc_fraction

    def docf_fraction(self, key: str) -> float:
        """DOCf used for component ``key``."""
        if self.docf_by_component is not None and key in self.docf_by_component:
            return self.docf_by_component[key]
        return self.docf

    def decay_rate_per_yr(self, key: str) -> float:
        """Decay rate k (yr^-1) used for component ``key``."""
        if (
            self.decay_rate_by_component_per_yr is not None
            and key in self.decay_rate_by_component_per_yr
        ):
            return self.decay_rate_by_component_per_yr[key]
        comp = component(key)
        if comp.decay_group is None:
            return 0.0
        return comp.decay_rate_per_yr(self.climate_zone)

    def ddocm_per_t(self, key: str) -> float:
        """Decomposable DOC deposited per tonne of wet waste, t/t (Eq. 3.2)."""
        return self.doc_fraction(key) * self.docf_fraction(key) * self.mcf

    def ch4_potential_t_per_t(self, key: str) -> float:
        """CH4 generation potential L0, t CH4 per t wet waste (Eq. 3.3)."""
        return self.ddocm_per_t(key) * self.methane_fraction * CH4_PER_C_T_PER_T


def check_deposits(
    deposits_t_by_component: Mapping[str, float], field_name: str = "deposits_t"
) -> None:
    """Refuse unknown components and negative or non-finite masses.

    :raises UnknownComponent: for an unknown component key.
    :raises InvalidParameter: for a negative or non-finite mass.
    """
    for key, mass_t in deposits_t_by_component.items():
        component(key, f"{field_name}.{key}")
        _check_non_negative(f"{field_name}.{key}", mass_t)


@dataclass(frozen=True)
class FodYear:
    """Methane of one calendar year (all masses in tonnes).

    ``ch4_emitted_t = (ch4_generated_t - ch4_recovered_t) * (1 - OX)`` (Eq. 3.1);
    ``ch4_oxidised_t`` is the part removed by OX.
    """

    year: int
    ddocm_deposited_t: float
    ddocm_decomposed_t: float
    ddocm_accumulated_t: float
    ch4_generated_t: float
    ch4_recovered_t: float
    ch4_oxidised_t: float
    ch4_emitted_t: float
    ch4_generated_t_by_component: Mapping[str, float]


@dataclass(frozen=True)
class FodResult:
    """Result of :func:`run_fod`: one :class:`FodYear` per year, in order.

    ``doc_by_component``, ``docf_by_component`` and
    ``decay_rate_by_component_per_yr`` record the coefficients actually used.
    """

    parameters: FodParameters
    years: tuple[FodYear, ...]
    doc_by_component: Mapping[str, float]
    docf_by_component: Mapping[str, float]
    decay_rate_by_component_per_yr: Mapping[str, float]

    @property
    def start_year(self) -> int:
        """First reported year."""
        return self.years[0].year

    @property
    def end_year(self) -> int:
        """Last reported year."""
        return self.years[-1].year

    def year(self, year: int) -> FodYear:
        """The row of calendar year ``year``.

        :raises InvalidParameter: if ``year`` is outside the run.
        """
        index = year - self.start_year
        if not 0 <= index < len(self.years):
            raise InvalidParameter(
                "year", f"Year {year} is outside {self.start_year}..{self.end_year}."
            )
        return self.years[index]

    def ch4_emitted_t_by_year(self) -> dict[int, float]:
        """Year -> CH4 emitted, t."""
        return {row.year: row.ch4_emitted_t for row in self.years}

    def ch4_generated_t_by_year(self) -> dict[int, float]:
        """Year -> CH4 generated, t."""
        return {row.year: row.ch4_generated_t for row in self.years}

    @property
    def total_ch4_emitted_t(self) -> float:
        """CH4 emitted over all reported years, t."""
        return math.fsum(row.ch4_emitted_t for row in self.years)

    @property
    def total_ch4_generated_t(self) -> float:
        """CH4 generated over all reported years, t."""
        return math.fsum(row.ch4_generated_t for row in self.years)


def _year_range(
    deposit_years: list[int], start_year: int | None, end_year: int | None
) -> tuple[int, int, int]:
    """Return (first simulated year, first reported year, last year)."""
    for name, value in (("start_year", start_year), ("end_year", end_year)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int)
        ):
            raise InvalidParameter(
                name, f"{name} must be an integer year, got {value!r}."
            )
    for year in deposit_years:
        if isinstance(year, bool) or not isinstance(year, int):
            raise InvalidParameter(
                "deposits_t", f"Deposit years must be integers: {year!r}."
            )
    if start_year is None:
        if not deposit_years:
            raise InvalidParameter(
                "deposits_t", "Give at least one deposit year or a start_year."
            )
        start_year = min(deposit_years)
    if end_year is None:
        end_year = max([start_year, *deposit_years]) + DEFAULT_HORIZON_YR
    if end_year < start_year:
        raise InvalidYearRange(
            "end_year", f"end_year {end_year} is before start_year {start_year}."
        )
    # Deposits before the reported range still emit into it: simulate from the
    # earliest one.
    first_year = min([start_year, *deposit_years])
    if end_year - first_year + 1 > MAX_HORIZON_YR:
        raise InvalidYearRange(
            "end_year",
            f"The run {first_year}..{end_year} spans more than {MAX_HORIZON_YR} years.",
        )
    return first_year, start_year, end_year


def run_fod(
    deposits_t_by_year: Mapping[int, Mapping[str, float]],
    parameters: FodParameters | None = None,
    *,
    start_year: int | None = None,
    end_year: int | None = None,
    recovered_ch4_t_by_year: Mapping[int, float] | None = None,
) -> FodResult:
    """Run the IPCC 2006 FOD model (Eq. 3.1-3.6) per component and sum.

    For each component with DOC > 0 and decay rate k, in every year T::

        DDOCmd_T      = W_T * DOC * DOCf * MCF                     (Eq. 3.2)
        decomposed_T  = DDOCma_{T-1} * (1 - e^-k)
                        + DDOCmd_T * (1 - e^(-k (13 - M) / 12))    (Eq. 3.5, 3A.1)
        DDOCma_T      = DDOCma_{T-1} * e^-k
                        + DDOCmd_T * e^(-k (13 - M) / 12)          (Eq. 3.4, 3A.1)
        CH4 gen_T     = decomposed_T * F * 16/12                   (Eq. 3.6)
        CH4 emitted_T = (sum CH4 gen_T - R_T) * (1 - OX)           (Eq. 3.1)

    with M = 13 (default) nothing decays in the deposition year.

    :param deposits_t_by_year: calendar year -> component key -> wet tonnes
        deposited, each >= 0. Deposits after ``end_year`` have no effect.
    :param parameters: model parameters; defaults to :class:`FodParameters()`.
    :param start_year: first year reported; default the first deposit year.
        Earlier deposits are still simulated.
    :param end_year: last year reported; default the last deposit year + 50.
        The simulated span may not exceed 200 years.
    :param recovered_ch4_t_by_year: R_T, t CH4 recovered (flared or used) per
        year, added to ``recovery_fraction`` x generated; R_T may not exceed
        the CH4 generated that year.
    :returns: a :class:`FodResult`, unrounded.
    :raises UnknownComponent: for an unknown component key.
    :raises InvalidParameter: for a negative mass or recovery, or recovery
        above generation.
    :raises InvalidYearRange: for a backwards range or one over 200 years.
    """
    params = parameters if parameters is not None else FodParameters()
    for deposits in deposits_t_by_year.values():
        check_deposits(deposits)
    recovered = dict(recovered_ch4_t_by_year or {})
    for year, ch4_t in recovered.items():
        _check_non_negative(f"recovered_ch4_t_by_year.{year}", ch4_t)
    first_year, report_from, last_year = _year_range(
        list(deposits_t_by_year), start_year, end_year
    )

    keys = sorted({key for deposits in deposits_t_by_year.values() for key in deposits})
    keys = [key for key in keys if params.ddocm_per_t(key) > 0.0]
    rate_per_yr = {key: params.decay_rate_per_yr(key) for key in keys}
    keep = {key: math.exp(-rate_per_yr[key]) for key in keys}
    # Annex 3A.1: the share of a year's deposit still undecayed at the end of
    # its deposition year; 1 when M = 13.
    first_keep = {
        key: math.exp(-rate_per_yr[key] * (13 - params.reaction_start_month) / 12.0)
        for key in keys
    }
    stock_t = dict.fromkeys(keys, 0.0)
    f_c = params.methane_fraction * CH4_PER_C_T_PER_T

    rows: list[FodYear] = []
    for year in range(first_year, last_year + 1):
        deposits = deposits_t_by_year.get(year, {})
        ch4_by_component: dict[str, float] = {}
        deposited_total = decomposed_total = 0.0
        for key in keys:
            ddocm_d = deposits.get(key, 0.0) * params.ddocm_per_t(key)
            decomposed = stock_t[key] * (1.0 - keep[key]) + ddocm_d * (
                1.0 - first_keep[key]
            )
            stock_t[key] = stock_t[key] * keep[key] + ddocm_d * first_keep[key]
            ch4_by_component[key] = decomposed * f_c
            deposited_total += ddocm_d
            decomposed_total += decomposed
        generated = math.fsum(ch4_by_component.values())
        recovered_t = params.recovery_fraction * generated + recovered.get(year, 0.0)
        # A small relative tolerance absorbs float noise when a caller passes
        # back exactly the generated figure.
        if recovered_t > generated * (1.0 + 1e-12) + 1e-12:
            raise InvalidParameter(
                "recovered_ch4_t_by_year",
                f"Recovered CH4 {recovered_t!r} t in {year} exceeds the "
                f"{generated!r} t generated.",
            )
        recovered_t = min(recovered_t, generated)
        after_recovery = generated - recovered_t
        emitted = after_recovery * (1.0 - params.oxidation_fraction)
        if year >= report_from:
            rows.append(
                FodYear(
                    year=year,
                    ddocm_deposited_t=deposited_total,
                    ddocm_decomposed_t=decomposed_total,
                    ddocm_accumulated_t=math.fsum(stock_t.values()),
                    ch4_generated_t=generated,
                    ch4_recovered_t=recovered_t,
                    ch4_oxidised_t=after_recovery - emitted,
                    ch4_emitted_t=emitted,
                    ch4_generated_t_by_component=MappingProxyType(ch4_by_component),
                )
            )
    used = sorted({k for deposits in deposits_t_by_year.values() for k in deposits})
    return FodResult(
        parameters=params,
        years=tuple(rows),
        doc_by_component=MappingProxyType({k: params.doc_fraction(k) for k in used}),
        docf_by_component=MappingProxyType({k: params.docf_fraction(k) for k in used}),
        decay_rate_by_component_per_yr=MappingProxyType(
            {k: params.decay_rate_per_yr(k) for k in used}
        ),
    )


@dataclass(frozen=True)
class MethaneCommitment:
    """Lifetime CH4 of one deposit (t), total and by component."""

    ch4_t: float
    ch4_t_by_component: Mapping[str, float]
    parameters: FodParameters


def methane_commitment(
    deposit_t_by_component: Mapping[str, float],
    parameters: FodParameters | None = None,
) -> MethaneCommitment:
    """Lifetime methane commitment of one year's waste (wte-reference §2.5).

    ``sum_i W_i * DOC_i * DOCf_i * MCF * F * 16/12 * (1 - R) * (1 - OX)``,
    the GHG Protocol for Cities approach. It equals the FOD sum over an
    infinite horizon (decay rates and reaction start do not matter).

    :param deposit_t_by_component: component key -> wet tonnes, each >= 0.
    :param parameters: model parameters; ``recovery_fraction`` and
        ``oxidation_fraction`` are applied.
    :returns: CH4 in t, unrounded.
    :raises UnknownComponent: for an unknown component key.
    :raises InvalidParameter: for a negative mass.
    """
    params = parameters if parameters is not None else FodParameters()
    check_deposits(deposit_t_by_component, "deposit_t")
    released = (1.0 - params.recovery_fraction) * (1.0 - params.oxidation_fraction)
    by_component = {
        key: mass_t * params.ch4_potential_t_per_t(key) * released
        for key, mass_t in deposit_t_by_component.items()
    }
    return MethaneCommitment(
        ch4_t=math.fsum(by_component.values()),
        ch4_t_by_component=MappingProxyType(by_component),
        parameters=params,
    )
