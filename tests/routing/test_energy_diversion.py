"""Diversion, airspace, TPA life and avoided CH4: the §10 illustrative city."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.energy import (
    COMPONENT_KEYS,
    GWP_CH4,
    PATHWAYS,
    SIPSN_2023_COMPOSITION,
    DivertedMass,
    FodParameters,
    InvalidParameter,
    UnknownComponent,
    airspace_m3,
    avoided_methane,
    co2e_t,
    digest_anaerobically,
    diversion_fraction,
    gwp_ch4,
    run_fod,
    summarise_diversion,
    tpa_lifespan,
)

CITY_T_PER_YR = 180 * 365  # 65,700 t/yr to an unmanaged deep dumpsite
DUMPSITE = FodParameters(mcf=0.8)
DIVERTED_SHARE = {
    "food": 0.5,
    "garden": 0.5,
    "paper": 0.3,
    "plastics": 0.3,
    "metal": 0.3,
    "glass": 0.3,
}
BASELINE = {
    year: {key: CITY_T_PER_YR * share for key, share in SIPSN_2023_COMPOSITION.items()}
    for year in range(2015, 2036)
}
DIVERTED = {
    year: {
        key: CITY_T_PER_YR * SIPSN_2023_COMPOSITION[key] * share
        for key, share in DIVERTED_SHARE.items()
    }
    for year in range(2025, 2036)
}


def test_city_diverts_24240_t_per_year() -> None:
    assert math.fsum(DIVERTED[2025].values()) == pytest.approx(24_240, abs=0.5)


@pytest.mark.parametrize(
    ("year", "ch4_t", "co2e"),
    [(2026, 223.7, 6_264), (2030, 650.0, 18_199), (2035, 814.1, 22_796)],
)
def test_city_avoided_methane_matches_reference(
    year: int, ch4_t: float, co2e: float
) -> None:
    result = avoided_methane(DIVERTED, DUMPSITE, start_year=2025, end_year=2035)
    assert result.year(year).ch4_avoided_t == pytest.approx(ch4_t, abs=0.05)
    assert result.year(year).co2e_avoided_t == pytest.approx(co2e, abs=0.5)
    assert result.gwp_ch4 == 28.0


def test_avoided_methane_equals_baseline_minus_project() -> None:
    """FOD is linear: running it on the diverted stream alone is exact."""
    project = {
        year: {
            key: mass - DIVERTED.get(year, {}).get(key, 0.0) for key, mass in w.items()
        }
        for year, w in BASELINE.items()
    }
    baseline = run_fod(BASELINE, DUMPSITE, end_year=2035)
    with_project = run_fod(project, DUMPSITE, end_year=2035)
    avoided = avoided_methane(DIVERTED, DUMPSITE, start_year=2025, end_year=2035)
    for row in avoided.years:
        difference = (
            baseline.year(row.year).ch4_emitted_t
            - with_project.year(row.year).ch4_emitted_t
        )
        assert row.ch4_avoided_t == pytest.approx(difference, rel=1e-9, abs=1e-9)


def test_city_commitment_of_2025_diversion() -> None:
    result = avoided_methane(DIVERTED, DUMPSITE, start_year=2025, end_year=2035)
    assert result.commitment_ch4_t_by_deposit_year[2025] == pytest.approx(982, abs=0.5)
    assert result.commitment_co2e_t_by_deposit_year[2025] == pytest.approx(
        27_484, abs=0.5
    )
    ar6 = avoided_methane(
        DIVERTED, DUMPSITE, start_year=2025, end_year=2026, gwp_set="ar6_non_fossil"
    )
    assert ar6.commitment_co2e_t_by_deposit_year[2025] == pytest.approx(26_503, abs=0.5)
    assert ar6.gwp_set == "ar6_non_fossil"


def test_city_airspace_saved() -> None:
    assert airspace_m3(24_240) == pytest.approx(40_400)
    assert airspace_m3(24_240, cover_soil_fraction=0.2) == pytest.approx(48_480)


def test_city_tpa_lifespan_extension() -> None:
    life = tpa_lifespan(150_000, CITY_T_PER_YR, 24_240)
    assert life.life_without_diversion_yr == pytest.approx(1.37, abs=0.005)
    assert life.life_with_diversion_yr == pytest.approx(2.17, abs=0.005)
    assert life.extension_yr == pytest.approx(0.80, abs=0.005)


def test_cover_soil_does_not_change_the_relative_extension() -> None:
    plain = tpa_lifespan(150_000, CITY_T_PER_YR, 24_240)
    covered = tpa_lifespan(150_000, CITY_T_PER_YR, 24_240, cover_soil_fraction=0.2)
    assert covered.extension_yr is not None
    assert plain.extension_yr is not None
    assert covered.extension_yr == pytest.approx(plain.extension_yr / 1.2)


def test_full_diversion_means_the_tpa_never_fills() -> None:
    life = tpa_lifespan(1000, 100, 100)
    assert life.life_with_diversion_yr is None
    assert life.extension_yr is None
    assert life.life_without_diversion_yr == pytest.approx(6.0)


def test_city_ad_of_diverted_food() -> None:
    result = digest_anaerobically({"food": DIVERTED[2025]["food"]})
    assert DIVERTED[2025]["food"] == pytest.approx(13_179, abs=0.5)
    assert result.ch4_nm3 == pytest.approx(948_918, abs=1)
    assert result.electricity_kwh / 1000 == pytest.approx(3_586, abs=0.5)


def test_summary_nets_residues_by_pathway() -> None:
    summary = summarise_diversion(
        [
            DivertedMass("composting", {"food": 80.0, "garden": 20.0}, 0.1),
            DivertedMass("recycling", {"plastics": 30.0, "paper": 20.0}),
            DivertedMass("recycling", {"metal": 10.0}),
        ],
        cover_soil_fraction=0.2,
    )
    assert summary.treated_t_by_pathway == {"composting": 100.0, "recycling": 60.0}
    assert summary.residue_t_by_pathway["composting"] == pytest.approx(10.0)
    assert summary.diverted_t_by_pathway["composting"] == pytest.approx(90.0)
    assert summary.diverted_t == pytest.approx(150.0)
    assert summary.diverted_t_by_component["food"] == pytest.approx(72.0)
    assert summary.airspace_saved_m3 == pytest.approx(150 / 0.6 * 1.2)


def test_gwp_sets_of_the_reference() -> None:
    assert gwp_ch4("ar5") == 28.0
    assert gwp_ch4("ar6_non_fossil") == 27.0
    assert GWP_CH4["ar6_generic"] == 27.9
    assert co2e_t(10.0) == 280.0
    assert co2e_t(10.0, "ar4") == 250.0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: airspace_m3(-1.0), "mass_t"),
        (
            lambda: airspace_m3(1.0, in_place_density_t_per_m3=0.0),
            "in_place_density_t_per_m3",
        ),
        (lambda: airspace_m3(1.0, cover_soil_fraction=-0.2), "cover_soil_fraction"),
        (lambda: tpa_lifespan(-1.0, 10.0, 1.0), "remaining_airspace_m3"),
        (lambda: tpa_lifespan(100.0, 10.0, 11.0), "diverted_t_per_yr"),
        (lambda: gwp_ch4("ar7"), "gwp_set"),
        (lambda: DivertedMass("landfill", {"food": 1.0}), "pathway"),
        (
            lambda: DivertedMass("composting", {"food": -1.0}),
            "mass_t_by_component.food",
        ),
        (
            lambda: DivertedMass("composting", {"food": 1.0}, 1.5),
            "residue_to_landfill_fraction",
        ),
        (
            lambda: avoided_methane({2025: {"food": 1.0}}, gwp_set="ar9"),
            "gwp_set",
        ),
    ],
)
def test_bad_diversion_inputs_are_refused(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(InvalidParameter) as excinfo:
        call()
    assert excinfo.value.field == field


def test_unknown_component_in_diversion_is_refused() -> None:
    with pytest.raises(UnknownComponent):
        DivertedMass("recycling", {"aluminium": 1.0})


@settings(max_examples=40, deadline=None)
@given(
    landfilled=st.floats(1.0, 1e6),
    share=st.floats(0.0, 0.99),
    airspace=st.floats(1.0, 1e7),
)
def test_more_diversion_never_shortens_tpa_life(
    landfilled: float, share: float, airspace: float
) -> None:
    life = tpa_lifespan(airspace, landfilled, landfilled * share)
    assert life.extension_yr is not None
    assert life.extension_yr >= -1e-9


@settings(max_examples=30, deadline=None)
@given(
    diverted=st.dictionaries(
        st.integers(2020, 2030),
        st.dictionaries(
            st.sampled_from(COMPONENT_KEYS), st.floats(0.0, 1e4), max_size=4
        ),
        min_size=1,
        max_size=4,
    )
)
def test_avoided_co2e_is_gwp_times_avoided_ch4(
    diverted: dict[int, dict[str, float]],
) -> None:
    result = avoided_methane(
        diverted, start_year=2020, end_year=2040, gwp_set="ar6_non_fossil"
    )
    for row in result.years:
        assert row.ch4_avoided_t >= 0.0
        assert row.co2e_avoided_t == pytest.approx(27.0 * row.ch4_avoided_t)


def test_other_treatment_is_a_pathway() -> None:
    assert "other" in PATHWAYS
    summary = summarise_diversion([DivertedMass("other", {"food": 2.0}, 0.25)])
    assert summary.diverted_t_by_pathway == {"other": 1.5}


def test_diversion_fraction_is_diverted_over_handled() -> None:
    assert diversion_fraction(1.0, 3.0) == 0.25
    assert diversion_fraction(0.0, 5.0) == 0.0
    assert diversion_fraction(0.0, 0.0) is None
    with pytest.raises(InvalidParameter) as info:
        diversion_fraction(-1.0, 3.0)
    assert info.value.field == "diverted_t"
