"""Component table, compositions and loose densities (wte-reference §2, §6-§8)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.energy import (
    CLIMATE_ZONES,
    COMPONENT_KEYS,
    COMPONENTS,
    LIQUID_DENSITY_KG_PER_L,
    MATERIAL_COMPOSITIONS,
    SIPSN_2023_COMPOSITION,
    STREAM_COMPOSITIONS,
    EnergyModelError,
    InvalidParameter,
    UnknownClimateZone,
    UnknownComponent,
    bin_collection_mass_kg,
    composition_loose_density_kg_per_m3,
    decay_rate_per_yr,
    lhv_as_received_mj_per_kg,
    loose_density_kg_per_m3,
    material_composition,
    material_mass_kg,
    normalise_composition,
    split_by_composition,
    stream_composition,
)
from routing.energy.components import FIELD_UNITS


def test_component_keys_are_those_of_the_issue() -> None:
    assert set(COMPONENT_KEYS) == {
        "food",
        "garden",
        "paper",
        "wood",
        "textiles",
        "nappies",
        "rubber_leather",
        "plastics",
        "metal",
        "glass",
        "other",
    }


def test_every_component_cites_a_source_for_every_field() -> None:
    for comp in COMPONENTS.values():
        assert set(comp.sources) == set(FIELD_UNITS) - {"lhv_as_received_mj_per_kg"}
        assert all(source.strip() for source in comp.sources.values())


def test_table_2_4_doc_values() -> None:
    doc = {key: comp.doc_fraction for key, comp in COMPONENTS.items()}
    assert doc["food"] == 0.15
    assert doc["garden"] == 0.20
    assert doc["paper"] == 0.40
    assert doc["wood"] == 0.43
    assert doc["textiles"] == 0.24
    assert doc["nappies"] == 0.24
    assert not COMPONENTS["rubber_leather"].doc_counted_by_default
    assert doc["plastics"] == doc["metal"] == doc["glass"] == doc["other"] == 0.0


@pytest.mark.parametrize(
    ("key", "zone", "expected"),
    [
        ("food", "tropical_wet", 0.40),
        ("garden", "tropical_wet", 0.17),
        ("paper", "tropical_wet", 0.07),
        ("textiles", "tropical_wet", 0.07),
        ("wood", "tropical_wet", 0.035),
        ("nappies", "tropical_wet", 0.17),
        ("food", "boreal_temperate_wet", 0.185),
        ("paper", "tropical_dry", 0.045),
        ("wood", "boreal_temperate_dry", 0.02),
        ("plastics", "tropical_wet", 0.0),
    ],
)
def test_table_3_3_decay_rates(key: str, zone: str, expected: float) -> None:
    assert decay_rate_per_yr(key, zone) == expected


def test_tropical_wet_half_lives_match_table_3_4() -> None:
    half_lives = {
        key: math.log(2) / decay_rate_per_yr(key, "tropical_wet")
        for key in ("paper", "wood", "garden", "food")
    }
    assert {k: round(v, 1) for k, v in half_lives.items()} == {
        "paper": 9.9,
        "wood": 19.8,
        "garden": 4.1,
        "food": 1.7,
    }


def test_case_f_lhv_as_received() -> None:
    assert lhv_as_received_mj_per_kg(18.0, 0.60, 0.06) == pytest.approx(5.211, abs=5e-4)


def test_food_lhv_is_below_plastics_and_positive() -> None:
    lhv = {key: comp.lhv_as_received_mj_per_kg for key, comp in COMPONENTS.items()}
    assert 0 < lhv["food"] < lhv["paper"] < lhv["plastics"]
    # Wet inert material absorbs heat: no energy is credited for it.
    assert lhv["other"] < 0


@settings(max_examples=50, deadline=None)
@given(
    hhv=st.floats(0.0, 50.0),
    w1=st.floats(0.0, 1.0),
    w2=st.floats(0.0, 1.0),
    h=st.floats(0.0, 0.11),
)
def test_lhv_falls_as_moisture_rises(
    hhv: float, w1: float, w2: float, h: float
) -> None:
    """dLHV/dw = -HHV - 2.442 (1 - 8.936 H) < 0 whenever H < 1/8.936."""
    low, high = sorted((w1, w2))
    assert (
        lhv_as_received_mj_per_kg(hhv, high, h)
        <= lhv_as_received_mj_per_kg(hhv, low, h) + 1e-12
    )
    assert lhv_as_received_mj_per_kg(hhv, low, h) <= hhv


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((-1.0, 0.5, 0.06), "hhv_dry_mj_per_kg"),
        ((18.0, 1.5, 0.06), "moisture_fraction"),
        ((18.0, 0.5, -0.06), "hydrogen_dry_fraction"),
    ],
)
def test_bad_lhv_inputs_are_refused(
    args: tuple[float, float, float], field: str
) -> None:
    with pytest.raises(InvalidParameter) as excinfo:
        lhv_as_received_mj_per_kg(*args)
    assert excinfo.value.field == field


def test_loose_density_of_bin_streams() -> None:
    assert loose_density_kg_per_m3("mixed") == 250.0
    assert loose_density_kg_per_m3("residual") == 250.0
    assert loose_density_kg_per_m3("organic") == pytest.approx(204.1, abs=0.05)
    assert loose_density_kg_per_m3("recyclable") == pytest.approx(70.9, abs=0.05)


def test_loose_density_of_an_unknown_stream_is_refused() -> None:
    with pytest.raises(UnknownComponent) as excinfo:
        loose_density_kg_per_m3("hazardous")
    assert excinfo.value.field == "stream"


def test_single_component_composition_has_its_own_density() -> None:
    assert composition_loose_density_kg_per_m3({"food": 3.0}) == pytest.approx(290.0)


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(COMPONENT_KEYS), st.floats(0.001, 100.0), min_size=1, max_size=6
    )
)
def test_mixture_density_lies_between_its_components(
    fractions: dict[str, float],
) -> None:
    density = composition_loose_density_kg_per_m3(fractions)
    values = [COMPONENTS[k].loose_density_kg_per_m3 for k in fractions]
    assert min(values) * (1 - 1e-12) <= density <= max(values) * (1 + 1e-12)


@pytest.mark.parametrize(
    "composition", [*STREAM_COMPOSITIONS.values(), *MATERIAL_COMPOSITIONS.values()]
)
def test_every_composition_sums_to_one_over_known_components(
    composition: dict[str, float],
) -> None:
    assert math.fsum(composition.values()) == pytest.approx(1.0, abs=1e-12)
    assert set(composition) <= set(COMPONENT_KEYS)


def test_sipsn_2023_shares_sum_to_100_percent() -> None:
    assert math.fsum(SIPSN_2023_COMPOSITION.values()) == pytest.approx(1.0, abs=1e-12)


def test_material_classes_and_streams_of_the_issue_are_mapped() -> None:
    assert set(MATERIAL_COMPOSITIONS) == {
        "plastic",
        "paper",
        "metal",
        "glass",
        "rubber_leather",
        "textile",
        "organic",
        "used_cooking_oil",
        "e_waste",
        "other",
    }
    assert set(STREAM_COMPOSITIONS) == {"residual", "organic", "recyclable", "mixed"}
    assert material_composition("textile") == {"textiles": 1.0}
    assert stream_composition("organic")["food"] == pytest.approx(40.12 / 52.46)


def test_unknown_material_is_refused() -> None:
    with pytest.raises(UnknownComponent) as excinfo:
        material_composition("styrofoam")
    assert excinfo.value.field == "material"


def test_normalise_composition_scales_and_refuses_bad_shares() -> None:
    assert normalise_composition({"food": 43.5, "paper": 12.9}) == pytest.approx(
        {"food": 43.5 / 56.4, "paper": 12.9 / 56.4}
    )
    with pytest.raises(InvalidParameter) as excinfo:
        normalise_composition({"food": -1.0, "paper": 2.0})
    assert excinfo.value.field == "composition.food"
    with pytest.raises(InvalidParameter) as excinfo:
        normalise_composition({"food": 0.0})
    assert excinfo.value.field == "composition"
    with pytest.raises(UnknownComponent):
        normalise_composition({"leaves": 1.0})


def test_unknown_climate_zone_in_lookup_is_refused() -> None:
    with pytest.raises(UnknownClimateZone):
        decay_rate_per_yr("food", "tropical_moist_wet")
    with pytest.raises(UnknownComponent):
        decay_rate_per_yr("sludge", CLIMATE_ZONES[0])


def test_split_by_composition_conserves_mass() -> None:
    split = split_by_composition(10.0, stream_composition("organic"))
    assert math.fsum(split.values()) == pytest.approx(10.0)
    assert split["food"] == pytest.approx(10 * 40.12 / 52.46)
    with pytest.raises(InvalidParameter) as excinfo:
        split_by_composition(-1.0, {"food": 1.0})
    assert excinfo.value.field == "mass_t"


def test_every_domain_error_has_a_code_and_shares_the_base() -> None:
    for error_class in (InvalidParameter, UnknownComponent, UnknownClimateZone):
        assert issubclass(error_class, EnergyModelError)
        assert error_class.code.isidentifier()
    error = UnknownComponent("stream", "Unknown bin stream 'x'.")
    assert (error.field, error.message, str(error)) == (
        "stream",
        "Unknown bin stream 'x'.",
        "Unknown bin stream 'x'.",
    )


def test_material_mass_of_kilograms_litres_and_pieces() -> None:
    assert material_mass_kg("plastic", 12.5, "kg") == 12.5
    assert LIQUID_DENSITY_KG_PER_L["used_cooking_oil"] == 0.91
    assert material_mass_kg("used_cooking_oil", 5.0, "litre") == pytest.approx(4.55)
    # Litres of a material without a density, and pieces, have no mass.
    assert material_mass_kg("plastic", 5.0, "litre") is None
    assert material_mass_kg("glass", 3.0, "pcs") is None


@pytest.mark.parametrize(
    ("material", "quantity", "unit", "error", "field"),
    [
        ("plastic", -1.0, "kg", InvalidParameter, "quantity"),
        ("plastic", 1.0, "ton", InvalidParameter, "unit"),
        ("styrofoam", 1.0, "kg", UnknownComponent, "material"),
    ],
)
def test_bad_material_quantities_are_refused(
    material: str, quantity: float, unit: str, error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as info:
        material_mass_kg(material, quantity, unit)
    assert getattr(info.value, "field", None) == field


def test_bin_collection_mass_is_fraction_times_volume_times_loose_density() -> None:
    # 45 % of a 1,100 L bin of residual waste at 250 kg/m3.
    assert bin_collection_mass_kg(0.45, 1100.0, "residual") == pytest.approx(123.75)
    organic = loose_density_kg_per_m3("organic")
    assert bin_collection_mass_kg(1.0, 1000.0, "organic") == pytest.approx(organic)
    assert bin_collection_mass_kg(0.0, 1100.0, "mixed") == 0.0


@pytest.mark.parametrize(
    ("fraction", "capacity_l", "stream", "field"),
    [
        (1.2, 1100.0, "residual", "emptied_fill_fraction"),
        (-0.1, 1100.0, "residual", "emptied_fill_fraction"),
        (0.5, -1.0, "residual", "capacity_l"),
        (0.5, 1100.0, "hazardous", "stream"),
    ],
)
def test_bad_bin_collections_are_refused(
    fraction: float, capacity_l: float, stream: str, field: str
) -> None:
    with pytest.raises(InvalidParameter) as info:
        bin_collection_mass_kg(fraction, capacity_l, stream)
    assert info.value.field == field
