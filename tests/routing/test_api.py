"""HTTP tests of the energy calculators: ``/api/v1/energy/estimate`` and ``/landfill-methane``."""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from routing import api as routing_api
from routing.energy import InvalidYearRange
from tests import factories

ESTIMATE = "/api/v1/energy/estimate"
LANDFILL = "/api/v1/energy/landfill-methane"
ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}

#: wte-reference §10 case A: 1,000 t food in year 0, tropical wet, MCF 1, DOCf 0.5, F 0.5.
CASE_A: dict[str, Any] = {
    "deposits_t": {"2000": {"food": 1000}},
    "climate": "tropical_wet",
    "mcf": 1,
    "docf": 0.5,
    "f": 0.5,
    "first_year": 2000,
    "last_year": 2005,
}


@pytest.fixture
def headers(db: Session) -> dict[str, str]:
    """A bearer token of a driver: the least privileged role may still calculate."""
    user = factories.make_user(db, role="driver")
    return factories.auth_headers(db, user)


def _post(
    client: FlaskClient, url: str, body: Any, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    response = client.post(url, json=body, headers=headers)
    return response.status_code, response.get_json()


# -- landfill methane ---------------------------------------------------------------------
def test_landfill_methane_reproduces_the_reference_fod_case(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    status, body = _post(client, LANDFILL, CASE_A, headers)
    assert status == 200
    ch4_t = body["ch4_t"]
    assert list(ch4_t) == [str(year) for year in range(2000, 2006)]
    assert ch4_t["2000"] == 0.0
    assert f"{ch4_t['2001']:.4g}" == "16.48"
    assert f"{ch4_t['2002']:.4g}" == "11.05"
    assert ch4_t["2001"] == pytest.approx(16.4840, abs=5e-5)
    assert ch4_t["2002"] == pytest.approx(11.0496, abs=5e-5)
    assert ch4_t["2005"] == pytest.approx(3.3281, abs=5e-5)
    # OX = 0 and R = 0: everything generated is emitted.
    assert body["ch4_generated_t"] == ch4_t
    assert body["total_ch4_t"] == pytest.approx(math.fsum(ch4_t.values()))


def test_landfill_methane_echoes_every_parameter_with_defaults_filled_in(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    request = {key: CASE_A[key] for key in CASE_A if key not in {"docf", "f"}}
    status, body = _post(client, LANDFILL, request, headers)
    assert status == 200
    assert body["parameters"] == {
        "climate": "tropical_wet",
        "mcf": 1.0,
        "docf": 0.5,
        "f": 0.5,
        "ox": 0.0,
        "recovery": 0.0,
        "reaction_start_month": 13,
        "first_year": 2000,
        "last_year": 2005,
        "doc_by_component": {"food": 0.15},
        "docf_by_component": {"food": 0.5},
        "decay_rate_by_component_per_yr": {"food": 0.4},
    }


def test_landfill_methane_is_emitted_after_recovery_and_oxidation(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    status, body = _post(
        client, LANDFILL, {**CASE_A, "ox": 0.1, "recovery": 0.5}, headers
    )
    assert status == 200
    generated_t = body["ch4_generated_t"]["2001"]
    assert generated_t == pytest.approx(16.4840, abs=5e-5)
    assert body["ch4_recovered_t"]["2001"] == pytest.approx(generated_t * 0.5)
    assert body["ch4_t"]["2001"] == pytest.approx(generated_t * 0.5 * 0.9)


def test_landfill_methane_numbers_are_not_rounded(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    _, body = _post(client, LANDFILL, CASE_A, headers)
    expected_t = 1000 * 0.15 * 0.5 * 0.5 * 16 / 12 * (1 - math.exp(-0.4))
    assert body["ch4_t"]["2001"] == pytest.approx(expected_t, rel=1e-12)
    assert body["ch4_t"]["2001"] != round(body["ch4_t"]["2001"], 6)


def test_deposits_before_first_year_still_emit_into_the_reported_years(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    status, body = _post(client, LANDFILL, {**CASE_A, "first_year": 2002}, headers)
    assert status == 200
    assert list(body["ch4_t"]) == ["2002", "2003", "2004", "2005"]
    assert body["ch4_t"]["2002"] == pytest.approx(11.0496, abs=5e-5)


def test_a_run_of_exactly_200_years_is_accepted(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    status, body = _post(
        client, LANDFILL, {**CASE_A, "first_year": 2000, "last_year": 2199}, headers
    )
    assert status == 200
    assert len(body["ch4_t"]) == 200


LANDFILL_REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "mcf above 1": ({"mcf": 1.5}, "mcf"),
    "negative mcf": ({"mcf": -0.1}, "mcf"),
    "mcf missing": ({"mcf": None}, "mcf"),
    "docf above 1": ({"docf": 2}, "docf"),
    "negative f": ({"f": -0.5}, "f"),
    "ox above 1": ({"ox": 1.1}, "ox"),
    "recovery above 1": ({"recovery": 1.01}, "recovery"),
    "reaction month 0": ({"reaction_start_month": 0}, "reaction_start_month"),
    "unknown climate zone": ({"climate": "arctic"}, "climate"),
    "climate missing": ({"climate": None}, "climate"),
    "negative deposit": ({"deposits_t": {"2000": {"food": -1}}}, "deposits_t"),
    "unknown component": ({"deposits_t": {"2000": {"banana": 5}}}, "deposits_t"),
    "year key not a year": ({"deposits_t": {"20x0": {"food": 5}}}, "deposits_t"),
    "deposit year out of range": ({"deposits_t": {"1800": {"food": 5}}}, "deposits_t"),
    "no deposits": ({"deposits_t": {}}, "deposits_t"),
    "first year out of range": ({"first_year": 1899}, "first_year"),
    "last year out of range": ({"last_year": 2201}, "last_year"),
    "years backwards": ({"first_year": 2005, "last_year": 2000}, "last_year"),
    "over 200 years": ({"first_year": 2000, "last_year": 2200}, "last_year"),
    "over 200 years from an early deposit": (
        {"deposits_t": {"1900": {"food": 1}}, "first_year": 2000, "last_year": 2100},
        "last_year",
    ),
    "fractional year": ({"first_year": 2000.5}, "first_year"),
    "unknown field": ({"temperature_c": 30}, "temperature_c"),
}


def test_bad_landfill_parameters_are_refused_with_the_field_named(
    client: FlaskClient, headers: dict[str, str], subtests: pytest.Subtests
) -> None:
    # Subtests, not parametrize: one database reset instead of one per case.
    for case, (change, field) in LANDFILL_REFUSALS.items():
        with subtests.test(case):
            request = {**CASE_A, **change}
            request = {
                key: value for key, value in request.items() if value is not None
            }
            status, body = _post(client, LANDFILL, request, headers)
            assert status == 422
            assert set(body) == ENVELOPE_KEYS
            assert body["type"] == "validation_error"
            assert field in body["errors"]


def test_a_domain_error_from_the_core_gets_the_envelope_not_a_500(
    client: FlaskClient, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schema catches every known bad value first; this pins the safety net."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise InvalidYearRange("last_year", "The run spans more than 200 years.")

    monkeypatch.setattr(routing_api, "run_fod", refuse)
    status, body = _post(client, LANDFILL, CASE_A, headers)
    assert status == 422
    assert body == {
        "code": 422,
        "status": HTTPStatus(422).phrase,
        "type": "invalid_year_range",
        "message": "The run spans more than 200 years.",
        "errors": {"last_year": ["The run spans more than 200 years."]},
    }


# -- energy estimate ----------------------------------------------------------------------
def test_estimate_answers_energy_and_electricity_per_pathway_asked_for(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    status, body = _post(
        client,
        ESTIMATE,
        {
            "mass_kg": {"food": 1000, "paper": 200},
            "pathways": ["incineration", "anaerobic_digestion"],
        },
        headers,
    )
    assert status == 200
    assert set(body["pathways"]) == {"incineration", "anaerobic_digestion"}
    assert set(body["parameters"]) == {"incineration", "anaerobic_digestion"}
    assert body["total_mass_kg"] == 1200.0
    digestion = body["pathways"]["anaerobic_digestion"]
    # wte-reference §10 case G: 1 t food -> 72 Nm3 CH4 -> 272 kWh_e; paper is not fed.
    assert digestion["biogas_nm3"] == pytest.approx(120.0)
    assert digestion["ch4_nm3"] == pytest.approx(72.0)
    assert digestion["electricity_kwh"] == pytest.approx(72 * 35.8 * 0.38 / 3.6)
    assert digestion["energy_mj"] == pytest.approx(72 * 35.8)
    assert digestion["residue_t"] == pytest.approx(0.2)
    burn = body["pathways"]["incineration"]
    lhv = body["parameters"]["incineration"]["lhv_mj_per_kg"]
    assert burn["lhv_mj_per_kg"] == lhv
    assert burn["energy_mj"] == pytest.approx(1200 * lhv)
    assert burn["electricity_kwh"] == pytest.approx(1200 * lhv * 0.22 / 3.6)
    assert burn["residue_t"] == pytest.approx(1.0 * 0.05 + 0.2 * 0.06)


def test_estimate_echoes_the_core_defaults(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    status, body = _post(client, ESTIMATE, {"mass_kg": {"food": 1000}}, headers)
    assert status == 200
    parameters = body["parameters"]
    # No pathways given: all of them, each with its defaults (wte-reference §11).
    assert list(parameters) == sorted(
        [
            "incineration",
            "rdf",
            "anaerobic_digestion",
            "composting",
            "landfill_gas_recovery",
        ]
    )
    assert parameters["incineration"]["net_electrical_efficiency"] == 0.22
    assert parameters["incineration"]["lhv_from_composition"] is True
    assert parameters["anaerobic_digestion"] == {
        "biogas_yield_nm3_per_t_by_component": {"food": 120.0},
        "methane_fraction": 0.6,
        "ch4_lhv_mj_per_nm3": 35.8,
        "chp_electrical_efficiency": 0.38,
        "ch4_emission_kg_per_t": 0.8,
    }
    assert parameters["rdf"] == {
        "rdf_mass_yield_fraction": 0.375,
        "rdf_lhv_mj_per_kg": 11.2,
    }
    assert parameters["landfill_gas_recovery"]["collection_efficiency"] == 0.75
    # 1 t food, MCF 1: lifetime CH4 = 0.15 x 0.5 x 0.5 x 16/12 = 0.05 t, 75 % captured.
    lfg = body["pathways"]["landfill_gas_recovery"]
    assert lfg["ch4_generated_t"] == pytest.approx(0.05)
    assert lfg["ch4_t"] == pytest.approx(0.0375)
    assert body["pathways"]["composting"]["compost_t"] == pytest.approx(0.5)
    assert body["pathways"]["rdf"]["rdf_t"] == pytest.approx(0.375)


def test_estimate_uses_overridden_coefficients_unrounded(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    # wte-reference §10 case H: 1 t at LHV 6 MJ/kg, eta 0.22 -> 366.67 kWh_e.
    status, body = _post(
        client,
        ESTIMATE,
        {
            "mass_kg": {"food": 1000},
            "pathways": ["incineration"],
            "parameters": {"incineration": {"lhv_mj_per_kg": 6}},
        },
        headers,
    )
    assert status == 200
    electricity_kwh = body["pathways"]["incineration"]["electricity_kwh"]
    assert electricity_kwh == pytest.approx(1000 * 6 * 0.22 / 3.6, rel=1e-12)
    assert electricity_kwh != round(electricity_kwh, 3)
    assert body["parameters"]["incineration"] == {
        "net_electrical_efficiency": 0.22,
        "lhv_mj_per_kg": 6.0,
        "lhv_from_composition": False,
    }


ESTIMATE_REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "negative mass": ({"mass_kg": {"food": -1}}, "mass_kg"),
    "unknown component": ({"mass_kg": {"banana": 1}}, "mass_kg"),
    "mass not a number": ({"mass_kg": {"food": "heavy"}}, "mass_kg"),
    "mass missing": ({"mass_kg": None}, "mass_kg"),
    "no components": ({"mass_kg": {}}, "mass_kg"),
    "unknown pathway": ({"pathways": ["teleportation"]}, "pathways"),
    "repeated pathway": ({"pathways": ["rdf", "rdf"]}, "pathways"),
    "no pathways": ({"pathways": []}, "pathways"),
    "efficiency above 1": (
        {"parameters": {"incineration": {"net_electrical_efficiency": 1.2}}},
        "parameters",
    ),
    "negative biogas yield": (
        {
            "parameters": {
                "anaerobic_digestion": {
                    "biogas_yield_nm3_per_t_by_component": {"food": -5}
                }
            }
        },
        "parameters",
    ),
    "unknown coefficient": ({"parameters": {"rdf": {"speed": 3}}}, "parameters"),
    "lfg mcf above 1": (
        {"parameters": {"landfill_gas_recovery": {"mcf": 1.5}}},
        "parameters",
    ),
}


def test_bad_estimate_parameters_are_refused_with_the_field_named(
    client: FlaskClient, headers: dict[str, str], subtests: pytest.Subtests
) -> None:
    for case, (change, field) in ESTIMATE_REFUSALS.items():
        with subtests.test(case):
            request = {
                "mass_kg": {"food": 1000},
                "pathways": ["incineration"],
                **change,
            }
            request = {
                key: value for key, value in request.items() if value is not None
            }
            status, body = _post(client, ESTIMATE, request, headers)
            assert status == 422
            assert set(body) == ENVELOPE_KEYS
            assert field in body["errors"]


def test_non_finite_and_non_object_bodies_get_422_not_500(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    bodies = {
        "mass_kg": (ESTIMATE, '{"mass_kg": {"food": NaN}}'),
        "deposits_t": (
            LANDFILL,
            '{"deposits_t": {"2000": {"food": Infinity}}, "climate": "tropical_wet",'
            ' "mcf": 1, "first_year": 2000, "last_year": 2001}',
        ),
    }
    for field, (url, text) in bodies.items():
        response = client.post(
            url, data=text, content_type="application/json", headers=headers
        )
        assert response.status_code == 422
        assert field in response.get_json()["errors"]
        listed = client.post(url, json=[1, 2], headers=headers)
        assert listed.status_code == 422
        assert set(listed.get_json()) == ENVELOPE_KEYS


# -- access and documentation ----------------------------------------------------------
def test_calculators_need_a_bearer_token(client: FlaskClient) -> None:
    for url in (ESTIMATE, LANDFILL):
        response = client.post(url, json={"mass_kg": {"food": 1}})
        assert response.status_code == 401
        assert response.get_json()["type"] == "authentication_failed"
        assert set(response.get_json()) == ENVELOPE_KEYS


def test_openapi_lists_both_endpoints_with_schemas_and_bearer_security(
    client: FlaskClient,
) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for path, request_name, response_name in (
        ("/api/v1/energy/estimate", "EnergyEstimateRequest", "EnergyEstimate"),
        (
            "/api/v1/energy/landfill-methane",
            "LandfillMethaneRequest",
            "LandfillMethane",
        ),
    ):
        post = spec["paths"][path]["post"]
        request_schema = post["requestBody"]["content"]["application/json"]["schema"]
        assert request_schema == {"$ref": f"#/components/schemas/{request_name}"}
        ok_schema = post["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok_schema == {"$ref": f"#/components/schemas/{response_name}"}
        assert post["security"] == [{"bearerAuth": []}]
        assert "401" in post["responses"]
        assert request_name in schemas
        assert response_name in schemas
    landfill = schemas["LandfillMethaneRequest"]
    assert set(landfill["required"]) >= {"deposits_t", "climate", "mcf"}
    assert landfill["properties"]["mcf"]["maximum"] == 1.0
