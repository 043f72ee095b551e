"""LandGEM v3.02: wte-reference §10 cases C, D and E."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.energy import (
    LANDGEM_DEFAULTS,
    FodParameters,
    InvalidParameter,
    InvalidYearRange,
    LandgemParameters,
    ch4_density_kg_per_m3,
    landgem_lifetime_ch4_m3,
    landgem_methane_potential_m3_per_mg,
    run_fod,
    run_landgem,
)


@pytest.mark.parametrize(
    ("year", "expected_m3"),
    [(2000, 0.0), (2001, 8311.743), (2002, 7906.374), (2010, 5299.801)],
)
def test_case_c_reproduces_reference_volumes(year: int, expected_m3: float) -> None:
    result = run_landgem({2000: 1000.0}, end_year=2010)
    assert result.year(year).ch4_m3 == pytest.approx(expected_m3, abs=5e-4)


def test_case_c_lifetime_is_l0_m_times_1_0025() -> None:
    lifetime = landgem_lifetime_ch4_m3(1000.0)
    assert lifetime == pytest.approx(170_425, rel=1e-5)
    long_run = run_landgem({2000: 1000.0}, end_year=2199).total_ch4_m3
    assert long_run == pytest.approx(lifetime * (1 - math.exp(-0.05 * 199)))


def test_case_c_other_age_reading_gives_8270() -> None:
    params = LandgemParameters(first_section_age_yr=0.1)
    result = run_landgem({2000: 1000.0}, params, end_year=2001)
    assert result.year(2001).ch4_m3 == pytest.approx(8270.288, abs=5e-4)
    lifetime = landgem_lifetime_ch4_m3(1000.0, params)
    assert lifetime == pytest.approx(170_425 * math.exp(-0.005), rel=1e-5)


def test_case_d_landgem_over_fod_ratio_is_constant() -> None:
    """Same k and yield: LandGEM_T / FOD_T = (k/10) / (1 - e^(-k/10)) = 1.0025."""
    k = 0.05
    yield_t_per_t = 0.15 * 0.5 * 0.5 * 16 / 12
    fod = run_fod(
        {2000: {"food": 1000.0}},
        FodParameters(decay_rate_by_component_per_yr={"food": k}),
        end_year=2040,
    )
    # L0 in "t CH4 per Mg" expressed as m3 with density 1 keeps units equal.
    landgem = run_landgem(
        {2000: 1000.0},
        LandgemParameters(
            decay_rate_per_yr=k, methane_potential_m3_per_mg=yield_t_per_t
        ),
        end_year=2040,
    )
    expected = (k / 10) / (1 - math.exp(-k / 10))
    assert expected == pytest.approx(1.0025, abs=5e-5)
    for year in range(2001, 2041):
        ratio = landgem.year(year).ch4_m3 / fod.year(year).ch4_generated_t
        assert ratio == pytest.approx(expected, rel=1e-12)


def test_case_e_l0_from_ipcc_parameters() -> None:
    assert landgem_methane_potential_m3_per_mg(1.0) == pytest.approx(492.2, abs=0.05)
    # EPA's 493.5 x DOC is 0.26 % above the ideal-gas figure at 60 °F.
    assert 493.5 / landgem_methane_potential_m3_per_mg(1.0) - 1 == pytest.approx(
        0.0026, abs=1e-4
    )


@pytest.mark.parametrize(
    ("temperature_c", "expected"),
    [(0.0, 0.716), (15.56, 0.677), (20.0, 0.667), (25.0, 0.656)],
)
def test_ch4_density_matches_reference_table(
    temperature_c: float, expected: float
) -> None:
    assert ch4_density_kg_per_m3(temperature_c) == pytest.approx(expected, abs=5e-4)


def test_tonnes_use_the_stated_reference_temperature() -> None:
    result = run_landgem({2000: 1000.0}, end_year=2001)
    row = result.year(2001)
    assert result.ch4_density_kg_per_m3 == pytest.approx(0.6557, abs=1e-4)
    assert row.ch4_t == pytest.approx(row.ch4_m3 * result.ch4_density_kg_per_m3 / 1000)
    assert row.landfill_gas_m3 == pytest.approx(2 * row.ch4_m3)


def test_default_sets_hold_reference_values() -> None:
    caa = LANDGEM_DEFAULTS["caa_conventional"]
    assert (caa.decay_rate_per_yr, caa.methane_potential_m3_per_mg) == (0.05, 170.0)
    wet = LANDGEM_DEFAULTS["inventory_wet"]
    assert (wet.decay_rate_per_yr, wet.methane_potential_m3_per_mg) == (0.7, 96.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"decay_rate_per_yr": 0.0}, "decay_rate_per_yr"),
        ({"methane_potential_m3_per_mg": -1.0}, "methane_potential_m3_per_mg"),
        ({"methane_fraction": 0.0}, "methane_fraction"),
        ({"first_section_age_yr": 0.5}, "first_section_age_yr"),
        ({"ch4_reference_temperature_c": -300.0}, "temperature_c"),
    ],
)
def test_bad_landgem_parameters_are_refused(
    kwargs: dict[str, float], field: str
) -> None:
    with pytest.raises(InvalidParameter) as excinfo:
        LandgemParameters(**kwargs)
    assert excinfo.value.field == field


def test_bad_landgem_inputs_are_refused() -> None:
    with pytest.raises(InvalidParameter) as excinfo:
        run_landgem({2000: -5.0})
    assert excinfo.value.field == "accepted_mg_by_year.2000"
    with pytest.raises(InvalidYearRange):
        run_landgem({2000: 5.0}, start_year=2001, end_year=2000)
    with pytest.raises(InvalidYearRange):
        run_landgem({2000: 5.0}, end_year=2300)
    with pytest.raises(InvalidParameter):
        landgem_methane_potential_m3_per_mg(1.2)


@settings(max_examples=30, deadline=None)
@given(
    masses=st.dictionaries(
        st.integers(2000, 2010), st.floats(0.0, 1e5), min_size=1, max_size=5
    ),
    k=st.floats(0.01, 0.7),
)
def test_landgem_is_linear_superposition_of_single_years(
    masses: dict[int, float], k: float
) -> None:
    params = LandgemParameters(decay_rate_per_yr=k)
    together = run_landgem(masses, params, start_year=2000, end_year=2030)
    for year in range(2000, 2031):
        separate = sum(
            run_landgem({y: m}, params, start_year=2000, end_year=2030)
            .year(year)
            .ch4_m3
            for y, m in masses.items()
        )
        assert together.year(year).ch4_m3 == pytest.approx(separate, rel=1e-9, abs=1e-9)
