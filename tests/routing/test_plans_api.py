"""HTTP tests of ``/api/v1/route-plans``: planning from live bin levels, GeoJSON, scoping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from routing import services, validate
from routing.models import RoutePlan, RouteStop
from telemetry import services as telemetry_services
from tests import factories
from tests.routing.conftest import (
    SERVICE_DATE,
    TIME_LIMIT_S,
    Fleet,
    add_bin,
    make_truck,
    offset,
)
from wastebank.access import SYSTEM

PLANS = "/api/v1/route-plans"
ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}


def _headers(db: Session, fleet: Fleet, who: str) -> dict[str, str]:
    return factories.auth_headers(db, fleet.users[who])


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date": SERVICE_DATE.isoformat(),
        "time_limit_s": TIME_LIMIT_S,
        "seed": 1,
    }
    body.update(overrides)
    return body


def _plan_count(db: Session) -> int:
    return int(db.scalar(sa.select(sa.func.count()).select_from(RoutePlan)) or 0)


@pytest.fixture
def busy_day(db: Session, fleet: Fleet) -> Fleet:
    """Six full 3 m³ TPS (about 17 m³, three truckloads of 6 m³), one with a morning
    window; a half-full bin that is skipped; a sensor-less bin."""
    for k, (dlat, dlon) in enumerate(
        [(0.0, 0.0), (0.004, 0.006), (-0.006, 0.004), (0.01, -0.004), (-0.01, -0.008)]
    ):
        add_bin(
            db, f"AMB-{k + 1:02d}", fill_pct=92, capacity_l=3000, at=offset(dlat, dlon)
        )
    add_bin(
        db,
        "AMB-06",
        fill_pct=95,
        capacity_l=3000,
        at=offset(0.012, 0.01),
        access_windows=[["05:00", "07:00"]],
    )
    add_bin(db, "AMB-HALF", fill_pct=30, rate_pct_per_day=5, at=offset(0.002, 0.0))
    telemetry_services.create_bin(
        db,
        SYSTEM,
        code="AMB-NEW",
        name="TPS baru",
        kind="tps",
        stream="mixed",
        capacity_l=1000,
        lat=-3.70,
        lon=128.18,
        city="AMB",
    )
    db.commit()
    return fleet


def test_dlh_plans_a_multi_trip_day_from_sensor_levels_and_the_stored_plan_is_valid(
    client: FlaskClient, db: Session, busy_day: Fleet
) -> None:
    response = client.post(PLANS, json=_body(), headers=_headers(db, busy_day, "dlh"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["city"] == "AMB"
    assert body["service_date"] == SERVICE_DATE.isoformat()
    assert body["status"] == "planned"
    assert body["timezone"] == "Asia/Jayapura"

    # Every full bin is served exactly once, by one of the two trucks.
    served = [
        s["bin"] for r in body["routes"] for s in r["stops"] if s["kind"] == "stop"
    ]
    assert sorted(served) == [f"AMB-{k:02d}" for k in range(1, 7)]
    assert {r["truck"] for r in body["routes"]} <= {"T1", "T2"}
    # 17 m³ in 6 m³ trucks: at least three loads, so some truck unloads twice.
    assert body["trips"] >= 3
    assert body["trips"] > len(body["routes"])
    assert max(r["trips"] for r in body["routes"]) >= 2
    for route in body["routes"]:
        stops = route["stops"]
        assert stops[-1]["kind"] == "unload"  # home empty
        assert stops[-1]["facility"] == "TPA-TOISAPU"
        assert [s["seq"] for s in stops] == list(range(1, len(stops) + 1))
        for stop in stops:
            assert Decimal(stop["load_after_kg"]) <= Decimal("4000")
            assert Decimal(stop["load_after_m3"]) <= Decimal("6")
            if stop["kind"] == "unload":
                assert Decimal(stop["load_after_kg"]) == 0
            # Planned times are shown in the city's zone (WIT, +09:00).
            assert stop["start_at"].endswith("+09:00")
        assert route["start_at"] >= f"{SERVICE_DATE}T05:00:00+09:00"
        assert route["end_at"] <= f"{SERVICE_DATE}T13:00:00+09:00"
    windowed = next(
        s for r in body["routes"] for s in r["stops"] if s.get("bin") == "AMB-06"
    )
    local_start = dt.datetime.fromisoformat(windowed["start_at"])
    assert dt.time(5, 0) <= local_start.time() <= dt.time(7, 0)
    assert Decimal(body["collected_kg"]) == sum(
        Decimal(s["demand_kg"])
        for r in body["routes"]
        for s in r["stops"]
        if s["kind"] == "stop"
    )
    assert {s["bin"] for s in body["skipped"]} == {"AMB-HALF", "AMB-NEW"}
    no_reading = next(s for s in body["skipped"] if s["bin"] == "AMB-NEW")
    assert no_reading["reason"] == "no fill reading yet"

    # What was stored, read back from the database, passes the independent check.
    plan = services.get_route_plan(db, SYSTEM, body["id"])
    assert validate(services.stored_problem(plan), services.stored_solution(plan)) == []
    stop_ids = db.scalars(sa.select(RouteStop.id).order_by(RouteStop.id)).all()
    assert sorted(s["id"] for r in body["routes"] for s in r["stops"]) == list(stop_ids)

    again = client.get(f"{PLANS}/{body['id']}", headers=_headers(db, busy_day, "dlh"))
    assert again.status_code == 200
    assert again.get_json() == body


def test_the_same_request_and_seed_give_the_same_routes(
    client: FlaskClient, db: Session, busy_day: Fleet
) -> None:
    headers = _headers(db, busy_day, "admin")
    first = client.post(PLANS, json=_body(city="AMB", seed=7), headers=headers)
    second = client.post(PLANS, json=_body(city="AMB", seed=7), headers=headers)

    def sequences(body: dict[str, Any]) -> list[tuple[str, list[str]]]:
        return [
            (r["truck"], [s["bin"] or s["facility"] for s in r["stops"]])
            for r in body["routes"]
        ]

    assert (first.status_code, second.status_code) == (201, 201)
    assert sequences(first.get_json())  # a busy day: there are routes to compare
    assert sequences(first.get_json()) == sequences(second.get_json())
    assert first.get_json()["id"] != second.get_json()["id"]


def test_geojson_has_a_line_per_route_through_its_visits_and_points(
    client: FlaskClient, db: Session, busy_day: Fleet
) -> None:
    headers = _headers(db, busy_day, "dlh")
    plan = client.post(PLANS, json=_body(), headers=headers).get_json()

    response = client.get(f"{PLANS}/{plan['id']}.geojson", headers=headers)

    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    geo = response.get_json()
    assert geo["type"] == "FeatureCollection"
    assert geo["properties"]["route_plan_id"] == plan["id"]
    depot = [busy_day.depot.lon, busy_day.depot.lat]
    tpa = [busy_day.tpa.lon, busy_day.tpa.lat]
    lines = [f for f in geo["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(plan["routes"])
    for line, route in zip(lines, plan["routes"], strict=True):
        assert line["type"] == "Feature"
        assert line["properties"]["feature"] == "route"
        assert line["properties"]["truck"] == route["truck"]
        coordinates = line["geometry"]["coordinates"]
        # depot -> every visit in order -> depot, as [lon, lat]
        assert coordinates[0] == coordinates[-1] == depot
        assert coordinates[1:-1] == [[s["lon"], s["lat"]] for s in route["stops"]]
        assert tpa in coordinates
        assert all(120 < lon < 130 and -4 < lat < -3 for lon, lat in coordinates)
    points = [f for f in geo["features"] if f["geometry"]["type"] == "Point"]
    kinds = {f["properties"]["feature"] for f in points}
    assert kinds == {"stop", "unload", "depot", "facility", "skipped"}
    stop_points = [p for p in points if p["properties"]["feature"] == "stop"]
    assert len(stop_points) == 6
    first = stop_points[0]["properties"]
    assert {"route_stop_id", "seq", "bin", "arrival_at", "truck"} <= set(first)
    assert first["arrival_at"].endswith("+09:00")


# -- permissions and scoping ---------------------------------------------------------------
@pytest.mark.parametrize("who", ["cashier", "driver", "manager"])
def test_roles_outside_dlh_and_admin_may_not_plan_or_read_plans(
    client: FlaskClient, db: Session, busy_day: Fleet, who: str
) -> None:
    headers = _headers(db, busy_day, who)
    response = client.post(PLANS, json=_body(city="AMB"), headers=headers)
    assert response.status_code == 403
    assert response.get_json()["type"] == "permission_denied"
    assert set(response.get_json()) == ENVELOPE_KEYS
    assert client.get(PLANS, headers=headers).status_code == 403
    assert _plan_count(db) == 0


def test_another_citys_dlh_cannot_plan_here_nor_see_the_plan(
    client: FlaskClient, db: Session, busy_day: Fleet
) -> None:
    ours = _headers(db, busy_day, "dlh")
    theirs = _headers(db, busy_day, "dlh_other_city")
    plan = client.post(PLANS, json=_body(), headers=ours).get_json()

    refused = client.post(PLANS, json=_body(city="AMB"), headers=theirs)
    assert refused.status_code == 403
    assert refused.get_json()["errors"] == {"city": [refused.get_json()["message"]]}
    # Outside your city a plan does not exist (404), as for bins and banks.
    for url in (f"{PLANS}/{plan['id']}", f"{PLANS}/{plan['id']}.geojson"):
        response = client.get(url, headers=theirs)
        assert response.status_code == 404
        assert response.get_json()["type"] == "route_plan_not_found"
    assert client.get(PLANS, headers=theirs).get_json() == []
    listed = client.get(
        PLANS,
        query_string={"city": "AMB", "date": SERVICE_DATE.isoformat()},
        headers=ours,
    )
    assert [p["id"] for p in listed.get_json()] == [plan["id"]]
    assert listed.headers["X-Pagination"]
    assert _plan_count(db) == 1


def test_plans_need_a_token(client: FlaskClient, fleet: Fleet) -> None:
    response = client.post(PLANS, json=_body())
    assert response.status_code == 401
    assert response.get_json()["type"] == "authentication_failed"


# -- infeasible requests -------------------------------------------------------------------
def test_a_bin_heavier_than_every_truck_is_named(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    add_bin(db, "AMB-OK", fill_pct=90, capacity_l=1000)
    # 30 m³ of mixed waste at 250 kg/m³: 7.5 t against trucks of 4 t and 6 m³.
    add_bin(db, "AMB-HUGE", fill_pct=100, capacity_l=30_000, stream="mixed")
    db.commit()

    response = client.post(PLANS, json=_body(), headers=_headers(db, fleet, "dlh"))

    assert response.status_code == 422
    body = response.get_json()
    assert set(body) == ENVELOPE_KEYS
    assert body["type"] == "infeasible_problem"
    assert "AMB-HUGE" in body["message"]
    assert "capacity" in body["message"]
    assert body["errors"] == {"bins": ["AMB-HUGE"]}
    assert _plan_count(db) == 0


def test_a_bin_no_truck_can_reach_within_its_shift_is_named(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    add_bin(db, "AMB-OK", fill_pct=90)
    # Open only in the late afternoon; every shift ends at 13:00.
    add_bin(db, "AMB-LATE", fill_pct=95, access_windows=[["16:00", "19:00"]])
    db.commit()

    response = client.post(PLANS, json=_body(), headers=_headers(db, fleet, "dlh"))

    assert response.status_code == 422
    body = response.get_json()
    assert body["type"] == "infeasible_problem"
    assert "AMB-LATE" in body["message"]
    assert "T1" in body["message"] and "T2" in body["message"]
    assert body["errors"]["bins"] == ["AMB-LATE"]
    assert _plan_count(db) == 0


def test_a_city_without_trucks_gets_a_clear_error(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    services.create_facility(
        db, SYSTEM, code="TPA-RANDEGAN", name="TPA Randegan", kind="tpa",
        city="MJK", lat=-7.4903, lon=112.4167,
    )  # fmt: skip
    db.commit()

    response = client.post(
        PLANS, json=_body(city="MJK"), headers=_headers(db, fleet, "dlh_other_city")
    )

    assert response.status_code == 422
    body = response.get_json()
    assert body["type"] == "infeasible_problem"
    assert "MJK has no active truck" in body["message"]
    assert body["errors"] == {"trucks": [body["message"]]}
    assert _plan_count(db) == 0


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "status", "type_", "field"),
    [
        ({"time_limit_s": 1}, 422, "validation_error", "date"),
        (_body(threshold_pct=150), 422, "validation_error", "threshold_pct"),
        (_body(time_limit_s=0), 422, "validation_error", "time_limit_s"),
        (_body(time_limit_s=-5), 422, "validation_error", "time_limit_s"),
        (_body(time_limit_s=121), 422, "validation_error", "time_limit_s"),
        (_body(time_limit_s="lama"), 422, "validation_error", "time_limit_s"),
        (_body(threshold_pct=0), 422, "validation_error", "threshold_pct"),
        (_body(threshold_pct=-10), 422, "validation_error", "threshold_pct"),
        (_body(seed=-1), 422, "validation_error", "seed"),
        (_body(date="2026-13-01"), 422, "validation_error", "date"),
        (_body(trucks=[]), 422, "validation_error", "trucks"),
        (_body(trucks=["T1", "T9"]), 422, "invalid_reference", "trucks"),
        (_body(facility="TPA-NONE"), 422, "invalid_reference", "facility"),
        (_body(depots=["NOPE"]), 422, "invalid_reference", "depots"),
        (_body(city="XYZ"), 422, "invalid_reference", "city"),
    ],
)
def test_bad_requests_get_the_envelope_and_store_nothing(
    client: FlaskClient,
    db: Session,
    fleet: Fleet,
    body: dict[str, Any],
    status: int,
    type_: str,
    field: str,
) -> None:
    add_bin(db, "AMB-01", fill_pct=90)
    db.commit()

    response = client.post(PLANS, json=body, headers=_headers(db, fleet, "dlh"))

    assert response.status_code == status
    envelope = response.get_json()
    assert set(envelope) == ENVELOPE_KEYS
    assert envelope["type"] == type_
    assert field in envelope["errors"]
    assert _plan_count(db) == 0


@pytest.fixture
def mojokerto_fleet(db: Session, fleet: Fleet) -> Fleet:
    """Mojokerto's own garage, TPA and truck beside Ambon's fleet."""
    services.create_depot(
        db, SYSTEM, code="MJK-POOL", name="Pool DLH Mojokerto", city="MJK",
        lat=-7.4722, lon=112.4338,
    )  # fmt: skip
    services.create_facility(
        db, SYSTEM, code="TPA-RANDEGAN", name="TPA Randegan", kind="tpa",
        city="MJK", lat=-7.4903, lon=112.4167,
    )  # fmt: skip
    make_truck(db, "MJK-T1", city="MJK", depot="MJK-POOL")
    db.commit()
    return fleet


@pytest.mark.parametrize(
    ("overrides", "field", "culprit"),
    [
        ({"trucks": ["MJK-T1"]}, "trucks", "MJK-T1"),
        ({"trucks": ["T1", "mjk-t1"]}, "trucks", "MJK-T1"),
        ({"trucks": ["T1", "T404"]}, "trucks", "T404"),
        ({"depots": ["MJK-POOL"]}, "depots", "MJK-POOL"),
        ({"depots": ["AMB-POOL", "NO-POOL"]}, "depots", "NO-POOL"),
        ({"depots": ["MJK-POOL"], "trucks": ["MJK-T1"]}, "depots", "MJK-POOL"),
        ({"facility": "TPA-RANDEGAN"}, "facility", "TPA-RANDEGAN"),
        ({"facility": "TPA-NOWHERE"}, "facility", "TPA-NOWHERE"),
        ({"facility": "TPA-RANDEGAN", "trucks": ["T1"]}, "facility", "TPA-RANDEGAN"),
    ],
)
def test_trucks_depots_or_facilities_of_another_city_are_named_and_store_nothing(
    client: FlaskClient,
    db: Session,
    mojokerto_fleet: Fleet,
    overrides: dict[str, Any],
    field: str,
    culprit: str,
) -> None:
    """Another city's fleet is as unknown to Ambon's DLH as a code that does not exist."""
    add_bin(db, "AMB-01", fill_pct=90)
    db.commit()
    stops_before = db.scalar(sa.select(sa.func.count()).select_from(RouteStop))

    response = client.post(
        PLANS, json=_body(**overrides), headers=_headers(db, mojokerto_fleet, "dlh")
    )

    assert response.status_code == 422
    envelope = response.get_json()
    assert set(envelope) == ENVELOPE_KEYS
    assert envelope["type"] == "invalid_reference"
    assert envelope["errors"] == {field: [envelope["message"]]}
    assert culprit in envelope["message"]
    assert _plan_count(db) == 0
    assert db.scalar(sa.select(sa.func.count()).select_from(RouteStop)) == stops_before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"trucks": "T1"}, "trucks"),
        ({"trucks": [1]}, "trucks"),
        ({"trucks": [""]}, "trucks"),
        ({"trucks": ["T" * 33]}, "trucks"),
        ({"depots": []}, "depots"),
        ({"depots": [None]}, "depots"),
        ({"facility": ["TPA-TOISAPU"]}, "facility"),
        ({"facility": ""}, "facility"),
        ({"city": 5}, "city"),
    ],
)
def test_references_of_the_wrong_shape_are_validation_errors(
    client: FlaskClient,
    db: Session,
    fleet: Fleet,
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = client.post(
        PLANS, json=_body(**overrides), headers=_headers(db, fleet, "dlh")
    )
    assert response.status_code == 422
    envelope = response.get_json()
    assert envelope["type"] == "validation_error"
    assert field in envelope["errors"]
    assert _plan_count(db) == 0


def test_malformed_json_is_a_bad_request(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    response = client.post(
        PLANS,
        data="{not json",
        content_type="application/json",
        headers=_headers(db, fleet, "dlh"),
    )
    assert response.status_code == 400
    assert set(response.get_json()) == ENVELOPE_KEYS


def test_an_unknown_plan_is_not_found(
    client: FlaskClient, db: Session, fleet: Fleet
) -> None:
    response = client.get(f"{PLANS}/999", headers=_headers(db, fleet, "admin"))
    assert response.status_code == 404
    assert response.get_json()["type"] == "route_plan_not_found"


# -- documentation -------------------------------------------------------------------------
def test_openapi_documents_the_plan_endpoints_and_matches_the_answer(
    client: FlaskClient, db: Session, busy_day: Fleet
) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    post = paths["/api/v1/route-plans"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RoutePlanCreate"
    }
    created = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/RoutePlan"}
    assert {"401", "403", "422"} <= set(post["responses"])
    assert "get" in paths["/api/v1/route-plans/{plan_id}"]
    geojson = paths["/api/v1/route-plans/{plan_id}.geojson"]["get"]
    assert "application/geo+json" in geojson["responses"]["200"]["content"]
    for path in ("/api/v1/trucks", "/api/v1/depots", "/api/v1/facilities"):
        assert {"get", "post"} <= set(paths[path])
    assert set(schemas["RoutePlanCreate"]["required"]) == {"date"}

    body = client.post(PLANS, json=_body(), headers=_headers(db, busy_day, "dlh"))
    answer = body.get_json()
    documented = schemas["RoutePlan"]["properties"]
    assert set(answer) == set(documented)
    assert set(answer["routes"][0]) == set(schemas["Route"]["properties"])
    assert set(answer["routes"][0]["stops"][0]) == set(
        schemas["RouteStop"]["properties"]
    )
    assert set(answer["skipped"][0]) == set(schemas["RoutePlanSkip"]["properties"])
