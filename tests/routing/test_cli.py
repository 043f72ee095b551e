"""CLI tests of ``flask energy estimate`` and ``flask energy landfill-methane``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from tests import factories

ESTIMATE_ARGS = [
    "energy",
    "estimate",
    "--mass-kg",
    "food=1000",
    "--mass-kg",
    "paper=200",
    "--pathway",
    "incineration",
    "--pathway",
    "anaerobic_digestion",
]
ESTIMATE_BODY = {
    "mass_kg": {"food": 1000, "paper": 200},
    "pathways": ["incineration", "anaerobic_digestion"],
}
LANDFILL_ARGS = [
    "energy",
    "landfill-methane",
    "--deposit",
    "2025:food=1000",
    "--climate",
    "tropical_wet",
    "--mcf",
    "1",
    "--first-year",
    "2025",
    "--last-year",
    "2035",
]
LANDFILL_BODY = {
    "deposits_t": {"2025": {"food": 1000}},
    "climate": "tropical_wet",
    "mcf": 1,
    "first_year": 2025,
    "last_year": 2035,
}


@pytest.fixture
def energy_runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner without the database reset: the calculators store nothing."""
    return app.test_cli_runner()


def _api(client: FlaskClient, db: Session, url: str, body: Any) -> dict[str, Any]:
    headers = factories.auth_headers(db, factories.make_user(db))
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == 200
    answer: dict[str, Any] = response.get_json()
    return answer


def _printed(runner: FlaskCliRunner, args: list[str], **kwargs: Any) -> Any:
    result = runner.invoke(args=args, **kwargs)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_estimate_prints_the_same_numbers_as_the_api(
    runner: FlaskCliRunner, client: FlaskClient, db: Session
) -> None:
    printed = _printed(runner, ESTIMATE_ARGS)
    assert printed == _api(client, db, "/api/v1/energy/estimate", ESTIMATE_BODY)
    digestion_kwh = printed["pathways"]["anaerobic_digestion"]["electricity_kwh"]
    assert digestion_kwh == pytest.approx(72 * 35.8 * 0.38 / 3.6)


def test_landfill_methane_prints_the_same_numbers_as_the_api(
    runner: FlaskCliRunner, client: FlaskClient, db: Session
) -> None:
    printed = _printed(runner, LANDFILL_ARGS)
    assert printed == _api(client, db, "/api/v1/energy/landfill-methane", LANDFILL_BODY)
    # wte-reference §10 case A, shifted to 2025.
    assert printed["ch4_t"]["2025"] == 0.0
    assert printed["ch4_t"]["2026"] == pytest.approx(16.4840, abs=5e-5)
    assert printed["ch4_t"]["2027"] == pytest.approx(11.0496, abs=5e-5)
    assert list(printed["ch4_t"]) == [str(year) for year in range(2025, 2036)]


def test_a_json_body_from_a_file_or_stdin_gives_the_same_answer(
    energy_runner: FlaskCliRunner, tmp_path: Path
) -> None:
    runner = energy_runner
    body_file = tmp_path / "body.json"
    body_file.write_text(json.dumps(LANDFILL_BODY))
    from_options = _printed(runner, LANDFILL_ARGS)
    from_file = _printed(
        runner, ["energy", "landfill-methane", "--json", str(body_file)]
    )
    from_stdin = _printed(
        runner,
        ["energy", "landfill-methane", "--json", "-"],
        input=json.dumps(LANDFILL_BODY),
    )
    assert from_file == from_options
    assert from_stdin == from_options
    # Options override the file's keys.
    overridden = _printed(
        runner,
        ["energy", "landfill-methane", "--json", str(body_file), "--mcf", "0.5"],
    )
    assert overridden["parameters"]["mcf"] == 0.5
    assert overridden["ch4_t"]["2026"] == pytest.approx(from_file["ch4_t"]["2026"] / 2)


def test_param_overrides_a_coefficient(energy_runner: FlaskCliRunner) -> None:
    runner = energy_runner
    printed = _printed(
        runner,
        [
            *ESTIMATE_ARGS[:4],
            "--pathway",
            "incineration",
            "--param",
            "incineration.lhv_mj_per_kg=6",
        ],
    )
    # wte-reference §10 case H: 1 t at 6 MJ/kg, eta 0.22.
    kwh = printed["pathways"]["incineration"]["electricity_kwh"]
    assert kwh == pytest.approx(1000 * 6 * 0.22 / 3.6)
    assert printed["parameters"]["incineration"]["lhv_mj_per_kg"] == 6.0


REFUSALS = {
    "mcf above 1": ([*LANDFILL_ARGS, "--mcf", "1.5"], "mcf"),
    "unknown climate": ([*LANDFILL_ARGS, "--climate", "arctic"], "climate"),
    "years backwards": ([*LANDFILL_ARGS, "--last-year", "2020"], "last_year"),
    "over 200 years": (
        [*LANDFILL_ARGS, "--first-year", "1990", "--last-year", "2200"],
        "last_year",
    ),
    "negative deposit": (
        [
            "energy",
            "landfill-methane",
            *LANDFILL_ARGS[2:],
            "--deposit",
            "2026:paper=-3",
        ],
        "deposits_t",
    ),
    "negative mass": ([*ESTIMATE_ARGS, "--mass-kg", "glass=-1"], "mass_kg"),
    "unknown component": ([*ESTIMATE_ARGS, "--mass-kg", "banana=1"], "mass_kg"),
    "bad coefficient": (
        [*ESTIMATE_ARGS, "--param", "incineration.net_electrical_efficiency=2"],
        "parameters",
    ),
}


def test_bad_parameters_exit_1_with_the_error_envelope_on_stderr(
    energy_runner: FlaskCliRunner, subtests: pytest.Subtests
) -> None:
    for case, (args, field) in REFUSALS.items():
        with subtests.test(case):
            result = energy_runner.invoke(args=args)
            assert result.exit_code == 1
            assert result.stdout == ""
            error = json.loads(result.stderr)
            assert error["code"] == 422
            assert field in error["errors"]


def test_malformed_options_are_usage_errors(
    energy_runner: FlaskCliRunner, subtests: pytest.Subtests
) -> None:
    for args in (
        ["energy", "landfill-methane", "--deposit", "2025food=1000"],
        ["energy", "estimate", "--mass-kg", "food"],
        ["energy", "estimate", "--pathway", "teleportation"],
    ):
        with subtests.test(" ".join(args)):
            result = energy_runner.invoke(args=args)
            assert result.exit_code == 2
            assert "Invalid value" in result.stderr


def test_an_unreadable_json_body_exits_1(energy_runner: FlaskCliRunner) -> None:
    result = energy_runner.invoke(
        args=["energy", "estimate", "--json", "-"], input="{oops"
    )
    assert result.exit_code == 1
    assert json.loads(result.stderr)["type"] == "bad_request"
