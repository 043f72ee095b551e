"""Jakstranas progress and SDG 11.6.1 parameters (wte-reference §7)."""

from __future__ import annotations

import pytest

from routing.energy import (
    InvalidParameter,
    MassFigure,
    estimate_msw_generation,
    jakstranas_progress,
    sdg_11_6_1_parameters,
)
from routing.energy.targets import generation_rate_kg_per_capita_per_day


def test_jakstranas_shares_against_targets() -> None:
    progress = jakstranas_progress(
        MassFigure(1000.0), MassFigure(250.0), MassFigure(500.0)
    )
    assert progress.reduction.fraction == pytest.approx(0.25)
    assert progress.handling.fraction == pytest.approx(0.50)
    assert progress.managed.fraction == pytest.approx(0.75)
    assert progress.unmanaged_t == pytest.approx(250.0)
    assert not progress.reduction_target_met
    assert not progress.handling_target_met
    assert progress.reduction_shortfall_t == pytest.approx(50.0)
    assert progress.handling_shortfall_t == pytest.approx(200.0)
    assert progress.reduction.basis == "measured"


def test_jakstranas_targets_met() -> None:
    progress = jakstranas_progress(
        MassFigure(100.0), MassFigure(30.0), MassFigure(70.0)
    )
    assert progress.reduction_target_met
    assert progress.handling_target_met
    assert progress.reduction_shortfall_t == 0.0
    assert progress.unmanaged_t == 0.0


def test_estimated_generation_makes_rates_estimated() -> None:
    generated = estimate_msw_generation(135_000)
    progress = jakstranas_progress(generated, MassFigure(1000.0), MassFigure(20_000.0))
    assert generated.basis == "estimated"
    assert progress.reduction.basis == "estimated"
    assert progress.managed.basis == "estimated"


def test_generation_estimate_is_population_times_rate() -> None:
    figure = estimate_msw_generation(350_000, 0.70)
    assert figure.mass_t == pytest.approx(350_000 * 0.70 * 365 / 1000)
    per_day = estimate_msw_generation(350_000, 0.70, days=1.0)
    assert per_day.mass_t == pytest.approx(245.0)


@pytest.mark.parametrize(
    ("population", "rate"),
    [(80_000, 0.6625), (135_000, 0.75), (500_000, 0.75), (2_000_000, 0.74)],
)
def test_default_generation_rate_follows_sni_city_size(
    population: int, rate: float
) -> None:
    assert generation_rate_kg_per_capita_per_day(population) == pytest.approx(rate)


def test_sdg_11_6_1_parameters() -> None:
    result = sdg_11_6_1_parameters(
        generated=MassFigure(250.0, "estimated"),
        collected=MassFigure(185.0),
        controlled=MassFigure(0.0),
        recovered=MassFigure(20.0),
        population=370_000,
        population_served=300_000,
    )
    assert result.collection_rate.fraction == pytest.approx(0.74)
    assert result.collection_rate.basis == "estimated"
    assert result.controlled_rate.fraction == 0.0
    assert result.recovery_rate.fraction == pytest.approx(0.08)
    assert result.population_served is not None
    assert result.population_served.fraction == pytest.approx(300 / 370)
    assert result.population_served.basis == "measured"


def test_all_measured_inputs_give_measured_rates() -> None:
    result = sdg_11_6_1_parameters(
        generated=MassFigure(100.0),
        collected=MassFigure(90.0),
        controlled=MassFigure(60.0),
        recovered=MassFigure(10.0),
    )
    assert result.controlled_rate.basis == "measured"
    assert result.population_served is None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: MassFigure(-1.0), "mass_t"),
        (lambda: MassFigure(1.0, "guessed"), "basis"),
        (
            lambda: jakstranas_progress(
                MassFigure(0.0), MassFigure(0.0), MassFigure(0.0)
            ),
            "generated",
        ),
        (
            lambda: jakstranas_progress(
                MassFigure(10.0), MassFigure(11.0), MassFigure(0.0)
            ),
            "reduction",
        ),
        (
            lambda: jakstranas_progress(
                MassFigure(10.0), MassFigure(6.0), MassFigure(6.0)
            ),
            "handling",
        ),
        (
            lambda: jakstranas_progress(
                MassFigure(10.0),
                MassFigure(1.0),
                MassFigure(1.0),
                reduction_target_fraction=1.5,
            ),
            "reduction_target_fraction",
        ),
        (lambda: estimate_msw_generation(0), "population"),
        (lambda: estimate_msw_generation(1000, -0.5), "kg_per_capita_per_day"),
        (lambda: estimate_msw_generation(1000, days=0.0), "days"),
        (
            lambda: sdg_11_6_1_parameters(
                generated=MassFigure(10.0),
                collected=MassFigure(12.0),
                controlled=MassFigure(1.0),
                recovered=MassFigure(1.0),
            ),
            "collected",
        ),
        (
            lambda: sdg_11_6_1_parameters(
                generated=MassFigure(10.0),
                collected=MassFigure(1.0),
                controlled=MassFigure(1.0),
                recovered=MassFigure(1.0),
                population=100,
                population_served=200,
            ),
            "population_served",
        ),
    ],
)
def test_bad_target_inputs_are_refused(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(InvalidParameter) as excinfo:
        call()
    assert excinfo.value.field == field
