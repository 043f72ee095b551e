"""IPCC 2006 FOD model: wte-reference §10 cases A, A2, A3, B and identities."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.energy import (
    CLIMATE_ZONES,
    COMPONENT_KEYS,
    DOCF_IPCC_2019,
    SIPSN_2023_COMPOSITION,
    FodParameters,
    InvalidParameter,
    InvalidYearRange,
    UnknownClimateZone,
    UnknownComponent,
    mcf_for_site_type,
    methane_commitment,
    run_fod,
)

FOOD_1000 = {2000: {"food": 1000.0}}
SIPSN_1000 = {key: 1000.0 * share for key, share in SIPSN_2023_COMPOSITION.items()}


def sig4(value: float) -> float:
    """``value`` rounded to 4 significant digits."""
    return float(f"{value:.4g}")


@pytest.mark.parametrize(
    ("year", "expected_ch4_t"),
    [
        (2000, 0.0),
        (2001, 16.4840),
        (2002, 11.0496),
        (2003, 7.4067),
        (2004, 4.9649),
        (2005, 3.3281),
    ],
)
def test_case_a_food_deposit_reproduces_reference_emissions(
    year: int, expected_ch4_t: float
) -> None:
    result = run_fod(FOOD_1000, end_year=2005)
    assert result.year(year).ch4_emitted_t == pytest.approx(expected_ch4_t, abs=5e-5)
    assert sig4(result.year(year).ch4_emitted_t) == sig4(expected_ch4_t)


def test_case_a_ddocm_deposited_is_75_t() -> None:
    result = run_fod(FOOD_1000, end_year=2001)
    assert result.year(2000).ddocm_deposited_t == pytest.approx(75.0)
    assert result.year(2000).ddocm_accumulated_t == pytest.approx(75.0)


def test_case_a_sum_to_long_horizon_is_fifty_t() -> None:
    result = run_fod(FOOD_1000, end_year=2199)
    assert result.total_ch4_emitted_t == pytest.approx(50.0, rel=1e-12)


def test_case_a2_reaction_start_month_7_emits_in_deposition_year() -> None:
    result = run_fod(FOOD_1000, FodParameters(reaction_start_month=7), end_year=2001)
    expected = 75 * (1 - math.exp(-0.2)) * 0.5 * 16 / 12
    assert result.year(2000).ch4_emitted_t == pytest.approx(expected)
    assert result.year(2000).ch4_emitted_t == pytest.approx(9.0635, abs=5e-5)


def test_case_a3_cdm_timing_shifts_the_series_one_year_earlier() -> None:
    result = run_fod(FOOD_1000, FodParameters(reaction_start_month=1), end_year=2003)
    assert result.year(2000).ch4_emitted_t == pytest.approx(16.4840, abs=5e-5)
    assert result.year(2003).ch4_emitted_t == pytest.approx(4.9649, abs=5e-5)


def test_case_b_methane_commitment_of_sipsn_mix() -> None:
    assert methane_commitment(SIPSN_1000).ch4_t == pytest.approx(45.4253, abs=5e-5)
    at_mcf_08 = methane_commitment(SIPSN_1000, FodParameters(mcf=0.8))
    assert at_mcf_08.ch4_t == pytest.approx(36.3403, abs=5e-5)


def test_rubber_leather_doc_is_excluded_unless_asked_for() -> None:
    default = methane_commitment({"rubber_leather": 100.0})
    included = methane_commitment(
        {"rubber_leather": 100.0}, FodParameters(include_rubber_leather_doc=True)
    )
    assert default.ch4_t == 0.0
    assert included.ch4_t == pytest.approx(100 * 0.39 * 0.5 * 0.5 * 16 / 12)


def test_single_deposit_matches_closed_form() -> None:
    """CH4_m = DDOCm F 16/12 e^(-k(m-1)) (1 - e^-k) for paper in tropical dry."""
    params = FodParameters(climate_zone="tropical_dry", mcf=0.6)
    result = run_fod({2010: {"paper": 250.0}}, params, end_year=2040)
    ddocm = 250 * 0.40 * 0.5 * 0.6
    k = 0.045
    for m in range(1, 31):
        expected = ddocm * 0.5 * 16 / 12 * math.exp(-k * (m - 1)) * (1 - math.exp(-k))
        assert result.year(2010 + m).ch4_generated_t == pytest.approx(expected)


def test_matches_ghgrp_hh1_for_several_deposits() -> None:
    """EPA GHGRP Eq. HH-1 is algebraically FOD (wte-reference §2.5)."""
    deposits = {
        2000: {"garden": 300.0},
        2003: {"garden": 120.0},
        2004: {"garden": 50.0},
    }
    result = run_fod(deposits, end_year=2020)
    k = 0.17
    for year in range(2000, 2021):
        expected = sum(
            w["garden"]
            * 0.20
            * 0.5
            * 0.5
            * 16
            / 12
            * (math.exp(-k * (year - x - 1)) - math.exp(-k * (year - x)))
            for x, w in deposits.items()
            if year > x
        )
        assert result.year(year).ch4_generated_t == pytest.approx(expected, abs=1e-12)


def test_oxidation_and_recovery_follow_eq_3_1() -> None:
    params = FodParameters(oxidation_fraction=0.1, recovery_fraction=0.2)
    row = run_fod(FOOD_1000, params, end_year=2001).year(2001)
    assert row.ch4_recovered_t == pytest.approx(0.2 * row.ch4_generated_t)
    assert row.ch4_emitted_t == pytest.approx(row.ch4_generated_t * 0.8 * 0.9)
    assert row.ch4_generated_t == pytest.approx(
        row.ch4_recovered_t + row.ch4_oxidised_t + row.ch4_emitted_t
    )


def test_explicit_recovery_is_subtracted_before_oxidation() -> None:
    params = FodParameters(oxidation_fraction=0.1)
    row = run_fod(FOOD_1000, params, end_year=2001, recovered_ch4_t_by_year={2001: 6.0})
    assert row.year(2001).ch4_emitted_t == pytest.approx(
        (16.48399769821804 - 6.0) * 0.9
    )


def test_recovery_above_generation_is_refused() -> None:
    with pytest.raises(InvalidParameter) as excinfo:
        run_fod(FOOD_1000, end_year=2001, recovered_ch4_t_by_year={2000: 1.0})
    assert excinfo.value.field == "recovered_ch4_t_by_year"


def test_docf_2019_raises_food_and_cuts_wood() -> None:
    mix = {"food": 100.0, "wood": 100.0}
    base = methane_commitment(mix).ch4_t_by_component
    refined = methane_commitment(
        mix, FodParameters(docf_by_component=DOCF_IPCC_2019)
    ).ch4_t_by_component
    assert refined["food"] == pytest.approx(base["food"] * 1.4)
    assert refined["wood"] == pytest.approx(base["wood"] * 0.2)


def test_result_records_coefficients_used() -> None:
    result = run_fod({2000: {"food": 1.0, "plastics": 1.0}}, end_year=2001)
    assert result.decay_rate_by_component_per_yr == {"food": 0.40, "plastics": 0.0}
    assert result.doc_by_component == {"food": 0.15, "plastics": 0.0}
    assert result.docf_by_component == {"food": 0.5, "plastics": 0.5}


def test_deposits_before_start_year_still_emit_into_reported_years() -> None:
    full = run_fod(FOOD_1000, end_year=2005)
    late = run_fod(FOOD_1000, start_year=2003, end_year=2005)
    assert [row.year for row in late.years] == [2003, 2004, 2005]
    assert late.year(2004).ch4_emitted_t == full.year(2004).ch4_emitted_t


def test_default_horizon_is_fifty_years_after_last_deposit() -> None:
    result = run_fod({2000: {"food": 1.0}, 2010: {"food": 1.0}})
    assert (result.start_year, result.end_year) == (2000, 2060)


def test_site_types_map_to_table_3_1() -> None:
    assert mcf_for_site_type("open_dump_deep") == 0.8
    assert mcf_for_site_type("managed_semi_aerobic") == 0.5
    assert mcf_for_site_type("uncategorised") == 0.6


@pytest.mark.parametrize("zone", CLIMATE_ZONES)
def test_wetter_and_warmer_zones_decay_food_faster(zone: str) -> None:
    first_year = run_fod(FOOD_1000, FodParameters(climate_zone=zone), end_year=2001)
    tropical = run_fod(FOOD_1000, end_year=2001)
    assert (
        0.0 < first_year.year(2001).ch4_emitted_t <= tropical.year(2001).ch4_emitted_t
    )


# --- Refused parameters ---


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mcf": 1.2}, "mcf"),
        ({"mcf": -0.1}, "mcf"),
        ({"mcf": math.nan}, "mcf"),
        ({"docf": 1.5}, "docf"),
        ({"methane_fraction": -0.5}, "methane_fraction"),
        ({"oxidation_fraction": 2.0}, "oxidation_fraction"),
        ({"recovery_fraction": 1.01}, "recovery_fraction"),
        ({"reaction_start_month": 0}, "reaction_start_month"),
        ({"reaction_start_month": 14}, "reaction_start_month"),
        ({"docf_by_component": {"food": 1.1}}, "docf_by_component.food"),
        ({"doc_by_component": {"paper": -0.1}}, "doc_by_component.paper"),
        (
            {"decay_rate_by_component_per_yr": {"food": -0.4}},
            "decay_rate_by_component_per_yr.food",
        ),
    ],
)
def test_out_of_range_parameters_are_refused(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidParameter) as excinfo:
        FodParameters(**kwargs)  # type: ignore[arg-type]
    assert excinfo.value.field == field
    assert excinfo.value.code == "invalid_parameter"


def test_unknown_climate_zone_is_refused() -> None:
    with pytest.raises(UnknownClimateZone) as excinfo:
        FodParameters(climate_zone="tropical_moist")
    assert excinfo.value.field == "climate_zone"
    assert excinfo.value.code == "unknown_climate_zone"
    assert isinstance(excinfo.value, InvalidParameter)


def test_unknown_component_is_refused() -> None:
    with pytest.raises(UnknownComponent) as excinfo:
        run_fod({2000: {"banana": 1.0}})
    assert excinfo.value.field == "deposits_t.banana"
    assert excinfo.value.code == "unknown_component"


def test_unknown_component_in_override_is_refused() -> None:
    with pytest.raises(UnknownComponent) as excinfo:
        FodParameters(docf_by_component={"bulk": 0.5})
    assert excinfo.value.field == "docf_by_component.bulk"


@pytest.mark.parametrize("mass_t", [-1.0, math.inf, math.nan])
def test_negative_or_non_finite_mass_is_refused(mass_t: float) -> None:
    with pytest.raises(InvalidParameter) as excinfo:
        run_fod({2000: {"food": mass_t}})
    assert excinfo.value.field == "deposits_t.food"
    with pytest.raises(InvalidParameter):
        methane_commitment({"food": mass_t})


def test_backwards_year_range_is_refused() -> None:
    with pytest.raises(InvalidYearRange) as excinfo:
        run_fod(FOOD_1000, start_year=2010, end_year=2005)
    assert excinfo.value.field == "end_year"
    assert excinfo.value.code == "invalid_year_range"


def test_range_over_200_years_is_refused() -> None:
    run_fod(FOOD_1000, end_year=2199)
    with pytest.raises(InvalidYearRange):
        run_fod(FOOD_1000, end_year=2200)
    with pytest.raises(InvalidYearRange):
        run_fod({1800: {"food": 1.0}}, start_year=2000, end_year=2001)


def test_empty_deposits_need_a_start_year() -> None:
    with pytest.raises(InvalidParameter) as excinfo:
        run_fod({})
    assert excinfo.value.field == "deposits_t"
    result = run_fod({}, start_year=2020, end_year=2021)
    assert result.total_ch4_emitted_t == 0.0


def test_non_integer_year_is_refused() -> None:
    with pytest.raises(InvalidParameter) as excinfo:
        run_fod(FOOD_1000, end_year=2001.5)  # type: ignore[arg-type]
    assert excinfo.value.field == "end_year"


def test_year_outside_the_run_is_refused() -> None:
    result = run_fod(FOOD_1000, end_year=2001)
    with pytest.raises(InvalidParameter):
        result.year(2002)


# --- Properties over random deposits ---

component_masses = st.dictionaries(
    st.sampled_from(COMPONENT_KEYS),
    st.floats(min_value=0.0, max_value=1e5, allow_nan=False),
    max_size=5,
)
deposit_series = st.dictionaries(
    st.integers(min_value=2000, max_value=2020),
    component_masses,
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(deposits=deposit_series, zone=st.sampled_from(CLIMATE_ZONES))
def test_long_horizon_sum_equals_methane_commitment(
    deposits: dict[int, dict[str, float]], zone: str
) -> None:
    params = FodParameters(climate_zone=zone, mcf=0.8, oxidation_fraction=0.1)
    result = run_fod(deposits, params, start_year=2000, end_year=2199)
    commitment = math.fsum(
        methane_commitment(w, params).ch4_t for w in deposits.values()
    )
    # The slowest k (boreal wood, 0.02) leaves e^(-0.02 x 179) = 2.8 % after
    # 179 years, so compare against the commitment minus the closed-form tail.
    tail = 0.0
    for year, masses in deposits.items():
        for key, mass_t in masses.items():
            k = params.decay_rate_per_yr(key)
            tail += methane_commitment({key: mass_t}, params).ch4_t * math.exp(
                -k * (2199 - year)
            )
    assert result.total_ch4_emitted_t == pytest.approx(
        commitment - tail, rel=1e-9, abs=1e-9
    )


@settings(max_examples=40, deadline=None)
@given(deposits=deposit_series, scale=st.floats(min_value=0.0, max_value=10.0))
def test_emissions_are_linear_in_deposits(
    deposits: dict[int, dict[str, float]], scale: float
) -> None:
    base = run_fod(deposits, start_year=2000, end_year=2040)
    scaled = run_fod(
        {y: {k: m * scale for k, m in w.items()} for y, w in deposits.items()},
        start_year=2000,
        end_year=2040,
    )
    for a, b in zip(base.years, scaled.years, strict=True):
        assert b.ch4_emitted_t == pytest.approx(
            a.ch4_emitted_t * scale, rel=1e-9, abs=1e-9
        )


@settings(max_examples=40, deadline=None)
@given(deposits=deposit_series, extra=component_masses)
def test_more_waste_never_emits_less(
    deposits: dict[int, dict[str, float]], extra: dict[str, float]
) -> None:
    more = {y: dict(w) for y, w in deposits.items()}
    year = min(deposits)
    for key, mass_t in extra.items():
        more[year][key] = more[year].get(key, 0.0) + mass_t
    base = run_fod(deposits, start_year=2000, end_year=2040)
    bigger = run_fod(more, start_year=2000, end_year=2040)
    for a, b in zip(base.years, bigger.years, strict=True):
        assert a.ch4_emitted_t >= 0.0
        assert b.ch4_emitted_t >= a.ch4_emitted_t * (1 - 1e-12) - 1e-12


@settings(max_examples=30, deadline=None)
@given(
    mass_t=st.floats(min_value=0.1, max_value=1e5), zone=st.sampled_from(CLIMATE_ZONES)
)
def test_single_deposit_decays_monotonically_after_first_year(
    mass_t: float, zone: str
) -> None:
    result = run_fod(
        {2000: {"food": mass_t, "paper": mass_t}},
        FodParameters(climate_zone=zone),
        end_year=2060,
    )
    emitted = [row.ch4_emitted_t for row in result.years]
    assert emitted[0] == 0.0
    assert all(later < earlier for earlier, later in itertools.pairwise(emitted[1:]))


def test_parameters_are_hashable_and_frozen() -> None:
    params = FodParameters(docf_by_component=DOCF_IPCC_2019)
    assert hash(params) == hash(FodParameters(docf_by_component=dict(DOCF_IPCC_2019)))
    assert params == FodParameters(docf_by_component=dict(DOCF_IPCC_2019))
    with pytest.raises(TypeError):
        params.docf_by_component["food"] = 0.9  # type: ignore[index]
