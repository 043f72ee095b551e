"""Energy pathways: wte-reference §10 cases G and H, mass balances, ranges."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.energy import (
    COMPONENT_KEYS,
    SIPSN_2023_COMPOSITION,
    InvalidParameter,
    UnknownComponent,
    compost,
    digest_anaerobically,
    incinerate,
    methane_yield_nm3_per_t_from_bmp,
    mixture_lhv_mj_per_kg,
    produce_rdf,
    recover_landfill_gas,
    to_normal_m3,
)

masses = st.dictionaries(
    st.sampled_from(COMPONENT_KEYS), st.floats(0.0, 1e4), min_size=1, max_size=6
)


def test_case_g_anaerobic_digestion_of_one_tonne_of_food() -> None:
    result = digest_anaerobically({"food": 1.0})
    assert result.biogas_nm3 == pytest.approx(120.0)
    assert result.ch4_nm3 == pytest.approx(72.0)
    assert result.electricity_kwh == pytest.approx(272.08)
    assert result.ch4_energy_kwh == pytest.approx(72 * 9.944, rel=1e-3)


def test_case_h_incineration_of_one_tonne_at_6_mj_per_kg() -> None:
    result = incinerate({"other": 1.0}, lhv_mj_per_kg=6.0)
    assert result.electricity_kwh == pytest.approx(366.67, abs=0.005)
    assert not result.lhv_viable


def test_incineration_uses_mixture_lhv_by_default() -> None:
    mix = {key: share * 100 for key, share in SIPSN_2023_COMPOSITION.items()}
    result = incinerate(mix)
    assert result.lhv_mj_per_kg == pytest.approx(mixture_lhv_mj_per_kg(mix))
    assert result.electricity_kwh == pytest.approx(
        100 * 1000 * result.lhv_mj_per_kg * 0.22 / 3.6
    )


def test_incineration_of_wet_inert_waste_yields_no_electricity() -> None:
    result = incinerate({"other": 10.0})
    assert result.lhv_mj_per_kg < 0
    assert result.electricity_kwh == 0.0
    assert result.ash_residue_t == pytest.approx(9.0)


def test_fossil_co2_of_plastics_follows_eq_5_2() -> None:
    result = incinerate({"plastics": 1.0, "food": 1.0})
    assert result.fossil_co2_t == pytest.approx(1.0 * 1.0 * 0.75 * 1.0 * 44 / 12)


def test_rdf_defaults_and_energy() -> None:
    result = produce_rdf({"plastics": 40.0, "paper": 60.0})
    assert result.rdf_t == pytest.approx(37.5)
    assert result.rdf_energy_kwh == pytest.approx(37.5 * 1000 * 11.2 / 3.6)
    assert result.rdf_t + result.mass_not_in_rdf_t == pytest.approx(100.0)


def test_ad_digests_only_components_with_a_yield() -> None:
    result = digest_anaerobically({"food": 10.0, "garden": 5.0, "plastics": 1.0})
    assert result.mass_fed_t == pytest.approx(10.0)
    assert result.mass_not_digested_t == pytest.approx(6.0)
    assert result.ch4_emitted_t == pytest.approx(10 * 0.0008)
    assert result.ch4_t == pytest.approx(720 * 0.716 / 1000, rel=1e-3)


def test_bmp_yield_of_food_waste() -> None:
    # 30 % TS, 90 % VS/TS, 467 L/kg VS -> 126 Nm3 CH4 per wet t
    assert methane_yield_nm3_per_t_from_bmp(0.30, 0.90, 467.0) == pytest.approx(126.09)


def test_landfill_gas_recovery_energy() -> None:
    result = recover_landfill_gas(100.0, collection_efficiency=0.5)
    assert result.ch4_recovered_t == pytest.approx(50.0)
    assert result.ch4_recovered_nm3 == pytest.approx(50_000 / 0.716, rel=1e-3)
    assert result.electricity_kwh == pytest.approx(
        result.ch4_recovered_nm3 * 35.8 * 0.38 / 3.6
    )
    assert result.ch4_not_collected_t == pytest.approx(50.0)


def test_composting_mass_balance_and_emissions() -> None:
    result = compost({"food": 8.0, "garden": 2.0, "glass": 1.0})
    assert result.mass_fed_t == pytest.approx(10.0)
    assert result.mass_rejected_t == pytest.approx(1.0)
    assert result.compost_t == pytest.approx(5.0)
    assert result.ch4_emitted_t == pytest.approx(0.04)
    assert result.n2o_emitted_t == pytest.approx(0.0024)


def test_gas_volume_at_25_c_holds_about_8_percent_less_methane() -> None:
    assert to_normal_m3(1.0, 25.0) == pytest.approx(273.15 / 298.15)
    assert 1 - to_normal_m3(1.0, 25.0) == pytest.approx(0.084, abs=1e-3)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: incinerate({"food": -1.0}), "mass_t_by_component.food"),
        (
            lambda: incinerate({"food": 1.0}, net_electrical_efficiency=1.2),
            "net_electrical_efficiency",
        ),
        (
            lambda: produce_rdf({"food": 1.0}, rdf_mass_yield_fraction=-0.1),
            "rdf_mass_yield_fraction",
        ),
        (
            lambda: digest_anaerobically({"food": 1.0}, methane_fraction=1.5),
            "methane_fraction",
        ),
        (
            lambda: digest_anaerobically(
                {"food": 1.0}, biogas_yield_nm3_per_t_by_component={"food": -120.0}
            ),
            "biogas_yield_nm3_per_t_by_component.food",
        ),
        (lambda: recover_landfill_gas(-1.0), "ch4_generated_t"),
        (
            lambda: recover_landfill_gas(1.0, collection_efficiency=2.0),
            "collection_efficiency",
        ),
        (
            lambda: compost({"food": 1.0}, mass_reduction_fraction=1.1),
            "mass_reduction_fraction",
        ),
        (lambda: to_normal_m3(-1.0, 20.0), "volume_m3"),
        (
            lambda: methane_yield_nm3_per_t_from_bmp(1.2, 0.9, 400.0),
            "total_solids_fraction",
        ),
        (lambda: mixture_lhv_mj_per_kg({"food": 0.0}), "mass_t_by_component"),
    ],
)
def test_bad_pathway_parameters_are_refused(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(InvalidParameter) as excinfo:
        call()
    assert excinfo.value.field == field


def test_unknown_component_in_a_pathway_is_refused() -> None:
    with pytest.raises(UnknownComponent):
        incinerate({"tyres": 1.0})
    with pytest.raises(UnknownComponent):
        compost({"food": 1.0}, compostable_components=("manure",))


@settings(max_examples=40, deadline=None)
@given(mix=masses, eta=st.floats(0.0, 1.0))
def test_incineration_electricity_is_bounded_by_heat_input(
    mix: dict[str, float], eta: float
) -> None:
    result = incinerate(mix, net_electrical_efficiency=eta)
    assert 0.0 <= result.electricity_kwh <= result.heat_input_kwh + 1e-9
    assert 0.0 <= result.ash_residue_t <= result.mass_t + 1e-9


@settings(max_examples=40, deadline=None)
@given(mix=masses, reduction=st.floats(0.0, 1.0))
def test_composting_conserves_mass(mix: dict[str, float], reduction: float) -> None:
    result = compost(mix, mass_reduction_fraction=reduction)
    total = math.fsum(mix.values())
    assert (
        result.compost_t + result.mass_loss_t + result.mass_rejected_t
        == pytest.approx(total, rel=1e-9, abs=1e-9)
    )


@settings(max_examples=40, deadline=None)
@given(mix=masses, factor=st.floats(1.0, 10.0))
def test_ad_electricity_grows_with_feed(mix: dict[str, float], factor: float) -> None:
    base = digest_anaerobically(mix)
    more = digest_anaerobically({k: v * factor for k, v in mix.items()})
    assert more.electricity_kwh >= base.electricity_kwh
    assert base.electricity_kwh <= base.ch4_energy_kwh
